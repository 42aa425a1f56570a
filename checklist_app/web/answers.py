"""A declaration's answers as the forms post them and as the summary lists show them, for the
school's pages and the bureau's alike."""

from __future__ import annotations

from decimal import Decimal

from schemas import SECTIONS, Declaration, is_tick
from schemas.readiness import fields_asked

PROMISE = "truthful"


def raw_from_row(model, row: dict, keep_promise: bool = False) -> dict[str, str]:
    """A stored version's answers of one model as a form would post them."""
    raw: dict[str, str] = {}
    for name, info in model.model_fields.items():
        value = row.get(name)
        if value is None or (name == PROMISE and not keep_promise):
            continue
        if is_tick(info):
            if value:
                raw[name] = "y"
        elif isinstance(value, float):
            raw[name] = format(Decimal(str(value)).normalize(), "f")
        else:
            raw[name] = str(value)
    return raw


def answer_rows(model, raw: dict | None, previous: dict | None = None, asked=None, before_asked=None) -> list[dict]:
    """The answers of a section for a summary list; `changed` against a previous version.
    `asked`, `before_asked`: the fields the versions' schemas asked (None: all); others are
    shown as not asked (`schemas.readiness.fields_asked`)."""
    raw = raw or {}
    rows = []
    for name, info in model.model_fields.items():
        tick = is_tick(info)
        value = (name in raw) if tick else raw.get(name, "")
        row = {"name": name, "label": info.title, "tick": tick, "value": value, "changed": False}
        row["asked"] = asked is None or name in asked
        if previous is not None and raw.get(name) != previous.get(name):
            before = (name in previous) if tick else previous.get(name, "")
            row.update(changed=True, before=before, before_asked=before_asked is None or name in before_asked)
        rows.append(row)
    return rows


def version_answers(row: dict, previous: dict | None = None) -> list[dict]:
    """A declaration version's answers section by section ({"model", "rows"}), each row marked
    `changed` against the previous version when one is given."""
    answers = raw_from_row(Declaration, row, keep_promise=True)
    before = raw_from_row(Declaration, previous, keep_promise=True) if previous else None
    asked = fields_asked(row.get("schema_version"), row)
    before_asked = fields_asked(previous.get("schema_version"), previous) if previous else None
    return [{"model": model, "rows": answer_rows(model, answers, before, asked, before_asked)} for model in SECTIONS]
