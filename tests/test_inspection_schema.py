"""The inspection's model and the 核查 state (`spec/inspection.md`): pure, no app."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from schemas import CountySettings, Declaration, clock, examples, field_messages, verdict
from schemas.inspection import (
    CONFIRMED,
    CONTRADICTED,
    RECHECK,
    UNCHECKED,
    UNINSPECTED,
    Finding,
    Inspection,
    InspectionFields,
    finding_field,
    findings_of,
    inspection_state,
    judged_items,
    note_field,
)
from schemas.verdict import NOT_READY, READY, Condition, condition_items

TODAY = clock.today()
CONTROLLED = CountySettings(epidemic_controlled=True)


def answers(**changes) -> dict:
    """One item checked and found 相符, the whole fields filled in."""
    return {"inspected_on": TODAY, "inspectors": "张三、李四", finding_field("closed_management"): CONFIRMED, **changes}


def problems(data: dict) -> dict[str | None, str]:
    try:
        Inspection.model_validate(data)
    except ValidationError as error:
        return dict(field_messages(Inspection, error))
    return {}


def test_every_judged_item_of_the_declaration_has_a_finding_and_a_note():
    items = [name for name, _ in condition_items()]
    assert [name for name, _ in judged_items()] == items
    for name in items:
        assert Inspection.model_fields[finding_field(name)].title == Declaration.model_fields[name].title
        assert Inspection.model_fields[finding_field(name)].default == UNCHECKED
        assert Inspection.model_fields[note_field(name)].title == "情况说明"
    assert set(InspectionFields.model_fields) <= set(Inspection.model_fields)


def test_a_valid_inspection_keeps_every_finding_in_form_order():
    inspection = Inspection.model_validate(answers())
    found = findings_of(inspection)
    assert [f.field for f in found] == [name for name, _ in judged_items()]
    assert found[0] == Finding("closed_management", CONFIRMED, None)
    assert {f.finding for f in found[1:]} == {UNCHECKED}


def test_nothing_checked_is_refused():
    assert problems(answers(**{finding_field("closed_management"): UNCHECKED})) == {
        finding_field("closed_management"): "请至少核查一项"
    }


def test_a_contradicted_item_needs_a_note_and_a_deadline():
    found = problems(answers(**{finding_field("duty_rota"): CONTRADICTED}))
    assert found == {
        note_field("duty_rota"): "“领导带班值班已落实”核查不符，请填写情况说明",
        "rectify_by": "有核查不符的事项，请填写整改期限",
    }
    assert not problems(
        answers(**{finding_field("duty_rota"): CONTRADICTED, note_field("duty_rota"): "未排班", "rectify_by": TODAY})
    )


def test_a_note_is_at_most_300_characters():
    assert not problems(answers(**{note_field("closed_management"): "字" * 300}))
    assert problems(answers(**{note_field("closed_management"): "字" * 301})) == {
        note_field("closed_management"): "“校园已实行封闭管理”的情况说明不能超过300个字"
    }


def test_the_deadline_is_not_before_the_inspection():
    yesterday = TODAY - dt.timedelta(days=1)
    assert problems(answers(inspected_on=TODAY, rectify_by=yesterday)) == {"rectify_by": "整改期限不能早于核查日期"}
    assert not problems(answers(inspected_on=yesterday, rectify_by=yesterday))


def test_the_inspection_day_is_not_in_the_future_in_beijing_time(monkeypatch):
    # half past midnight in Beijing is still the day before in UTC
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 1, 0, 30, tzinfo=clock.TZ))
    march_first = dt.date(2026, 3, 1)
    assert not problems(answers(inspected_on=march_first))
    assert problems(answers(inspected_on=march_first + dt.timedelta(days=1))) == {"inspected_on": "日期不能晚于今天"}


def test_inspectors_are_two_to_sixty_characters_and_required():
    assert problems(answers(inspectors="张")) == {"inspectors": "核查人员至少填写 2 个字"}
    assert problems(answers(inspectors="张" * 61)) == {"inspectors": "核查人员不能超过 60 个字"}
    assert problems({k: v for k, v in answers().items() if k != "inspectors"}) == {"inspectors": "请填写核查人员"}
    assert not problems(answers(inspectors="张" * 60))


def test_a_finding_is_one_of_three():
    assert problems(answers(**{finding_field("duty_rota"): "maybe"})) == {
        finding_field("duty_rota"): "请选择“领导带班值班已落实”的核查结果"
    }


def test_the_summary_is_optional_and_at_most_2000_characters():
    assert not problems(answers(summary="好" * 2000))
    assert problems(answers(summary="好" * 2001)) == {"summary": "核查意见不能超过 2000 个字"}


# --- the 核查 state ---------------------------------------------------------------------------


def findings(*pairs) -> list[Finding]:
    return [Finding(field, finding, note) for field, finding, note in pairs]


def test_no_inspection_is_uninspected():
    state = inspection_state(3, None)
    assert state.value == UNINSPECTED and state.label == "未核查" and not state.inspected


def test_every_checked_item_confirmed_says_how_many_were_checked():
    state = inspection_state(2, 2, findings(("closed_management", CONFIRMED, None), ("duty_rota", CONFIRMED, None)))
    assert state.value == CONFIRMED
    assert state.label == "已核查2项，均相符"
    assert state.contradicted == ()


def test_any_contradicted_item_is_contradicted():
    state = inspection_state(
        2,
        2,
        findings(("closed_management", CONFIRMED, None), ("duty_rota", CONTRADICTED, "无排班表")),
        rectify_by="2026-03-01",
    )
    assert state.value == CONTRADICTED and state.label == "核查不符"
    assert [f.field for f in state.contradicted] == ["duty_rota"]
    assert state.rectify_by == "2026-03-01"


@pytest.mark.parametrize("finding", [CONFIRMED, CONTRADICTED])
def test_a_later_version_is_to_be_rechecked_never_confirmed(finding):
    state = inspection_state(3, 2, findings(("closed_management", finding, "门未关")), rectify_by="2026-03-01")
    assert state.value == RECHECK and state.label == "待复查"
    assert state.contradicted == ()  # the new version is the school's own until a team looks again


def test_overdue_is_a_passed_deadline_of_a_contradicted_latest_version():
    state = inspection_state(1, 1, findings(("duty_rota", CONTRADICTED, "无")), rectify_by="2026-03-01")
    assert state.overdue(dt.date(2026, 3, 2))
    assert not state.overdue(dt.date(2026, 3, 1))
    later = inspection_state(2, 1, findings(("duty_rota", CONTRADICTED, "无")), rectify_by="2026-03-01")
    assert not later.overdue(dt.date(2026, 3, 2))


# --- what a contradicted item does to the verdict ---------------------------------------------


def ready_verdict():
    return verdict(Declaration.model_validate(examples.declaration_answers()), CONTROLLED)


def test_a_contradicted_item_the_school_ticked_is_a_gap_and_the_school_not_ready():
    own = ready_verdict()
    assert own.value == READY
    state = inspection_state(1, 1, findings(("duty_rota", CONTRADICTED, "无排班表")), rectify_by="2026-03-01")
    seen = state.applied_to(own)
    assert seen.value == NOT_READY
    (gap,) = seen.gaps
    assert gap.field == "duty_rota" and gap.condition == Condition.C2 and gap.contradicted
    assert gap.note == "无排班表" and gap.rectify_by == "2026-03-01"


def test_a_contradicted_teaching_item_is_a_gap_that_does_not_decide():
    state = inspection_state(1, 1, findings(("cleaning_done", CONTRADICTED, "未打扫")), rectify_by="2026-03-01")
    seen = state.applied_to(ready_verdict())
    assert seen.value == READY and [g.field for g in seen.teaching.gaps] == ["cleaning_done"]


def test_a_contradicted_gap_replaces_the_schools_own_gap_and_keeps_form_order():
    declaration = Declaration.model_validate(examples.declaration_answers(closed_management=False, duty_rota=False))
    own = verdict(declaration, CountySettings())  # 条件一 unconfirmed: the county's gap first
    state = inspection_state(1, 1, findings(("duty_rota", CONTRADICTED, "无")), rectify_by="2026-03-01")
    seen = state.applied_to(own)
    assert [g.field for g in seen.gaps] == ["epidemic_controlled", "closed_management", "duty_rota"]
    assert [g.contradicted for g in seen.gaps] == [False, False, True]


def test_a_state_without_contradicted_items_leaves_the_verdict_as_it_is():
    own = ready_verdict()
    assert inspection_state(1, 1, findings(("duty_rota", CONFIRMED, None))).applied_to(own) is own
