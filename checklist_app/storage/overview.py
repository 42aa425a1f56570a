"""The county at a glance in a handful of queries, whatever the number of schools."""

from __future__ import annotations

import schemas
from schemas import CountySettings
from schemas.verdict import SUMMARY_COLUMNS

from .derived import (
    fresh_standings,
    stale_standings,
    standings_basis,
    stored_standings_basis,
)
from .schools import DECLARING_KINDS_JSON

# The county at a glance in a handful of queries, whatever the number of schools: one row per
# organisation from the derived tables above, never one query per school.


def county_overview(db, settings: CountySettings, unsigned_limit: int, make=tuple) -> dict[str, list | None]:
    """What the dashboard shows, read in one transaction so that its parts agree: every
    organisation with its counts and standing under `settings` (`schools`, see `school_rows`),
    and everyone on a roster who has not signed (`unsigned`) while they are at most
    `unsigned_limit`, else None."""
    db.conn.execute("BEGIN")
    try:
        schools = school_rows(db, settings, make)
        (size,) = db.execute("SELECT COALESCE(SUM(roster_size), 0) FROM roster_tallies").fetchone()
        (signed,) = db.execute(
            "SELECT COALESCE(SUM(roster_signed), 0) FROM pledge_tallies WHERE pledge_version = ?",
            [schemas.PLEDGE_VERSION],
        ).fetchone()
        return {
            "schools": schools,
            "unsigned": unsigned_roster(db) if size - signed <= unsigned_limit else None,
        }
    finally:
        db.conn.execute("ROLLBACK")  # it only read


# The columns of `school_rows`, in order: the organisation and its counts, then its standing's
# summary (`schemas.Standing.summary`).
SCHOOL_ROW_COLUMNS = (
    "code",
    "name",
    "kind",
    "township",
    "has_access_code",
    "pledges",
    "roster_size",
    "roster_signed",
    *SUMMARY_COLUMNS,
)
_UNDECLARED = (None, None, None, None, 0, 0, None, None, 0, None)


def school_rows(db, settings: CountySettings, make=tuple) -> list:
    """Every organisation in township and code order, each `make(values)` of SCHOOL_ROW_COLUMNS:
    its counts (pledges of the current version, roster size, how many on the roster signed) and
    its standing under `settings` (latest version, when, the verdict stored with it, the verdict
    the bureau sees and its number of legal gaps now, whether today's settings changed the
    school's own, the school's own, the 核查 state, how many items were found 相符 and the 整改期限
    of a 不符); None and 0 where it has not declared,
    and for the bureau's own organisation, which declares nothing. No secrets: only whether an
    access code was issued. Plain tuples, not a dict per row: a province has 20,000 of them.
    """
    everything = stored_standings_basis(db) != standings_basis(settings)  # other settings or rules
    stale = set() if everything else set(stale_standings(db))
    rows = db.conn.execute(
        """SELECT s.code, s.name, s.kind, s.township, s.access_code_hash IS NOT NULL,
                  COALESCE(p.pledges, 0), COALESCE(r.roster_size, 0), COALESCE(p.roster_signed, 0),
                  d.version, d.submitted_at, d.verdict, d.verdict_now,
                  COALESCE(d.legal_gaps_now, 0), COALESCE(d.changed, 0),
                  d.verdict_own, d.inspection, COALESCE(d.inspected_items, 0), d.rectify_by
           FROM schools s
           LEFT JOIN pledge_tallies p ON p.school_code = s.code AND p.pledge_version = :version
           LEFT JOIN roster_tallies r ON r.school_code = s.code
           LEFT JOIN school_standings d ON d.school_code = s.code AND s.kind IN (SELECT value FROM json_each(:declaring))
           ORDER BY s.township, s.code""",
        {"version": schemas.PLEDGE_VERSION, "declaring": DECLARING_KINDS_JSON},
    )
    if not (everything or stale):
        return list(map(make, rows))
    # slower, never wrong: standings worked out afresh from the declarations
    fresh = fresh_standings(db, settings, None if everything else sorted(stale))
    out = []
    for row in rows:
        if schemas.declares(row[2]) and (everything or row[0] in stale):
            standing = fresh.get(row[0])
            row = row[:8] + (standing.summary() if standing else _UNDECLARED)
        out.append(make(row))
    return out


UNSIGNED_ROSTER_SQL = """SELECT r.school_code, r.name, r.role FROM roster r
    WHERE r.school_code IN (
      SELECT t.school_code FROM roster_tallies t
      LEFT JOIN pledge_tallies p ON p.school_code = t.school_code AND p.pledge_version = :version
      WHERE t.roster_size > COALESCE(p.roster_signed, 0))
    AND NOT EXISTS (
      SELECT 1 FROM pledges p WHERE p.school_code = r.school_code AND p.name = r.name
       AND p.phone = r.phone AND p.pledge_version = :version)
    ORDER BY r.school_code, r.id"""


def unsigned_roster(db) -> list[dict]:
    """Everyone on a roster who has not signed the current pledge version, county-wide. Only the
    rosters of schools whose tallies say someone has not signed are matched to the pledges."""
    return list(db.query(UNSIGNED_ROSTER_SQL, {"version": schemas.PLEDGE_VERSION}))


def schools_without_access_code(db) -> list[str]:
    return [r["code"] for r in db.query("SELECT code FROM schools WHERE access_code_hash IS NULL ORDER BY code")]
