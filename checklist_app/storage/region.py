"""What the upper level's console reads (a city, a province: issue 17): its counties' rows as
`rollup.py` takes them in, counted per county, per township and per school, and the download of
the whole.

Nothing here writes a county's rows. A province holds 20,000 schools and a million pledges and
roster rows; matching every roster row to the pledges on each view would take seconds, so each
school's tallies are worked out once, when its county's download is taken in: `add_download`
writes the county's row of `rollup_counties` last, in the same transaction as its rows, and a
trigger on that row (`TALLY_TRIGGER`) counts that county's schools afresh into
`rollup_school_tallies`, one set-based statement per county. The tallies are of the pledge
version the county's download names, and the verdict is the one stored with each school's latest
declaration (the county's verdict at submission, under the county's own settings). A page then
reads one row per school or a GROUP BY over them, helped by the indexes `m008` makes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from schemas import CountySettings
from schemas.dictionary import COUNTY_COLUMNS, UPPER_TABLES, public_columns
from schemas.verdict import LEGAL_CONDITIONS

from .connection import export_file, query_one, query_rows
from .overview import SCHOOL_ROW_COLUMNS
from .rollup import COUNTIES, KEPT_TABLES
from .schools import DECLARING_KINDS_JSON

TALLIES = "rollup_school_tallies"
LEGAL_JSON = json.dumps(list(LEGAL_CONDITIONS))

# Each school of one county (`{code}`, under its download's pledge version `{version}`) counted.
_TALLY_SELECT = f"""SELECT s.region_code, s.code,
      (SELECT COUNT(*) FROM rollup_pledges p
        WHERE p.region_code = s.region_code AND p.school_code = s.code AND p.pledge_version = {{version}}),
      (SELECT COUNT(*) FROM rollup_roster r WHERE r.region_code = s.region_code AND r.school_code = s.code),
      (SELECT COUNT(*) FROM rollup_roster r WHERE r.region_code = s.region_code AND r.school_code = s.code
        AND EXISTS (SELECT 1 FROM rollup_pledges p
          WHERE p.region_code = r.region_code AND p.school_code = r.school_code AND p.name = r.name
            AND p.phone = r.phone AND p.pledge_version = {{version}})),
      d.version, d.submitted_at, d.verdict,
      CASE WHEN json_valid(d.gaps) THEN (SELECT COUNT(*) FROM json_each(d.gaps)
        WHERE json_extract(value, '$.condition') IN (SELECT value FROM json_each('{LEGAL_JSON}'))) ELSE 0 END
    FROM rollup_schools s
    LEFT JOIN (SELECT school_code, MAX(version) AS version, submitted_at, verdict, gaps
               FROM rollup_declarations WHERE region_code = {{code}} GROUP BY school_code) d
      ON d.school_code = s.code
    WHERE s.region_code = {{code}}"""

TALLY_TRIGGER = f"""CREATE TRIGGER rollup_counties_tally AFTER INSERT ON {COUNTIES} BEGIN
    DELETE FROM {TALLIES} WHERE region_code = NEW.region_code;
    INSERT INTO {TALLIES} {_TALLY_SELECT.format(code="NEW.region_code", version="NEW.pledge_version")};
END"""

INDEXES = (
    "CREATE INDEX rollup_declarations_latest ON rollup_declarations (region_code, school_code, version)",
    "CREATE INDEX rollup_pledges_signer ON rollup_pledges (region_code, school_code, name, phone, pledge_version)",
    "CREATE INDEX rollup_roster_school ON rollup_roster (region_code, school_code)",
    "CREATE INDEX rollup_ledger_reports_day ON rollup_ledger_reports (report_date, region_code, school_code)",
    "CREATE INDEX rollup_schools_township ON rollup_schools (region_code, township)",
)


def create_tallies(db) -> None:
    """The tallies table, its trigger and the indexes the console reads by; the counties
    already held are counted now."""
    db.execute(
        f"""CREATE TABLE {TALLIES} (
            region_code TEXT NOT NULL, school_code TEXT NOT NULL,
            pledges INTEGER NOT NULL, -- of the pledge version the county's download names
            roster_size INTEGER NOT NULL, roster_signed INTEGER NOT NULL,
            version INTEGER, submitted_at TEXT, verdict TEXT, -- the latest declaration's (NULL: none)
            legal_gaps INTEGER NOT NULL, -- its stored gaps of the three conditions
            PRIMARY KEY (region_code, school_code))"""
    )
    for sql in INDEXES:
        db.execute(sql)
    db.execute(TALLY_TRIGGER)
    counted = f"INSERT INTO {TALLIES} {_TALLY_SELECT.format(code=':code', version=':version')}"
    for code, version in db.execute(f"SELECT region_code, pledge_version FROM {COUNTIES}").fetchall():
        db.execute(counted, {"code": code, "version": version})


# --- the counties --------------------------------------------------------------------------------


def county(db, code: str) -> dict | None:
    """The county `code` as held: whose download, when taken, under which versions."""
    return query_one(db, f"SELECT * FROM {COUNTIES} WHERE region_code = ?", [code])


def county_settings(db, code: str) -> CountySettings:
    """The county's settings as its download carried them (those this program knows)."""
    stored = {
        r["key"]: json.loads(r["value"])
        for r in query_rows(db, "SELECT key, value FROM rollup_settings WHERE region_code = ?", [code])
    }
    known = {k: v for k, v in stored.items() if k in CountySettings.model_fields}
    return CountySettings.model_validate(known, context={"stored": True})


_DECLARES = "s.kind IN (SELECT value FROM json_each(:declaring))"
# The dashboard's counts of a group of schools (`standings.counts`' keys), from their tallies.
_COUNTS = f"""SUM({_DECLARES}) AS schools,
    SUM({_DECLARES} AND t.version IS NOT NULL) AS declared,
    SUM({_DECLARES} AND t.verdict = 'ready') AS ready,
    SUM({_DECLARES} AND t.verdict = 'not_ready') AS not_ready,
    SUM(t.pledges) AS pledges, SUM(t.roster_size) AS roster_size, SUM(t.roster_signed) AS roster_signed,
    SUM(t.roster_size = 0) AS without_roster"""
_LEDGER = f"""SELECT r.region_code, {{group}} AS grouped, COUNT(*) AS reported,
      SUM(r.staff_out_of_province) AS staff_out_of_province
    FROM rollup_ledger_reports r
    JOIN rollup_schools s ON s.region_code = r.region_code AND s.code = r.school_code
    WHERE r.report_date = :day AND {_DECLARES} {{where}}
    GROUP BY r.region_code, grouped"""


def _groups(db, group: str, where: str, day: dt.date, params: dict) -> list[dict]:
    """The counts of each group of schools (`group`: an expression over `s`), with the day's
    ledger: schools reported and staff outside the province."""
    params = {**params, "declaring": DECLARING_KINDS_JSON, "day": day.isoformat()}
    rows = query_rows(
        db,
        f"""SELECT s.region_code, {group} AS grouped, {_COUNTS}
            FROM rollup_schools s
            JOIN {TALLIES} t ON t.region_code = s.region_code AND t.school_code = s.code
            WHERE 1 {where} GROUP BY s.region_code, grouped ORDER BY s.region_code, grouped""",
        params,
    )
    ledger = {
        (r["region_code"], r["grouped"]): r for r in query_rows(db, _LEDGER.format(group=group, where=where), params)
    }
    for row in rows:
        day_row = ledger.get((row["region_code"], row["grouped"]), {})
        row["reported"] = day_row.get("reported", 0)
        row["staff_out_of_province"] = day_row.get("staff_out_of_province", 0)
    return rows


def county_groups(db, day: dt.date) -> list[dict]:
    """Every county held: its counts and the day's ledger, by region code."""
    return _groups(db, "''", "", day, {})


def township_groups(db, code: str, day: dt.date) -> list[dict]:
    """Each township of the county `code`: its counts and the day's ledger."""
    return _groups(db, "s.township", "AND s.region_code = :code", day, {"code": code})


def school_rows(db, code: str, township: str | None = None, make=tuple) -> list:
    """Every organisation of the county `code` (of one township), each `make(values)` of
    `SCHOOL_ROW_COLUMNS` as the county's dashboard reads them: the stored verdict of its latest
    declaration is both the verdict stored and the verdict now (the upper level judges nothing
    again), nothing changed; a column the upper level does not hold is None."""
    cursor = db.conn.execute(
        f"""SELECT s.code, s.name, s.kind, s.township, s.access_code_issued_at IS NOT NULL AS has_access_code,
                  t.pledges, t.roster_size, t.roster_signed, t.version, t.submitted_at,
                  t.verdict AS verdict_stored, t.verdict AS verdict_now, t.legal_gaps AS legal_gaps_now, 0 AS changed
           FROM rollup_schools s
           JOIN {TALLIES} t ON t.region_code = s.region_code AND t.school_code = s.code
           WHERE s.region_code = :code AND (:township IS NULL OR s.township = :township)
           ORDER BY s.township, s.code""",
        {"code": code, "township": township},
    )
    names = [column[0] for column in cursor.description]
    return [make(tuple(dict(zip(names, row, strict=True)).get(c) for c in SCHOOL_ROW_COLUMNS)) for row in cursor]


def unsigned_count(db, code: str, township: str | None = None) -> int:
    (count,) = db.execute(
        f"""SELECT COALESCE(SUM(t.roster_size - t.roster_signed), 0) FROM {TALLIES} t
            JOIN rollup_schools s ON s.region_code = t.region_code AND s.code = t.school_code
            WHERE t.region_code = :code AND (:township IS NULL OR s.township = :township)""",
        {"code": code, "township": township},
    ).fetchone()
    return count


def unsigned_roster(db, code: str, township: str | None = None) -> list[dict]:
    """Everyone on a roster of the county `code` (of one township) who has not signed the
    pledge version its download names."""
    return query_rows(
        db,
        f"""SELECT r.school_code, r.name, r.role FROM rollup_roster r
            JOIN rollup_schools s ON s.region_code = r.region_code AND s.code = r.school_code
            WHERE r.region_code = :code AND (:township IS NULL OR s.township = :township)
              AND r.school_code IN (
                SELECT school_code FROM {TALLIES} WHERE region_code = :code AND roster_size > roster_signed)
              AND NOT EXISTS (SELECT 1 FROM rollup_pledges p
                WHERE p.region_code = r.region_code AND p.school_code = r.school_code AND p.name = r.name
                  AND p.phone = r.phone
                  AND p.pledge_version = (SELECT pledge_version FROM {COUNTIES} WHERE region_code = :code))
            ORDER BY r.school_code, r.id""",
        {"code": code, "township": township},
    )


def ledger_day_schools(db, code: str, day: dt.date, township: str | None = None) -> list[dict]:
    """Every school of the county `code` (of one township; the bureau's organisation aside) with
    its report of the day; `report_id` is None for a school that has not reported."""
    return query_rows(
        db,
        f"""SELECT s.code, s.name, s.township, r.id AS report_id, r.submitted_at, r.late,
                   r.staff_out_of_province
            FROM rollup_schools s
            LEFT JOIN rollup_ledger_reports r
              ON r.region_code = s.region_code AND r.school_code = s.code AND r.report_date = :day
            WHERE s.region_code = :code AND (:township IS NULL OR s.township = :township) AND {_DECLARES}
            ORDER BY s.township, s.code""",
        {"code": code, "township": township, "day": day.isoformat(), "declaring": DECLARING_KINDS_JSON},
    )


def latest_gaps(db, code: str, township: str) -> dict[str, tuple[str, list[dict]]]:
    """The verdict and gaps stored with the latest declaration of each school of one township."""
    rows = db.execute(
        f"""SELECT d.school_code, d.verdict, d.gaps FROM rollup_declarations d
            JOIN {TALLIES} t ON t.region_code = d.region_code AND t.school_code = d.school_code
              AND t.version = d.version
            JOIN rollup_schools s ON s.region_code = d.region_code AND s.code = d.school_code
            WHERE d.region_code = ? AND s.township = ?""",
        [code, township],
    )
    return {school: (verdict, json.loads(gaps) if gaps else []) for school, verdict, gaps in rows}


# --- what each page reads, in one read transaction so that its parts agree ----------------------


@contextmanager
def _reading(db):
    db.conn.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.execute("ROLLBACK")  # it only read


def region_overview(db, day: dt.date) -> dict:
    """Every county held (`counties`) and each county's counts and ledger of `day` (`groups`)."""
    with _reading(db):
        return {
            "counties": query_rows(db, f"SELECT * FROM {COUNTIES} ORDER BY region_code"),
            "groups": county_groups(db, day),
        }


def county_overview(db, code: str, day: dt.date, unsigned_limit: int, make=tuple) -> dict | None:
    """The county `code` held (None when it is not): its row of `rollup_counties`, its
    settings, its townships' counts and ledger of `day`, every organisation
    (`school_rows`), every school's report of the day, and everyone not signed while they are at
    most `unsigned_limit` (else None)."""
    with _reading(db):
        held = county(db, code)
        if held is None:
            return None
        return {
            "county": held,
            "settings": county_settings(db, code),
            "townships": township_groups(db, code, day),
            "schools": school_rows(db, code, make=make),
            "day_schools": ledger_day_schools(db, code, day),
            "unsigned": unsigned_roster(db, code) if unsigned_count(db, code) <= unsigned_limit else None,
        }


def township_overview(db, code: str, township: str, day: dt.date, unsigned_limit: int, make=tuple) -> dict | None:
    """One township of the county `code` (None when the county is not held or the township has
    no school): the county, its schools, their latest verdicts and gaps, their reports of
    `day`, and everyone of the township not signed while they are at most `unsigned_limit`."""
    with _reading(db):
        held = county(db, code)
        schools = school_rows(db, code, township, make=make) if held else []
        if not schools:
            return None
        return {
            "county": held,
            "schools": schools,
            "gaps": latest_gaps(db, code, township),
            "day_schools": ledger_day_schools(db, code, day, township),
            "unsigned": (
                unsigned_roster(db, code, township) if unsigned_count(db, code, township) <= unsigned_limit else None
            ),
        }


# --- the download of the whole -------------------------------------------------------------------


def region_snapshot(db, dest: str | Path) -> Path:
    """The upper level's download, as `archive.snapshot` is the county's: every county table of
    the allowlist under its own name, each row led by its county (`COUNTY_COLUMNS`: region code
    and name) and then the table's public columns, the `latest_declarations` view over them,
    and `counties`, one row per county with the time of its download. Copied inside one read
    transaction, into a new file synced once at the end; the same CSV and XLSX makers read it."""
    with export_file(db, dest) as conn:
        _copy(conn, COUNTIES, "counties", UPPER_TABLES["counties"].columns, with_name=False)
        for table in KEPT_TABLES:
            public = public_columns(table)
            names = [r[1] for r in conn.execute(f'PRAGMA main.table_info("rollup_{table}")') if r[1] in public]
            _copy(conn, f"rollup_{table}", table, names)
        conn.execute("CREATE INDEX export.declarations_latest ON declarations (region_code, school_code, version)")
        conn.execute(
            """CREATE VIEW export.latest_declarations AS SELECT d.* FROM declarations d
               JOIN (SELECT region_code, school_code, MAX(version) AS version FROM declarations
                     GROUP BY region_code, school_code) m
                 ON m.region_code = d.region_code AND m.school_code = d.school_code AND m.version = d.version"""
        )
    return Path(dest)


def _copy(conn: sqlite3.Connection, source: str, table: str, names, with_name: bool = True) -> None:
    """`source`'s columns `names` into export.`table`, typed as `source` types them; led by the
    county's region code and name (`with_name`: the name looked up in the counties held)."""
    kinds = {r[1]: r[2] for r in conn.execute(f'PRAGMA main.table_info("{source}")')}
    lead = COUNTY_COLUMNS if with_name else ()
    columns = [*lead, *(n for n in names if n not in lead)]
    typed = ", ".join(f'"{c}" {kinds.get(c) or "TEXT"}' for c in columns)
    conn.execute(f'CREATE TABLE export."{table}" ({typed})')
    picked = ", ".join("c.region_name" if c == "region_name" and with_name else f't."{c}"' for c in columns)
    join = f" JOIN main.{COUNTIES} c ON c.region_code = t.region_code" if with_name else ""
    conn.execute(
        f'INSERT INTO export."{table}" SELECT {picked} FROM main."{source}" t{join} ORDER BY t.region_code, t.rowid'
    )
