"""Accessibility: axe-core in Chromium on every kind of page, no serious or critical violation.

The pages are the real ones, served by the production server (`live_app`): the data is made
through `storage`, the logins go through the forms, the errors are made by sending a wrong form.
axe-core comes bundled in the `axe-playwright-python` package (no network at test time).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from checklist_app import storage
from checklist_app.web import auth
from schemas import SECTIONS, CountySettings, School
from tests.bureau_support import declare, sign, upload_roster
from tests.conftest import valid_declaration_answers

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
ADMIN, PASSWORD = "chief", "correct horse battery"
AXE = Axe()


def violations(page) -> list[str]:
    """The serious and critical axe violations of the page as it is now, one line per node."""
    found = AXE.run(page).response["violations"]
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {node['target']} {node.get('failureSummary', '')[:200]!r}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def settle(page) -> None:
    """Wait for every CSS transition and animation to end (axe would measure colours midway)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=10_000)


class Audit:
    """Visit pages, run axe on each, keep every blocking violation with the page it was on."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.found[name] = violations(self.page)

    def assert_clean(self, expected_pages: int) -> None:
        assert len(self.found) == expected_pages, f"audited {sorted(self.found)}"
        bad = {name: v for name, v in self.found.items() if v}
        assert not bad, "\n".join(f"{name}:\n  " + "\n  ".join(v) for name, v in bad.items())


@pytest.fixture
def county(live_app):
    """Two schools (one declared, with a roster and a pledge), county settings, a bureau admin."""
    db = storage.open_db(live_app.config["DATABASE"])
    try:
        storage.upsert_schools(
            db,
            [
                School(code="SCH01", name="城关第一小学", kind="小学", township="城关镇"),
                School(code="SCH02", name="东乡中学", kind="初中", township="东乡"),
            ],
        )
        storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
        issued = {row["code"]: row for row in storage.issue_access_codes(db, ["SCH01", "SCH02"], actor="test")}
        declare(db, "SCH02", campus_disinfected=False)
        upload_roster(db, "SCH02", [("张老师", "13900000001"), ("李老师", "13900000002")])
        sign(db, "SCH02", "张老师", "13900000001")
        storage.create_admin(db, ADMIN, auth.hash_password(PASSWORD))
        return {"access_code": issued["SCH01"]["access_code"], "token": issued["SCH01"]["pledge_token"]}
    finally:
        db.close()


def save_all_sections(live_app, code: str) -> None:
    """Every section of a declaration saved as a complete, valid draft (as the forms save it)."""
    answers = valid_declaration_answers(truthful=True, work_plan="开学前完成全部准备")
    db = storage.open_db(live_app.config["DATABASE"])
    try:
        for model in SECTIONS:
            raw = {
                k: ("y" if v is True else str(v))
                for k, v in answers.items()
                if k in model.model_fields and v is not False
            }
            storage.save_draft(db, code, model.section_id, raw)
    finally:
        db.close()


def test_the_policy_site_pages_and_its_search_dialog(live_app, page):
    audit = Audit(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    for name, path in (("site home", "/"), ("grade-band page", "/online/early-years/"), ("site 404", "/no-such-page/")):
        page.goto(live_app.base + path)
        audit.check(name)
    page.goto(live_app.base + "/")
    page.locator("input.md-search__input").click()
    page.keyboard.type("跟踪台账")
    page.keyboard.press("End")  # a key after the query: searches again once the index has loaded
    expect(page.locator(".md-search-result__item").first).to_be_visible(timeout=15_000)
    settle(page)
    audit.check("search dialog with results")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_app.base + "/online/early-years/")
    page.locator("label.md-header__button[for=__drawer]").click()
    expect(page.locator(".md-nav--primary")).to_be_visible()
    audit.check("grade-band page on a phone, menu open")
    audit.assert_clean(5)


def test_the_school_pages_from_login_to_result(live_app, page, county):
    audit = Audit(page)
    base = live_app.base
    page.goto(base + "/school/login")
    audit.check("school login")
    page.get_by_role("button", name="登录").click()  # nothing typed: the errors
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("school login with errors")
    page.fill("#school_code", "SCH01")
    page.fill("#access_code", county["access_code"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="任务清单")).to_be_visible()
    audit.check("task list, nothing started")

    page.goto(base + "/school/declaration/people")
    audit.check("declaration section")
    page.fill("#staff_total", "50")
    page.fill("#staff_in_county", "1")
    page.fill("#students_total", "-5")
    page.get_by_role("button", name="保存并返回").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("declaration section with errors")

    page.goto(base + "/school/declaration/review")
    audit.check("review with problems")
    save_all_sections(live_app, "SCH01")
    page.goto(base + "/school/")
    audit.check("task list, all saved")
    page.goto(base + "/school/declaration/review")
    audit.check("review, ready to submit")
    page.get_by_role("button", name="提交申报").click()
    expect(page).to_have_url(re.compile(r"/school/declarations/1/result$"))
    audit.check("result")
    page.goto(base + "/school/declarations")
    audit.check("history")
    page.goto(base + "/school/declarations/1")
    audit.check("one version")

    page.goto(base + "/school/staff/")
    audit.check("staff and pledges")
    page.get_by_role("button", name=re.compile("上传")).click()  # no file chosen: the error
    audit.check("staff page with an upload error")

    page.goto(base + "/school/ledger/")
    audit.check("ledger report form")
    page.fill("#staff_total", "-1")
    page.get_by_role("button", name=re.compile("提交")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("ledger report with errors")
    page.goto(base + "/school/ledger/")
    for name, value in (
        ("staff_total", "10"),
        ("staff_in_county", "10"),
        ("staff_out_county_in_province", "0"),
        ("staff_out_of_province", "0"),
        ("students_total", "100"),
        ("students_in_county", "100"),
        ("students_out_county_in_province", "0"),
        ("students_out_of_province", "0"),
        ("returned_staff", "0"),
        ("returned_students", "0"),
        ("isolating", "0"),
        ("on_leave_out_of_county", "0"),
        ("reporter", "王老师"),
    ):
        page.fill(f"#{name}", value)
    page.get_by_role("button", name=re.compile("提交")).click()
    expect(page).to_have_url(re.compile(r"/school/ledger/done"))
    audit.check("ledger report done")

    page.goto(base + "/school/no-such-page")
    audit.check("error page")
    audit.assert_clean(17)


def test_the_pledge_form_its_errors_and_the_receipt(live_app, page, county):
    audit = Audit(page)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_app.base}/pledge/{county['token']}")
    audit.check("pledge form")
    page.get_by_role("button", name="确认签署").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("pledge form with errors")
    page.fill("#name", "赵老师")
    page.fill("#phone", "13912345678")
    page.check("#role-0")
    page.check("#whereabouts-0")
    for box in page.locator("input[type=checkbox]").all():
        box.check()
    page.fill("#signature", "赵老师")
    page.get_by_role("button", name="确认签署").click()
    expect(page).to_have_url(re.compile(r"/receipt/"))
    audit.check("pledge receipt")
    page.goto(f"{live_app.base}/pledge/no-such-link")
    audit.check("unknown pledge link")
    audit.assert_clean(4)


def test_the_bureau_console(live_app, page, county):
    audit = Audit(page)
    base = live_app.base
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/bureau/login")
    audit.check("bureau login")
    page.fill("#username", ADMIN)
    page.fill("#password", "wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("bureau login with errors")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/bureau/$"))
    audit.check("dashboard")
    for name, path in (
        ("dashboard, filtered", "/bureau/?verdict=not_ready"),
        ("a school's page", "/bureau/schools/SCH02"),
        ("settings", "/bureau/settings"),
        ("access codes", "/bureau/codes"),
        ("county ledger", "/bureau/ledger/"),
    ):
        page.goto(base + path)
        audit.check(name)
    page.goto(base + "/bureau/settings")
    page.fill("#mask_days", "0")
    page.get_by_role("button", name="保存设置").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("settings with errors")
    page.goto(base + "/bureau/codes")
    page.select_option("#school_code", "SCH02")
    page.get_by_role("button", name="生成并打印", exact=True).click()
    expect(page.get_by_text("SCH02").first).to_be_visible()
    audit.check("access code sheet")
    audit.assert_clean(10)
