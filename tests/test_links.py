"""Every link leads somewhere: a crawl of the built site and of the app's pages, as a visitor,
a school and the bureau, fails on any internal link that does not answer 200 (or, for an app page
a visitor may not see, a redirect to its login)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import pytest

from checklist_app import create_app, storage
from checklist_app.web.security import is_app_path
from tests.bureau_support import create_admin, declare, login, phone, sign, upload_roster

LOGINS = ("/school/login", "/bureau/login")
NOT_PAGES = ("mailto:", "tel:", "javascript:", "data:")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith(NOT_PAGES):
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def crawl(client, starts: list[str], within=lambda path: True) -> dict[str, tuple[int, str, str]]:
    """Every internal URL reachable by GET from `starts`: URL -> (status, location, found on)."""
    seen: dict[str, tuple[int, str, str]] = {}
    kinds: set[tuple[str, frozenset]] = set()  # one URL per path and set of query names: the
    queue = [(url, "(start)") for url in starts]  # dashboard's sorts and filters combine by the hundred
    while queue:
        url, found_on = queue.pop()
        parts = urlsplit(url)
        kind = (parts.path, frozenset(name for name, _ in parse_qsl(parts.query, keep_blank_values=True)))
        if url in seen or kind in kinds:
            continue
        kinds.add(kind)
        response = client.get(url)
        seen[url] = (response.status_code, response.headers.get("Location", ""), found_on)
        if response.status_code != 200 or not response.mimetype == "text/html" or not within(url):
            continue
        for link in links_of(response.get_data(as_text=True)):
            target = urljoin("http://localhost" + url, link)
            parts = urlsplit(target)
            if parts.netloc != "localhost":
                continue
            path = urldefrag(target)[0].removeprefix("http://localhost")
            queue.append((path, url))
    return seen


def broken(seen: dict[str, tuple[int, str, str]]) -> list[str]:
    """Links that answer neither 200 nor, for an app page, a redirect to a login."""
    bad = []
    for url, (status, location, found_on) in seen.items():
        to_login = status in (302, 303) and urlsplit(location).path in LOGINS and is_app_path(urlsplit(url).path)
        if status != 200 and not to_login:
            bad.append(f"{url} answers {status} (linked from {found_on})")
    return bad


@pytest.fixture
def site_app(built_site, tmp_path):
    return create_app(
        {
            "DATABASE": str(tmp_path / "checklist.db"),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
            "SITE_DIR": str(built_site),
        }
    )


@pytest.fixture
def county(site_app):
    db = storage.open_db(site_app.config["DATABASE"])
    from schemas import School

    storage.upsert_schools(db, [School(code="S1", name="城关小学", kind="小学", township="城关镇")])
    [issued] = storage.issue_access_codes(db, ["S1"], actor="test")
    declare(db, "S1")
    upload_roster(db, "S1", [("张一", phone(1)), ("张二", phone(2))])
    sign(db, "S1", "张一", phone(1))
    create_admin(db)
    token = storage.get_school(db, "S1")["pledge_token"]
    db.close()
    return {"access_code": issued["access_code"], "pledge": f"/pledge/{token}"}


def test_every_link_of_the_site_and_the_apps_public_pages_leads_to_a_page(site_app, county):
    seen = crawl(site_app.test_client(), ["/", *LOGINS, county["pledge"], "/favicon.ico"])
    assert len([u for u in seen if not is_app_path(u)]) > 30  # the whole site was walked
    assert "/pledge-text/" in seen
    assert broken(seen) == []


def test_every_link_a_school_and_the_bureau_see_in_the_app_leads_to_a_page(site_app, county):
    school = site_app.test_client()
    from tests.conftest import csrf_token

    token = csrf_token(school, "/school/login")
    school.post("/school/login", data={"csrf_token": token, "school_code": "S1", "access_code": county["access_code"]})
    in_app = lambda path: is_app_path(path) and "/export/" not in path  # noqa: E731
    assert broken(crawl(school, ["/school/"], within=in_app)) == []

    bureau = site_app.test_client()
    assert login(bureau).status_code == 302
    seen = crawl(bureau, ["/bureau/"], within=in_app)
    assert "/bureau/settings" in seen
    assert broken(seen) == []
