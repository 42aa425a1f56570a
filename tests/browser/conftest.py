"""Browser tests: Playwright for Python driving Debian's Chromium through `executable_path`.

Under CI (the `CI` variable set) they must run; elsewhere, without Chromium, they skip and say why.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from waitress import create_server

from checklist_app import create_app

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Chromium not found at /usr/bin/chromium: apt-get install chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path, built_site):
    """The real app over real HTTP on a free loopback port: waitress in a thread of the test
    process, so a test can reach the app and its database directly."""
    app = create_app(
        {"DATABASE": str(tmp_path / "checklist.db"), "SECRET_KEY": "browser-test", "SITE_DIR": str(built_site)}
    )
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    app.base = f"http://127.0.0.1:{server.effective_port}"
    yield app
    server.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
