"""The policy site's own scripts (search, navigation) work under the headers the app serves the
site with: checked in Chromium, with no Content-Security-Policy error in the console."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CSP_WORDS = re.compile(r"Content Security Policy|Refused to (execute|load|apply|evaluate|connect)", re.I)


@pytest.fixture
def watched_page(page):
    """The page, with every console error and uncaught script error kept."""
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def test_search_finds_a_chinese_word_under_the_headers_the_app_serves(live_app, watched_page):
    page = watched_page
    page.set_viewport_size({"width": 1280, "height": 800})
    response = page.goto(live_app.base + "/")
    assert response.headers["x-content-type-options"] == "nosniff"  # the app's headers are on
    search = page.locator("input.md-search__input")
    search.click()
    page.keyboard.type("跟踪台账")
    page.keyboard.press("End")  # a key after the query: searches again once the index has loaded
    results = page.locator(".md-search-result__item")
    expect(results.first).to_be_visible(timeout=15_000)
    assert not [e for e in page.errors if CSP_WORDS.search(e)], page.errors
    assert not page.errors, page.errors


def test_navigation_and_the_search_result_links_work(live_app, watched_page):
    page = watched_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_app.base + "/")
    page.locator("a.md-tabs__link", has_text="网上教学").click()
    expect(page).to_have_url(re.compile(r"/online/$"))
    page.get_by_role("link", name="幼儿和小学低年级").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("幼儿和小学低年级"))

    page.locator("input.md-search__input").click()
    page.keyboard.type("跟踪台账")
    page.keyboard.press("End")  # a key after the query: searches again once the index has loaded
    first = page.locator(".md-search-result__item a").first
    expect(first).to_be_visible(timeout=15_000)
    first.click()
    expect(page.locator("article")).to_contain_text("台账")
    assert not page.errors, page.errors


def test_on_a_phone_the_drawer_menu_opens_and_navigates(live_app, watched_page):
    page = watched_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_app.base + "/")
    page.locator("label.md-header__button[for=__drawer]").click()
    drawer = page.locator(".md-nav--primary")
    expect(drawer).to_be_visible()
    drawer.get_by_role("link", name="网上教学").first.click()
    expect(page).to_have_url(re.compile(r"/online/"))
    assert not page.errors, page.errors
