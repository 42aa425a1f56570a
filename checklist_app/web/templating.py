"""What every template can use: the bureau's name, masking, verdict labels, form macros' helpers."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask, current_app
from markupsafe import Markup, escape

from schemas import SELF_CHECK_STANDARD, VERDICT_LABELS, clock
from schemas.inspection import FINDINGS, FOUND_NOT_READY, STATE_LABELS
from schemas.ledger import is_backfill
from schemas.pledge import TITLE as PLEDGE_TITLE


def mask_phone(phone: str | None) -> str:
    """138****1234: the lists shown to schools never show a whole phone number."""
    if not phone or len(phone) < 7:
        return phone or ""
    return f"{phone[:3]}****{phone[-4:]}"


URL_BREAK_AFTER = re.compile(r"(?<=[/?&=.])(?!/)")


def url_breaks(url: str) -> Markup:
    """A URL that may wrap only after / ? & = or . (a <wbr> there), never inside a word: a
    printed link stays readable and can be typed from paper."""
    return Markup("<wbr>").join(escape(part) for part in URL_BREAK_AFTER.split(url))


def bureau_name() -> str:
    """The bureau's name from the deployment's configuration (county.toml), as the site shows it."""
    return current_app.config["DEPLOYMENT"].bureau_name


def login_wait_minutes() -> int:
    return round(current_app.config["LOGIN_WINDOW_SECONDS"] / 60)


def backfilled(report: dict) -> bool:
    """A ledger report first made after its own day (补报)."""
    at = dt.datetime.fromisoformat(report["submitted_at"])
    return is_backfill(dt.date.fromisoformat(report["report_date"]), at.astimezone(clock.TZ))


def _globals() -> dict:
    return {
        "bureau_name": bureau_name(),
        "verdict_labels": VERDICT_LABELS,
        "inspection_labels": STATE_LABELS,
        "finding_labels": FINDINGS,
        "found_not_ready": FOUND_NOT_READY,
        "self_check_standard": SELF_CHECK_STANDARD,
        "login_wait_minutes": login_wait_minutes(),
        "backfilled": backfilled,
        "pledge_title": PLEDGE_TITLE,
    }


def init_app(app: Flask) -> None:
    app.context_processor(_globals)
    app.add_template_filter(mask_phone)
    app.add_template_filter(url_breaks)
    # times and days as people read them, in Beijing time: templates never slice ISO text.
    # `day` is a filter only: the ledger's pages name the day they show `day`.
    for name, function in (("when", clock.show), ("month_day", clock.month_day), ("short", clock.short)):
        app.add_template_global(function, name)
        app.add_template_filter(function, name)
    app.add_template_filter(clock.day, "day")
