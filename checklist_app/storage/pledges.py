"""Staff pledges and the roster they are matched against."""

from __future__ import annotations

import hmac
import sqlite3

import schemas
from schemas import Pledge, clock

from .audit import audit
from .columns import to_row
from .connection import insert_sql, query_one, transaction
from .schools import random_code
from .sessions import token_digest

REFERENCE_LENGTH = 8


def record_pledge(db, school_code: str, pledge: Pledge, text_sha256: str, browser: str = "") -> tuple[dict, bool]:
    """Store a pledge once per person and version; a repeat returns the first one unchanged.
    `browser` names the browser that signed (see `signed_in`)."""
    key = [school_code, pledge.name, pledge.phone, schemas.PLEDGE_VERSION]
    for _attempt in range(5):
        try:
            with transaction(db):
                cursor = db.execute(
                    insert_sql(
                        "pledges",
                        [
                            "school_code",
                            "pledge_version",
                            *Pledge.model_fields,
                            "text_sha256",
                            "reference",
                            "submitted_at",
                        ],
                    )
                    + " ON CONFLICT(school_code, name, phone, pledge_version) DO NOTHING",
                    [
                        school_code,
                        schemas.PLEDGE_VERSION,
                        *to_row(pledge).values(),
                        text_sha256,
                        reference := random_code(REFERENCE_LENGTH),
                        clock.timestamp(),
                    ],
                )
                created = cursor.rowcount == 1
                if created:
                    db["pledge_browsers"].insert({"reference": reference, "browser_sha256": token_digest(browser)})
        except sqlite3.IntegrityError:  # the rare reference collision: draw another
            continue
        row = query_one(
            db,
            "SELECT * FROM pledges WHERE school_code = ? AND name = ? AND phone = ? AND pledge_version = ?",
            key,
        )
        return row, created
    raise RuntimeError("could not draw a unique pledge reference")


def signed_in(db, reference: str, browser: str) -> bool:
    """Whether the pledge of this reference was signed in this browser."""
    row = query_one(db, "SELECT browser_sha256 FROM pledge_browsers WHERE reference = ?", [reference])
    return bool(browser) and row is not None and hmac.compare_digest(row["browser_sha256"], token_digest(browser))


def replace_roster(db, school_code: str, people: list[dict], actor: str) -> int:
    """Replace a school's staff list (name, phone, role) in one transaction."""
    stamp = clock.timestamp()
    with transaction(db):
        db.execute("DELETE FROM roster WHERE school_code = ?", [school_code])
        db["roster"].insert_all({"school_code": school_code, **person, "uploaded_at": stamp} for person in people)
        audit(db, actor, "roster.upload", school_code, {"rows": len(people)})
    return len(people)


def roster_status(db, school_code: str) -> dict[str, list[dict]]:
    """Who on the roster has signed the current pledge version, who has not, and who signed
    without being on the roster (kept, flagged). A person is matched by name and phone.

    Not signed the current version = `unsigned` (no version at all) + `signed_earlier` (已签旧版:
    only an earlier version, with the latest they signed), kept apart so the bureau can decide
    whether to ask them again."""
    version = schemas.PLEDGE_VERSION
    signed = list(
        db.query(
            """SELECT r.name, r.phone, r.role, p.reference, p.submitted_at FROM roster r
           JOIN pledges p ON p.school_code = r.school_code AND p.name = r.name AND p.phone = r.phone
            AND p.pledge_version = ?
           WHERE r.school_code = ? ORDER BY r.id""",
            [version, school_code],
        )
    )
    not_current = list(
        db.query(
            """SELECT r.name, r.phone, r.role, (SELECT MAX(p.pledge_version) FROM pledges p
               WHERE p.school_code = r.school_code AND p.name = r.name AND p.phone = r.phone) AS earlier_version
           FROM roster r WHERE r.school_code = ? AND NOT EXISTS (
             SELECT 1 FROM pledges p WHERE p.school_code = r.school_code AND p.name = r.name
              AND p.phone = r.phone AND p.pledge_version = ?) ORDER BY r.id""",
            [school_code, version],
        )
    )
    not_on_roster = list(
        db.query(
            """SELECT p.name, p.phone, p.role, p.reference, p.submitted_at FROM pledges p
           WHERE p.school_code = ? AND p.pledge_version = ? AND NOT EXISTS (
             SELECT 1 FROM roster r WHERE r.school_code = p.school_code AND r.name = p.name
              AND r.phone = p.phone) ORDER BY p.id""",
            [school_code, version],
        )
    )
    return {
        "signed": signed,
        "unsigned": [r for r in not_current if r["earlier_version"] is None],
        "signed_earlier": [r for r in not_current if r["earlier_version"] is not None],
        "not_on_roster": not_on_roster,
    }


def pledge_by_reference(db, school_code: str, reference: str) -> dict | None:
    """One school's pledge by its receipt reference (the receipt page asks for both)."""
    return query_one(db, "SELECT * FROM pledges WHERE school_code = ? AND reference = ?", [school_code, reference])
