"""How verdicts are shown: by their words and groups, never by the codes (C1–C3, T) the schema
keys them on, and with the grouping named as the bureau's own self-check standard."""

from __future__ import annotations

import html
import re

import pytest

from checklist_app import storage
from schemas import CountySettings
from tests.bureau_support import create_admin, declare
from tests.bureau_support import login as bureau_login
from tests.test_declaration_flow import login as school_login

CODES = re.compile(r"(?<![A-Za-z0-9_])(C1|C2|C3|T)(?![A-Za-z0-9_])")
STANDARD = "本局开学条件自查口径"
# a gap in every group: condition one (the county's), two, three and teaching work
GAPS_IN_EVERY_GROUP = {"campus_disinfected": False, "online_checkin": False, "cleaning_done": False}

SCHOOL_PAGES = {
    "task list": "/school/",
    "history": "/school/declarations",
    "version": "/school/declarations/1",
    "result": "/school/declarations/1/result",
    "review": "/school/declaration/review",
}
BUREAU_PAGES = {"dashboard": "/bureau/", "school detail": "/bureau/schools/SCH01"}
GROUPING_PAGES = {"result": "/school/declarations/1/result", "version": "/school/declarations/1", **BUREAU_PAGES}


def visible_text(markup: str) -> str:
    """What a reader sees: no tags, scripts, styles or comments."""
    markup = re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


@pytest.fixture
def pages(app, db, make_school):
    """Every page that shows a verdict, for a school with gaps in every group whose verdict
    changed since it declared, as a school and as the bureau see them."""
    _row, access_code = make_school()
    storage.save_settings(db, CountySettings(epidemic_controlled=False), actor="test")
    declare(db, "SCH01", **GAPS_IN_EVERY_GROUP)
    storage.save_settings(db, CountySettings(epidemic_controlled=True, mask_days=60), actor="test")
    school, bureau = app.test_client(), app.test_client()
    school_login(school, "SCH01", access_code)
    create_admin(db)
    assert bureau_login(bureau).status_code == 302
    shown = {}
    for client, urls in ((school, SCHOOL_PAGES), (bureau, BUREAU_PAGES)):
        for url in urls.values():
            response = client.get(url)
            assert response.status_code == 200, url
            shown[url] = response.get_data(as_text=True)
    return shown


@pytest.mark.parametrize("url", [*SCHOOL_PAGES.values(), *BUREAU_PAGES.values()])
def test_no_page_shows_a_condition_code_as_text(pages, url):
    assert CODES.findall(visible_text(pages[url])) == []


@pytest.mark.parametrize("url", GROUPING_PAGES.values())
def test_every_page_that_groups_items_names_the_bureaus_self_check_standard(pages, url):
    assert STANDARD in visible_text(pages[url])


@pytest.mark.parametrize("url", ["/school/declarations/1/result", "/school/declarations/1"])  # the stored verdict first
def test_the_groups_are_shown_by_their_words_in_order(pages, url):
    text = visible_text(pages[url])
    words = [
        "条件一 疫情得到基本控制",
        "条件二 学校基本防控条件具备",
        "条件三 师生和校园公共卫生安全得到切实保障",
        "教学工作",
    ]
    places = [text.find(w) for w in words]
    assert -1 not in places and places == sorted(places)


def test_the_verdict_is_worded_as_a_self_check(pages):
    result = visible_text(pages["/school/declarations/1/result"])
    assert "结论：自查不符合开学条件" in result
    assert "具备开学条件" not in result.replace("自查不符合开学条件", "").replace("自查符合开学条件", "")


def test_a_page_without_the_grouping_does_not_claim_it(pages):
    assert STANDARD not in visible_text(pages["/school/"])
