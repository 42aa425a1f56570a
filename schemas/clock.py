"""The one clock: Beijing time (Asia/Shanghai), whatever the server's own zone.

Everything that needs the time asks this module (`clock.now()`, looked up on the module), so a
test moves time for the whole program by patching `clock.now` in one place. Timestamps are
stored as ISO 8601 text with their offset (`timestamp`) and shown to people by `show`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current time in Asia/Shanghai."""
    return dt.datetime.now(TZ)


def today() -> dt.date:
    return now().date()


def timestamp() -> str:
    """Now as it is stored: 2020-02-26T14:05:09+08:00."""
    return now().isoformat(timespec="seconds")


def parse(stamp: str) -> dt.datetime:
    """A stored timestamp as a datetime in Beijing time (a naive one is taken as Beijing time)."""
    moment = dt.datetime.fromisoformat(stamp)
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment.astimezone(TZ)


def show(stamp: str | None, seconds: bool = False) -> str:
    """A stored timestamp as people read it, in Beijing time: 2020-02-26 14:05 (— for none)."""
    if not stamp:
        return "—"
    return parse(stamp).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def _date(value: str | dt.date) -> dt.date:
    """A date, an ISO date or a stored timestamp (its day in Beijing time)."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if len(value) == 10 else parse(value).date()


def day(stamp: str | dt.date | None) -> str:
    """The day of a stored timestamp or date as people read it: 2020-02-26 (— for none)."""
    return _date(stamp).isoformat() if stamp else "—"


def month_day(value: str | dt.date | None) -> str:
    """The day within the year: 2月26日 (— for none)."""
    if not value:
        return "—"
    date = _date(value)
    return f"{date.month}月{date.day}日"


def short(stamp: str | None, on: str | dt.date | None = None) -> str:
    """A stored timestamp in a list of days: 2月26日 14:05, or only 14:05 when it falls on the
    day `on` (— for none)."""
    if not stamp:
        return "—"
    moment = parse(stamp)
    if on and moment.date() == _date(on):
        return f"{moment:%H:%M}"
    return f"{month_day(moment.date())} {moment:%H:%M}"
