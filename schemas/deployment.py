"""The deployment's own configuration (`county.toml`): which bureau and region this instance serves.

The bureau's and the region's names are read once from this file by the site build and the app,
so the masthead, the app's headers and every export say the same name (PRODUCT.md, One name).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Each key's Chinese name and the rule a bad value breaks, for the error a deployer reads.
KEYS: dict[str, tuple[str, str]] = {
    "level": ("行政级别", "须为 county、city 或 province 之一"),
    "region_code": ("行政区划代码", "须为六位数字，如 220323"),
    "region_name": ("行政区名称", "须为 2 至 40 个字，如 伊通满族自治县"),
    "bureau_name": ("教育行政部门名称", "须为 2 至 40 个字，如 伊通满族自治县教育局"),
}


class Deployment(BaseModel):
    """The four keys of `county.toml`; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    level: Literal["county", "city", "province"]
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    region_name: str = Field(min_length=2, max_length=40)
    bureau_name: str = Field(min_length=2, max_length=40)


def problems(error: ValidationError) -> list[str]:
    """Each way a file's values break the model, in Chinese, one line per key."""
    found = []
    for detail in error.errors():
        key = str(detail["loc"][0]) if detail["loc"] else ""
        if detail["type"] == "extra_forbidden":
            found.append(f"不认识的键 {key}（可用的键：{'、'.join(KEYS)}）")
        elif key in KEYS:
            label, rule = KEYS[key]
            found.append(f"缺少 {key}（{label}），{rule}" if detail["type"] == "missing" else f"{key}（{label}）{rule}")
        else:
            found.append(detail["msg"])
    return found


# Each level in words, and what its region is called where a download names it.
LEVEL_WORDS = {"county": "县级", "city": "市级", "province": "省级"}
REGION_TITLES = {"county": "县（区）", "city": "市（州）", "province": "省（自治区、直辖市）"}

# How many leading digits of a six-digit code name the upper level: 22 (吉林省), 2203 (四平市).
UPPER_PREFIX = {"province": 2, "city": 4}


def is_upper(level: str) -> bool:
    """A city or a province: an instance that holds its counties' downloads, no schools of its own."""
    return level in UPPER_PREFIX


def is_county_code(code: str) -> bool:
    """A county-level code (220323): six digits, the last two not 00, which a city's (220300)
    and a province's (220000) end with."""
    return len(code) == 6 and code.isascii() and code.isdigit() and not code.endswith("00")


def covers(upper: Deployment, code: str) -> bool:
    """Whether the county `code` lies within the city or province `upper` serves."""
    digits = UPPER_PREFIX.get(upper.level)
    return digits is not None and is_county_code(code) and code[:digits] == upper.region_code[:digits]
