"""Inspections (检查核实): each inspector's drafts, the submitted inspections and their findings.

An inspection is of one school's declaration version, the latest when it was started; once
submitted it is never changed (triggers refuse an UPDATE), a correction is a new inspection.
`record_inspection` is the one way one is written, for the inspector's form, the demo and the
benches alike; a bulk load that inserts rows itself ends with `recompute_derived`.
"""

from __future__ import annotations

import json

import schemas
from schemas import clock
from schemas.inspection import CONTRADICTED, InspectionFields, findings_of

from .audit import audit
from .columns import to_row
from .connection import insert_sql, query_one, query_rows, transaction
from .derived import refresh_standings


class InspectionRefused(ValueError):
    """An inspection that may not be recorded as it stands; the message says why, in Chinese."""


# --- drafts: the inspector's own, per school ---------------------------------------------------


def save_inspection_draft(db, inspector: str, school_code: str, version: int, answers: dict[str, str]) -> None:
    """The form's answers as typed, for the version the inspector is checking, replacing the
    draft: one statement in one transaction."""
    with transaction(db):
        db.execute(
            "INSERT INTO inspection_drafts (inspector, school_code, declaration_version, answers, saved_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (inspector, school_code) DO UPDATE SET"
            " declaration_version = excluded.declaration_version, answers = excluded.answers,"
            " saved_at = excluded.saved_at",
            [inspector, school_code, version, json.dumps(answers, ensure_ascii=False), clock.timestamp()],
        )


def load_inspection_draft(db, inspector: str, school_code: str) -> dict | None:
    """{"version", "answers", "saved_at"} of the inspector's draft for the school, or None."""
    row = query_one(
        db,
        "SELECT declaration_version, answers, saved_at FROM inspection_drafts WHERE inspector = ? AND school_code = ?",
        [inspector, school_code],
    )
    if row is None:
        return None
    return {"version": row["declaration_version"], "answers": json.loads(row["answers"]), "saved_at": row["saved_at"]}


# --- submitted inspections ---------------------------------------------------------------------


def record_inspection(
    db,
    school_code: str,
    team: str,
    version: int,
    inspection,
    inspector: str,
    submit_key: str,
) -> tuple[dict, bool]:
    """Record an `Inspection` of the school's declaration `version` by `inspector` of `team`, its
    findings one row per item, the school's standing moved with it and the inspector's draft
    for the school dropped, in one transaction; a resent form (same submit_key) returns the
    inspection it made. Refused (`InspectionRefused`, nothing written) when the school is not
    the team's or `version` is no longer its latest."""
    with transaction(db):
        existing = inspection_by_submit_key(db, school_code, submit_key)
        if existing:
            return existing, False
        assigned = query_one(db, "SELECT team FROM team_schools WHERE school_code = ?", [school_code])
        if assigned is None or assigned["team"] != team:
            raise InspectionRefused("该校不属于本检查组，核查结果未保存。")
        latest = query_one(db, "SELECT MAX(version) AS version FROM declarations WHERE school_code = ?", [school_code])
        if latest["version"] != version:
            raise InspectionRefused(
                f"该校已提交新的申报（第 {latest['version']} 版），核查结果未保存：请按最新版本重新核查。"
                if latest["version"]
                else "该校尚未提交申报，核查结果未保存。"
            )
        whole = to_row(InspectionFields.model_validate(inspection.model_dump()))
        row = {
            "school_code": school_code,
            "team": team,
            "declaration_version": version,
            **whole,
            "submitted_at": clock.timestamp(),
            "inspector": inspector,
            "submit_key": submit_key,
        }
        inspection_id = db.execute(insert_sql("inspections", list(row)), list(row.values())).lastrowid
        findings = findings_of(inspection)
        db.conn.executemany(
            insert_sql("inspection_findings", ["inspection_id", "field", "finding", "note"]),
            [(inspection_id, f.field, f.finding, f.note) for f in findings],
        )
        db.execute("DELETE FROM inspection_drafts WHERE inspector = ? AND school_code = ?", [inspector, school_code])
        refresh_standings(db, [school_code])  # the school's 核查 state and the verdict the bureau sees
        audit(
            db,
            f"admin:{inspector}",
            "inspection.submit",
            school_code,
            {
                "inspection": inspection_id,
                "team": team,
                "version": version,
                "contradicted": [f.field for f in findings if f.finding == CONTRADICTED],
            },
        )
    return inspection_by_id(db, inspection_id), True


def inspection_by_submit_key(db, school_code: str, submit_key: str) -> dict | None:
    """The inspection a submit form already made (a double click or a resent form)."""
    return query_one(
        db, "SELECT * FROM inspections WHERE school_code = ? AND submit_key = ?", [school_code, submit_key]
    )


def inspection_by_id(db, inspection_id: int) -> dict | None:
    return query_one(db, "SELECT * FROM inspections WHERE id = ?", [inspection_id])


def inspection_findings(db, inspection_id: int) -> list[schemas.inspection.Finding]:
    """Every item of an inspection as found, in form order."""
    rows = query_rows(
        db,
        "SELECT field, finding, note FROM inspection_findings WHERE inspection_id = ? ORDER BY rowid",
        [inspection_id],
    )
    return [schemas.inspection.Finding(r["field"], r["finding"], r["note"]) for r in rows]


def school_inspections(db, school_code: str) -> list[dict]:
    """Every inspection of the school, newest first."""
    return query_rows(db, "SELECT * FROM inspections WHERE school_code = ? ORDER BY id DESC", [school_code])


def latest_inspection(db, school_code: str) -> dict | None:
    return query_one(db, "SELECT * FROM inspections WHERE school_code = ? ORDER BY id DESC LIMIT 1", [school_code])


def overdue_rectifications(db, today) -> list[dict]:
    """Schools whose latest inspection found an item 不符 in their latest version and whose 整改期限
    has passed (before `today`) with no new version since: code, name, township, rectify_by,
    inspection (its id), by deadline then code."""
    return query_rows(
        db,
        """SELECT s.code, s.name, s.township, i.rectify_by, i.id AS inspection FROM inspections i
           JOIN schools s ON s.code = i.school_code
           WHERE i.id IN (SELECT MAX(id) FROM inspections GROUP BY school_code)
             AND i.rectify_by < :today
             AND i.declaration_version = (SELECT MAX(version) FROM declarations d WHERE d.school_code = i.school_code)
             AND EXISTS (SELECT 1 FROM inspection_findings f WHERE f.inspection_id = i.id AND f.finding = :contradicted)
           ORDER BY i.rectify_by, s.code""",
        {"today": today.isoformat(), "contradicted": CONTRADICTED},
    )
