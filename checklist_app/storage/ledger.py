"""The daily tracking ledger (跟踪台账): one report per school per day."""

from __future__ import annotations

import datetime as dt
import json

import schemas
from schemas import clock
from schemas.ledger import LedgerReport, is_late

from .audit import audit
from .columns import to_row
from .connection import query_one, transaction
from .schools import DECLARING_KINDS_JSON


def record_ledger_report(db, school_code: str, report: LedgerReport, deadline: dt.time) -> tuple[dict, dict | None]:
    """Store the day's report; a same-day correction replaces the row, audited old -> new.

    Returns the stored row and, for a correction, the fields that changed as {field: (old, new)}.
    """
    at = clock.now()
    values = to_row(report)
    with transaction(db):
        old = query_one(
            db,
            "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date = ?",
            [school_code, values["report_date"]],
        )
        if old is None:
            db["ledger_reports"].insert(
                {
                    "school_code": school_code,
                    **values,
                    "submitted_at": at.isoformat(timespec="seconds"),
                    "updated_at": at.isoformat(timespec="seconds"),
                    "late": int(is_late(report.report_date, at, deadline)),
                }
            )
            changes = None
        else:
            changes = {k: (old[k], v) for k, v in values.items() if old[k] != v}
            db["ledger_reports"].update(old["id"], {**values, "updated_at": at.isoformat(timespec="seconds")})
            audit(
                db,
                f"school:{school_code}",
                "ledger.correct",
                school_code,
                {
                    "report_date": values["report_date"],
                    "changes": {k: {"old": o, "new": n} for k, (o, n) in changes.items()},
                },
            )
    row = query_one(
        db,
        "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date = ?",
        [school_code, values["report_date"]],
    )
    return row, changes


def last_ledger_report(db, school_code: str) -> dict | None:
    return query_one(
        db, "SELECT * FROM ledger_reports WHERE school_code = ? ORDER BY report_date DESC LIMIT 1", [school_code]
    )


# The school's own days and the county's day and trend, summed in SQL. The bureau's own
# organisation reports no ledger and is left out of every county figure.

LEDGER_SUMS = ", ".join(f'COALESCE(SUM(r."{name}"), 0) AS "{name}"' for name in schemas.ledger.TOTALS)


def ledger_report_on(db, school_code: str, day: dt.date) -> dict | None:
    return query_one(
        db, "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date = ?", [school_code, day.isoformat()]
    )


def ledger_report_before(db, school_code: str, day: dt.date) -> dict | None:
    """The school's latest report of a day before `day` (what a new report starts from)."""
    return query_one(
        db,
        "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date < ? ORDER BY report_date DESC LIMIT 1",
        [school_code, day.isoformat()],
    )


def ledger_reports_between(db, school_code: str, first: dt.date, last: dt.date) -> list[dict]:
    """One school's reports from `first` to `last` (inclusive), newest first."""
    return list(
        db.query(
            "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date BETWEEN ? AND ? ORDER BY report_date DESC",
            [school_code, first.isoformat(), last.isoformat()],
        )
    )


def ledger_last_correction(db, school_code: str, day: dt.date) -> dict | None:
    """The latest audited correction of one school's report of `day`, detail decoded."""
    row = query_one(
        db,
        """SELECT * FROM audit_log WHERE action = 'ledger.correct' AND target = ?
           AND json_extract(detail, '$.report_date') = ? ORDER BY id DESC LIMIT 1""",
        [school_code, day.isoformat()],
    )
    return {**row, "detail": json.loads(row["detail"])} if row else None


def ledger_day_totals(db, day: dt.date) -> dict:
    """The county's sums of `TOTALS` over the day's reports, and how many schools reported."""
    return query_one(
        db,
        f"""SELECT COUNT(r.id) AS reported, {LEDGER_SUMS}
            FROM ledger_reports r JOIN schools s ON s.code = r.school_code
            WHERE r.report_date = ? AND s.kind IN (SELECT value FROM json_each(?))""",
        [day.isoformat(), DECLARING_KINDS_JSON],
    )


def ledger_day_schools(db, day: dt.date) -> list[dict]:
    """Every school (the bureau's organisation aside) with the time and lateness of its report of
    the day; `report_id` is None for a school that has not reported."""
    return list(
        db.query(
            """SELECT s.code, s.name, s.township, r.id AS report_id, r.submitted_at, r.updated_at, r.late
           FROM schools s LEFT JOIN ledger_reports r ON r.school_code = s.code AND r.report_date = ?
           WHERE s.kind IN (SELECT value FROM json_each(?)) ORDER BY s.township, s.code""",
            [day.isoformat(), DECLARING_KINDS_JSON],
        )
    )


def ledger_township_days(db, first: dt.date, last: dt.date) -> list[dict]:
    """Per day and township from `first` to `last`: reports made and the sums of `TOTALS`."""
    return list(
        db.query(
            f"""SELECT r.report_date, s.township, COUNT(r.id) AS reported, {LEDGER_SUMS}
            FROM ledger_reports r JOIN schools s ON s.code = r.school_code
            WHERE r.report_date BETWEEN ? AND ? AND s.kind IN (SELECT value FROM json_each(?))
            GROUP BY r.report_date, s.township ORDER BY r.report_date, s.township""",
            [first.isoformat(), last.isoformat(), DECLARING_KINDS_JSON],
        )
    )
