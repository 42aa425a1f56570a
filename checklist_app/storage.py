"""The county's data in one SQLite file, through sqlite-utils.

Every write runs in one `BEGIN IMMEDIATE` transaction (`transaction`), so a writer waits for the
lock up front instead of failing half way; uniqueness is held by constraints, not by looking first.
The columns of `declarations`, `pledges` and `schools` are derived from the models in `schemas/`.
This module knows nothing of requests: views call its verbs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import inspect
import json
import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Literal, get_args, get_origin

try:
    import fcntl
except ImportError:  # not POSIX: the processes meet SQLite's busy_timeout instead
    fcntl = None

import sqlite_utils
from pydantic import BaseModel
from sqlite_utils.migrations import Migrations

import schemas
from schemas import CountySettings, Declaration, Pledge, School
from schemas.base import now
from schemas.ledger import LedgerReport, is_late

BUSY_TIMEOUT_MS = 15_000

# Tables worked out from the data for the dashboard (see "what the dashboard reads" below):
# rebuilt from the data at will and not data themselves, so no download carries them.
DERIVED_TABLES = ("school_standings", "pledge_tallies", "roster_tallies", "derived_state")
# Tables never in a download: secrets, work in progress, bookkeeping and what is derived.
PRIVATE_TABLES = ("admins", "declaration_drafts", "login_failures", "_sqlite_migrations", *DERIVED_TABLES)
# Columns that hold secrets: left out of a download's copy of their table.
SECRET_COLUMNS = {"schools": ("access_code_hash", "pledge_token")}

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O/1/I/L
ACCESS_CODE_LENGTH = 10
REFERENCE_LENGTH = 8


# --- connection and transactions -------------------------------------------------------------


def open_db(path: str | Path) -> sqlite_utils.Database:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # a row that INSERT OR REPLACE deletes then fires its delete triggers, so the tallies the
    # triggers keep stay right whichever way a row goes (ours do not recurse)
    conn.execute("PRAGMA recursive_triggers = ON")
    return sqlite_utils.Database(conn)


class WriterQueue:
    """The queue writers to one database file wait in before BEGIN IMMEDIATE, across the threads
    of a process (a lock) and the server's worker processes and commands (`flock` on a file
    beside the database).

    SQLite's busy handler makes a waiting writer sleep 1, 2, 5 … 100 ms between tries, so under
    a rush a writer can keep losing to newcomers for a second or more; queued here, the next one
    starts within a fraction of a millisecond of the last commit. Only one thread of each process
    waits on the file at a time. Reentrant: a thread that opens a second transaction gets
    SQLite's answer, as before.
    """

    POLL_SECONDS = 0.0003

    def __init__(self, database: str):
        self.threads = threading.RLock()
        self.depth = 0  # changed only by the thread holding `threads`
        self.fd: int | None = None
        if fcntl is not None and database not in ("", ":memory:"):
            self.fd = os.open(f"{database}.writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            return False
        try:
            if self.depth == 0 and self.fd is not None and not self._lock_file(deadline):
                self.threads.release()
                return False
        except BaseException:  # flock failed: the next thread may try
            self.threads.release()
            raise
        self.depth += 1
        return True

    def _lock_file(self, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(self.POLL_SECONDS)

    def release(self) -> None:
        self.depth -= 1
        try:
            if self.depth == 0 and self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_WRITERS: dict[str, WriterQueue] = {}
_WRITERS_GUARD = threading.Lock()


def _forget_writer_queues() -> None:
    """In a forked child (a server worker): its own file descriptions, or flock would count the
    parent and every sibling as one holder."""
    for queue in _WRITERS.values():
        if queue.fd is not None:
            os.close(queue.fd)
    _WRITERS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writer_queues)


def _writer_queue(db: sqlite_utils.Database) -> WriterQueue:
    path = db_path(db)
    with _WRITERS_GUARD:
        if path not in _WRITERS:
            _WRITERS[path] = WriterQueue(path)
        return _WRITERS[path]


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction that takes the write lock at once (BEGIN IMMEDIATE)."""
    queue = _writer_queue(db)
    if not queue.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")
    finally:
        queue.release()


# --- columns from models ---------------------------------------------------------------------


def column_type(annotation: Any) -> type:
    """The SQLite column type for a model field: INTEGER, REAL or TEXT."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and get_origin(annotation) is not Literal and args:
        return column_type(args[0])
    if annotation in (bool, int):
        return int
    if annotation in (float, Decimal):
        return float
    return str  # str, Literal choices, date, time (ISO text)


def model_columns(model: type[BaseModel]) -> dict[str, type]:
    return {name: column_type(info.annotation) for name, info in model.model_fields.items()}


def to_row(instance: BaseModel) -> dict[str, Any]:
    """A model instance as column values: ticks 0/1, decimals REAL, dates and times ISO text."""
    row: dict[str, Any] = {}
    for name, value in instance:
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, (dt.date, dt.time)):
            value = value.isoformat()
        row[name] = value
    return row


# --- schema and migrations -------------------------------------------------------------------

migrations = Migrations("checklist")


def _unique(db, table: str, columns: list[str]) -> None:
    db[table].create_index(columns, unique=True, if_not_exists=True)


@migrations()
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
    db["settings"].create(
        {"key": str, "value": str, "updated_at": str, "updated_by": str}, pk="key"
    )
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


@migrations()
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


@migrations()
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
    _recount_tallies(db)


TABLE_MODELS: dict[str, type[BaseModel]] = {
    "declarations": Declaration,
    "pledges": Pledge,
    "schools": School,
    "ledger_reports": LedgerReport,
}


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
        migrations.apply(db)
        add_model_columns(db)
        if not tallies_agree(db):
            _recount_tallies(db)
        if stored_standings_basis(db) != standings_basis(load_settings(db)):
            refresh_standings(db)
        elif stale := stale_standings(db):
            refresh_standings(db, stale)


# --- small helpers ---------------------------------------------------------------------------


def _one(db, sql: str, params: list) -> dict | None:
    return next(iter(db.query(sql, params)), None)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _insert_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})'


# --- audit -----------------------------------------------------------------------------------


def timestamp() -> str:
    return now().isoformat(timespec="seconds")


def audit(db, actor: str, action: str, target: str = "", detail: Any = None) -> None:
    """Write one audit_log row; call inside the transaction of the change it records."""
    db["audit_log"].insert(
        {
            "at": timestamp(),
            "actor": actor,
            "action": action,
            "target": target,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail is not None else None,
        }
    )


# --- schools and their secrets ---------------------------------------------------------------


def hash_secret(secret: str) -> str:
    """Access codes are random and long, so a salted SHA-256 is enough (and fast to issue)."""
    salt = secrets.token_hex(8)
    return f"sha256${salt}${hashlib.sha256((salt + secret).encode()).hexdigest()}"


def check_secret(stored: str | None, secret: str) -> bool:
    if not stored:
        hmac.compare_digest("x", "y")  # keep the timing of a miss close to a real compare
        return False
    _, salt, digest = stored.split("$", 2)
    return hmac.compare_digest(digest, hashlib.sha256((salt + secret).encode()).hexdigest())


def random_code(length: int) -> str:
    """Access codes and receipt references: easy to read aloud and type (no 0/O/1/I/L)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def new_pledge_token() -> str:
    return secrets.token_urlsafe(18)


def upsert_schools(db, schools: list[School], actor: str = "cli") -> tuple[int, int]:
    """Create new schools and update name, kind and township of known ones; codes untouched."""
    created = updated = 0
    stamp = timestamp()
    with transaction(db):
        for school in schools:
            row = to_row(school)
            exists = db.execute("SELECT 1 FROM schools WHERE code = ?", [school.code]).fetchone()
            if exists:
                db["schools"].update(school.code, {**row, "updated_at": stamp})
                updated += 1
            else:
                db["schools"].insert(
                    {**row, "pledge_token": new_pledge_token(), "created_at": stamp, "updated_at": stamp}
                )
                created += 1
        audit(db, actor, "schools.import", detail={"created": created, "updated": updated})
    return created, updated


def get_school(db, code: str) -> dict | None:
    return _one(db, "SELECT * FROM schools WHERE code = ?", [code])


def school_by_pledge_token(db, token: str) -> dict | None:
    return _one(db, "SELECT * FROM schools WHERE pledge_token = ?", [token])


def list_schools(db) -> list[dict]:
    return list(db.query("SELECT * FROM schools ORDER BY township, code"))


def issue_access_codes(db, codes: list[str] | None, actor: str) -> list[dict]:
    """New access codes for the given schools (all when None). Returned once, stored hashed."""
    issued = []
    stamp = timestamp()
    with transaction(db):
        rows = (
            list(db.query("SELECT code, name, pledge_token FROM schools ORDER BY code"))
            if codes is None
            else [r for c in codes if (r := get_school(db, c))]
        )
        for row in rows:
            access_code = random_code(ACCESS_CODE_LENGTH)
            db["schools"].update(
                row["code"], {"access_code_hash": hash_secret(access_code), "access_code_issued_at": stamp}
            )
            issued.append({**row, "access_code": access_code})
        audit(db, actor, "access_codes.issue", detail=[r["code"] for r in issued])
    return issued


def rotate_pledge_token(db, code: str, actor: str) -> str:
    token = new_pledge_token()
    with transaction(db):
        db["schools"].update(code, {"pledge_token": token, "updated_at": timestamp()})
        audit(db, actor, "pledge_link.rotate", target=code)
    return token


def school_code_matching(db, typed: str) -> str | None:
    """The stored code a school typed at login, whatever its letter case (an exact match first)."""
    row = _one(
        db,
        "SELECT code FROM schools WHERE code = ? COLLATE NOCASE ORDER BY code = ? DESC LIMIT 1",
        [typed, typed],
    )
    return row["code"] if row else None


# --- declarations ----------------------------------------------------------------------------


def save_draft(db, school_code: str, section: str, answers: dict[str, str]) -> None:
    with transaction(db):
        _put_draft(db, school_code, section, answers)


def _put_draft(db, school_code: str, section: str, answers: dict[str, str]) -> None:
    db["declaration_drafts"].upsert(
        {
            "school_code": school_code,
            "section": section,
            "answers": json.dumps(answers, ensure_ascii=False),
            "saved_at": timestamp(),
        },
        pk=("school_code", "section"),
    )


def load_drafts(db, school_code: str) -> dict[str, dict[str, str]]:
    """The saved answers of each section, as typed."""
    rows = db.query(
        "SELECT section, answers FROM declaration_drafts WHERE school_code = ?", [school_code]
    )
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
            "submitted_at": timestamp(),
            "schema_version": schemas.SCHEMA_VERSION,
            "verdict": verdict.value,
            "gaps": json.dumps([g.as_dict() for g in verdict.gaps], ensure_ascii=False),
            "submit_key": submit_key,
            **to_row(declaration),
        }
        db["declarations"].insert(row)
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
    return _one(
        db,
        "SELECT * FROM declarations WHERE school_code = ? AND submit_key = ?",
        [school_code, submit_key],
    )


def declaration_version(db, school_code: str, version: int) -> dict | None:
    return _one(
        db, "SELECT * FROM declarations WHERE school_code = ? AND version = ?", [school_code, version]
    )


def previous_declaration(db, school_code: str, version: int) -> dict | None:
    """The version submitted before `version`, to show what changed."""
    return _one(
        db,
        "SELECT * FROM declarations WHERE school_code = ? AND version < ? ORDER BY version DESC LIMIT 1",
        [school_code, version],
    )


def declaration_versions(db, school_code: str) -> list[dict]:
    return list(
        db.query("SELECT * FROM declarations WHERE school_code = ? ORDER BY version DESC", [school_code])
    )


def latest_declaration(db, school_code: str) -> dict | None:
    return _one(db, "SELECT * FROM latest_declarations WHERE school_code = ?", [school_code])


def declaration_from_row(row: dict) -> BaseModel:
    """A stored version as the Declaration model, to recompute its verdict under today's settings.

    `model_construct`: the row was valid when submitted; a later rule must not hide it.
    """
    values = {k: row[k] for k in Declaration.model_fields if k in row}
    for name in _DECLARATION_TICKS:
        if values.get(name) is not None:
            values[name] = bool(values[name])
    return Declaration.model_construct(**values)


# the dashboard turns every school's latest row into a model: look the ticks up once
_DECLARATION_TICKS = tuple(name for name, info in Declaration.model_fields.items() if info.annotation is bool)


# --- pledges ---------------------------------------------------------------------------------


def record_pledge(db, school_code: str, pledge: Pledge, text_sha256: str) -> tuple[dict, bool]:
    """Store a pledge once per person and version; a repeat returns the first one unchanged."""
    key = [school_code, pledge.name, pledge.phone, schemas.PLEDGE_VERSION]
    for _attempt in range(5):
        try:
            with transaction(db):
                cursor = db.execute(
                    _insert_sql("pledges", ["school_code", "pledge_version", *Pledge.model_fields, "text_sha256", "reference", "submitted_at"])
                    + " ON CONFLICT(school_code, name, phone, pledge_version) DO NOTHING",
                    [school_code, schemas.PLEDGE_VERSION, *to_row(pledge).values(), text_sha256, random_code(REFERENCE_LENGTH), timestamp()],
                )
                created = cursor.rowcount == 1
        except sqlite3.IntegrityError:  # the rare reference collision: draw another
            continue
        row = _one(
            db,
            "SELECT * FROM pledges WHERE school_code = ? AND name = ? AND phone = ? AND pledge_version = ?",
            key,
        )
        return row, created
    raise RuntimeError("could not draw a unique pledge reference")


def replace_roster(db, school_code: str, people: list[dict], actor: str) -> int:
    """Replace a school's staff list (name, phone, role) in one transaction."""
    stamp = timestamp()
    with transaction(db):
        db.execute("DELETE FROM roster WHERE school_code = ?", [school_code])
        db["roster"].insert_all(
            {"school_code": school_code, **person, "uploaded_at": stamp} for person in people
        )
        audit(db, actor, "roster.upload", school_code, {"rows": len(people)})
    return len(people)


def roster_status(db, school_code: str) -> dict[str, list[dict]]:
    """Who on the roster has signed the current pledge version, who has not, and who signed
    without being on the roster (kept, flagged). A person is matched by name and phone."""
    version = schemas.PLEDGE_VERSION
    signed = list(db.query(
        """SELECT r.name, r.phone, r.role, p.reference, p.submitted_at FROM roster r
           JOIN pledges p ON p.school_code = r.school_code AND p.name = r.name AND p.phone = r.phone
            AND p.pledge_version = ?
           WHERE r.school_code = ? ORDER BY r.id""", [version, school_code]))
    unsigned = list(db.query(
        """SELECT r.name, r.phone, r.role FROM roster r WHERE r.school_code = ? AND NOT EXISTS (
             SELECT 1 FROM pledges p WHERE p.school_code = r.school_code AND p.name = r.name
              AND p.phone = r.phone AND p.pledge_version = ?) ORDER BY r.id""", [school_code, version]))
    not_on_roster = list(db.query(
        """SELECT p.name, p.phone, p.role, p.reference, p.submitted_at FROM pledges p
           WHERE p.school_code = ? AND p.pledge_version = ? AND NOT EXISTS (
             SELECT 1 FROM roster r WHERE r.school_code = p.school_code AND r.name = p.name
              AND r.phone = p.phone) ORDER BY p.id""", [school_code, version]))
    return {"signed": signed, "unsigned": unsigned, "not_on_roster": not_on_roster}


def pledge_by_reference(db, school_code: str, reference: str) -> dict | None:
    """One school's pledge by its receipt reference (the receipt page asks for both)."""
    return _one(
        db, "SELECT * FROM pledges WHERE school_code = ? AND reference = ?", [school_code, reference]
    )


# --- the daily tracking ledger ---------------------------------------------------------------


def record_ledger_report(db, school_code: str, report: LedgerReport, deadline: dt.time) -> tuple[dict, dict | None]:
    """Store the day's report; a same-day correction replaces the row, audited old -> new.

    Returns the stored row and, for a correction, the fields that changed as {field: (old, new)}.
    """
    at = now()
    values = to_row(report)
    with transaction(db):
        old = _one(
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
            db["ledger_reports"].update(
                old["id"], {**values, "updated_at": at.isoformat(timespec="seconds")}
            )
            audit(db, f"school:{school_code}", "ledger.correct", school_code,
                  {"report_date": values["report_date"], "changes": {k: {"old": o, "new": n} for k, (o, n) in changes.items()}})
    row = _one(
        db, "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date = ?", [school_code, values["report_date"]]
    )
    return row, changes


def last_ledger_report(db, school_code: str) -> dict | None:
    return _one(
        db, "SELECT * FROM ledger_reports WHERE school_code = ? ORDER BY report_date DESC LIMIT 1", [school_code]
    )


# The school's own days and the county's day and trend, summed in SQL. The bureau's own
# organisation reports no ledger and is left out of every county figure.

LEDGER_SUMS = ", ".join(f'COALESCE(SUM(r."{name}"), 0) AS "{name}"' for name in schemas.ledger.TOTALS)


def ledger_report_on(db, school_code: str, day: dt.date) -> dict | None:
    return _one(
        db, "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date = ?", [school_code, day.isoformat()]
    )


def ledger_report_before(db, school_code: str, day: dt.date) -> dict | None:
    """The school's latest report of a day before `day` (what a new report starts from)."""
    return _one(
        db,
        "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date < ? ORDER BY report_date DESC LIMIT 1",
        [school_code, day.isoformat()],
    )


def ledger_reports_between(db, school_code: str, first: dt.date, last: dt.date) -> list[dict]:
    """One school's reports from `first` to `last` (inclusive), newest first."""
    return list(db.query(
        "SELECT * FROM ledger_reports WHERE school_code = ? AND report_date BETWEEN ? AND ? ORDER BY report_date DESC",
        [school_code, first.isoformat(), last.isoformat()],
    ))


def ledger_last_correction(db, school_code: str, day: dt.date) -> dict | None:
    """The latest audited correction of one school's report of `day`, detail decoded."""
    row = _one(
        db,
        """SELECT * FROM audit_log WHERE action = 'ledger.correct' AND target = ?
           AND json_extract(detail, '$.report_date') = ? ORDER BY id DESC LIMIT 1""",
        [school_code, day.isoformat()],
    )
    return {**row, "detail": json.loads(row["detail"])} if row else None


def ledger_day_totals(db, day: dt.date) -> dict:
    """The county's sums of `TOTALS` over the day's reports, and how many schools reported."""
    return _one(
        db,
        f"""SELECT COUNT(r.id) AS reported, {LEDGER_SUMS}
            FROM ledger_reports r JOIN schools s ON s.code = r.school_code
            WHERE r.report_date = ? AND s.kind != ?""",
        [day.isoformat(), schemas.BUREAU_KIND],
    )


def ledger_day_schools(db, day: dt.date) -> list[dict]:
    """Every school (the bureau's organisation aside) with the time and lateness of its report of
    the day; `report_id` is None for a school that has not reported."""
    return list(db.query(
        """SELECT s.code, s.name, s.township, r.id AS report_id, r.submitted_at, r.updated_at, r.late
           FROM schools s LEFT JOIN ledger_reports r ON r.school_code = s.code AND r.report_date = ?
           WHERE s.kind != ? ORDER BY s.township, s.code""",
        [day.isoformat(), schemas.BUREAU_KIND],
    ))


def ledger_township_days(db, first: dt.date, last: dt.date) -> list[dict]:
    """Per day and township from `first` to `last`: reports made and the sums of `TOTALS`."""
    return list(db.query(
        f"""SELECT r.report_date, s.township, COUNT(r.id) AS reported, {LEDGER_SUMS}
            FROM ledger_reports r JOIN schools s ON s.code = r.school_code
            WHERE r.report_date BETWEEN ? AND ? AND s.kind != ?
            GROUP BY r.report_date, s.township ORDER BY r.report_date, s.township""",
        [first.isoformat(), last.isoformat(), schemas.BUREAU_KIND],
    ))


# --- settings --------------------------------------------------------------------------------


def load_settings(db) -> CountySettings:
    stored = {r["key"]: json.loads(r["value"]) for r in db.query("SELECT key, value FROM settings")}
    known = {k: v for k, v in stored.items() if k in CountySettings.model_fields}
    return CountySettings.model_validate(known, context={"stored": True})


def save_settings(db, new: CountySettings, actor: str) -> dict[str, tuple[Any, Any]]:
    """Store the settings that changed, each change audited as old -> new."""
    with transaction(db):
        old = to_row(load_settings(db))
        changes = {k: (old[k], v) for k, v in to_row(new).items() if old[k] != v}
        stamp = timestamp()
        for key, (_before, after) in changes.items():
            db["settings"].upsert(
                {"key": key, "value": json.dumps(after, ensure_ascii=False), "updated_at": stamp, "updated_by": actor},
                pk="key",
            )
            audit(db, actor, "settings.change", key, {"old": _before, "new": after})
        if changes:  # every verdict now is worked out under the new settings, in this transaction
            refresh_standings(db)
    return changes


# --- bureau admins and login throttling ------------------------------------------------------


def create_admin(db, username: str, password_hash: str) -> None:
    with transaction(db):
        db["admins"].upsert(
            {"username": username, "password_hash": password_hash, "created_at": timestamp()}, pk="username"
        )
        audit(db, "cli", "admin.create", username)


def get_admin(db, username: str) -> dict | None:
    return _one(db, "SELECT * FROM admins WHERE username = ?", [username])


def recent_failures(db, key: str, window_seconds: float) -> int:
    since = now().timestamp() - window_seconds
    (count,) = db.execute(
        "SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?", [key, since]
    ).fetchone()
    return count


def record_login(db, keys: list[str], ok: bool, actor: str, window_seconds: float) -> None:
    """Audit a login attempt; count a failure against each key (school, account, address)."""
    stamp = now().timestamp()
    with transaction(db):
        db.execute("DELETE FROM login_failures WHERE at < ?", [stamp - window_seconds])
        if ok:
            db.execute(f"DELETE FROM login_failures WHERE key IN ({','.join('?' * len(keys))})", keys)
        else:
            db["login_failures"].insert_all({"key": k, "at": stamp} for k in keys)
        audit(db, actor, "login.success" if ok else "login.failure")


# --- what the dashboard reads: worked out from the data ---------------------------------------
# At province scale (20,000 schools, a million roster rows) matching every roster row to the
# pledges and working out every school's verdict takes seconds, so neither is done per view:
# - the tallies (pledges per school and pledge version, roster size, how many on the roster
#   signed) are kept by triggers, so every write path keeps them, bulk loads included;
# - a school's standing (its latest version, the verdict stored with it, and under today's
#   settings the verdict, how many legal gaps and whether it changed) is stored by the verb that
#   changes it, in the same transaction:
#   `record_declaration` for the school, `save_settings` for every school. A declaration written
#   any other way marks its school's standing stale (a trigger), and a stale standing, or one
#   worked out under other settings or rules, is worked out afresh when it is read.
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


def _recount_tallies(db) -> None:
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
    for function in (declaration_from_row, stored_verdict, verdict_now, standing_of):
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
    """The verdict a declaration version gets under `settings` (today's, on every page)."""
    return schemas.verdict(declaration_from_row(row), settings)


def standing_of(row: dict, settings: CountySettings) -> dict:
    """A school's standing from its latest declaration `row`: the version and the verdict stored
    with it, and under `settings` the verdict, how many legal gaps (三个不开学) and whether the
    verdict or its gaps differ from the stored ones."""
    result = verdict_now(row, settings)
    stored = stored_verdict(row)
    return {
        "school_code": row["school_code"],
        "version": row["version"],
        "submitted_at": row["submitted_at"],
        "verdict": row["verdict"],
        "verdict_now": result.value,
        "legal_gaps_now": len(result.legal_gaps),
        "changed": int(result.differs_from(stored)),
        "stale": 0,
    }


STANDING_COLUMNS = (
    "school_code", "version", "submitted_at", "verdict", "verdict_now", "legal_gaps_now", "changed", "stale",
)
STANDING_VIEW_COLUMNS = STANDING_COLUMNS[1:-1]  # what the dashboard shows of one


def _latest_rows(db, codes: list[str] | None) -> Iterator[dict]:
    """The latest declaration of each school in `codes` (of every school when None)."""
    if codes is None:
        yield from db.query("SELECT * FROM latest_declarations")
        return
    for code in codes:
        row = _one(db, "SELECT * FROM declarations WHERE school_code = ? ORDER BY version DESC LIMIT 1", [code])
        if row is not None:
            yield row


def fresh_standings(db, settings: CountySettings, codes: list[str] | None = None) -> dict[str, dict]:
    """Standings worked out now from the latest declarations of `codes` (every school when None)."""
    return {row["school_code"]: standing_of(row, settings) for row in _latest_rows(db, codes)}


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
    db.conn.executemany(_insert_sql("school_standings", list(STANDING_COLUMNS)), [
        [standing[c] for c in STANDING_COLUMNS] for standing in fresh.values()
    ])


def recompute_derived(db) -> None:
    """Count every tally and work out every standing again from the data, inside the caller's
    write transaction: for whatever changes the data other than through the verbs here (a
    purge, a bulk load)."""
    if not db.conn.in_transaction:
        raise RuntimeError("recompute_derived runs inside storage.transaction")
    _recount_tallies(db)
    refresh_standings(db)


# --- bureau console --------------------------------------------------------------------------
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
        return {"schools": schools, "unsigned": unsigned_roster(db) if size - signed <= unsigned_limit else None}
    finally:
        db.conn.execute("ROLLBACK")  # it only read


# The columns of `school_rows`, in order.
SCHOOL_ROW_COLUMNS = (
    "code", "name", "kind", "township", "has_access_code", "pledges", "roster_size", "roster_signed",
    "version", "submitted_at", "verdict_stored", "verdict_now", "legal_gaps_now", "changed",
)
_UNDECLARED = (None, None, None, None, 0, 0)


def school_rows(db, settings: CountySettings, make=tuple) -> list:
    """Every organisation in township and code order, each `make(values)` of SCHOOL_ROW_COLUMNS:
    its counts (pledges of the current version, roster size, how many on the roster signed) and
    its standing under `settings` (latest version, when, the verdict stored with it, the verdict
    and the number of legal gaps now, whether it changed); None and 0 where it has not declared,
    and for the bureau's own organisation, which declares nothing. No secrets: only whether an
    access code was issued. Plain tuples, not a dict per row: a province has 20,000 of them.
    """
    everything = stored_standings_basis(db) != standings_basis(settings)  # other settings or rules
    stale = set() if everything else set(stale_standings(db))
    rows = db.conn.execute(
        """SELECT s.code, s.name, s.kind, s.township, s.access_code_hash IS NOT NULL,
                  COALESCE(p.pledges, 0), COALESCE(r.roster_size, 0), COALESCE(p.roster_signed, 0),
                  d.version, d.submitted_at, d.verdict, d.verdict_now,
                  COALESCE(d.legal_gaps_now, 0), COALESCE(d.changed, 0)
           FROM schools s
           LEFT JOIN pledge_tallies p ON p.school_code = s.code AND p.pledge_version = :version
           LEFT JOIN roster_tallies r ON r.school_code = s.code
           LEFT JOIN school_standings d ON d.school_code = s.code AND s.kind != :bureau
           ORDER BY s.township, s.code""",
        {"version": schemas.PLEDGE_VERSION, "bureau": schemas.BUREAU_KIND},
    )
    if not (everything or stale):
        return list(map(make, rows))
    # slower, never wrong: standings worked out afresh from the declarations
    fresh = fresh_standings(db, settings, None if everything else sorted(stale))
    out = []
    for row in rows:
        if row[2] != schemas.BUREAU_KIND and (everything or row[0] in stale):
            standing = fresh.get(row[0])
            row = row[:8] + (tuple(standing[c] for c in STANDING_VIEW_COLUMNS) if standing else _UNDECLARED)
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


def audit_entries(db, actions: tuple[str, ...], limit: int = 20) -> list[dict]:
    """The most recent audit_log rows of the given actions, newest first, detail decoded."""
    marks = ",".join("?" * len(actions))
    rows = db.query(
        f"SELECT * FROM audit_log WHERE action IN ({marks}) ORDER BY id DESC LIMIT ?", [*actions, limit]
    )
    return [{**r, "detail": json.loads(r["detail"]) if r["detail"] else None} for r in rows]


def log_event(db, actor: str, action: str, target: str = "", detail: Any = None) -> None:
    """An audited event that changes nothing else (a download, a refused login), in its own
    transaction."""
    with transaction(db):
        audit(db, actor, action, target, detail)


# --- snapshot --------------------------------------------------------------------------------


def snapshot(db, dest: str | Path) -> Path:
    """A consistent copy of the live data for the bureau: every data table, no secrets or drafts.

    Everything is copied inside one read transaction of the live database (WAL lets writers go
    on meanwhile), into a new file attached to the same connection. A table without secrets is
    copied whole (`INSERT … SELECT *` into the same definition, indexes made first), which SQLite
    does record by record without decoding or re-sorting anything: several times faster than
    copying column by column and indexing afterwards. The new file needs no journal (until it is
    complete it is no snapshot at all); it is synced to disk once, at the end.
    """
    dest = Path(dest)
    dest.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path(db), isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS export", [str(dest)])
        conn.execute("PRAGMA export.journal_mode = OFF")
        conn.execute("PRAGMA export.synchronous = OFF")
        conn.execute("BEGIN")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if r[0] not in PRIVATE_TABLES
        ]
        for table in tables:
            create_sql = conn.execute(
                "SELECT sql FROM main.sqlite_master WHERE type='table' AND name = ?", [table]
            ).fetchone()[0]
            secret = SECRET_COLUMNS.get(table, ())
            columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")') if r[1] not in secret]
            conn.execute(create_sql.replace("CREATE TABLE ", "CREATE TABLE export.", 1))
            for column in secret:
                conn.execute(f'ALTER TABLE export."{table}" DROP COLUMN "{column}"')
            indexes = conn.execute(
                "SELECT sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                [table],
            ).fetchall()
            for (sql,) in indexes:
                if not any(c in sql for c in secret):
                    conn.execute(_into_export(sql, "index"))
            if secret:
                quoted = ", ".join(f'"{c}"' for c in columns)
                conn.execute(f'INSERT INTO export."{table}" ({quoted}) SELECT {quoted} FROM main."{table}"')
            else:
                conn.execute(f'INSERT INTO export."{table}" SELECT * FROM main."{table}"')
        for (sql,) in conn.execute("SELECT sql FROM main.sqlite_master WHERE type = 'view' AND sql IS NOT NULL"):
            conn.execute(_into_export(sql, "view"))
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE export")
    finally:
        conn.close()
    fsync_file(dest)
    return dest


def _into_export(sql: str, kind: str) -> str:
    head = f"CREATE {'UNIQUE ' if sql.upper().startswith('CREATE UNIQUE') else ''}{kind.upper()} "
    rest = sql[len(head):]
    if rest.upper().startswith("IF NOT EXISTS "):
        rest = rest[len("IF NOT EXISTS "):]
    return f"{head}export.{rest}"


def db_path(db) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


# --- retention ------------------------------------------------------------------------------
# The bureau may purge pledges and declarations older than a date it chooses (PIPL).

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
    if before > now().date():
        raise ValueError("before must not be after today")
    params = {"before": before.isoformat(), "version": schemas.PLEDGE_VERSION}
    if dry_run:
        return _purge_counts(db, params) | {"dry_run": True}
    previous = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(db):
            report = _purge_counts(db, params) | {"dry_run": False}
            db.execute(f"DELETE {PURGED_PLEDGES}", params)
            db.execute(f"DELETE {PURGED_DECLARATIONS}", params)
            recompute_derived(db)  # the triggers followed; a bulk change is counted again whole
            audit(db, actor, "retention.purge", params["before"], {
                k: report[k] for k in ("before", "pledges", "declarations", "kept_latest")
            } | {"schools": {s["code"]: [s["pledges"], s["declarations"]] for s in report["schools"]}})
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
    schools = list(db.query(
        f"""SELECT s.code, s.name, COALESCE(p.n, 0) AS pledges, COALESCE(d.n, 0) AS declarations
            FROM schools s
            LEFT JOIN (SELECT school_code, COUNT(*) AS n {PURGED_PLEDGES} GROUP BY school_code) p
              ON p.school_code = s.code
            LEFT JOIN (SELECT school_code, COUNT(*) AS n {PURGED_DECLARATIONS} GROUP BY school_code) d
              ON d.school_code = s.code
            WHERE p.n > 0 OR d.n > 0 ORDER BY s.township, s.code""",
        params,
    ))
    return {"before": params["before"], "pledges": pledges, "current_version_pledges": current,
            "declarations": declarations, "kept_latest": kept, "schools": schools}
