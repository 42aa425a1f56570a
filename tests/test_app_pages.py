"""The app's pages as browsers, search engines, screen readers and printers read them: an icon
(linked, and at /favicon.ico), a meta description, aria-labelledby only where a role takes a name,
code sheets that wrap links between words, a copy box with Chinese headers, and a QR file whose
ASCII name still says what it is."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from checklist_app import create_app
from tests.bureau_support import create_admin, login
from tests.conftest import csrf_token
from tests.sessions import log_in

# Elements whose role takes a name from aria-labelledby without a role attribute of their own.
NAMED_BY_ROLE = {"section", "nav", "form", "aside", "main", "table", "dialog", "fieldset", "figure", "ul", "ol"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.fixture
def school(app, db, make_school):
    row, _code = make_school("S1", "城关小学")
    return row


@pytest.fixture
def pages(app, client, db, school) -> dict[str, str]:
    """The login pages, the pledge page, the dashboard and a review page with problems."""
    create_admin(db)
    got = {
        "school login": client.get("/school/login").get_data(as_text=True),
        "bureau login": client.get("/bureau/login").get_data(as_text=True),
        "pledge": client.get(f"/pledge/{school['pledge_token']}").get_data(as_text=True),
    }
    login(client)
    got["dashboard"] = client.get("/bureau/").get_data(as_text=True)
    as_school = app.test_client()
    log_in(as_school, school_code="S1")
    got["review"] = as_school.get("/school/declaration/review").get_data(as_text=True)
    return got


def test_every_app_page_links_an_icon_that_answers(client, pages):
    for name, html in pages.items():
        icons = [a["href"] for tag, a in elements(html) if tag == "link" and a.get("rel") == "icon"]
        assert len(icons) == 1, name
        response = client.get(icons[0])
        assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00", name  # an ICO file


def test_the_site_serves_the_apps_icon_at_favicon_ico(built_site, tmp_path, client):
    app = create_app({"DATABASE": str(tmp_path / "c.db"), "TESTING": True, "SITE_DIR": str(built_site)})
    icon = app.test_client().get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.data == client.get("/static/favicon.ico").data


def test_every_app_page_has_a_chinese_meta_description(pages):
    for name, html in pages.items():
        [content] = [a["content"] for tag, a in elements(html) if tag == "meta" and a.get("name") == "description"]
        assert len(content) >= 20 and re.search(r"[\u4e00-\u9fff]", content), name


def test_aria_labelledby_sits_only_where_a_role_takes_the_name_and_names_an_element(pages):
    assert 'aria-labelledby="error-summary-title"' in pages["review"]  # the case that was wrong
    for name, html in pages.items():
        found = elements(html)
        ids = {a["id"] for _tag, a in found if "id" in a}
        for tag, attrs in found:
            if "aria-labelledby" in attrs:
                assert tag in NAMED_BY_ROLE or attrs.get("role"), (name, tag, attrs)
                assert set(attrs["aria-labelledby"].split()) <= ids, (name, attrs)


def issue_one_code(client) -> str:
    token = csrf_token(client, "/bureau/codes")
    response = client.post("/bureau/codes", data={"csrf_token": token, "scope": "one", "school_code": "S1"})
    return response.get_data(as_text=True)


def test_a_code_sheet_wraps_links_only_between_their_parts(client, db, school):
    create_admin(db)
    login(client)
    html = issue_one_code(client)
    urls = re.findall(r'<span class="code-card__url">(.*?)</span>', html)
    assert urls and all("<wbr>" in url for url in urls)
    for url in urls:
        for piece in url.split("<wbr>")[:-1]:
            assert piece.endswith(("/", ".", "?", "=", "&")), piece
    css = client.get("/static/app.css").get_data(as_text=True)
    rule = re.search(r"\.code-card__url \{[^}]*\}", css).group(0)
    assert "anywhere" not in rule and "break-all" not in rule


def test_the_copy_box_of_issued_codes_has_chinese_headers(client, db, school):
    create_admin(db)
    login(client)
    box = re.search(r'<textarea[^>]*id="codes-csv"[^>]*>(.*?)</textarea>', issue_one_code(client), re.S).group(1)
    assert box.splitlines()[0] == "学校代码,学校名称,访问码,承诺书链接"
    assert box.splitlines()[1].startswith("S1,城关小学,")


def test_the_qr_png_has_a_chinese_name_and_an_ascii_name_that_says_what_it_is(app, school):
    client = app.test_client()
    log_in(client, school_code="S1")
    response = client.get("/school/staff/qr.png")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="pledge-qr-S1.png"' in disposition
    assert "filename*=UTF-8''%E6%89%BF%E8%AF%BA%E4%B9%A6%E4%BA%8C%E7%BB%B4%E7%A0%81-S1.png" in disposition
    assert response.data.startswith(b"\x89PNG")


def test_the_bureau_layout_links_the_school_list_import(client, db):
    create_admin(db)
    login(client)
    assert 'href="/bureau/schools/import"' in client.get("/bureau/").get_data(as_text=True)
