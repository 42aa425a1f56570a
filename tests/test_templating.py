"""What every template can use: timestamps in Beijing time, masked phone numbers."""

from __future__ import annotations

import pytest

from checklist_app.web.templating import mask_phone
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
