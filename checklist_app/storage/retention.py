"""Retention: the bureau may purge pledges and declarations older than a date it chooses (PIPL)."""

from __future__ import annotations

import datetime as dt

import schemas
from schemas import clock

from .audit import audit
from .connection import transaction
from .derived import recompute_derived

PURGED_PLEDGES = "FROM pledges WHERE substr(submitted_at, 1, 10) < :before"
PURGED_DECLARATIONS = """FROM declarations WHERE substr(submitted_at, 1, 10) < :before
    AND version < (SELECT MAX(version) FROM declarations l WHERE l.school_code = declarations.school_code)"""


def purge_before(db, before: dt.date | str, dry_run: bool = True, actor: str = "cli") -> dict:
    """Delete pledges and declarations submitted before the local date `before` (PIPL: keep
    personal data no longer than needed), audited; `dry_run` counts what would go and changes
    nothing.

    Each school's latest declaration stays, however old: it is the school's current standing on
    the county board, and keeping it keeps version numbers from being reused. Deleted rows are
    overwritten in the file (secure_delete); backups taken earlier keep them until rotated away.
    """
    before = before if isinstance(before, dt.date) else dt.date.fromisoformat(before)
    if before > clock.now().date():
        raise ValueError("before must not be after today")
    params = {"before": before.isoformat(), "version": schemas.PLEDGE_VERSION}
    if dry_run:
        return _purge_counts(db, params) | {"dry_run": True}
    previous = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(db):
            report = _purge_counts(db, params) | {"dry_run": False}
            db.execute(f"DELETE FROM pledge_browsers WHERE reference IN (SELECT reference {PURGED_PLEDGES})", params)
            db.execute(f"DELETE {PURGED_PLEDGES}", params)
            db.execute(f"DELETE {PURGED_DECLARATIONS}", params)
            recompute_derived(db)  # the triggers followed; a bulk change is counted again whole
            audit(
                db,
                actor,
                "retention.purge",
                params["before"],
                {k: report[k] for k in ("before", "pledges", "declarations", "kept_latest")}
                | {"schools": {s["code"]: [s["pledges"], s["declarations"]] for s in report["schools"]}},
            )
    finally:
        db.execute(f"PRAGMA secure_delete = {int(previous)}")
    return report


def _purge_counts(db, params: dict) -> dict:
    (pledges,) = db.execute(f"SELECT COUNT(*) {PURGED_PLEDGES}", params).fetchone()
    (current,) = db.execute(f"SELECT COUNT(*) {PURGED_PLEDGES} AND pledge_version = :version", params).fetchone()
    (declarations,) = db.execute(f"SELECT COUNT(*) {PURGED_DECLARATIONS}", params).fetchone()
    (kept,) = db.execute(
        "SELECT COUNT(*) FROM latest_declarations WHERE substr(submitted_at, 1, 10) < :before", params
    ).fetchone()
    schools = list(
        db.query(
            f"""SELECT s.code, s.name, COALESCE(p.n, 0) AS pledges, COALESCE(d.n, 0) AS declarations
            FROM schools s
            LEFT JOIN (SELECT school_code, COUNT(*) AS n {PURGED_PLEDGES} GROUP BY school_code) p
              ON p.school_code = s.code
            LEFT JOIN (SELECT school_code, COUNT(*) AS n {PURGED_DECLARATIONS} GROUP BY school_code) d
              ON d.school_code = s.code
            WHERE p.n > 0 OR d.n > 0 ORDER BY s.township, s.code""",
            params,
        )
    )
    return {
        "before": params["before"],
        "pledges": pledges,
        "current_version_pledges": current,
        "declarations": declarations,
        "kept_latest": kept,
        "schools": schools,
    }
