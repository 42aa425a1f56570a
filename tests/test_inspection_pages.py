"""What an inspection changes on the pages (`spec/inspection.md`, What it changes): the 核查 state
beside the verdict on the dashboard, the bureau's school page and the school's own task list; a
contradicted item a gap on the bureau's pages whatever the school ticked, with its note and
deadline; the township counts and the overdue rectifications."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from checklist_app import storage
from schemas import clock
from schemas.inspection import Inspection
from tests.bureau_support import ADMIN, counts_on_page, declare, two_townships
from tests.sessions import log_in

TEAM = "第一检查组"
TODAY = clock.today()
NOTE = "值班表未张贴，带班领导不在岗"


@pytest.fixture
def county(db, make_school):
    two_townships(db, make_school)
    storage.assign_schools(db, TEAM, townships=["东镇"], actor="test")
    for code in ("A1", "A2", "B1"):
        declare(db, code)
    return db


def inspect(db, code: str, inspected_on=TODAY, rectify_by=TODAY, **findings) -> dict:
    answers = {"inspected_on": inspected_on, "inspectors": "张三、李四", "rectify_by": rectify_by}
    for field, found in findings.items():
        answers[f"finding_{field}"] = found
        if found == "contradicted":
            answers[f"note_{field}"] = NOTE
    version = storage.latest_declaration(db, code)["version"]
    row, _ = storage.record_inspection(
        db, code, TEAM, version, Inspection.model_validate(answers), "jc1", uuid.uuid4().hex
    )
    return row


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr data-school="{code}".*?</tr>', html, re.S)
    assert match, code
    return match.group(0)


def test_a_contradicted_item_makes_the_school_not_ready_on_the_dashboard(admin, county):
    before = counts_on_page(admin.get("/bureau/").get_data(as_text=True))
    inspect(county, "A1", duty_rota="contradicted", closed_management="confirmed")
    html = admin.get("/bureau/").get_data(as_text=True)
    counts = counts_on_page(html)
    assert (counts["ready"], counts["not_ready"]) == (before["ready"] - 1, before["not_ready"] + 1)
    assert counts["inspection_contradicted"] == counts["inspected"] == 1
    assert "found_not_ready" not in before and counts["found_not_ready"] == 1
    assert "1 所学校自查符合开学条件，因检查组核查不符，计入不符合开学条件。" in re.sub(r"<[^>]+>", "", html)
    row = row_of(html, "A1")
    assert 'data-status="not_ready"' in row and "不符合开学条件" in row
    assert 'data-inspection="contradicted"' in row and "核查不符" in row
    assert "提交时：自查符合开学条件" in row  # what the school declared stays in sight
    assert "不属实" not in html


def test_a_confirmed_inspection_says_how_many_items_were_checked(admin, county):
    inspect(county, "A1", duty_rota="confirmed", closed_management="confirmed")
    row = row_of(admin.get("/bureau/").get_data(as_text=True), "A1")
    assert 'data-inspection="confirmed"' in row and "已核查2项，均相符" in row
    assert 'data-status="ready"' in row


@pytest.mark.parametrize("found", ["confirmed", "contradicted"])
def test_a_later_version_shows_to_be_rechecked_never_confirmed(admin, county, found):
    inspect(county, "A1", duty_rota=found)
    declare(county, "A1")
    html = admin.get("/bureau/").get_data(as_text=True)
    row = row_of(html, "A1")
    assert 'data-inspection="recheck"' in row and "待复查" in row
    assert "均相符" not in row and "核查不符" not in row
    assert 'data-status="ready"' in row  # the new version is the school's own until a team looks again
    assert counts_on_page(html)["inspection_recheck"] == 1


def test_the_dashboard_counts_inspections_per_township(admin, county):
    inspect(county, "A1", duty_rota="contradicted")
    inspect(county, "A2", duty_rota="confirmed")
    html = admin.get("/bureau/").get_data(as_text=True)
    east = re.search(r'<tr data-township="东镇">(.*?)</tr>', html, re.S).group(1)
    # schools, declared ready (the school's own), inspected, 相符, 不符, 待复查
    assert re.findall(r"<td>([^<]*)</td>", east) == ["东镇", "3", "2", "2", "1", "1", "0"]
    west = re.search(r'<tr data-township="西乡">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", west) == ["西乡", "2", "1", "0", "0", "0", "0"]


def test_the_dashboard_filters_by_inspection_state(admin, county):
    inspect(county, "A1", duty_rota="contradicted")
    html = admin.get("/bureau/?inspection=contradicted").get_data(as_text=True)
    assert re.findall(r'<tr data-school="([^"]+)"', html) == ["A1"]


def test_overdue_rectifications_are_listed_until_the_school_declares_again(admin, county):
    week_ago = TODAY - dt.timedelta(days=7)
    inspect(county, "A1", inspected_on=week_ago, rectify_by=week_ago + dt.timedelta(days=3), duty_rota="contradicted")
    inspect(county, "A2", rectify_by=TODAY, duty_rota="contradicted")  # due today: not overdue yet
    html = admin.get("/bureau/").get_data(as_text=True)
    assert re.findall(r'data-overdue="([^"]+)"', html) == ["A1"]
    declare(county, "A1")
    html = admin.get("/bureau/").get_data(as_text=True)
    assert re.findall(r'data-overdue="([^"]+)"', html) == []
    assert "没有逾期未整改的学校" in html


def test_an_overdue_rectification_appears_at_midnight_without_a_write(admin, county, monkeypatch):
    inspect(county, "A1", duty_rota="contradicted")
    assert "data-overdue" not in admin.get("/bureau/").get_data(as_text=True)
    tomorrow = clock.now() + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    log_in(admin, admin=ADMIN)  # the session of yesterday has ended
    assert re.findall(r'data-overdue="([^"]+)"', admin.get("/bureau/").get_data(as_text=True)) == ["A1"]


def test_the_bureaus_school_page_shows_the_contradicted_item_as_a_gap_with_note_and_deadline(admin, county):
    inspect(county, "A1", duty_rota="contradicted", closed_management="confirmed")
    html = admin.get("/bureau/schools/A1").get_data(as_text=True)
    assert 'data-verdict-now="not_ready"' in html
    gap = re.search(r'<li class="gap-list__item" data-contradicted="duty_rota">.*?</li>', html, re.S).group(0)
    assert "领导带班值班已落实" in gap and "核查不符" in gap and NOTE in gap and TODAY.isoformat() in gap
    assert 'data-finding="closed_management"' in html and 'data-finding="duty_rota"' in html
    assert "第一检查组" in html and "张三、李四" in html
    assert "不属实" not in html


def test_the_bureaus_school_page_of_an_earlier_version_shows_its_own_verdict(admin, county):
    inspect(county, "A1", duty_rota="contradicted")
    declare(county, "A1")
    html = admin.get("/bureau/schools/A1").get_data(as_text=True)
    assert 'data-verdict-now="ready"' in html and 'data-contradicted="duty_rota"' not in html
    assert 'data-inspection="recheck"' in html


def test_the_schools_task_list_shows_the_finding_note_and_deadline(app, county):
    inspect(county, "A1", duty_rota="contradicted", summary="请尽快整改")
    client = app.test_client()
    log_in(client, school_code="A1")
    html = client.get("/school/").get_data(as_text=True)
    assert 'data-inspection="contradicted"' in html
    gap = re.search(r'<li class="gap-list__item" data-contradicted="duty_rota">.*?</li>', html, re.S).group(0)
    assert "领导带班值班已落实" in gap and NOTE in gap and TODAY.isoformat() in gap
    assert "不符合开学条件" in html and "第一检查组" in html
    assert "不属实" not in html


def test_the_schools_task_list_says_when_it_awaits_a_recheck(app, county):
    inspect(county, "A1", duty_rota="contradicted")
    declare(county, "A1")
    client = app.test_client()
    log_in(client, school_code="A1")
    html = client.get("/school/").get_data(as_text=True)
    assert 'data-inspection="recheck"' in html and NOTE not in html
