"""The verdict (三个不开学): C1 from the county, C2 and C3 from the declaration and the county's
own minimums where it has set them; T never decides."""

import json
from decimal import Decimal

import pytest

from schemas import NOT_READY, READY, CountySettings, Declaration, Standing, verdict
from schemas.base import meta
from schemas.verdict import SUMMARY_COLUMNS, condition_items, gaps_in_words
from tests.conftest import valid_declaration_answers

CONTROLLED = CountySettings(epidemic_controlled=True)
STOCK = ("disinfectant_litres", "thermometers", "masks")  # judged only against a county standard

# What turns each C2/C3 item of the speech from met to unmet (a tick: False).
UNMET = {"not_home_14_days": 1}


def declaration(**changes):
    return Declaration.model_validate(valid_declaration_answers(**changes))


def legal_items():
    return [name for name, info in condition_items() if meta(info)["condition"] in ("C2", "C3") and name not in STOCK]


def test_meeting_every_item_with_c1_on_is_ready_without_gaps():
    result = verdict(declaration(), CONTROLLED)
    assert result.value == READY
    assert result.gaps == ()


@pytest.mark.parametrize("field", legal_items())
def test_any_single_c2_or_c3_item_unmet_makes_not_ready_with_exactly_that_gap(field):
    result = verdict(declaration(**{field: UNMET.get(field, False)}), CONTROLLED)
    assert result.value == NOT_READY
    assert [g.field for g in result.gaps] == [field]
    assert result.gaps[0].condition == Declaration.model_fields[field].json_schema_extra["condition"]


def test_c1_off_gives_not_ready_with_the_c1_gap():
    result = verdict(declaration(), CountySettings(epidemic_controlled=False))
    assert result.value == NOT_READY
    assert [(g.field, g.condition) for g in result.gaps] == [("epidemic_controlled", "C1")]


@pytest.mark.parametrize("field", [n for n, i in condition_items() if i.json_schema_extra["condition"] == "T"])
def test_unmet_teaching_items_are_gaps_but_never_change_the_verdict(field):
    result = verdict(declaration(**{field: False}), CONTROLLED)
    assert result.value == READY
    assert [(g.field, g.condition) for g in result.gaps] == [(field, "T")]


def test_every_duty_ticked_with_no_stock_figures_and_no_registered_staff_is_ready_while_the_county_sets_no_standard():
    answers = valid_declaration_answers(staff_code_registered=0, thermometers=0, masks=None, disinfectant_litres=None)
    school = Declaration.model_validate(answers)
    assert school.masks is None and school.staff_code_registered == 0
    result = verdict(school, CONTROLLED)
    assert result.value == READY and result.label == "自查符合开学条件"
    assert result.gaps == ()


def test_the_countys_mask_days_make_the_same_school_not_ready_with_a_gap_naming_the_county_standard():
    answers = valid_declaration_answers(staff_code_registered=0, thermometers=0, masks=None, disinfectant_litres=None)
    result = verdict(Declaration.model_validate(answers), CountySettings(epidemic_controlled=True, mask_days=14))
    assert result.label == "自查不符合开学条件"
    assert [(g.field, g.condition, g.requirement) for g in result.gaps] == [
        ("masks", "C2", "口罩储备低于本县标准：每人每天1个，按14天计")
    ]


def test_masks_needed_follow_the_county_mask_days_setting():
    people = 650
    enough_for_10 = declaration(masks=people * 10)
    assert verdict(enough_for_10, CountySettings(epidemic_controlled=True, mask_days=10)).value == READY
    assert verdict(enough_for_10, CountySettings(epidemic_controlled=True, mask_days=11)).value == NOT_READY


@pytest.mark.parametrize(
    "setting, field, short, wording",
    [
        ({"min_thermometers": 2}, "thermometers", 1, "测温仪器储备低于本县标准：不少于2台"),
        (
            {"min_disinfectant_litres": Decimal("20")},
            "disinfectant_litres",
            "19.5",
            "消毒液储备低于本县标准：不少于20升",
        ),
    ],
)
def test_a_county_minimum_of_stock_is_judged_only_once_set_and_says_it_is_the_countys(setting, field, short, wording):
    school = declaration(**{field: short})
    assert verdict(school, CONTROLLED).value == READY
    result = verdict(school, CountySettings(epidemic_controlled=True, **setting))
    assert [(g.field, g.requirement) for g in result.gaps] == [(field, wording)]


def test_the_count_of_registered_staff_is_reported_and_never_a_condition():
    assert "staff_code_registered" not in dict(condition_items())
    assert verdict(declaration(staff_code_registered=0), CONTROLLED).value == READY


def test_each_gap_links_to_its_policy_heading():
    result = verdict(declaration(closed_management=False), CONTROLLED)
    assert result.gaps[0].policy_url == "/prevention/management/#校园管理"


def test_a_standing_differs_when_the_verdict_differs():
    stored = verdict(declaration(), CONTROLLED)
    now = verdict(declaration(), CountySettings(epidemic_controlled=False))
    assert now.differs_from(stored)


def test_a_standing_differs_when_other_items_are_gaps_under_the_same_verdict():
    not_ready = declaration(closed_management=False, masks=650 * 10)
    stored = verdict(not_ready, CountySettings(epidemic_controlled=True, mask_days=10))
    now = verdict(not_ready, CountySettings(epidemic_controlled=True, mask_days=11))
    assert stored.value == now.value == NOT_READY
    assert now.differs_from(stored)


def test_a_stored_verdict_read_back_from_its_row_does_not_differ_from_itself():
    from schemas import Verdict

    now = verdict(declaration(thermometers=0), CONTROLLED)
    stored = Verdict.stored(now.value, [g.as_dict() for g in now.gaps])
    assert stored == now
    assert not now.differs_from(stored)


# --- how a verdict offers itself to the pages ------------------------------------------------


def test_a_verdict_offers_every_group_in_order_by_its_words():
    result = verdict(declaration(cleaning_done=False, online_checkin=False), CountySettings(epidemic_controlled=False))
    assert [g.words for g in result.groups] == [
        "条件一 疫情得到基本控制",
        "条件二 学校基本防控条件具备",
        "条件三 师生和校园公共卫生安全得到切实保障",
        "教学工作",
    ]
    assert [g.decides for g in result.groups] == [True, True, True, False]
    assert [[gap.field for gap in g.gaps] for g in result.groups] == [
        ["epidemic_controlled"],
        [],
        ["online_checkin"],
        ["cleaning_done"],
    ]
    assert result.teaching.words == "教学工作" and len(result.conditions) == 3
    assert result.awaits_county


def test_the_verdict_words_say_it_is_a_self_check():
    assert verdict(declaration(), CONTROLLED).label == "自查符合开学条件"
    assert verdict(declaration(), CountySettings(epidemic_controlled=False)).label == "自查不符合开学条件"


def test_stored_gaps_in_words_name_each_group_and_never_its_code():
    now = verdict(declaration(online_checkin=False, cleaning_done=False), CONTROLLED)
    words = gaps_in_words(json.dumps([g.as_dict() for g in now.gaps]))
    assert (
        words
        == "条件三 师生和校园公共卫生安全得到切实保障：已实行师生网上签到（需勾选）；教学工作：校园卫生已彻底打扫（需勾选）"
    )
    assert gaps_in_words(None) == gaps_in_words("[]") == ""


def test_a_standing_is_changed_exactly_when_its_verdicts_differ_and_summarises_the_verdict_now():
    stored = verdict(declaration(), CountySettings(epidemic_controlled=False))
    same = Standing(1, "2026-02-20T08:00:00+08:00", stored, stored)
    moved = Standing(2, "2026-02-21T08:00:00+08:00", stored, verdict(declaration(), CONTROLLED))
    assert not same.changed and moved.changed
    assert dict(zip(SUMMARY_COLUMNS, moved.summary(), strict=True)) == {
        "version": 2,
        "submitted_at": "2026-02-21T08:00:00+08:00",
        "verdict_stored": NOT_READY,
        "verdict_now": READY,
        "legal_gaps_now": 0,
        "changed": 1,
        "verdict_own": READY,
        "inspection": None,
        "inspected_items": 0,
        "rectify_by": None,
    }


def test_a_standing_whose_version_was_found_contradicted_summarises_the_verdict_the_bureau_sees():
    from schemas.inspection import CONTRADICTED, Finding, inspection_state

    own = verdict(declaration(), CONTROLLED)
    found = inspection_state(1, 1, [Finding("duty_rota", CONTRADICTED, "无排班表")], rectify_by="2026-03-01")
    standing = Standing(1, "2026-02-21T08:00:00+08:00", own, own, found)
    assert not standing.changed  # the settings changed nothing: the inspection did
    assert standing.seen.value == NOT_READY and standing.now.value == READY
    summary = dict(zip(SUMMARY_COLUMNS, standing.summary(), strict=True))
    assert summary["verdict_now"] == NOT_READY and summary["legal_gaps_now"] == 1
    assert summary["verdict_own"] == READY and summary["inspection"] == CONTRADICTED
    assert summary["rectify_by"] == "2026-03-01"
