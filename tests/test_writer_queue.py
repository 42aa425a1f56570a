"""Writers to one database wait their turn across threads and across processes (the server's
gunicorn workers, a command run beside them), never meeting "database is locked"."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from checklist_app import storage
from tests.waiting import HANG_SECONDS

fcntl = pytest.importorskip("fcntl", reason="the queue across processes needs flock (POSIX)")
FORK = multiprocessing.get_context("fork")


def _try_to_write(path: str, timeout: float, answers) -> None:
    db = storage.open_db(path)
    answers.put(storage.connection._writer_queue(db).acquire(timeout))


def test_a_forked_worker_waits_for_the_parents_writer(tmp_path):
    path = str(tmp_path / "queue.db")
    db = storage.open_db(path)
    queue = storage.connection._writer_queue(db)
    answers = FORK.Queue()
    assert queue.acquire(1)
    try:
        # a worker forked while the parent writes gets a file description of its own: were it
        # to share the parent's, flock would let it in
        child = FORK.Process(target=_try_to_write, args=(path, 0.3, answers))
        child.start()
        assert answers.get(timeout=HANG_SECONDS) is False
        child.join(HANG_SECONDS)
    finally:
        queue.release()
    child = FORK.Process(target=_try_to_write, args=(path, 5, answers))
    child.start()
    assert answers.get(timeout=HANG_SECONDS) is True
    child.join(HANG_SECONDS)


def _write_rows(path: str, worker: int, rows: int, failures) -> None:
    db = storage.open_db(path)
    db.execute("PRAGMA busy_timeout = 0")  # SQLite alone would refuse a second writer at once
    try:
        for n in range(rows):
            with storage.transaction(db):
                db.execute("INSERT INTO entries (worker, n) VALUES (?, ?)", [worker, n])
    except Exception as error:  # reported to the test, which fails on it
        failures.put(repr(error))


def test_processes_and_threads_writing_at_once_all_get_their_turn(tmp_path):
    path = str(tmp_path / "rush.db")
    db = storage.open_db(path)
    db.execute("CREATE TABLE entries (worker INTEGER, n INTEGER, UNIQUE (worker, n))")
    failures = FORK.Queue()
    processes = [FORK.Process(target=_write_rows, args=(path, w, 150, failures)) for w in range(3)]
    for process in processes:
        process.start()
    threads = [threading.Thread(target=_write_rows, args=(path, w, 150, failures)) for w in range(3, 5)]
    for thread in threads:
        thread.start()
    for worker in [*processes, *threads]:
        worker.join(HANG_SECONDS)
    assert failures.empty(), failures.get()
    assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 5 * 150


def test_a_thread_that_holds_the_queue_may_take_it_again(tmp_path):
    queue = storage.connection._writer_queue(storage.open_db(tmp_path / "again.db"))
    assert queue.acquire(1) and queue.acquire(1)
    queue.release()
    holder_done = threading.Event()
    taken: list[bool] = []
    other = threading.Thread(target=lambda: (taken.append(queue.acquire(0.2)), holder_done.set()))
    other.start()
    holder_done.wait(HANG_SECONDS)
    assert taken == [False]  # still held once
    queue.release()
    other = threading.Thread(target=lambda: taken.append(queue.acquire(1)) or queue.release())
    other.start()
    other.join(HANG_SECONDS)
    assert taken == [False, True]


def test_a_failed_flock_leaves_the_queue_free_for_the_next_writer(tmp_path, monkeypatch):
    queue = storage.connection._writer_queue(storage.open_db(tmp_path / "flaky.db"))
    real_flock, failures = fcntl.flock, [OSError(37, "No locks available")]

    def flaky(fd, operation):
        if failures:
            raise failures.pop()
        return real_flock(fd, operation)

    monkeypatch.setattr(storage.connection.fcntl, "flock", flaky)
    with pytest.raises(OSError):
        queue.acquire(1)
    taken: list[bool] = []
    other = threading.Thread(target=lambda: taken.append(queue.acquire(1)) or queue.release())
    other.start()
    other.join(HANG_SECONDS)
    assert taken == [True]
