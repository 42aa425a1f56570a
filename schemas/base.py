"""The building blocks every model in `schemas/` is made of.

An *item* is a pydantic field that also carries what the bureau's world needs to know about it:
its Chinese label, a help text, the reopening condition it counts toward, the policy heading that
explains it and, for conditions, what it takes to meet them. The form, the verdict, the database
columns and the site's generated pages all read these from the model, so an item is written once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, ClassVar, Mapping

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from . import clock

PHONE_PATTERN = r"^1[3-9]\d{9}$"


@dataclass(frozen=True)
class Policy:
    """A heading of the policy site: `page` is the Markdown source path under content/."""

    page: str
    heading: str

    @property
    def anchor(self) -> str:
        from pymdownx.slugs import slugify  # the same slugify the site's toc uses

        return slugify(case="lower")(self.heading, "-")

    @property
    def path(self) -> str:
        """The page's URL path on the site (MkDocs' directory URLs)."""
        page = self.page.removesuffix(".md")
        if page == "index":
            return ""
        return page.removesuffix("/index") + "/"

    def url(self, site_root: str = "/") -> str:
        return f"{site_root}{self.path}#{self.anchor}"

    def markdown_link(self, from_page: str = "") -> str:
        """A link for a Markdown page of the site, relative to the docs dir."""
        depth = from_page.count("/")
        return "../" * depth + f"{self.page}#{self.anchor}"


class Condition:
    """The reopening conditions of the speech (三个不开学) and teaching readiness."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    T = "T"
    LABELS = {
        "C1": "疫情得到基本控制",
        "C2": "学校基本防控条件具备",
        "C3": "师生和校园公共卫生安全得到切实保障",
        "T": "教学工作",
    }
    # How people name each group: by its words, never by the code (C1, T) the schema keys it on.
    TITLES = {"C1": "条件一", "C2": "条件二", "C3": "条件三", "T": ""}

    @classmethod
    def words(cls, code: str) -> str:
        """A group as people read it: 条件二 学校基本防控条件具备; 教学工作."""
        return f"{cls.TITLES[code]} {cls.LABELS[code]}".strip()


@dataclass(frozen=True)
class Requirement:
    """What a condition item needs to hold. `holds(value, declaration, settings)`.

    A county minimum (`required_when` given) is no requirement of the speech: it holds whatever
    the answer while the county has set no standard; once set, the item must be answered, and
    its gap says the standard is the county's own, with its figure (`says(settings)`).
    """

    holds: Callable[[Any, Any, Any], bool]
    wording: str  # shown on the checklist and with a gap, e.g. "需勾选"
    required_when: Callable[[Any], bool] | None = None
    says: Callable[[Any], str] | None = None

    def gap_wording(self, settings: Any) -> str:
        return self.says(settings) if self.says else self.wording

    def requires_answer(self, settings: Any) -> bool:
        return bool(self.required_when and self.required_when(settings))


TICKED = Requirement(lambda value, _d, _s: value is True, "需勾选")


def item(
    label: str,
    *,
    help: str | None = None,
    condition: str | None = None,
    policy: Policy | None = None,
    requires: Requirement | None = None,
    choices: dict[str, str] | None = None,
    widget: str | None = None,
    messages: dict[str, str] | None = None,
    must_be_true: bool = False,
    **constraints: Any,
) -> Any:
    """A model field with the metadata the form, verdict, columns and site read.

    `messages` overrides the Chinese message of a pydantic error type for this field;
    `must_be_true` makes a checkbox one that has to be ticked (a pledge item).
    """
    extra = {
        "must_be_true": must_be_true,
        "messages": messages,
        "condition": condition,
        "policy": policy,
        "requires": requires or (TICKED if condition else None),
        "choices": choices,
        "widget": widget,
    }
    return Field(title=label, description=help, json_schema_extra=extra, **constraints)


def phone_item(label: str, **kwargs: Any) -> Any:
    """A mainland mobile number: 1[3-9] and nine more digits."""
    return item(
        label,
        pattern=PHONE_PATTERN,
        messages={"string_pattern_mismatch": "请填写正确的手机号码：11位数字，以13至19开头"},
        widget="tel",
        **kwargs,
    )


def meta(field: FieldInfo) -> dict[str, Any]:
    return field.json_schema_extra or {}  # type: ignore[return-value]


def base_type(annotation: Any) -> tuple[Any, bool]:
    """The field's type without `| None` and `Annotated`, and whether None is allowed."""
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation, optional = args[0], True
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def bounds(field: FieldInfo) -> dict[str, Any]:
    """The field's ge, le, min_length and max_length, where it has them."""
    found: dict[str, Any] = {}
    for constraint in field.metadata:
        for key, kind in (("ge", annotated_types.Ge), ("le", annotated_types.Le)):
            if isinstance(constraint, kind):
                found[key] = getattr(constraint, key)
        if isinstance(constraint, annotated_types.MinLen):
            found["min_length"] = constraint.min_length
        if isinstance(constraint, annotated_types.MaxLen):
            found["max_length"] = constraint.max_length
    return found


def is_tick(field: FieldInfo) -> bool:
    """A checkbox: answered 是 or 否, stored 0/1, never missing (unticked is an answer)."""
    return field.annotation is bool


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: when `holds(model)` is false, `message` goes on `field`."""

    field: str
    holds: Callable[[Any], bool]
    message: str


def sum_rule(total: str, parts: tuple[str, ...], message: str) -> Rule:
    return Rule(total, lambda m: sum(getattr(m, p) for p in parts) == getattr(m, total), message)


def at_most_rule(field: str, bound: Callable[[Any], int], message: str) -> Rule:
    return Rule(field, lambda m: getattr(m, field) <= bound(m), message)


# C0 and C1 controls and DEL; tab, line feed and carriage return are text
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ChecklistModel(BaseModel):
    """Base of every form model. Cross-field rules live in `rules` on each class.

    All rules of the class and its bases are checked together, so a person sees every broken
    rule at once; the error carries which field each message belongs to.
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    rules: ClassVar[tuple[Rule, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """A numeric item that names a group must say how it is judged: refused when the module
        is built, so no item can become a gap that no answer closes."""
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            extra = meta(info)
            if extra.get("condition") and extra.get("requires") is TICKED and not is_tick(info):
                raise TypeError(f"{cls.__name__}.{name} counts toward {extra['condition']} but says no way to judge it")

    @classmethod
    def all_rules(cls) -> tuple[Rule, ...]:
        return _rules_of(cls)

    @classmethod
    def broken_rules(cls, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(field, message) of every rule the answers break. Forms check this on part of the
        answers too, so a person sees every broken rule at once: a rule that reads an answer not
        given (absent, or None while its field is wrong) waits until it is."""
        known = SimpleNamespace(**answers)
        problems = []
        for rule in cls.all_rules():
            try:
                holds = rule.holds(known)
            except (AttributeError, TypeError):
                continue
            if not holds:
                problems.append((rule.field, rule.message))
        return problems

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        """A NUL, an escape sequence or another invisible control character pasted into a name
        would reach every list, export and message the bureau copies it into. What an earlier
        release stored is read back as it is (validation context `{"stored": True}`)."""
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value) and not (info.context or {}).get("stored"):
            label = cls.model_fields[info.field_name].title or info.field_name
            raise PydanticCustomError(
                "control_characters", "{label}含有看不见的控制字符，请删除后重新填写", {"label": label}
            )
        return value

    @model_validator(mode="after")
    def _check_rules(self) -> "ChecklistModel":
        problems = self.broken_rules(dict(self))
        if problems:
            raise PydanticCustomError("cross_field", "；".join(m for _, m in problems), {"problems": problems})
        return self


@functools.cache
def _rules_of(model: type[ChecklistModel]) -> tuple[Rule, ...]:
    """A model's rules, gathered once: every validation checks them (each pledge, each section)."""
    rules = [
        Rule(name, lambda m, name=name: getattr(m, name) is True, f"请勾选：{info.title}")
        for name, info in model.model_fields.items()
        if meta(info).get("must_be_true")
    ]
    seen: set[int] = set()
    for klass in reversed(model.__mro__):
        for rule in klass.__dict__.get("rules", ()):
            if id(rule) not in seen:
                seen.add(id(rule))
                rules.append(rule)
    return tuple(rules)


def not_in_future(value: dt.date | None) -> dt.date | None:
    if value is not None and value > clock.today():
        raise PydanticCustomError("date_in_future", "日期不能晚于今天")
    return value
