"""The school's readiness self-declaration over HTTP: sections saved as drafts, the rules on
their fields, check answers and submit, the verdict and its gaps, history, and isolation."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

import schemas
from checklist_app import create_app, storage
from schemas import SECTION_BY_ID, SECTIONS, CountySettings, clock
from tests.conftest import csrf_token, valid_declaration_answers

SUBMIT_KEY_RE = re.compile(r'name="submit_key" value="([^"]+)"')


# --- helpers: what a browser would post ------------------------------------------------------


def login(client, code, access_code):
    response = client.post(
        "/school/login",
        data={"csrf_token": csrf_token(client, "/school/login"), "school_code": code, "access_code": access_code},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def school(client, make_school):
    """The client logged in as school SCH01."""
    _row, access_code = make_school()
    login(client, "SCH01", access_code)
    return client


def form_data(model, answers: dict) -> dict:
    """A section's answers as its form posts them: ticks as y, unticked left out."""
    data = {}
    for name in model.model_fields:
        value = answers.get(name)
        if value is True:
            data[name] = "y"
        elif value is not None and value is not False:
            data[name] = str(value)
    return data


def save_section(client, section_id, answers, **extra):
    url = f"/school/declaration/{section_id}"
    data = {"csrf_token": csrf_token(client, url), **form_data(SECTION_BY_ID[section_id], answers), **extra}
    return client.post(url, data=data)


def fill_declaration(client, answers):
    for model in SECTIONS:
        save_section(client, model.section_id, answers)


def submit_key(client) -> str:
    match = SUBMIT_KEY_RE.search(client.get("/school/declaration/review").get_data(as_text=True))
    assert match, "the review page offers no submit form"
    return match.group(1)


def post_submit(client, key, **extra):
    return client.post(
        "/school/declaration/submit",
        data={"csrf_token": csrf_token(client, "/school/declaration/review"), "submit_key": key, **extra},
    )


def versions(db, code="SCH01"):
    return storage.declaration_versions(db, code)


def field_error(page: str, field: str) -> str | None:
    """The inline error printed with a field (the GOV.UK pattern: `<field>-error`)."""
    match = re.search(rf'id="{field}-error" class="error-message">(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) if match else None


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


TOMORROW = (clock.today() + dt.timedelta(days=1)).isoformat()
TODAY = clock.today().isoformat()


# --- sections and their statuses -------------------------------------------------------------


def test_the_task_list_shows_each_section_as_not_started_saved_or_needing_changes(school):
    answers = valid_declaration_answers()
    assert save_section(school, "campus", answers).status_code == 302
    assert save_section(school, "people", answers, staff_total="abc").status_code == 200
    page = school.get("/school/").get_data(as_text=True)
    status = dict(re.findall(r'id="status-(\w+)" class="tag[^"]*">([^<]+)<', page))
    assert status["campus"] == "已保存"
    assert status["people"] == "需修改"
    assert {status[m.section_id] for m in SECTIONS[2:]} == {"未开始"}
    assert 'href="/school/staff/"' in page and 'href="/school/declarations"' in page


def test_a_valid_section_returns_to_the_task_list_with_a_saved_notice(school):
    response = save_section(school, "campus", valid_declaration_answers())
    assert response.headers["Location"] == "/school/"
    assert "已保存" in school.get("/school/").get_data(as_text=True)


def test_an_invalid_section_is_kept_as_typed_and_shown_again_with_its_errors(school, db):
    response = save_section(school, "people", valid_declaration_answers(), staff_total="五十")
    page = text(response)
    assert response.status_code == 200
    assert "<title>错误：" in page
    assert 'href="#staff_total"' in page  # the summary links to the field
    assert field_error(page, "staff_total") == "错误：教职工总数请填写整数"
    assert storage.load_drafts(db, "SCH01")["people"]["staff_total"] == "五十"
    again = text(school.get("/school/declaration/people"))
    assert 'value="五十"' in again and field_error(again, "staff_total")


@pytest.mark.parametrize("changes", [{}, {"staff_total": "五十"}], ids=["valid", "invalid"])
def test_a_section_save_validates_then_writes_its_draft_in_one_transaction(app, school, db, changes):
    """form → checks → one write of the draft → redirect or the page again: no draft read back."""
    url = "/school/declaration/people"
    data = {"csrf_token": csrf_token(school, url), **form_data(SECTION_BY_ID["people"], valid_declaration_answers())}
    statements: list[str] = []
    connection = app.extensions["db_connections"].db  # what this thread's requests use
    connection.conn.set_trace_callback(statements.append)
    try:
        response = school.post(url, data={**data, **changes})
    finally:
        connection.conn.set_trace_callback(None)
    assert response.status_code == (200 if changes else 302)
    begins = [n for n, sql in enumerate(statements) if sql.startswith("BEGIN")]
    assert len(begins) == 1 and statements[begins[0]] == "BEGIN IMMEDIATE"
    [write, commit] = statements[begins[0] + 1 : begins[0] + 3]
    assert write.startswith("INSERT INTO declaration_drafts") and commit == "COMMIT"
    after = statements[begins[0] + 3 :]
    assert [sql for sql in after if "declaration_drafts" in sql] == []
    assert storage.load_drafts(db, "SCH01")["people"]["staff_total"] == str(changes.get("staff_total", 50))


def test_a_section_page_names_its_policy_heading_and_marks_optional_fields(school):
    page = text(school.get("/school/declaration/teaching_prep"))
    policy = SECTION_BY_ID["teaching_prep"].policy
    assert f'href="{policy.url()}"' in page
    assert "领导班子会召开日期（选填）" in page
    assert "教学分工已调整到位（选填）" not in page


def test_blank_optional_answers_are_no_answer_and_the_section_is_saved(school, db):
    response = save_section(
        school, "teaching_prep", valid_declaration_answers(), leadership_meeting_on="", work_plan=""
    )
    assert response.status_code == 302
    assert "leadership_meeting_on" not in storage.load_drafts(db, "SCH01")["teaching_prep"]


def test_an_unknown_section_is_404(school):
    assert school.get("/school/declaration/no_such_section").status_code == 404


# --- every rule's message on its field -------------------------------------------------------

RULES = [
    ("people", {"staff_in_county": 44}, "staff_total", "教职工在本县内、县外省内、省外的人数之和应等于教职工总数"),
    (
        "people",
        {"students_out_of_province": 5},
        "students_total",
        "学生在本县内、县外省内、省外的人数之和应等于学生总数",
    ),
    ("people", {"isolating": 651}, "isolating", "正在隔离的师生人数不能超过教职工和学生总数之和"),
    (
        "people",
        {"staff_code_registered": 51},
        "staff_code_registered",
        "已实名注册“人人有码码上行动”的教职工人数不能超过教职工总数",
    ),
    ("people", {"ledger_date": TOMORROW}, "ledger_date", "日期不能晚于今天"),
    ("people", {"returned_today": -1}, "returned_today", "当日返回本县的师生人数不能小于 0"),
    ("people", {"staff_total": 100_001}, "staff_total", "教职工总数不能大于 100000"),
    ("people", {"ledger_date": "2020-02-30"}, "ledger_date", "台账日期请填写有效日期"),
    ("supplies", {"disinfectant_litres": "1.25"}, "disinfectant_litres", "消毒液储备（升）最多保留 1 位小数"),
    ("supplies", {"masks": "很多"}, "masks", "口罩储备（个）请填写整数"),
    ("teaching_prep", {"leadership_meeting_on": TOMORROW}, "leadership_meeting_on", "日期不能晚于今天"),
    ("teaching_prep", {"work_plan": "干" * 2001}, "work_plan", "不能超过 2000 个字"),
    ("responsibility", {"principal_phone": "12345678901"}, "principal_phone", "请填写正确的手机号码"),
    ("responsibility", {"principal_phone": "1381234567"}, "principal_phone", "请填写正确的手机号码"),
    ("responsibility", {"signature": "李校长"}, "signature", "签名须与校（园）长（第一责任人）姓名一致"),
    ("responsibility", {"principal_name": "王"}, "principal_name", "至少填写 2 个字"),
    (
        "people",
        {"staff_code_registered": None},
        "staff_code_registered",
        "请填写已实名注册“人人有码码上行动”的教职工人数",
    ),
]


@pytest.mark.parametrize(
    "section_id, changes, field, message", RULES, ids=[f"{r[0]}.{r[2]}:{list(r[1])[0]}" for r in RULES]
)
def test_a_broken_rule_shows_its_message_on_its_field(school, db, section_id, changes, field, message):
    response = save_section(school, section_id, valid_declaration_answers(**changes))
    page = text(response)
    assert response.status_code == 200
    assert message in (field_error(page, field) or "")
    assert f'href="#{field}"' in page
    assert section_id in storage.load_drafts(db, "SCH01")  # kept, errors included


BOUNDARIES = [
    ("people", {"isolating": 650}),
    ("people", {"staff_code_registered": 50}),
    ("people", {"ledger_date": TODAY}),
    ("people", {"staff_total": 100_000, "staff_in_county": 100_000 - 5, "staff_code_registered": 0}),
    ("supplies", {"disinfectant_litres": "0.5"}),
    ("teaching_prep", {"leadership_meeting_on": TODAY, "work_plan": "干" * 2000}),
    ("responsibility", {"principal_phone": "19912345678", "principal_name": "王五", "signature": "王五"}),
]


@pytest.mark.parametrize("section_id, changes", BOUNDARIES, ids=[f"{b[0]}:{','.join(b[1])}" for b in BOUNDARIES])
def test_an_answer_on_the_edge_of_a_rule_is_accepted(school, section_id, changes):
    assert save_section(school, section_id, valid_declaration_answers(**changes)).status_code == 302


def test_more_people_not_home_14_days_than_the_school_has_is_refused_at_submit(school, db):
    fill_declaration(school, valid_declaration_answers(not_home_14_days=651))
    review = text(school.get("/school/declaration/review"))
    message = "至开学之日在本县居家不满14天的师生人数不能超过教职工和学生总数之和"
    assert message in review
    assert 'href="/school/declaration/reopening#not_home_14_days"' in review
    assert not SUBMIT_KEY_RE.search(review)  # no submit button
    response = post_submit(school, "k" * 32)
    assert message in text(response) and "申报未提交" in text(response)
    assert versions(db) == []
    assert message in (field_error(text(school.get("/school/declaration/reopening")), "not_home_14_days") or "")


def test_as_many_people_not_home_14_days_as_the_school_has_is_accepted(school, db):
    fill_declaration(school, valid_declaration_answers(not_home_14_days=650))
    assert post_submit(school, submit_key(school)).status_code == 302
    assert len(versions(db)) == 1


def test_a_declaration_without_the_promise_cannot_be_submitted(school, db):
    fill_declaration(school, valid_declaration_answers(truthful=False))
    page = text(school.get("/school/"))
    assert 'class="tag tag--error">需修改' not in page  # asked at submit; a draft without it is saved
    response = post_submit(school, "k" * 32)
    assert "提交前请勾选“本人承诺以上填报内容真实准确”" in text(response)
    assert versions(db) == []


def test_a_declaration_with_a_section_missing_cannot_be_submitted(school, db):
    answers = valid_declaration_answers()
    for model in SECTIONS[:-2]:
        save_section(school, model.section_id, answers)
    save_section(school, "responsibility", answers)
    response = post_submit(school, "k" * 32)
    assert "“网上教学”尚未填写" in text(response)
    assert versions(db) == []


def test_a_declaration_with_an_invalid_section_cannot_be_submitted(school, db):
    fill_declaration(school, valid_declaration_answers(signature="李校长"))
    response = post_submit(school, "k" * 32)
    assert "签名须与校（园）长（第一责任人）姓名一致" in text(response)
    assert versions(db) == []


def test_a_submit_without_a_submit_key_is_refused(school, db):
    fill_declaration(school, valid_declaration_answers())
    assert post_submit(school, "").status_code == 400
    assert versions(db) == []


# --- the whole flow: verdicts and gaps -------------------------------------------------------


def test_the_whole_flow_to_ready(school, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    fill_declaration(school, valid_declaration_answers())
    review = text(school.get("/school/declaration/review"))
    assert '提交后的结论将是 <span class="tag tag--ok">自查符合开学条件</span>' in review
    response = post_submit(school, submit_key(school))
    assert response.headers["Location"] == "/school/declarations/1/result"
    result = text(school.get(response.headers["Location"]))
    assert "结论：自查符合开学条件" in result
    assert "三项开学条件均已满足" in result and "教学工作各项均已落实" in result
    [row] = versions(db)
    assert row["verdict"] == "ready" and json.loads(row["gaps"]) == []
    assert row["staff_total"] == 50 and row["truthful"] == 1
    task_list = text(school.get("/school/"))
    assert "第 1 次" in task_list and "自查符合开学条件" in task_list


def test_the_whole_flow_to_not_ready_lists_the_right_gaps(school, db):
    answers = valid_declaration_answers(supplies_stocked=False, returnees_isolated=False, first_lesson_ready=False)
    fill_declaration(school, answers)
    response = post_submit(school, submit_key(school))
    [row] = versions(db)
    gaps = {g["field"]: g["condition"] for g in json.loads(row["gaps"])}
    assert row["verdict"] == "not_ready"
    assert gaps == {
        "epidemic_controlled": "C1",
        "supplies_stocked": "C2",
        "returnees_isolated": "C3",
        "first_lesson_ready": "T",
    }
    result = text(school.get(response.headers["Location"]))
    assert "结论：自查不符合开学条件" in result
    legal, teaching = result.split("教学工作（不影响开学条件结论）")
    for name in ("supplies_stocked", "returnees_isolated"):
        info = schemas.Declaration.model_fields[name]
        assert info.title in legal
        assert f'href="{schemas.meta(info)["policy"].url()}"' in legal
        assert schemas.meta(info)["requires"].wording in legal
    assert "条件二 学校基本防控条件具备" in legal and "条件三 师生和校园公共卫生安全得到切实保障" in legal
    assert "本局开学条件自查口径" in legal
    assert "疫情已得到基本控制（全县）" in legal and "由伊通满族自治县教育局根据上级通知统一确认" in result
    assert "复学后第一课的宣传内容已准备好" in teaching and "复学后第一课" not in legal
    assert "接下来" in result


def test_teaching_gaps_alone_do_not_change_the_verdict(school, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    fill_declaration(school, valid_declaration_answers(cleaning_done=False))
    result = text(school.get(post_submit(school, submit_key(school)).headers["Location"]))
    assert versions(db)[0]["verdict"] == "ready"
    assert "结论：自查符合开学条件" in result
    assert "校园卫生已彻底打扫" in result.split("教学工作（不影响开学条件结论）")[1]


def test_masks_are_judged_against_the_countys_mask_days(school, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True, mask_days=15), actor="test")
    fill_declaration(school, valid_declaration_answers(masks=650 * 14))
    result = text(school.get(post_submit(school, submit_key(school)).headers["Location"]))
    assert [g["field"] for g in json.loads(versions(db)[0]["gaps"])] == ["masks"]
    assert "口罩储备低于本县标准：每人每天1个，按15天计" in result


def test_a_school_with_every_duty_ticked_and_no_stock_figures_is_ready_until_the_county_sets_mask_days(school, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    answers = valid_declaration_answers(staff_code_registered=0, thermometers=0, masks=None, disinfectant_litres=None)
    fill_declaration(school, answers)
    result = text(school.get(post_submit(school, submit_key(school)).headers["Location"]))
    assert "结论：自查符合开学条件" in result and versions(db)[0]["verdict"] == "ready"
    storage.save_settings(db, CountySettings(epidemic_controlled=True, mask_days=14), actor="test")
    page = text(school.get("/school/declarations/1"))
    assert "自查不符合开学条件" in page and "口罩储备低于本县标准：每人每天1个，按14天计" in page


def test_more_special_students_than_students_is_shown_on_its_field_once_the_people_are_saved(school):
    save_section(school, "people", valid_declaration_answers())
    response = save_section(school, "online_teaching", valid_declaration_answers(special_students=601))
    assert response.status_code == 200
    assert "特殊学生人数不能超过学生总数" in field_error(text(response), "special_students")


def test_a_county_standard_makes_its_stock_figure_required_on_the_form(school, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True, min_thermometers=2), actor="test")
    answers = valid_declaration_answers(thermometers=None)
    page = text(save_section(school, "supplies", answers))
    assert "本县已设定测温仪器储备标准，请填写测温仪器储备（台）" in page


def test_a_double_submit_stores_one_version(school, db):
    fill_declaration(school, valid_declaration_answers())
    key = submit_key(school)
    first = post_submit(school, key)
    second = post_submit(school, key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == "/school/declarations/1/result"
    assert len(versions(db)) == 1
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'declaration.submit'").fetchone()[0] == 1


def test_the_next_declaration_starts_from_the_last_answers_and_asks_the_promise_again(school, db):
    fill_declaration(school, valid_declaration_answers())
    post_submit(school, submit_key(school))
    review = text(school.get("/school/declaration/review"))
    assert "提交前请勾选“本人承诺以上填报内容真实准确”" in review
    assert 'value="50"' in text(school.get("/school/declaration/people"))
    save_section(school, "responsibility", valid_declaration_answers())
    assert post_submit(school, submit_key(school)).headers["Location"] == "/school/declarations/2/result"
    assert [v["version"] for v in versions(db)] == [2, 1]


def test_a_version_stored_without_drafts_prefills_every_section(school, db):
    declaration = schemas.Declaration.model_validate(valid_declaration_answers(staff_total=60, staff_in_county=55))
    storage.record_declaration(db, "SCH01", declaration, schemas.verdict(declaration, CountySettings()), "demo-key")
    page = text(school.get("/school/"))
    assert page.count("已保存") == len(SECTIONS)
    people = text(school.get("/school/declaration/people"))
    assert 'value="60"' in people and 'value="55"' in people
    review = text(school.get("/school/declaration/review"))
    assert "提交前请勾选“本人承诺以上填报内容真实准确”" in review  # the promise is not carried over


# --- history ---------------------------------------------------------------------------------


def test_the_history_lists_every_version_and_a_version_shows_what_changed(school, db):
    fill_declaration(school, valid_declaration_answers(thermometers=4))
    post_submit(school, submit_key(school))
    save_section(school, "supplies", valid_declaration_answers(thermometers=0))
    save_section(school, "responsibility", valid_declaration_answers())
    post_submit(school, submit_key(school))
    history = text(school.get("/school/declarations"))
    assert "第 1 次" in history and "第 2 次" in history
    assert history.count('tag--error">自查不符合开学条件') == 2  # each version with its verdict
    second = text(school.get("/school/declarations/2"))
    changed = re.findall(r'summary-list__row changed">\s*<dt>([^<]+)</dt>', second)
    assert changed == ["测温仪器储备（台）"]
    words = re.sub(r"<[^>]+>", "", second)
    assert "有 1 项变化" in words and "上次为：4" in words
    first = text(school.get("/school/declarations/1"))
    assert "这是本校的第一次申报" in first and "summary-list__row changed" not in first


def test_when_todays_settings_change_the_verdict_both_are_shown(school, db):
    fill_declaration(school, valid_declaration_answers())
    post_submit(school, submit_key(school))
    assert "按今日设置" not in text(school.get("/school/declarations"))
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    for url in ("/school/declarations", "/school/declarations/1", "/school/"):
        page = text(school.get(url))
        assert 'tag--error">自查不符合开学条件</span>' in page and 'tag--ok">自查符合开学条件</span>' in page
        assert "重新计算" in page
    assert versions(db)[0]["verdict"] == "not_ready"  # the stored verdict is never rewritten


# --- robustness ------------------------------------------------------------------------------


def test_a_draft_survives_an_app_restart(app, make_school):
    _row, access_code = make_school()
    first = app.test_client()
    login(first, "SCH01", access_code)
    save_section(first, "people", valid_declaration_answers(staff_total="五十"))
    save_section(first, "campus", valid_declaration_answers())
    restarted = create_app(dict(app.config))
    second = restarted.test_client()
    login(second, "SCH01", access_code)
    page = text(second.get("/school/declaration/people"))
    assert 'value="五十"' in page and field_error(page, "staff_total")
    assert 'id="status-campus" class="tag tag--ok">已保存' in text(second.get("/school/"))


def test_a_post_without_its_csrf_token_gets_400_and_stores_nothing(school, db):
    answers = valid_declaration_answers()
    response = school.post("/school/declaration/campus", data=form_data(SECTION_BY_ID["campus"], answers))
    assert response.status_code == 400
    assert storage.load_drafts(db, "SCH01") == {}
    fill_declaration(school, answers)
    response = school.post("/school/declaration/submit", data={"submit_key": submit_key(school)})
    assert response.status_code == 400
    assert versions(db) == []


def test_user_text_is_shown_escaped(school):
    script = "<script>alert(1)</script>"
    fill_declaration(school, valid_declaration_answers(work_plan=script))
    post_submit(school, submit_key(school))
    for url in ("/school/declaration/teaching_prep", "/school/declaration/review", "/school/declarations/1"):
        page = school.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert script not in page


# --- a school sees only its own data ---------------------------------------------------------


@pytest.fixture
def other_school_declared(make_school, db):
    """SCH02 with one submitted version and a draft."""
    make_school("SCH02", name="第二小学")
    declaration = schemas.Declaration.model_validate(
        valid_declaration_answers(principal_name="赵校长", signature="赵校长")
    )
    storage.record_declaration(
        db, "SCH02", declaration, schemas.verdict(declaration, CountySettings()), "other-school-key-0001"
    )
    storage.save_draft(db, "SCH02", "campus", {"closed_management": "y"})


def test_a_school_cannot_read_another_schools_versions(school, other_school_declared):
    assert school.get("/school/declarations/1").status_code == 404
    assert school.get("/school/declarations/1/result").status_code == 404
    for url in ("/school/declarations", "/school/", "/school/declaration/responsibility", "/school/declaration/review"):
        assert "赵校长" not in text(school.get(url))
    assert "尚未提交申报" in text(school.get("/school/declarations"))


def test_a_school_code_in_a_form_or_url_is_ignored(school, db, other_school_declared):
    answers = valid_declaration_answers(principal_name="钱校长", signature="钱校长")
    save_section(school, "campus", answers, school_code="SCH02")
    assert school.get("/school/declaration/campus?school_code=SCH02").status_code == 200
    assert storage.load_drafts(db, "SCH02") == {"campus": {"closed_management": "y"}}
    fill_declaration(school, answers)
    post_submit(school, submit_key(school), school_code="SCH02")
    assert [v["version"] for v in versions(db, "SCH02")] == [1]
    assert versions(db, "SCH02")[0]["principal_name"] == "赵校长"
    assert [v["principal_name"] for v in versions(db, "SCH01")] == ["钱校长"]


def test_a_submit_key_of_another_school_does_not_reach_its_version(school, db, other_school_declared):
    fill_declaration(school, valid_declaration_answers())
    response = post_submit(school, "other-school-key-0001")
    assert response.headers["Location"] == "/school/declarations/1/result"
    assert len(versions(db, "SCH01")) == 1 and len(versions(db, "SCH02")) == 1


def test_a_school_session_cannot_reach_bureau_pages_and_changes_nothing(school, db):
    assert school.get("/bureau/").status_code == 403
    token = csrf_token(school, "/school/")
    response = school.post("/bureau/settings", data={"csrf_token": token, "epidemic_controlled": "y", "mask_days": "1"})
    assert response.status_code in (403, 404, 405)
    assert storage.load_settings(db) == CountySettings()
    for url in ("/bureau/export/checklist.sqlite", "/bureau/export/csv.zip", "/bureau/settings"):
        assert school.get(url).status_code in (403, 404)
    assert db.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0


def test_the_bureaus_own_organisation_has_no_declaration_to_fill(client, make_school):
    _row, access_code = make_school("JYJ", name="县教育局机关", kind=schemas.BUREAU_KIND)
    login(client, "JYJ", access_code)
    assert "本单位无需填报" in text(client.get("/school/"))
    assert client.get("/school/declaration/campus").status_code == 404
