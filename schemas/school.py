"""An organisation of the county: a school, or the bureau itself (for its cadres' pledges)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from .base import ChecklistModel, item

BUREAU_KIND = "教育局机关"

KINDS = {
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "nine_year": "九年一贯制学校",
    "senior": "高中",
    "complete_secondary": "完全中学",
    "vocational": "职业学校",
    "special": "特殊教育学校",
    "bureau": BUREAU_KIND,
}


def declares(kind: str) -> bool:
    """Whether an organisation of this kind declares readiness and reports the daily ledger: every
    school does; the bureau's own organisation does neither, its cadres sign pledges only."""
    return kind != BUREAU_KIND


DECLARING_KINDS = tuple(kind for kind in KINDS.values() if declares(kind))


class School(ChecklistModel):
    code: str = item(
        "学校代码",
        min_length=2,
        max_length=20,
        pattern=r"^[A-Za-z0-9_-]+$",
        messages={"string_pattern_mismatch": "学校代码只能包含字母、数字、下划线和连字符"},
    )
    name: str = item("学校名称", min_length=2, max_length=60)
    kind: Literal[tuple(KINDS.values())] = item(  # type: ignore[valid-type]
        "学校类型",
        choices={label: label for label in KINDS.values()},
        messages={"literal_error": "学校类型须为：" + "、".join(KINDS.values())},
    )
    township: str = item("乡镇", min_length=1, max_length=30)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_from_key(cls, value):
        """Imports may give the English key (primary) as well as the Chinese name (小学)."""
        return KINDS.get(value.strip(), value.strip()) if isinstance(value, str) else value
