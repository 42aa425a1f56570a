"""A school logs in with its school code and access code: a generic message on failure,
guessing throttled per school and per address, the session rotated, logout by POST."""

from __future__ import annotations

import pytest

from checklist_app import storage
from tests.conftest import csrf_token

LOGIN = "/school/login"
GENERIC_FAILURE = "学校代码或访问码不正确"


def attempt(client, school_code, access_code, url=LOGIN):
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, LOGIN), "school_code": school_code, "access_code": access_code},
    )


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_the_right_codes_open_the_task_list(client, make_school):
    _school, access_code = make_school()
    response = attempt(client, "SCH01", access_code)
    assert response.status_code == 302
    assert response.headers["Location"] == "/school/"
    assert session_of(client)["school_code"] == "SCH01"
    page = client.get("/school/").get_data(as_text=True)
    assert "测试小学" in page and "任务清单" in page


def test_the_access_code_is_case_insensitive_and_spaces_around_it_are_ignored(client, make_school):
    _school, access_code = make_school()
    assert attempt(client, " sch01 ", f" {access_code.lower()} ").status_code == 302
    assert session_of(client)["school_code"] == "SCH01"


def test_a_wrong_access_code_gets_the_generic_message_and_no_session(client, make_school):
    make_school()
    response = attempt(client, "SCH01", "WRONGCODE1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert GENERIC_FAILURE in page
    assert "<title>错误：" in page
    assert "school_code" not in session_of(client)


def test_an_unknown_school_gets_the_same_generic_message(client, make_school):
    make_school()
    page = attempt(client, "NOSUCH", "WRONGCODE1").get_data(as_text=True)
    assert GENERIC_FAILURE in page
    assert "不存在" not in page


def test_a_blank_form_asks_for_both_fields(client):
    page = attempt(client, "", "").get_data(as_text=True)
    assert "请填写学校代码" in page and "请填写访问码" in page


@pytest.mark.parametrize("failures, allowed", [(4, True), (5, False)])
def test_five_failures_for_a_school_lock_it_even_with_the_right_code(app, client, make_school, failures, allowed):
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    _school, access_code = make_school()
    for _ in range(failures):
        assert attempt(client, "SCH01", "WRONGCODE1").status_code == 200
    response = attempt(client, "SCH01", access_code)
    if allowed:
        assert response.status_code == 302
    else:
        assert response.status_code == 429
        assert "尝试次数过多" in response.get_data(as_text=True)
        minutes = client.application.config["LOGIN_WINDOW_SECONDS"] // 60
        assert f"请 {minutes} 分钟后再试" in response.get_data(as_text=True)
        assert "school_code" not in session_of(client)


def test_a_locked_school_does_not_lock_another(client, make_school):
    make_school("SCH01")
    _other, other_code = make_school("SCH02", name="第二小学")
    for _ in range(5):
        attempt(client, "SCH01", "WRONGCODE1")
    assert attempt(client, "SCH02", other_code).status_code == 302


def test_many_failures_from_one_address_are_limited_across_schools(app, client, make_school):
    _school, access_code = make_school()
    for n in range(app.config["LOGIN_MAX_FAILURES"] * 4):
        attempt(client, f"GUESS{n}", "WRONGCODE1")
    assert attempt(client, "SCH01", access_code).status_code == 429


def test_a_failure_is_audited_without_the_typed_access_code(client, make_school, db):
    make_school()
    attempt(client, "SCH01", "WRONGCODE1")
    rows = list(db.query("SELECT * FROM audit_log WHERE action = 'login.failure'"))
    assert len(rows) == 1 and rows[0]["actor"] == "school:SCH01"
    assert "WRONGCODE1" not in str(rows)


def test_login_rotates_the_session(client, make_school):
    _school, access_code = make_school()
    token = csrf_token(client, LOGIN)
    with client.session_transaction() as session:
        session["planted"] = "from before login"
    before = session_of(client)
    client.post(LOGIN, data={"csrf_token": token, "school_code": "SCH01", "access_code": access_code})
    after = session_of(client)
    assert before["csrf_token"] and "planted" in before
    assert "planted" not in after
    assert after.get("csrf_token") != before["csrf_token"]
    assert after["school_code"] == "SCH01"


def test_login_only_follows_next_to_a_path_of_this_app(client, make_school):
    _school, access_code = make_school()
    inside = attempt(client, "SCH01", access_code, url=f"{LOGIN}?next=/school/declarations")
    assert inside.headers["Location"] == "/school/declarations"
    client.post("/school/logout", data={"csrf_token": csrf_token(client, "/school/")})
    outside = attempt(client, "SCH01", access_code, url=f"{LOGIN}?next=//evil.example/")
    assert outside.headers["Location"] == "/school/"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/%09/evil.example",
        "/%0a/evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%5Cevil.example",
    ],
)
def test_login_never_follows_next_to_what_a_browser_reads_as_another_host(client, make_school, target):
    _school, access_code = make_school()
    response = attempt(client, "SCH01", access_code, url=f"{LOGIN}?next={target}")
    assert response.headers["Location"] == "/school/"


def test_school_pages_send_a_stranger_to_the_login(client):
    response = client.get("/school/declaration/review")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/school/login?next=")


def test_logout_is_a_post_and_ends_the_session(client, make_school):
    _school, access_code = make_school()
    attempt(client, "SCH01", access_code)
    assert client.get("/school/logout").status_code in (404, 405)  # a link cannot log anyone out
    assert client.get("/school/").status_code == 200
    response = client.post("/school/logout", data={"csrf_token": csrf_token(client, "/school/")})
    assert response.status_code == 302
    assert "school_code" not in session_of(client)
    assert client.get("/school/").status_code == 302


def test_a_login_without_its_csrf_token_gets_400_and_logs_nobody_in(client, make_school, db):
    _school, access_code = make_school()
    response = client.post(LOGIN, data={"school_code": "SCH01", "access_code": access_code})
    assert response.status_code == 400
    assert "school_code" not in session_of(client)
    assert storage.recent_failures(db, "school:SCH01", 900) == 0


@pytest.mark.parametrize("page", ["/school/", "/school/staff/", "/school/ledger/", "/school/declarations"])
def test_a_school_removed_since_its_login_is_logged_out_not_shown_an_error(client, db, make_school, page):
    _school, access_code = make_school()
    attempt(client, "SCH01", access_code)
    with storage.transaction(db):
        db.execute("DELETE FROM schools WHERE code = 'SCH01'")
    assert client.get(page).status_code == 403
    assert client.get("/school/").status_code == 302  # the session has ended: back to the login
