"""Crash: the real server (`checklist serve`) killed with SIGKILL during a burst of pledges.

The whole server is killed at once, the gunicorn arbiter and the worker processes that do the
writes (its process group), as a power cut or the kernel's OOM killer would.

Each round starts the server on the same database, lets a few threads sign pledges over real
HTTP (each a different person; some send their form twice, as a double click does), and kills
the server in the middle of the burst: once a random number of pledges (1 to 30) were
acknowledged in that round, while the other clients' requests are on their way. A pledge is acknowledged when the server answered with the
redirect to its receipt. At the end every acknowledged pledge is in the database exactly once,
its receipt still shows, and `PRAGMA integrity_check` is ok.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from urllib.parse import urlencode

import pytest

import schemas
from checklist_app import REPO_ROOT, storage
from schemas import School
from tests.waiting import HANG_SECONDS, wait_until

ROUNDS = 6
CLIENTS = 4
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECEIPT_RE = re.compile(r"/pledge/[^/]+/receipt/([A-Z0-9]+)$")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`checklist serve` in its own process, as `make run` starts it, on a free port."""

    def __init__(self, env: dict, log, attempts: int = 3):
        for _attempt in range(attempts):  # another process may take the free port first
            self.port = free_port()
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from checklist_app.cli import main; main()", "serve", "--port", str(self.port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers die with it
            )
            try:
                if self._wait_until_up():
                    return
            except AssertionError:  # it hung: no test fixture knows of it yet
                os.killpg(self.process.pid, signal.SIGKILL)
                raise
        raise AssertionError(f"the server did not start in {attempts} attempts (see server.log)")

    def _wait_until_up(self) -> bool:
        """Whether it answers /healthz; False when it exited first (the port was taken)."""
        wait_until(lambda: self.process.poll() is not None or self._healthy(), "the server to answer /healthz")
        return self.process.poll() is None

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=HANG_SECONDS)
        assert self.process.returncode == -signal.SIGKILL
        # killed workers are reaped by init, in their own time: a worker that outlived the kill
        # keeps the group alive past the hang deadline
        wait_until(lambda: not self.group_alive(), "every worker of the killed server to be gone")

    def group_alive(self) -> bool:
        """Whether any process of its group remains."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


class Signer(threading.Thread):
    """One client: GET the form, POST it, again and again, until told to stop or cut off."""

    def __init__(self, port: int, token: str, first: int, acknowledged: dict, changed, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.token, self.number = port, token, first
        self.acknowledged, self.changed, self.stop = acknowledged, changed, stop
        self.failure: str | None = None  # an answer that is not a receipt, while the server ran

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.number += 1
                try:
                    self.sign(self.number, twice=self.number % 5 == 0)
                except (OSError, http.client.HTTPException):
                    return  # the server is gone: whatever was not acknowledged may be lost
                except AssertionError as error:
                    self.failure = str(error)
                    return
        finally:
            with self.changed:  # whoever waits for pledges stops waiting for this one
                self.changed.notify_all()

    def sign(self, n: int, twice: bool) -> None:
        person = (f"教师{n:05d}", f"139{n:08d}")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", f"/pledge/{self.token}")
        page = conn.getresponse()
        cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
        csrf = TOKEN_RE.search(page.read().decode()).group(1)
        body = urlencode(
            {
                "csrf_token": csrf,
                "name": person[0],
                "signature": person[0],
                "phone": person[1],
                "role": "teacher",
                "whereabouts": "in_county",
                **{item: "y" for item in schemas.PLEDGE_ITEMS},
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        for _ in range(2 if twice else 1):
            conn.request("POST", f"/pledge/{self.token}", body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            found = RECEIPT_RE.search(answer.getheader("Location", ""))
            assert answer.status == 303 and found, f"pledge refused: {answer.status}"
            with self.changed:
                earlier = self.acknowledged.setdefault(person, found.group(1))
                self.changed.notify_all()
            assert earlier == found.group(1), "a resent form was given a second reference"
        conn.close()


def wait_for_pledges(acknowledged: dict, changed: threading.Condition, signers: list[Signer], wanted: int) -> None:
    """Until `wanted` pledges are acknowledged in all, or every signer has stopped."""
    with changed:
        changed.wait_for(
            lambda: len(acknowledged) >= wanted or not any(s.is_alive() for s in signers), timeout=HANG_SECONDS
        )


@pytest.fixture
def start_server(tmp_path):
    """Start `checklist serve`; whatever is still running at the end is killed."""
    started: list[Server] = []
    log = open(tmp_path / "server.log", "wb")

    def start(env: dict) -> Server:
        started.append(Server(env, log))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None or server.group_alive():
            try:
                os.killpg(server.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.process.wait(timeout=10)
    log.close()


def test_every_acknowledged_pledge_survives_sigkill_exactly_once(tmp_path, start_server):
    database = tmp_path / "checklist.db"
    env = {
        **os.environ,
        "CHECKLIST_DB": str(database),
        "CHECKLIST_SECRET_KEY": "crash-test",
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("CHECKLIST_BASE_URL", None)
    subprocess.run(
        [sys.executable, "-c", "from checklist_app.cli import main; main()", "init"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    db = storage.open_db(database)
    storage.upsert_schools(db, [School(code="SCH01", name="城关第一小学", kind="小学", township="城关镇")])
    token = storage.issue_access_codes(db, ["SCH01"], actor="test")[0]["pledge_token"]
    db.close()

    rng = random.Random(os.environ.get("CRASH_SEED"))
    acknowledged: dict[tuple[str, str], str] = {}
    changed = threading.Condition()  # held to change `acknowledged`, notified when it changes
    for round_number in range(ROUNDS):
        server = start_server(env)
        stop = threading.Event()
        signers = [
            Signer(server.port, token, (round_number * CLIENTS + i) * 100_000, acknowledged, changed, stop)
            for i in range(CLIENTS)
        ]
        wanted = len(acknowledged) + rng.randint(1, 30)
        for signer in signers:
            signer.start()
        wait_for_pledges(acknowledged, changed, signers, wanted)
        server.kill()
        stop.set()
        for signer in signers:
            signer.join(timeout=HANG_SECONDS)
            assert not signer.is_alive()
            assert signer.failure is None, signer.failure
        assert len(acknowledged) >= wanted, f"round {round_number}: the burst stopped before the kill"
    print(f"{len(acknowledged)} pledges acknowledged over {ROUNDS} kills")

    # restarted once more: every receipt still shows
    server = start_server(env)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for reference in rng.sample(sorted(acknowledged.values()), min(20, len(acknowledged))):
        conn.request("GET", f"/pledge/{token}/receipt/{reference}")
        receipt = conn.getresponse()
        assert receipt.status == 200 and reference in receipt.read().decode()
    server.kill()

    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute("SELECT reference, name, phone FROM pledges WHERE school_code = 'SCH01'").fetchall()
    finally:
        conn.close()
    by_reference = {}
    by_person: dict[tuple[str, str], int] = {}
    for reference, name, phone in rows:
        assert reference not in by_reference, f"reference {reference} stored twice"
        by_reference[reference] = (name, phone)
        by_person[(name, phone)] = by_person.get((name, phone), 0) + 1
    for person, reference in acknowledged.items():
        assert by_reference.get(reference) == person, f"acknowledged pledge {reference} of {person} is lost"
        assert by_person[person] == 1, f"{person} stored {by_person[person]} times"
