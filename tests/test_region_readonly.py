"""The upper level reads; it never changes a county's data (issue 17, Must show).

At a province instance, every URL rule of the app — and every rule of a county's app, which the
upper level must not serve — is requested by an anonymous visitor, the bureau's admin and an
inspector, by GET and by POST, with plausible form data (with a valid CSRF token and without),
with the county codes and townships held and others. No answer is a 5xx, and every row of every
rollup table is byte for byte what it was before. Beside it, the upper level's authority matrix:
every route of its app with who may use it, as `tests/test_authority.py` holds the county's.
"""

from __future__ import annotations

import itertools
from urllib.parse import unquote

import pytest

from checklist_app import create_app
from tests.bureau_support import ADMIN, PASSWORD
from tests.region_support import (
    INSPECTOR,
    rollup_rows,
)
from tests.sessions import client_as, csrf_for
from tests.test_authority import BUREAU_LOGIN, Case, Redirect, build_url, mismatch, required_args

ROLES = ("anonymous", "bureau", "inspector")
IDENTITIES = {"anonymous": {}, "bureau": {"admin": ADMIN}, "inspector": {"admin": INSPECTOR}}
WORLD = {"held": "220322", "town": "城关镇"}


def admins_page(ok=200) -> dict:
    return {"anonymous": BUREAU_LOGIN, "bureau": ok, "inspector": 403}


def everyone(expect) -> dict:
    return dict.fromkeys(ROLES, expect)


EXPECTED: dict[str, list[Case]] = {
    "static": [Case("GET", {"filename": "app.css"}, everyone(200))],
    "healthz": [Case("GET", {}, everyone(200))],
    "bureau.login": [
        Case("GET", {}, {"anonymous": 200, "bureau": Redirect("/bureau/"), "inspector": Redirect("/bureau/")}),
        Case("POST", {}, {"anonymous": 200, "bureau": Redirect("/bureau/"), "inspector": Redirect("/bureau/")}),
    ],
    "bureau.logout": [
        Case(
            "POST",
            {},
            {"anonymous": BUREAU_LOGIN, "bureau": Redirect("/bureau/login"), "inspector": Redirect("/bureau/login")},
        )
    ],
    "bureau.dashboard": [Case("GET", {}, admins_page())],
    "bureau.county": [
        Case("GET", {"code": "@held"}, admins_page()),
        Case("GET", {"code": "220999"}, admins_page(404)),
    ],
    "bureau.township": [
        Case("GET", {"code": "@held", "township": "@town"}, admins_page()),
        Case("GET", {"code": "@held", "township": "没有这个乡"}, admins_page(404)),
    ],
    "bureau.export_sqlite": [Case("GET", {}, admins_page())],
    "bureau.export_csv": [Case("GET", {}, admins_page())],
    "bureau.export_xlsx": [Case("GET", {}, admins_page())],
    "site.page": [
        Case("GET", {}, everyone(200)),
        Case("GET", {"path": "no-such-page/"}, everyone(404)),
        Case("GET", {"path": "school/login"}, everyone(404)),  # a county's page, not served here
    ],
}


@pytest.fixture
def upper(province, tmp_path):
    """The province instance with a small built site (the catch-all serves it)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>政策网站</title>", encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><title>找不到页面</title>", encoding="utf-8")
    province.config["SITE_DIR"] = str(site)
    return province


def cases_for(rule) -> list[Case]:
    wanted = required_args(rule)
    return [c for c in EXPECTED.get(rule.endpoint, []) if frozenset(c.args) == wanted and c.method in rule.methods]


def test_every_route_of_the_upper_level_has_an_expectation(upper):
    missing = [
        f"{rule.endpoint} {method} {rule.rule}"
        for rule in upper.url_map.iter_rules()
        for method in ("GET", "POST")
        if method in rule.methods and not any(c.method == method for c in cases_for(rule))
    ]
    assert not missing, "routes without an entry in EXPECTED (say who may use them):\n" + "\n".join(missing)
    assert set(EXPECTED) == {rule.endpoint for rule in upper.url_map.iter_rules()}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_of_the_upper_level_answers_each_role_as_expected(upper, role):
    wrong = []
    for rule in upper.url_map.iter_rules():
        for case in cases_for(rule):
            client = client_as(upper, role, IDENTITIES)
            url = build_url(rule, case.args, WORLD)
            if case.method == "POST":
                response = client.post(url, data={"csrf_token": csrf_for(upper, client), **case.data})
            else:
                response = client.get(url)
            problem = mismatch(response, case.expect[role], unquote(url))  # ?next= holds the path as read
            if problem:
                wrong.append(f"{case.method} {url} as {role}: {problem}")
    assert not wrong, "\n".join(wrong)


# --- nothing a request does changes a county's rows -----------------------------------------------

# Values for each URL argument of both apps: those held, others, and text that is no code at all.
ARGUMENTS = {
    "code": ("220322", "220323", "220999", "S0", "'; DROP TABLE rollup_schools; --"),
    "township": ("城关镇", "东风乡", "没有这个乡"),
    "filename": ("app.css", "no-such-file.css"),
    "path": ("", "guide/", "bureau/county/220322"),
    "section_id": ("people",),
    "version": (1, 2),
    "token": ("no-such-token",),
    "reference": ("NO-SUCH-REF",),
}
# What the county's forms post (login, settings, access codes, pledge link, school list, ledger,
# roster, declaration, pledge), all at once: whatever a route reads, it finds something plausible.
FORM = {
    "username": ADMIN,
    "password": PASSWORD,
    "confirm": "y",
    "scope": "all",
    "school_code": "S0",
    "access_code": "ABCD2345",
    "code": "S0",
    "region_code": "220322",
    "epidemic_controlled": "y",
    "mask_days": "7",
    "backfill_days": "3",
    "name": "教师00",
    "signature": "教师00",
    "phone": "13900000000",
    "role": "teacher",
    "report_date": "2026-02-26",
    "submit_key": "k" * 24,
    "next": "/bureau/",
}
QUERIES = ("", "?date=2026-02-26", "?date=not-a-day&page=2&sort=name")


def every_rule(upper):
    """The upper level's rules, then a county app's (none of which the upper level serves)."""
    county = create_app({"DATABASE": upper.config["DATABASE"] + ".county", "SECRET_KEY": "k", "TESTING": True})
    return [*upper.url_map.iter_rules(), *county.url_map.iter_rules()]


def urls(rule) -> list[str]:
    names = sorted(rule.arguments)
    found = []
    for values in itertools.product(*(ARGUMENTS.get(name, ("x",)) for name in names)):
        found.append(build_url(rule, {}, {}) if not names else _filled(rule, dict(zip(names, values, strict=True))))
    return found


def _filled(rule, values: dict) -> str:
    return build_url(rule, {k: f"@{k}" for k in values}, values)


@pytest.mark.parametrize("role", ROLES)
def test_no_request_by_anyone_changes_a_county_s_rows_or_fails(upper, role):
    before = rollup_rows(upper.config["DATABASE"])
    assert len(before) > 8 and all(before.values()), "every rollup table holds rows to keep"
    answered = failed = 0
    statuses = set()
    for rule in every_rule(upper):
        for url in urls(rule):
            for query in QUERIES:
                for method, with_token in (("GET", False), ("POST", True), ("POST", False)):
                    client = client_as(upper, role, IDENTITIES)
                    form = {**FORM, "csrf_token": csrf_for(upper, client)} if with_token else FORM
                    response = client.get(url + query) if method == "GET" else client.post(url + query, data=form)
                    statuses.add(response.status_code)
                    answered += 1
                    if response.status_code >= 500:
                        failed += 1
                        print(f"{method} {url}{query} as {role}: {response.status_code}")
    assert failed == 0
    assert rollup_rows(upper.config["DATABASE"]) == before
    assert answered > 500
    # the requests really reached pages, logins, refusals and missing pages alike
    assert {200, 302, 400, 404, 405} <= statuses
