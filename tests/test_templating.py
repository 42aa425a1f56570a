"""What every template can use: timestamps in Beijing time, masked phone numbers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import checklist_app
from checklist_app.web.templating import mask_phone
from schemas import clock
from schemas.clock import show as when


@pytest.mark.parametrize(
    ("stamp", "seconds", "shown"),
    [
        ("2026-02-20T08:05:09+08:00", False, "2026-02-20 08:05"),
        ("2026-02-20T08:05:09+08:00", True, "2026-02-20 08:05:09"),
        ("2026-02-19T16:05:09+00:00", False, "2026-02-20 00:05"),  # another offset: Beijing time
        (None, False, "—"),
        ("", True, "—"),
    ],
)
def test_a_timestamp_is_shown_in_beijing_time_to_the_minute(stamp, seconds, shown):
    assert when(stamp, seconds=seconds) == shown


@pytest.mark.parametrize(("phone", "shown"), [("13812345678", "138****5678"), ("123", "123"), (None, ""), ("", "")])
def test_a_phone_number_shows_its_first_three_and_last_four_digits(phone, shown):
    assert mask_phone(phone) == shown


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-02-20T08:05:09+08:00", "2026-02-20"),
        ("2026-02-19T16:05:09+00:00", "2026-02-20"),  # the day in Beijing time, not the text's
        ("2026-02-20", "2026-02-20"),
        (None, "—"),
    ],
)
def test_a_day_is_the_date_in_beijing_time(stamp, shown):
    assert clock.day(stamp) == shown


def test_a_month_day_drops_the_year_and_leading_zeros():
    assert clock.month_day("2026-02-05") == "2月5日"
    assert clock.month_day(dt.date(2026, 11, 20)) == "11月20日"
    assert clock.month_day("2026-02-04T16:30:00+00:00") == "2月5日"
    assert clock.month_day(None) == "—"


def test_a_short_time_leaves_out_the_day_it_falls_on():
    assert clock.short("2026-02-05T14:05:09+08:00", on="2026-02-05") == "14:05"
    assert clock.short("2026-02-06T09:00:00+08:00", on="2026-02-05") == "2月6日 09:00"
    assert clock.short("2026-02-05T14:05:09+08:00") == "2月5日 14:05"
    assert clock.short(None) == "—"


def test_no_template_slices_a_timestamp():
    templates = Path(checklist_app.__file__).parent / "templates"
    slicing = [p.name for p in templates.rglob("*.html") if re.search(r"\[\d*:\d*\]", p.read_text())]
    assert slicing == []
