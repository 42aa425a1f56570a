"""Copies of the database that leave the running service.

The bureau's download (`snapshot`): the public tables and columns of the allowlist, no secrets
or drafts, what `checklist export` writes. A backup (`backup`, `verify_backup`, `restore`): the
whole database, secrets included, for putting the service back after a disk dies. Restore goes
into a stopped instance only: every app holds a shared lock on `<database>.lock` for its life, and restore
needs it exclusively.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
from pathlib import Path

try:  # the lock that tells restore a server is running (Linux, macOS)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

import sqlite_utils

from schemas import clock
from schemas.dictionary import PUBLIC_TABLES

from .connection import BUSY_TIMEOUT_MS, SQLITE_HEADER, db_path, export_file, fsync_file
from .migrations import MIGRATIONS


def snapshot(db, dest: str | Path) -> Path:
    """A consistent copy of the live data for the bureau: the tables, views and columns on the
    allowlist (`schemas.dictionary.PUBLIC_TABLES`) and nothing else, so no secret, no draft and
    nothing added to the database by hand leaves.

    Everything is copied inside one read transaction of the live database (WAL lets writers go
    on meanwhile), into a new file attached to the same connection. A table whose every column is
    public is copied whole (`INSERT … SELECT *` into the same definition, indexes made first),
    which SQLite does record by record without decoding or re-sorting anything: several times
    faster than copying column by column and indexing afterwards. The new file needs no journal
    (until it is complete it is no snapshot at all); it is synced to disk once, at the end.
    """
    with export_file(db, dest) as conn:
        kinds = dict(conn.execute("SELECT name, type FROM main.sqlite_master WHERE type IN ('table', 'view')"))
        for table, public in PUBLIC_TABLES.items():
            if not public.view and kinds.get(table) == "table":
                _copy_table(conn, table, public.public_columns)
        for view, public in PUBLIC_TABLES.items():
            if public.view and kinds.get(view) == "view":
                (sql,) = conn.execute("SELECT sql FROM main.sqlite_master WHERE name = ?", [view]).fetchone()
                conn.execute(_into_export(sql, "view"))
    return Path(dest)


def _copy_table(conn: sqlite3.Connection, table: str, public: frozenset[str]) -> None:
    """`table` into the snapshot with its definition and indexes, less every column not in `public`.

    A column SQLite cannot drop (one in a key or a constraint) stops the snapshot: better no
    download than one with a column nobody chose to publish."""
    (create_sql,) = conn.execute(
        "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()
    columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
    kept = [c for c in columns if c in public]
    conn.execute(create_sql.replace("CREATE TABLE ", "CREATE TABLE export.", 1))
    for column in columns:
        if column not in public:
            conn.execute(f'ALTER TABLE export."{table}" DROP COLUMN "{column}"')
    for sql in _indexes_over(conn, table, public):
        conn.execute(_into_export(sql, "index"))
    if kept == columns:
        conn.execute(f'INSERT INTO export."{table}" SELECT * FROM main."{table}"')
    else:
        quoted = ", ".join(f'"{c}"' for c in kept)
        conn.execute(f'INSERT INTO export."{table}" ({quoted}) SELECT {quoted} FROM main."{table}"')


def _indexes_over(conn: sqlite3.Connection, table: str, public: frozenset[str]) -> list[str]:
    """The SQL of the table's indexes over public columns alone. Any other index is left out:
    made in the copy, a column name it lacks would turn into a text constant (SQLite's double
    quotes), an index over nothing but that constant."""
    found = []
    for _seq, name, _unique, origin, partial in conn.execute(f'PRAGMA main.index_list("{table}")'):
        keys = [
            (cid, column)
            for _n, cid, column, _desc, _coll, key in conn.execute(f'PRAGMA main.index_xinfo("{name}")')
            if key
        ]
        if origin == "c" and not partial and all(cid >= 0 and column in public for cid, column in keys):
            (sql,) = conn.execute("SELECT sql FROM main.sqlite_master WHERE name = ?", [name]).fetchone()
            found.append(sql)
    return found


def _into_export(sql: str, kind: str) -> str:
    head = f"CREATE {'UNIQUE ' if sql.upper().startswith('CREATE UNIQUE') else ''}{kind.upper()} "
    rest = sql[len(head) :]
    if rest.upper().startswith("IF NOT EXISTS "):
        rest = rest[len("IF NOT EXISTS ") :]
    return f"{head}export.{rest}"


BACKUP_MANIFEST = "_backup_manifest"


class RestoreRefused(Exception):
    """A file restore will not put in place. `reason` is one of: missing, not_sqlite, damaged,
    not_a_backup, newer_schema, in_use; the command line words it for people."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _lock_path(database_path: str | Path) -> Path:
    return Path(f"{Path(database_path).resolve()}.lock")


def hold_database_lock(database_path: str | Path) -> int:
    """A shared lock, held by a running app until it closes the returned descriptor."""
    path = _lock_path(database_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def database_in_use(database_path: str | Path) -> bool:
    """Whether an app (the server, a command) has this database open: it holds the lock."""
    path = _lock_path(database_path)
    if fcntl is None or not path.exists():
        return False
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def known_migrations() -> set[str]:
    return {m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))}


def content_digest(conn: sqlite3.Connection) -> str:
    """SHA-256 over the schema and every row of every table (the manifest aside), in file order:
    integrity_check finds broken pages, this finds a changed value inside a sound page."""
    digest = hashlib.sha256()
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name != ? ORDER BY type, name", [BACKUP_MANIFEST]
    ).fetchall()
    for kind, name, sql in objects:
        digest.update(f"{kind}\x00{name}\x00{sql}\x00".encode())
        if kind == "table" and not name.startswith("sqlite_"):
            order = "" if "WITHOUT ROWID" in (sql or "").upper() else " ORDER BY rowid"
            for row in conn.execute(f'SELECT * FROM "{name}"{order}'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def _table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != ? ORDER BY name",
            [BACKUP_MANIFEST],
        )
    ]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _integrity_problems(conn: sqlite3.Connection) -> list[str]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _new_private_file(path: Path) -> None:
    """An empty file only its owner can read: backups hold password and access-code hashes."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup(db, dest: str | Path) -> dict:
    """A consistent full copy of the live database at `dest`, verified, for `restore`.

    `VACUUM INTO` copies inside one read transaction (WAL lets writers go on), into a temp file
    beside `dest`; the copy gets a manifest with the digest of its content, must pass
    integrity_check, is fsynced and only then renamed to `dest`.
    """
    dest = Path(dest).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    _new_private_file(tmp)
    try:
        taken_at = clock.timestamp()
        source = sqlite3.connect(db_path(db), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            source.execute("VACUUM INTO ?", [str(tmp)])
        finally:
            source.close()
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            problems = _integrity_problems(conn)
            if problems:
                raise sqlite3.DatabaseError("integrity_check: " + "; ".join(problems[:5]))
            manifest = {
                "taken_at": taken_at,
                "digest": content_digest(conn),
                "counts": json.dumps(_table_counts(conn)),
                "migrations": json.dumps([r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]),
            }
            conn.execute(f"CREATE TABLE {BACKUP_MANIFEST} (key TEXT PRIMARY KEY, value TEXT)")
            conn.executemany(f"INSERT INTO {BACKUP_MANIFEST} VALUES (?, ?)", manifest.items())
        finally:
            conn.close()
        fsync_file(tmp)
        os.replace(tmp, dest)
        fsync_file(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"path": dest, "bytes": dest.stat().st_size, "taken_at": taken_at, "counts": json.loads(manifest["counts"])}


def verify_backup(path: str | Path, drop_manifest: bool = False) -> dict:
    """Check a backup file as restore would; RestoreRefused when it would be refused.

    Returns its manifest (empty for a plain copy of a database, which is checked by
    integrity_check alone) and the rows per table.
    """
    path = Path(path)
    if not path.is_file():
        raise RestoreRefused("missing", str(path))
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise RestoreRefused("not_sqlite", str(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        problems = _integrity_problems(conn)
        if problems:
            raise RestoreRefused("damaged", "; ".join(problems[:5]))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = []
        if "_sqlite_migrations" in tables:
            applied = [
                r[0]
                for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATIONS.name])
            ]
        if not applied:  # e.g. the bureau's download: no secrets, no migrations
            raise RestoreRefused("not_a_backup", str(path))
        unknown = sorted(set(applied) - known_migrations())
        if unknown:
            raise RestoreRefused("newer_schema", ", ".join(unknown))
        manifest = {}
        if BACKUP_MANIFEST in tables:
            manifest = dict(conn.execute(f"SELECT key, value FROM {BACKUP_MANIFEST}").fetchall())
            if content_digest(conn) != manifest.get("digest"):
                raise RestoreRefused("damaged", "content does not match the digest taken at backup")
            if drop_manifest:
                conn.execute(f"DROP TABLE {BACKUP_MANIFEST}")
        return {"manifest": manifest, "counts": _table_counts(conn)}
    except sqlite3.DatabaseError as error:  # "file is not a database", "malformed" ...
        raise RestoreRefused("damaged", str(error)) from None
    finally:
        conn.close()


def restore(source: str | Path, database_path: str | Path) -> dict:
    """Put a backup in place of the database of a stopped instance.

    The file is copied beside the database first and the copy is checked (SQLite, integrity,
    known migrations, digest); nothing at the target changes unless every check passes. The
    database it replaces is kept beside it as `<name>.before-restore-<time>` (with its WAL).
    """
    target = Path(database_path).resolve()
    source = Path(source)
    if not source.is_file():
        raise RestoreRefused("missing", str(source))
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise RestoreRefused("not_sqlite", str(source))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restore-{secrets.token_hex(4)}.tmp")
    _new_private_file(tmp)
    try:
        with open(source, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        checked = verify_backup(tmp, drop_manifest=True)
        for suffix in ("-wal", "-shm", "-journal"):  # a WAL copy left by checking, merged on close
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        fsync_file(tmp)
        if database_in_use(target):
            raise RestoreRefused("in_use", str(target))
        kept = _swap_in(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {**checked, "path": target, "kept": kept}


def _swap_in(tmp: Path, target: Path) -> Path | None:
    """Rename `tmp` over the database; the old one (and its WAL, which must never meet the new
    file) moves aside first."""
    kept = None
    if target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{clock.now().strftime('%Y%m%dT%H%M%S')}")
        wal = Path(f"{target}-wal")
        if wal.exists():
            os.replace(wal, f"{kept}-wal")
        try:
            os.link(target, kept)
        except OSError:
            shutil.copy2(target, kept)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, target)
    fsync_file(target.parent)
    return kept
