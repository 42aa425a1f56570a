"""The bureau's inspection teams in the console (/bureau/teams): the teams with their schools and
inspectors, the schools without a team, creating a team and assigning schools by township or
pasted codes, each write one audited transaction, bad input refused beside its field."""

from __future__ import annotations

import re

import pytest
from flask import g, render_template_string

from checklist_app import storage
from tests.bureau_support import ADMIN, two_townships
from tests.conftest import csrf_token

PAGE = "/bureau/teams"


@pytest.fixture
def county(db, make_school):
    """东镇 A1–A3, 西乡 B1–B2 and the bureau's own organisation JYJ (in 东镇)."""
    two_townships(db, make_school)
    return db


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, PAGE), **data})


def create(client, name: str):
    return post(client, PAGE, name=name)


def assign(client, team: str, township: str = "", codes: str = ""):
    return post(client, f"{PAGE}/assign", team=team, township=township, codes=codes)


def error_beside(html: str, field_id: str) -> str | None:
    """The error message shown in the form group of the field `field_id`, or None."""
    match = re.search(
        rf'<p id="{field_id}-error" class="error-message"><span class="visually-hidden">错误：</span>([^<]*)</p>', html
    )
    return match.group(1) if match else None


def audited(db, action: str) -> list[dict]:
    return storage.audit_entries(db, (action,), 100)


# --- the page --------------------------------------------------------------------------------


def test_page_lists_teams_with_schools_by_township_and_inspectors(admin, county):
    storage.assign_schools(county, "第一检查组", codes=["A1", "B1"], actor="test")
    storage.create_admin(county, "jc1", "unused-hash", role="inspector", team="第一检查组")
    storage.create_team(county, "第二检查组", actor="test")
    html = admin.get(PAGE).get_data(as_text=True)
    first = html[html.index('data-team="第一检查组"') : html.index('data-team="第二检查组"')]
    assert "<strong>2</strong> 所学校" in first and "检查员：jc1" in first
    assert "东镇（1所）" in first and "东镇第一小学（A1）" in first
    assert "西乡（1所）" in first and "西乡小学（B1）" in first
    second = html[html.index('data-team="第二检查组"') : html.index('id="unassigned"')]
    assert "<strong>0</strong> 所学校" in second and "还没有检查员" in second


def test_page_lists_the_schools_no_team_has_and_never_the_bureau_itself(admin, county):
    storage.assign_schools(county, "第一检查组", codes=["A1"], actor="test")
    html = admin.get(PAGE).get_data(as_text=True)
    unassigned = html[html.index('id="unassigned"') : html.index('id="assign-schools"')]
    assert 'data-count="unassigned">4<' in unassigned
    assert "东镇（2所）" in unassigned and "西乡（2所）" in unassigned
    assert "A2" in unassigned and "A1" not in unassigned and "JYJ" not in unassigned


def test_townships_offered_are_those_with_schools(admin, county):
    storage.create_team(county, "第一检查组", actor="test")
    html = admin.get(PAGE).get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)">', html[html.index('id="township"') :])
    assert offered[:3] == ["", "东镇", "西乡"]
    assert "东镇（3所学校）" in html  # the bureau's own organisation is not one to inspect


def test_page_says_assigning_elsewhere_moves_a_school(admin, county):
    storage.create_team(county, "第一检查组", actor="test")
    html = admin.get(PAGE).get_data(as_text=True)
    assert "会<strong>移到</strong>所选检查组" in html


def test_without_a_team_there_is_nothing_to_assign_to(admin, county):
    html = admin.get(PAGE).get_data(as_text=True)
    assert "新建检查组之后才能分配学校" in html and 'action="/bureau/teams/assign"' not in html


def test_the_navigation_links_to_teams_for_admins_only(app):
    page = '{% extends "bureau/_layout.html" %}{% set page_title = "测试" %}'
    with app.test_request_context("/bureau/"):
        g.admin, g.role = ADMIN, "admin"
        assert 'href="/bureau/teams"' in render_template_string(page)
        g.admin, g.role = "jc1", "inspector"
        assert 'href="/bureau/teams"' not in render_template_string(page)


# --- creating a team -------------------------------------------------------------------------


def test_create_team_redirects_with_a_message_and_is_audited(admin, county):
    response = create(admin, "  第三检查组 ")
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    assert [t["name"] for t in storage.list_teams(county)] == ["第三检查组"]
    assert "已新建检查组：第三检查组。" in admin.get(PAGE).get_data(as_text=True)
    (entry,) = audited(county, "team.create")
    assert entry["actor"] == f"admin:{ADMIN}" and entry["target"] == "第三检查组"


@pytest.mark.parametrize("name", ["", "   "])
def test_create_team_without_a_name_is_refused_beside_the_field(admin, county, name):
    response = create(admin, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and error_beside(html, "name") == "请填写检查组名称"
    assert '<a href="#name">请填写检查组名称</a>' in html  # and in the summary at the top
    assert storage.list_teams(county) == [] and audited(county, "team.create") == []


def test_create_team_name_longer_than_thirty_is_refused(admin, county):
    assert create(admin, "组" * 30).status_code == 303
    html = create(admin, "组" * 31).get_data(as_text=True)
    assert error_beside(html, "name") == "检查组名称不能超过 30 个字"
    assert [t["name"] for t in storage.list_teams(county)] == ["组" * 30]


def test_create_team_that_exists_is_refused_and_changes_nothing(admin, county):
    storage.create_team(county, "第一检查组", actor="test")
    html = create(admin, "第一检查组").get_data(as_text=True)
    assert "已有名为“第一检查组”的检查组" in error_beside(html, "name")
    assert len(audited(county, "team.create")) == 1


def test_create_team_without_csrf_token_is_refused(admin, county):
    response = admin.post(PAGE, data={"name": "第一检查组"})
    assert response.status_code == 400
    assert storage.list_teams(county) == []


# --- assigning schools -----------------------------------------------------------------------


@pytest.fixture
def teams(county):
    storage.create_team(county, "第一检查组", actor="test")
    storage.create_team(county, "第二检查组", actor="test")
    return county


def test_assign_by_township_assigns_its_schools_but_not_the_bureau(admin, teams):
    response = assign(admin, "第一检查组", township="东镇")
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    assert storage.team_codes(teams, "第一检查组") == {"A1", "A2", "A3"}
    assert storage.team_of(teams, "JYJ") is None
    assert "已将 3 所学校分配给第一检查组。" in admin.get(PAGE).get_data(as_text=True)
    (entry,) = audited(teams, "team.assign")
    assert entry["actor"] == f"admin:{ADMIN}" and entry["detail"]["codes"] == ["A1", "A2", "A3"]


def test_assign_by_pasted_codes_takes_lines_and_chinese_separators(admin, teams):
    assert assign(admin, "第二检查组", codes="A1\r\nB1、B2，a3 ,A1\n").status_code == 303
    assert storage.team_codes(teams, "第二检查组") == {"A1", "A3", "B1", "B2"}


def test_assign_by_township_and_codes_together(admin, teams):
    assert assign(admin, "第一检查组", township="西乡", codes="A1").status_code == 303
    assert storage.team_codes(teams, "第一检查组") == {"A1", "B1", "B2"}


def test_assign_to_another_team_moves_the_school_and_says_so(admin, teams):
    storage.assign_schools(teams, "第一检查组", codes=["A1", "A2"], actor="test")
    assert assign(admin, "第二检查组", codes="A1 B1").status_code == 303
    assert storage.team_of(teams, "A1") == "第二检查组" and storage.team_of(teams, "A2") == "第一检查组"
    html = admin.get(PAGE).get_data(as_text=True)
    assert "已将 2 所学校分配给第二检查组。其中 1 所原属其他检查组，已移过来。" in html
    assert audited(teams, "team.assign")[0]["detail"]["moved"] == {"A1": "第一检查组"}


def test_unknown_codes_are_named_beside_the_field_and_nothing_is_assigned(admin, teams):
    response = assign(admin, "第一检查组", township="西乡", codes="A1\nNOPE\nZZ9")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_beside(html, "codes") == "未知学校代码：NOPE、ZZ9。未分配任何学校。"
    assert "A1\nNOPE\nZZ9</textarea>" in html  # what was pasted stays, to correct
    assert storage.team_codes(teams, "第一检查组") == set() and audited(teams, "team.assign") == []


def test_the_bureau_itself_is_refused_by_code(admin, teams):
    html = assign(admin, "第一检查组", codes="A1 JYJ").get_data(as_text=True)
    assert "教育局机关不申报" in error_beside(html, "codes")
    assert storage.team_of(teams, "A1") is None


def test_a_township_without_schools_is_refused_beside_the_field(admin, teams):
    html = assign(admin, "第一检查组", township="无此乡", codes="A1").get_data(as_text=True)
    assert error_beside(html, "township") == "乡镇“无此乡”没有学校。未分配任何学校。"
    assert storage.team_of(teams, "A1") is None


def test_neither_township_nor_codes_is_refused(admin, teams):
    html = assign(admin, "第一检查组", codes=" 、\n").get_data(as_text=True)
    assert error_beside(html, "codes") == "请选择乡镇或填写学校代码"
    assert audited(teams, "team.assign") == []


def test_a_team_not_offered_is_refused_and_not_created(admin, teams):
    html = assign(admin, "第九检查组", codes="A1").get_data(as_text=True)
    assert error_beside(html, "team") == "请选择检查组"
    assert "第九检查组" not in {t["name"] for t in storage.list_teams(teams)}
    assert storage.team_of(teams, "A1") is None


def test_assign_without_csrf_token_is_refused(admin, teams):
    response = admin.post(f"{PAGE}/assign", data={"team": "第一检查组", "codes": "A1"})
    assert response.status_code == 400
    assert storage.team_of(teams, "A1") is None
