"""The app: health check, Chinese error pages, headers, and the policy site served at `/`."""

import sqlite3

import pytest

from checklist_app import create_app


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_three_blueprints_are_registered(app):
    assert {"school", "pledge", "bureau"} <= set(app.blueprints)


def test_unknown_app_path_gets_a_chinese_404(client):
    response = client.get("/school/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_oversized_body_gets_a_chinese_413(client):
    response = client.post("/school/login", data={"x": "a" * (5 * 1024 * 1024)})
    assert response.status_code == 413
    assert "过大" in response.get_data(as_text=True)


def test_app_pages_carry_strict_security_headers(client):
    headers = client.get("/healthz").headers
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_secret_key_is_generated_once_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv("CHECKLIST_SECRET_KEY", raising=False)
    first = create_app({"DATABASE": str(tmp_path / "db" / "c.db")}).config["SECRET_KEY"]
    second = create_app({"DATABASE": str(tmp_path / "db" / "c.db")}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "db" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.fixture
def site_client(tmp_path, built_site):
    return create_app(
        {"DATABASE": str(tmp_path / "c.db"), "SECRET_KEY": "x", "SITE_DIR": str(built_site)}
    ).test_client()


def test_the_policy_site_is_served_at_the_root(site_client):
    response = site_client.get("/")
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)


def test_a_site_directory_is_served_by_its_index(site_client):
    assert site_client.get("/prevention/management/").status_code == 200
    assert site_client.get("/prevention/management").status_code == 301


def test_unknown_site_path_gets_the_sites_own_404_page(site_client, built_site):
    response = site_client.get("/no/such/page/")
    assert response.status_code == 404
    assert response.get_data() == (built_site / "404.html").read_bytes()


def test_paths_outside_the_site_are_not_served(site_client):
    assert site_client.get("/../pyproject.toml").status_code == 404


def test_an_app_made_for_a_server_worker_does_not_migrate(tmp_path):
    database = tmp_path / "worker.db"
    create_app({"DATABASE": str(database), "SECRET_KEY": "t", "MIGRATE": False})
    assert not database.exists()  # not even opened: `checklist serve` migrated it before forking
    create_app({"DATABASE": str(database), "SECRET_KEY": "t"})
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert ("schools",) in tables
