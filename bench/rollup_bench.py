"""A province's roll-up: the downloads of its counties taken in by `checklist rollup add`.

The province of `province_bench.py` (its generator: 20,000 schools, 1,000,000 pledges and 60,000
declaration versions with `--full`) is split into counties of equal size: each county gets a
database of its own (`storage.migrate`), its schools' rows copied in, the province's settings
and audit log; then each county's download is made as the bureau's is
(`exchange.exports.export_to`, with a six-digit region code under 22 and its own name). A
province instance (`county.toml`: level = "province", 220000) then takes in every download with
one `checklist rollup add`, run in a child process.

It prints the wall time of the add (inside the child, and with the child's start), the child's
peak resident memory (VmHWM from /proc: interpreter and imports included), the size of the
roll-up's database, and checks that
every table of the roll-up holds as many rows as the downloads did in all, that every county
holds its own file's rows, and that the inputs hold what the generator made; it exits 1 if not.

Then the upper level's console on the roll-up, through the app (the Flask test client, logged in
as a bureau admin made with `storage.create_admin`, as `province_bench.py` times the county's):
GET /bureau/ (the first view in the process, then the median and slowest of `REPEATS` more),
one county's page and one of its townships'. Then the last county sends a newer download (its
database with one more pledge, through `storage.record_pledge`, exported again), taken in by a
second `checklist rollup add` in a child process; the bench checks that the county's rows are now
exactly the newer file's, and times GET /bureau/ again in the same process: the first view after
the add (checked to show the newer download's time) and `REPEATS` more.
Speed is printed, never asserted.

    python bench/rollup_bench.py          # small: 5 counties, 500 schools, 20,000 pledges
    python bench/rollup_bench.py --full   # 100 counties, 20,000 schools, 1,000,000 pledges
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import province_bench  # noqa: E402  (puts the repository on the path)
from province_bench import ADMIN, FULL, PASSWORD, REPEATS, SMALL, TARGETS, Scale, school_code  # noqa: E402

from checklist_app import create_app, deployment, storage  # noqa: E402
from checklist_app.exchange import exports  # noqa: E402
from checklist_app.exchange.about import Origin  # noqa: E402
from checklist_app.storage import rollup  # noqa: E402
from checklist_app.web import auth, serving  # noqa: E402
from schemas import clock  # noqa: E402

TARGET_S = 120
PROVINCE_TOML = 'level = "province"\nregion_code = "220000"\nregion_name = "吉林省"\nbureau_name = "吉林省教育厅"\n'
# each county's rows in the province's database: by school, or (settings, audit log) all of them
BY_SCHOOL = {"schools": "code", "declarations": "school_code", "pledges": "school_code", "roster": "school_code"}
WHOLE = ("settings", "audit_log")

ADD_CHILD = """
import sys, time
started = time.perf_counter()
from checklist_app.cli import main
code = 0
try:
    main(["rollup", "add", *sys.argv[1:]])
except SystemExit as stop:
    code = stop.code
seconds = time.perf_counter() - started
peak_kb = None
try:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak_kb = int(line.split()[1])
except OSError:
    pass
print("BENCH", code, seconds, peak_kb)
"""


def county_code(k: int) -> str:
    """220101, 220102 … 220120, 220201 …: twenty counties to a city, all under 22."""
    return f"22{k // 20 + 1:02d}{k % 20 + 1:02d}"


def county_schools(scale: Scale, counties: int, k: int) -> range:
    return range(k * scale.schools // counties, (k + 1) * scale.schools // counties)


def origin(k: int, taken_at) -> Origin:
    return Origin(county_code(k), f"第{k + 1}县", f"第{k + 1}县教育局", taken_at)


def county_downloads(province: Path, workdir: Path, scale: Scale, counties: int) -> list[Path]:
    """Each county's download, made from its own database holding its share of the province;
    the last county's database is left in `workdir` (county.db) for its newer download."""
    files = []
    taken_at = clock.now()
    (workdir / "downloads").mkdir(exist_ok=True)
    for k in range(counties):
        schools = county_schools(scale, counties, k)
        live = workdir / "county.db"
        for leftover in workdir.glob("county.db*"):
            leftover.unlink()
        db = storage.open_db(live)
        try:
            storage.migrate(db)
            db.conn.execute("PRAGMA synchronous = OFF")  # a stepping stone to the download
            db.conn.execute("ATTACH DATABASE ? AS province", [str(province)])
            with storage.transaction(db):
                db.execute("DELETE FROM settings")
                for table in WHOLE:
                    db.execute(f"INSERT INTO main.{table} SELECT * FROM province.{table}")
                for table, column in BY_SCHOOL.items():
                    db.execute(
                        f"INSERT INTO main.{table} SELECT * FROM province.{table} WHERE {column} BETWEEN ? AND ?",
                        [school_code(schools[0]), school_code(schools[-1])],
                    )
            db.conn.execute("DETACH DATABASE province")
            dest = workdir / "downloads" / f"{county_code(k)}.sqlite"
            exports.export_to(db, dest, "sqlite", origin(k, taken_at))
            files.append(dest)
        finally:
            db.close()
    return files


def newer_download(workdir: Path, scale: Scale, counties: int) -> Path:
    """The last county's download again, taken now, with one more pledge: `province_bench.writes`'
    first write (someone on the roster of the province's last school who had not signed)."""
    live = workdir / "county.db"
    written = province_bench.writes(live, scale)
    if next(written) != "pledge":
        sys.exit("the newer download's write was not a pledge")
    written.close()
    (workdir / "newer").mkdir(exist_ok=True)
    dest = workdir / "newer" / f"{county_code(counties - 1)}.sqlite"
    db = storage.open_db(live)
    try:
        exports.export_to(db, dest, "sqlite", origin(counties - 1, clock.now()))
    finally:
        db.close()
    return dest


def rows_in(path: Path) -> dict[str, int]:
    conn = exports.open_snapshot(path)
    try:
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in rollup.KEPT_TABLES}
    finally:
        conn.close()


def run_add(files: list[Path], database: Path, config: Path) -> tuple[int, float, float, float | None]:
    """(exit code, seconds inside the child, wall seconds, the child's peak RSS in MiB)."""
    env = {**os.environ, "CHECKLIST_DB": str(database), "CHECKLIST_CONFIG": str(config)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", ADD_CHILD, *map(str, files)],
        cwd=province_bench.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.perf_counter() - started
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if not last.startswith("BENCH "):
        sys.exit(f"rollup add did not finish:\n{result.stdout}\n{result.stderr}")
    _, code, seconds, peak_kb = last.split()
    return int(code or 0), float(seconds), wall, (int(peak_kb) / 1024 if peak_kb != "None" else None)


def check(database: Path, files: list[Path], generated: dict[str, int]) -> list[str]:
    """What does not add up, in words; empty when every row of every county is there once."""
    wrong = []
    inputs = {path: rows_in(path) for path in files}
    conn = sqlite3.connect(database)
    try:
        for table in rollup.KEPT_TABLES:
            given = sum(counts[table] for counts in inputs.values())
            (held,) = conn.execute(f"SELECT COUNT(*) FROM rollup_{table}").fetchone()
            if held != given:
                wrong.append(f"{table}: {held} rows held, {given} in the downloads")
        held_by_county = {
            code: json.loads(rows) for code, rows in conn.execute("SELECT region_code, rows FROM rollup_counties")
        }
        for path, counts in inputs.items():
            if held_by_county.get(path.stem) != counts:
                wrong.append(f"county {path.stem}: {held_by_county.get(path.stem)} held, {counts} in its file")
        for table in ("schools", "pledges", "roster", "declarations"):
            per_county = dict(conn.execute(f"SELECT region_code, COUNT(*) FROM rollup_{table} GROUP BY region_code"))
            if any(per_county.get(path.stem, 0) != counts[table] for path, counts in inputs.items()):
                wrong.append(f"{table}: a county holds other than its file's rows")
    finally:
        conn.close()
    for table in ("schools", "pledges", "roster", "declarations"):
        given = sum(counts[table] for counts in inputs.values())
        if given != generated[table]:
            wrong.append(f"{table}: {given} rows in the downloads, {generated[table]} generated")
    return wrong


def held(database: Path, code: str) -> tuple[str, dict[str, int]]:
    """The county's download held: its time and its rows per table."""
    conn = sqlite3.connect(database)
    try:
        taken_at, rows = conn.execute(
            "SELECT taken_at, rows FROM rollup_counties WHERE region_code = ?", [code]
        ).fetchone()
    finally:
        conn.close()
    return taken_at, json.loads(rows)


def a_township(database: Path, code: str) -> tuple[str, int]:
    """The county's first township by name, and its schools and bureaus."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute(
            "SELECT township, COUNT(*) FROM rollup_schools WHERE region_code = ? GROUP BY township ORDER BY township",
            [code],
        ).fetchone()
    finally:
        conn.close()


def console_client(database: Path, config: Path):
    """The province's app on the roll-up, and a test client logged in as a bureau admin."""
    db = storage.open_db(database)
    try:
        storage.create_admin(db, ADMIN, auth.hash_password(PASSWORD))
    finally:
        db.close()
    app = create_app({"DATABASE": str(database), "SECRET_KEY": "rollup-bench", "DEPLOYMENT": deployment.load(config)})
    serving.freeze_startup_objects()  # as each server worker does once its app is made
    return province_bench.logged_in_client(app, "/bureau/login", {"username": ADMIN, "password": PASSWORD})


def time_page(client, url: str) -> tuple[float, float, float, str]:
    """(first view, median and slowest of REPEATS more) in ms, and the page."""

    def view() -> str:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
        return response.get_data(as_text=True)

    return province_bench.timed(view)


def page_line(what: str, timing: tuple, first: str, first_counts: bool = False) -> str:
    """The figures of `time_page`; the target is for the repeated views, and for the first view
    too when `first_counts` (the first after a write: the first in the process is its start)."""
    first_ms, median, slowest, page = timing
    met = max(first_ms if first_counts else 0, slowest) < TARGETS["dashboard_ms"]
    return (
        f"{what}: {first_ms:.0f} ms the {first}; {median:.0f} ms median, slowest {slowest:.0f} ms ({REPEATS} views); "
        f"page {len(page.encode()) / 1e3:.0f} KB — target < {TARGETS['dashboard_ms']} ms: "
        + province_bench.verdict_word(met)
    )


def shown_time(page: str, code: str) -> str | None:
    """The time of the county's download the dashboard's row of the county shows."""
    found = re.search(rf'<tr data-county="{code}">.*?data-age="([^"]+)"', page, re.S)
    return found.group(1) if found else None


def console(database: Path, config: Path, workdir: Path, scale: Scale, counties: int) -> None:
    """Time the console's pages on the roll-up; then replace the last county with its newer
    download and time the dashboard again, in the same process. Prints; exits 1 if a page or
    the replaced county is not what it should be."""
    bureau = console_client(database, config)
    code = county_code(counties - 1)
    township, township_schools = a_township(database, code)
    dashboard = time_page(bureau, "/bureau/")
    if f'data-count="counties">{counties}<' not in dashboard[3]:
        sys.exit(f"GET /bureau/ does not show {counties} counties")
    print(
        page_line(
            f"province dashboard (GET /bureau/, {counties} counties, {scale.schools} schools)",
            dashboard,
            "first view in the process",
        )
    )
    before_at, before = held(database, code)
    print(
        page_line(
            f"county page (GET /bureau/county/{code}, {before['schools']} schools)",
            time_page(bureau, f"/bureau/county/{code}"),
            "first view",
        )
    )
    print(
        page_line(
            f"township page (GET /bureau/county/{code}/township/{township}, {township_schools} schools)",
            time_page(bureau, f"/bureau/county/{code}/township/{quote(township)}"),
            "first view",
        )
    )

    newer = newer_download(workdir, scale, counties)
    exit_code, seconds, wall, _ = run_add([newer], database, config)
    if exit_code:
        sys.exit(f"rollup add of the newer download exited {exit_code}")
    taken_at, rows = held(database, code)
    if taken_at == before_at or rows != rows_in(newer) or rows["pledges"] != before["pledges"] + 1:
        sys.exit(f"county {code}: {rows} held at {taken_at}, not the newer download's {rows_in(newer)}")
    print(
        f"rollup add of a newer download: county {code} replaced ({rows['pledges']} pledges, one more) "
        f"in {seconds:.1f} s ({wall:.1f} s with the child's start); its rows are the newer file's"
    )
    after = time_page(bureau, "/bureau/")
    if shown_time(after[3], code) != taken_at:
        sys.exit(f"GET /bureau/ after the add shows county {code} at {shown_time(after[3], code)}, not {taken_at}")
    print(
        page_line(
            "province dashboard after a county was replaced (GET /bureau/)",
            after,
            "first view after the add",
            first_counts=True,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="100 counties, 20,000 schools, 1,000,000 pledges")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = parser.parse_args()
    scale, counties = (FULL, 100) if args.full else (SMALL, 5)
    print(f"province roll-up: {counties} counties, {scale.schools} schools, {scale.pledges} pledges in all")
    with tempfile.TemporaryDirectory(prefix="checklist-rollup-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for leftover in [*workdir.glob("*.db*"), *workdir.glob("downloads/*"), *workdir.glob("newer/*")]:
            leftover.unlink()
        started = time.perf_counter()
        province = workdir / "province.db"
        generated = province_bench.generate(province, scale, scale.pledges, roster=True)
        files = county_downloads(province, workdir, scale, counties)
        for used in workdir.glob("province.db*"):
            used.unlink()
        size = sum(f.stat().st_size for f in files)
        print(
            f"made: {len(files)} county downloads, {size / 1e6:.0f} MB in all, in {time.perf_counter() - started:.1f} s"
        )
        config = workdir / "province.toml"
        config.write_text(PROVINCE_TOML, encoding="utf-8")
        database = workdir / "rollup.db"
        db = storage.open_db(database)
        storage.migrate(db)  # the province instance, as `checklist init` leaves it
        db.close()
        if hasattr(os, "sync"):
            os.sync()
        code, seconds, wall, peak = run_add(files, database, config)
        if code:
            sys.exit(f"rollup add exited {code}")
        rows = sum(sum(rows_in(f).values()) for f in files)
        print(
            f"rollup add: {len(files)} county downloads ({rows} rows) in {seconds:.1f} s ({wall:.1f} s with the "
            f"child's start) — target < {TARGET_S} s: " + ("met" if wall < TARGET_S else "NOT met")
        )
        print(f"peak RSS: {peak:.0f} MiB" if peak is not None else "peak RSS: unknown (no /proc)")
        print(f"roll-up database: {database.stat().st_size / 1e6:.0f} MB")
        wrong = check(database, files, generated)
        if wrong:
            print("check: " + "; ".join(wrong))
            sys.exit(1)
        print(
            f"check: schools {generated['schools']}, pledges {generated['pledges']}, roster {generated['roster']}, "
            f"declarations {generated['declarations']}; every table, and every county, matches the sums of the inputs"
        )

        console(database, config, workdir, scale, counties)


if __name__ == "__main__":
    main()
