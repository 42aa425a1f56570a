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
    assert errors_of(People, data)["ledger_date"] == "请填写台账统计日期"


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
        == "签名须与校(园)长(第一责任人)姓名一致"
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
    del data["thermometers"]
    assert errors_of(Declaration, data)["thermometers"] == "请填写测温仪器(台)"


def test_declaration_field_names_are_those_of_the_spec():
    assert list(Declaration.model_fields) == SPEC_FIELDS


SPEC_FIELDS = """closed_management visitors_barred entry_checks duty_rota hygiene_routine ledger_date
staff_total staff_in_county staff_out_county_in_province staff_out_of_province students_total
students_in_county students_out_county_in_province students_out_of_province returned_today isolating
ledger_established online_checkin leave_system code_admin_set staff_code_registered guidance_given
disinfectant_litres thermometers masks campus_disinfected not_home_14_days outsiders_excluded
first_lesson_ready publicity_done assignments_adjusted supplies_ready utilities_safe facilities_ok
winter_waste_cleared cleaning_done leadership_meeting_on work_plan online_teaching_running
plans_reviewed lessons_monitored no_fees eyesight_and_exercise special_students
special_students_followed principal_name principal_phone signature truthful""".split()
