"""The browser harness works: the policy site and the health check load in real Chromium."""

import json


def test_home_page_of_the_policy_site_loads(live_app, page):
    response = page.goto(live_app.base + "/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang").startswith("zh")
    assert "开学" in page.title()


def test_healthz_answers_ok_in_the_browser(live_app, page):
    response = page.goto(live_app.base + "/healthz")
    assert response.status == 200
    assert json.loads(page.locator("body").inner_text()) == {"status": "ok"}
