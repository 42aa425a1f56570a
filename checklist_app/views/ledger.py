"""The daily tracking ledger (师生跟踪台账日报): the school's report of the day (/school/ledger) and
the bureau's view of the county's day and trend (/bureau/ledger).

A school reports for itself only: the school code is the session's, never one from the form. A
day's report may be made or corrected for today and the county's `backfill_days` before (补报); a
correction replaces the day's row and `storage` audits it old -> new.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from markupsafe import Markup

from schemas import clock
from schemas.ledger import CARRIED_OVER, LedgerReport, outside_backfill

from .. import storage
from ..county import ledger as county_ledger
from ..web.auth import admin_required, declaring_school, school_required
from ..web.db import get_db, get_settings
from ..web.forms import error_list, form_class, validated
from . import school as school_views

school_bp = Blueprint("school_ledger", __name__, url_prefix="/school/ledger")
bureau_bp = Blueprint("bureau_ledger", __name__, url_prefix="/bureau/ledger")

school_bp.context_processor(school_views._page_globals)  # the school's name in the header

HISTORY_DAYS = 7
FIELD_LABELS = {name: info.title for name, info in LedgerReport.model_fields.items()}


# --- the school's report of the day ----------------------------------------------------------


def reporting_days() -> list[dt.date]:
    """The days a school may report or correct: today first, then the county's backfill days."""
    return [clock.today() - dt.timedelta(days=back) for back in range(get_settings().backfill_days + 1)]


def history_days() -> int:
    """The history shows at least every day that may be reported."""
    return max(HISTORY_DAYS, get_settings().backfill_days + 1)


def prefill(db, school_code: str, day: dt.date) -> tuple[dict, str | None, dict | None]:
    """The form's starting values for `day`: the day's own report when it exists (a correction);
    else the carried-over fields of the latest report before it (else the latest at all), else
    of the latest declaration. Returns the values, where they came from and the report used."""
    existing = storage.ledger_report_on(db, school_code, day)
    if existing is not None:
        return {**{k: existing[k] for k in LedgerReport.model_fields}, "report_date": day}, "existing", existing
    source, kind = storage.ledger_report_before(db, school_code, day), "report"
    if source is None:
        source = storage.last_ledger_report(db, school_code)
    if source is None:
        source, kind = storage.latest_declaration(db, school_code), "declaration"
    values = {k: source[k] for k in CARRIED_OVER if source and source.get(k) is not None}
    return {**values, "report_date": day}, (kind if source else None), source


def _days_status(db, school_code: str, days: list[dt.date]) -> list[dict]:
    reports = {r["report_date"]: r for r in storage.ledger_reports_between(db, school_code, days[-1], days[0])}
    return [{"day": d, "report": reports.get(d.isoformat())} for d in days]


def _form_page(form, day: dt.date, source: str | None, source_row: dict | None):
    # the days that may be reported are among the history's: one query for both
    history = _days_status(
        get_db(), g.school_code, [clock.today() - dt.timedelta(days=b) for b in range(history_days())]
    )
    reported = {entry["day"]: entry["report"] for entry in history}
    days = reporting_days()
    return render_template(
        "school/ledger.html",
        form=form,
        errors=error_list(form),
        day=day,
        today=clock.today(),
        existing=reported.get(day),
        source=source,
        source_row=source_row,
        days=[{"day": d, "report": reported.get(d)} for d in days],
        allowed=days,
        history=history,
        deadline=get_settings().ledger_deadline,
    )


@school_bp.route("/", methods=["GET", "POST"])
@school_required
def report():
    declaring_school()
    db = get_db()
    LedgerForm = form_class(LedgerReport)
    if request.method == "POST":
        form = LedgerForm()
        report = validated(form)
        too_old = report and outside_backfill(report.report_date, clock.today(), get_settings().backfill_days)
        if too_old:
            form.report_date.errors = [*form.report_date.errors, too_old]
            report = None
        if report is not None:
            deadline = get_settings().ledger_deadline
            row, changes = storage.record_ledger_report(db, g.school_code, report, deadline)
            return redirect(
                url_for(".done", date=row["report_date"], **({"corrected": "1"} if changes is not None else {})),
                303,
            )
        posted = form.report_date.data
        day = posted if posted in reporting_days() else clock.today()
        return _form_page(form, day, None, None)
    day = county_ledger.parse_day(request.args.get("date"), clock.today())
    if day not in reporting_days():
        day = clock.today()
    values, source, source_row = prefill(db, g.school_code, day)
    return _form_page(LedgerForm(formdata=None, data=values), day, source, source_row)


@school_bp.route("/done")
@school_required
def done():
    declaring_school()
    db = get_db()
    day = county_ledger.parse_day(request.args.get("date"), clock.today())
    row = storage.ledger_report_on(db, g.school_code, day)
    if row is None:
        abort(404)
    correction = storage.ledger_last_correction(db, g.school_code, day) if request.args.get("corrected") else None
    changes = [
        {"label": FIELD_LABELS.get(name, name), "old": change["old"], "new": change["new"]}
        for name, change in (correction["detail"]["changes"].items() if correction else ())
    ]
    return render_template(
        "school/ledger_done.html",
        row=row,
        day=day,
        today=clock.today(),
        corrected=correction is not None,
        changes=changes,
        deadline=get_settings().ledger_deadline,
        editable=day in reporting_days(),
    )


# --- the bureau's view of the county ---------------------------------------------------------


@bureau_bp.route("/")
@admin_required
def county():
    db = get_db()
    day = county_ledger.parse_day(request.args.get("date"), clock.today())
    measure = request.args.get("measure", county_ledger.DEFAULT_MEASURE)
    if measure not in county_ledger.MEASURES:
        measure = county_ledger.DEFAULT_MEASURE
    ledger = county_ledger.LedgerDay(day, storage.ledger_day_totals(db, day), storage.ledger_day_schools(db, day))
    dates = county_ledger.trend_dates(day)
    rows = storage.ledger_township_days(db, dates[0], dates[-1])
    townships = list(dict.fromkeys(s["township"] for s in ledger.schools))
    trend = county_ledger.trend_charts(rows, dates, measure, townships)
    return render_template(
        "bureau/ledger.html",
        day=day,
        today=clock.today(),
        previous_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1),
        ledger=ledger,
        totals=ledger.totals,
        labels=FIELD_LABELS,
        measures=county_ledger.MEASURES,
        measure=measure,
        missing_text=county_ledger.missing_text(day, ledger.missing),
        townships_today=county_ledger.township_day(
            [r for r in rows if r["report_date"] == day.isoformat()], ledger.schools
        ),
        county_days=county_ledger.county_days(rows, dates)[::-1],
        trend_county=Markup(trend["county"]),
        trend_townships=[(town, Markup(svg)) for town, svg in trend["townships"]],
        deadline=get_settings().ledger_deadline,
    )
