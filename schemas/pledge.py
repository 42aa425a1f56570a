"""The staff pledge (教职工疫情防控承诺书), as `spec/pledge.md` lists it.

The text a person agrees to is made from the items below, so the site's pledge page, the form and
the stored `text_sha256` all come from one place.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from .base import ChecklistModel, Policy, Rule, item, phone_item
from .readiness import MANAGEMENT

# Raised with any change to what is asked or stored (tests/test_schema_fingerprints.py).
PLEDGE_VERSION = 1

ROLES = {"teacher": "教师", "leader": "学校领导", "staff": "职工", "cadre": "机关干部"}
WHEREABOUTS = {
    "in_county": "本县内",
    "out_county_in_province": "县外省内",
    "out_of_province": "省外",
}

TITLE = "教职工疫情防控承诺书"
PREAMBLE = "抗击疫情是政治任务。作为国家干部、人民教师、教育工作者,我知道做好疫情防控工作是我的职责和义务,郑重承诺:"
CLOSING = "如有违反,本人愿承担相应责任。"


def _pledge_item(label: str, policy: Policy):
    return item(label, policy=policy, default=False, must_be_true=True)


class Pledge(ChecklistModel):
    name: str = item("姓名", min_length=2, max_length=20)
    role: Literal[tuple(ROLES)] = item("身份", choices=ROLES)  # type: ignore[valid-type]
    phone: str = phone_item("手机号码")
    whereabouts: Literal[tuple(WHEREABOUTS)] = item(  # type: ignore[valid-type]
        "目前所在地", choices=WHEREABOUTS
    )
    item_rumours: bool = _pledge_item("不信谣、不传谣、不造谣,传播正能量", Policy(MANAGEMENT, "师生指导"))
    item_leave: bool = _pledge_item(
        "外出严格履行请假手续,一律按事假处理;离开县域返回后按规定隔离", Policy(MANAGEMENT, "师生管理")
    )
    item_no_paid_tutoring: bool = _pledge_item(
        "不违规补课办班,不利用网上教学向家长收费", Policy("prevention/enforcement.md", "严格执行技术方案")
    )
    item_health_code: bool = _pledge_item('通过手机加入"人人有码",实名注册,一人一码', Policy(MANAGEMENT, "师生管理"))
    item_duties: bool = _pledge_item(
        "服从学校和教育局疫情防控安排,履行包保排查、卡点值守等职责",
        Policy("prevention/awareness.md", "全体干部教师的职责和义务"),
    )
    item_truthful: bool = _pledge_item("如实报告本人健康状况和行程,对所报信息负责", Policy(MANAGEMENT, "师生管理"))
    signature: str = item("签名(输入本人姓名)", help="请输入与上面相同的姓名", max_length=20)

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
