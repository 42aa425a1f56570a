"""A school logs in and completes the whole declaration in Chromium at a phone's 360 px width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import schemas
from checklist_app import storage
from schemas import SECTIONS, CountySettings, School, is_tick
from tests.conftest import valid_declaration_answers

pytestmark = pytest.mark.browser

SCREENSHOTS = {"errors": "/tmp/declaration-section-errors-360.png", "result": "/tmp/declaration-result-360.png"}


@pytest.fixture
def access_code(live_app):
    db = storage.open_db(live_app.config["DATABASE"])
    try:
        storage.upsert_schools(db, [School(code="SCH01", name="城关第一小学", kind="小学", township="城关镇")])
        storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
        return storage.issue_access_codes(db, ["SCH01"], actor="test")[0]["access_code"]
    finally:
        db.close()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def fill_section(page, model, answers) -> None:
    for name, info in model.model_fields.items():
        value = answers.get(name)
        if is_tick(info):
            if value:
                page.check(f"#{name}")
        elif value is not None:
            page.fill(f"#{name}", str(value))


def test_a_school_completes_the_whole_declaration_on_a_phone(live_app, page, access_code):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_app.base + "/school/login")

    # log in by keyboard alone
    page.focus("#school_code")
    page.keyboard.type("SCH01")
    page.keyboard.press("Tab")
    page.keyboard.type(access_code.lower())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="任务清单")).to_be_visible()
    no_sideways_scroll(page)

    answers = valid_declaration_answers(work_plan="开学前完成全部准备")
    for model in SECTIONS:
        page.get_by_role("link", name=model.title, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=model.title)).to_be_visible()
        if model.section_id == "people":  # first a sum that does not add up
            fill_section(page, model, {**answers, "staff_in_county": 44})
            page.get_by_role("button", name="保存并返回").click()
            assert page.title().startswith("错误：")
            summary = page.locator(".error-summary")
            expect(summary).to_contain_text("人数之和应等于教职工总数")
            expect(page.locator("#staff_total-error")).to_be_visible()
            no_sideways_scroll(page)
            page.screenshot(path=SCREENSHOTS["errors"], full_page=True)
            summary.get_by_role("link").first.click()
            assert page.url.endswith("#staff_total")
        fill_section(page, model, answers)
        page.get_by_role("button", name="保存并返回").click()
        expect(page.locator(f"#status-{model.section_id}")).to_have_text("已保存")

    page.get_by_role("link", name="检查并提交申报").click()
    expect(page.get_by_role("heading", name="检查并提交申报")).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)
    no_sideways_scroll(page)
    page.get_by_role("button", name="提交申报").click()

    expect(page).to_have_url(re.compile(r"/school/declarations/1/result$"))
    expect(page.locator(".panel__verdict")).to_have_text("结论：" + schemas.VERDICT_LABELS["ready"])
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS["result"], full_page=True)

    db = storage.open_db(live_app.config["DATABASE"])
    try:
        [row] = storage.declaration_versions(db, "SCH01")
    finally:
        db.close()
    assert row["verdict"] == "ready" and row["work_plan"] == "开学前完成全部准备"
