"""Submission load: concurrent people signing pledges and schools submitting declarations
against the production server, beside a baseline that does only the durable insert.

The app is started exactly as `make run` starts it: `checklist init`, `checklist schools import`,
`checklist schools issue-codes`, then `checklist serve` (gunicorn: one worker process per core,
4 threads each) on a free port of
127.0.0.1 with a fresh CHECKLIST_DB in a temporary folder. Each client is a browser with its own
cookies and one keep-alive connection, and each is a distinct person:

- a pledge client signs as a new teacher each time: GET the form (CSRF token and cookie), POST
  it, follow the 303 to the receipt;
- a school client (one in eight, each its own school, logged in and sections saved beforehand)
  declares again and again: POST the promise section, follow to the task list, GET the review
  page (submit_key), POST the submit, follow to the result.

The baseline is a minimal Flask app (below) served the way `checklist serve` serves the app
(`serving.run_server`: gunicorn, the same workers, threads and worker start-up) with the app's
own way to write: a connection from `storage.open_db` (WAL, synchronous=FULL) kept per server
thread, and `storage.transaction` (the `WriterQueue` across threads and workers, then BEGIN
IMMEDIATE). It has no validation, no CSRF, no session and no templates; every POST is one
durable insert of a pledge-sized row into a table with no triggers, and a 303 to a page that
reads it back; every GET is a small page. Its clients make the same requests in the same order (a GET where the
app flow has a GET, a POST where it has a POST), so both runs make the same number of requests
and durable writes per flow. Both servers run side by side; `--full` loads them in turns (four
slices each), so that a change in the machine's own load falls on both alike.

Two ratios are printed: the app's throughput against the baseline's, and the app's server CPU
per request against the baseline's.

Rows lost: every acknowledged submission (a receipt or result page shown) is looked up in the
database after the server has stopped. Errors: a status other than 2xx/3xx, a refused form,
a connection failure. Server CPU: the server process's CPU time over its requests (Linux).

Last, the same flows run one after another inside this process through Flask's test client:
the CPU cost per request of the app and of the baseline, with no server, network or threads,
a figure the machine's scheduling hardly moves. It prints figures and asserts nothing.

    python bench/load_bench.py            # small: 8 clients, 3 s per server
    python bench/load_bench.py --full     # 64 clients, 20 s per server (the issue's targets)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import brotli

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import schemas  # noqa: E402
from checklist_app.web import serving  # noqa: E402
from schemas import SECTIONS, examples  # noqa: E402

THREADS = 4  # `checklist serve`'s defaults, used for both servers
WORKERS = serving.usable_cores()  # as `checklist serve` chooses
SCHOOL_SHARE = 8  # one client in eight is a school declaring; the rest are staff signing
PLEDGE_SCHOOLS = 8
MAX_FLOWS_PER_CLIENT = 5_000  # a bound on each client's loop besides the deadline
SLICES_FULL = 4  # --full alternates baseline and app in this many slices each
COST_ROUNDS, COST_ROUNDS_FULL = 10, 60  # rounds of the in-process measure (26 requests each)
REQUEST_TIMEOUT = 30
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMIT_KEY_RE = re.compile(r'name="submit_key" value="([^"]+)"')
PHONE_UA = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 (KHTML, like Gecko) Mobile MicroMessenger/8.0"
# the issue's targets, checked by the figures this prints (never by a test): throughput against
# the baseline's, p99 of every request at 64 clients, the server's CPU per request
TARGETS = {"ratio": 0.7, "p99_ms": 120, "cpu_ms": 1.2}


# --- a browser: one keep-alive connection, its cookies ---------------------------------------


class Refused(Exception):
    """A response the flow did not expect (a status, a missing token, a form sent back)."""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, every request
    post_latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    flows: int = 0
    acknowledged: list[tuple] = field(default_factory=list)  # what a person was shown as stored

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


class Browser:
    def __init__(self, port: int, tally: Tally):
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, form: dict | None = None, site: str = "same-origin"):
        """(status, Location path, body text); the time to the last body byte is recorded."""
        headers = {
            "User-Agent": PHONE_UA,
            "Accept": "text/html",
            "Accept-Encoding": "gzip, deflate, br",
            "Sec-Fetch-Site": site,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        self.tally.latencies.append(elapsed)
        if method == "POST":
            self.tally.post_latencies.append(elapsed)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        encoding = response.getheader("Content-Encoding")
        if encoding == "br":
            data = brotli.decompress(data)
        elif encoding == "gzip":
            data = gzip.decompress(data)
        location = urlsplit(response.getheader("Location") or "")
        where = location.path + (f"?{location.query}" if location.query else "")
        if not 200 <= response.status < 400:
            raise Refused(f"{method} {path.split('/')[1]}: {response.status}")
        return response.status, where, data.decode("utf-8", "replace")


def _found(pattern: re.Pattern, page: str, what: str) -> str:
    match = pattern.search(page)
    if not match:
        raise Refused(f"no {what}")
    return match.group(1)


def _expect(status: int, wanted: int, what: str) -> None:
    if status != wanted:
        raise Refused(f"{what}: {status} (wanted {wanted})")


# --- the app's flows -------------------------------------------------------------------------


def pledge_answers(client: int, n: int) -> dict:
    name = f"教师{client:02d}号{n:04d}"
    answers = {
        "name": name,
        "role": "teacher",
        "phone": f"139{client:03d}{n:05d}",
        "whereabouts": "in_county",
        "signature": name,
    }
    return answers | {item: "y" for item in schemas.PLEDGE_ITEMS}


def app_pledge(browser: Browser, token: str, client: int, n: int) -> tuple:
    status, _, page = browser.request("GET", f"/pledge/{token}", site="none")  # the link, as scanned
    form = pledge_answers(client, n) | {
        "csrf_token": _found(CSRF_RE, page, "csrf_token"),
        "text_sha256": schemas.pledge_text_sha256(),
    }
    status, receipt, _ = browser.request("POST", f"/pledge/{token}", form)
    _expect(status, 303, "pledge POST")
    status, _, _ = browser.request("GET", receipt)
    _expect(status, 200, "receipt")
    return ("pledge", receipt.rsplit("/", 1)[1])


def declaration_sections() -> dict[str, dict]:
    """Every section's answers as the forms post them (ticks as y), from the valid set the tests
    submit too (`schemas.examples`)."""
    answers = examples.declaration_answers(truthful=True)
    out = {}
    for model in SECTIONS:
        data = {}
        for name in model.model_fields:
            value = answers.get(name)
            if value is True:
                data[name] = "y"
            elif value is not None and value is not False:  # 0 is an answer
                data[name] = str(value)
        out[model.section_id] = data
    return out


PROMISE_SECTION = next(m.section_id for m in SECTIONS if "truthful" in m.model_fields)


def school_setup(browser: Browser, code: str, access_code: str, sections: dict) -> str:
    """Log in and save every section once (not timed); returns the session's CSRF token."""
    _, _, page = browser.request("GET", "/school/login", site="none")
    token = _found(CSRF_RE, page, "csrf_token")
    status, _, _ = browser.request(
        "POST", "/school/login", {"csrf_token": token, "school_code": code, "access_code": access_code}
    )
    _expect(status, 302, "school login")
    _, _, page = browser.request("GET", "/school/")
    token = _found(CSRF_RE, page, "csrf_token")
    for section_id, data in sections.items():
        status, _, _ = browser.request("POST", f"/school/declaration/{section_id}", {"csrf_token": token, **data})
        _expect(status, 302, f"section {section_id}")
    return token


def app_declaration(browser: Browser, code: str, token: str, sections: dict) -> tuple:
    """The promise (asked afresh for every version), check answers, submit, the result."""
    status, index, _ = browser.request(
        "POST", f"/school/declaration/{PROMISE_SECTION}", {"csrf_token": token, **sections[PROMISE_SECTION]}
    )
    _expect(status, 302, "promise section")
    browser.request("GET", index)
    _, _, page = browser.request("GET", "/school/declaration/review")
    key = _found(SUBMIT_KEY_RE, page, "submit_key")
    csrf = _found(CSRF_RE, page, "csrf_token")
    status, result, _ = browser.request("POST", "/school/declaration/submit", {"csrf_token": csrf, "submit_key": key})
    _expect(status, 302, "submit")
    status, _, _ = browser.request("GET", result)
    _expect(status, 200, "result")
    return ("declaration", (code, int(result.split("/")[-2])))


# --- the baseline: the durable insert alone --------------------------------------------------


BASELINE_COLUMNS = (
    "school_code",
    "pledge_version",
    *schemas.Pledge.model_fields,
    "text_sha256",
    "reference",
    "submitted_at",
)


BASELINE_TABLE = "baseline_pledges"  # the pledge columns, no trigger, no index but the key


def baseline_app(database: str):
    """A minimal Flask app: a form page, one durable insert per POST, a page reading it back.

    The connection and the write are the app's own (`storage.open_db`, `storage.transaction`),
    so the two servers differ by what the app does around the write, not by how it writes."""
    from flask import Flask, redirect, request

    from checklist_app import storage

    app = Flask("baseline")
    local = threading.local()
    insert = storage.insert_sql(BASELINE_TABLE, list(BASELINE_COLUMNS))

    def db():
        if getattr(local, "db", None) is None:  # one connection per server thread, kept, as the app does
            local.db = storage.open_db(database)
        return local.db

    @app.get("/form")
    def form():
        return '<form method="post" action="/submit"><input name="name"><button>OK</button></form>'

    @app.post("/submit")
    def submit():
        values = request.form.to_dict()
        row = [values.get(c) for c in BASELINE_COLUMNS]
        with storage.transaction(db()) as conn:
            row_id = conn.execute(insert, row).lastrowid
        return redirect(f"/receipt/{row_id}", 303)

    @app.get("/receipt/<int:row_id>")
    def receipt(row_id: int):
        row = db().execute(f"SELECT reference, name FROM {BASELINE_TABLE} WHERE id = ?", [row_id]).fetchone()
        return (f"<p>{row[1]} {row[0]}</p>", 200) if row else ("not found", 404)

    return app


def serve_baseline(database: str, port: int) -> None:
    from checklist_app.web.serving import run_server

    # the server and settings `checklist serve` uses
    run_server(lambda: baseline_app(database), "127.0.0.1", port, workers=WORKERS, threads=THREADS)


def baseline_row(client: int, n: int) -> dict:
    answers = pledge_answers(client, n)
    return answers | {
        "school_code": "B001",
        "pledge_version": "1",
        "text_sha256": schemas.pledge_text_sha256(),
        "reference": f"R{client:03d}{n:05d}",
        "submitted_at": "2026-02-20T08:00:00+08:00",
    }


def baseline_write(browser: Browser, client: int, n: int) -> int:
    status, receipt, _ = browser.request("POST", "/submit", baseline_row(client, n))
    _expect(status, 303, "baseline POST")
    status, _, _ = browser.request("GET", receipt)
    _expect(status, 200, "baseline receipt")
    return int(receipt.rsplit("/", 1)[1])


def baseline_pledge(browser: Browser, client: int, n: int) -> tuple:
    browser.request("GET", "/form", site="none")  # GET, POST, follow: as the pledge flow
    return ("baseline", baseline_write(browser, client, n))


def baseline_declaration(browser: Browser, client: int, n: int) -> tuple:
    # POST, follow, GET, POST, follow: as the declaration flow (two durable writes)
    baseline_write(browser, client, 2 * n)
    browser.request("GET", "/form")
    return ("baseline", baseline_write(browser, client, 2 * n + 1))


# --- running a server and its clients --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checklist(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`checklist ARGS` as the console script runs it (the project need not be installed)."""
    command = [sys.executable, "-c", "from checklist_app.cli import main; main()", *args]
    return subprocess.run(command, env=env, cwd=REPO_ROOT, check=True, capture_output=True, text=True, **kwargs)


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    """The server, its output to `log` (a pipe nobody reads would fill and stall it)."""
    with open(log, "wb") as out:
        server = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    stop(server)
    sys.exit("server did not start in 60 s")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass
class Client:
    """One person's loop: `flow(browser, n)` returns what the person was shown as stored."""

    flow: object
    setup: object = None


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far of a server: the process and its worker processes (Linux
    /proc; None elsewhere)."""
    fields = _stat(pid)
    if fields is None:
        return None
    total = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(int(entry.name))) is not None and int(child[1]) == pid:
            total += int(child[11]) + int(child[12])
    return total / os.sysconf("SC_CLK_TCK")


class Crowd:
    """Concurrent clients of one server, each a browser kept (with its cookies) from one slice
    of the run to the next; each client's setup (a school's login) is done once, unmeasured."""

    def __init__(self, port: int, clients: list[Client], server_pid: int):
        self.clients = clients
        self.server_pid = server_pid
        self.tally = Tally()
        self.browsers = [Browser(port, Tally()) for _ in clients]
        for client, browser in zip(clients, self.browsers, strict=True):
            if client.setup:
                client.setup(browser)
            browser.close()
            browser.tally = Tally()  # setup requests are not part of the measure
        self.elapsed = 0.0
        self.server_cpu: float | None = 0.0
        self.client_cpu = 0.0  # this process's CPU while its clients run: the load generator's
        self.slices = 0

    def run(self, seconds: float) -> None:
        """Every client loops until `seconds` have passed (or MAX_FLOWS_PER_CLIENT flows)."""
        start_line = threading.Barrier(len(self.clients) + 1)
        stop_at = [0.0]
        first = self.slices * MAX_FLOWS_PER_CLIENT  # person numbers never repeat across slices
        self.slices += 1

        def loop(client: Client, browser: Browser) -> None:
            start_line.wait()
            for n in range(first, first + MAX_FLOWS_PER_CLIENT):
                if time.perf_counter() >= stop_at[0]:
                    break
                try:
                    browser.tally.acknowledged.append(client.flow(browser, n))
                    browser.tally.flows += 1
                except Refused as refused:
                    browser.tally.error(str(refused))
                except (OSError, http.client.HTTPException) as error:
                    browser.tally.error(type(error).__name__)
                    browser.close()
            browser.close()

        threads = [
            threading.Thread(target=loop, args=pair, daemon=True)
            for pair in zip(self.clients, self.browsers, strict=True)
        ]
        for thread in threads:
            thread.start()
        stop_at[0] = time.perf_counter() + seconds
        began = time.perf_counter()
        cpu_before, client_cpu_before = cpu_seconds(self.server_pid), time.process_time()
        start_line.wait()
        for thread in threads:
            thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT + 5)
        self.elapsed += time.perf_counter() - began
        self.client_cpu += time.process_time() - client_cpu_before
        cpu_after = cpu_seconds(self.server_pid)
        if cpu_before is None or cpu_after is None or self.server_cpu is None:
            self.server_cpu = None
        else:
            self.server_cpu += cpu_after - cpu_before

    def total(self) -> Tally:
        total = Tally()
        for browser in self.browsers:
            tally = browser.tally
            total.latencies += tally.latencies
            total.post_latencies += tally.post_latencies
            total.flows += tally.flows
            total.acknowledged += tally.acknowledged
            total.errors += tally.errors
            for kind, count in tally.error_kinds.items():
                total.error_kinds[kind] = total.error_kinds.get(kind, 0) + count
        return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --- the two servers -------------------------------------------------------------------------


class AppRun:
    """`checklist serve` on a fresh database made by the command line, as `make run` makes it."""

    name = "app (checklist serve)"

    def __init__(self, workdir: Path, clients: int):
        self.database = workdir / "app" / "checklist.db"
        env = {**os.environ, "CHECKLIST_DB": str(self.database), "PYTHONPATH": str(REPO_ROOT)}
        env.pop("CHECKLIST_SECRET_KEY", None)
        env.pop("CHECKLIST_BASE_URL", None)
        school_clients = max(1, clients // SCHOOL_SHARE)
        schools_csv = workdir / "schools.csv"
        with open(schools_csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "name", "kind", "township"])
            for i in range(PLEDGE_SCHOOLS):
                writer.writerow([f"P{i:03d}", f"压测第{i + 1}小学", "小学", "城关镇"])
            for i in range(school_clients):
                writer.writerow([f"S{i:03d}", f"压测第{i + 1}中学", "初中", "城关镇"])
        checklist(env, "init")
        checklist(env, "schools", "import", str(schools_csv))
        codes_csv = workdir / "codes.csv"
        checklist(env, "schools", "issue-codes", "--out", str(codes_csv))
        with open(codes_csv, encoding="utf-8-sig") as handle:
            issued = {row["code"]: row for row in csv.DictReader(handle)}
        tokens = [issued[f"P{i:03d}"]["pledge_url"].rsplit("/", 1)[1] for i in range(PLEDGE_SCHOOLS)]
        sections = declaration_sections()

        port = free_port()
        command = [sys.executable, "-c", "from checklist_app.cli import main; main()", "serve", "--port", str(port)]
        self.server = start(command, env, port, workdir / "app.log")
        warm = Browser(port, Tally())  # the first requests compile templates: not measured
        app_pledge(warm, tokens[0], 999, 0)
        warm.close()
        roster: list[Client] = []
        for c in range(clients):
            if c < school_clients:
                code = f"S{c:03d}"
                csrf: dict[str, str] = {}

                def setup(browser, code=code, csrf=csrf):
                    csrf["token"] = school_setup(browser, code, issued[code]["access_code"], sections)

                roster.append(
                    Client(lambda b, n, code=code, csrf=csrf: app_declaration(b, code, csrf["token"], sections), setup)
                )
            else:
                roster.append(Client(lambda b, n, c=c: app_pledge(b, tokens[c % PLEDGE_SCHOOLS], c, n)))
        self.crowd = Crowd(port, roster, self.server.pid)

    def lost(self, acknowledged: list[tuple]) -> tuple[int, str]:
        """Acknowledged pledges (by receipt reference) and declarations (by school and version)
        missing from the database, read after the server stopped; and integrity_check."""
        conn = sqlite3.connect(self.database)
        try:
            references = {r[0] for r in conn.execute("SELECT reference FROM pledges")}
            versions = set(conn.execute("SELECT school_code, version FROM declarations"))
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        missing = sum(
            1
            for kind, value in acknowledged
            if (kind == "pledge" and value not in references) or (kind == "declaration" and value not in versions)
        )
        return missing, integrity


def baseline_database(path: Path) -> Path:
    """A database made by `storage.open_db` (WAL, synchronous=FULL) with the baseline's table:
    the columns of a pledge and no trigger (the app's `pledges` has the tallies' triggers)."""
    from checklist_app import storage

    db = storage.open_db(path)
    columns = ", ".join(f'"{column}" TEXT' for column in BASELINE_COLUMNS)
    with storage.transaction(db):
        db.execute(f"CREATE TABLE {BASELINE_TABLE} (id INTEGER PRIMARY KEY, {columns})")
    db.close()
    return path


class BaselineRun:
    """The minimal Flask app above, under the same server and settings, in its own process."""

    name = "baseline (durable insert only)"

    def __init__(self, workdir: Path, clients: int):
        self.database = baseline_database(workdir / "baseline" / "baseline.db")
        school_clients = max(1, clients // SCHOOL_SHARE)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        command = [sys.executable, __file__, "--serve-baseline", str(self.database), "--port", str(port)]
        self.server = start(command, env, port, workdir / "baseline.log")
        warm = Browser(port, Tally())
        baseline_pledge(warm, 999, 0)
        warm.close()
        roster = [
            Client(lambda b, n, c=c: baseline_declaration(b, c, n))
            if c < school_clients
            else Client(lambda b, n, c=c: baseline_pledge(b, c, n))
            for c in range(clients)
        ]
        self.crowd = Crowd(port, roster, self.server.pid)

    def lost(self, acknowledged: list[tuple]) -> tuple[int, str]:
        conn = sqlite3.connect(self.database)
        try:
            stored = {r[0] for r in conn.execute(f"SELECT id FROM {BASELINE_TABLE}")}
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        return sum(1 for _kind, row_id in acknowledged if row_id not in stored), integrity


def summary(run, tally: Tally) -> dict:
    lost, integrity = run.lost(tally.acknowledged)
    requests = len(tally.latencies)
    elapsed, server_cpu = run.crowd.elapsed, run.crowd.server_cpu
    return {
        "requests": requests,
        "flows": tally.flows,
        "seconds": elapsed,
        "throughput": requests / elapsed if elapsed else 0.0,
        "server_cpu_ms": server_cpu / requests * 1000 if server_cpu is not None and requests else None,
        "client_cpu_ms": run.crowd.client_cpu / requests * 1000 if requests else 0.0,
        "p50": percentile(tally.latencies, 50) * 1000,
        "p99": percentile(tally.latencies, 99) * 1000,
        "post_p99": percentile(tally.post_latencies, 99) * 1000,
        "max": max(tally.latencies, default=0.0) * 1000,
        "errors": tally.errors,
        "error_kinds": tally.error_kinds,
        "lost": lost,
        "acknowledged": len(tally.acknowledged),
        "integrity": integrity,
    }


def report(name: str, figures: dict, baseline: dict | None) -> None:
    print(f"{name}:")
    print(f"  requests: {figures['requests']} in {figures['seconds']:.1f} s ({figures['flows']} flows)")
    print(f"  throughput: {figures['throughput']:.1f} req/s")
    if figures["server_cpu_ms"] is not None:
        print(f"  server CPU: {figures['server_cpu_ms']:.2f} ms per request")
    print(f"  clients' CPU (the load generator, same machine): {figures['client_cpu_ms']:.2f} ms per request")
    print(f"  p50: {figures['p50']:.1f} ms")
    print(f"  p99: {figures['p99']:.1f} ms (POST p99 {figures['post_p99']:.1f} ms, max {figures['max']:.1f} ms)")
    kinds = ", ".join(f"{k} ×{v}" for k, v in sorted(figures["error_kinds"].items()))
    print(f"  errors: {figures['errors']}" + (f" ({kinds})" if kinds else ""))
    print(
        f"  rows lost: {figures['lost']} (of {figures['acknowledged']} acknowledged; integrity_check {figures['integrity']})"
    )
    if baseline is not None:
        print(f"  ratio: {throughput_ratio(figures, baseline):.2f} of the baseline's throughput")
        cpu_ratio = cpu_per_request_ratio(figures, baseline)
        if cpu_ratio is not None:
            print(f"  server CPU per request: {cpu_ratio:.2f} × the baseline's")


def throughput_ratio(app: dict, baseline: dict) -> float:
    return app["throughput"] / baseline["throughput"] if baseline["throughput"] else 0.0


def cpu_per_request_ratio(app: dict, baseline: dict) -> float | None:
    if app["server_cpu_ms"] is None or not baseline["server_cpu_ms"]:
        return None
    return app["server_cpu_ms"] / baseline["server_cpu_ms"]


def report_targets(app: dict, baseline: dict, clients: int) -> None:
    """Each of the issue's targets, its figure in this run and whether it was met."""
    ratio, cpu = throughput_ratio(app, baseline), app["server_cpu_ms"]
    rows = [
        ("no error, nothing lost", f"{app['errors']} errors, {app['lost']} lost", app["errors"] == app["lost"] == 0),
        (f"throughput ≥ {TARGETS['ratio']} × the baseline's", f"{ratio:.2f}", ratio >= TARGETS["ratio"]),
        (f"p99 ≤ {TARGETS['p99_ms']} ms", f"{app['p99']:.1f} ms", app["p99"] <= TARGETS["p99_ms"]),
        (
            f"server CPU ≤ {TARGETS['cpu_ms']} ms per request",
            "not measured" if cpu is None else f"{cpu:.2f} ms",
            cpu is not None and cpu <= TARGETS["cpu_ms"],
        ),
    ]
    print("targets at 64 clients" + ("" if clients == 64 else f" (this run: {clients} clients)") + ":")
    for target, figure, met in rows:
        print(f"  {target}: {figure}, {'met' if met else 'not met'}")


# --- the same flows inside this process ------------------------------------------------------


class InProcessBrowser(Browser):
    """A Browser over Flask's test client: the app's own work per request, without a server."""

    def __init__(self, app, tally: Tally):
        super().__init__(0, tally)
        self.client = app.test_client()

    def close(self) -> None:
        pass

    def request(self, method: str, path: str, form: dict | None = None, site: str = "same-origin"):
        headers = {
            "User-Agent": PHONE_UA,
            "Accept": "text/html",
            "Accept-Encoding": "gzip, deflate, br",
            "Sec-Fetch-Site": site,
        }
        response = self.client.open(path, method=method, data=form, headers=headers)
        self.tally.latencies.append(0.0)
        data = response.get_data()
        encoding = response.headers.get("Content-Encoding")
        data = brotli.decompress(data) if encoding == "br" else gzip.decompress(data) if encoding == "gzip" else data
        location = urlsplit(response.headers.get("Location") or "")
        if not 200 <= response.status_code < 400:
            raise Refused(f"{method} {path.split('/')[1]}: {response.status_code}")
        return response.status_code, location.path + (f"?{location.query}" if location.query else ""), data.decode()


def in_process_cost(rounds: int) -> dict[str, float]:
    """CPU time per request of the same mix of flows (seven pledges, one declaration) run one
    after another in this process through Flask's test client, for the app and the baseline.

    No server, no network, no threads: a figure the machine's scheduling hardly moves. Its ratio
    is what the throughput ratio comes to when the server's CPU is the limit.
    """
    from checklist_app import create_app, storage
    from schemas import School

    def cost(browsers: list[InProcessBrowser], one_round) -> float:
        one_round(0)  # warm: templates compiled, connections opened
        for browser in browsers:
            browser.tally = Tally()
        started = time.process_time()
        for n in range(1, rounds + 1):
            one_round(n)
        requests = sum(len(b.tally.latencies) for b in browsers)
        return (time.process_time() - started) / requests * 1000

    with tempfile.TemporaryDirectory(prefix="checklist-cost-") as tmp:
        app = create_app({"DATABASE": f"{tmp}/app.db", "SECRET_KEY": "bench"})
        serving.freeze_startup_objects()  # as each server worker does once its app is made
        db = storage.open_db(app.config["DATABASE"])
        storage.upsert_schools(
            db,
            [
                School(code="P000", name="压测小学", kind="小学", township="城关镇"),
                School(code="S000", name="压测中学", kind="初中", township="城关镇"),
            ],
        )
        token = storage.get_school(db, "P000")["pledge_token"]
        access = storage.issue_access_codes(db, ["S000"], actor="bench")[0]["access_code"]
        db.close()
        sections = declaration_sections()
        signer, school = InProcessBrowser(app, Tally()), InProcessBrowser(app, Tally())
        csrf = school_setup(school, "S000", access, sections)

        def app_round(n: int) -> None:
            for k in range(7):
                app_pledge(signer, token, 1, n * 7 + k)
            app_declaration(school, "S000", csrf, sections)

        figures = {"app": cost([signer, school], app_round)}

        base = baseline_app(str(baseline_database(Path(tmp) / "baseline.db")))
        serving.freeze_startup_objects()
        signer, school = InProcessBrowser(base, Tally()), InProcessBrowser(base, Tally())

        def baseline_round(n: int) -> None:
            for k in range(7):
                baseline_pledge(signer, 1, n * 7 + k)
            baseline_declaration(school, 2, n)

        figures["baseline"] = cost([signer, school], baseline_round)
    return figures


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="64 clients, 20 s per server")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 8, --full 64)")
    parser.add_argument("--seconds", type=float, help="load time per server (default 3, --full 20)")
    parser.add_argument("--serve-baseline", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline, args.port)
        return
    clients = args.clients or (64 if args.full else 8)
    seconds = min(args.seconds or (20.0 if args.full else 3.0), 300.0)
    slices = SLICES_FULL if args.full else 1
    school_clients = max(1, clients // SCHOOL_SHARE)
    print(
        f"submission load: {clients} clients ({clients - school_clients} signing pledges, "
        f"{school_clients} school{'s' if school_clients > 1 else ''} declaring), {seconds:g} s per server in {slices} alternating "
        f"slice{'s' if slices > 1 else ''}, gunicorn {WORKERS} workers × {THREADS} threads, 127.0.0.1"
    )
    with tempfile.TemporaryDirectory(prefix="checklist-load-") as tmp:
        workdir = Path(tmp)
        runs = []
        try:
            runs.append(BaselineRun(workdir, clients))
            runs.append(AppRun(workdir, clients))
            for _ in range(slices):  # alternate, so a change in the machine's load hits both alike
                for run in runs:
                    run.crowd.run(seconds / slices)
        finally:
            for run in runs:
                stop(run.server)
        baseline, app = (summary(run, run.crowd.total()) for run in runs)
    report(BaselineRun.name, baseline, None)
    report(AppRun.name, app, baseline)
    report_targets(app, baseline, clients)
    costs = in_process_cost(COST_ROUNDS_FULL if args.full else COST_ROUNDS)
    print(
        f"cost per request in-process (same flows through Flask's test client, CPU time): "
        f"app {costs['app']:.2f} ms, baseline {costs['baseline']:.2f} ms, ratio {costs['baseline'] / costs['app']:.2f}"
    )


if __name__ == "__main__":
    main()
