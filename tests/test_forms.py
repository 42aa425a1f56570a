"""Forms are built from the models: types, bounds, choices, labels, and errors on their fields."""

import pytest
from werkzeug.datastructures import MultiDict

from checklist_app import storage
from checklist_app.web.forms import error_list, form_class, validated
from schemas import Pledge
from schemas.base import item
from schemas.readiness import SECTIONS, Campus, People, Supplies, declaration_model


def make_form(app, model, data):
    with app.test_request_context(method="POST"):
        form = form_class(model)(formdata=MultiDict(data), meta={"csrf": False})
        return form, validated(form)


@pytest.mark.parametrize("model", [*SECTIONS, Pledge])
def test_every_model_field_becomes_a_form_field_with_its_label(app, model):
    with app.test_request_context():
        form = form_class(model)(meta={"csrf": False})
        for name, info in model.model_fields.items():
            assert form[name].label.text == info.title
            assert form[name].description == (info.description or "")


def test_field_types_bounds_and_choices_come_from_the_model(app):
    with app.test_request_context():
        people = form_class(People)(meta={"csrf": False})
        pledge = form_class(Pledge)(meta={"csrf": False})
    assert people["staff_total"].type == "IntegerField"
    assert people["ledger_date"].type == "DateField"
    assert people["ledger_established"].type == "BooleanField"
    assert 'min="0"' in str(people["staff_total"]())
    assert pledge["role"].type == "RadioField"
    assert [choice.value for choice in pledge["role"].choices] == ["teacher", "leader", "staff", "cadre"]


def test_a_ticked_checkbox_posts_y(app):
    form, _ = make_form(app, Campus, {"closed_management": "y"})
    assert form.closed_management.data is True
    assert form.visitors_barred.data is False


def test_wtforms_type_errors_are_in_chinese_on_their_field(app):
    form, result = make_form(app, Supplies, {"disinfectant_litres": "abc", "thermometers": "两台", "masks": "10"})
    assert result is None
    assert form.thermometers.errors == ["测温仪器储备（台）请填写整数"]
    assert form.disinfectant_litres.errors == ["消毒液储备（升）请填写数字"]
    assert form.masks.errors == []


def test_cross_field_errors_land_on_the_field_the_rule_names(app):
    data = {
        "ledger_date": "2020-02-26",
        "staff_total": "10",
        "staff_in_county": "5",
        "staff_out_county_in_province": "1",
        "staff_out_of_province": "1",
        "students_total": "0",
        "students_in_county": "0",
        "students_out_county_in_province": "0",
        "students_out_of_province": "0",
        "returned_today": "0",
        "isolating": "0",
        "staff_code_registered": "0",
    }
    form, result = make_form(app, People, data)
    assert result is None
    assert form.staff_total.errors == ["教职工在本县内、县外省内、省外的人数之和应等于教职工总数"]
    assert ("staff_total", "教职工在本县内、县外省内、省外的人数之和应等于教职工总数") in error_list(form)


def test_valid_form_gives_the_model_instance(app):
    _, result = make_form(app, Supplies, {"disinfectant_litres": "1.5", "thermometers": "2", "masks": "100"})
    assert isinstance(result, Supplies)
    assert result.thermometers == 2


def test_a_new_field_on_a_model_reaches_form_validation_and_column_with_no_other_edit(app, tmp_path):
    class CampusWithFence(Campus):
        fence_checked: int = item("围墙巡查次数", ge=0, le=99)

    form, result = make_form(app, CampusWithFence, {})
    assert form.fence_checked.label.text == "围墙巡查次数"
    form, result = make_form(app, CampusWithFence, {"fence_checked": "100"})
    assert result is None and form.fence_checked.errors == ["围墙巡查次数不能大于 99"]
    form, result = make_form(app, CampusWithFence, {"fence_checked": "3"})
    assert result.fence_checked == 3

    wider = declaration_model((CampusWithFence, *SECTIONS[1:]), name="WiderDeclaration")
    assert storage.model_columns(wider)["fence_checked"] is int
    db = storage.open_db(tmp_path / "wider.db")
    storage.migrate(db)
    # what `checklist init` does after a new schema version: the model grew by one field
    assert storage.add_model_columns(db, {**storage.TABLE_MODELS, "declarations": wider}) == [
        "declarations.fence_checked"
    ]
    assert db["declarations"].columns_dict["fence_checked"] is int


def test_a_blank_required_number_asks_for_it_rather_than_for_a_number(app):
    from schemas.readiness import People

    form, result = make_form(app, People, {"staff_total": ""})
    assert result is None
    assert form.staff_total.errors == ["请填写教职工总数"]


def test_a_blank_optional_date_is_no_answer_not_an_error(app):
    from schemas.readiness import TeachingPrep

    form, result = make_form(app, TeachingPrep, {"leadership_meeting_on": "", "work_plan": ""})
    assert form.leadership_meeting_on.errors == []
    assert result is not None and result.leadership_meeting_on is None
