"""The authority matrix: every route of the app × {anonymous, school A, school B, bureau}.

The routes come from the app's URL map; each endpoint must have its expected statuses written
down in EXPECTED, so a new route cannot be added without saying who may use it. Two schools with
distinctive names, people and versions make sure school A never sees anything of school B's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import schemas
from checklist_app import storage
from schemas import clock, examples
from schemas.inspection import Inspection
from schemas.ledger import LedgerReport
from tests.bureau_support import ADMIN, create_admin, declare, sign, upload_roster
from tests.sessions import ROLES, client_as, csrf_for

METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Redirect:
    """A redirect (301/302/303) to this path; `next_is_request` when it must carry ?next=<path>."""

    path: str
    next_is_request: bool = False


SCHOOL_LOGIN = Redirect("/school/login", next_is_request=True)
BUREAU_LOGIN = Redirect("/bureau/login", next_is_request=True)


def everyone(expect) -> dict:
    return dict.fromkeys(ROLES, expect)


def school_page(a=200, b=None) -> dict:
    """A page of the logged-in school: anonymous to the school login, the bureau refused."""
    return {
        "anonymous": SCHOOL_LOGIN,
        "school_a": a,
        "school_b": a if b is None else b,
        "bureau": 403,
        "inspector": 403,
    }


def bureau_page(ok=200, inspector=403) -> dict:
    """A page of the bureau's admins: an inspector is refused."""
    return {"anonymous": BUREAU_LOGIN, "school_a": 403, "school_b": 403, "bureau": ok, "inspector": inspector}


def inspector_page(ok=200) -> dict:
    """A page of an inspector (of team A): only inspectors inspect, an admin is refused."""
    return {"anonymous": BUREAU_LOGIN, "school_a": 403, "school_b": 403, "bureau": 403, "inspector": ok}


@dataclass(frozen=True)
class Case:
    """One request: the method, the URL's arguments ("@name" is a value of the world fixture),
    the form fields beyond the CSRF token, and the expected status per role."""

    method: str
    args: dict
    expect: dict
    data: dict = field(default_factory=dict)


INSPECTOR = "inspector_a"  # a bureau login of team A (school A)

SECTION = schemas.SECTIONS[1].section_id  # "people": required numbers, so an empty post is refused

EXPECTED: dict[str, list[Case]] = {
    "static": [
        Case("GET", {"filename": "app.css"}, everyone(200)),
        Case("GET", {"filename": "no-such-file.css"}, everyone(404)),
    ],
    "healthz": [Case("GET", {}, everyone(200))],
    # --- the school
    "school.login": [
        Case(
            "GET",
            {},
            {
                "anonymous": 200,
                "school_a": Redirect("/school/"),
                "school_b": Redirect("/school/"),
                "bureau": 200,
                "inspector": 200,
            },
        ),
        Case("POST", {}, everyone(200)),  # an empty form comes back with its errors
    ],
    "school.logout": [Case("POST", {}, everyone(Redirect("/school/login")))],
    "school.index": [Case("GET", {}, school_page())],
    "school.section": [
        Case("GET", {"section_id": SECTION}, school_page()),
        Case("GET", {"section_id": "no-such-section"}, school_page(404)),
        Case("POST", {"section_id": SECTION}, school_page(200)),
        Case("POST", {"section_id": "no-such-section"}, school_page(404)),
    ],
    "school.review": [Case("GET", {}, school_page())],
    "school.submit": [
        Case("POST", {}, school_page(400)),  # no submit key
        Case("POST", {}, school_page(200), data={"submit_key": "k" * 24}),  # incomplete: back to review
    ],
    "school.history": [Case("GET", {}, school_page())],
    "school.result": [
        Case("GET", {"version": 1}, school_page()),
        Case("GET", {"version": 2}, school_page(a=404, b=200)),  # only B has a second version
        Case("GET", {"version": 99}, school_page(404)),
    ],
    "school.version": [
        Case("GET", {"version": 1}, school_page()),
        Case("GET", {"version": 2}, school_page(a=404, b=200)),
        Case("GET", {"version": 99}, school_page(404)),
    ],
    # --- a school's staff
    "staff.index": [Case("GET", {}, school_page())],
    "staff.upload_roster": [Case("POST", {}, school_page(400))],  # no file chosen
    "staff.qr_png": [Case("GET", {}, school_page())],
    "staff.roster_template": [Case("GET", {}, school_page())],
    # --- the pledge: no login, the token is the key
    "pledge.form": [
        Case("GET", {"token": "@token_a"}, everyone(200)),
        Case("GET", {"token": "@token_b"}, everyone(200)),
        Case("GET", {"token": "no-such-token"}, everyone(404)),
        Case("POST", {"token": "@token_a"}, everyone(400)),  # an empty form comes back with its errors
        Case("POST", {"token": "no-such-token"}, everyone(404)),
    ],
    "pledge.receipt": [
        Case("GET", {"token": "@token_a", "reference": "@ref_a"}, everyone(200)),
        Case("GET", {"token": "@token_a", "reference": "@ref_b"}, everyone(404)),  # B's receipt under A's link
        Case("GET", {"token": "no-such-token", "reference": "@ref_a"}, everyone(404)),
    ],
    # --- the daily ledger
    "school_ledger.report": [
        Case("GET", {}, school_page()),
        Case("POST", {}, school_page(200)),  # an empty form comes back with its errors
    ],
    "school_ledger.done": [Case("GET", {}, school_page())],  # today's report, which each school has
    "bureau_ledger.county": [Case("GET", {}, bureau_page())],
    # --- the bureau
    "bureau.login": [
        Case(
            "GET",
            {},
            {
                "anonymous": 200,
                "school_a": 200,
                "school_b": 200,
                "bureau": Redirect("/bureau/"),
                "inspector": Redirect("/bureau/"),
            },
        ),
        Case(
            "POST",
            {},
            {
                "anonymous": 200,
                "school_a": 200,
                "school_b": 200,
                "bureau": Redirect("/bureau/"),
                "inspector": Redirect("/bureau/"),
            },
        ),
    ],
    "bureau.logout": [Case("POST", {}, bureau_page(Redirect("/bureau/login"), inspector=Redirect("/bureau/login")))],
    "bureau.dashboard": [Case("GET", {}, bureau_page(inspector=Redirect("/bureau/inspect/")))],
    # --- the inspector: its team's schools only (A); B's, and any unknown code, refused
    "inspect.index": [Case("GET", {}, inspector_page())],
    "inspect.form": [
        Case("GET", {"code": "@code_a"}, inspector_page()),
        Case("GET", {"code": "@code_b"}, inspector_page(403)),
        Case("GET", {"code": "NO-SUCH-SCHOOL"}, inspector_page(403)),
        Case("POST", {"code": "@code_a"}, inspector_page(400)),  # no version it was made for
        Case("POST", {"code": "@code_a"}, inspector_page(200), data={"declaration_version": "1"}),  # refused
        Case("POST", {"code": "@code_b"}, inspector_page(403), data={"declaration_version": "2"}),
    ],
    "inspect.review": [
        Case("GET", {"code": "@code_a"}, inspector_page()),  # the draft, with its problems
        Case("GET", {"code": "@code_b"}, inspector_page(403)),
    ],
    "inspect.submit": [
        Case("POST", {"code": "@code_a"}, inspector_page(400)),  # no submit key
        Case("POST", {"code": "@code_a"}, inspector_page(200), data={"submit_key": "k" * 24}),  # the draft refused
        Case("POST", {"code": "@code_b"}, inspector_page(403), data={"submit_key": "k" * 24}),
    ],
    "inspect.receipt": [
        Case("GET", {"code": "@code_a", "inspection_id": "@inspection_a"}, inspector_page()),
        Case("GET", {"code": "@code_a", "inspection_id": "@inspection_b"}, inspector_page(404)),  # B's under A's code
        Case("GET", {"code": "@code_b", "inspection_id": "@inspection_b"}, inspector_page(403)),
        Case("GET", {"code": "@code_a", "inspection_id": 99}, inspector_page(404)),
    ],
    "bureau.school": [
        Case("GET", {"code": "@code_b"}, bureau_page()),
        Case("GET", {"code": "NO-SUCH-SCHOOL"}, bureau_page(404)),
    ],
    "bureau.pledge_qr": [
        Case("GET", {"code": "@code_b"}, bureau_page()),
        Case("GET", {"code": "NO-SUCH-SCHOOL"}, bureau_page(404)),
    ],
    "bureau.rotate_pledge_link": [
        Case("POST", {"code": "@code_b"}, bureau_page(Redirect("/bureau/schools/SCHB"))),  # not confirmed: unchanged
        Case("POST", {"code": "NO-SUCH-SCHOOL"}, bureau_page(404)),
    ],
    "bureau.end_school_sessions": [
        Case("POST", {"code": "@code_b"}, bureau_page(Redirect("/bureau/schools/SCHB"))),
        Case("POST", {"code": "NO-SUCH-SCHOOL"}, bureau_page(404)),
    ],
    "bureau.unlock_school": [
        Case("POST", {"code": "@code_b"}, bureau_page(Redirect("/bureau/schools/SCHB"))),
        Case("POST", {"code": "NO-SUCH-SCHOOL"}, bureau_page(404)),
    ],
    "bureau.end_all_school_sessions": [Case("POST", {}, bureau_page(Redirect("/bureau/codes")))],
    "bureau.settings": [
        Case("GET", {}, bureau_page()),
        Case("POST", {}, bureau_page(200), data={"mask_days": "-1"}),  # refused, shown again
    ],
    "bureau.codes": [
        Case("GET", {}, bureau_page()),
        Case("POST", {}, bureau_page(Redirect("/bureau/codes"))),  # no scope chosen: nothing issued
    ],
    "bureau.export_sqlite": [Case("GET", {}, bureau_page())],
    "bureau.export_csv": [Case("GET", {}, bureau_page())],
    "bureau.export_xlsx": [Case("GET", {}, bureau_page())],
    "school_list.upload": [Case("GET", {}, bureau_page())],
    "school_list.preview": [Case("POST", {}, bureau_page(400))],  # no file chosen
    "school_list.confirm": [Case("POST", {}, bureau_page(400))],  # no preview to confirm
    "school_list.template_xlsx": [Case("GET", {}, bureau_page())],
    "school_list.template_csv": [Case("GET", {}, bureau_page())],
    "teams.index": [Case("GET", {}, bureau_page())],
    "teams.create": [
        Case("POST", {}, bureau_page(200)),  # no name: refused, shown again
        Case("POST", {}, bureau_page(Redirect("/bureau/teams")), data={"name": "C组"}),
    ],
    "teams.assign": [
        Case("POST", {}, bureau_page(200)),  # no team chosen: refused, shown again
        Case("POST", {}, bureau_page(Redirect("/bureau/teams")), data={"team": "A组", "codes": "SCHB"}),
    ],
    # --- the policy site, served at / by the catch-all
    "site.page": [
        Case("GET", {}, everyone(200)),
        Case("GET", {"path": "guide/"}, everyone(200)),
        Case("GET", {"path": "guide"}, everyone(Redirect("/guide/"))),
        Case("GET", {"path": "no-such-page/"}, everyone(404)),
        Case("GET", {"path": "school/no-such-page"}, everyone(404)),  # the app's prefixes are never site pages
    ],
}

# What must never show on the other school's pages: names, people and phones of each school.
MARKERS = {
    "school_a": ("甲村希望小学", "钱甲甲", "周甲签", "吴甲报", "陈甲名", "13900000001", "13900000011"),
    "school_b": ("乙镇育英中学", "赵乙乙", "孙乙签", "郑乙报", "冯乙名", "13900000002", "13900000022"),
}


def ledger_report(reporter: str) -> LedgerReport:
    return LedgerReport.model_validate(examples.ledger_answers(reporter))


def inspect(db, code: str, team: str, version: int) -> int:
    answers = {"inspected_on": clock.today(), "inspectors": "检查员", "finding_closed_management": "confirmed"}
    found = Inspection.model_validate(answers)
    row, _ = storage.record_inspection(db, code, team, version, found, f"{team}-inspector", f"key-{code}-0123456789")
    return row["id"]


@pytest.fixture
def world(app, db, make_school, tmp_path):
    return build_world(app, db, make_school, tmp_path)


def build_world(app, db, make_school, tmp_path) -> dict:
    """Schools A and B, each with a declaration (B two versions), a pledge, a roster and a ledger
    report; a bureau admin; a small built site."""
    site = tmp_path / "site"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>政策网站</title>", encoding="utf-8")
    (site / "guide" / "index.html").write_text("<!doctype html><title>指南</title>", encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><title>找不到页面</title>", encoding="utf-8")
    app.config["SITE_DIR"] = str(site)

    school_a, _ = make_school(code="SCHA", name="甲村希望小学", kind="小学", township="甲村乡")
    school_b, _ = make_school(code="SCHB", name="乙镇育英中学", kind="初中", township="乙镇")
    declare(db, "SCHA", principal_name="钱甲甲", signature="钱甲甲")
    declare(db, "SCHB", principal_name="赵乙乙", signature="赵乙乙")
    declare(db, "SCHB", principal_name="赵乙乙", signature="赵乙乙")
    ref_a = sign(db, "SCHA", "周甲签", "13900000001")["reference"]
    ref_b = sign(db, "SCHB", "孙乙签", "13900000002")["reference"]
    upload_roster(db, "SCHA", [("周甲签", "13900000001"), ("陈甲名", "13900000011")])
    upload_roster(db, "SCHB", [("孙乙签", "13900000002"), ("冯乙名", "13900000022")])
    deadline = storage.load_settings(db).ledger_deadline
    storage.record_ledger_report(db, "SCHA", ledger_report("吴甲报"), deadline)
    storage.record_ledger_report(db, "SCHB", ledger_report("郑乙报"), deadline)
    create_admin(db)
    storage.create_admin(db, INSPECTOR, "unused-hash", role="inspector", team="A组")
    storage.assign_schools(db, "A组", codes=["SCHA"], actor="test")
    storage.assign_schools(db, "B组", codes=["SCHB"], actor="test")
    inspection_a = inspect(db, "SCHA", "A组", 1)
    inspection_b = inspect(db, "SCHB", "B组", 2)
    storage.save_inspection_draft(db, INSPECTOR, "SCHA", 1, {"inspectors": "甲"})  # not yet valid
    return {
        "inspection_a": inspection_a,
        "inspection_b": inspection_b,
        "token_a": school_a["pledge_token"],
        "token_b": school_b["pledge_token"],
        "ref_a": ref_a,
        "ref_b": ref_b,
        "code_a": "SCHA",
        "code_b": "SCHB",
        "identities": {
            "anonymous": {},
            "school_a": {"school_code": "SCHA"},
            "school_b": {"school_code": "SCHB"},
            "bureau": {"admin": ADMIN},
            "inspector": {"admin": INSPECTOR},
        },
    }


def required_args(rule) -> frozenset:
    return frozenset(rule.arguments) - frozenset(rule.defaults or {})


def cases_for(rule) -> list[Case]:
    wanted = required_args(rule)
    return [c for c in EXPECTED.get(rule.endpoint, []) if frozenset(c.args) == wanted and c.method in rule.methods]


def build_url(rule, args: dict, world: dict) -> str:
    values = {k: world[v[1:]] if isinstance(v, str) and v.startswith("@") else v for k, v in args.items()}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: quote(str(values[m.group(1)]), safe="/"), rule.rule)


def routes(app):
    return [rule for rule in app.url_map.iter_rules()]


def mismatch(response, expect, url: str) -> str | None:
    """None when the response is what was expected, else what it was instead."""
    if isinstance(expect, Redirect):
        if response.status_code not in (301, 302, 303):
            return f"{response.status_code}, not a redirect to {expect.path}"
        target = urlsplit(response.headers["Location"])
        if target.path != expect.path:
            return f"redirect to {response.headers['Location']}, not {expect.path}"
        if expect.next_is_request and parse_qs(target.query).get("next") != [urlsplit(url).path]:
            return f"redirect to {response.headers['Location']} without next={url}"
        return None
    if response.status_code != expect:
        return f"{response.status_code}, not {expect}"
    return None


def request(app, world, role: str, rule, case: Case):
    client = client_as(app, role, world["identities"])
    url = build_url(rule, case.args, world)
    if case.method == "POST":
        response = client.post(url, data={"csrf_token": csrf_for(app, client), **case.data})
    else:
        response = client.get(url)
    return url, response


# --- the table covers the map, and the map the table ------------------------------------------


def test_every_route_and_method_has_an_expectation(app):
    missing = [
        f"{rule.endpoint} {method} {rule.rule}"
        for rule in routes(app)
        for method in METHODS
        if method in rule.methods and not any(c.method == method for c in cases_for(rule))
    ]
    assert not missing, "routes without an entry in EXPECTED (say who may use them):\n" + "\n".join(missing)


def test_every_expectation_names_a_route_that_exists(app):
    endpoints = {rule.endpoint for rule in routes(app)}
    assert not set(EXPECTED) - endpoints, "EXPECTED names endpoints the app no longer has"
    for endpoint, cases in EXPECTED.items():
        rules = [r for r in routes(app) if r.endpoint == endpoint]
        for case in cases:
            assert any(case in cases_for(r) for r in rules), f"{endpoint}: {case} matches no rule (arguments or method)"


def test_every_expectation_covers_all_four_roles():
    for endpoint, cases in EXPECTED.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), endpoint


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(app, world, role):
    wrong = []
    for rule in routes(app):
        for case in cases_for(rule):
            url, response = request(app, world, role, rule, case)
            problem = mismatch(response, case.expect[role], url)
            if problem:
                wrong.append(f"{case.method} {url} as {role}: {problem}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("me, other", [("school_a", "school_b"), ("school_b", "school_a")])
def test_a_school_never_sees_anything_of_another_school(app, world, me, other):
    seen = 0
    for rule in routes(app):
        for case in cases_for(rule):
            if case.args.get("token") not in (None, f"@token_{me[-1]}", "no-such-token"):
                continue  # the other school's pledge link is public: it shows that school's name
            url, response = request(app, world, me, rule, case)
            body = response.get_data()
            for marker in MARKERS[other]:
                assert marker.encode() not in body, f"{case.method} {url} as {me} shows {marker!r} of {other}"
            seen += response.status_code == 200
    assert seen >= 15  # the school's own pages were really shown, not only refused


def test_the_markers_do_show_on_the_schools_own_pages(app, world):
    """The check above could pass by looking in the wrong place: each school sees its own."""
    for me in ("school_a", "school_b"):
        client = client_as(app, me, world["identities"])
        pages = b"".join(client.get(u).get_data() for u in ("/school/", "/school/declarations/1", "/school/staff/"))
        name, principal, signer, _reporter, unsigned, *_ = MARKERS[me]
        for marker in (name, principal, signer, unsigned):
            assert marker.encode() in pages, f"{marker} not on {me}'s own pages"


def test_the_bureau_sees_both_schools(app, world):
    client = client_as(app, "bureau", world["identities"])
    dashboard = client.get("/bureau/").get_data(as_text=True)
    assert MARKERS["school_a"][0] in dashboard and MARKERS["school_b"][0] in dashboard
    assert MARKERS["school_b"][1] in client.get("/bureau/schools/SCHB").get_data(as_text=True)


def test_a_session_past_its_lifetime_is_anonymous_again(app, world, monkeypatch):
    client = client_as(app, "school_a", world["identities"])
    later = clock.now() + app.permanent_session_lifetime + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.get("/school/")
    assert mismatch(response, SCHOOL_LOGIN, "/school/") is None
