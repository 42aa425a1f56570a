"""The daily tracking ledger (师生跟踪台账日报), as `spec/ledger.md` lists it.

The same numbers as the declaration's 师生管理 section, every day: the eight place counts, their
labels and sum rules are the declaration's own (`PlaceCounts`), not written again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from . import clock
from .base import ChecklistModel, Rule, at_most_rule, item, not_in_future
from .places import PlaceCounts, people_count, total_people

# Raised with any change to what the report asks or stores (tests/test_schema_fingerprints.py).
LEDGER_VERSION = 1
BACKDATE_DAYS = 3


def within_reporting_window(value: dt.date) -> dt.date:
    not_in_future(value)
    if value < clock.today() - dt.timedelta(days=BACKDATE_DAYS):
        raise PydanticCustomError("date_too_old", f"只能填报或更正最近 {BACKDATE_DAYS} 天内的日报")
    return value


def is_late(report_date: dt.date, at: dt.datetime, deadline: dt.time) -> bool:
    """A report is late when made after the deadline of its own day (any backfill is late)."""
    return at > dt.datetime.combine(report_date, deadline, clock.TZ)


ReportDate = Annotated[dt.date, AfterValidator(within_reporting_window)]


class ReportDay(ChecklistModel):
    report_date: ReportDate = item("日期", help=f"默认今天;可补报或更正最近 {BACKDATE_DAYS} 天内的日报")


class LedgerReport(PlaceCounts, ReportDay):
    """The report's date, the eight place counts (`PlaceCounts`, its sum rules with them), then
    the ledger's own measures."""

    returned_staff: int = people_count("当日返县教职工")
    returned_students: int = people_count("当日返县学生")
    isolating: int = people_count("居家隔离中的师生", help="不能超过教职工和学生总数之和")
    on_leave_out_of_county: int = people_count("请假外出(出县)的教职工", help="不能超过教职工总数")
    measures: str | None = item(
        "对返县师生采取的管理措施",
        help="当日有师生返县时必填,如:居家隔离14天、每日两次测温、包保教师每日联系",
        max_length=500,
        widget="textarea",
        default=None,
    )
    reporter: str = item("填报人", min_length=2, max_length=20)

    rules = (
        at_most_rule("isolating", total_people, "居家隔离中的师生人数不能超过教职工和学生总数之和"),
        at_most_rule("on_leave_out_of_county", lambda m: m.staff_total, "请假外出的教职工人数不能超过教职工总数"),
        Rule(
            "measures",
            lambda m: bool(m.measures) or m.returned_staff + m.returned_students == 0,
            "当日有师生返县,请填写对返县师生采取的管理措施",
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
