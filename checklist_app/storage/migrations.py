"""The database's tables and their migrations (sqlite-utils `Migrations`); `migrate` is safe to run again."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from schemas import Declaration, Pledge, School
from schemas.dictionary import TABLE_MODELS
from schemas.inspection import InspectionFields
from schemas.ledger import LedgerReport

from .columns import model_columns
from .connection import transaction
from .derived import (
    DERIVED_TRIGGERS,
    INSPECTION_TRIGGERS,
    recount_tallies,
    refresh_standings,
    stale_standings,
    standings_basis,
    stored_standings_basis,
    tallies_agree,
)
from .region import create_tallies
from .rollup import create_counties_table, follow_allowlist
from .settings import load_settings

MIGRATIONS = Migrations("checklist")


def _unique(db, table: str, columns: list[str]) -> None:
    db[table].create_index(columns, unique=True, if_not_exists=True)


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["schools"].create(
        {
            **model_columns(School),
            "access_code_hash": str,
            "access_code_issued_at": str,
            "pledge_token": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="code",
        not_null={"name", "kind", "township", "pledge_token", "created_at", "updated_at"},
    )
    _unique(db, "schools", ["pledge_token"])
    db["declarations"].create(
        {
            "id": int,
            "school_code": str,
            "version": int,
            "submitted_at": str,
            "schema_version": int,
            "verdict": str,
            "gaps": str,
            "submit_key": str,
            **model_columns(Declaration),
        },
        pk="id",
        not_null={"school_code", "version", "submitted_at", "schema_version", "verdict", "gaps"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    _unique(db, "declarations", ["school_code", "version"])
    _unique(db, "declarations", ["school_code", "submit_key"])
    db["declaration_drafts"].create(
        {"school_code": str, "section": str, "answers": str, "saved_at": str},
        pk=("school_code", "section"),
        foreign_keys=[("school_code", "schools", "code")],
    )
    db["pledges"].create(
        {
            "id": int,
            "school_code": str,
            "pledge_version": int,
            **model_columns(Pledge),
            "text_sha256": str,
            "reference": str,
            "submitted_at": str,
        },
        pk="id",
        not_null={"school_code", "pledge_version", "text_sha256", "reference", "submitted_at"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    _unique(db, "pledges", ["school_code", "name", "phone", "pledge_version"])
    _unique(db, "pledges", ["reference"])
    db["roster"].create(
        {"id": int, "school_code": str, "name": str, "phone": str, "role": str, "uploaded_at": str},
        pk="id",
        not_null={"school_code", "name", "phone"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    _unique(db, "roster", ["school_code", "name", "phone"])
    db["settings"].create({"key": str, "value": str, "updated_at": str, "updated_by": str}, pk="key")
    db["audit_log"].create(
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "detail": str},
        pk="id",
        not_null={"at", "actor", "action"},
    )
    db["admins"].create(
        {"username": str, "password_hash": str, "created_at": str},
        pk="username",
        not_null={"password_hash", "created_at"},
    )
    db["login_failures"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["login_failures"].create_index(["key", "at"])
    db.create_view(
        "latest_declarations",
        """
        SELECT d.* FROM declarations d
        JOIN (SELECT school_code, MAX(version) AS version FROM declarations GROUP BY school_code) m
          ON m.school_code = d.school_code AND m.version = d.version
        """,
    )


@MIGRATIONS()
def m002_ledger_reports(db: sqlite_utils.Database) -> None:
    db["ledger_reports"].create(
        {
            "id": int,
            "school_code": str,
            **model_columns(LedgerReport),
            "submitted_at": str,
            "updated_at": str,
            "late": int,
        },
        pk="id",
        not_null={"school_code", "report_date", "submitted_at", "updated_at", "late"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    _unique(db, "ledger_reports", ["school_code", "report_date"])
    db["ledger_reports"].create_index(["report_date"], if_not_exists=True)


@MIGRATIONS()
def m003_derived_standings_and_tallies(db: sqlite_utils.Database) -> None:
    """What the dashboard reads instead of every roster row and every latest declaration: one
    standing and a few tallies per school (see "what the dashboard reads"). The tallies are
    counted here from the data; the standings are worked out by `migrate` right after, once the
    model's columns are all in place. A standing keeps what the dashboard shows (the verdict
    now, how many legal gaps, whether it changed), not the gaps themselves: a school's page
    works those out for the version it shows, and the table stays narrow enough to read whole
    in a few hundred pages."""
    db["school_standings"].create(
        {
            "school_code": str,
            "version": int,
            "submitted_at": str,
            "verdict": str,
            "verdict_now": str,
            "legal_gaps_now": int,
            "changed": int,
            "stale": int,
        },
        pk="school_code",
        not_null={"stale"},
        defaults={"stale": 0},
    )
    db["pledge_tallies"].create(
        {"school_code": str, "pledge_version": int, "pledges": int, "roster_signed": int},
        pk=("school_code", "pledge_version"),
        not_null={"school_code", "pledge_version", "pledges", "roster_signed"},
    )
    db["roster_tallies"].create({"school_code": str, "roster_size": int}, pk="school_code", not_null={"roster_size"})
    db.execute("CREATE INDEX school_standings_stale ON school_standings (school_code) WHERE stale = 1")
    db["derived_state"].create({"key": str, "value": str}, pk="key")
    for sql in DERIVED_TRIGGERS:
        db.execute(sql)
    recount_tallies(db)


@MIGRATIONS()
def m004_sessions_and_throttles(db: sqlite_utils.Database) -> None:
    """Sessions kept on the server so that they can end (issue 18), the browser each pledge was
    signed in, and the one audit row each throttled account or address gets per window, with its
    count of attempts."""
    db["sessions"].create(
        {"token_sha256": str, "kind": str, "subject": str, "created_at": float, "seen_at": float},
        pk="token_sha256",
        not_null={"kind", "subject", "created_at", "seen_at"},
    )
    db["sessions"].create_index(["kind", "subject"])
    # which browser signed a pledge (the SHA-256 of its session's CSRF secret): that browser
    # sees the receipt again, anyone else only that the person signed and when
    # (if_not_exists: code of this release writing into a database not yet migrated makes it)
    db["pledge_browsers"].create(
        {"reference": str, "browser_sha256": str}, pk="reference", not_null={"browser_sha256"}, if_not_exists=True
    )
    db["login_throttles"].create(
        {"key": str, "window_start": float, "audit_id": int, "attempts": int},
        pk="key",
        not_null={"window_start", "audit_id", "attempts"},
    )


@MIGRATIONS()
def m005_roles_and_teams(db: sqlite_utils.Database) -> None:
    """Bureau accounts get a role (admin or inspector) and inspectors a team of schools."""
    db.execute("ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'")
    db.execute("ALTER TABLE admins ADD COLUMN team TEXT")
    db.execute("CREATE TABLE IF NOT EXISTS inspection_teams (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)")
    # one team per school: assigning a school elsewhere replaces its row
    db.execute(
        """CREATE TABLE IF NOT EXISTS team_schools (
            school_code TEXT PRIMARY KEY REFERENCES schools(code),
            team TEXT NOT NULL REFERENCES inspection_teams(name),
            assigned_at TEXT NOT NULL)"""
    )


@MIGRATIONS()
def m006_inspections(db: sqlite_utils.Database) -> None:
    """Inspections (`spec/inspection.md`): one row per submitted inspection of one declaration
    version, one row per item it checked, and each inspector's draft per school; the school's
    stored standing gains its own verdict and its 核查 state. A submitted inspection is never
    changed (triggers refuse an UPDATE): a correction is a new inspection."""
    db["inspections"].create(
        {
            "id": int,
            "school_code": str,
            "team": str,
            "declaration_version": int,
            **model_columns(InspectionFields),
            "submitted_at": str,
            "inspector": str,
            "submit_key": str,
        },
        pk="id",
        not_null={"school_code", "team", "declaration_version", "inspected_on", "inspectors", "submitted_at"}
        | {"inspector", "submit_key"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    _unique(db, "inspections", ["school_code", "submit_key"])
    db["inspections"].create_index(["school_code", "id"])
    db["inspection_findings"].create(
        {"inspection_id": int, "field": str, "finding": str, "note": str},
        pk=("inspection_id", "field"),
        not_null={"finding"},
        foreign_keys=[("inspection_id", "inspections", "id")],
    )
    db["inspection_drafts"].create(
        {"inspector": str, "school_code": str, "declaration_version": int, "answers": str, "saved_at": str},
        pk=("inspector", "school_code"),
        not_null={"declaration_version", "answers", "saved_at"},
        foreign_keys=[("school_code", "schools", "code")],
    )
    for column, kind in (("verdict_own", "TEXT"), ("inspection", "TEXT"), ("rectify_by", "TEXT")):
        db.execute(f"ALTER TABLE school_standings ADD COLUMN {column} {kind}")
    db.execute("ALTER TABLE school_standings ADD COLUMN inspected_items INTEGER NOT NULL DEFAULT 0")
    for sql in INSPECTION_TRIGGERS:
        db.execute(sql)
    # the standings gain columns: work them all out again (migrate does, the basis having moved)
    db.execute("DELETE FROM derived_state WHERE key = 'standings_basis'")


@MIGRATIONS()
def m007_rollup(db: sqlite_utils.Database) -> None:
    """What a city or a province takes in from its counties' downloads (storage/rollup.py): one
    row per county, and each county table under the county's region code. `migrate` makes the
    tables of public tables and columns added later (`follow_allowlist`)."""
    create_counties_table(db)
    follow_allowlist(db)


@MIGRATIONS()
def m008_region_console(db: sqlite_utils.Database) -> None:
    """What the upper level's console reads fast (storage/region.py): each school's tallies,
    counted by a trigger as its county's download is taken in, and indexes on the rollup
    tables."""
    create_tallies(db)


def add_model_columns(db: sqlite_utils.Database, models=TABLE_MODELS) -> list[str]:
    """Add a column for every model field a table lacks: a new item is one edit in `schemas/`."""
    added = []
    for table, model in models.items():
        existing = db[table].columns_dict
        for name, kind in model_columns(model).items():
            if name not in existing:
                db[table].add_column(name, kind)
                added.append(f"{table}.{name}")
    return added


def migrate(db: sqlite_utils.Database) -> None:
    """Create or bring the database up to date. Safe to run again.

    Standings worked out under other rules or settings (a new release, a restored backup) or
    marked stale (declarations written by something other than `record_declaration`) are
    worked out again here, so every start leaves them right.
    """
    with transaction(db):
        MIGRATIONS.apply(db)
        add_model_columns(db)
        follow_allowlist(db)
        if not tallies_agree(db):
            recount_tallies(db)
        if stored_standings_basis(db) != standings_basis(load_settings(db)):
            refresh_standings(db)
        elif stale := stale_standings(db):
            refresh_standings(db, stale)
