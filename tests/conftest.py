"""Fixtures: a real app on a real temporary SQLite file for every test (as in Flask's tutorial)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from checklist_app import REPO_ROOT, create_app, storage
from schemas import School, examples


def build_site(out) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` into `out`, offline, with this process's environment (so its
    CHECKLIST_CONFIG)."""
    env = {k: v for k, v in os.environ.items() if k != "CHECKLIST_BASE_URL"}
    env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about MkDocs 2 is not a build warning
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO_ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def site_build(tmp_path_factory):
    """(the finished `mkdocs build --strict`, its output folder), once per run, offline."""
    out = tmp_path_factory.mktemp("site")
    return build_site(out), out


@pytest.fixture(scope="session")
def built_site(site_build):
    """The policy site, built exactly as `checklist build-site` builds it."""
    result, out = site_build
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "DATABASE": str(tmp_path / "checklist.db"),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    connection = storage.open_db(app.config["DATABASE"])
    yield connection
    connection.close()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at `url` (as a browser would read it)."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no csrf_token on {url} (status {page.status_code})"
    return match.group(1)


@pytest.fixture
def make_school(db):
    """Create a school and return (row, access code); the access code is issued as the CLI does."""

    def make(code="SCH01", name="测试小学", kind="小学", township="城关镇"):
        storage.upsert_schools(db, [School(code=code, name=name, kind=kind, township=township)])
        issued = storage.issue_access_codes(db, [code], actor="test")[0]
        return storage.get_school(db, code), issued["access_code"]

    return make


def valid_declaration_answers(**changes) -> dict:
    """A declaration meeting every condition item under the default settings (`schemas.examples`)."""
    return examples.declaration_answers(**changes)


def valid_pledge_answers(**changes) -> dict:
    return examples.pledge_answers(**changes)


@pytest.fixture
def admin(client, db):
    """A test client logged in as the bureau's admin."""
    from tests.bureau_support import create_admin, login

    create_admin(db)
    assert login(client).status_code == 302
    return client


# --- above the county: a province instance and its counties' downloads (tests/region_support.py)


@pytest.fixture(scope="module")
def county_downloads(tmp_path_factory):
    """Three counties' SQLite downloads, made once per test module: {region code: file}."""
    from tests.region_support import make_downloads

    return make_downloads(tmp_path_factory.mktemp("counties"))


@pytest.fixture
def province(tmp_path, county_downloads):
    """A province instance holding the three downloads, with a bureau admin and an inspector."""
    from tests.region_support import make_province

    return make_province(tmp_path, county_downloads)


@pytest.fixture
def chief(province):
    """A client logged in to the province as its bureau admin."""
    from tests.bureau_support import login

    client = province.test_client()
    assert login(client).status_code == 302
    return client
