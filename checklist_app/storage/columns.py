"""Columns from the models in `schemas/`: a new field is a new column, added by `checklist init`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from schemas import Declaration, is_tick


def column_type(annotation: Any) -> type:
    """The SQLite column type for a model field: INTEGER, REAL or TEXT."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and get_origin(annotation) is not Literal and args:
        return column_type(args[0])
    if annotation in (bool, int):
        return int
    if annotation in (float, Decimal):
        return float
    return str  # str, Literal choices, date, time (ISO text)


def model_columns(model: type[BaseModel]) -> dict[str, type]:
    return {name: column_type(info.annotation) for name, info in model.model_fields.items()}


def to_row(instance: BaseModel) -> dict[str, Any]:
    """A model instance as column values: ticks 0/1, decimals REAL, dates and times ISO text."""
    row: dict[str, Any] = {}
    for name, value in instance:
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, (dt.date, dt.time)):
            value = value.isoformat()
        row[name] = value
    return row


def declaration_from_row(row: dict) -> BaseModel:
    """A stored version as the Declaration model, to recompute its verdict under today's settings.

    `model_construct`: the row was valid when submitted; a later rule must not hide it.
    """
    values = {k: row[k] for k in Declaration.model_fields if k in row}
    for name in _DECLARATION_TICKS:
        if values.get(name) is not None:
            values[name] = bool(values[name])
    return Declaration.model_construct(**values)


# the dashboard turns every school's latest row into a model: look the ticks up once
_DECLARATION_TICKS = tuple(name for name, info in Declaration.model_fields.items() if is_tick(info))
