"""The database connection, its write queue and the one way to write: `transaction` (BEGIN IMMEDIATE)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # not POSIX: the processes meet SQLite's busy_timeout instead
    fcntl = None

import sqlite_utils

BUSY_TIMEOUT_MS = 15_000
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def private_folder(path: str | Path) -> None:
    """Create a folder (and its parents) readable by the owner only, whatever the umask."""
    Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (or create, owner-only: SQLite gives the -wal and -shm files the database's mode)."""
    private_folder(Path(path).parent)
    if str(path) != ":memory:":
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
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
    path = getattr(db, "_writer_queue_path", None)
    if path is None:  # asked once per connection, not at every transaction
        path = db._writer_queue_path = db_path(db)
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


def query_one(db, sql: str, params: list) -> dict | None:
    """The first row as a dict, or None.

    A plain read of one statement: sqlite_utils' `query` wraps every statement in a savepoint
    and its release, three statements for one read, and most requests make several reads."""
    cursor = db.conn.execute(sql, params)
    try:
        row = cursor.fetchone()
        return None if row is None else dict(zip([column[0] for column in cursor.description], row, strict=True))
    finally:
        cursor.close()  # the statement is reset: no read transaction is left open


def query_rows(db, sql: str, params: list | dict = ()) -> list[dict]:
    """Every row as a dict, read as `query_one` reads (for the reads every request makes)."""
    cursor = db.conn.execute(sql, params)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def insert_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})'


def db_path(db) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


@contextmanager
def export_file(db, dest: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to the live database inside one read transaction, with a new file `dest`
    attached as `export` for the caller to fill: no journal (until it is complete it is no copy
    at all), committed, detached and synced to disk once at the end. Every download is made so."""
    dest = Path(dest)
    dest.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path(db), isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS export", [str(dest)])
        conn.execute("PRAGMA export.journal_mode = OFF")
        conn.execute("PRAGMA export.synchronous = OFF")
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE export")
    finally:
        conn.close()
    fsync_file(dest)
