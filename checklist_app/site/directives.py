"""The directive registry (文件通知): front matter in, Markdown tables out.

Each page under ``content/directives/`` describes one document the speech cites,
with the front matter keys of ``spec/directive.md``. These plain functions read
and check that front matter and render the registry's index and each page's
header. No MkDocs here: the site hook calls them, the tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass
from typing import Iterable

import yaml

# The spec's keys and their labels, in the spec's order.
LABELS: dict[str, str] = {
    "title": "标题",
    "issuer": "发文机关",
    "doc_number": "发文字号",
    "written_on": "成文日期",
    "published_on": "发布日期",
    "effective_from": "施行日期",
    "category": "主题分类",
    "status": "有效性",
    "disclosure": "公开属性",
    "summary": "内容概述",
    "duties": "对学校和教职工的要求",
}
CATEGORIES = ("疫情防控", "网上教学", "开学工作", "纪律要求")
STATUSES = ("有效", "失效", "废止")
DISCLOSURES = ("主动公开", "依申请公开")
SUMMARY_MAX = 100
MISSING = "—"
NONE_IN_CATEGORY = "暂无文件。"

# Which date says how new a document is, in order of preference.
DATE_KEYS = ("published_on", "written_on", "effective_from")
REQUIRED = ("title", "issuer", "category", "summary", "duties")
# A date the source gives without its year (施行日期 2月26日) is kept so, never given a guessed year.
MONTH_DAY = re.compile(r"\A(1[0-2]|[1-9])[月](3[01]|[12][0-9]|[1-9])[日]\Z")  # [月]: no paren beside a Han character
# Columns of the index table; category is the section the table sits in, the
# three dates share one column, and 公开属性 is shown on each page.
INDEX_COLUMNS = ("title", "issuer", "doc_number", "dates", "status", "summary")
DATES_LABEL = "日期"

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\r?\n(.*?)\r?\n(?:-{3}|\.{3})[ \t]*(?:\r?\n|\Z)", re.S)
_MARKDOWN_LINK = re.compile(r"\A\[[^\[\]]+\]\([^()\s]+\)\Z")


class DirectiveError(ValueError):
    """A directive page whose front matter breaks the spec."""


@dataclass(frozen=True)
class Directive:
    path: str  # the page's path in the docs dir, e.g. "directives/leave-rule.md"
    title: str
    issuer: str
    doc_number: str | None
    written_on: dt.date | None
    published_on: dt.date | None
    effective_from: dt.date | str | None  # an ISO date, or a month-day such as 2月26日
    category: str
    status: str | None
    disclosure: str | None
    summary: str
    duties: tuple[str, ...]

    @property
    def newest_date(self) -> dt.date | None:
        """The date the registry sorts by: published, else written, else effective (a month-day
        without its year cannot be placed among dates, so it does not count)."""
        for key in DATE_KEYS:
            value = getattr(self, key)
            if isinstance(value, dt.date):
                return value
        return None

    def display(self, key: str) -> str:
        """A field as the registry shows it: ISO dates, — for a missing value."""
        value = getattr(self, key)
        if value is None or value == "":
            return MISSING
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return (front matter as a dict, the Markdown after it)."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return {}, text
    data = yaml.safe_load(match.group(1)) or {}
    if not isinstance(data, dict):
        raise DirectiveError("front matter is not a mapping")
    return data, text[match.end():]


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise ValueError("a date without a time is expected")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"not a date: {value!r}")


def _effective(value: object) -> dt.date | str | None:
    """施行日期: an ISO date, or a month-day as the source gives it (2月26日)."""
    if isinstance(value, str) and MONTH_DAY.match(value.strip()):
        return value.strip()
    return _date(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def problems(meta: dict) -> list[str]:
    """Every way a front matter breaks spec/directive.md; empty when it is sound."""
    found = []
    unknown = sorted(set(meta) - set(LABELS))
    if unknown:
        found.append(f"unknown keys {unknown}; the keys are {list(LABELS)}")
    for key in REQUIRED:
        if key == "duties":
            continue
        if _text(meta.get(key)) is None:
            found.append(f"{key} ({LABELS[key]}) is required")
    for key in DATE_KEYS:
        try:
            (_effective if key == "effective_from" else _date)(meta.get(key))
        except ValueError:
            also = " or a month-day such as 2月26日" if key == "effective_from" else ""
            found.append(f"{key} ({LABELS[key]}) must be an ISO date{also} or empty, not {meta.get(key)!r}")
    checks = (("category", CATEGORIES, False), ("status", STATUSES, True), ("disclosure", DISCLOSURES, True))
    for key, allowed, optional in checks:
        value = _text(meta.get(key))
        if value is not None and value not in allowed:
            empty = " or empty" if optional else ""
            found.append(f"{key} ({LABELS[key]}) must be one of {list(allowed)}{empty}, not {value!r}")
    summary = _text(meta.get("summary")) or ""
    if len(summary) > SUMMARY_MAX:
        found.append(f"summary has {len(summary)} characters; at most {SUMMARY_MAX}")
    duties = meta.get("duties")
    if not isinstance(duties, list) or not duties:
        found.append("duties must be a non-empty list")
    else:
        for duty in duties:
            if not isinstance(duty, str) or not _MARKDOWN_LINK.match(duty.strip()):
                found.append(f"each duty must be one Markdown link [text](page.md#heading), not {duty!r}")
    return found


def parse_directive(path: str, text: str) -> Directive:
    """Read one directive page (its whole source) into a Directive, or raise DirectiveError."""
    try:
        meta, _ = split_front_matter(text)
    except yaml.YAMLError as error:
        raise DirectiveError(f"{path}: front matter is not valid YAML: {error}") from error
    if not meta:
        raise DirectiveError(f"{path}: no front matter")
    found = problems(meta)
    if found:
        raise DirectiveError(f"{path}: " + "; ".join(found))
    return Directive(
        path=path,
        title=_text(meta["title"]),
        issuer=_text(meta["issuer"]),
        doc_number=_text(meta.get("doc_number")),
        written_on=_date(meta.get("written_on")),
        published_on=_date(meta.get("published_on")),
        effective_from=_effective(meta.get("effective_from")),
        category=_text(meta["category"]),
        status=_text(meta.get("status")),
        disclosure=_text(meta.get("disclosure")),
        summary=_text(meta["summary"]),
        duties=tuple(duty.strip() for duty in meta["duties"]),
    )


def newest_first(directives: Iterable[Directive]) -> list[Directive]:
    """Dated documents newest first; undated ones after them, by title."""
    items = list(directives)
    dated = sorted((d for d in items if d.newest_date), key=lambda d: (d.newest_date, d.title), reverse=True)
    undated = sorted((d for d in items if not d.newest_date), key=lambda d: d.title)
    return dated + undated


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _dates_cell(directive: Directive) -> str:
    """The dates a document has, each with its label, one per line; — when none."""
    dates = [f"{LABELS[key]} {directive.display(key)}" for key in ("written_on", "published_on", "effective_from")
             if getattr(directive, key) is not None]
    return "<br>".join(dates) or MISSING


def category_anchor(category: str) -> str:
    """The heading id of a category's section (the toc slugify keeps Chinese as is)."""
    return category


def render_index(directives: Iterable[Directive], index_path: str) -> str:
    """The registry: links to each category, then one table per category, newest first."""
    items = newest_first(directives)
    base = posixpath.dirname(index_path)
    header = "| " + " | ".join(LABELS.get(key, DATES_LABEL) for key in INDEX_COLUMNS) + " |"
    rule = "|" + "---|" * len(INDEX_COLUMNS)
    counts = {c: sum(1 for d in items if d.category == c) for c in CATEGORIES}
    lines = [
        " · ".join(f"[{c}（{counts[c]}）](#{category_anchor(c)})" for c in CATEGORIES),
        "",
    ]
    for category in CATEGORIES:
        lines += [f"## {category}", ""]
        rows = [d for d in items if d.category == category]
        if not rows:
            lines += [NONE_IN_CATEGORY, ""]
            continue
        lines += ['<div class="registry" markdown>', "", header, rule]
        for d in rows:
            link = posixpath.relpath(d.path, base) if base else d.path
            cells = [f"[{_cell(d.title)}]({link})"]
            cells += [_dates_cell(d) if key == "dates" else _cell(d.display(key)) for key in INDEX_COLUMNS[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "</div>", ""]
    return "\n".join(lines)


def render_header(directive: Directive) -> str:
    """The top of a directive page: its title and a table of its catalogue fields."""
    lines = [f"# {directive.title}", "", '<div class="catalogue" markdown>', "", "| 项目 | 内容 |", "|---|---|"]
    for key in LABELS:
        if key in ("title", "duties"):
            continue
        lines.append(f"| {LABELS[key]} | {_cell(directive.display(key))} |")
    lines += ["", "</div>"]
    return "\n".join(lines) + "\n\n"


def render_duties(directive: Directive) -> str:
    """The end of a directive page: the duties it puts on schools and staff, as links."""
    lines = [f"## {LABELS['duties']}", ""]
    lines += [f"- {duty}" for duty in directive.duties]
    return "\n".join(lines) + "\n"
