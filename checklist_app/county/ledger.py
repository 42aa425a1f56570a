"""The county's ledger (师生跟踪台账) for the bureau: one day's totals, who has not reported and who
reported late, and the trend of each measure over 30 days, for the county and per township.

Plain functions over the rows `storage` returns (the sums are made in SQL; no Flask, no SQL here).
The bureau's own organisation is not among the rows: it reports no ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas.ledger import TOTALS, LedgerReport

from . import charts
from .standings import grouped_text

TREND_DAYS = 30
REPORTED = "reported"
# What the trend can show: how many schools reported, then every measure the bureau sums.
MEASURES = {REPORTED: "已报学校数", **{name: LedgerReport.model_fields[name].title for name in TOTALS}}
DEFAULT_MEASURE = "returned_students"


# Days a ledger page can be about; the year 1 or 9999 has no day before or after it to link to.
EARLIEST_DAY, LATEST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


def parse_day(text: str | None, default: dt.date) -> dt.date:
    """A day from the query string; anything unreadable or out of range is the default, never an error."""
    try:
        day = dt.date.fromisoformat(text or "")
    except ValueError:
        return default
    return day if EARLIEST_DAY <= day <= LATEST_DAY else default


def trend_dates(last: dt.date, length: int = TREND_DAYS) -> list[dt.date]:
    """The `length` days ending with `last`, oldest first."""
    return [last - dt.timedelta(days=back) for back in range(length - 1, -1, -1)]


@dataclass
class LedgerDay:
    """One day of the county: the sums of the reports and every school's state that day."""

    day: dt.date
    totals: dict
    schools: list[dict]  # every school, with report_id None when it has not reported

    @property
    def reported(self) -> list[dict]:
        return [s for s in self.schools if s["report_id"] is not None]

    @property
    def missing(self) -> list[dict]:
        return [s for s in self.schools if s["report_id"] is None]

    @property
    def late(self) -> list[dict]:
        """The late reports, in the order they came in."""
        return sorted((s for s in self.reported if s["late"]), key=lambda s: (s["submitted_at"], s["code"]))


def missing_text(day: dt.date, missing: list[dict]) -> str:
    """未报名单: the schools without a report for the day, by township, to paste into a message."""
    if not missing:
        return ""
    heading = f"{day.year}年{day.month}月{day.day}日师生跟踪台账日报未报学校（共 {len(missing)} 所）："
    return grouped_text(heading, [(school["township"], school["name"]) for school in missing])


def township_day(rows: list[dict], schools: list[dict]) -> list[dict]:
    """Per township on one day: how many schools it has, how many reported, the sums (None when
    no school of the township reported)."""
    sums = {r["township"]: r for r in rows}
    counts: dict[str, int] = {}
    for school in schools:
        counts[school["township"]] = counts.get(school["township"], 0) + 1
    return [
        {
            "township": town,
            "schools": n,
            REPORTED: sums[town][REPORTED] if town in sums else 0,
            "sums": {m: sums[town][m] for m in TOTALS} if town in sums else None,
        }
        for town, n in counts.items()
    ]


def _value(row: dict | None, measure: str) -> int | None:
    return None if row is None else row[measure]


def county_days(rows: list[dict], dates: list[dt.date]) -> list[dict]:
    """The county per day: the township rows of each day added up; None for a day without any
    report."""
    days: dict[str, dict] = {}
    for row in rows:
        day = days.setdefault(row["report_date"], {m: 0 for m in MEASURES})
        for measure in MEASURES:
            day[measure] += row[measure]
    return [{"date": d.isoformat(), "values": days.get(d.isoformat())} for d in dates]


def county_trend(rows: list[dict], dates: list[dt.date], measure: str) -> list[charts.Day]:
    return [charts.Day(d["date"], _value(d["values"], measure)) for d in county_days(rows, dates)]


def township_trends(
    rows: list[dict], dates: list[dt.date], measure: str, townships: list[str]
) -> dict[str, list[charts.Day]]:
    """Each township's days for one measure; a township with no report at all still has its
    chart (an empty one)."""
    found = {(r["township"], r["report_date"]): r for r in rows}
    return {
        town: [charts.Day(d.isoformat(), _value(found.get((town, d.isoformat())), measure)) for d in dates]
        for town in townships
    }


def trend_charts(rows: list[dict], dates: list[dt.date], measure: str, townships: list[str]) -> dict:
    """The SVG of the county's trend of one measure and one per township."""
    label = MEASURES[measure]
    county = charts.line_chart("trend-county", f"全县{label}（近 {len(dates)} 天）", county_trend(rows, dates, measure))
    towns = [
        (town, charts.line_chart(f"trend-town-{index}", f"{town}{label}（近 {len(dates)} 天）", days))
        for index, (town, days) in enumerate(township_trends(rows, dates, measure, townships).items(), 1)
    ]
    return {"county": county, "townships": towns}
