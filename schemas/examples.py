"""Valid answers made from the models themselves, for the demo county, the tests and the benches.

Every field is walked in order: a tick is ticked, a choice takes its first option, a date is
today, a count its least bound, a text one person's name fitted to its bounds, a phone a mainland
mobile; an item that counts toward a condition takes the least value that meets it under the
county's settings. Only the eight place counts are an ordinary school's own figures (a total the
sum of its places). A new item of any of these kinds needs no edit here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import clock
from .base import PHONE_PATTERN, base_type, bounds, is_tick, meta
from .ledger import LedgerReport
from .places import PlaceCounts
from .pledge import Pledge
from .readiness import Declaration
from .settings import CountySettings

# An ordinary school: 50 staff and 600 students, most of them in the county.
PLACES = {
    "staff_total": 50,
    "staff_in_county": 45,
    "staff_out_county_in_province": 3,
    "staff_out_of_province": 2,
    "students_total": 600,
    "students_in_county": 590,
    "students_out_county_in_province": 6,
    "students_out_of_province": 4,
}
PlaceCounts.model_validate(PLACES)  # every count, and the places add up to the totals
PRINCIPAL, PRINCIPAL_PHONE = "王校长", "13812345678"
TEACHER, TEACHER_PHONE = "李老师", "13912345678"
REPORTER = "赵主任"


def declaration_answers(settings: CountySettings | None = None, person: str = PRINCIPAL, **changes) -> dict:
    """A declaration meeting every condition item under `settings` (the defaults when None)."""
    return answers(Declaration, settings, person=person, mobile=PRINCIPAL_PHONE, **changes)


def pledge_answers(person: str = TEACHER, **changes) -> dict:
    return answers(Pledge, person=person, mobile=TEACHER_PHONE, **changes)


def ledger_answers(person: str = REPORTER, **changes) -> dict:
    return answers(LedgerReport, person=person, mobile=PRINCIPAL_PHONE, **changes)


def answers(
    model: type[BaseModel],
    settings: CountySettings | None = None,
    *,
    person: str,
    mobile: str,
    **changes: Any,
) -> dict:
    """Valid answers to `model` as a form posts them (dates ISO, decimals as text); `changes`
    replace what they name, None leaves a field out. Optional fields are left out, unless a
    condition judges them."""
    settings = settings or CountySettings()
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in changes and (is_tick(info) or info.is_required() or meta(info).get("requires")):
            values[name] = _value(name, info, person, mobile)
    known = SimpleNamespace(**{**values, **{k: _typed(model, k, v) for k, v in changes.items()}})
    for name, info in model.model_fields.items():
        requires = meta(info).get("requires")
        if name in values and requires and not is_tick(info):
            try:
                least = _least_meeting(info, lambda v, r=requires: r.holds(v, known, settings))
            except (AttributeError, TypeError):  # the changes left out or spoilt what it reads
                least = None
            values[name] = values[name] if least is None else least  # None: nothing meets it
            setattr(known, name, values[name])
    values.update(changes)
    ordered = {name: values[name] for name in model.model_fields if name in values} | values
    return {name: _posted(value) for name, value in ordered.items() if value is not None}


def _value(name: str, info, person: str, mobile: str) -> Any:
    kind, _optional = base_type(info.annotation)
    limits = bounds(info)
    if is_tick(info):
        return True
    if meta(info).get("choices"):
        return next(iter(meta(info)["choices"]))
    if kind is dt.date:
        return clock.today()
    if kind is dt.time:
        return dt.time(8, 0)
    if kind is int:
        return PLACES.get(name, limits.get("ge", 0))
    if kind in (Decimal, float):
        return kind(limits.get("ge", 0))
    pattern = next((m.pattern for m in info.metadata if getattr(m, "pattern", None)), None)
    if pattern == PHONE_PATTERN:
        return mobile
    if pattern is not None:
        raise ValueError(f"no example for the pattern of {name}: {pattern}")
    return person.ljust(limits.get("min_length", 0), "某")[: limits.get("max_length")]


def _least_meeting(info, meets) -> int | None:
    """The least count the requirement accepts: from the least bound up, halving the distance to
    the greatest bound (requirements of the kind "at least" or "exactly")."""
    limits = bounds(info)
    low, high = limits.get("ge", 0), limits.get("le", 10**9)
    for value in range(low, min(low + 1000, high) + 1):
        if meets(value):
            return value
    low += 1000
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle + 1, high)
    return low if meets(low) else None


def _typed(model, name: str, value: Any) -> Any:
    """A given answer as the rules read it ("50" → 50), or as it is when it is not valid."""
    if name not in model.model_fields or value is None:
        return value
    try:
        return TypeAdapter(model.model_fields[name].annotation).validate_python(value)
    except ValidationError:
        return value


def _posted(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
