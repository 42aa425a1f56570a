"""The upper level's console: its counties side by side, one county by township, one township's
schools; how old each county's data is; the lists to chase and the charts.

Plain functions over the rows `storage.region` returns (no Flask, no SQL). Where the county's
dashboard already says a thing (its counts, its lists to paste, its charts), the function of
`county/` says it here too, over the same rows; what is new is the county as a row, and the age of
its data: every county's data is as old as its download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas import Verdict, clock
from schemas.collation import pinyin_key, school_order

from ..county import charts, ledger, standings

# A download older than this is shown as old: a county sends one a day at least.
STALE_AFTER = dt.timedelta(days=1)
WHOLE = {"city": "全市", "province": "全省"}


def moment_words(stamp: str) -> str:
    """A stored moment as people say it, in Beijing time: 2026年12月6日 18:00."""
    moment = clock.parse(stamp)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def age_words(stamp: str, now: dt.datetime) -> str:
    """How long ago `stamp` was, in the largest whole unit: 刚刚, 5分钟前, 3小时前, 1天前."""
    seconds = (now - clock.parse(stamp)).total_seconds()
    for unit, name in ((86_400, "天"), (3_600, "小时"), (60, "分钟")):
        if seconds >= unit:
            return f"{int(seconds // unit)}{name}前"
    return "刚刚"


@dataclass(frozen=True)
class DataAge:
    """When a county's download was taken, in words, and whether that is old."""

    taken_at: str
    words: str  # 2026年12月6日 18:00（1天前）
    old: bool

    @classmethod
    def of(cls, taken_at: str, now: dt.datetime) -> DataAge:
        words = f"{moment_words(taken_at)}（{age_words(taken_at, now)}）"
        return cls(taken_at, words, now - clock.parse(taken_at) >= STALE_AFTER)


@dataclass(frozen=True)
class Area:
    """A county or a township: its counts (the keys of `standings.counts`, then the day's
    ledger: schools reported and staff outside the province; and what follows from them)."""

    key: str  # the region code, or the township
    name: str
    counts: dict[str, int]
    age: DataAge | None = None  # a county's

    @classmethod
    def of(cls, key: str, name: str, row: dict, age: DataAge | None = None) -> Area:
        counts = {k: row.get(k) or 0 for k in AREA_KEYS}
        return cls(key, name, with_gaps(counts), age)


AREA_KEYS = (
    "schools",
    "declared",
    "ready",
    "not_ready",
    "pledges",
    "roster_size",
    "roster_signed",
    "without_roster",
    "reported",
    "staff_out_of_province",
)


def with_gaps(counts: dict[str, int]) -> dict[str, int]:
    """The counts with what is missing: not declared, not reported, not signed."""
    return {
        **counts,
        "undeclared": counts["schools"] - counts["declared"],
        "not_reported": counts["schools"] - counts["reported"],
        "unsigned": counts["roster_size"] - counts["roster_signed"],
    }


def added_up(areas: list[Area]) -> dict[str, int]:
    return with_gaps({k: sum(a.counts[k] for a in areas) for k in AREA_KEYS})


def day_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def counts_text(heading: str, areas: list[Area], key: str, unit: str) -> str:
    """A list of counts to paste into a message: the heading with the total, then one line per
    area that has any, "伊通满族自治县：12 所"."""
    having = [a for a in areas if a.counts[key]]
    if not having:
        return ""
    total = sum(a.counts[key] for a in having)
    return "\n".join([f"{heading}（共 {total} {unit}）："] + [f"{a.name}：{a.counts[key]} {unit}" for a in having])


def readiness_chart(chart_id: str, title: str, areas: list[Area]) -> str:
    return charts.stacked_bars(
        chart_id,
        title,
        standings.READINESS_SERIES,
        [charts.StackedRow(a.name, (a.counts["ready"], a.counts["not_ready"], a.counts["undeclared"])) for a in areas],
    )


def completion_chart(chart_id: str, title: str, areas: list[Area]) -> str:
    """Pledge completion of each area with a roster, lowest first."""
    with_roster = sorted(
        (a for a in areas if a.counts["roster_size"]),
        key=lambda a: (a.counts["roster_signed"] / a.counts["roster_size"], a.key),
    )
    return charts.completion_bars(
        chart_id,
        title,
        [charts.CompletionRow(a.name, a.counts["roster_signed"], a.counts["roster_size"]) for a in with_roster],
    )


# --- the region: every county held ---------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    counties: list[Area]
    totals: dict[str, int]
    oldest: DataAge | None
    newest: DataAge | None
    readiness_chart: str
    completion_chart: str
    undeclared_text: str
    missing_text: str
    unsigned_text: str


def region_now(held: list[dict], groups: list[dict], day: dt.date, now: dt.datetime) -> Region:
    """The region from `storage.region.county_groups` and the counties held (`rollup_counties`)."""
    counted = {g["region_code"]: g for g in groups}
    counties = [
        Area.of(c["region_code"], c["region_name"], counted.get(c["region_code"], {}), DataAge.of(c["taken_at"], now))
        for c in held
    ]
    ages = sorted((a.age for a in counties), key=lambda age: clock.parse(age.taken_at))
    return Region(
        counties=counties,
        totals=added_up(counties),
        oldest=ages[0] if ages else None,
        newest=ages[-1] if ages else None,
        readiness_chart=readiness_chart("chart-readiness", "各县（区）学校开学条件", counties),
        completion_chart=completion_chart("chart-pledges", "各县（区）承诺书签署完成率（按名册）", counties),
        undeclared_text=counts_text("各县（区）未申报开学准备情况的学校", counties, "undeclared", "所"),
        missing_text=counts_text(f"{day_words(day)}各县（区）师生跟踪台账日报未报学校", counties, "not_reported", "所"),
        unsigned_text=counts_text("各县（区）名册内未签承诺书人员", counties, "unsigned", "人"),
    )


# --- one county, by township -------------------------------------------------------------------


@dataclass(frozen=True)
class CountyView:
    area: Area
    townships: list[Area]
    rows: list[standings.SchoolRow]
    readiness_chart: str
    completion_chart: str
    completion_left_out: int
    undeclared_text: str
    missing_text: str
    unsigned_text: str | None  # names, while they are few enough to list
    unsigned_by_school: standings.UnsignedBySchool | None  # else the schools with most of them


def county_view(
    held: dict,
    groups: list[dict],
    rows: list[standings.SchoolRow],
    day: dt.date,
    day_schools: list[dict],
    unsigned: list[dict] | None,
    now: dt.datetime,
) -> CountyView:
    """One county held (its row of `rollup_counties`): its townships' counts
    (`storage.region.township_groups`) and their sum, and from its schools' rows
    (`storage.region.school_rows`, made `SchoolRow`s) the county dashboard's charts and lists;
    `unsigned` is everyone not signed, or None when they are too many to name."""
    townships = sorted((Area.of(g["grouped"], g["grouped"], g) for g in groups), key=lambda a: pinyin_key(a.name))
    completion_svg, left_out = standings.completion_chart(rows)
    missing = sorted(
        (s for s in day_schools if s["report_id"] is None),
        key=lambda s: school_order(s["township"], s["name"], s["code"]),
    )
    return CountyView(
        area=Area(held["region_code"], held["region_name"], added_up(townships), DataAge.of(held["taken_at"], now)),
        townships=townships,
        rows=rows,
        readiness_chart=standings.readiness_chart(rows),
        completion_chart=completion_svg,
        completion_left_out=left_out,
        undeclared_text=standings.undeclared_text(rows),
        missing_text=ledger.missing_text(day, missing),
        unsigned_text=standings.unsigned_text(rows, unsigned) if unsigned is not None else None,
        unsigned_by_school=standings.unsigned_by_school(rows) if unsigned is None else None,
    )


# --- one township's schools ----------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolLine:
    """A school of the township: its row, its stored verdict with the gaps in words, and its
    ledger report of the day (None when it has not reported)."""

    row: standings.SchoolRow
    verdict: Verdict | None
    report: dict | None


def township_schools(
    rows: list[standings.SchoolRow], gaps: dict[str, tuple[str, list[dict]]], day_schools: list[dict]
) -> list[SchoolLine]:
    reports = {s["code"]: s for s in day_schools if s["report_id"] is not None}
    lines = [
        SchoolLine(r, Verdict.stored(*gaps[r.code]) if r.code in gaps else None, reports.get(r.code)) for r in rows
    ]
    return sorted(lines, key=lambda line: school_order(line.row.township, line.row.name, line.row.code))
