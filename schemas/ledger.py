"""The daily tracking ledger (师生跟踪台账日报), as `spec/ledger.md` lists it.

The same numbers as the declaration's 师生管理 section, every day: the eight place counts, their
labels and sum rules are the declaration's own (`PlaceCounts`), not written again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from . import clock
from .base import ChecklistModel, Rule, at_most_rule, item, not_in_future
from .places import PlaceCounts, people_count, total_people

# Raised with any change to what the report asks or stores (tests/test_schema_fingerprints.py).
# Version 2: the labels are the spec's (one label per field across the product); how many days
# back a report may be filled in is the county's setting `backfill_days`, checked by the caller.
LEDGER_VERSION = 2


def outside_backfill(report_date: dt.date, today: dt.date, backfill_days: int) -> str | None:
    """Why a report for `report_date` may not be made today, or None when it may."""
    if report_date < today - dt.timedelta(days=backfill_days):
        return f"只能填报今天的日报，或补报、更正最近{backfill_days}天内的日报"
    return None


def is_backfill(report_date: dt.date, at: dt.datetime) -> bool:
    """A report first made after its own day (补报)."""
    return at.date() > report_date


def is_late(report_date: dt.date, at: dt.datetime, deadline: dt.time | None) -> bool:
    """逾时: made after the county's own deadline of its day. The speech sets no hour, so with
    no deadline set no report is late."""
    return deadline is not None and at > dt.datetime.combine(report_date, deadline, clock.TZ)


ReportDate = Annotated[dt.date, AfterValidator(not_in_future)]


class ReportDay(ChecklistModel):
    report_date: ReportDate = item("台账日期", help="默认今天；漏报的日报可在之后几天内补报")


class LedgerReport(PlaceCounts, ReportDay):
    """The report's date, the eight place counts (`PlaceCounts`, its sum rules with them), then
    the ledger's own measures."""

    returned_staff: int = people_count("当日返回本县的教职工人数")
    returned_students: int = people_count("当日返回本县的学生人数")
    isolating: int = people_count("正在隔离的师生人数", help="不能超过教职工和学生总数之和")
    on_leave_out_of_county: int = people_count("请假外出到县域外的教职工人数", help="不能超过教职工总数")
    measures: str | None = item(
        "对返县师生采取的管理措施",
        help="当日有师生返回本县时必填",
        max_length=500,
        widget="textarea",
        default=None,
    )
    reporter: str = item("填报人", min_length=2, max_length=20)

    rules = (
        at_most_rule("isolating", total_people, "正在隔离的师生人数不能超过教职工和学生总数之和"),
        at_most_rule("on_leave_out_of_county", lambda m: m.staff_total, "请假外出的教职工人数不能超过教职工总数"),
        Rule(
            "measures",
            lambda m: bool(m.measures) or m.returned_staff + m.returned_students == 0,
            "当日有师生返回本县，请填写对返县师生采取的管理措施",
        ),
    )


PLACES = tuple(PlaceCounts.model_fields)  # the eight place counts

# The fields a new report starts from: the school's last report, else its last declaration.
CARRIED_OVER = (
    *PLACES,
    "isolating",
    "on_leave_out_of_county",
    "reporter",
)

# Measures the bureau sees summed over the county and charted over 30 days.
TOTALS = (
    *PLACES,
    "returned_staff",
    "returned_students",
    "isolating",
    "on_leave_out_of_county",
)
