"""The staff pledge (教职工疫情防控承诺书), as `spec/pledge.md` lists it.

The text a person agrees to is made from the items below, so the site's pledge page, the form and
the stored `text_sha256` all come from one place.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from .base import ChecklistModel, Policy, Rule, item, phone_item
from .readiness import ENFORCEMENT, MANAGEMENT

# Raised with any change to what is asked or stored (tests/test_schema_fingerprints.py).
PLEDGE_VERSION = 2

ROLES = {"teacher": "教师", "leader": "学校领导", "staff": "职工", "cadre": "机关干部"}
WHEREABOUTS = {
    "in_county": "本县内",
    "out_county_in_province": "县外省内",
    "out_of_province": "省外",
}

TITLE = "教育系统干部职工疫情防控承诺书"
PREAMBLE = "疫情防控工作是教育系统全体干部教师的职责和义务。本人郑重承诺："
CLOSING = "本人深知：做好疫情防控工作是职责和义务，做不好是失职、渎职，是违法。"


def _pledge_item(label: str, policy: Policy):
    return item(label, policy=policy, default=False, must_be_true=True)


class Pledge(ChecklistModel):
    name: str = item("姓名", min_length=2, max_length=20)
    role: Literal[tuple(ROLES)] = item("身份", choices=ROLES)  # type: ignore[valid-type]
    phone: str = phone_item("手机号码")
    whereabouts: Literal[tuple(WHEREABOUTS)] = item(  # type: ignore[valid-type]
        "目前所在地", choices=WHEREABOUTS
    )
    item_rumours: bool = _pledge_item(
        "做好自我防护，传播正能量，不信谣、不传谣、不造谣", Policy(MANAGEMENT, "师生指导")
    )
    item_stay: bool = _pledge_item(
        "在本县县域内的，不外出到县域外；确需外出的，严格履行请假手续，一律按事假处理；从县域外返回后依法隔离",
        Policy(MANAGEMENT, "不外出县域"),
    )
    item_health_code: bool = _pledge_item(
        "通过手机加入全省“人人有码码上行动”，实名注册，一人一码", Policy(MANAGEMENT, "人人有码")
    )
    item_no_paid_tutoring: bool = _pledge_item(
        "不违规补课办班，不向家长收费，不利用网上补课收费", Policy(ENFORCEMENT, "严格执行技术方案")
    )
    item_teaching: bool = _pledge_item(
        "担任教学工作的，提前制定教学计划和进度，经学校审核后再上课，端正教学态度",
        Policy("online/index.md", "教学内容管理"),
    )
    item_duties: bool = _pledge_item(
        "按照县委县政府的统一安排部署，听从指挥；承担包保排查、卡点值守任务的，认真排查，坚守岗位",
        Policy("prevention/awareness.md", "全体干部教师的职责和义务"),
    )
    item_truthful: bool = _pledge_item("以上所填姓名、手机号码和目前所在地真实准确", Policy(MANAGEMENT, "师生管理"))
    signature: str = item("签名（输入本人姓名）", help="请输入与上面相同的姓名", max_length=20)

    rules = (Rule("signature", lambda m: m.signature == m.name, "签名须与姓名一致"),)


PLEDGE_ITEMS = tuple(name for name in Pledge.model_fields if name.startswith("item_"))


def pledge_text() -> str:
    """The exact text shown on the pledge form and the site's pledge page."""
    lines = [TITLE, "", PREAMBLE]
    lines += [f"{n}. {Pledge.model_fields[name].title}。" for n, name in enumerate(PLEDGE_ITEMS, 1)]
    lines += ["", CLOSING]
    return "\n".join(lines)


def pledge_text_sha256(text: str | None = None) -> str:
    return hashlib.sha256((text if text is not None else pledge_text()).encode("utf-8")).hexdigest()
