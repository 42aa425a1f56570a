"""The bureau's console: login, the dashboard, a school's page, settings and access codes."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

import schemas
from checklist_app import storage
from schemas import BUREAU_KIND, CountySettings, clock
from tests import sessions
from tests.bureau_support import (
    ADMIN,
    PASSWORD,
    counts_on_page,
    create_admin,
    declare,
    login,
    not_ready_changes,
    phone,
    sign,
    table_codes,
    two_townships,
    upload_roster,
)
from tests.conftest import csrf_token


def bureau_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/bureau") and r.endpoint != "bureau.login"]


def url_of(rule, code: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: code if m.group(1) == "code" else "1", rule.rule)


def requests_of(app, client, code: str):
    """(method, url, data) for every bureau URL and method; POSTs carry a valid CSRF token, so
    what refuses them is the login check, not CSRF."""
    token = csrf_token(client, "/bureau/login")
    for rule in bureau_rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield method, url_of(rule, code), ({"csrf_token": token} if method == "POST" else None)


def audit_actions(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", [action]))


# --- who may enter -----------------------------------------------------------------------------


def test_there_are_bureau_urls_to_check(app):
    endpoints = {r.endpoint for r in bureau_rules(app)}
    assert {"bureau.dashboard", "bureau.settings", "bureau.codes", "bureau.export_sqlite"} <= endpoints


def test_every_bureau_url_sends_anonymous_users_to_login(app, client, make_school):
    make_school("S1")
    for method, url, data in requests_of(app, client, "S1"):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/bureau/login"), (method, url)


def test_every_bureau_url_refuses_a_school_session(app, client, make_school):
    make_school("S1")
    sessions.log_in(client, school_code="S1")
    for method, url, data in requests_of(app, client, "S1"):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
        assert "无权访问" in response.get_data(as_text=True)


def test_every_bureau_page_opens_for_a_logged_in_admin(app, admin, make_school):
    make_school("S1")
    for rule in bureau_rules(app):
        if "GET" in rule.methods and not rule.endpoint.startswith("inspect."):  # only inspectors inspect
            assert admin.get(url_of(rule, "S1")).status_code == 200, rule.rule


# --- login -------------------------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_dashboard_and_is_audited(client, db):
    create_admin(db)
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/bureau/"
    assert client.get("/bureau/").status_code == 200
    assert [r["actor"] for r in audit_actions(db, "login.success")] == [f"admin:{ADMIN}"]


@pytest.mark.parametrize("username, password", [(ADMIN, "wrong password"), ("nobody", PASSWORD)])
def test_login_failure_says_the_same_thing_whichever_was_wrong_and_is_audited(client, db, username, password):
    create_admin(db)
    response = login(client, username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "用户名或密码不正确" in page
    assert client.get("/bureau/").status_code == 302
    assert [r["actor"] for r in audit_actions(db, "login.failure")] == [f"admin:{username}"]


def test_login_with_empty_fields_names_each_field(client, db):
    page = login(client, "", "").get_data(as_text=True)
    assert "请填写用户名" in page and "请填写密码" in page


def test_login_is_refused_with_429_once_failures_reach_the_limit_even_with_the_right_password(app, client, db):
    create_admin(db)
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, password="wrong password").status_code == 200
    response = login(client)
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
    assert client.get("/bureau/").status_code == 302


def test_login_below_the_failure_limit_still_works(app, client, db):
    create_admin(db)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, password="wrong password")
    assert login(client).status_code == 302


def test_the_failure_limit_is_per_account(app, client, db):
    create_admin(db)
    create_admin(db, "deputy", PASSWORD)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, password="wrong password")
    assert login(client, "deputy").status_code == 302


def test_login_rotates_the_session(client, db):
    create_admin(db)
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["admin"] == ADMIN
        assert sess.permanent


def test_a_bureau_session_expires_after_the_idle_lifetime(app, admin, monkeypatch):
    idle = app.config["SESSION_IDLE_LIFETIME"]
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + idle - dt.timedelta(seconds=60))
    assert admin.get("/bureau/").status_code == 200
    seen = clock.now()
    monkeypatch.setattr(clock, "now", lambda: seen + idle + dt.timedelta(seconds=1))
    assert admin.get("/bureau/").status_code == 302


def test_login_follows_next_only_within_the_app(client, db):
    create_admin(db)
    assert login(client, next_url="/bureau/settings").headers["Location"] == "/bureau/settings"
    client.post("/bureau/logout", data={"csrf_token": csrf_token(client, "/bureau/settings")})
    assert login(client, next_url="//evil.example/").headers["Location"] == "/bureau/"


def test_logout_ends_the_session(admin):
    response = admin.post("/bureau/logout", data={"csrf_token": csrf_token(admin, "/bureau/")})
    assert response.status_code == 302
    assert admin.get("/bureau/").status_code == 302


# --- the dashboard -----------------------------------------------------------------------------


@pytest.fixture
def county(db, make_school):
    """Five schools in two townships and the bureau's own organisation: two ready, one not
    ready (after a first ready version), two not declared; rosters and pledges at three units."""
    two_townships(db, make_school)
    declare(db, "A1")
    declare(db, "A2")
    declare(db, "A2", **not_ready_changes())
    declare(db, "B1")
    upload_roster(db, "A1", [("张一", phone(1)), ("张二", phone(2)), ("张三", phone(3))])
    upload_roster(db, "B2", [("李一", phone(11)), ("李二", phone(12))])
    upload_roster(db, "JYJ", [("王一", phone(21)), ("王二", phone(22))])
    sign(db, "A1", "张一", phone(1))
    sign(db, "A1", "外来人", phone(9))  # signed, not on the roster
    sign(db, "JYJ", "王一", phone(21))
    sign(db, "JYJ", "王二", phone(22))
    sign(db, "A3", "赵一", phone(31))  # no roster at all
    return db


def independent_counts(db) -> dict[str, int]:
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    schools = "SELECT code FROM schools WHERE kind != ?"
    version = schemas.PLEDGE_VERSION
    return {
        "schools": one(f"SELECT COUNT(*) FROM ({schools})", BUREAU_KIND),
        "declared": one(
            f"SELECT COUNT(DISTINCT school_code) FROM declarations WHERE school_code IN ({schools})", BUREAU_KIND
        ),
        "ready": one(
            f"SELECT COUNT(*) FROM latest_declarations WHERE verdict = 'ready' AND school_code IN ({schools})",
            BUREAU_KIND,
        ),
        "not_ready": one(
            f"SELECT COUNT(*) FROM latest_declarations WHERE verdict = 'not_ready' AND school_code IN ({schools})",
            BUREAU_KIND,
        ),
        "undeclared": one(
            "SELECT COUNT(*) FROM schools s WHERE kind != ? AND NOT EXISTS (SELECT 1 FROM declarations d WHERE d.school_code = s.code)",
            BUREAU_KIND,
        ),
        "pledges": one("SELECT COUNT(*) FROM pledges WHERE pledge_version = ?", version),
        "roster_size": one("SELECT COUNT(*) FROM roster"),
        "roster_signed": one(
            "SELECT COUNT(*) FROM roster r JOIN pledges p ON p.school_code = r.school_code AND p.name = r.name"
            " AND p.phone = r.phone AND p.pledge_version = ?",
            version,
        ),
        "shown": one("SELECT COUNT(*) FROM schools"),
    }


def test_dashboard_counts_equal_independent_sql_counts(admin, county):
    shown = counts_on_page(admin.get("/bureau/").get_data(as_text=True))
    expected = independent_counts(county)
    assert {k: shown[k] for k in expected} == expected
    # and the fixture is not a degenerate county where every count is the same
    assert (expected["ready"], expected["not_ready"], expected["undeclared"]) == (2, 1, 2)


def test_the_bureau_organisation_is_left_out_of_readiness_counts_but_its_pledges_count(admin, county):
    shown = counts_on_page(admin.get("/bureau/").get_data(as_text=True))
    assert shown["schools"] == 5
    assert shown["undeclared"] == 2
    assert shown["roster_signed"] == 3  # 张一 at A1, and 王一, 王二 at the bureau


def test_dashboard_table_lists_every_unit_with_its_standing(admin, county):
    html = admin.get("/bureau/").get_data(as_text=True)
    assert sorted(table_codes(html)) == ["A1", "A2", "A3", "B1", "B2", "JYJ"]
    statuses = dict(re.findall(r'<tr data-school="([^"]+)" data-status="(\w+)"', html))
    assert statuses == {
        "A1": "ready",
        "A2": "not_ready",
        "A3": "undeclared",
        "B1": "ready",
        "B2": "undeclared",
        "JYJ": "bureau",
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("township=东镇", ["A1", "A3", "A2", "JYJ"]),  # 第一小学, 幼儿园, 中学: by pinyin
        ("kind=初中", ["A2", "B2"]),
        ("verdict=ready", ["A1", "B1"]),
        ("verdict=not_ready", ["A2"]),
        ("verdict=undeclared", ["A3", "B2"]),
        ("township=西乡&verdict=undeclared", ["B2"]),
        ("verdict=nonsense", ["A1", "A3", "A2", "JYJ", "B1", "B2"]),
    ],
)
def test_dashboard_table_filters_by_township_kind_and_verdict(admin, county, query, expected):
    assert table_codes(admin.get(f"/bureau/?{query}").get_data(as_text=True)) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["A1", "A3", "A2", "JYJ", "B1", "B2"]),  # by township, then name, by pinyin
        ("sort=code", ["A1", "A2", "A3", "B1", "B2", "JYJ"]),
        ("sort=code&order=desc", ["JYJ", "B2", "B1", "A3", "A2", "A1"]),
        ("sort=verdict", ["A1", "B1", "A2", "A3", "B2", "JYJ"]),
        ("sort=pledges", ["B2", "A1", "JYJ", "A3", "A2", "B1"]),  # 0/2, 1/3, 2/2, then no roster
        ("sort=pledges&order=desc", ["JYJ", "A1", "B2", "A3", "A2", "B1"]),  # no roster still last
        ("sort=drop+table", ["A1", "A3", "A2", "JYJ", "B1", "B2"]),
    ],
)
def test_dashboard_table_sorts_by_query_parameters(admin, county, query, expected):
    assert table_codes(admin.get(f"/bureau/?{query}").get_data(as_text=True)) == expected


def test_dashboard_column_headers_link_to_sorted_views_without_javascript(admin, county):
    html = admin.get("/bureau/?sort=name").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html
    assert "/bureau/?sort=name&amp;order=desc#schools" in html
    assert "<script" not in html


def copy_box(html: str, box_id: str) -> str:
    return re.search(rf'<textarea[^>]*id="{box_id}"[^>]*>(.*?)</textarea>', html, re.S).group(1)


def test_dashboard_gives_the_undeclared_schools_as_text_to_copy(admin, county):
    text = copy_box(admin.get("/bureau/").get_data(as_text=True), "undeclared-list")
    assert "东镇幼儿园" in text and "西乡中学" in text
    assert "东镇第一小学" not in text and "县教育局机关" not in text


def test_dashboard_gives_the_unsigned_staff_as_text_to_copy_without_phones(admin, county):
    text = copy_box(admin.get("/bureau/").get_data(as_text=True), "unsigned-list")
    assert "张二" in text and "张三" in text and "李一" in text and "李二" in text
    assert "张一" not in text and "王一" not in text
    assert phone(2) not in text
    assert "东镇幼儿园" in text  # no roster: named as unchecked


def test_the_lists_to_copy_follow_the_filter(admin, county):
    html = admin.get("/bureau/?township=西乡").get_data(as_text=True)
    assert "东镇幼儿园" not in copy_box(html, "undeclared-list")
    assert "张二" not in copy_box(html, "unsigned-list")


def test_dashboard_charts_are_server_drawn_svg_with_titles_and_no_script(admin, county):
    html = admin.get("/bureau/").get_data(as_text=True)
    for chart in ("chart-readiness", "chart-pledges"):
        svg = re.search(rf'<svg[^>]*id="{chart}".*?</svg>', html, re.S).group(0)
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg
        assert f'<title id="{chart}-title">' in svg
        assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    readiness = re.search(r'<svg[^>]*id="chart-readiness".*?</svg>', html, re.S).group(0)
    assert "东镇 自查符合开学条件:1" in readiness and "东镇 自查不符合开学条件:1" in readiness


def test_dashboard_query_count_does_not_grow_with_the_number_of_schools(app, admin, db, make_school, monkeypatch):
    statements: list[str] = []
    real_open = storage.open_db

    def counting_open(path):
        connection = real_open(path)
        connection.conn.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(storage, "open_db", counting_open)

    def queries_for_dashboard() -> int:
        statements.clear()
        assert admin.get("/bureau/").status_code == 200
        return len(statements)

    make_school("Q0")
    declare(db, "Q0")
    small = queries_for_dashboard()
    for n in range(1, 15):
        make_school(f"Q{n}")
        declare(db, f"Q{n}")
    assert queries_for_dashboard() == small
    assert small < 20


# --- settings ----------------------------------------------------------------------------------


def test_settings_form_fields_are_named_as_the_settings(admin):
    html = admin.get("/bureau/settings").get_data(as_text=True)
    for name in CountySettings.model_fields:
        assert f'name="{name}"' in html


def settings_form(admin, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(admin, "/bureau/settings"),
        "mask_days": "",
        "min_thermometers": "",
        "min_disinfectant_litres": "",
        "reopening_date": "",
        "ledger_deadline": "",
        "backfill_days": "3",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_settings_change_is_audited_and_changes_the_verdicts_shown_not_the_stored_ones(admin, db, county):
    response = admin.post("/bureau/settings", data=settings_form(admin))  # epidemic_controlled unticked
    assert response.status_code == 302
    flashed = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "疫情已得到基本控制（全县）：是 → 否" in flashed

    [entry] = [e for e in audit_actions(db, "settings.change") if e["actor"] == f"admin:{ADMIN}"]
    assert entry["target"] == "epidemic_controlled"
    assert '"old": 1' in entry["detail"] and '"new": 0' in entry["detail"]
    assert entry["at"]

    html = admin.get("/bureau/").get_data(as_text=True)
    statuses = dict(re.findall(r'<tr data-school="([^"]+)" data-status="(\w+)"', html))
    assert statuses["A1"] == statuses["B1"] == "not_ready"
    assert counts_on_page(html)["ready"] == 0
    assert "提交时：自查符合开学条件" in html
    stored = dict(db.execute("SELECT school_code, verdict FROM latest_declarations").fetchall())
    assert stored == {"A1": "ready", "A2": "not_ready", "B1": "ready"}


def test_the_settings_page_shows_recent_changes_old_and_new(admin, db):
    admin.post("/bureau/settings", data=settings_form(admin, mask_days="21"))
    html = admin.get("/bureau/settings").get_data(as_text=True)
    assert "口罩储备天数（本县标准）" in html and "未设置 → 21" in html and f"admin:{ADMIN}" in html


def test_saving_unchanged_settings_audits_nothing(admin, db):
    admin.post("/bureau/settings", data=settings_form(admin))
    assert audit_actions(db, "settings.change") == []


def test_an_invalid_setting_is_refused_next_to_the_field_and_nothing_changes(admin, db):
    response = admin.post("/bureau/settings", data=settings_form(admin, mask_days="0"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "error-summary" in html and 'href="#mask_days"' in html
    assert storage.load_settings(db).mask_days is None
    assert audit_actions(db, "settings.change") == []


# --- one school --------------------------------------------------------------------------------


def test_the_school_page_shows_its_latest_declaration_gaps_now_and_stored_and_history(admin, db, county):
    storage.save_settings(db, CountySettings(epidemic_controlled=False), actor="test")
    html = admin.get("/bureau/schools/A2").get_data(as_text=True)
    assert 'data-verdict-now="not_ready"' in html and 'data-verdict-stored="not_ready"' in html
    assert "校园内已进行彻底消毒" in html  # the gap of version 2
    assert "疫情已得到基本控制（全县）" in html  # the C1 gap of today, not there at submission
    assert "缺项（提交时）" in html
    assert "第 2 版" in html and "第 1 版" in html


def test_the_school_page_shows_an_older_version_on_request(admin, county):
    html = admin.get("/bureau/schools/A2?version=1").get_data(as_text=True)
    assert "正在查看第 1 版" in html and 'data-verdict-stored="ready"' in html


def test_the_school_page_shows_who_has_and_has_not_signed(admin, county):
    html = admin.get("/bureau/schools/A1").get_data(as_text=True)
    unsigned = copy_box(html, "unsigned-list")
    assert "张二" in unsigned and "张三" in unsigned and "张一" not in unsigned
    assert "外来人" in html  # signed without being on the roster


def test_an_unknown_school_is_404(admin):
    assert admin.get("/bureau/schools/NOPE").status_code == 404


def test_the_school_page_never_shows_the_access_code_hash(admin, db, county):
    html = admin.get("/bureau/schools/A1").get_data(as_text=True)
    assert storage.get_school(db, "A1")["access_code_hash"] not in html


# --- access codes and pledge links -------------------------------------------------------------


def issue(admin, **form):
    return admin.post("/bureau/codes", data={"csrf_token": csrf_token(admin, "/bureau/codes"), **form})


def shown_codes(html: str) -> dict[str, str]:
    """school code -> access code, from the printable cards."""
    return dict(
        re.findall(r"<dd>(\w+)</dd></div>\s*<div><dt>访问码</dt><dd class=\"code-card__access\">(\w+)</dd>", html)
    )


def test_issuing_a_code_for_one_school_shows_it_once_and_stores_only_its_hash(admin, db, make_school):
    make_school("S1")
    make_school("S2")
    before = storage.get_school(db, "S2")["access_code_hash"]
    response = issue(admin, scope="one", school_code="S1")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = shown_codes(response.get_data(as_text=True))
    assert list(codes) == ["S1"]
    school = storage.get_school(db, "S1")
    assert storage.check_secret(school["access_code_hash"], codes["S1"])
    assert codes["S1"] not in school["access_code_hash"]
    assert storage.get_school(db, "S2")["access_code_hash"] == before
    assert codes["S1"] not in admin.get("/bureau/schools/S1").get_data(as_text=True)
    assert [r["detail"] for r in audit_actions(db, "access_codes.issue")][-1] == '["S1"]'


def test_a_new_access_code_leaves_the_pledge_link_alone(admin, db, make_school):
    make_school("S1")
    token = storage.get_school(db, "S1")["pledge_token"]
    issue(admin, scope="one", school_code="S1")
    assert storage.get_school(db, "S1")["pledge_token"] == token


def test_the_code_sheet_has_one_card_per_school_with_name_code_access_code_and_pledge_qr(admin, db, make_school):
    make_school("S1", "一小")
    make_school("S2", "二小")
    html = issue(admin, scope="all", confirm="y").get_data(as_text=True)
    assert html.count('class="code-card"') == 2
    assert set(shown_codes(html)) == {"S1", "S2"}
    for code in ("S1", "S2"):
        assert f"/pledge/{storage.get_school(db, code)['pledge_token']}" in html
    assert html.count("<svg") >= 2 and "承诺书二维码" in html
    assert "@page" not in html  # print rules live in the stylesheet


def test_reissuing_for_all_schools_needs_confirmation(admin, db, make_school):
    make_school("S1")
    before = storage.get_school(db, "S1")["access_code_hash"]
    response = issue(admin, scope="all")
    assert response.status_code == 302
    assert storage.get_school(db, "S1")["access_code_hash"] == before


def test_issuing_for_schools_without_a_code_skips_those_that_have_one(admin, db, make_school):
    make_school("S1")
    storage.upsert_schools(db, [schemas.School(code="NEW", name="新学校", kind="小学", township="城关镇")])
    codes = shown_codes(issue(admin, scope="missing").get_data(as_text=True))
    assert list(codes) == ["NEW"]


def test_issuing_for_an_unknown_school_issues_nothing(admin, db):
    response = issue(admin, scope="one", school_code="NOPE")
    assert response.status_code == 302
    assert audit_actions(db, "access_codes.issue") == []


def rotate(admin, code: str, **form):
    url = f"/bureau/schools/{code}"
    return admin.post(f"{url}/pledge-link", data={"csrf_token": csrf_token(admin, url), **form})


def test_rotating_a_pledge_link_needs_confirmation(admin, db, make_school):
    make_school("S1")
    token = storage.get_school(db, "S1")["pledge_token"]
    rotate(admin, "S1")
    assert storage.get_school(db, "S1")["pledge_token"] == token
    rotate(admin, "S1", confirm="y")
    assert storage.get_school(db, "S1")["pledge_token"] != token
    assert audit_actions(db, "pledge_link.rotate")[-1]["actor"] == f"admin:{ADMIN}"


def test_the_pledge_qr_is_a_png_of_the_schools_link(admin, make_school):
    make_school("S1")
    response = admin.get("/bureau/schools/S1/pledge-qr.png")
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")


def test_access_codes_are_never_stored_in_clear(admin, db, make_school):
    make_school("S1")
    codes = shown_codes(issue(admin, scope="one", school_code="S1").get_data(as_text=True))
    raw = sqlite3.connect(db.execute("PRAGMA database_list").fetchone()[2])
    dump = "\n".join(raw.iterdump())
    raw.close()
    assert codes["S1"] not in dump


def test_a_long_table_is_paged_keeping_filter_and_sort(admin, county, monkeypatch):
    from checklist_app.views import bureau

    monkeypatch.setattr(bureau, "PAGE_SIZE", 4)
    first = admin.get("/bureau/?sort=code").get_data(as_text=True)
    assert table_codes(first) == ["A1", "A2", "A3", "B1"]
    assert "/bureau/?sort=code&amp;page=2#schools" in first
    assert table_codes(admin.get("/bureau/?sort=code&page=2").get_data(as_text=True)) == ["B2", "JYJ"]
    assert table_codes(admin.get("/bureau/?sort=code&page=99").get_data(as_text=True)) == ["B2", "JYJ"]


def sign_earlier_version(db, code: str, name: str, number: str) -> None:
    """A pledge of an earlier version, as that version stored it."""
    with storage.transaction(db):
        db["pledges"].insert(
            {
                "school_code": code,
                "pledge_version": schemas.PLEDGE_VERSION - 1,
                "name": name,
                "phone": number,
                "role": "teacher",
                "whereabouts": "in_county",
                "signature": name,
                "text_sha256": "0" * 64,
                "reference": "EARLIER2",
                "submitted_at": "2026-02-20T10:00:00+08:00",
            }
        )


def test_someone_who_signed_only_an_earlier_pledge_counts_as_unsigned_and_is_shown_apart(admin, county):
    sign_earlier_version(county, "A1", "张二", phone(2))
    page = admin.get("/bureau/schools/A1").get_data(as_text=True)
    assert "未签 <strong>2</strong> 人（其中已签旧版 1 人）" in page
    earlier = page.split("<h3>已签旧版</h3>")[1].split("</table>")[0]
    assert "张二" in earlier and "第1版（已签旧版）" in earlier and "张三" not in earlier
    assert "张二" not in copy_box(page, "unsigned-list") and "张三" in copy_box(page, "unsigned-list")
    shown = counts_on_page(admin.get("/bureau/").get_data(as_text=True))
    assert shown["roster_signed"] == independent_counts(county)["roster_signed"] == 3  # 张一, 王一, 王二


def test_the_county_minimums_are_off_by_default_and_set_from_the_settings_form(admin, db):
    assert storage.load_settings(db).model_dump(include={"mask_days", "min_thermometers", "ledger_deadline"}) == {
        "mask_days": None,
        "min_thermometers": None,
        "ledger_deadline": None,
    }
    page = admin.get("/bureau/settings").get_data(as_text=True)
    assert "本县自定的标准，讲话未作规定" in page
    data = settings_form(admin, mask_days="14", min_thermometers="2", min_disinfectant_litres="20.5", backfill_days="5")
    assert admin.post("/bureau/settings", data=data).status_code == 302
    saved = storage.load_settings(db)
    assert (saved.mask_days, saved.min_thermometers, str(saved.min_disinfectant_litres), saved.backfill_days) == (
        14,
        2,
        "20.5",
        5,
    )
