"""The upper level's console (/bureau at a city or a province): its counties side by side, one
county by township, one township's schools, and the downloads of the whole.

The same bureau login and the same endpoints as the county's console (`bureau.login`,
`bureau.dashboard`, the downloads): the login, the logout and the downloads are the county's own
views, registered here unchanged (`exchange.exports.export` takes the upper level's snapshot by
the deployment's level). Every page here reads; none writes a county's rows. Views hold no SQL:
they call `storage.region` and `region.console`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from schemas import clock

from ..county import ledger as county_ledger
from ..county import standings
from ..region import console
from ..storage import region as storage_region
from ..web.auth import admin_required
from ..web.db import get_db
from . import bureau

bp = Blueprint("bureau", __name__, url_prefix="/bureau")  # one level up, the same names

for rule, view, methods in (
    ("/login", bureau.login, ["GET", "POST"]),
    ("/logout", bureau.logout, ["POST"]),
    ("/export/checklist.sqlite", bureau.export_sqlite, ["GET"]),
    ("/export/csv.zip", bureau.export_csv, ["GET"]),
    ("/export/checklist.xlsx", bureau.export_xlsx, ["GET"]),
):
    bp.add_url_rule(rule, view_func=view, methods=methods)


def _day():
    """The ledger's day from ?date= (today when absent or unreadable)."""
    return county_ledger.parse_day(request.args.get("date"), clock.today())


def _page(template: str, day, **context):
    deployment = current_app.config["DEPLOYMENT"]
    return render_template(
        template,
        day=day,
        today=clock.today(),
        deployment=deployment,
        whole=console.WHOLE[deployment.level],
        day_words=console.day_words(day),
        **context,
    )


@bp.route("/")
@admin_required
def dashboard():
    day = _day()
    read = storage_region.region_overview(get_db(), day)
    region = console.region_now(read["counties"], read["groups"], day, clock.now())
    return _page(
        "region/dashboard.html",
        day,
        region=region,
        readiness_chart=Markup(region.readiness_chart),
        completion_chart=Markup(region.completion_chart),
    )


@bp.route("/county/<code>")
@admin_required
def county(code: str):
    day = _day()
    read = storage_region.county_overview(
        get_db(), code, day, standings.UNSIGNED_NAMES_LIMIT, make=standings.SchoolRow._make
    )
    if read is None:
        abort(404)
    view = console.county_view(
        read["county"], read["townships"], read["schools"], day, read["day_schools"], read["unsigned"], clock.now()
    )
    return _page(
        "region/county.html",
        day,
        held=read["county"],
        settings=read["settings"],
        view=view,
        readiness_chart=Markup(view.readiness_chart),
        completion_chart=Markup(view.completion_chart),
    )


@bp.route("/county/<code>/township/<township>")
@admin_required
def township(code: str, township: str):
    day = _day()
    read = storage_region.township_overview(
        get_db(), code, township, day, standings.UNSIGNED_NAMES_LIMIT, make=standings.SchoolRow._make
    )
    if read is None:
        abort(404)
    rows = read["schools"]
    return _page(
        "region/township.html",
        day,
        held=read["county"],
        township=township,
        age=console.DataAge.of(read["county"]["taken_at"], clock.now()),
        counts=standings.counts(rows),
        schools=console.township_schools(rows, read["gaps"], read["day_schools"]),
        reported=sum(1 for s in read["day_schools"] if s["report_id"] is not None),
        due=len(read["day_schools"]),
        unsigned_text=standings.unsigned_text(rows, read["unsigned"]) if read["unsigned"] is not None else None,
        unsigned_by_school=standings.unsigned_by_school(rows) if read["unsigned"] is None else None,
    )
