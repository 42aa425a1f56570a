"""One test per rule of spec/readiness.md, both sides of each boundary."""

import datetime as dt

import pytest
from pydantic import ValidationError

import schemas
from schemas import Declaration, clock, field_messages
from schemas.readiness import People, Responsibility, Supplies, TeachingPrep
from tests.conftest import valid_declaration_answers


def errors_of(model, data) -> dict:
    """{field or None: message} of a model's validation, {} when valid."""
    try:
        model.model_validate(data)
    except ValidationError as error:
        return dict(field_messages(model, error))
    return {}


def people(**changes):
    answers = valid_declaration_answers(**changes)
    return {k: v for k, v in answers.items() if k in People.model_fields}


def test_valid_people_section_has_no_errors():
    assert errors_of(People, people()) == {}


@pytest.mark.parametrize(
    "total, parts, changes",
    [
        ("staff_total", schemas.places.STAFF_PLACES, {"staff_out_of_province": 3}),
        ("students_total", schemas.places.STUDENT_PLACES, {"students_in_county": 589}),
    ],
)
def test_places_must_sum_to_total(total, parts, changes):
    data = people(**changes)
    assert sum(data[p] for p in parts) != data[total]
    errors = errors_of(People, data)
    assert "之和应等于" in errors[total]
    fixed = people(**{total: sum(data[p] for p in parts)}, **changes)
    if total == "staff_total":
        fixed["staff_code_registered"] = fixed["staff_total"]
    assert total not in errors_of(People, fixed)


@pytest.mark.parametrize("field", ["staff_total", "students_total", "returned_today", "isolating"])
def test_counts_cannot_be_negative(field):
    assert errors_of(People, people(**{field: -1}))[field] == f"{People.model_fields[field].title}不能小于 0"


def test_zero_is_a_valid_count():
    data = people(returned_today=0, isolating=0)
    assert errors_of(People, data) == {}


def test_isolating_at_most_all_staff_and_students():
    total = 50 + 600
    assert "isolating" not in errors_of(People, people(isolating=total))
    assert "不能超过" in errors_of(People, people(isolating=total + 1))["isolating"]


def test_staff_code_registered_at_most_staff_total():
    assert "staff_code_registered" not in errors_of(People, people(staff_code_registered=50))
    assert "不能超过教职工总数" in errors_of(People, people(staff_code_registered=51))["staff_code_registered"]


def test_ledger_date_is_required_and_not_in_the_future():
    today = clock.today()
    assert errors_of(People, people(ledger_date=today.isoformat())) == {}
    future = (today + dt.timedelta(days=1)).isoformat()
    assert errors_of(People, people(ledger_date=future))["ledger_date"] == "日期不能晚于今天"
    data = people()
    del data["ledger_date"]
    assert errors_of(People, data)["ledger_date"] == "请填写台账日期"


def test_leadership_meeting_date_is_optional_but_not_in_the_future():
    assert errors_of(TeachingPrep, {}) == {}
    tomorrow = clock.today() + dt.timedelta(days=1)
    assert (
        errors_of(TeachingPrep, {"leadership_meeting_on": tomorrow.isoformat()})["leadership_meeting_on"]
        == "日期不能晚于今天"
    )
    assert errors_of(TeachingPrep, {"leadership_meeting_on": clock.today().isoformat()}) == {}


def test_work_plan_at_most_2000_characters():
    assert errors_of(TeachingPrep, {"work_plan": "字" * 2000}) == {}
    assert "不能超过 2000 个字" in errors_of(TeachingPrep, {"work_plan": "字" * 2001})["work_plan"]


def test_disinfectant_has_at_most_one_decimal_place():
    base = {"thermometers": 1, "masks": 0}
    assert errors_of(Supplies, {**base, "disinfectant_litres": "12.5"}) == {}
    assert "最多保留 1 位小数" in errors_of(Supplies, {**base, "disinfectant_litres": "12.55"})["disinfectant_litres"]
    assert "不能小于 0" in errors_of(Supplies, {**base, "disinfectant_litres": "-0.1"})["disinfectant_litres"]


def responsibility(**changes):
    return {
        "principal_name": "王校长",
        "principal_phone": "13812345678",
        "signature": "王校长",
        "truthful": True,
        **changes,
    }


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "15000000000"])
def test_mainland_mobile_numbers_are_accepted(phone):
    assert errors_of(Responsibility, responsibility(principal_phone=phone)) == {}


@pytest.mark.parametrize(
    "phone", ["12812345678", "1381234567", "138123456789", "10812345678", "1381234567a", "02412345678"]
)
def test_other_phone_numbers_are_refused(phone):
    assert "手机号码" in errors_of(Responsibility, responsibility(principal_phone=phone))["principal_phone"]


def test_signature_must_equal_principal_name():
    assert errors_of(Responsibility, responsibility(signature="王校长")) == {}
    assert (
        errors_of(Responsibility, responsibility(signature="李校长"))["signature"]
        == "签名须与校（园）长（第一责任人）姓名一致"
    )


@pytest.mark.parametrize("name, ok", [("王", False), ("王五", True), ("欧" * 20, True), ("欧" * 21, False)])
def test_principal_name_is_2_to_20_characters(name, ok):
    errors = errors_of(Responsibility, responsibility(principal_name=name, signature=name))
    assert ("principal_name" not in errors) is ok


def test_section_may_be_saved_without_truthful_but_declaration_needs_it():
    assert errors_of(Responsibility, responsibility(truthful=False)) == {}
    errors = errors_of(Declaration, valid_declaration_answers(truthful=False))
    assert "本人承诺以上填报内容真实准确" in errors["truthful"]
    assert errors_of(Declaration, valid_declaration_answers()) == {}


def test_not_home_14_days_at_most_all_staff_and_students_across_sections():
    total = 650
    assert "not_home_14_days" not in errors_of(Declaration, valid_declaration_answers(not_home_14_days=total))
    assert (
        "不能超过" in errors_of(Declaration, valid_declaration_answers(not_home_14_days=total + 1))["not_home_14_days"]
    )


def test_an_unticked_checkbox_is_an_answer_not_a_missing_one():
    assert errors_of(Declaration, valid_declaration_answers(closed_management=False)) == {}


def test_a_blank_number_is_an_error():
    data = valid_declaration_answers()
    del data["staff_code_registered"]
    assert errors_of(Declaration, data)["staff_code_registered"] == "请填写已实名注册“人人有码码上行动”的教职工人数"


@pytest.mark.parametrize("field", ["disinfectant_litres", "thermometers", "masks", "special_students"])
def test_stock_figures_and_special_students_may_be_left_blank(field):
    assert errors_of(Declaration, valid_declaration_answers(**{field: None})) == {}


def test_special_students_at_most_all_students():
    assert errors_of(Declaration, valid_declaration_answers(special_students=600)) == {}
    assert errors_of(Declaration, valid_declaration_answers(special_students=601))["special_students"] == (
        "特殊学生人数不能超过学生总数"
    )


def test_a_numeric_item_with_a_group_but_no_way_to_judge_it_is_refused_when_its_model_is_built():
    from schemas.base import item

    with pytest.raises(TypeError, match="sanitiser_bottles counts toward C2 but says no way to judge it"):

        class Unjudged(Supplies):
            sanitiser_bottles: int = item("免洗洗手液储备（瓶）", ge=0, condition="C2", policy=Supplies.policy)


def test_declaration_labels_and_groups_are_those_of_the_spec_letter_for_letter():
    got = [(name, info.title, schemas.meta(info).get("condition")) for name, info in Declaration.model_fields.items()]
    assert got == SPEC_LABELS


def test_sections_are_those_of_the_spec_in_order():
    assert [(s.section_id, s.title) for s in schemas.SECTIONS] == [
        ("campus", "校园管理"),
        ("people", "师生管理"),
        ("guidance", "师生指导"),
        ("supplies", "防控保障"),
        ("reopening", "落实“防输入”工作"),
        ("teaching_prep", "开学教学准备"),
        ("online_teaching", "网上教学"),
        ("responsibility", "责任落实与宣传"),
    ]


def test_declaration_field_names_are_those_of_the_spec():
    assert list(Declaration.model_fields) == SPEC_FIELDS


SPEC_FIELDS = """closed_management visitors_barred entry_checks duty_rota hygiene_routine ledger_date staff_total
staff_in_county staff_out_county_in_province staff_out_of_province students_total students_in_county
students_out_county_in_province students_out_of_province returned_today isolating ledger_established
online_checkin stay_in_county_work leave_system returnees_isolated code_admin_set
all_staff_registered staff_code_registered guidance_given rumours_guarded supplies_stocked
disinfectant_litres thermometers masks campus_disinfected rules_studied not_home_14_days
no_outside_contact outsiders_excluded assignments_adjusted supplies_ready utilities_safe
facilities_ok winter_waste_cleared cleaning_done leadership_meeting_on work_plan
online_teaching_running courses_prioritised grade_band_arranged plans_reviewed lessons_monitored
no_fees tutoring_checked eyesight_and_exercise special_students special_students_followed
duties_assigned publicity_done first_lesson_ready principal_name principal_phone signature truthful""".split()

# (field, label, group) of spec/readiness.md version 2; the stock figures count toward 条件二
# only through a county minimum.
SPEC_LABELS = [
    ("closed_management", "校园已实行封闭管理", "C2"),
    ("visitors_barred", "已落实外来人员一律不得进入校内的要求", "C2"),
    ("entry_checks", "已落实本校人员进校登记、测量体温、佩戴口罩的要求", "C2"),
    ("duty_rota", "领导带班值班已落实", "C2"),
    ("hygiene_routine", "校园卫生、消毒、通风工作已做好", "C2"),
    ("ledger_date", "台账日期", None),
    ("staff_total", "教职工总数", None),
    ("staff_in_county", "教职工在本县内人数", None),
    ("staff_out_county_in_province", "教职工在县外省内人数", None),
    ("staff_out_of_province", "教职工在省外人数", None),
    ("students_total", "学生总数", None),
    ("students_in_county", "学生在本县内人数", None),
    ("students_out_county_in_province", "学生在县外省内人数", None),
    ("students_out_of_province", "学生在省外人数", None),
    ("returned_today", "当日返回本县的师生人数", None),
    ("isolating", "正在隔离的师生人数", None),
    ("ledger_established", "已建立师生跟踪台账并及时更新，师生信息做到一口清", "C3"),
    ("online_checkin", "已实行师生网上签到", "C3"),
    ("stay_in_county_work", "已做好教师、学生和家长的思想工作，在本县县域内的师生不再外出到县域外", "C3"),
    ("leave_system", "已对外出师生（包括学校领导）实行严格的请假制度，一律按事假处理", "C3"),
    ("returnees_isolated", "从县域外返回的师生已按规定隔离", "C3"),
    ("code_admin_set", "已设置“人人有码码上行动”管理员", "C3"),
    ("all_staff_registered", "全体教师已在“人人有码码上行动”中实名注册，一人一码", "C3"),
    ("staff_code_registered", "已实名注册“人人有码码上行动”的教职工人数", None),
    ("guidance_given", "已加强师生心理疏导和思想教育", "C3"),
    ("rumours_guarded", "已教育师生做好自我防护，不信谣、不传谣、不造谣", "C3"),
    ("supplies_stocked", "消毒液、测温仪器、口罩已提前备齐", "C2"),
    ("disinfectant_litres", "消毒液储备（升）", "C2"),
    ("thermometers", "测温仪器储备（台）", "C2"),
    ("masks", "口罩储备（个）", "C2"),
    ("campus_disinfected", "校园内已进行彻底消毒", "C2"),
    ("rules_studied", "已逐条学习、逐条落实国务院下发的防控技术方案和教育局下发的文件、通知", "C2"),
    ("not_home_14_days", "至开学之日在本县居家不满14天的师生人数", "C3"),
    ("no_outside_contact", "已要求师生开学前居家期间不和外人接触", "C3"),
    ("outsiders_excluded", "已制定开学后继续实行校园封闭管理、外来人员不得进入校园的措施", "C2"),
    ("assignments_adjusted", "教学分工已调整好", "T"),
    ("supplies_ready", "各种教学用品已准备好", "T"),
    ("utilities_safe", "已确保水电安全", "T"),
    ("facilities_ok", "已确保学校设施设备运行正常", "T"),
    ("winter_waste_cleared", "校园内越冬垃圾已彻底清理", "T"),
    ("cleaning_done", "校园卫生已彻底打扫", "T"),
    ("leadership_meeting_on", "领导班子会召开日期", None),
    ("work_plan", "今年各项工作安排（做什么、怎么做、什么时间做、由谁做）", None),
    ("online_teaching_running", "已按要求开展网上教学", "T"),
    ("courses_prioritised", "课程设置已分主次、重点，教学进度已放慢", "T"),
    ("grade_band_arranged", "已按本校各学段的不同要求科学安排网上课程", "T"),
    ("plans_reviewed", "教学内容已严格把关，教师的教学计划和进度均已经学校审核", "T"),
    ("lessons_monitored", "已掌握教师每天授课、学生每节听课、领导听课巡课情况", "T"),
    ("no_fees", "未发生向家长收费的现象和教师利用网上补课收费的行为", "T"),
    ("tutoring_checked", "已严查教师违规补课办班行为，发现的问题均已严肃处理", "T"),
    ("eyesight_and_exercise", "学生视力保护和家庭体育锻炼指导工作已落实", "T"),
    ("special_students", "特殊学生人数（建档立卡学生、贫困学生、留守儿童、残疾儿童，一人多类只计一次）", None),
    ("special_students_followed", "已掌握特殊学生的学业状态和思想状态", "T"),
    ("duties_assigned", "已实行校（园）长第一责任人制，责任层层落实到人、到事", "C2"),
    ("publicity_done", "已从思想、心理、知识、规定、法律等方面对教师、学生和家长宣传到位", "C3"),
    ("first_lesson_ready", "复学后第一课的宣传内容已准备好", "T"),
    ("principal_name", "校（园）长（第一责任人）姓名", None),
    ("principal_phone", "联系电话", None),
    ("signature", "签名（输入第一责任人姓名）", None),
    ("truthful", "本人承诺以上填报内容真实准确", None),
]
