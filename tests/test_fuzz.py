"""Fuzz: hypothesis-made bodies for every form endpoint of the app.

Whatever arrives (random or missing or repeated field names; huge, unicode, NUL, markup and edge
numbers as values), with a valid CSRF token and the right session: never a 5xx; when refused,
nothing is stored; markup comes back escaped; a body over the size limit gets 413.

The endpoints are the app's POST routes: each must have an entry in TARGETS, so a new form is
fuzzed as soon as it exists.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

import schemas
from checklist_app import storage
from checklist_app.views import school_list
from checklist_app.web.forms import form_class
from schemas import SECTION_BY_ID, SECTIONS, CountySettings, Declaration, clock
from schemas.inspection import Inspection, judged_items
from schemas.ledger import LedgerReport
from tests import test_authority as authority
from tests.bureau_support import ADMIN, PASSWORD, create_admin, declare
from tests.conftest import valid_declaration_answers, valid_pledge_answers
from tests.sessions import client_as, csrf_for

# Locally each run tries new examples (and replays failures kept in .hypothesis/); under CI the
# examples are fixed, so a run is repeatable.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values that break naive code: markup, NUL and control characters, numbers at the edges of
# every integer and float type, what Decimal and int() read but people do not mean, bad dates.
MARKUP = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<ScRiPt src=//evil.example/x.js></ScRiPt>",
    '" autofocus onfocus="alert(1)',  # out of an attribute's quotes, without a tag
    "' autofocus onfocus='alert(1)",
)
EDGES = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202e",
    "𠮷野家",
    "🙂" * 30,
    "'; DROP TABLE pledges;--",
    "=1+1",
    "0",
    "-0",
    "-1",
    "1",
    "365",
    "366",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 400,
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "0x10",
    "1_000",
    "١٢٣",
    " 12 ",
    "12.5",
    "0.0000001",
    "9999-12-31",
    "0001-01-01",
    "2020-02-30",
    "99999-01-01",
    "24:00",
    "23:59:60",
    "-1:00",
    "y",
    "n",
    "on",
    "off",
    "true",
    "teacher",
    "in_county",
    "all",
    "one",
    "missing",
    "x" * 100_000,
)
NAMES = ("csrf_token", "submit_key", "confirm", "scope", "next", "id", "school_code", "__proto__", "")


def values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(MARKUP + EDGES),
        st.text(max_size=30),
        st.text(max_size=3000),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.tuples(st.text(max_size=10), st.sampled_from(MARKUP), st.text(max_size=10)).map("".join),
    )


def bodies(valid: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A valid body with any field kept, dropped or replaced, then extra fields (known names
    again, so duplicated, or random ones)."""
    kept = st.fixed_dictionaries({}, optional={k: st.one_of(st.just(v), values()) for k, v in valid.items()})
    names = st.one_of(st.sampled_from(tuple(valid) + NAMES), st.text(min_size=1, max_size=20))
    extra = st.lists(st.tuples(names, values()), max_size=4)
    return st.tuples(kept, extra).map(lambda t: [*t[0].items(), *t[1]])


def as_form(answers: dict) -> dict[str, str]:
    """Answers as a browser posts them: ticks as y, unticked left out, everything a string."""
    return {k: ("y" if v is True else str(v)) for k, v in answers.items() if v is not False and v is not None}


# --- what is stored ------------------------------------------------------------------------------

DATA_TABLES = (
    "schools",
    "declarations",
    "declaration_drafts",
    "pledges",
    "roster",
    "ledger_reports",
    "settings",
    "admins",
)


TEAM_TABLES = ("inspection_teams", "team_schools", "audit_log")


def digest(db, tables=DATA_TABLES) -> dict[str, str]:
    """A fingerprint of each table's rows: any insert, update or delete changes it."""
    found = {}
    for table in tables:
        if db[table].exists():
            rows = db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]


# --- the targets: every POST route ----------------------------------------------------------------


@dataclass
class Target:
    """How to fuzz one endpoint: as whom, at which URL, from which valid body; which tables must
    not change when the form is refused, and how a refusal looks."""

    role: str
    url: str
    valid: Callable[[dict], dict[str, str]]
    watched: tuple[str, ...] = DATA_TABLES
    refused: Callable = lambda response, flashed: response.status_code not in (301, 302, 303)
    before: Callable | None = None  # prepares the database before each example
    upload: bool = False
    shows: Callable[[dict], list[str]] = lambda world: []  # pages that show what was stored
    upload_field: str = "roster"
    upload_header: str = "姓名,手机号码,身份"


def section_target(model) -> Target:
    return Target(
        role="school_a",
        url=f"/school/declaration/{model.section_id}",
        valid=lambda world: section_answers(model),
        watched=("declarations",),  # a section save keeps its draft, valid or not, by design
        refused=lambda response, flashed: response.status_code == 200,
        before=lambda world: seed_drafts(world),
        shows=lambda world: ["/school/declaration/review"],
    )


def section_answers(model) -> dict[str, str]:
    answers = valid_declaration_answers(truthful=True, work_plan="开学前完成准备")
    return as_form({k: v for k, v in answers.items() if k in model.model_fields})


def ledger_answers() -> dict:
    return {
        "report_date": clock.today().isoformat(),
        "staff_total": 10,
        "staff_in_county": 8,
        "staff_out_county_in_province": 1,
        "staff_out_of_province": 1,
        "students_total": 100,
        "students_in_county": 90,
        "students_out_county_in_province": 5,
        "students_out_of_province": 5,
        "returned_staff": 1,
        "returned_students": 0,
        "isolating": 1,
        "on_leave_out_of_county": 0,
        "measures": "居家隔离14天",
        "reporter": "吴老师",
    }


def seed_drafts(world) -> None:
    """Every section saved and valid, the promise given: a submit would make a version."""
    for model in SECTIONS:
        storage.save_draft(world["db"], "SCHA", model.section_id, section_answers(model))


TARGETS: dict[str, list[Target]] = {
    "school.login": [
        Target("anonymous", "/school/login", lambda w: {"school_code": "SCHA", "access_code": w["access_code"]})
    ],
    "school.logout": [Target("school_a", "/school/logout", lambda w: {})],
    "school.section": [section_target(model) for model in SECTIONS],
    "school.submit": [
        Target(
            "school_a",
            "/school/declaration/submit",
            lambda w: {"submit_key": secrets.token_urlsafe(24)},
            before=seed_drafts,
            shows=lambda w: ["/school/declarations/1"],
        )
    ],
    "staff.upload_roster": [
        Target(
            "school_a",
            "/school/staff/roster",
            lambda w: {},
            watched=("roster",),
            refused=lambda response, flashed: response.status_code == 400,
            upload=True,
            shows=lambda w: ["/school/staff/"],
        )
    ],
    "pledge.form": [
        Target(
            "anonymous",
            "/pledge/{token}",
            lambda w: as_form(valid_pledge_answers()),
            watched=("pledges",),
            refused=lambda response, flashed: response.status_code == 400,
        )
    ],
    "school_ledger.report": [
        Target(
            "school_a",
            "/school/ledger/",
            lambda w: as_form(ledger_answers()),
            watched=("ledger_reports",),
            refused=lambda response, flashed: response.status_code == 200,
            shows=lambda w: ["/school/ledger/"],
        )
    ],
    "bureau.login": [Target("anonymous", "/bureau/login", lambda w: {"username": ADMIN, "password": PASSWORD})],
    "bureau.logout": [Target("bureau", "/bureau/logout", lambda w: {})],
    "bureau.rotate_pledge_link": [
        Target(
            "bureau",
            "/bureau/schools/SCHB/pledge-link",
            lambda w: {"confirm": "y"},
            refused=lambda response, flashed: "已更换承诺书链接" not in flashed,
        )
    ],
    "bureau.end_school_sessions": [Target("bureau", "/bureau/schools/SCHB/sessions/end", lambda w: {})],
    "bureau.end_all_school_sessions": [Target("bureau", "/bureau/sessions/end", lambda w: {})],
    "bureau.unlock_school": [Target("bureau", "/bureau/schools/SCHB/unlock", lambda w: {})],
    "bureau.settings": [
        Target(
            "bureau",
            "/bureau/settings",
            lambda w: as_form(CountySettings(epidemic_controlled=True).model_dump()),
            refused=lambda response, flashed: response.status_code == 200,
            shows=lambda w: ["/bureau/", "/bureau/settings"],
        )
    ],
    "bureau.codes": [
        Target(
            "bureau",
            "/bureau/codes",
            lambda w: {"scope": "one", "school_code": "SCHB"},
            refused=lambda response, flashed: response.status_code != 200,
        )
    ],
    "inspect.form": [
        Target(
            "inspector",
            "/bureau/inspect/SCHB",
            lambda w: inspection_answers(),
            watched=("inspections", "inspection_findings"),  # a save keeps its draft, valid or not, by design
            refused=lambda response, flashed: response.status_code != 302,
            shows=lambda w: ["/bureau/inspect/SCHB", "/bureau/inspect/SCHB/review", "/bureau/inspect/"],
        )
    ],
    "inspect.submit": [
        Target(
            "inspector",
            "/bureau/inspect/SCHB/submit",
            lambda w: {"submit_key": "fuzz-submit-key-0123456789"},
            watched=("inspections", "inspection_findings"),
            before=lambda w: storage.save_inspection_draft(w["db"], INSPECTOR, "SCHB", 1, inspection_answers()),
            shows=lambda w: ["/bureau/", "/bureau/inspect/"],
        )
    ],
    "school_list.preview": [
        Target(
            "bureau",
            "/bureau/schools/import",
            lambda w: {},
            watched=("schools",),
            refused=lambda response, flashed: True,  # a preview stores nothing, whatever it shows
            upload=True,
            upload_field="school_list",
            upload_header="学校代码,学校名称,学校类型,乡镇",
        )
    ],
    "school_list.confirm": [
        Target(
            "bureau",
            "/bureau/schools/import/confirm",
            lambda w: {
                "checked": school_list.pack(
                    [schemas.School(code="SCHC", name="丙村小学", kind="小学", township="丙村")]
                )
            },
            watched=("schools",),
            refused=lambda response, flashed: response.status_code != 303,
            shows=lambda w: ["/bureau/codes"],
        )
    ],
    "teams.create": [
        Target(
            "bureau",
            "/bureau/teams",
            lambda w: {"name": "第一检查组"},
            watched=TEAM_TABLES,
            refused=lambda response, flashed: response.status_code != 303,
            shows=lambda w: ["/bureau/teams"],
        )
    ],
    "teams.assign": [
        Target(
            "bureau",
            "/bureau/teams/assign",
            lambda w: {"team": "第一检查组", "township": "城关镇", "codes": "SCHA、SCHB"},
            watched=TEAM_TABLES,
            refused=lambda response, flashed: response.status_code != 303,
            before=lambda w: storage.create_team(w["db"], "第一检查组", actor="test"),
            shows=lambda w: ["/bureau/teams"],
        )
    ],
}


INSPECTOR = "jc1"  # of the team that inspects SCHB


def inspection_answers() -> dict[str, str]:
    """A valid inspection form of SCHB's first version: one item confirmed, one contradicted."""
    answers = {f"finding_{name}": "unchecked" for name, _ in judged_items()}
    return {
        **answers,
        "declaration_version": "1",
        "finding_closed_management": "confirmed",
        "finding_duty_rota": "contradicted",
        "note_duty_rota": "未见排班表",
        "inspected_on": clock.today().isoformat(),
        "inspectors": "张三、李四",
        "summary": "校门管理到位",
        "rectify_by": clock.today().isoformat(),
    }


@pytest.fixture
def world(app, db, make_school):
    _row_a, access_code = make_school(code="SCHA", name="甲村小学")
    row_b, _ = make_school(code="SCHB", name="乙镇中学")
    declare(db, "SCHB")
    create_admin(db)
    storage.create_admin(db, INSPECTOR, "unused-hash", role="inspector", team="第一检查组")
    storage.assign_schools(db, "第一检查组", codes=["SCHB"], actor="test")
    return {
        "app": app,
        "db": db,
        "access_code": access_code,
        "token": _row_a["pledge_token"],
        "identities": {
            "anonymous": {},
            "school_a": {"school_code": "SCHA"},
            "bureau": {"admin": ADMIN},
            "inspector": {"admin": INSPECTOR},
        },
    }


def post_routes(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def target_url(target: Target, world: dict) -> str:
    return target.url.format(token=world["token"])


def uploads(header: str = "姓名,手机号码,身份") -> st.SearchStrategy:
    """A list's file: random bytes, or a CSV with header and random cells, under any name."""
    cells = st.lists(st.lists(values(), min_size=0, max_size=4), max_size=5)
    csv_text = cells.map(lambda rows: header + "\n" + "\n".join(",".join(r) for r in rows))
    content = st.one_of(st.binary(max_size=2000), csv_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
    name = st.sampled_from(["名单.csv", "r.CSV", "r.xlsx", "r.txt", "", "../../etc/passwd.csv", "<script>.csv"])
    return st.tuples(content, name)


def send(world, target: Target, body: list[tuple[str, str]], upload=None, multipart: bool = False):
    app = world["app"]
    client = client_as(app, target.role, world["identities"])
    data = MultiDict([("csrf_token", csrf_for(app, client)), *body])
    if upload is not None:
        content, filename = upload
        data.add(
            target.upload_field,
            FileStorage(io.BytesIO(content), filename=filename, content_type="application/octet-stream"),
        )
    response = client.post(
        target_url(target, world), data=data, content_type="multipart/form-data" if upload or multipart else None
    )
    with client.session_transaction() as session:  # the messages a redirect left for the next page
        flashed = " ".join(message for _category, message in session.get("_flashes", []))
    return client, response, flashed


RAW_MARKUP = re.compile(rb"<script|<img src=x|[\"'] autofocus onfocus=", re.I)


def assert_no_raw_markup(response, where: str) -> None:
    if response.mimetype == "text/html":
        found = RAW_MARKUP.search(response.get_data())
        assert found is None, (
            f"raw markup in {where}: {response.get_data()[max(0, found.start() - 80) : found.end() + 80]!r}"
        )


# --- every POST route is fuzzed -------------------------------------------------------------------


def test_every_form_endpoint_has_a_fuzz_target(app):
    missing = sorted({rule.endpoint for rule in post_routes(app)} - set(TARGETS))
    assert not missing, f"POST routes without a fuzz target in TARGETS: {missing}"
    assert not set(TARGETS) - {rule.endpoint for rule in post_routes(app)}, "TARGETS names routes that are gone"


@pytest.mark.parametrize(
    "endpoint, index",
    [(endpoint, i) for endpoint, targets in TARGETS.items() for i in range(len(targets))],
    ids=lambda v: str(v),
)
@FUZZ
@given(data=st.data())
def test_fuzzed_bodies_never_fail_and_store_nothing_when_refused(world, endpoint, index, data):
    target = TARGETS[endpoint][index]
    db = world["db"]
    if target.before:
        target.before(world)
    body = data.draw(bodies(target.valid(world)), label="body")
    upload = data.draw(uploads(target.upload_header), label="upload") if target.upload else None
    before = digest(db, target.watched)

    client, response, flashed = send(world, target, body, upload)

    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert_no_raw_markup(response, target.url)
    if target.refused(response, flashed):
        assert digest(db, target.watched) == before, f"refused ({response.status_code}) but stored"
    followed = [response.headers["Location"]] if response.status_code in (302, 303) else []
    for url in followed + target.shows(world):
        shown = client.get(url)
        assert shown.status_code < 500, f"{url} after the post: {shown.status_code}"
        assert_no_raw_markup(shown, url)


@FUZZ
@given(data=st.data())
def test_invalid_section_input_never_reaches_the_declarations(world, data):
    """A section keeps its draft as typed; a submit after it records only a declaration that
    the model accepts, and none at all when the section was refused."""
    model = data.draw(st.sampled_from(SECTIONS), label="section")
    target = section_target(model)
    db = world["db"]
    seed_drafts(world)
    _client, response, flashed = send(world, target, data.draw(bodies(target.valid(world)), label="body"))
    assert response.status_code < 500
    versions = count(db, "declarations")

    submit = TARGETS["school.submit"][0]
    _client, submitted, _flashed = send(world, submit, list(submit.valid(world).items()))
    assert submitted.status_code < 500
    if target.refused(response, flashed):
        assert count(db, "declarations") == versions, "a refused section's answers were declared"
    if count(db, "declarations") > versions:
        row = storage.latest_declaration(db, "SCHA")
        stored = {k: row[k] for k in Declaration.model_fields if row.get(k) is not None}
        Declaration.model_validate(stored)  # what was recorded is a valid declaration


# --- query strings ---------------------------------------------------------------------------------

QUERY_NAMES = (
    "date",
    "page",
    "sort",
    "order",
    "verdict",
    "township",
    "kind",
    "version",
    "next",
    "measure",
    "corrected",
)


@pytest.fixture
def matrix_world(app, db, make_school, tmp_path):
    return authority.build_world(app, db, make_school, tmp_path)


def shown_pages(app) -> list[tuple]:
    """(rule, case, role) of every GET of the authority matrix that shows a page."""
    return [
        (rule, case, role)
        for rule in authority.routes(app)
        for case in authority.cases_for(rule)
        if case.method == "GET"
        for role, expect in case.expect.items()
        if expect == 200
    ]


QUERY_EDGES = (
    "0001-01-01",
    "0001-01-31",
    "9999-12-31",
    "9999-12-30",
    "2020-02-30",
    "2020-W01-1",
    "２０２０-０１-０１",
    "0",
    "-1",
    "99999999999999999999",
    "1e999",
    "NaN",
    "",
    "\x00",
    "x" * 5000,
    "//evil.example/",
    *MARKUP,
)


@pytest.mark.parametrize("value", QUERY_EDGES, ids=lambda v: repr(v[:20]))
def test_every_query_parameter_at_its_edges_never_fails(app, matrix_world, value):
    """Every page, once per edge value, with every query parameter any page reads set to it."""
    seen = set()
    for rule, case, role in shown_pages(app):
        url = authority.build_url(rule, case.args, matrix_world)
        if url in seen:
            continue
        seen.add(url)
        client = client_as(app, role, matrix_world["identities"])
        response = client.get(url, query_string={name: value for name in QUERY_NAMES})
        assert response.status_code < 500, f"{url}?{QUERY_NAMES}={value!r}: {response.status_code}"
        assert_no_raw_markup(response, url)
    assert len(seen) >= 25


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_fuzzed_query_strings_never_fail(app, matrix_world, data):
    """Every page takes whatever query string a hand-edited link carries: no 5xx, no raw markup."""
    rule, case, role = data.draw(st.sampled_from(shown_pages(app)), label="page")
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(QUERY_NAMES), values()), min_size=1, max_size=4), label="query"
    )
    client = client_as(app, role, matrix_world["identities"])
    url = authority.build_url(rule, case.args, matrix_world)
    response = client.get(url, query_string=MultiDict(query))
    assert response.status_code < 500, f"{url} {query}: {response.status_code}"
    assert_no_raw_markup(response, url)


# --- markup comes back escaped ----------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
ESCAPED = ("&lt;script&gt;alert(", "&lt;script&gt;alert(&#39;x&#39;)")
ATTRIBUTE = '" autofocus onfocus="x'  # 21 characters: short enough to be stored by most fields
PAYLOADS = {SCRIPT: ESCAPED, ATTRIBUTE: ("&#34; autofocus onfocus=&#34;x", "&quot; autofocus onfocus=&quot;x")}
NOT_SHOWN_BACK = {"BooleanField", "RadioField", "PasswordField"}


def shown_back(app, model) -> dict[str, bool]:
    """Each field of the model's form, and whether a re-rendered form shows its value again."""
    with app.test_request_context():
        form = form_class(model)(meta={"csrf": False})
    return {f.name: f.type not in NOT_SHOWN_BACK for f in form}


FORMS = [
    ("pledge.form", 0, schemas.Pledge),
    ("school_ledger.report", 0, LedgerReport),
    ("bureau.settings", 0, CountySettings),
    ("inspect.form", 0, Inspection),
    *[("school.section", i, model) for i, model in enumerate(SECTIONS)],
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "attribute"])
@pytest.mark.parametrize("endpoint, index, model", FORMS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_markup_in_any_field_comes_back_escaped(app, world, endpoint, index, model, payload):
    """Markup typed into any field never comes back raw, on the form or on the pages showing
    what was stored; a field whose value is shown again shows it escaped."""
    target = TARGETS[endpoint][index]
    for name, echoed in shown_back(app, model).items():
        if target.before:
            target.before(world)
        body = {**target.valid(world), name: payload}
        client, response, _flashed = send(world, target, list(body.items()))
        pages = [response] + [client.get(url) for url in target.shows(world)]
        if response.status_code in (302, 303):
            pages.append(client.get(response.headers["Location"]))
        for page in pages:
            assert page.status_code < 500
            assert_no_raw_markup(page, f"{target.url} with {name}")
        text = b"".join(p.get_data() for p in pages).decode()
        if echoed:
            assert any(e in text for e in PAYLOADS[payload]), (
                f"{name}: the typed {payload!r} is not shown back, escaped"
            )


def test_markup_in_a_school_login_and_a_bureau_login_comes_back_escaped(world):
    for target, name in ((TARGETS["school.login"][0], "school_code"), (TARGETS["bureau.login"][0], "username")):
        _client, response, _flashed = send(world, target, [(name, SCRIPT), ("access_code", "x"), ("password", "x")])
        assert response.status_code == 200
        assert_no_raw_markup(response, target.url)
        if name == "school_code":  # the bureau login does not show the name typed back
            assert ESCAPED[0] in response.get_data(as_text=True)


def test_markup_in_an_uploaded_roster_comes_back_escaped(world):
    target = TARGETS["staff.upload_roster"][0]
    bad_role = f"姓名,手机号码,身份\n张老师,13912345678,{SCRIPT}\n".encode()  # the message names the role
    client, refused, _flashed = send(world, target, [], (bad_role, "名单.csv"))
    assert refused.status_code == 400 and count(world["db"], "roster") == 0
    assert_no_raw_markup(refused, target.url)
    assert ESCAPED[0] in refused.get_data(as_text=True)

    named = "姓名,手机号码,身份\n<script>x</script>,13912345678,教师\n".encode()  # a name of 18 characters
    client, accepted, _flashed = send(world, target, [], (named, "名单.csv"))
    assert accepted.status_code == 303 and count(world["db"], "roster") == 1
    page = client.get("/school/staff/")
    assert_no_raw_markup(page, "/school/staff/")
    assert "&lt;script&gt;x&lt;/script&gt;" in page.get_data(as_text=True)


# --- damaged files --------------------------------------------------------------------------------


def damaged_xlsx() -> bytes:
    """A real workbook whose sheet is cut in half: the zip opens, the sheet does not parse."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "手机号码", "身份"])
    book.active.append(["张老师", "13912345678", "教师"])
    whole = io.BytesIO()
    book.save(whole)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as source, zipfile.ZipFile(out, "w") as dest:
        for item in source.infolist():
            content = source.read(item.filename)
            dest.writestr(item, content[: len(content) // 2] if item.filename.endswith("sheet1.xml") else content)
    return out.getvalue()


@pytest.mark.parametrize(
    "content, filename",
    [
        (damaged_xlsx(), "名单.xlsx"),
        (
            ("姓名,手机号码,身份\n" + "张" * 200_000 + ",13912345678,教师\n").encode(),
            "名单.csv",
        ),  # over csv's cell limit
        (b"PK\x03\x04" + bytes(200), "名单.xlsx"),
        (b"\xff\xfe\x00\x00" * 50, "名单.csv"),
    ],
    ids=["damaged-xlsx", "huge-csv-cell", "fake-zip", "binary-csv"],
)
def test_a_damaged_roster_file_is_refused_in_chinese_and_nothing_is_stored(world, content, filename):
    _client, response, _flashed = send(world, TARGETS["staff.upload_roster"][0], [], (content, filename))
    assert response.status_code == 400
    assert "没有导入任何数据" in response.get_data(as_text=True)
    assert count(world["db"], "roster") == 0


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-Infinity", "1e999999999"])
def test_a_decimal_no_one_means_is_refused_and_every_page_still_shows(world, value):
    """A draft is kept as typed, so a value that broke the range check broke every page after it."""
    target = section_target(SECTION_BY_ID["supplies"])  # disinfectant_litres is a Decimal
    body = {**target.valid(world), "disinfectant_litres": value}
    client, response, _flashed = send(world, target, list(body.items()))
    assert response.status_code == 200 and "disinfectant_litres-error" in response.get_data(as_text=True)
    for url in ("/school/", target.url, "/school/declaration/review"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("value, message", [("9" * 400, "不能大于"), ("-" + "9" * 400, "不能小于")])
def test_a_number_too_large_for_a_float_is_refused_with_its_range(world, value, message):
    target = section_target(SECTIONS[1])  # people: whole numbers with bounds
    body = {**target.valid(world), "staff_total": value}
    client, response, _flashed = send(world, target, list(body.items()))
    assert response.status_code == 200
    assert 'id="staff_total-error"' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    for url in ("/school/", target.url, "/school/declaration/review"):
        assert client.get(url).status_code == 200, url


# --- the size limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_a_body_over_the_size_limit_gets_413_and_stores_nothing(app, world, endpoint):
    target = TARGETS[endpoint][0]
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = digest(world["db"])
    # many fields, each under the per-field limit: only the whole body is too large
    pieces = limit // (512 * 1024) + 1
    big = list(target.valid(world).items()) + [(f"padding{i}", "x" * (512 * 1024)) for i in range(pieces)]
    _client, response, _flashed = send(world, target, big)
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)
    assert digest(world["db"]) == before


def test_one_field_over_the_form_memory_limit_gets_413(app, world):
    target = TARGETS["pledge.form"][0]
    body = {**target.valid(world), "name": "张" * (app.config["MAX_FORM_MEMORY_SIZE"] // 3 + 10)}
    _client, response, _flashed = send(world, target, list(body.items()), multipart=True)
    assert response.status_code == 413
    assert count(world["db"], "pledges") == 0


def test_a_roster_file_over_the_size_limit_gets_413(app, world):
    content = b"name,phone,role\n" + b"x" * app.config["MAX_CONTENT_LENGTH"]
    _client, response, _flashed = send(world, TARGETS["staff.upload_roster"][0], [], (content, "big.csv"))
    assert response.status_code == 413
    assert count(world["db"], "roster") == 0
