"""The verdict: the school's self-check against the bureau's standard (三个不开学), and what is
missing. A pure function.

The items are grouped under the three conditions and teaching work by the bureau's own
self-check standard (本局开学条件自查口径); the verdict offers its gaps by group, in order, each
named by its words, so no page needs to know which groups exist.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from functools import cache
from typing import Any, ClassVar, Collection, NamedTuple

from .base import Condition, meta
from .readiness import Declaration
from .settings import EPIDEMIC_POLICY, CountySettings

READY = "ready"
NOT_READY = "not_ready"
VERDICT_LABELS = {READY: "自查符合开学条件", NOT_READY: "自查不符合开学条件"}
LEGAL_CONDITIONS = (Condition.C1, Condition.C2, Condition.C3)
GROUP_ORDER = (*LEGAL_CONDITIONS, Condition.T)
# Whose grouping this is, said wherever the grouping is shown: the conditions are the State
# Council's, which item counts toward which is the bureau's own.
SELF_CHECK_STANDARD = "本局开学条件自查口径"


@dataclass(frozen=True)
class Gap:
    field: str
    label: str
    condition: str
    policy_url: str  # path on the policy site, e.g. "/prevention/management/#校园管理"
    requirement: str
    contradicted: ClassVar[bool] = False  # found 不符 by an inspection (schemas.inspection.ContradictedGap)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def group(self) -> str:
        """The group the gap counts toward, in words (条件二 学校基本防控条件具备)."""
        return Condition.words(self.condition)


@dataclass(frozen=True)
class Group:
    """The gaps of one group of the self-check standard, named by its words."""

    words: str
    gaps: tuple[Gap, ...]
    decides: bool  # a reopening condition; 教学工作 is shown but never decides


@dataclass(frozen=True)
class Verdict:
    value: str
    gaps: tuple[Gap, ...]

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.value]

    @property
    def ready(self) -> bool:
        return self.value == READY

    @classmethod
    def stored(cls, value: str, gaps: list[dict]) -> "Verdict":
        """A verdict as a declaration version stored it: its value and its gaps as dicts."""
        names = {f.name for f in fields(Gap)}
        return cls(value, tuple(Gap(**{k: g.get(k, "") for k in names}) for g in gaps))

    def differs_from(self, other: "Verdict") -> bool:
        """Not the same standing: another value, or other items among the gaps."""
        return self.value != other.value or {g.field for g in self.gaps} != {g.field for g in other.gaps}

    @property
    def legal_gaps(self) -> tuple[Gap, ...]:
        """The gaps that keep a school from reopening (三个不开学), teaching work aside."""
        return tuple(g for g in self.gaps if g.condition in LEGAL_CONDITIONS)

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every group in order (the three conditions, then teaching work), with its gaps."""
        return tuple(
            Group(Condition.words(code), tuple(g for g in self.gaps if g.condition == code), code != Condition.T)
            for code in GROUP_ORDER
        )

    @property
    def conditions(self) -> tuple[Group, ...]:
        """The three reopening conditions: the groups that decide the verdict."""
        return tuple(group for group in self.groups if group.decides)

    @property
    def teaching(self) -> Group:
        """Teaching work: shown with its gaps, never part of the verdict."""
        return next(group for group in self.groups if not group.decides)

    @property
    def awaits_county(self) -> bool:
        """Whether condition one (the epidemic under control, the county's to confirm) is unmet."""
        return any(g.condition == Condition.C1 for g in self.gaps)


class Standing(NamedTuple):
    """A school's standing: a version of its declaration (its latest, on most pages), the
    verdict stored with it at submission, the one today's settings give and, for the latest
    version, its 核查 state (`schemas.inspection.InspectionState`; None where not shown). Every
    page shows a standing through this; the dashboard reads 20,000 of them as their `summary`,
    which `storage` keeps worked out."""

    version: int
    submitted_at: str
    stored: Verdict
    now: Verdict  # the school's own, under today's settings
    inspection: Any = None

    @property
    def changed(self) -> bool:
        """Today's verdict is not the stored one: another value, or other items among the gaps."""
        return self.now.differs_from(self.stored)

    @property
    def seen(self) -> Verdict:
        """The verdict the bureau sees: today's, with every item an inspection of this version
        found 不符 as a gap, whatever the school ticked."""
        return self.inspection.applied_to(self.now) if self.inspection is not None else self.now

    def summary(self) -> tuple:
        """The standing as the dashboard reads it, in the order of SUMMARY_COLUMNS."""
        seen, inspection = self.seen, self.inspection
        return (
            self.version,
            self.submitted_at,
            self.stored.value,
            seen.value,
            len(seen.legal_gaps),
            int(self.changed),
            self.now.value,
            inspection.value if inspection is not None else None,
            inspection.confirmed if inspection is not None else 0,
            inspection.rectify_by if inspection is not None else None,
        )


# What the dashboard keeps of a standing, one plain value each (see Standing.summary): the
# verdict the bureau sees (`verdict_now`, its legal gaps), whether today's settings changed the
# school's own (`changed`), the school's own (`verdict_own`) and the 核查 state.
SUMMARY_COLUMNS = (
    "version",
    "submitted_at",
    "verdict_stored",
    "verdict_now",
    "legal_gaps_now",
    "changed",
    "verdict_own",
    "inspection",
    "inspected_items",
    "rectify_by",
)


def gaps_in_words(stored: str | None) -> str:
    """Gaps as a version stores them (JSON) as people read them in a spreadsheet, each under its
    group's words: 条件二 学校基本防控条件具备：校园内已进行彻底消毒（需勾选）；……"""
    gaps = Verdict.stored(READY, json.loads(stored) if stored else []).gaps
    return "；".join(f"{g.group}：{g.label}（{g.requirement}）" for g in gaps)


@cache  # a model's fields are fixed once it is defined; a county's verdicts ask this per school
def condition_items(model=Declaration) -> tuple:
    """(field name, FieldInfo) of every item that counts toward a condition, in form order."""
    return tuple((name, info) for name, info in model.model_fields.items() if meta(info).get("condition"))


def verdict(declaration, settings: CountySettings, asked: Collection[str] | None = None) -> Verdict:
    """条件一 is the county's setting; 条件二 and 条件三 hold when every item of the group holds,
    county minimums included where the county has set them; 教学工作 gaps never decide.

    `asked`: the items the declaration's own schema version asked (None: all of them). An item a
    version did not ask is no gap of it: an older version is judged only on what it answered."""
    gaps: list[Gap] = []
    if not settings.epidemic_controlled:
        field = CountySettings.model_fields["epidemic_controlled"]
        gaps.append(Gap("epidemic_controlled", field.title, Condition.C1, EPIDEMIC_POLICY.url(), "需由教育局确认"))
    for name, info in condition_items(type(declaration)):
        if asked is not None and name not in asked:
            continue
        extra = meta(info)
        requires = extra["requires"]
        if not requires.holds(getattr(declaration, name), declaration, settings):
            gaps.append(
                Gap(name, info.title, extra["condition"], extra["policy"].url(), requires.gap_wording(settings))
            )
    legal_gaps = any(g.condition in LEGAL_CONDITIONS for g in gaps)
    return Verdict(NOT_READY if legal_gaps else READY, tuple(gaps))


def county_required(settings: CountySettings, model=Declaration) -> list[tuple[str, str]]:
    """(field, message) of each item a county standard that is set makes required."""
    return [
        (name, f"本县已设定{info.title.split('（')[0]}标准，请填写{info.title}")
        for name, info in condition_items(model)
        if meta(info)["requires"].requires_answer(settings)
    ]
