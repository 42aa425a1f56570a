"""The readiness declaration: drafts per section and the submitted versions."""

from __future__ import annotations

import json

from pydantic import BaseModel

import schemas
from schemas import clock

from .audit import audit
from .columns import to_row
from .connection import insert_sql, query_one, query_rows, transaction
from .derived import refresh_standings


def save_draft(db, school_code: str, section: str, answers: dict[str, str]) -> None:
    """A section's answers as typed, replacing its draft: one statement in one transaction."""
    with transaction(db):
        _put_draft(db, school_code, section, answers)


def _put_draft(db, school_code: str, section: str, answers: dict[str, str]) -> None:
    db.execute(
        "INSERT INTO declaration_drafts (school_code, section, answers, saved_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (school_code, section) DO UPDATE SET answers = excluded.answers, saved_at = excluded.saved_at",
        [school_code, section, json.dumps(answers, ensure_ascii=False), clock.timestamp()],
    )


def load_drafts(db, school_code: str) -> dict[str, dict[str, str]]:
    """The saved answers of each section, as typed."""
    rows = query_rows(db, "SELECT section, answers FROM declaration_drafts WHERE school_code = ?", [school_code])
    return {r["section"]: json.loads(r["answers"]) for r in rows}


def record_declaration(
    db,
    school_code: str,
    declaration: BaseModel,
    verdict: schemas.Verdict,
    submit_key: str,
    forget: tuple[str, str] | None = None,
) -> tuple[dict, bool]:
    """Record a new version; a resent form (same submit_key) returns the version it made.

    `forget` = (section, field): an answer of the draft that each version must be given afresh
    (the promise), dropped in the same transaction as the version is recorded.
    """
    with transaction(db):
        existing = declaration_by_submit_key(db, school_code, submit_key)
        if existing:
            return existing, False
        (version,) = db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM declarations WHERE school_code = ?",
            [school_code],
        ).fetchone()
        row = {
            "school_code": school_code,
            "version": version,
            "submitted_at": clock.timestamp(),
            "schema_version": schemas.SCHEMA_VERSION,
            "verdict": verdict.value,
            "gaps": json.dumps([g.as_dict() for g in verdict.gaps], ensure_ascii=False),
            "submit_key": submit_key,
            **to_row(declaration),
        }
        db.execute(insert_sql("declarations", list(row)), list(row.values()))
        refresh_standings(db, [school_code])  # the school's standing moves with its new version
        if forget is not None:
            section, field = forget
            answers = load_drafts(db, school_code).get(section)
            if answers and field in answers:
                _put_draft(db, school_code, section, {k: v for k, v in answers.items() if k != field})
        audit(db, f"school:{school_code}", "declaration.submit", school_code, {"version": version})
    return declaration_version(db, school_code, version), True


def declaration_by_submit_key(db, school_code: str, submit_key: str) -> dict | None:
    """The version a submit form already made (a double click or a resent form)."""
    return query_one(
        db,
        "SELECT * FROM declarations WHERE school_code = ? AND submit_key = ?",
        [school_code, submit_key],
    )


def declaration_version(db, school_code: str, version: int) -> dict | None:
    return query_one(db, "SELECT * FROM declarations WHERE school_code = ? AND version = ?", [school_code, version])


def previous_declaration(db, school_code: str, version: int) -> dict | None:
    """The version submitted before `version`, to show what changed."""
    return query_one(
        db,
        "SELECT * FROM declarations WHERE school_code = ? AND version < ? ORDER BY version DESC LIMIT 1",
        [school_code, version],
    )


def declaration_versions(db, school_code: str) -> list[dict]:
    return list(db.query("SELECT * FROM declarations WHERE school_code = ? ORDER BY version DESC", [school_code]))


def latest_declaration(db, school_code: str) -> dict | None:
    return query_one(db, "SELECT * FROM latest_declarations WHERE school_code = ?", [school_code])
