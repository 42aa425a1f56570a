"""The staff pledge (spec/pledge.md): one test per rule, both sides of each boundary, the receipt,
one pledge per person and version under concurrent double-submits, and the stored text hash."""

from __future__ import annotations

import hashlib
import html
import re
import threading

import pytest
from flask import render_template

import schemas
from checklist_app import storage
from checklist_app.web.forms import form_class
from schemas.pledge import PLEDGE_ITEMS, ROLES, WHEREABOUTS
from tests.conftest import csrf_token, valid_pledge_answers

RECEIPT_PATH = re.compile(r"/pledge/(?P<token>[^/]+)/receipt/(?P<reference>[A-Z0-9]+)$")
PLEDGE_TEXT = re.compile(r'<div class="pledge-text" id="pledge-text"[^>]*>(.*?)</div>', re.S)


def form_data(answers: dict) -> dict:
    """What a browser posts: a ticked checkbox sends y, an unticked one sends nothing."""
    data = {}
    for name, value in answers.items():
        if value is True:
            data[name] = "y"
        elif value is not False:
            data[name] = value
    return data


def sign(client, token: str, **changes):
    url = f"/pledge/{token}"
    data = {"csrf_token": csrf_token(client, url), **form_data(valid_pledge_answers(**changes))}
    return client.post(url, data=data)


def pledge_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM pledges").fetchone()[0]


def assert_accepted(response, db, expected_rows: int = 1):
    assert response.status_code == 303, response.get_data(as_text=True)
    assert RECEIPT_PATH.search(response.headers["Location"])
    assert pledge_count(db) == expected_rows


def assert_refused(response, db, field: str, message: str | None = None):
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>错误：" in page
    assert f'href="#{field}"' in page  # in the error summary, linked to the field
    assert f'id="{field}-error"' in page  # and inline, next to the field
    if message:
        assert message in html.unescape(page)
    assert pledge_count(db) == 0


@pytest.fixture
def school(make_school):
    return make_school()[0]


# --- the form -----------------------------------------------------------------------------------


def test_the_form_shows_the_school_the_pledge_text_every_field_and_the_sign_button(client, school):
    page = client.get(f"/pledge/{school['pledge_token']}").get_data(as_text=True)
    assert school["name"] in page
    shown = html.unescape(PLEDGE_TEXT.search(page).group(1))
    assert shown == schemas.pledge_text()
    for name in schemas.Pledge.model_fields:
        assert f'name="{name}"' in page
    for name in PLEDGE_ITEMS:
        assert re.search(
            rf'<input[^>]*name="{name}"[^>]*type="checkbox"|<input[^>]*type="checkbox"[^>]*name="{name}"', page
        )
    assert re.search(r'<button type="submit">确认签署</button>', page)


CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+"')


def test_the_form_kept_for_a_school_is_the_form_rendered_afresh_with_a_token_of_its_own(app, client, school):
    url = f"/pledge/{school['pledge_token']}"
    kept = [app.test_client().get(url).get_data(as_text=True) for _ in range(2)]  # two people
    tokens = [CSRF_VALUE.search(page).group(0) for page in kept]
    assert tokens[0] != tokens[1]
    with app.test_request_context(url):
        fresh = render_template(
            "pledge/form.html",
            school=school,
            form=form_class(schemas.Pledge)(),
            item_names=PLEDGE_ITEMS,
            text=schemas.pledge_text(),
            text_sha256=schemas.pledge_text_sha256(),
            errors=[],
            errors_present=False,
        )
    assert {CSRF_VALUE.sub(r"\1T", page) for page in kept} == {CSRF_VALUE.sub(r"\1T", fresh)}
    assert "\x00" not in kept[0]


def test_the_form_shows_a_renamed_school_at_once_under_the_bureau_of_county_toml(client, db, school):
    url = f"/pledge/{school['pledge_token']}"
    client.get(url)
    db.execute("UPDATE schools SET name = '更名后的学校' WHERE code = ?", [school["code"]])
    db.conn.commit()
    page = client.get(url).get_data(as_text=True)
    assert "更名后的学校" in page and school["name"] not in page
    assert "伊通满族自治县教育局开学工作平台" in page


def test_a_message_waiting_in_the_session_shows_above_the_form(client, school):
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "请重新签署")]
    page = client.get(f"/pledge/{school['pledge_token']}").get_data(as_text=True)
    assert "请重新签署" in page and 'name="csrf_token"' in page


def test_an_unknown_link_is_a_chinese_404(client, school):
    response = client.get("/pledge/not-a-token")
    assert response.status_code == 404
    assert "承诺书链接无效" in response.get_data(as_text=True)
    response = client.post("/pledge/not-a-token", data=form_data(valid_pledge_answers()))
    assert response.status_code in (400, 404)


# --- the rules, both sides -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("李", False), ("李老", True), ("李" * 20, True), ("李" * 21, False), ("", False)],
)
def test_name_is_2_to_20_characters(client, db, school, name, accepted):
    response = sign(client, school["pledge_token"], name=name, signature=name)
    if accepted:
        assert_accepted(response, db)
    else:
        assert_refused(response, db, "name")


@pytest.mark.parametrize("name", ["张\x00三", "张三\x1b[31m", "张\x7f三", "张\x85三"])
def test_a_name_with_a_control_character_is_refused(client, db, school, name):
    response = sign(client, school["pledge_token"], name=name, signature=name)
    assert_refused(response, db, "name", "姓名含有看不见的控制字符，请删除后重新填写")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_is_accepted(client, db, school, role):
    assert_accepted(sign(client, school["pledge_token"], role=role), db)


@pytest.mark.parametrize("role", ["principal", "教师", ""])
def test_a_role_outside_the_list_is_refused(client, db, school, role):
    assert_refused(sign(client, school["pledge_token"], role=role), db, "role", "请选择身份")


@pytest.mark.parametrize("phone", ["13012345678", "13912345678", "19912345678"])
def test_a_mainland_mobile_number_is_accepted(client, db, school, phone):
    assert_accepted(sign(client, school["pledge_token"], phone=phone), db)


@pytest.mark.parametrize(
    "phone", ["12912345678", "10912345678", "1391234567", "139123456789", "1391234567a", "+8613912345678", ""]
)
def test_a_phone_that_is_not_a_mainland_mobile_is_refused(client, db, school, phone):
    assert_refused(sign(client, school["pledge_token"], phone=phone), db, "phone")


@pytest.mark.parametrize("whereabouts", list(WHEREABOUTS))
def test_every_whereabouts_is_accepted(client, db, school, whereabouts):
    assert_accepted(sign(client, school["pledge_token"], whereabouts=whereabouts), db)


@pytest.mark.parametrize("whereabouts", ["abroad", "本县内", ""])
def test_a_whereabouts_outside_the_list_is_refused(client, db, school, whereabouts):
    assert_refused(sign(client, school["pledge_token"], whereabouts=whereabouts), db, "whereabouts", "请选择目前所在地")


@pytest.mark.parametrize("item", PLEDGE_ITEMS)
def test_each_item_must_be_ticked(client, db, school, item):
    label = schemas.Pledge.model_fields[item].title
    assert_refused(sign(client, school["pledge_token"], **{item: False}), db, item, f"请勾选：{label}")


def test_all_items_ticked_is_accepted(client, db, school):
    assert_accepted(sign(client, school["pledge_token"], **{item: True for item in PLEDGE_ITEMS}), db)


def test_an_unticked_item_is_reported_together_with_other_errors(client, db, school):
    response = sign(client, school["pledge_token"], phone="123", item_truthful=False)
    assert_refused(response, db, "phone")
    assert_refused(response, db, "item_truthful")


def test_signature_must_equal_the_name(client, db, school):
    response = sign(client, school["pledge_token"], name="李老师", signature="王老师")
    assert_refused(response, db, "signature", "签名须与姓名一致")


def test_signature_equal_to_the_name_is_accepted(client, db, school):
    assert_accepted(sign(client, school["pledge_token"], name="王老师", signature="王老师"), db)


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(client, db, school):
    response = client.post(f"/pledge/{school['pledge_token']}", data=form_data(valid_pledge_answers()))
    assert response.status_code == 400
    assert pledge_count(db) == 0


# --- what is stored ----------------------------------------------------------------------------


def test_the_stored_text_sha256_is_that_of_the_text_the_page_showed(client, db, school):
    url = f"/pledge/{school['pledge_token']}"
    page = client.get(url).get_data(as_text=True)
    shown = html.unescape(PLEDGE_TEXT.search(page).group(1))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(text_sha256)" value="([0-9a-f]+)">', page))
    client.post(url, data={"csrf_token": token, **hidden, **form_data(valid_pledge_answers())})
    row = db.execute("SELECT text_sha256, pledge_version FROM pledges").fetchone()
    assert row[0] == hashlib.sha256(shown.encode("utf-8")).hexdigest()
    assert row[1] == schemas.PLEDGE_VERSION


def test_a_form_showing_another_text_is_not_signed(client, db, school):
    url = f"/pledge/{school['pledge_token']}"
    data = {"csrf_token": csrf_token(client, url), "text_sha256": "0" * 64, **form_data(valid_pledge_answers())}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "承诺书内容已更新" in response.get_data(as_text=True)
    assert pledge_count(db) == 0


def test_the_stored_pledge_holds_the_answers_the_time_and_a_reference(client, db, school):
    sign(
        client, school["pledge_token"], name="赵老师", signature="赵老师", role="leader", whereabouts="out_of_province"
    )
    row = next(db.query("SELECT * FROM pledges"))
    assert (row["school_code"], row["name"], row["role"], row["whereabouts"]) == (
        school["code"],
        "赵老师",
        "leader",
        "out_of_province",
    )
    assert all(row[item] == 1 for item in PLEDGE_ITEMS)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", row["reference"])
    assert row["submitted_at"].endswith("+08:00")


# --- the receipt -------------------------------------------------------------------------------


def test_the_receipt_shows_reference_name_school_time_and_what_happens_next(client, db, school):
    response = sign(client, school["pledge_token"], name="钱老师", signature="钱老师")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    row = next(db.query("SELECT * FROM pledges"))
    assert row["reference"] in page
    assert "钱老师" in page and school["name"] in page
    assert row["submitted_at"][:16].replace("T", " ") in page
    assert "接下来" in page
    assert row["phone"] not in page


def test_the_receipt_needs_the_schools_link_and_the_reference(client, db, make_school):
    first, _ = make_school("SCH01", "第一小学")
    second, _ = make_school("SCH02", "第二小学")
    response = sign(client, first["pledge_token"])
    reference = RECEIPT_PATH.search(response.headers["Location"]).group("reference")
    assert client.get(f"/pledge/{first['pledge_token']}/receipt/{reference}").status_code == 200
    assert client.get(f"/pledge/{second['pledge_token']}/receipt/{reference}").status_code == 404
    assert client.get(f"/pledge/{first['pledge_token']}/receipt/ABCDEFGH").status_code == 404
    assert client.get(f"/pledge/nonsense/receipt/{reference}").status_code == 404


# --- one pledge per person and version -------------------------------------------------------


def test_a_repeat_by_the_same_person_shows_the_first_receipt_and_stores_nothing(client, db, school):
    first = sign(client, school["pledge_token"], whereabouts="in_county")
    again = sign(client, school["pledge_token"], whereabouts="out_of_province")
    assert again.headers["Location"] == first.headers["Location"]
    assert pledge_count(db) == 1
    assert next(db.query("SELECT whereabouts FROM pledges"))["whereabouts"] == "in_county"
    assert "您已签署过本版本承诺书" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_first_pledge_has_no_repeat_note(client, school):
    response = sign(client, school["pledge_token"])
    assert "您已签署过本版本承诺书" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_another_person_with_another_phone_is_a_new_pledge(client, db, school):
    sign(client, school["pledge_token"])
    sign(client, school["pledge_token"], phone="13700000001")
    sign(client, school["pledge_token"], name="周老师", signature="周老师")
    assert pledge_count(db) == 3


def test_the_same_person_at_another_school_is_a_new_pledge(client, db, make_school):
    first, _ = make_school("SCH01")
    second, _ = make_school("SCH02")
    sign(client, first["pledge_token"])
    sign(client, second["pledge_token"])
    assert pledge_count(db) == 2


def test_twenty_concurrent_identical_submissions_leave_one_row(app, db, school):
    url = f"/pledge/{school['pledge_token']}"
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_token(c, url) for c in clients]  # each first reads the form, as a phone does
    start = threading.Barrier(len(clients))
    responses: list = [None] * len(clients)

    def submit(index: int) -> None:
        start.wait()
        data = {"csrf_token": tokens[index], **form_data(valid_pledge_answers())}
        responses[index] = clients[index].post(url, data=data)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert pledge_count(db) == 1
    reference = next(db.query("SELECT reference FROM pledges"))["reference"]
    # one browser signed and sees its receipt; the 19 others learn only that the person signed
    (stored,) = [r for r in responses if r.status_code == 303]
    assert RECEIPT_PATH.search(stored.headers["Location"]).group("reference") == reference
    others = [r for r in responses if r is not stored]
    assert all(r.status_code == 200 and "已签署过本版本承诺书" in r.get_data(as_text=True) for r in others)
    assert not any(reference in r.get_data(as_text=True) for r in others)


def test_a_whole_staff_group_behind_one_address_can_sign(client, db, school):
    for n in range(30):
        response = sign(client, school["pledge_token"], phone=f"1390000{n:04d}")
        assert response.status_code == 303
    assert pledge_count(db) == 30


# --- the link ----------------------------------------------------------------------------------


def test_rotating_the_token_ends_the_old_link_and_the_new_one_works(client, db, school):
    old = school["pledge_token"]
    assert client.get(f"/pledge/{old}").status_code == 200
    new = storage.rotate_pledge_token(db, school["code"], actor="test")
    assert new != old
    assert client.get(f"/pledge/{old}").status_code == 404
    assert client.get(f"/pledge/{new}").status_code == 200
    assert_accepted(sign(client, new), db)
    assert storage.roster_status(db, school["code"])["not_on_roster"][0]["name"] == "李老师"


def test_issuing_a_new_access_code_keeps_the_pledge_link(client, db, school):
    storage.issue_access_codes(db, [school["code"]], actor="test")
    assert client.get(f"/pledge/{school['pledge_token']}").status_code == 200


def test_another_browser_typing_a_signers_name_and_phone_learns_only_that_and_when_they_signed(app, db, school):
    url = f"/pledge/{school['pledge_token']}"
    signer = app.test_client()
    first = sign(signer, school["pledge_token"], whereabouts="out_of_province")
    reference = first.headers["Location"].rsplit("/", 1)[1]
    colleague = app.test_client()
    data = {k: ("y" if v is True else v) for k, v in valid_pledge_answers(whereabouts="in_county").items()}
    response = colleague.post(url, data={"csrf_token": csrf_token(colleague, url), **data})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    signed_on = next(db.query("SELECT submitted_at FROM pledges"))["submitted_at"][:10]
    assert "已签署过本版本承诺书" in text and signed_on in text
    assert reference not in text and "省外" not in text and "Location" not in response.headers
    assert pledge_count(db) == 1


# --- pledge version 2, as spec/pledge.md words it ----------------------------------------------

PLEDGE_V2_ITEMS = [
    ("item_rumours", "做好自我防护，传播正能量，不信谣、不传谣、不造谣"),
    (
        "item_stay",
        "在本县县域内的，不外出到县域外；确需外出的，严格履行请假手续，一律按事假处理；从县域外返回后依法隔离",
    ),
    ("item_health_code", "通过手机加入全省“人人有码码上行动”，实名注册，一人一码"),
    ("item_no_paid_tutoring", "不违规补课办班，不向家长收费，不利用网上补课收费"),
    ("item_teaching", "担任教学工作的，提前制定教学计划和进度，经学校审核后再上课，端正教学态度"),
    (
        "item_duties",
        "按照县委县政府的统一安排部署，听从指挥；承担包保排查、卡点值守任务的，认真排查，坚守岗位",
    ),
    ("item_truthful", "以上所填姓名、手机号码和目前所在地真实准确"),
]


def test_the_pledge_items_are_those_of_version_2_letter_for_letter():
    assert schemas.PLEDGE_VERSION == 2
    assert [(name, schemas.Pledge.model_fields[name].title) for name in PLEDGE_ITEMS] == PLEDGE_V2_ITEMS
    assert schemas.Pledge.model_fields["signature"].title == "签名（输入本人姓名）"


def test_the_pledge_text_is_the_title_the_speechs_preamble_the_items_and_its_closing():
    expected = "\n".join(
        [
            "教育系统干部职工疫情防控承诺书",
            "",
            "疫情防控工作是教育系统全体干部教师的职责和义务。本人郑重承诺：",
            *(f"{n}. {label}。" for n, (_name, label) in enumerate(PLEDGE_V2_ITEMS, 1)),
            "",
            "本人深知：做好疫情防控工作是职责和义务，做不好是失职、渎职，是违法。",
        ]
    )
    assert schemas.pledge_text() == expected
    assert "国家干部" not in expected and "人民教师" not in expected


def test_the_pledge_form_shows_the_version_2_text_and_title(client, school):
    page = html.unescape(client.get(f"/pledge/{school['pledge_token']}").get_data(as_text=True))
    assert "<h1>签署教育系统干部职工疫情防控承诺书</h1>" in page
    assert schemas.pledge_text() in page
