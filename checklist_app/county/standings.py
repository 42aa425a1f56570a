"""The county at a glance: each school's standing now, the counts, the table's filters and sort,
the charts' data and the lists to copy into a message.

Plain functions over the rows `storage` returns (no Flask, no SQL). The verdict shown is the one
under today's settings of each school's latest declaration (`storage` keeps it worked out); the
stored one is the verdict at submission, kept beside it so a page can show both where they differ.
"""

from __future__ import annotations

import heapq
from collections import namedtuple
from dataclasses import dataclass
from typing import Mapping

from schemas import NOT_READY, READY, VERDICT_LABELS, declares
from schemas.collation import by_pinyin, pinyin_key, school_order
from schemas.inspection import CONFIRMED, CONTRADICTED, RECHECK, STATE_LABELS, UNINSPECTED, InspectionState

from .. import storage
from . import charts

UNDECLARED = "undeclared"
BUREAU = "bureau"
STATUS_LABELS = {**VERDICT_LABELS, UNDECLARED: "未申报", BUREAU: "机关（不申报）"}
STATUS_ORDER = {READY: 0, NOT_READY: 1, UNDECLARED: 2, BUREAU: 3}

SORTS = {
    "township": "乡镇",
    "code": "学校代码",
    "name": "学校名称",
    "kind": "类型",
    "verdict": "判定",
    "inspection": "核查",
    "gaps": "缺项",
    "submitted_at": "申报时间",
    "pledges": "承诺书",
}
VERDICT_FILTERS = {READY: STATUS_LABELS[READY], NOT_READY: STATUS_LABELS[NOT_READY], UNDECLARED: "未申报"}
INSPECTION_FILTERS = STATE_LABELS
INSPECTION_ORDER = {CONTRADICTED: 0, RECHECK: 1, UNINSPECTED: 2, CONFIRMED: 3}  # what to chase first
COMPLETION_CHART_ROWS = 40
# Up to this many people not signed county-wide, the dashboard lists their names to copy into a
# message; above it (a province) it lists the schools with the most of them, each linking to its
# page and that school's list, so a page never carries a hundred thousand names.
UNSIGNED_NAMES_LIMIT = 2_000
UNSIGNED_SCHOOLS_SHOWN = 100
OVERDUE_SHOWN = 200  # the earliest deadlines first; a province filters by township for the rest

READINESS_SERIES = (
    charts.Series(STATUS_LABELS[READY], "#00703c"),
    charts.Series(STATUS_LABELS[NOT_READY], "#b3261e"),
    charts.Series(STATUS_LABELS[UNDECLARED], "#6f777b"),
)


class SchoolRow(namedtuple("SchoolRow", storage.SCHOOL_ROW_COLUMNS)):
    """One organisation's row on the dashboard: the columns of `storage.school_rows` (its counts,
    then the summary of its `schemas.Standing`: the verdict now and as stored, `changed` when the
    two differ in verdict or gaps), and what follows from them. A tuple: a province makes 20,000
    at each change of data, and tuples of plain values cost the least to make and to collect."""

    __slots__ = ()

    @property
    def is_bureau(self) -> bool:
        return not declares(self.kind)

    @property
    def status(self) -> str:
        if self.is_bureau:
            return BUREAU
        return self.verdict_now or UNDECLARED

    @property
    def inspection_state(self) -> InspectionState | None:
        """The 核查 state its standing stores, None where the school has not declared."""
        if not self.inspection:
            return None
        return InspectionState(self.inspection, self.inspected_items, rectify_by=self.rectify_by)

    @property
    def inspection_label(self) -> str | None:
        """The 核查 state in words (「已核查N项，均相符」), None where the school has not declared."""
        return self.inspection_state.label if self.inspection else None

    @property
    def completion(self) -> float | None:
        return self.roster_signed / self.roster_size if self.roster_size else None

    @property
    def unsigned(self) -> int:
        """People on the roster who have not signed the current pledge."""
        return self.roster_size - self.roster_signed


def counts(rows: list[SchoolRow]) -> dict[str, int]:
    """The dashboard's headline numbers. The bureau's own organisation declares no readiness and
    is left out of the readiness counts; its cadres' pledges count."""
    schools = changed = found_not_ready = pledges = roster_size = roster_signed = without_roster = 0
    verdicts = {READY: 0, NOT_READY: 0, None: 0}  # None: not declared
    inspections = {UNINSPECTED: 0, CONFIRMED: 0, CONTRADICTED: 0, RECHECK: 0, None: 0}
    for r in rows:  # one pass: a province has 20,000 rows
        pledges += r.pledges
        roster_size += r.roster_size
        roster_signed += r.roster_signed
        without_roster += not r.roster_size
        if declares(r.kind):
            schools += 1
            verdicts[r.verdict_now] += 1
            changed += bool(r.changed)
            found_not_ready += r.verdict_own == READY and r.verdict_now == NOT_READY
            inspections[r.inspection] += 1
    return {
        "inspected": inspections[CONFIRMED] + inspections[CONTRADICTED] + inspections[RECHECK],
        "inspection_confirmed": inspections[CONFIRMED],
        "inspection_contradicted": inspections[CONTRADICTED],
        "inspection_recheck": inspections[RECHECK],
        "schools": schools,
        "declared": schools - verdicts[None],
        "ready": verdicts[READY],
        "not_ready": verdicts[NOT_READY],
        "undeclared": verdicts[None],
        "changed": changed,
        "found_not_ready": found_not_ready,  # ready by its own check, not by the team's findings
        "pledges": pledges,
        "roster_size": roster_size,
        "roster_signed": roster_signed,
        "without_roster": without_roster,
    }


# --- the table: filters and sort from the query string ---------------------------------------


@dataclass(frozen=True)
class TableQuery:
    township: str = ""
    kind: str = ""
    verdict: str = ""
    inspection: str = ""
    sort: str = "township"
    order: str = "asc"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "TableQuery":
        """Unknown values are ignored, never an error: a hand-edited link still shows a page."""
        sort = args.get("sort", "township")
        return cls(
            township=args.get("township", "").strip(),
            kind=args.get("kind", "").strip(),
            verdict=args.get("verdict", "") if args.get("verdict") in VERDICT_FILTERS else "",
            inspection=args.get("inspection", "") if args.get("inspection") in INSPECTION_FILTERS else "",
            sort=sort if sort in SORTS else "township",
            order="desc" if args.get("order") == "desc" else "asc",
        )

    def args(self, **changes: str) -> dict[str, str]:
        """The query string of this view with some parameters changed (empty ones dropped)."""
        values = {
            "township": self.township,
            "kind": self.kind,
            "verdict": self.verdict,
            "inspection": self.inspection,
            "sort": self.sort,
            "order": self.order,
            **changes,
        }
        defaults = {("sort", "township"), ("order", "asc")}
        return {k: v for k, v in values.items() if v and (k, v) not in defaults}

    def sort_args(self, column: str) -> dict[str, str]:
        """Clicking a column header sorts by it; clicking the sorted column again reverses."""
        order = "desc" if column == self.sort and self.order == "asc" else "asc"
        return self.args(sort=column, order=order)

    @property
    def filtered(self) -> bool:
        return bool(self.township or self.kind or self.verdict or self.inspection)


def _sort_key(column: str):
    keys = {
        "township": lambda r: pinyin_key(r.township),
        "code": lambda r: r.code,
        "name": lambda r: pinyin_key(r.name),
        "kind": lambda r: pinyin_key(r.kind),
        "verdict": lambda r: STATUS_ORDER[r.status],
        "inspection": lambda r: INSPECTION_ORDER.get(r.inspection),
        "gaps": lambda r: r.legal_gaps_now if r.verdict_now is not None else None,
        "submitted_at": lambda r: r.submitted_at,
        "pledges": lambda r: r.completion,
    }
    return keys[column]


def select(rows: list[SchoolRow], query: TableQuery) -> list[SchoolRow]:
    """The rows the filters let through, sorted; rows without a value for the sort go last.
    `rows` come in school order (by township, then name: `County.rows`), which every sort keeps
    among equals and which the default sort is, so that view sorts nothing."""
    chosen = (
        [
            r
            for r in rows
            if (not query.township or r.township == query.township)
            and (not query.kind or r.kind == query.kind)
            and (not query.verdict or r.status == query.verdict)
            and (not query.inspection or r.inspection == query.inspection)
        ]
        if query.filtered
        else list(rows)
    )
    if query.sort == "township" and query.order == "asc":
        return chosen
    key = _sort_key(query.sort)
    present = [r for r in chosen if key(r) is not None]
    missing = [r for r in chosen if key(r) is None]
    present.sort(key=key, reverse=query.order == "desc")
    return present + missing


def choices(rows: list[SchoolRow]) -> dict[str, list[str]]:
    return {
        "township": by_pinyin({r.township for r in rows}),
        "kind": by_pinyin({r.kind for r in rows}),
    }


@dataclass(frozen=True)
class TownshipInspections:
    """One township's schools as declared and as inspected."""

    township: str
    schools: int = 0
    declared_ready: int = 0  # the school's own verdict: 自查符合开学条件
    inspected: int = 0
    confirmed: int = 0
    contradicted: int = 0
    recheck: int = 0


def inspections_by_township(rows: list[SchoolRow]) -> list[TownshipInspections]:
    """Per township (by pinyin): schools, declared ready, inspected, 核查相符, 核查不符, 待复查."""
    towns: dict[str, list[int]] = {}
    for r in rows:
        if not declares(r.kind):
            continue
        town = towns.setdefault(r.township, [0] * 6)
        town[0] += 1
        town[1] += r.verdict_own == READY
        town[2] += r.inspection in (CONFIRMED, CONTRADICTED, RECHECK)
        town[3] += r.inspection == CONFIRMED
        town[4] += r.inspection == CONTRADICTED
        town[5] += r.inspection == RECHECK
    return [TownshipInspections(town, *values) for town, values in sorted(towns.items(), key=_town_key)]


# --- lists to copy into a message ------------------------------------------------------------


def _by_group(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group, item in pairs:
        groups.setdefault(group, []).append(item)
    return groups


def grouped_text(heading: str, pairs: list[tuple[str, str]]) -> str:
    """A list to paste into a message: the heading, then one line per group, "group：a、b",
    groups and names by pinyin."""
    ordered = sorted(pairs, key=lambda pair: (pinyin_key(pair[0]), pinyin_key(pair[1])))
    return "\n".join([heading] + [f"{group}：{'、'.join(items)}" for group, items in _by_group(ordered).items()])


def _town_key(item: tuple) -> tuple:
    return pinyin_key(item[0])


def undeclared_text(rows: list[SchoolRow]) -> str:
    """未申报名单: the schools that have not declared yet, by township."""
    missing = [r for r in rows if r.status == UNDECLARED]
    if not missing:
        return ""
    heading = f"未申报开学准备情况的学校（共 {len(missing)} 所）："
    return grouped_text(heading, [(r.township, r.name) for r in missing])


@dataclass(frozen=True)
class UnsignedBySchool:
    """The 未签名单 of a province: how many have not signed, and the schools with the most of
    them (`shown`, most first), each to be opened for its names."""

    people: int
    schools: int
    shown: list[SchoolRow]
    without_roster: int

    @property
    def left_out(self) -> int:
        return self.schools - len(self.shown)


def unsigned_by_school(rows: list[SchoolRow], limit: int | None = None) -> UnsignedBySchool:
    """Of `rows`: who has not signed, counted per school, the `limit` (UNSIGNED_SCHOOLS_SHOWN)
    schools with the most first."""
    limit = UNSIGNED_SCHOOLS_SHOWN if limit is None else limit
    missing = [r for r in rows if r.unsigned]
    return UnsignedBySchool(
        people=sum(r.unsigned for r in missing),
        schools=len(missing),
        shown=heapq.nsmallest(limit, missing, key=lambda r: (-r.unsigned, r.township, r.code)),
        without_roster=sum(1 for r in rows if not r.roster_size),
    )


def unsigned_text(rows: list[SchoolRow], unsigned: list[dict]) -> str:
    """未签名单: who on each roster has not signed the pledge, by school (names only, no phones:
    the text goes into a group message)."""
    shown = {r.code: r for r in rows}
    people = [(p["school_code"], p["name"]) for p in unsigned if p["school_code"] in shown]
    lines = []
    if people:
        lines.append(f"未签承诺书人员（共 {len(people)} 人）：")
        for code, names in _by_group(people).items():
            lines.append(f"{shown[code].name}（{len(names)} 人）：{'、'.join(names)}")
    no_roster = [r.name for r in rows if not r.roster_size]
    if no_roster:
        lines.append(f"未上传教职工名册、无法核对的单位（共 {len(no_roster)} 个）：{'、'.join(no_roster)}")
    return "\n".join(lines)


# --- charts ----------------------------------------------------------------------------------


def readiness_chart(rows: list[SchoolRow]) -> str:
    towns: dict[str, list[int]] = {}
    series = {READY: 0, NOT_READY: 1, None: 2}  # None: not declared
    for r in rows:
        if declares(r.kind):
            towns.setdefault(r.township, [0, 0, 0])[series[r.verdict_now]] += 1
    return charts.stacked_bars(
        "chart-readiness",
        "各乡镇学校开学条件",
        READINESS_SERIES,
        [charts.StackedRow(town, tuple(values)) for town, values in sorted(towns.items(), key=_town_key)],
    )


def completion_chart(rows: list[SchoolRow], limit: int = COMPLETION_CHART_ROWS) -> tuple[str, int]:
    """Pledge completion of the units with a roster, lowest first; returns the SVG and how many
    units were left out for room."""
    with_roster = sorted((r for r in rows if r.roster_size), key=lambda r: (r.completion, r.code))
    shown = with_roster[:limit]
    svg = charts.completion_bars(
        "chart-pledges",
        "各单位承诺书签署完成率（按名册）",
        [charts.CompletionRow(r.name, r.roster_signed, r.roster_size) for r in shown],
    )
    return svg, len(with_roster) - len(shown)


# --- the county at one moment ----------------------------------------------------------------


@dataclass(frozen=True)
class County:
    """Every organisation's standing, and what does not depend on the table's filters, sort or
    page: the counts, the filter choices and the charts. The dashboard keeps one until the data
    or the settings change. `unsigned` is everyone not signed, or None when they are more than
    the dashboard lists by name."""

    rows: list[SchoolRow]
    unsigned: list[dict] | None
    overdue: list[SchoolRow]
    counts: dict[str, int]
    inspections: list[TownshipInspections]
    choices: dict[str, list[str]]
    readiness_chart: str
    completion_chart: str
    completion_left_out: int


def overdue_rectifications(rows: list[SchoolRow], today) -> list[SchoolRow]:
    """The schools found 不符 in their latest version whose 整改期限 passed before `today`, by
    deadline then code: from the standings the rows carry, so the dashboard asks nothing more."""
    late = [r for r in rows if r.inspection == CONTRADICTED and r.inspection_state.overdue(today)]
    return sorted(late, key=lambda r: (r.rectify_by, r.code))


def county_now(schools: list[SchoolRow], unsigned: list[dict] | None, today) -> County:
    """The county from `storage.county_overview(…, make=SchoolRow._make)` on `today` (a
    rectification falls overdue at midnight)."""
    schools = sorted(schools, key=lambda r: school_order(r.township, r.name, r.code))
    completion_svg, left_out = completion_chart(schools)
    return County(
        rows=schools,
        unsigned=unsigned,
        overdue=overdue_rectifications(schools, today),
        counts=counts(schools),
        inspections=inspections_by_township(schools),
        choices=choices(schools),
        readiness_chart=readiness_chart(schools),
        completion_chart=completion_svg,
        completion_left_out=left_out,
    )
