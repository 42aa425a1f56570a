"""Issue 18, the findings of the security review that are not uploads (test_upload_bounds.py),
receipts (test_pledge.py) or links (test_roster.py): each test here failed before the change."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat

from checklist_app import create_app, storage
from checklist_app.views import school as school_views
from schemas import clock
from tests.bureau_support import ADMIN, PASSWORD, create_admin, login
from tests.conftest import csrf_token

LOGIN = "/school/login"


def attempt(client, code, access_code, address="10.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, LOGIN)
    return client.post(
        LOGIN,
        data={"csrf_token": token, "school_code": code, "access_code": access_code},
        environ_base=environ,
    )


# --- files -----------------------------------------------------------------------------------


def test_the_database_its_wal_and_shm_the_secret_key_and_the_folder_are_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        app = create_app({"DATABASE": str(tmp_path / "instance" / "checklist.db")})
        db = storage.open_db(app.config["DATABASE"])
        storage.upsert_schools(db, [])  # a write: the WAL and SHM exist
        folder = tmp_path / "instance"
        paths = [folder, folder / "checklist.db", folder / "checklist.db-wal", folder / "checklist.db-shm"]
        paths.append(folder / "secret_key")
        for path in paths:
            assert path.exists(), path
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))
        db.close()
    finally:
        os.umask(old)


# --- access codes ----------------------------------------------------------------------------


def test_access_codes_are_stored_with_scrypt(make_school):
    school, _code = make_school()
    assert school["access_code_hash"].startswith("scrypt$")


def test_an_old_sha256_access_code_hash_still_logs_in_and_is_upgraded(client, db, make_school):
    import hashlib

    make_school()
    salt = "00112233"
    old = f"sha256${salt}${hashlib.sha256((salt + 'OLDCODE234').encode()).hexdigest()}"
    db["schools"].update("SCH01", {"access_code_hash": old})
    assert attempt(client, "SCH01", "oldcode234").status_code == 302
    assert storage.get_school(db, "SCH01")["access_code_hash"].startswith("scrypt$")


# --- sessions that end -----------------------------------------------------------------------


def logged_in_school(app, make_school):
    _school, code = make_school()
    client = app.test_client()
    assert attempt(client, "SCH01", code).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of the client's cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("checklist_session", client.get_cookie("checklist_session").value)
    return thief


def test_a_copied_cookie_no_longer_opens_anything_after_school_logout(app, make_school):
    client = logged_in_school(app, make_school)
    thief = copy_of(app, client)
    assert thief.get("/school/").status_code == 200
    client.post("/school/logout", data={"csrf_token": csrf_token(client, "/school/")})
    assert thief.get("/school/").status_code == 302


def test_a_copied_cookie_no_longer_downloads_the_database_after_bureau_logout(app, client, db):
    create_admin(db)

    assert login(client).status_code == 302
    thief = copy_of(app, client)
    assert thief.get("/bureau/export/checklist.sqlite").status_code == 200
    client.post("/bureau/logout", data={"csrf_token": csrf_token(client, "/bureau/settings")})
    assert thief.get("/bureau/export/checklist.sqlite").status_code == 302


def test_a_new_access_code_ends_every_session_of_that_school(app, db, make_school):
    client = logged_in_school(app, make_school)
    storage.issue_access_codes(db, ["SCH01"], actor="test")
    assert client.get("/school/").status_code == 302


def test_a_new_password_ends_every_session_of_that_account(app, client, db):
    create_admin(db)

    assert login(client).status_code == 302
    create_admin(db, password=PASSWORD + "x")
    assert client.get("/bureau/").status_code == 302


def test_the_bureau_can_end_every_session_of_a_school(app, db, make_school):
    school = logged_in_school(app, make_school)
    bureau = app.test_client()
    create_admin(db)

    assert login(bureau).status_code == 302
    token = csrf_token(bureau, "/bureau/schools/SCH01")
    assert bureau.post("/bureau/schools/SCH01/sessions/end", data={"csrf_token": token}).status_code == 303
    assert school.get("/school/").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, make_school, monkeypatch):
    client = logged_in_school(app, make_school)
    start, step = clock.now(), app.config["SESSION_IDLE_LIFETIME"] / 2
    for n in range(1, 100):
        monkeypatch.setattr(clock, "now", lambda n=n: start + n * step)
        if n * step >= app.permanent_session_lifetime:
            break
        response = client.get("/school/")
        assert response.status_code == 200, (n, response.headers.get("Location"))
    assert client.get("/school/").status_code == 302


def test_the_cookie_is_not_renewed_on_every_request(app, make_school):
    client = logged_in_school(app, make_school)
    client.get("/school/")  # the first page puts the form's CSRF secret in the session
    assert "Set-Cookie" not in client.get("/school/").headers


# --- throttling that cannot lock out the owner -----------------------------------------------


def test_guesses_from_elsewhere_do_not_lock_the_owner_out_for_the_window(app, make_school, monkeypatch):
    _school, code = make_school()
    attacker, owner = app.test_client(), app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES"] * 2):
        attempt(attacker, "SCH01", "WRONGCODE1", address=f"10.9.{n}.1")
    later = clock.now() + dt.timedelta(seconds=app.config["LOGIN_MAX_DELAY_SECONDS"] + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert attempt(owner, "SCH01", code, address="10.0.0.2").status_code == 302


def test_an_account_under_attack_waits_a_growing_delay_not_the_window(app, make_school):
    make_school()
    client = app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        attempt(client, "SCH01", "WRONGCODE1", address=f"10.8.{n}.1")
    response = attempt(client, "SCH01", "WRONGCODE1", address="10.7.0.1")
    assert response.status_code == 429
    assert "秒后再试" in response.get_data(as_text=True)


def test_a_valid_login_does_not_wipe_the_count_of_guesses_at_other_accounts(app, make_school):
    _own, own_code = make_school("SCH02", name="第二小学")
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES"] * 4  # per address, across accounts
    for n in range(limit):
        attempt(client, f"GUESS{n}", "WRONGCODE1")
        if n % 3 == 0:  # a school's own login between guesses at others
            assert attempt(app.test_client(), "SCH02", own_code).status_code == 302
    assert attempt(client, "GUESS999", "WRONGCODE1").status_code == 429


def test_throttled_attempts_make_one_audit_row_per_account_and_window(app, db, make_school):
    make_school()
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 30):
        attempt(client, "SCH01", "WRONGCODE1")
    rows = list(db.query("SELECT * FROM audit_log WHERE action = 'login.throttled'"))
    assert len(rows) == 1 and '"attempts": 30' in rows[0]["detail"]


def test_the_bureau_can_unlock_a_school(app, db, make_school):
    _school, code = make_school()
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        attempt(client, "SCH01", "WRONGCODE1")
    assert attempt(client, "SCH01", code).status_code == 429
    bureau = app.test_client()
    create_admin(db)

    assert login(bureau).status_code == 302
    token = csrf_token(bureau, "/bureau/schools/SCH01")
    assert bureau.post("/bureau/schools/SCH01/unlock", data={"csrf_token": token}).status_code == 303
    assert attempt(client, "SCH01", code).status_code == 302


# --- memory that stays bounded ---------------------------------------------------------------


def test_the_section_check_cache_is_bounded_in_bytes(app):
    cache = school_views.checked_section
    assert cache.budget <= 16 * 1024 * 1024
    model = school_views.SECTIONS[0]
    with app.test_request_context():
        for n in range(100):
            cache(model, (("note", f"{n:03d}" * 50_000),), clock.today())
    assert 0 < cache.size <= cache.budget


def test_the_bureau_can_end_every_schools_sessions_at_once(app, db, make_school):
    school = logged_in_school(app, make_school)
    bureau = app.test_client()
    create_admin(db)
    assert login(bureau).status_code == 302
    token = csrf_token(bureau, "/bureau/codes")
    assert bureau.post("/bureau/sessions/end", data={"csrf_token": token}).status_code == 303
    assert school.get("/school/").status_code == 302
    assert bureau.get("/bureau/").status_code == 200  # the bureau's own session goes on


def test_the_cli_ends_an_accounts_sessions_and_lifts_its_login_limit(app, client, db, monkeypatch):
    from click.testing import CliRunner

    from checklist_app.cli import main

    create_admin(db)
    assert login(client).status_code == 302
    env = {"CHECKLIST_DB": app.config["DATABASE"], "CHECKLIST_SECRET_KEY": "k"}
    result = CliRunner(env=env).invoke(main, ["admin", "end-sessions", ADMIN])
    assert result.exit_code == 0 and "1 个登录会话" in result.output
    assert client.get("/bureau/").status_code == 302
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, password="wrong password")
    assert login(client).status_code == 429
    assert CliRunner(env=env).invoke(main, ["admin", "unlock", ADMIN]).exit_code == 0
    assert login(client).status_code == 302


def test_every_test_the_security_page_names_exists():
    from checklist_app import REPO_ROOT

    page = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(test_\w+)\b(?!\.py)", page))
    defined = {
        m
        for path in (REPO_ROOT / "tests").rglob("test_*.py")
        for m in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)
    }
    assert named and named <= defined, sorted(named - defined)
