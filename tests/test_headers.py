"""Headers: strict on every page the app makes, working on the site's pages it serves, and
session cookies that scripts cannot read and other sites cannot send.

Every response of the authority matrix (every route, every role) is checked, so a new page
kind is covered as soon as it has its row there. The site's scripts are checked in a real
browser in tests/browser/test_site_under_headers.py.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest

from checklist_app import create_app, storage
from checklist_app.web.security import is_app_path
from schemas import School
from tests.bureau_support import ADMIN, PASSWORD, create_admin
from tests.conftest import csrf_token
from tests.test_authority import ROLES, cases_for, request, routes, world  # noqa: F401 (world: a fixture)

SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def header_problems(response, path: str) -> list[str]:
    """What is missing or weak in the headers of one of the app's own responses."""
    problems = []
    headers = response.headers
    policy = headers.get("Content-Security-Policy")
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        found = directives(policy)
        if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy:
            problems.append(f"CSP allows unsafe-inline or unsafe-eval: {policy}")
        if "default-src" not in found and "script-src" not in found:
            problems.append(f"CSP restricts no scripts: {policy}")
        for directive in ("script-src", "default-src", "style-src"):
            if any(source in ("*", "http:", "https:", "data:") for source in found.get(directive, [])):
                problems.append(f"CSP {directive} allows any host: {policy}")
        if "object-src" not in found and "'none'" not in found.get("default-src", []):
            problems.append("CSP allows plugins (no object-src)")
    framing = directives(policy or "").get("frame-ancestors")
    if framing not in (["'none'"], ["'self'"]) and headers.get("X-Frame-Options", "").upper() not in (
        "DENY",
        "SAMEORIGIN",
    ):
        problems.append("may be framed by another site: no frame-ancestors nor X-Frame-Options")
    if headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy", "").lower() not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r} may leak the pledge link's token")
    if not path.startswith("/static/") and "no-store" not in headers.get("Cache-Control", ""):
        problems.append("a page of the app may be kept by a shared cache (no Cache-Control: no-store)")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_app_response_has_strict_headers(app, world, role):  # noqa: F811
    checked, wrong = 0, []
    for rule in routes(app):
        for case in cases_for(rule):
            url, response = request(app, world, role, rule, case)
            if not is_app_path(url.split("?")[0]):
                continue
            checked += 1
            wrong += [
                f"{case.method} {url} ({response.status_code}) as {role}: {p}" for p in header_problems(response, url)
            ]
    assert checked >= 50
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "url, status",
    [("/school/no-such-page", 404), ("/bureau/export/nothing", 404), ("/pledge/", 404), ("/healthz", 200)],
)
def test_error_pages_and_the_health_check_have_strict_headers_too(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert header_problems(response, url) == []


def test_a_refused_form_and_a_body_too_large_have_strict_headers_too(app, client):
    for response, url in (
        (client.post("/school/login", data={"school_code": "x"}), "/school/login"),  # no CSRF token: 400
        (client.post("/school/login", data={"x": "y" * (app.config["MAX_CONTENT_LENGTH"] + 1)}), "/school/login"),
    ):
        assert response.status_code in (400, 413)
        assert header_problems(response, url) == []


# --- the site's pages, served by the same app ----------------------------------------------------


@pytest.fixture
def site_app(app, tmp_path):
    site = tmp_path / "site"
    (site / "search").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><script>var __md_scope = 1</script>", encoding="utf-8")
    (site / "search" / "search_index.json").write_text('{"docs": []}', encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><title>404</title>", encoding="utf-8")
    app.config["SITE_DIR"] = str(site)
    return app


@pytest.mark.parametrize("url", ["/", "/search/search_index.json", "/no-such-page/"])
def test_site_pages_keep_safe_headers_without_a_csp_that_breaks_materials_inline_scripts(site_app, url):
    response = site_app.test_client().get(url)
    policy = response.headers.get("Content-Security-Policy")
    if policy is not None:  # Material's pages carry inline scripts: a policy must allow them
        script = directives(policy).get("script-src", directives(policy).get("default-src", []))
        assert "'unsafe-inline'" in script or any(s.startswith("'sha256-") for s in script), policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert response.headers["Referrer-Policy"] in SAFE_REFERRER_POLICIES


# --- session cookies --------------------------------------------------------------------------------


def session_cookie(response, name: str = "checklist_session") -> dict[str, str | bool]:
    """The attributes of the session cookie a response sets ({} when it sets none)."""
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            morsel = cookie[name]
            return {
                "httponly": bool(morsel["httponly"]),
                "secure": bool(morsel["secure"]),
                "samesite": morsel["samesite"].lower(),
                "raw": header,
            }
    return {}


def log_in_both(app, db, make_school):
    """The Set-Cookie of a school login, a bureau login and a pledge form (it holds the CSRF token)."""
    school, access_code = make_school()
    create_admin(db)
    answers = []
    client = app.test_client()
    token = csrf_token(client, "/school/login")
    answers.append(
        client.post(
            "/school/login", data={"csrf_token": token, "school_code": school["code"], "access_code": access_code}
        )
    )
    client = app.test_client()
    token = csrf_token(client, "/bureau/login")
    answers.append(client.post("/bureau/login", data={"csrf_token": token, "username": ADMIN, "password": PASSWORD}))
    answers.append(app.test_client().get(f"/pledge/{school['pledge_token']}"))
    for response in answers[:2]:
        assert response.status_code == 302, "the login failed"
    return answers


def test_session_cookies_are_httponly_and_samesite_and_not_secure_over_plain_http(app, db, make_school):
    for response in log_in_both(app, db, make_school):
        cookie = session_cookie(response)
        assert cookie, "no session cookie set"
        assert cookie["httponly"], cookie["raw"]
        assert cookie["samesite"] in ("lax", "strict"), cookie["raw"]
        assert not cookie["secure"], "a Secure cookie would not come back over plain http: logins would fail"


def test_session_cookies_are_secure_when_the_base_url_is_https(monkeypatch, tmp_path):
    monkeypatch.setenv("CHECKLIST_BASE_URL", "https://jyj.example.cn")  # as a deployment sets it
    https_app = create_app({"DATABASE": str(tmp_path / "https.db"), "SECRET_KEY": "k", "TESTING": True})
    db = storage.open_db(https_app.config["DATABASE"])
    try:

        def make_school():
            storage.upsert_schools(db, [School(code="SCH02", name="城关第二小学", kind="小学", township="城关镇")])
            issued = storage.issue_access_codes(db, ["SCH02"], actor="test")[0]
            return storage.get_school(db, "SCH02"), issued["access_code"]

        for response in log_in_both(https_app, db, make_school):
            cookie = session_cookie(response)
            assert cookie["secure"] and cookie["httponly"], cookie["raw"]
            assert cookie["samesite"] in ("lax", "strict"), cookie["raw"]
    finally:
        db.close()


def test_a_login_gives_a_new_session_cookie_not_the_one_held_before(app, db, make_school):
    school, access_code = make_school()
    client = app.test_client()
    token = csrf_token(client, "/school/login")
    before = client.get_cookie("checklist_session").value
    response = client.post(
        "/school/login", data={"csrf_token": token, "school_code": school["code"], "access_code": access_code}
    )
    assert response.status_code == 302
    after = client.get_cookie("checklist_session").value
    assert after != before
    assert re.search(r"Max-Age|Expires", session_cookie(response)["raw"])  # the session ends by itself
