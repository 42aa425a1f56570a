"""Province scale: a merged database of 20,000 schools, 1,000,000 pledges and 60,000 declaration
versions, and how long the bureau's pages and downloads take on it.

The data is generated fast, straight into a database that `storage.migrate` created (one
transaction of `executemany` per table, not through the web): every school has a roster (the
people who signed, less one who signed without being on it, plus five who have not signed), so
each school's 未签名单 has names in it; one organisation in two hundred is a bureau (pledges, no
declaration); most schools declared, some several times, the latest version ready or not.

The bulk load writes declarations without their standings, so the generator ends with
`storage.recompute_derived` (timed apart), as any bulk load must.

Timed, each on the generated database:
- the dashboard: GET /bureau/ through the Flask test client, logged in as a bureau admin: the
  first view after a write (a pledge signed or a declaration submitted through `storage` on
  another connection just before; the dashboard keeps what it read only until the next commit),
  and a repeat view with no write in between; then the same again, in the same run and process,
  once every school that declared has one inspection (检查核实) by the team of its county, and
  the ratio of the two. The first `RECORDED_INSPECTIONS` inspections go through
  `storage.record_inspection` itself, the rest are bulk-inserted (one `executemany` per table)
  and followed by `storage.recompute_derived`, which works the 核查 state out with the very
  function `record_inspection` calls; the bench checks that the standings the verb stored are
  the ones the bulk path leaves, and that none is stale. Of the inspections, most find the items
  they checked 相符, about a quarter find one item 不符 (half of those past their 整改期限), and
  some are of a school's previous version (待复查);
- one school's 未签名单: GET /school/staff/ logged in as a school with about 50 roster rows
  (and `storage.roster_status` alone);
- a snapshot (`storage.snapshot`): MB/s = the snapshot's size / seconds;
- an XLSX export (`exports.write_xlsx`) of a snapshot holding 500,000 pledges (the same
  schools and declarations, no roster), run in a child process: seconds, and the child's peak
  resident memory (VmHWM from /proc: the whole Python process, interpreter and imports
  included; not ru_maxrss, which on Linux carries the parent's peak over the fork).

It prints figures. It asserts only that each page answered, that each dashboard view did what
it is timed as (read the county again after a write, not on a repeat view) and that the bulk
inspections left the standings as the verb does.

    python bench/province_bench.py          # small: 500 schools, 20,000 pledges, XLSX of 10,000
    python bench/province_bench.py --full   # 20,000 schools, 1,000,000 pledges, XLSX of 500,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import schemas  # noqa: E402
from checklist_app import create_app, storage  # noqa: E402
from checklist_app.web import auth, serving  # noqa: E402
from schemas import BUREAU_KIND, DECLARING_KINDS, CountySettings, Declaration, Pledge, clock, examples, verdict  # noqa: E402
from schemas.inspection import (  # noqa: E402
    CONFIRMED,
    CONTRADICTED,
    STATE_LABELS,
    Inspection,
    InspectionFields,
    finding_field,
    findings_of,
    judged_items,
    note_field,
)

TARGETS = {"dashboard_ms": 300, "unsigned_ms": 100, "snapshot_mb_s": 200, "xlsx_s": 30, "xlsx_mb": 300}
ADMIN, PASSWORD = "bench", "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
REFERENCE_ALPHABET = storage.REFERENCE_ALPHABET
BUREAU_EVERY = 200
UNSIGNED_PER_SCHOOL = 5
DECLARED_SHARE = 0.85
READY_SHARE = 0.7
REPEATS = 5
SCHOOLS_PER_TEAM = 200  # one inspection team per generated county
RECORDED_INSPECTIONS = 20  # through storage.record_inspection; the rest in bulk


@dataclass(frozen=True)
class Scale:
    schools: int
    pledges: int
    versions: int
    xlsx_pledges: int


SMALL = Scale(schools=500, pledges=20_000, versions=1_500, xlsx_pledges=10_000)
FULL = Scale(schools=20_000, pledges=1_000_000, versions=60_000, xlsx_pledges=500_000)


# --- generating the province -----------------------------------------------------------------


def person_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] + GIVEN[(n // 7) % len(GIVEN)]


def reference(n: int) -> str:
    """A distinct 8-character receipt reference per n (a bijection of n modulo 31^8)."""
    value = (n * 7_919 + 104_729) % len(REFERENCE_ALPHABET) ** 8
    chars = []
    for _ in range(8):
        value, digit = divmod(value, len(REFERENCE_ALPHABET))
        chars.append(REFERENCE_ALPHABET[digit])
    return "".join(chars)


def school_code(s: int) -> str:
    return f"X{s:05d}"


def is_bureau(s: int) -> bool:
    return s % BUREAU_EVERY == 0


def pledges_per_school(scale: Scale, pledges: int) -> list[int]:
    base, extra = divmod(pledges, scale.schools)
    return [base + (1 if s < extra else 0) for s in range(scale.schools)]


def declaration_templates() -> dict[str, dict]:
    """Stored rows (model columns, verdict, gaps) of a ready and a not-ready declaration."""
    settings = CountySettings(epidemic_controlled=True)
    out = {}
    for name, changes in (("ready", {}), ("not_ready", {"campus_disinfected": False, "masks": 100})):
        declaration = Declaration.model_validate(examples.declaration_answers(**changes))
        result = verdict(declaration, settings)
        out[name] = {
            **storage.to_row(declaration),
            "verdict": result.value,
            "gaps": json.dumps([g.as_dict() for g in result.gaps], ensure_ascii=False),
        }
    return out


def insert_rows(db, table: str, columns: list[str], rows) -> int:
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cursor = db.conn.executemany(sql, rows)
    return cursor.rowcount


def generate(path: Path, scale: Scale, pledges: int, roster: bool) -> dict[str, int]:
    """A province's database at `path`; returns the rows per table."""
    db = storage.open_db(path)
    storage.migrate(db)
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="bench")
    db.conn.execute("PRAGMA synchronous = OFF")  # generating, not serving: nothing to lose yet
    stamp = "2026-02-20T08:00:00+08:00"
    kinds = list(DECLARING_KINDS)
    access_hash = storage.hash_secret("ACCESS")  # one slow hash for all: the bench logs in as one
    counts = {}
    db.conn.execute("BEGIN IMMEDIATE")
    counts["schools"] = insert_rows(
        db,
        "schools",
        [
            "code",
            "name",
            "kind",
            "township",
            "access_code_hash",
            "access_code_issued_at",
            "pledge_token",
            "created_at",
            "updated_at",
        ],
        (
            (
                school_code(s),
                f"第{s}号教育局机关" if is_bureau(s) else f"第{s}号{kinds[s % len(kinds)]}",
                BUREAU_KIND if is_bureau(s) else kinds[s % len(kinds)],
                f"{s // 200:03d}县{(s // 13) % 15:02d}镇",
                access_hash,
                stamp,
                f"token-{s}",
                stamp,
                stamp,
            )
            for s in range(scale.schools)
        ),
    )

    per_school = pledges_per_school(scale, pledges)
    starts = [0]
    for n in per_school:
        starts.append(starts[-1] + n)
    sha = schemas.pledge_text_sha256()
    items = list(schemas.PLEDGE_ITEMS)
    pledge_columns = [
        "school_code",
        "pledge_version",
        "name",
        "role",
        "phone",
        "whereabouts",
        *items,
        "signature",
        "text_sha256",
        "reference",
        "submitted_at",
    ]

    def pledge_rows():
        for s, n in enumerate(per_school):
            code = school_code(s)
            for k in range(starts[s], starts[s] + n):
                name = person_name(k)
                yield (
                    code,
                    schemas.PLEDGE_VERSION,
                    name,
                    "cadre" if is_bureau(s) else "teacher",
                    f"13{k:09d}",
                    "in_county",
                    *([1] * len(items)),
                    name,
                    sha,
                    reference(k),
                    stamp,
                )

    counts["pledges"] = insert_rows(db, "pledges", pledge_columns, pledge_rows())

    if roster:

        def roster_rows():
            for s, n in enumerate(per_school):
                code = school_code(s)
                for k in range(starts[s], starts[s] + n - 1):  # the last signer is not on the roster
                    yield code, person_name(k), f"13{k:09d}", "teacher", stamp
                for u in range(UNSIGNED_PER_SCHOOL):  # people who have not signed
                    k = 500_000_000 + s * UNSIGNED_PER_SCHOOL + u
                    yield code, person_name(k), f"15{k:09d}", "teacher", stamp

        counts["roster"] = insert_rows(
            db, "roster", ["school_code", "name", "phone", "role", "uploaded_at"], roster_rows()
        )

    templates = declaration_templates()
    model_columns = list(Declaration.model_fields)
    declaring = [s for s in range(scale.schools) if not is_bureau(s)]
    declared = declaring[: int(len(declaring) * DECLARED_SHARE)]
    base, extra = divmod(scale.versions, len(declared))

    def declaration_rows():
        for i, s in enumerate(declared):
            versions = base + (1 if i < extra else 0)
            for v in range(1, versions + 1):
                latest = v == versions
                kind = "ready" if latest and (s * 37 % 100) < READY_SHARE * 100 else "not_ready"
                row = templates[kind]
                yield (
                    school_code(s),
                    v,
                    f"2026-02-{10 + v % 10:02d}T09:00:00+08:00",
                    schemas.SCHEMA_VERSION,
                    row["verdict"],
                    row["gaps"],
                    f"bench-{s}-{v}",
                    *(row[c] for c in model_columns),
                )

    counts["declarations"] = insert_rows(
        db,
        "declarations",
        ["school_code", "version", "submitted_at", "schema_version", "verdict", "gaps", "submit_key", *model_columns],
        declaration_rows(),
    )
    db.conn.execute("COMMIT")
    started = time.perf_counter()
    with storage.transaction(db):  # the declarations came in without their standings
        storage.recompute_derived(db)
    counts["derive_s"] = time.perf_counter() - started
    db.conn.execute("ANALYZE")
    storage.create_admin(db, ADMIN, auth.hash_password(PASSWORD))
    db.close()
    return counts


def measured_school(scale: Scale) -> str:
    """A school (not a bureau) whose roster has about 50 rows."""
    per_school = pledges_per_school(scale, scale.pledges)
    wanted = 50
    best = min(
        (s for s in range(1, scale.schools) if not is_bureau(s)),
        key=lambda s: abs(per_school[s] - 1 + UNSIGNED_PER_SCHOOL - wanted),
    )
    return school_code(best)


# --- one inspection per school ---------------------------------------------------------------


def team_name(s: int) -> str:
    return f"第{s // SCHOOLS_PER_TEAM + 1}检查组"


def inspection_templates() -> dict[str, Inspection]:
    """The inspections the teams make, each validated by the model: items found 相符 (the first
    ten, or every one), and one found 不符 with its 整改期限 passed or still to come."""
    today = clock.today()
    items = [name for name, _label in judged_items()]
    whole = {"inspected_on": today - dt.timedelta(days=5), "inspectors": "张三、李四"}

    def found(confirmed, contradicted=None, rectify_by=None) -> Inspection:
        answers = {**whole, **{finding_field(name): CONFIRMED for name in confirmed}}
        if contradicted:
            answers |= {finding_field(contradicted): CONTRADICTED, note_field(contradicted): "值班表未张贴"}
            answers |= {"rectify_by": rectify_by, "summary": "请按期整改，整改后重新申报。"}
        return Inspection.model_validate(answers)

    return {
        "partial": found(items[:10]),
        "every": found(items),
        "overdue": found(items[:3], "duty_rota", today - dt.timedelta(days=1)),
        "due": found(items[:3], "duty_rota", today + dt.timedelta(days=5)),
    }


def inspection_plan(s: int, versions: int) -> tuple[str, int]:
    """The school's inspection: which template, and of which of its `versions`."""
    share = s * 53 % 100
    if share < 10 and versions > 1:
        return "partial", versions - 1  # the school declared again since: 待复查
    if share < 35:
        return ("overdue" if s % 2 else "due"), versions
    return ("every" if share > 90 else "partial"), versions


def add_inspections(path: Path, scale: Scale) -> dict:
    """Assign every school to its county's team and give every school that declared one
    inspection: the first RECORDED_INSPECTIONS through `storage.record_inspection`, the rest
    bulk-inserted, then `storage.recompute_derived`. Checks that the bulk path leaves the
    standings the verb stored; returns counts and seconds."""
    db = storage.open_db(path)
    db.conn.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    stamp = clock.timestamp()
    db.conn.execute("BEGIN IMMEDIATE")
    teams = sorted({team_name(s) for s in range(scale.schools)})
    insert_rows(db, "inspection_teams", ["name", "created_at"], ((t, stamp) for t in teams))
    insert_rows(
        db,
        "team_schools",
        ["school_code", "team", "assigned_at"],
        ((school_code(s), team_name(s), stamp) for s in range(scale.schools) if not is_bureau(s)),
    )
    db.conn.execute("COMMIT")
    versions = dict(db.conn.execute("SELECT school_code, MAX(version) FROM declarations GROUP BY school_code"))
    templates = inspection_templates()
    plan = {code: inspection_plan(int(code[1:]), n) for code, n in versions.items()}
    recorded = [code for code in sorted(plan) if plan[code][1] == versions[code]][:RECORDED_INSPECTIONS]
    for code in recorded:  # the verb inspects a school's latest version only
        template, version = plan[code]
        storage.record_inspection(
            db, code, team_name(int(code[1:])), version, templates[template], "bench", f"bench-{code}"
        )
    verb_stored = stored_standings(db, recorded)

    rows = {name: to_inspection_row(t) for name, t in templates.items()}
    findings = {name: [(f.field, f.finding, f.note) for f in findings_of(t)] for name, t in templates.items()}
    (last_id,) = db.conn.execute("SELECT MAX(id) FROM inspections").fetchone()
    bulk = [code for code in sorted(plan) if code not in set(recorded)]
    ids = {code: last_id + n for n, code in enumerate(bulk, start=1)}
    columns = ["id", "school_code", "team", "declaration_version", *rows["partial"], "submitted_at", "inspector"]
    db.conn.execute("BEGIN IMMEDIATE")
    insert_rows(
        db,
        "inspections",
        [*columns, "submit_key"],
        (
            (ids[c], c, team_name(int(c[1:])), plan[c][1], *rows[plan[c][0]].values(), stamp, "bench", f"bench-{c}")
            for c in bulk
        ),
    )
    count = insert_rows(
        db,
        "inspection_findings",
        ["inspection_id", "field", "finding", "note"],
        ((ids[c], *finding) for c in bulk for finding in findings[plan[c][0]]),
    )
    derive_started = time.perf_counter()
    storage.recompute_derived(db)  # the 核查 state of every school, as record_inspection works it out
    derive_s = time.perf_counter() - derive_started
    db.conn.execute("COMMIT")
    db.conn.execute("ANALYZE")
    seconds = time.perf_counter() - started
    assert stored_standings(db, recorded) == verb_stored, "the bulk path left other standings than the verb"
    assert storage.stale_standings(db) == [], "standings left stale"
    states = dict(db.conn.execute("SELECT inspection, COUNT(*) FROM school_standings GROUP BY inspection"))
    overdue = len(storage.overdue_rectifications(db, clock.today()))
    db.close()
    return {
        "inspections": len(plan),
        "findings": count + RECORDED_INSPECTIONS * len(judged_items()),
        "seconds": seconds,
        "derive_s": derive_s,
        "states": states,
        "overdue": overdue,
    }


def to_inspection_row(inspection: Inspection) -> dict:
    """The whole inspection's columns, as `record_inspection` stores them."""
    return storage.to_row(InspectionFields.model_validate(inspection.model_dump()))


def stored_standings(db, codes: list[str]) -> dict[str, tuple]:
    marks = ", ".join("?" * len(codes))
    return {
        row[0]: row[1:]
        for row in db.conn.execute(f"SELECT * FROM school_standings WHERE school_code IN ({marks})", codes)
    }


# --- timing ----------------------------------------------------------------------------------


def timed(fn, repeats: int = REPEATS) -> tuple[float, float, float, object]:
    """(first call, median and slowest of the next `repeats`) in ms, and the last result."""
    started = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times), max(times), result


def logged_in_client(app, login_url: str, data: dict):
    client = app.test_client()
    page = client.get(login_url).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post(login_url, data={"csrf_token": token, **data})
    if response.status_code != 302:
        sys.exit(f"login at {login_url} failed: {response.status_code}")
    return client


def writes(path: Path, scale: Scale):
    """One write at a time, alternately a pledge signed by someone on a roster who had not signed
    and a new declaration version, each through `storage` on a connection of its own (as another
    request or process makes it), at schools from the last one down (not the measured school);
    yields what it wrote."""
    db = storage.open_db(path)
    try:
        settings = storage.load_settings(db)
        for n in itertools.count():
            s = scale.schools - 1 - n * 7 % (scale.schools // 2)
            s -= is_bureau(s)  # a school, not a bureau
            if n % 2 == 0:
                k = 500_000_000 + s * UNSIGNED_PER_SCHOOL + n % UNSIGNED_PER_SCHOOL
                name = person_name(k)
                pledge = Pledge.model_validate(examples.pledge_answers(name, phone=f"15{k:09d}"))
                storage.record_pledge(db, school_code(s), pledge, schemas.pledge_text_sha256())
                yield "pledge"
            else:
                declaration = Declaration.model_validate(examples.declaration_answers())
                storage.record_declaration(
                    db, school_code(s), declaration, verdict(declaration, settings), submit_key=f"bench-write-{n}"
                )
                yield "declaration"
    finally:
        db.close()


def time_dashboard(app, bureau, written) -> dict:
    """The first view; then REPEATS views each right after a write (from `written`); then
    REPEATS views with no write between them."""

    def view(afresh: bool) -> tuple[float, int]:
        """One view, in ms; `afresh`: whether the view must read the county again (it keeps one
        per data version), checked, so that each figure is what it says it is."""
        kept = app.extensions.get("county_now", {}).get("key")
        started = time.perf_counter()
        response = bureau.get("/bureau/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        assert (app.extensions["county_now"]["key"] != kept) == afresh, "the view did not do what is timed"
        return elapsed, len(response.get_data())

    first, size = view(afresh=True)
    after_write, kinds = [], []
    for _ in range(REPEATS):
        kinds.append(next(written))
        after_write.append(view(afresh=True)[0])
    repeat = [view(afresh=False)[0] for _ in range(REPEATS)]
    return {"first": first, "after_write": after_write, "kinds": kinds, "repeat": repeat, "size": size}


def time_pages(path: Path, code: str, scale: Scale) -> dict:
    """The dashboard, the 未签名单, then the dashboard again once every school has an
    inspection: one app, one bureau login and one stream of writes throughout."""
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "province-bench"})
    serving.freeze_startup_objects()  # as each server worker does once its app is made
    bureau = logged_in_client(app, "/bureau/login", {"username": ADMIN, "password": PASSWORD})
    written = writes(path, scale)
    figures = {"dashboard": time_dashboard(app, bureau, written)}
    school = logged_in_client(app, "/school/login", {"school_code": code, "access_code": "ACCESS"})

    def staff_page():
        response = school.get("/school/staff/")
        assert response.status_code == 200, response.status_code
        return len(response.get_data())

    figures["unsigned_page"] = timed(staff_page)
    db = storage.open_db(path)
    try:
        figures["roster_status"] = timed(lambda: storage.roster_status(db, code))
    finally:
        db.close()
    figures["inspections"] = add_inspections(path, scale)
    figures["dashboard_inspected"] = time_dashboard(app, bureau, written)
    written.close()
    return figures


def time_snapshot(path: Path, dest: Path) -> tuple[float, int]:
    db = storage.open_db(path)
    try:
        started = time.perf_counter()
        storage.snapshot(db, dest)
        seconds = time.perf_counter() - started
    finally:
        db.close()
    return seconds, dest.stat().st_size


XLSX_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from checklist_app.exchange import exports
started = time.perf_counter()
exports.write_xlsx(sys.argv[2], sys.argv[3], title="bench")
seconds = time.perf_counter() - started
peak_kb = None
try:  # this program's own high-water mark (ru_maxrss would count the parent's, from the fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak_kb = int(line.split()[1])
except OSError:
    pass
print(seconds, peak_kb)
"""


def time_xlsx(snapshot: Path, dest: Path) -> tuple[float, float, float | None]:
    """(seconds inside the child, wall seconds, the child's peak RSS in MB, or None off Linux)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", XLSX_CHILD, str(REPO_ROOT), str(snapshot), str(dest)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"the XLSX export failed:\n{result.stderr}")
    seconds, peak_kb = result.stdout.split()
    return float(seconds), wall, (int(peak_kb) / 1024 if peak_kb != "None" else None)


def sheet_rows(snapshot: Path) -> dict[str, int]:
    from checklist_app.exchange import exports

    conn = exports.open_snapshot(snapshot)
    try:
        return {r: conn.execute(f'SELECT COUNT(*) FROM "{r}"').fetchone()[0] for r in exports.relations(conn)}
    finally:
        conn.close()


# --- the run ---------------------------------------------------------------------------------


def verdict_word(met: bool) -> str:
    return "met" if met else "NOT met"


def ratio(times: list[float], base: list[float]) -> float:
    return statistics.median(times) / statistics.median(base)


def dashboard_line(what: str, board: dict, first: str) -> str:
    after, repeat = statistics.median(board["after_write"]), statistics.median(board["repeat"])
    worst = max(board["after_write"])
    kinds = ", ".join(f"{board['kinds'].count(k)} {k}s" for k in sorted(set(board["kinds"])))
    return (
        f"{what}: {after:.0f} ms median first view after a write "
        f"(slowest {worst:.0f} ms; {REPEATS} views, each after one write: {kinds}); {repeat:.0f} ms median "
        f"repeat view ({REPEATS} views, no write between); {board['first']:.0f} ms the {first}; "
        f"page {board['size'] / 1e6:.2f} MB — target < {TARGETS['dashboard_ms']} ms: first view after a write "
        + verdict_word(worst < TARGETS["dashboard_ms"])
        + ", repeat view "
        + verdict_word(repeat < TARGETS["dashboard_ms"])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="20,000 schools, 1,000,000 pledges, XLSX of 500,000")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep the files (for profiling)")
    args = parser.parse_args()
    scale = FULL if args.full else SMALL
    print(
        f"province scale: {scale.schools} schools, {scale.pledges} pledges, {scale.versions} declaration versions; "
        f"XLSX of {scale.xlsx_pledges} pledges"
    )
    with tempfile.TemporaryDirectory(prefix="checklist-province-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        province = workdir / "province.db"
        for leftover in workdir.glob("*.db*"):
            leftover.unlink()
        started = time.perf_counter()
        counts = generate(province, scale, scale.pledges, roster=True)
        generated = time.perf_counter() - started
        derive_s = counts.pop("derive_s")
        if hasattr(os, "sync"):  # a live database is on disk already: do not time the generator's writes
            os.sync()
        size_mb = province.stat().st_size / 1e6
        print(
            f"generate: {generated:.1f} s ({', '.join(f'{t} {n}' for t, n in counts.items())}; {size_mb:.0f} MB), "
            f"of which storage.recompute_derived {derive_s:.1f} s"
        )

        code = measured_school(scale)
        pages = time_pages(province, code, scale)
        board, inspected = pages["dashboard"], pages["dashboard_inspected"]
        print(dashboard_line(f"dashboard (GET /bureau/, {scale.schools} schools)", board, "first view in the process"))
        added = pages["inspections"]
        states = "; ".join(f"{STATE_LABELS[k]} {n}" for k, n in sorted(added["states"].items()))
        print(
            f"inspections: {added['inspections']} ({added['findings']} findings; {RECORDED_INSPECTIONS} through "
            f"storage.record_inspection, the rest bulk-inserted) in {added['seconds']:.1f} s, of which "
            f"storage.recompute_derived {added['derive_s']:.1f} s; standings: {states}; "
            f"{added['overdue']} overdue rectifications; the verb's standings kept by the bulk path"
        )
        print(
            dashboard_line(
                f"dashboard with inspections (GET /bureau/, {scale.schools} schools, {added['inspections']} inspections)",
                inspected,
                "first view after they were added",
            )
        )
        print(
            "dashboard with/without inspections: "
            f"first view after a write {ratio(inspected['after_write'], board['after_write']):.2f}×, "
            f"repeat view {ratio(inspected['repeat'], board['repeat']):.2f}×"
        )
        first, median, _, _ = pages["unsigned_page"]
        _, status_ms, _, status = pages["roster_status"]
        roster_rows = len(status["signed"]) + len(status["unsigned"])
        print(
            f"未签名单 (GET /school/staff/, school {code}, {roster_rows} roster rows, {len(status['unsigned'])} unsigned): "
            f"{median:.1f} ms median (first {first:.1f} ms; storage.roster_status {status_ms:.1f} ms) — "
            f"target < {TARGETS['unsigned_ms']} ms: " + verdict_word(median < TARGETS["unsigned_ms"])
        )

        snapshot = workdir / "snapshot.sqlite"
        seconds, size = time_snapshot(province, snapshot)
        rate = size / 1e6 / seconds
        print(
            f"snapshot: {size / 1e6:.0f} MB in {seconds:.2f} s = {rate:.0f} MB/s — "
            f"target ≥ {TARGETS['snapshot_mb_s']} MB/s: " + verdict_word(rate >= TARGETS["snapshot_mb_s"])
        )
        snapshot.unlink()

        xlsx_source = workdir / "xlsx-source.db"
        generate(xlsx_source, scale, scale.xlsx_pledges, roster=False)
        if hasattr(os, "sync"):
            os.sync()
        xlsx_snapshot = workdir / "xlsx-snapshot.sqlite"
        time_snapshot(xlsx_source, xlsx_snapshot)
        xlsx_source.unlink()
        rows = sheet_rows(xlsx_snapshot)
        inside, wall, peak_mb = time_xlsx(xlsx_snapshot, workdir / "export.xlsx")
        xlsx_mb = (workdir / "export.xlsx").stat().st_size / 1e6
        met = wall < TARGETS["xlsx_s"] and peak_mb is not None and peak_mb < TARGETS["xlsx_mb"]
        peak = f"{peak_mb:.0f} MB" if peak_mb is not None else "unknown (no /proc)"
        print(
            f"xlsx: {rows.get('pledges', 0)} pledges ({sum(rows.values())} rows in all, {len(rows)} sheets) in "
            f"{inside:.1f} s ({wall:.1f} s with the child's start); peak RSS {peak} (VmHWM of the child process "
            f"running the export, interpreter and imports included); file {xlsx_mb:.0f} MB — "
            f"target < {TARGETS['xlsx_s']} s within {TARGETS['xlsx_mb']} MB: " + verdict_word(met)
        )


if __name__ == "__main__":
    main()
