"""An inspection (检查核实): what an inspection team found at a school, item by item, against one
submitted version of its declaration (`spec/inspection.md`).

The items are the declaration's own judged items (`verdict.condition_items`), so an item added
to the declaration is one the teams check. The model, its rules, and the 核查 state a school's
standing shows beside its verdict are pure: no Flask, no SQLite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, ClassVar, Iterable, Literal

from pydantic import AfterValidator, create_model

from .base import ChecklistModel, Rule, item, meta, not_in_future
from .readiness import Declaration
from .verdict import LEGAL_CONDITIONS, NOT_READY, READY, Gap, Verdict, condition_items

# What the team found of one item: its code and its words.
CONFIRMED, CONTRADICTED, UNCHECKED = "confirmed", "contradicted", "unchecked"
FINDINGS = {CONFIRMED: "相符", CONTRADICTED: "不符", UNCHECKED: "未核查"}
NOTE_MAX_LENGTH = 300

# The 核查 state of a school's latest version: its code and its words. 不符 says what the team saw
# differs from the declaration (things change), never that the school lied.
UNINSPECTED, RECHECK = "uninspected", "recheck"
STATE_LABELS = {UNINSPECTED: "未核查", CONFIRMED: "核查相符", CONTRADICTED: "核查不符", RECHECK: "待复查"}
# The verdict the bureau sees once an inspection found an item 不符: no longer the school's self-check alone.
FOUND_NOT_READY = "不符合开学条件"


def finding_field(item_name: str) -> str:
    return f"finding_{item_name}"


def note_field(item_name: str) -> str:
    return f"note_{item_name}"


@cache
def judged_items() -> tuple[tuple[str, str], ...]:
    """(field, label) of every item an inspection checks, in form order."""
    return tuple((name, info.title) for name, info in condition_items(Declaration))


PastDate = Annotated[dt.date, AfterValidator(not_in_future)]


class InspectionFields(ChecklistModel):
    """The whole inspection's fields (one column each in `inspections`)."""

    inspected_on: PastDate = item("核查日期")
    inspectors: str = item("核查人员", help="到校核查的检查组成员姓名", min_length=2, max_length=60)
    summary: str | None = item("核查意见", max_length=2000, widget="textarea", default=None)
    rectify_by: dt.date | None = item("整改期限", help="有核查不符的事项时必填，不能早于核查日期", default=None)


def _finding_fields() -> dict:
    fields: dict = {}
    for name, label in judged_items():
        fields[finding_field(name)] = (
            Literal[tuple(FINDINGS)],  # type: ignore[valid-type]
            item(label, choices=FINDINGS, default=UNCHECKED, messages={"literal_error": f"请选择“{label}”的核查结果"}),
        )
        fields[note_field(name)] = (
            str | None,
            item(
                "情况说明",
                help="核查不符时必填",
                max_length=NOTE_MAX_LENGTH,
                widget="textarea",
                default=None,
                messages={"string_too_long": f"“{label}”的情况说明不能超过{NOTE_MAX_LENGTH}个字"},
            ),
        )
    return fields


def _contradicted(m) -> list[str]:
    return [name for name, _ in judged_items() if getattr(m, finding_field(name)) == CONTRADICTED]


def _rules() -> tuple[Rule, ...]:
    notes = tuple(
        Rule(
            note_field(name),
            lambda m, name=name: getattr(m, finding_field(name)) != CONTRADICTED or bool(getattr(m, note_field(name))),
            f"“{label}”核查不符，请填写情况说明",
        )
        for name, label in judged_items()
    )
    first = finding_field(judged_items()[0][0])
    return (
        Rule(
            first, lambda m: any(getattr(m, finding_field(n)) != UNCHECKED for n, _ in judged_items()), "请至少核查一项"
        ),
        *notes,
        Rule(
            "rectify_by", lambda m: m.rectify_by is not None or not _contradicted(m), "有核查不符的事项，请填写整改期限"
        ),
        Rule(
            "rectify_by",
            lambda m: m.rectify_by is None or m.rectify_by >= m.inspected_on,
            "整改期限不能早于核查日期",
        ),
    )


# The findings item by item, then the whole inspection's fields: one form, one page on a phone.
Inspection = create_model(
    "Inspection",
    __base__=ChecklistModel,
    **_finding_fields(),
    **{name: (info.annotation, info) for name, info in InspectionFields.model_fields.items()},
)
Inspection.rules = _rules()


@dataclass(frozen=True)
class Finding:
    """One item as a team found it (a row of `inspection_findings`)."""

    field: str
    finding: str
    note: str | None = None

    @property
    def label(self) -> str:
        return Declaration.model_fields[self.field].title

    @property
    def words(self) -> str:
        return FINDINGS[self.finding]


def findings_of(inspection) -> tuple[Finding, ...]:
    """Every judged item's finding of an `Inspection`, in form order."""
    return tuple(
        Finding(name, getattr(inspection, finding_field(name)), getattr(inspection, note_field(name)) or None)
        for name, _ in judged_items()
    )


@dataclass(frozen=True)
class ContradictedGap(Gap):
    """An item an inspection of the school's latest version found 不符: a gap whatever the school
    ticked, shown with the team's note and the deadline to put it right."""

    note: str = ""
    rectify_by: str | None = None
    contradicted: ClassVar[bool] = True


@dataclass(frozen=True)
class InspectionState:
    """The 核查 state of a school's latest version, from its latest inspection.

    `contradicted` holds the items found 不符 only while that inspection is of the latest version:
    once the school declares again, its new version is its own until a team looks again (待复查)."""

    value: str
    confirmed: int = 0  # items found 相符 by the inspection the state is of
    inspected_version: int | None = None
    rectify_by: str | None = None
    contradicted: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        """未核查, 「已核查N项，均相符」 (a partial check never reads as a full one), 核查不符, 待复查."""
        if self.value == CONFIRMED:
            return f"已核查{self.confirmed}项，均相符"
        return STATE_LABELS[self.value]

    @property
    def inspected(self) -> bool:
        return self.value != UNINSPECTED

    def overdue(self, today: dt.date) -> bool:
        """整改期限 passed with no new version since."""
        return self.value == CONTRADICTED and bool(self.rectify_by) and self.rectify_by < today.isoformat()

    def applied_to(self, verdict: Verdict) -> Verdict:
        """The verdict with every item found 不符 as a gap (in place of the school's own gap for
        it), in form order after 条件一: the verdict the bureau sees."""
        if not self.contradicted:
            return verdict
        found = {f.field: f for f in self.contradicted}
        own = {g.field: g for g in verdict.gaps}
        gaps = [g for g in verdict.gaps if g.field not in Declaration.model_fields]  # 条件一, the county's
        for name, info in condition_items():
            if name in found:
                extra = meta(info)
                gaps.append(
                    ContradictedGap(
                        name,
                        info.title,
                        extra["condition"],
                        extra["policy"].url(),
                        extra["requires"].wording,
                        note=found[name].note or "",
                        rectify_by=self.rectify_by,
                    )
                )
            elif name in own:
                gaps.append(own[name])
        legal = any(g.condition in LEGAL_CONDITIONS for g in gaps)
        return Verdict(NOT_READY if legal else READY, tuple(gaps))


NOT_INSPECTED = InspectionState(UNINSPECTED)


def inspection_state(
    latest_version: int,
    inspected_version: int | None,
    findings: Iterable[Finding] = (),
    rectify_by: str | None = None,
    confirmed: int | None = None,
) -> InspectionState:
    """The 核查 state of a school whose latest version is `latest_version`, from its latest
    inspection (of `inspected_version`, None for none): 未核查; 待复查 when the school has declared
    a version after the one inspected (whatever that inspection found: a later version never
    inherits 核查相符); else 核查不符 when any item was found 不符, 核查相符 when none was.

    `confirmed`: how many items were found 相符, when `findings` leaves them out (a county's
    standings are worked out from counts, not from every finding)."""
    if inspected_version is None:
        return NOT_INSPECTED
    findings = tuple(findings)
    if confirmed is None:
        confirmed = sum(f.finding == CONFIRMED for f in findings)
    if latest_version > inspected_version:
        return InspectionState(RECHECK, confirmed, inspected_version)
    contradicted = tuple(f for f in findings if f.finding == CONTRADICTED)
    if contradicted:
        return InspectionState(CONTRADICTED, confirmed, inspected_version, rectify_by, contradicted)
    return InspectionState(CONFIRMED, confirmed, inspected_version)
