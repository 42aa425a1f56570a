"""The school readiness self-declaration (开学准备自查申报), as `spec/readiness.md` lists it.

Each section is one form page and validates on its own; `Declaration` is all sections together,
validated as a whole before a version is submitted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Mapping

from pydantic import AfterValidator, create_model

from .base import (
    ChecklistModel,
    Condition,
    Policy,
    Requirement,
    Rule,
    at_most_rule,
    is_tick,
    item,
    not_in_future,
    phone_item,
)
from .places import PlaceCounts, people_count, total_people

# Raised with any change to what is asked or stored (tests/test_schema_fingerprints.py).
# Version 2 follows the speech item by item (`spec/readiness.md`, "What changed from version 1").
SCHEMA_VERSION = 2

PastDate = Annotated[dt.date, AfterValidator(not_in_future)]

MANAGEMENT = "prevention/management.md"
ENFORCEMENT = "prevention/enforcement.md"
ONLINE = "online/index.md"
REOPENING = "reopening/index.md"

C2, C3, T = Condition.C2, Condition.C3, Condition.T

# A technical cap that keeps stock inside what a school can have and SQLite can store
# (`MAX_PEOPLE` is the cap of a count of people).
MAX_STOCK = 10_000_000


class Section(ChecklistModel):
    section_id: ClassVar[str]
    title: ClassVar[str]
    policy: ClassVar[Policy]


def duty(label: str, condition: str, policy: Policy) -> Any:
    """A tick the school answers: 是 when done, unticked (否) otherwise."""
    return item(label, condition=condition, policy=policy, default=False)


class Campus(Section):
    section_id = "campus"
    title = "校园管理"
    policy = Policy(MANAGEMENT, "校园管理")

    closed_management: bool = duty("校园已实行封闭管理", C2, policy)
    visitors_barred: bool = duty("已落实外来人员一律不得进入校内的要求", C2, policy)
    entry_checks: bool = duty("已落实本校人员进校登记、测量体温、佩戴口罩的要求", C2, policy)
    duty_rota: bool = duty("领导带班值班已落实", C2, policy)
    hygiene_routine: bool = duty("校园卫生、消毒、通风工作已做好", C2, policy)


class LedgerDate(ChecklistModel):
    ledger_date: PastDate = item("台账日期", help="填写下列人数所依据的跟踪台账日期")


class People(Section, PlaceCounts, LedgerDate):
    """The ledger's date, the eight place counts (`PlaceCounts`, its sum rules with them), then
    the section's own items."""

    section_id = "people"
    title = "师生管理"
    policy = Policy(MANAGEMENT, "师生管理")

    returned_today: int = people_count("当日返回本县的师生人数")
    isolating: int = people_count("正在隔离的师生人数", help="不能超过教职工和学生总数之和")
    ledger_established: bool = duty("已建立师生跟踪台账并及时更新，师生信息做到一口清", C3, policy)
    online_checkin: bool = duty("已实行师生网上签到", C3, policy)
    stay_in_county_work: bool = duty("已做好教师、学生和家长的思想工作，在本县县域内的师生不再外出到县域外", C3, policy)
    leave_system: bool = duty("已对外出师生（包括学校领导）实行严格的请假制度，一律按事假处理", C3, policy)
    returnees_isolated: bool = duty("从县域外返回的师生已按规定隔离", C3, policy)
    code_admin_set: bool = duty("已设置“人人有码码上行动”管理员", C3, policy)
    all_staff_registered: bool = duty("全体教师已在“人人有码码上行动”中实名注册，一人一码", C3, policy)
    # Reported only, as a count: the speech asks every teacher to register (the tick above),
    # it gives no rate, so this is never a condition.
    staff_code_registered: int = people_count("已实名注册“人人有码码上行动”的教职工人数", help="不能超过教职工总数")

    rules = (
        at_most_rule("isolating", total_people, "正在隔离的师生人数不能超过教职工和学生总数之和"),
        at_most_rule(
            "staff_code_registered",
            lambda m: m.staff_total,
            "已实名注册“人人有码码上行动”的教职工人数不能超过教职工总数",
        ),
    )


class Guidance(Section):
    section_id = "guidance"
    title = "师生指导"
    policy = Policy(MANAGEMENT, "师生指导")

    guidance_given: bool = duty("已加强师生心理疏导和思想教育", C3, policy)
    rumours_guarded: bool = duty("已教育师生做好自我防护，不信谣、不传谣、不造谣", C3, policy)


def _people(declaration) -> int:
    return declaration.staff_total + declaration.students_total


def county_minimum(required_when, holds, wording: str, says) -> Requirement:
    """A stock figure judged only against the county's own standard, once the county sets it."""
    return Requirement(
        lambda v, d, s: not required_when(s) or (v is not None and holds(v, d, s)),
        wording,
        required_when=required_when,
        says=says,
    )


MASKS_STANDARD = county_minimum(
    lambda s: s.mask_days is not None,
    lambda v, d, s: v >= _people(d) * s.mask_days,
    "本县设定标准时：每人每天1个，按本县规定的天数计",
    lambda s: f"口罩储备低于本县标准：每人每天1个，按{s.mask_days}天计",
)
THERMOMETERS_STANDARD = county_minimum(
    lambda s: s.min_thermometers is not None,
    lambda v, _d, s: v >= s.min_thermometers,
    "本县设定标准时：不少于本县规定的台数",
    lambda s: f"测温仪器储备低于本县标准：不少于{s.min_thermometers}台",
)
DISINFECTANT_STANDARD = county_minimum(
    lambda s: s.min_disinfectant_litres is not None,
    lambda v, _d, s: v >= s.min_disinfectant_litres,
    "本县设定标准时：不少于本县规定的升数",
    lambda s: f"消毒液储备低于本县标准：不少于{format(s.min_disinfectant_litres, 'g')}升",
)
STOCK_HELP = "选填，如实填写现有数量；本县设定标准时必填"


class Supplies(Section):
    section_id = "supplies"
    title = "防控保障"
    policy = Policy(REOPENING, "落实防控保障工作")

    supplies_stocked: bool = duty("消毒液、测温仪器、口罩已提前备齐", C2, policy)
    disinfectant_litres: Decimal | None = item(
        "消毒液储备（升）",
        ge=0,
        le=MAX_STOCK,
        decimal_places=1,
        help=STOCK_HELP + "；最多保留1位小数",
        condition=C2,
        policy=policy,
        requires=DISINFECTANT_STANDARD,
        default=None,
    )
    thermometers: int | None = item(
        "测温仪器储备（台）",
        ge=0,
        le=MAX_STOCK,
        help=STOCK_HELP,
        condition=C2,
        policy=policy,
        requires=THERMOMETERS_STANDARD,
        default=None,
    )
    masks: int | None = item(
        "口罩储备（个）",
        ge=0,
        le=MAX_STOCK,
        help=STOCK_HELP,
        condition=C2,
        policy=policy,
        requires=MASKS_STANDARD,
        default=None,
    )
    campus_disinfected: bool = duty("校园内已进行彻底消毒", C2, policy)
    rules_studied: bool = duty("已逐条学习、逐条落实国务院下发的防控技术方案和教育局下发的文件、通知", C2, policy)


class Reopening(Section):
    section_id = "reopening"
    title = "落实“防输入”工作"
    policy = Policy(REOPENING, "落实“防输入”工作")

    not_home_14_days: int = people_count(
        "至开学之日在本县居家不满14天的师生人数",
        condition=C3,
        policy=policy,
        requires=Requirement(lambda v, _d, _s: v == 0, "需为0"),
    )
    no_outside_contact: bool = duty("已要求师生开学前居家期间不和外人接触", C3, policy)
    outsiders_excluded: bool = duty("已制定开学后继续实行校园封闭管理、外来人员不得进入校园的措施", C2, policy)


class TeachingPrep(Section):
    section_id = "teaching_prep"
    title = "开学教学准备"
    policy = Policy(REOPENING, "落实好开学的教学工作")

    assignments_adjusted: bool = duty("教学分工已调整好", T, policy)
    supplies_ready: bool = duty("各种教学用品已准备好", T, policy)
    utilities_safe: bool = duty("已确保水电安全", T, policy)
    facilities_ok: bool = duty("已确保学校设施设备运行正常", T, policy)
    winter_waste_cleared: bool = duty("校园内越冬垃圾已彻底清理", T, policy)
    cleaning_done: bool = duty("校园卫生已彻底打扫", T, policy)
    leadership_meeting_on: PastDate | None = item("领导班子会召开日期", default=None)
    work_plan: str | None = item(
        "今年各项工作安排（做什么、怎么做、什么时间做、由谁做）",
        default=None,
        max_length=2000,
        widget="textarea",
    )


class OnlineTeaching(Section):
    section_id = "online_teaching"
    title = "网上教学"
    policy = Policy(ONLINE, "必须实行网上教学")

    online_teaching_running: bool = duty("已按要求开展网上教学", T, policy)
    courses_prioritised: bool = duty("课程设置已分主次、重点，教学进度已放慢", T, Policy(ONLINE, "必须科学安排"))
    grade_band_arranged: bool = duty("已按本校各学段的不同要求科学安排网上课程", T, Policy(ONLINE, "分学段安排"))
    plans_reviewed: bool = duty(
        "教学内容已严格把关，教师的教学计划和进度均已经学校审核", T, Policy(ONLINE, "教学内容管理")
    )
    lessons_monitored: bool = duty("已掌握教师每天授课、学生每节听课、领导听课巡课情况", T, Policy(ONLINE, "人员管理"))
    no_fees: bool = duty("未发生向家长收费的现象和教师利用网上补课收费的行为", T, Policy(ONLINE, "端正态度"))
    tutoring_checked: bool = duty(
        "已严查教师违规补课办班行为，发现的问题均已严肃处理", T, Policy(ENFORCEMENT, "严格执行技术方案")
    )
    eyesight_and_exercise: bool = duty(
        "学生视力保护和家庭体育锻炼指导工作已落实", T, Policy(ONLINE, "视力保护和家庭体育锻炼")
    )
    special_students: int | None = people_count(
        "特殊学生人数（建档立卡学生、贫困学生、留守儿童、残疾儿童，一人多类只计一次）",
        help="选填；不能超过学生总数",
        default=None,
    )
    special_students_followed: bool = duty("已掌握特殊学生的学业状态和思想状态", T, Policy(ONLINE, "关爱特殊学生"))

    rules = (
        Rule(
            "special_students",
            lambda m: m.special_students is None or m.special_students <= m.students_total,
            "特殊学生人数不能超过学生总数",
        ),
    )


class Responsibility(Section):
    section_id = "responsibility"
    title = "责任落实与宣传"
    policy = Policy(ENFORCEMENT, "落实责任")

    duties_assigned: bool = duty("已实行校（园）长第一责任人制，责任层层落实到人、到事", C2, policy)
    publicity_done: bool = duty(
        "已从思想、心理、知识、规定、法律等方面对教师、学生和家长宣传到位", C3, Policy(ENFORCEMENT, "广泛宣传")
    )
    first_lesson_ready: bool = duty("复学后第一课的宣传内容已准备好", T, Policy(ENFORCEMENT, "广泛宣传"))
    principal_name: str = item("校（园）长（第一责任人）姓名", min_length=2, max_length=20)
    principal_phone: str = phone_item("联系电话")
    signature: str = item("签名（输入第一责任人姓名）", help="请输入与上面相同的校（园）长姓名", max_length=20)
    truthful: bool = item("本人承诺以上填报内容真实准确", default=False)

    rules = (
        Rule(
            "signature",
            lambda m: m.signature == m.principal_name,
            "签名须与校（园）长（第一责任人）姓名一致",
        ),
    )


SECTIONS: tuple[type[Section], ...] = (
    Campus,
    People,
    Guidance,
    Supplies,
    Reopening,
    TeachingPrep,
    OnlineTeaching,
    Responsibility,
)

DECLARATION_RULES = (
    at_most_rule(
        "not_home_14_days", total_people, "至开学之日在本县居家不满14天的师生人数不能超过教职工和学生总数之和"
    ),
    Rule("truthful", lambda m: m.truthful is True, "提交前请勾选“本人承诺以上填报内容真实准确”"),
)


class DeclarationBase(ChecklistModel):
    sections: ClassVar[tuple[type[Section], ...]]

    @classmethod
    def section_of(cls, field: str) -> type[Section]:
        return next(s for s in cls.sections if field in s.model_fields)


def declaration_model(sections: tuple[type[Section], ...], name: str = "Declaration"):
    """All sections as one flat model: their fields in order, their rules and the whole's rules."""
    fields = {field: (info.annotation, info) for section in sections for field, info in section.model_fields.items()}
    rules = tuple(rule for section in sections for rule in section.all_rules()) + DECLARATION_RULES
    model = create_model(name, __base__=DeclarationBase, **fields)
    model.sections = sections
    model.rules = rules
    return model


Declaration = declaration_model(SECTIONS)
SECTION_BY_ID = {section.section_id: section for section in SECTIONS}


def fields_asked(schema_version: int | None, values: Mapping[str, Any]) -> frozenset[str] | None:
    """The fields a stored version's schema asked: all (None) for the current schema. Every
    version stores each tick it asks as 0 or 1, so a tick an earlier version left NULL is one it
    never asked (every item version 2 added is a tick); pages judge and show that version on what
    it asked only, never inventing a gap for an item it was not asked."""
    if (schema_version or SCHEMA_VERSION) >= SCHEMA_VERSION:
        return None
    return frozenset(
        name for name, info in Declaration.model_fields.items() if not is_tick(info) or values.get(name) is not None
    )
