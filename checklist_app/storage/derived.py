"""What the dashboard reads, worked out from the data: tallies kept by triggers and each school's standing."""

from __future__ import annotations

import hashlib
import inspect
import json
from functools import cache
from pathlib import Path
from typing import Iterator

import schemas
from schemas import CountySettings
from schemas.inspection import CONFIRMED, CONTRADICTED, NOT_INSPECTED, Finding, InspectionState, inspection_state
from schemas.readiness import fields_asked

from .columns import declaration_from_row
from .connection import insert_sql, query_one
from .settings import load_settings

# Tables worked out from the data for the dashboard (see "what the dashboard reads" below):
# rebuilt from the data at will and not data themselves, so no download carries them.
DERIVED_TABLES = ("school_standings", "pledge_tallies", "roster_tallies", "derived_state")


# At province scale (20,000 schools, a million roster rows) matching every roster row to the
# pledges and working out every school's verdict takes seconds, so neither is done per view:
# - the tallies (pledges per school and pledge version, roster size, how many on the roster
#   signed) are kept by triggers, so every write path keeps them, bulk loads included;
# - a school's standing (its latest version, the verdict stored with it, and under today's
#   settings the verdict, how many legal gaps and whether it changed) is stored by the verb that
#   changes it, in the same transaction:
#   `record_declaration` and `record_inspection` for the school, `save_settings` for every
#   school. A declaration or an inspection written any other way marks its school's standing
#   stale (a trigger), and a stale standing, or one worked out under other settings or rules, is
#   worked out afresh when it is read. The standing holds the school's 核查 state (from its latest
#   inspection) and the verdict the bureau sees with it, so the dashboard reads no inspection.
# `recompute_derived` counts and works out everything from the data again.


def _pledge_tally(row: str, sign: int) -> str:
    """The statement a pledge (NEW or OLD) makes to its school's tally, coming (+1) or going (-1)."""
    on_roster = (
        f"EXISTS (SELECT 1 FROM roster r WHERE r.school_code = {row}.school_code"
        f" AND r.name = {row}.name AND r.phone = {row}.phone)"
    )
    if sign > 0:
        return f"""INSERT INTO pledge_tallies (school_code, pledge_version, pledges, roster_signed)
            VALUES ({row}.school_code, {row}.pledge_version, 1, {on_roster})
            ON CONFLICT (school_code, pledge_version)
            DO UPDATE SET pledges = pledges + 1, roster_signed = roster_signed + excluded.roster_signed;"""
    return f"""UPDATE pledge_tallies SET pledges = pledges - 1, roster_signed = roster_signed - {on_roster}
            WHERE school_code = {row}.school_code AND pledge_version = {row}.pledge_version;"""


def _roster_tally(row: str, sign: int) -> str:
    """The statements a roster row (NEW or OLD) makes, coming (+1) or going (-1): the roster's
    size, and the signed count of each pledge version this person signed (a person's pledge is
    unique per version, a roster row per school, name and phone)."""
    return f"""INSERT INTO roster_tallies (school_code, roster_size) VALUES ({row}.school_code, {sign})
            ON CONFLICT (school_code) DO UPDATE SET roster_size = roster_size + excluded.roster_size;
        UPDATE pledge_tallies SET roster_signed = roster_signed + ({sign})
            WHERE school_code = {row}.school_code AND pledge_version IN (
              SELECT p.pledge_version FROM pledges p
              WHERE p.school_code = {row}.school_code AND p.name = {row}.name AND p.phone = {row}.phone);"""


def _mark_stale(row: str) -> str:
    return f"""INSERT INTO school_standings (school_code, stale) VALUES ({row}.school_code, 1)
            ON CONFLICT (school_code) DO UPDATE SET stale = 1;"""


DERIVED_TRIGGERS = (
    f"CREATE TRIGGER pledges_tally_insert AFTER INSERT ON pledges BEGIN {_pledge_tally('NEW', 1)} END",
    f"CREATE TRIGGER pledges_tally_delete AFTER DELETE ON pledges BEGIN {_pledge_tally('OLD', -1)} END",
    "CREATE TRIGGER pledges_tally_update AFTER UPDATE OF school_code, pledge_version, name, phone ON pledges"
    f" BEGIN {_pledge_tally('OLD', -1)} {_pledge_tally('NEW', 1)} END",
    f"CREATE TRIGGER roster_tally_insert AFTER INSERT ON roster BEGIN {_roster_tally('NEW', 1)} END",
    f"CREATE TRIGGER roster_tally_delete AFTER DELETE ON roster BEGIN {_roster_tally('OLD', -1)} END",
    "CREATE TRIGGER roster_tally_update AFTER UPDATE OF school_code, name, phone ON roster"
    f" BEGIN {_roster_tally('OLD', -1)} {_roster_tally('NEW', 1)} END",
    f"CREATE TRIGGER declarations_stale_insert AFTER INSERT ON declarations BEGIN {_mark_stale('NEW')} END",
    f"CREATE TRIGGER declarations_stale_delete AFTER DELETE ON declarations BEGIN {_mark_stale('OLD')} END",
    "CREATE TRIGGER declarations_stale_update AFTER UPDATE ON declarations"
    f" BEGIN {_mark_stale('OLD')} {_mark_stale('NEW')} END",
)


_REFUSE_CHANGE = "SELECT RAISE(ABORT, 'a submitted inspection is not changed: record a new inspection');"

INSPECTION_TRIGGERS = (
    f"CREATE TRIGGER inspections_stale_insert AFTER INSERT ON inspections BEGIN {_mark_stale('NEW')} END",
    f"CREATE TRIGGER inspections_stale_delete AFTER DELETE ON inspections BEGIN {_mark_stale('OLD')} END",
    "CREATE TRIGGER inspection_findings_stale_insert AFTER INSERT ON inspection_findings BEGIN"
    " INSERT INTO school_standings (school_code, stale)"
    " SELECT school_code, 1 FROM inspections WHERE id = NEW.inspection_id"
    " ON CONFLICT (school_code) DO UPDATE SET stale = 1; END",
    f"CREATE TRIGGER inspections_unchanged BEFORE UPDATE ON inspections BEGIN {_REFUSE_CHANGE} END",
    f"CREATE TRIGGER inspection_findings_unchanged BEFORE UPDATE ON inspection_findings BEGIN {_REFUSE_CHANGE} END",
)


def recount_tallies(db) -> None:
    """Every tally counted afresh from pledges and roster."""
    db.execute("DELETE FROM pledge_tallies")
    db.execute("DELETE FROM roster_tallies")
    db.execute(
        "INSERT INTO roster_tallies (school_code, roster_size)"
        " SELECT school_code, COUNT(*) FROM roster GROUP BY school_code"
    )
    db.execute(
        """INSERT INTO pledge_tallies (school_code, pledge_version, pledges, roster_signed)
           SELECT p.school_code, p.pledge_version, COUNT(*), COUNT(r.id) FROM pledges p
           LEFT JOIN roster r ON r.school_code = p.school_code AND r.name = p.name AND r.phone = p.phone
           GROUP BY p.school_code, p.pledge_version"""
    )


def tallies_agree(db) -> bool:
    """Whether the tallies add up to the rows they count. A connection without
    `recursive_triggers` (the sqlite3 shell, a script) that runs INSERT OR REPLACE counts the
    replaced row twice; `migrate` then counts them all again."""
    (agree,) = db.execute(
        """SELECT (SELECT COUNT(*) FROM roster) = (SELECT COALESCE(SUM(roster_size), 0) FROM roster_tallies)
              AND (SELECT COUNT(*) FROM pledges) = (SELECT COALESCE(SUM(pledges), 0) FROM pledge_tallies)"""
    ).fetchone()
    return bool(agree)


@cache
def rules_digest() -> str:
    """What a verdict depends on besides the declaration and the settings: the source of
    `schemas/` (its items, their rules and the verdict) and of the functions here that read a
    stored version and work out its standing. A release that changes any of it makes every
    stored standing out of date, and `migrate` works them out again."""
    digest = hashlib.sha256(f"schema {schemas.SCHEMA_VERSION}".encode())
    for path in sorted(Path(schemas.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for function in (declaration_from_row, stored_verdict, verdict_now, standing_of, inspection_states):
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()


def standings_basis(settings: CountySettings) -> str:
    """The rules and settings a standing is worked out under, as one digest."""
    return hashlib.sha256(f"{rules_digest()} {settings.model_dump_json()}".encode()).hexdigest()


def stored_standings_basis(db) -> str | None:
    row = db.execute("SELECT value FROM derived_state WHERE key = 'standings_basis'").fetchone()
    return row[0] if row else None


def stale_standings(db) -> list[str]:
    """The schools whose standing a declaration written some other way made stale."""
    return [r[0] for r in db.execute("SELECT school_code FROM school_standings WHERE stale = 1 ORDER BY school_code")]


def stored_verdict(row: dict) -> schemas.Verdict:
    """The verdict a declaration version was given when it was submitted."""
    return schemas.Verdict.stored(row["verdict"], json.loads(row["gaps"]) if row["gaps"] else [])


def verdict_now(row: dict, settings: CountySettings) -> schemas.Verdict:
    """The verdict a declaration version gets under `settings` (today's, on every page).

    A version of an earlier schema (version 1) is recomputed over the items it answered only:
    today's settings and today's rules apply to those (条件一, a county minimum, an item's group),
    but an item that version never asked is no gap of it; its stored verdict stays as it was and
    is shown beside this one where they differ."""
    asked = fields_asked(row.get("schema_version"), row)
    return schemas.verdict(declaration_from_row(row), settings, asked)


def standing_of(row: dict, settings: CountySettings, inspection: InspectionState | None = None) -> schemas.Standing:
    """The standing of the declaration version `row`: the verdict stored with it, the one
    `settings` give and, for a school's latest version, its 核查 state (`inspection_states`)."""
    return schemas.Standing(
        row["version"], row["submitted_at"], stored_verdict(row), verdict_now(row, settings), inspection
    )


_LATEST_INSPECTION = "SELECT MAX(id) FROM inspections GROUP BY school_code"


def inspection_states(db, latest_versions: dict[str, int], every: bool = False) -> dict[str, InspectionState]:
    """The 核查 state of each school in `latest_versions` (code: its latest version), from its
    latest inspection: the items found 不符 with their notes, and how many were found 相符.
    `every`: the schools are every school (one query over all inspections, not one per school)."""
    if every:
        latest = db.conn.execute(
            "SELECT id, school_code, declaration_version, rectify_by FROM inspections"
            f" WHERE id IN ({_LATEST_INSPECTION})"
        ).fetchall()
    else:
        latest = [
            row
            for code in latest_versions
            for row in db.conn.execute(
                "SELECT id, school_code, declaration_version, rectify_by FROM inspections"
                " WHERE school_code = ? ORDER BY id DESC LIMIT 1",
                [code],
            )
        ]
    ids = json.dumps([row[0] for row in latest])
    confirmed = dict(
        db.conn.execute(
            "SELECT inspection_id, COUNT(*) FROM inspection_findings"
            " WHERE finding = ? AND inspection_id IN (SELECT value FROM json_each(?)) GROUP BY inspection_id",
            [CONFIRMED, ids],
        )
    )
    contradicted: dict[int, list[Finding]] = {}
    for inspection_id, field, note in db.conn.execute(
        "SELECT inspection_id, field, note FROM inspection_findings"
        " WHERE finding = ? AND inspection_id IN (SELECT value FROM json_each(?)) ORDER BY inspection_id, rowid",
        [CONTRADICTED, ids],
    ):
        contradicted.setdefault(inspection_id, []).append(Finding(field, CONTRADICTED, note))
    states = dict.fromkeys(latest_versions, NOT_INSPECTED)
    for inspection_id, code, version, rectify_by in latest:
        if code in states:
            states[code] = inspection_state(
                latest_versions[code],
                version,
                contradicted.get(inspection_id, ()),
                rectify_by,
                confirmed=confirmed.get(inspection_id, 0),
            )
    return states


# The columns of `school_standings`: the school, its standing's summary, and whether it is stale.
STANDING_COLUMNS = (
    "school_code",
    "version",
    "submitted_at",
    "verdict",
    "verdict_now",
    "legal_gaps_now",
    "changed",
    "verdict_own",
    "inspection",
    "inspected_items",
    "rectify_by",
    "stale",
)


def _latest_rows(db, codes: list[str] | None) -> Iterator[dict]:
    """The latest declaration of each school in `codes` (of every school when None)."""
    if codes is None:
        yield from db.query("SELECT * FROM latest_declarations")
        return
    for code in codes:
        row = query_one(db, "SELECT * FROM declarations WHERE school_code = ? ORDER BY version DESC LIMIT 1", [code])
        if row is not None:
            yield row


def fresh_standings(db, settings: CountySettings, codes: list[str] | None = None) -> dict[str, schemas.Standing]:
    """Standings worked out now from the latest declarations of `codes` (every school when None)
    and the schools' latest inspections."""
    rows = list(_latest_rows(db, codes))
    states = inspection_states(db, {row["school_code"]: row["version"] for row in rows}, every=codes is None)
    return {row["school_code"]: standing_of(row, settings, states[row["school_code"]]) for row in rows}


def latest_standing(db, school_code: str, settings: CountySettings) -> schemas.Standing | None:
    """The school's standing now: its latest version under `settings`, with its 核查 state (None
    for a school that has not declared)."""
    row = next(_latest_rows(db, [school_code]), None)
    if row is None:
        return None
    return standing_of(row, settings, inspection_states(db, {school_code: row["version"]})[school_code])


def refresh_standings(db, codes: list[str] | None = None) -> None:
    """Work out and store the standings of `codes` (every school when None) under the stored
    settings. Call inside the write transaction of the change they follow."""
    settings = load_settings(db)
    fresh = fresh_standings(db, settings, codes)
    if codes is None:
        db.execute("DELETE FROM school_standings")
        db.execute(
            "INSERT INTO derived_state (key, value) VALUES ('standings_basis', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [standings_basis(settings)],
        )
    else:
        db.execute(
            "DELETE FROM school_standings WHERE school_code IN (SELECT value FROM json_each(?))", [json.dumps(codes)]
        )
    db.conn.executemany(
        insert_sql("school_standings", list(STANDING_COLUMNS)),
        [(code, *standing.summary(), 0) for code, standing in fresh.items()],
    )


def recompute_derived(db) -> None:
    """Count every tally and work out every standing again from the data, inside the caller's
    write transaction: for whatever changes the data other than through the verbs here (a
    purge, a bulk load)."""
    if not db.conn.in_transaction:
        raise RuntimeError("recompute_derived runs inside storage.transaction")
    recount_tallies(db)
    refresh_standings(db)
