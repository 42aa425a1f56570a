"""The inspector's phone flow (`spec/inspection.md`): the team's schools, the form made from the
declaration's judged items, check answers, submit, a receipt; drafts survive; bad input stores
nothing and says why in Chinese; an inspector sees only the team's schools."""

from __future__ import annotations

import re

import pytest

from checklist_app import storage
from checklist_app.web import auth
from schemas import clock
from schemas.inspection import judged_items
from tests.bureau_support import PASSWORD, create_admin, declare, login, two_townships
from tests.conftest import CSRF_RE

TEAM = "第一检查组"
INSPECTOR = "jc1"
TODAY = clock.today().isoformat()


@pytest.fixture
def county(db, make_school):
    two_townships(db, make_school)
    storage.assign_schools(db, TEAM, townships=["东镇"], actor="test")  # A1, A2, A3 (and the bureau's own)
    storage.assign_schools(db, "第二检查组", townships=["西乡"], actor="test")
    for code in ("A1", "B1"):
        declare(db, code)
    storage.create_admin(db, INSPECTOR, auth.hash_password(PASSWORD), role="inspector", team=TEAM)
    return db


@pytest.fixture
def inspector(client, county):
    assert login(client, INSPECTOR).status_code == 302
    return client


def csrf(client, url: str) -> str:
    return CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)


def filled(client, code="A1", version=1, **changes) -> dict:
    """A form as a phone posts it: every item 未核查 unless changed, the whole fields filled in."""
    data = {f"finding_{name}": "unchecked" for name, _ in judged_items()}
    data.update(csrf_token=csrf(client, f"/bureau/inspect/{code}"), declaration_version=str(version))
    data.update(inspected_on=TODAY, inspectors="张三、李四")
    return {**data, **changes}


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def submit(client, code="A1") -> object:
    review = client.get(f"/bureau/inspect/{code}/review").get_data(as_text=True)
    key = re.search(r'name="submit_key" value="([^"]+)"', review).group(1)
    data = {"csrf_token": CSRF_RE.search(review).group(1), "submit_key": key}
    return client.post(f"/bureau/inspect/{code}/submit", data=data), data


def test_the_bureau_page_sends_an_inspector_to_the_teams_schools(inspector):
    response = inspector.get("/bureau/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/bureau/inspect/")
    html = inspector.get("/bureau/inspect/").get_data(as_text=True)
    # in school order, as every list shows schools (by pinyin: 第一小学, 幼儿园, 中学); the bureau's own left out
    assert re.findall(r'<li data-school="([^"]+)"', html) == ["A1", "A3", "A2"]
    row = re.search(r'<li data-school="A1">.*?</li>', html, re.S).group(0)
    assert "自查符合开学条件" in row and "未核查" in row
    assert "西乡" not in html


def test_the_form_shows_each_judged_item_with_the_schools_answer(inspector):
    html = inspector.get("/bureau/inspect/A1").get_data(as_text=True)
    items = re.findall(r'data-item="([^"]+)"', html)
    assert items == [name for name, _ in judged_items()]
    assert "学校填报：是" in html and "学校填报：0" in html  # a tick, and not_home_14_days
    for words in ("相符", "不符", "未核查", "核查日期", "核查人员", "核查意见", "整改期限"):
        assert words in html
    assert 'name="csrf_token"' in html
    assert len(re.findall(r'<input checked[^>]*value="unchecked"', html)) == len(items)  # nothing checked yet


def test_a_whole_inspection_goes_from_form_to_receipt_and_shows_on_the_bureaus_pages(inspector, county, admin_client):
    response = inspector.post(
        "/bureau/inspect/A1",
        data=filled(
            inspector,
            finding_closed_management="confirmed",
            finding_duty_rota="contradicted",
            note_duty_rota="值班表未张贴",
            rectify_by=TODAY,
            summary="校门管理到位",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/bureau/inspect/A1/review")
    review = inspector.get("/bureau/inspect/A1/review").get_data(as_text=True)
    assert 'data-finding="duty_rota"' in review and "值班表未张贴" in review and "核查不符" in review
    assert f"另有 {len(judged_items()) - 2} 项未核查" in review
    response, _ = submit(inspector)
    assert response.status_code == 302 and "/bureau/inspect/A1/inspections/" in response.headers["Location"]
    receipt = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert "核查结果已提交" in receipt and "核查不符" in receipt and "值班表未张贴" in receipt
    assert count(county, "inspections") == 1
    assert storage.load_inspection_draft(county, INSPECTOR, "A1") is None
    row = re.search(r'<tr data-school="A1".*?</tr>', admin_client.get("/bureau/").get_data(as_text=True), re.S)
    assert 'data-status="not_ready"' in row.group(0) and "核查不符" in row.group(0)


def test_a_resent_submit_makes_no_second_inspection(inspector, county):
    inspector.post("/bureau/inspect/A1", data=filled(inspector, finding_closed_management="confirmed"))
    first, data = submit(inspector)
    again = inspector.post("/bureau/inspect/A1/submit", data=data)
    assert again.headers["Location"] == first.headers["Location"]
    assert count(county, "inspections") == 1


def test_bad_input_stores_nothing_and_says_why_in_chinese(inspector, county):
    response = inspector.post(
        "/bureau/inspect/A1",
        data=filled(inspector, finding_duty_rota="contradicted", inspectors="张", inspected_on="2999-01-01"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "“领导带班值班已落实”核查不符，请填写情况说明",
        "核查人员至少填写 2 个字",
        "日期不能晚于今天",
        "有核查不符的事项，请填写整改期限",
    ):
        assert message in html
    assert 'class="error-summary"' in html
    assert count(county, "inspections") == count(county, "inspection_findings") == 0
    review = inspector.get("/bureau/inspect/A1/review").get_data(as_text=True)
    assert "提交核查结果</button>" not in review  # nothing to submit until it is put right


def test_a_draft_survives_as_typed_errors_included(inspector, county, client):
    inspector.post(
        "/bureau/inspect/A1",
        data=filled(inspector, finding_duty_rota="contradicted", note_duty_rota="带班领导不在岗", inspectors="张"),
    )
    inspector.post("/bureau/logout", data={"csrf_token": csrf(inspector, "/bureau/inspect/")})
    assert login(inspector, INSPECTOR).status_code == 302
    html = inspector.get("/bureau/inspect/A1").get_data(as_text=True)
    assert "带班领导不在岗" in html and 'value="张"' in html
    assert re.search(r'<input checked[^>]*name="finding_duty_rota"[^>]*value="contradicted"', html)
    assert "核查人员至少填写 2 个字" in html


def test_a_draft_of_an_earlier_version_cannot_be_submitted(inspector, county):
    inspector.post("/bureau/inspect/A1", data=filled(inspector, finding_closed_management="confirmed"))
    review = inspector.get("/bureau/inspect/A1/review").get_data(as_text=True)
    key = re.search(r'name="submit_key" value="([^"]+)"', review).group(1)
    declare(county, "A1")  # version 2 arrives before the submit
    response = inspector.post(
        "/bureau/inspect/A1/submit", data={"csrf_token": CSRF_RE.search(review).group(1), "submit_key": key}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "第 2 版" in html
    assert count(county, "inspections") == 0
    form = inspector.get("/bureau/inspect/A1").get_data(as_text=True)
    assert "提交了第 2 版申报" in form


def test_a_later_version_shows_to_be_rechecked_in_the_inspectors_list(inspector, county):
    inspector.post("/bureau/inspect/A1", data=filled(inspector, finding_closed_management="confirmed"))
    submit(inspector)
    assert "已核查1项，均相符" in inspector.get("/bureau/inspect/").get_data(as_text=True)
    declare(county, "A1")
    row = re.search(r'<li data-school="A1">.*?</li>', inspector.get("/bureau/inspect/").get_data(as_text=True), re.S)
    assert "待复查" in row.group(0) and "均相符" not in row.group(0)


def test_every_form_needs_its_csrf_token(inspector, county):
    data = filled(inspector, finding_closed_management="confirmed")
    del data["csrf_token"]
    assert inspector.post("/bureau/inspect/A1", data=data).status_code == 400
    assert storage.load_inspection_draft(county, INSPECTOR, "A1") is None


# --- who sees what ---------------------------------------------------------------------------

ADMINS_PAGES = (
    "/bureau/settings",
    "/bureau/codes",
    "/bureau/export/checklist.sqlite",
    "/bureau/export/csv.zip",
    "/bureau/export/checklist.xlsx",
    "/bureau/schools/import",
    "/bureau/ledger/",
)


def test_an_inspector_is_refused_every_page_of_another_teams_school(inspector):
    for url in ("/bureau/inspect/B1", "/bureau/inspect/B1/review", "/bureau/schools/B1", "/bureau/schools/A1"):
        assert inspector.get(url).status_code == 403, url
    token = csrf(inspector, "/bureau/inspect/A1")
    assert inspector.post("/bureau/inspect/B1", data={"csrf_token": token}).status_code == 403
    assert inspector.post("/bureau/inspect/B1/submit", data={"csrf_token": token}).status_code == 403


def test_an_inspector_is_refused_settings_codes_downloads_and_the_school_list(inspector):
    for url in ADMINS_PAGES:
        assert inspector.get(url).status_code == 403, url


def test_an_admin_sees_every_school_and_does_not_inspect(admin_client):
    for code in ("A1", "B1"):
        assert admin_client.get(f"/bureau/schools/{code}").status_code == 200
    for url in ADMINS_PAGES:
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/bureau/inspect/").status_code == 403
    assert admin_client.get("/bureau/inspect/A1").status_code == 403


@pytest.fixture
def admin_client(app, county):
    client = app.test_client()
    create_admin(county)
    assert login(client).status_code == 302
    return client


@pytest.mark.parametrize("version", ["0", "2", "9" * 30, "一"])
def test_a_form_for_a_version_the_school_never_declared_is_refused(inspector, county, version):
    data = filled(inspector, finding_closed_management="confirmed", declaration_version=version)
    assert inspector.post("/bureau/inspect/A1", data=data).status_code == 400
    assert storage.load_inspection_draft(county, INSPECTOR, "A1") is None
