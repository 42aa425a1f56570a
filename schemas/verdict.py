"""The verdict: may this school reopen (三个不开学), and what is missing. A pure function."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import cache

from .base import Condition, meta
from .readiness import Declaration
from .settings import EPIDEMIC_POLICY, CountySettings

READY = "ready"
NOT_READY = "not_ready"
VERDICT_LABELS = {READY: "具备开学条件", NOT_READY: "不具备开学条件"}
LEGAL_CONDITIONS = (Condition.C1, Condition.C2, Condition.C3)


@dataclass(frozen=True)
class Gap:
    field: str
    label: str
    condition: str
    policy_url: str  # path on the policy site, e.g. "/prevention/management/#校园管理"
    requirement: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    value: str
    gaps: tuple[Gap, ...]

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.value]

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
        """The gaps that keep a school from reopening (三个不开学), teaching readiness aside."""
        return tuple(g for g in self.gaps if g.condition in LEGAL_CONDITIONS)

    def gaps_for(self, condition: str) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.condition == condition)


@cache  # a model's fields are fixed once it is defined; a county's verdicts ask this per school
def condition_items(model=Declaration) -> tuple:
    """(field name, FieldInfo) of every item that counts toward a condition, in form order."""
    return tuple((name, info) for name, info in model.model_fields.items() if meta(info).get("condition"))


def verdict(declaration, settings: CountySettings) -> Verdict:
    gaps: list[Gap] = []
    if not settings.epidemic_controlled:
        field = CountySettings.model_fields["epidemic_controlled"]
        gaps.append(Gap("epidemic_controlled", field.title, Condition.C1, EPIDEMIC_POLICY.url(), "需由教育局确认"))
    for name, info in condition_items(type(declaration)):
        extra = meta(info)
        if not extra["requires"].holds(getattr(declaration, name), declaration, settings):
            gaps.append(Gap(name, info.title, extra["condition"], extra["policy"].url(), extra["requires"].wording))
    legal_gaps = any(g.condition in LEGAL_CONDITIONS for g in gaps)
    return Verdict(NOT_READY if legal_gaps else READY, tuple(gaps))
