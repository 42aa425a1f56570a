"""How a stored value reads for people in a spreadsheet (the XLSX and the CSV zip): codes as their
words, ticks as 是/否, gaps as text, settings as values, times as Beijing-time datetimes and dates
as dates. The SQLite download keeps the stored values; `codes()` gives its data dictionary the
same words. Pure functions: no SQLite, no Flask.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

from . import clock
from .base import base_type, is_tick, meta
from .dictionary import PUBLIC_TABLES
from .inspection import FINDINGS, judged_items
from .settings import CountySettings
from .verdict import VERDICT_LABELS, gaps_in_words

TICK_WORDS = {1: "是", 0: "否"}
BEIJING_OFFSET = "+08:00"
# Columns that are not model fields and hold a moment (ISO text with its offset).
MOMENTS = {
    "submitted_at",
    "created_at",
    "updated_at",
    "access_code_issued_at",
    "uploaded_at",
    "at",
    "taken_at",
    "added_at",
}
# What each action of the audit log did; a code not here is shown as it is stored.
ACTIONS = {
    "access_codes.issue": "发放访问码",
    "admin.create": "创建教育局账号",
    "team.assign": "分配检查组学校",
    "team.create": "创建检查组",
    "declaration.submit": "提交申报",
    "export.download": "下载数据",
    "inspection.submit": "提交核查结果",
    "ledger.correct": "更正台账日报",
    "ledger.demo": "载入演示台账",
    "login.failure": "登录失败",
    "login.success": "登录成功",
    "login.throttled": "登录受限",
    "login.unlock": "解除登录限制",
    "pledge_link.rotate": "更换承诺书链接",
    "retention.purge": "清除过期数据",
    "roster.upload": "上传教职工名册",
    "rollup.add": "汇入县级数据",
    "schools.import": "导入学校名单",
    "sessions.end": "结束登录会话",
    "settings.change": "修改县级设置",
}
SETTING_TITLES = {name: info.title for name, info in CountySettings.model_fields.items()}
# The codes of a finding's own columns: the item it is of (a column of `declarations`) and what was found.
FINDING_CODES = {"field": dict(judged_items()), "finding": FINDINGS}


def _field(table: str, column: str):
    public = PUBLIC_TABLES.get(table)
    model = public.model if public else None
    return model.model_fields.get(column) if model is not None else None


def codes(table: str, column: str) -> dict[Any, str]:
    """The words of a coded column's stored values ({} for a column that holds no codes)."""
    field = _field(table, column)
    if field is not None:
        if is_tick(field):
            return TICK_WORDS
        choices = meta(field).get("choices") or {}
        return choices if any(code != word for code, word in choices.items()) else {}
    return {
        "verdict": VERDICT_LABELS,
        "late": TICK_WORDS,
        "action": ACTIONS,
        "key": SETTING_TITLES if table == "settings" else {},
        **(FINDING_CODES if table == "inspection_findings" else {}),
    }.get(column, {})


def kind(table: str, column: str) -> str:
    """moment, date or value: how a spreadsheet should hold the column."""
    field = _field(table, column)
    if field is not None:
        annotation, _optional = base_type(field.annotation)
        return "date" if annotation is dt.date else "value"
    return "moment" if column in MOMENTS else "value"


def moment(stamp: str | None) -> dt.datetime | None:
    """A stored moment as a naive datetime in Beijing time: what a spreadsheet cell holds."""
    if not stamp:
        return None
    if stamp.endswith(BEIJING_OFFSET) and len(stamp) == 25:  # as the clock stores it: no conversion
        return dt.datetime.fromisoformat(stamp[:19])
    return clock.parse(stamp).replace(tzinfo=None)


def day(stamp: str | None) -> dt.date | None:
    return dt.date.fromisoformat(stamp[:10]) if stamp else None


def setting_value(key: str, stored: str | None) -> Any:
    """A setting's JSON as its value: 是/否, a number, a date, or its text (14:00)."""
    if stored is None:
        return None
    value = json.loads(stored)
    field = CountySettings.model_fields.get(key)
    if field is None or value is None:
        return value
    annotation, _optional = base_type(field.annotation)
    if annotation is bool:
        return TICK_WORDS[int(value)]
    if annotation is dt.date:
        return dt.date.fromisoformat(value)
    if annotation is dt.time:
        return value[:5]
    return value


def _reader(table: str, column: str) -> Callable[[Any], Any] | None:
    if column == "gaps":
        return gaps_in_words
    words = codes(table, column)
    if words:
        return lambda value: words.get(value, value)
    return {"moment": moment, "date": day}.get(kind(table, column))


def row_reader(table: str, columns: list[str]) -> Callable[[tuple], tuple]:
    """A function from a stored row (of `columns`) to the row as people read it."""
    readers = [(i, r) for i, c in enumerate(columns) if (r := _reader(table, c)) is not None]
    setting = (columns.index("key"), columns.index("value")) if table == "settings" and "value" in columns else None

    if not readers and setting is None:
        return tuple

    def read(row: tuple) -> tuple:
        out = list(row)
        for index, reader in readers:
            if out[index] is not None:
                out[index] = reader(out[index])
        if setting is not None:
            out[setting[1]] = setting_value(row[setting[0]], row[setting[1]])
        return tuple(out)

    return read
