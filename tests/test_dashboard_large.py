"""The dashboard's 未签名单 at province scale: up to `county.UNSIGNED_NAMES_LIMIT` people not
signed county-wide it lists their names to copy, as for any county; above it, the schools with
the most of them, each linking to its page, where that school's names are. The limit is set low
here so the county stays small."""

from __future__ import annotations

import re

import pytest

from checklist_app import storage
from checklist_app.county import standings as county
from tests.bureau_support import (
    create_admin,
    declare,
    login,
    phone,
    sign,
    two_townships,
    upload_roster,
)


@pytest.fixture
def admin(client, db, make_school):
    """Not signed: three at A1, two at B2 (five in all); the bureau's cadres all signed; no
    roster at A2, A3 and B1."""
    two_townships(db, make_school)
    declare(db, "A1")
    upload_roster(db, "A1", [("张一", phone(1)), ("张二", phone(2)), ("张三", phone(3)), ("张四", phone(4))])
    upload_roster(db, "B2", [("李一", phone(11)), ("李二", phone(12))])
    upload_roster(db, "JYJ", [("王一", phone(21))])
    sign(db, "A1", "张一", phone(1))
    sign(db, "JYJ", "王一", phone(21))
    create_admin(db)
    assert login(client).status_code == 302
    return client


NAMES = ("张二", "张三", "张四", "李一", "李二")


def page(client, query: str = "") -> str:
    response = client.get(f"/bureau/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def listed_schools(html: str) -> list[tuple[str, str]]:
    """(school code, people not signed) of each row of the list of schools."""
    return re.findall(r'<tr data-unsigned-school="([^"]+)">.*?<td>[^<]*</td><td>(\d+)</td>', html)


def test_at_the_limit_the_names_are_listed_to_copy(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 5)
    html = page(admin)
    text = re.search(r'<textarea[^>]*id="unsigned-list"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert all(name in text for name in NAMES)
    assert "未签承诺书人员（共 5 人）" in text
    assert listed_schools(html) == []


def test_over_the_limit_schools_are_listed_with_their_counts_and_no_name(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    html = page(admin)
    assert 'id="unsigned-list"' not in html
    assert not [name for name in NAMES if name in html]
    assert listed_schools(html) == [("A1", "3"), ("B2", "2")]  # most first
    assert 'data-count="unsigned">5<' in html
    assert "分布在 2 个单位" in html
    assert "另有 3 个单位未上传教职工名册" in html  # A2, A3, B1


def test_over_the_limit_each_school_links_to_its_page_with_its_names(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    html = page(admin)
    link = re.search(r'<tr data-unsigned-school="A1"><td><a href="([^"]+)">东镇第一小学</a>', html).group(1)
    assert link == "/bureau/schools/A1#pledges"
    school = page(admin, link.removeprefix("/bureau/").split("#")[0])
    assert 'id="pledges"' in school
    listed = re.search(r'<textarea[^>]*id="unsigned-list"[^>]*>(.*?)</textarea>', school, re.S).group(1)
    assert all(name in listed for name in ("张二", "张三", "张四")) and "张一" not in listed


def test_over_the_limit_the_list_follows_the_filter(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    html = page(admin, "?township=西乡")
    assert listed_schools(html) == [("B2", "2")]
    assert 'data-count="unsigned">2<' in html
    assert "另有 1 个单位未上传教职工名册" in html  # B1


def test_over_the_limit_only_the_schools_with_most_unsigned_are_listed_and_the_rest_counted(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    monkeypatch.setattr(county, "UNSIGNED_SCHOOLS_SHOWN", 1)
    html = page(admin)
    assert listed_schools(html) == [("A1", "3")]
    assert "另有 1 个单位未列出" in html


def test_over_the_limit_no_roster_is_matched_against_the_pledges(admin, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)

    def refuse(_db):
        raise AssertionError("matched every roster row against the pledges")

    monkeypatch.setattr(storage, "unsigned_roster", refuse)
    assert listed_schools(page(admin)) == [("A1", "3"), ("B2", "2")]


def test_over_the_limit_a_filter_with_everyone_signed_says_so(admin, db, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    html = page(admin, "?township=西乡&kind=小学")
    assert listed_schools(html) == []
    assert "名册内人员都已签署承诺书。" in html


def test_the_switch_follows_the_data_on_the_next_view(admin, db, monkeypatch):
    monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", 4)
    assert listed_schools(page(admin))
    sign(db, "B2", "李一", phone(11))  # four not signed now: at the limit
    html = page(admin)
    assert listed_schools(html) == []
    assert "李二" in re.search(r'<textarea[^>]*id="unsigned-list"[^>]*>(.*?)</textarea>', html, re.S).group(1)


def test_the_headline_counts_are_the_same_either_way(admin, monkeypatch):
    counts = []
    for limit in (5, 4):
        monkeypatch.setattr(county, "UNSIGNED_NAMES_LIMIT", limit)
        counts.append(dict(re.findall(r'data-count="(\w+)">(\d+)<', page(admin))))
    with_names, with_schools = counts
    assert with_schools.pop("unsigned") == "5"
    assert with_names == with_schools
    assert (with_names["roster_size"], with_names["roster_signed"]) == ("7", "2")
