"""The school readiness self-declaration (开学准备自查申报), as `spec/readiness.md` lists it.

Each section is one form page and validates on its own; `Declaration` is all sections together,
validated as a whole before a version is submitted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AfterValidator, create_model

from .base import (
    ChecklistModel,
    Condition,
    Policy,
    Requirement,
    Rule,
    at_most_rule,
    item,
    not_in_future,
    phone_item,
)
from .places import PlaceCounts, people_count, total_people

# Raised with any change to what is asked or stored (tests/test_schema_fingerprints.py).
SCHEMA_VERSION = 1

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


class Campus(Section):
    section_id = "campus"
    title = "校园管理"
    policy = Policy(MANAGEMENT, "校园管理")

    closed_management: bool = item("校园已实行封闭管理", condition=C2, policy=policy, default=False)
    visitors_barred: bool = item("外来人员一律不允许进入校内", condition=C2, policy=policy, default=False)
    entry_checks: bool = item("本校人员进校一律登记、测量体温、佩戴口罩", condition=C2, policy=policy, default=False)
    duty_rota: bool = item("领导带班值班制度已建立并落实", condition=C2, policy=policy, default=False)
    hygiene_routine: bool = item("校园卫生、消毒、通风工作已常态化开展", condition=C2, policy=policy, default=False)


class LedgerDate(ChecklistModel):
    ledger_date: PastDate = item("台账统计日期", help="填写下列人数所依据的跟踪台账日期")


class People(Section, PlaceCounts, LedgerDate):
    """The ledger's date, the eight place counts (`PlaceCounts`, its sum rules with them), then
    the section's own items."""

    section_id = "people"
    title = "师生管理与跟踪台账"
    policy = Policy(MANAGEMENT, "师生管理")

    returned_today: int = people_count("当日返回本县的师生人数")
    isolating: int = people_count("正在居家隔离的师生人数", help="不能超过教职工和学生总数之和")
    ledger_established: bool = item("已建立师生跟踪台账并每日更新", condition=C3, policy=policy, default=False)
    online_checkin: bool = item("已实行师生网上签到", condition=C3, policy=policy, default=False)
    leave_system: bool = item("已执行外出请假制度(一律按事假处理)", condition=C3, policy=policy, default=False)
    code_admin_set: bool = item('已设置"人人有码"管理员', condition=C3, policy=policy, default=False)
    staff_code_registered: int = people_count(
        '已实名注册"人人有码"的教职工人数',
        help="全体教职工都要实名注册,一人一码",
        condition=C3,
        policy=policy,
        requires=Requirement(lambda v, d, _s: v == d.staff_total, "需等于教职工总数"),
    )
    guidance_given: bool = item(
        "已开展师生心理疏导和思想教育",
        condition=C3,
        policy=Policy(MANAGEMENT, "师生指导"),
        default=False,
    )

    rules = (
        at_most_rule("isolating", total_people, "居家隔离的师生人数不能超过教职工和学生总数之和"),
        at_most_rule(
            "staff_code_registered",
            lambda m: m.staff_total,
            '已实名注册"人人有码"的教职工人数不能超过教职工总数',
        ),
    )


def _masks_needed(declaration, settings) -> int:
    return (declaration.staff_total + declaration.students_total) * settings.mask_days


class Supplies(Section):
    section_id = "supplies"
    title = "物资保障"
    policy = Policy(REOPENING, "落实防控保障工作")

    disinfectant_litres: Decimal = item(
        "消毒液储备(升)", ge=0, le=MAX_STOCK, decimal_places=1, help="最多保留 1 位小数"
    )
    thermometers: int = item(
        "测温仪器(台)",
        ge=0,
        le=MAX_STOCK,
        condition=C2,
        policy=policy,
        requires=Requirement(lambda v, _d, _s: v >= 1, "需至少 1 台"),
    )
    masks: int = item(
        "口罩储备(个)",
        ge=0,
        le=MAX_STOCK,
        help="按每人每天 1 个计,需满足(教职工总数 + 学生总数)× 县里规定的天数",
        condition=C2,
        policy=policy,
        requires=Requirement(
            lambda v, d, s: v >= _masks_needed(d, s),
            "需 ≥(教职工总数 + 学生总数)× 口罩储备天数",
        ),
    )
    campus_disinfected: bool = item("校园内已进行彻底消毒", condition=C2, policy=policy, default=False)


class Reopening(Section):
    section_id = "reopening"
    title = "开学条件"
    policy = Policy(REOPENING, "落实“防输入”工作")

    not_home_14_days: int = people_count(
        "开学时在本县居家未满14天的师生人数",
        help="全体师生开学时须100%在本县居家14天以上方可入校",
        condition=C3,
        policy=policy,
        requires=Requirement(lambda v, _d, _s: v == 0, "需为 0"),
    )
    outsiders_excluded: bool = item("开学后校园封闭,外来人员不许进入", condition=C2, policy=policy, default=False)
    first_lesson_ready: bool = item(
        "复学第一课疫情防控宣传已准备",
        condition=T,
        policy=Policy(ENFORCEMENT, "广泛宣传"),
        default=False,
    )
    publicity_done: bool = item(
        "已对教师、学生和家长开展思想、心理、知识、规定、法律宣传",
        condition=T,
        policy=Policy(ENFORCEMENT, "广泛宣传"),
        default=False,
    )


class TeachingPrep(Section):
    section_id = "teaching_prep"
    title = "开学教学准备"
    policy = Policy(REOPENING, "落实好开学的教学工作")

    assignments_adjusted: bool = item("教学分工已调整到位", condition=T, policy=policy, default=False)
    supplies_ready: bool = item("各种教学用品已准备好", condition=T, policy=policy, default=False)
    utilities_safe: bool = item("水电安全已检查", condition=T, policy=policy, default=False)
    facilities_ok: bool = item("学校设施设备运行正常", condition=T, policy=policy, default=False)
    winter_waste_cleared: bool = item("校园越冬垃圾已彻底清理", condition=T, policy=policy, default=False)
    cleaning_done: bool = item("校园卫生已彻底打扫", condition=T, policy=policy, default=False)
    leadership_meeting_on: PastDate | None = item("领导班子会召开日期", default=None)
    work_plan: str | None = item(
        "今年工作安排(干点啥、怎么干、什么时间干、谁来干)",
        default=None,
        max_length=2000,
        widget="textarea",
    )


class OnlineTeaching(Section):
    section_id = "online_teaching"
    title = "网上教学"
    policy = Policy(ONLINE, "必须实行网上教学")

    online_teaching_running: bool = item("已按要求开展网上教学", condition=T, policy=policy, default=False)
    plans_reviewed: bool = item(
        "教师教学计划和进度经学校审核后方可上课",
        condition=T,
        policy=Policy(ONLINE, "教学内容管理"),
        default=False,
    )
    lessons_monitored: bool = item(
        "已掌握教师每天授课、学生每节听课、领导听课巡课情况",
        condition=T,
        policy=Policy(ONLINE, "人员管理"),
        default=False,
    )
    no_fees: bool = item(
        "无向家长收费、无教师网上有偿补课",
        condition=T,
        policy=Policy(ONLINE, "端正态度"),
        default=False,
    )
    eyesight_and_exercise: bool = item(
        "已安排视力保护和家庭体育锻炼指导",
        condition=T,
        policy=Policy(ONLINE, "必须科学安排"),
        default=False,
    )
    special_students: int = people_count("建档立卡、贫困、留守、残疾儿童人数", help="没有请填 0")
    special_students_followed: bool = item(
        "已掌握特殊学生学业状态和思想状态",
        condition=T,
        policy=Policy(ONLINE, "必须科学安排"),
        default=False,
    )


class Responsibility(Section):
    section_id = "responsibility"
    title = "责任落实"
    policy = Policy(ENFORCEMENT, "落实责任")

    principal_name: str = item("校(园)长(第一责任人)姓名", min_length=2, max_length=20)
    principal_phone: str = phone_item("联系电话")
    signature: str = item("签名(输入校长姓名)", help="请输入与上面相同的校(园)长姓名", max_length=20)
    truthful: bool = item("本人承诺以上填报内容真实准确", default=False)

    rules = (
        Rule(
            "signature",
            lambda m: m.signature == m.principal_name,
            "签名须与校(园)长(第一责任人)姓名一致",
        ),
    )


SECTIONS: tuple[type[Section], ...] = (
    Campus,
    People,
    Supplies,
    Reopening,
    TeachingPrep,
    OnlineTeaching,
    Responsibility,
)

DECLARATION_RULES = (
    at_most_rule("not_home_14_days", total_people, "居家未满14天的师生人数不能超过教职工和学生总数之和"),
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
