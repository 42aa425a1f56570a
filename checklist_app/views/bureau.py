"""The bureau's console and downloads (/bureau): login, the county on one screen, a school's
page, the county settings, access codes and the data downloads.

Views hold no SQL: they call `storage`, `county` (the dashboard's rows and lists) and `exports`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField, validators

from schemas import CountySettings, clock, declares, is_tick
from schemas.inspection import UNCHECKED
from schemas.pledge import ROLES

from .. import storage
from ..county import standings as county
from ..exchange import exports
from ..exchange.about import Origin
from ..web import qr
from ..web.answers import version_answers
from ..web.auth import (
    admin_required,
    bureau_required,
    check_admin_login,
    end_session,
    note_login,
    safe_next,
    start_session,
    throttle_keys,
    throttled,
)
from ..web.db import data_version, get_db, get_settings
from ..web.forms import error_list, form_class, validated
from ..web.links import ISSUED_CODES_HEADERS, base_url, issued_codes_csv, pledge_url

bp = Blueprint("bureau", __name__, url_prefix="/bureau")

PAGE_SIZE = 500  # a county fits on one page; a merged prefecture pages
SETTINGS_HISTORY = 20
USERNAME_MAX = 64

EXPORT_TYPES = {
    "sqlite": "application/vnd.sqlite3",
    "csv.zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def actor() -> str:
    return f"admin:{g.admin}"


# --- login -----------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField(
        "用户名", validators=[validators.InputRequired("请填写用户名")], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "密码", validators=[validators.InputRequired("请填写密码")], render_kw={"autocomplete": "current-password"}
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.get("admin"):
        return redirect(url_for("bureau.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()[:USERNAME_MAX]
        keys = throttle_keys("admin", username)
        refused = throttled(keys, f"admin:{username}")
        if refused:
            return refused
        if check_admin_login(username, form.password.data):
            note_login(keys, True, f"admin:{username}")
            start_session(admin=username)
            return redirect(safe_next(url_for("bureau.dashboard")))
        note_login(keys, False, f"admin:{username}")
        form.form_errors.append("用户名或密码不正确")  # the same words whichever was wrong
    return render_template("bureau/login.html", form=form, errors=error_list(form), next=safe_next(""))


@bp.route("/logout", methods=["POST"])
@bureau_required
def logout():
    end_session()
    flash("已退出登录")
    return redirect(url_for("bureau.login"))


# --- the county on one screen ----------------------------------------------------------------


def county_now(db, settings: CountySettings) -> county.County:
    """The county's standings, counts and charts, read once per change of data or settings.

    `storage` keeps each school's tallies and standing as the data changes, so reading the county
    costs one row per school (a tenth of a second for a province's 20,000); filtering, sorting
    or paging needs none of it again. The key is read before the data: `data_version` moves with
    every commit from any connection or process, so what is kept is never older than the
    database it is shown for.
    """
    limit = county.UNSIGNED_NAMES_LIMIT
    today = clock.today()  # a rectification falls overdue at midnight, with no write
    key = (data_version(), settings.model_dump_json(), limit, today)
    kept = current_app.extensions.setdefault("county_now", {"lock": threading.Lock(), "key": None})
    with kept["lock"]:  # one request reads it; the others wait for it rather than repeat it
        if kept["key"] != key:
            kept["county"] = county.county_now(
                **storage.county_overview(db, settings, unsigned_limit=limit, make=county.SchoolRow._make), today=today
            )
            kept["key"] = key
        return kept["county"]


@bp.route("/")
@bureau_required
def dashboard():
    if g.role != "admin":  # an inspector's own page: the team's schools
        return redirect(url_for("inspect.index"))
    db = get_db()
    settings = get_settings()
    overview = county_now(db, settings)
    query = county.TableQuery.from_args(request.args)
    shown = county.select(overview.rows, query)
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template(
        "bureau/dashboard.html",
        settings=settings,
        counts=overview.counts,
        query=query,
        rows=shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        shown_total=len(shown),
        page=page,
        pages=pages,
        choices=overview.choices,
        sorts=county.SORTS,
        verdict_filters=county.VERDICT_FILTERS,
        inspection_filters=county.INSPECTION_FILTERS,
        inspections=overview.inspections,
        overdue=overview.overdue,
        overdue_shown=county.OVERDUE_SHOWN,
        readiness_chart=Markup(overview.readiness_chart),
        completion_chart=Markup(overview.completion_chart),
        completion_left_out=overview.completion_left_out,
        undeclared_text=county.undeclared_text(shown),
        # names to copy for a county; for a province, the schools with most not signed
        unsigned_text=county.unsigned_text(shown, overview.unsigned) if overview.unsigned is not None else None,
        unsigned_by_school=county.unsigned_by_school(shown) if overview.unsigned is None else None,
    )


# --- one school ------------------------------------------------------------------------------


def _school_or_404(code: str) -> dict:
    school = storage.get_school(get_db(), code)
    if school is None:
        abort(404)
    return school


@bp.route("/schools/<code>")
@admin_required
def school(code: str):
    db = get_db()
    school = _school_or_404(code)
    versions = storage.declaration_versions(db, code)
    wanted = request.args.get("version", type=int)
    chosen = next((v for v in versions if v["version"] == wanted), versions[0] if versions else None)
    link = pledge_url(school["pledge_token"])
    current = storage.latest_standing(db, code, get_settings())
    inspections = storage.school_inspections(db, code)
    return render_template(
        "bureau/school.html",
        school=school,
        is_bureau=not declares(school["kind"]),
        versions=versions,
        chosen=chosen,
        latest=versions[0] if versions else None,
        # the latest version's standing carries its 核查 state; an earlier one's is its own
        standing=(current if chosen is versions[0] else storage.standing_of(chosen, get_settings()))
        if chosen
        else None,
        inspection=current.inspection if current else None,
        inspections=inspections,
        findings=[f for f in storage.inspection_findings(db, inspections[0]["id"]) if f.finding != UNCHECKED]
        if inspections
        else [],
        answers=version_answers(chosen) if chosen else None,
        roster=storage.roster_status(db, code),
        roles=ROLES,
        pledge_link=link,
        pledge_qr=Markup(qr.svg(link)),
    )


@bp.route("/schools/<code>/pledge-qr.png")
@admin_required
def pledge_qr(code: str):
    school = _school_or_404(code)
    response = current_app.response_class(qr.png(pledge_url(school["pledge_token"])), mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="{code}-pledge-qr.png"'
    return response


@bp.route("/schools/<code>/pledge-link", methods=["POST"])
@admin_required
def rotate_pledge_link(code: str):
    _school_or_404(code)
    if request.form.get("confirm") != "y":
        flash("未更换承诺书链接：请先勾选确认。")
    else:
        storage.rotate_pledge_token(get_db(), code, actor())
        flash("已更换承诺书链接。旧链接和旧二维码已失效，请把新的二维码发到本单位教职工群。")
    return redirect(url_for("bureau.school", code=code, _anchor="pledge-link"))


@bp.route("/schools/<code>/sessions/end", methods=["POST"])
@admin_required
def end_school_sessions(code: str):
    _school_or_404(code)
    ended = storage.end_sessions_of(get_db(), "school", code)
    storage.log_event(get_db(), actor(), "sessions.end", code, {"sessions": ended})
    flash(f"已结束本校的 {ended} 个登录会话。")
    return redirect(url_for("bureau.school", code=code, _anchor="logins"), 303)


@bp.route("/sessions/end", methods=["POST"])
@admin_required
def end_all_school_sessions():
    ended = storage.end_sessions_of(get_db(), "school")
    storage.log_event(get_db(), actor(), "sessions.end", "school:*", {"sessions": ended})
    flash(f"已结束全部学校的 {ended} 个登录会话。")
    return redirect(url_for("bureau.codes", _anchor="end-sessions"), 303)


@bp.route("/schools/<code>/unlock", methods=["POST"])
@admin_required
def unlock_school(code: str):
    _school_or_404(code)
    storage.unlock_account(get_db(), f"school:{code.upper()}", actor())
    flash("已解除本校的登录限制。")
    return redirect(url_for("bureau.school", code=code, _anchor="logins"), 303)


# --- county settings -------------------------------------------------------------------------

YES_NO = {True: "是", False: "否"}  # 1 and 0 hash as True and False
UNSET = "未设置"


def setting_label(key: str) -> str:
    field = CountySettings.model_fields.get(key)
    return field.title if field and field.title else key


def setting_text(key: str, value) -> str:
    """A stored setting value as a person reads it (ticks are 0/1 in storage)."""
    field = CountySettings.model_fields.get(key)
    if value is None or value == "":
        return UNSET
    if field is not None and is_tick(field):
        return YES_NO.get(value, str(value))
    return str(value)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    db = get_db()
    current = get_settings()
    SettingsForm = form_class(CountySettings)
    form = SettingsForm() if request.method == "POST" else SettingsForm(data=current.model_dump())
    if request.method == "POST":
        new = validated(form)
        if new is not None:
            changes = storage.save_settings(db, new, actor())
            if not changes:
                flash("设置没有变化。")
            for key, (old, value) in changes.items():
                flash(f"已更改 {setting_label(key)}：{setting_text(key, old)} → {setting_text(key, value)}")
            return redirect(url_for("bureau.settings"))
    return render_template(
        "bureau/settings.html",
        form=form,
        errors=error_list(form),
        history=storage.audit_entries(db, ("settings.change",), SETTINGS_HISTORY),
        setting_label=setting_label,
        setting_text=setting_text,
    )


# --- access codes ----------------------------------------------------------------------------


@bp.route("/codes", methods=["GET", "POST"])
@admin_required
def codes():
    db = get_db()
    if request.method == "GET":
        return render_template(
            "bureau/codes.html", schools=storage.list_schools(db), missing=storage.schools_without_access_code(db)
        )
    scope = request.form.get("scope")
    if scope == "one":
        code = request.form.get("school_code", "").strip()
        if storage.get_school(db, code) is None:
            flash(f"没有学校代码为 {code or '（空）'} 的学校，未生成访问码。")
            return redirect(url_for("bureau.codes"))
        targets = [code]
    elif scope == "missing":
        targets = storage.schools_without_access_code(db)
        if not targets:
            flash("所有学校都已有访问码，未生成新的访问码。")
            return redirect(url_for("bureau.codes"))
    elif scope == "all" and request.form.get("confirm") == "y":
        targets = None
    else:
        flash("为全部学校重新生成访问码前，请先勾选确认。")
        return redirect(url_for("bureau.codes"))
    issued = storage.issue_access_codes(db, targets, actor())
    cards = [
        {
            "code": row["code"],
            "name": row["name"],
            "access_code": row["access_code"],
            "pledge_url": pledge_url(row["pledge_token"]),
            "qr": Markup(qr.svg(pledge_url(row["pledge_token"]))),  # about 40 mm printed
        }
        for row in issued
    ]
    return render_template(
        "bureau/code_sheet.html",
        cards=cards,
        codes_csv=issued_codes_csv(issued, base_url(), ISSUED_CODES_HEADERS),
        login_url=f"{base_url()}/school/login",
    )


# --- downloads -------------------------------------------------------------------------------


def _export(extension: str):
    """Snapshot the live database into a temporary folder, make the file, stream it.

    The file is opened and the folder removed before streaming: the open handle keeps the data
    until the response is sent, and nothing is left behind on disk, even after a crash.
    """
    db = get_db()
    workdir = Path(tempfile.mkdtemp(prefix="checklist-export-"))
    try:
        path = exports.export(db, workdir, extension, Origin.now(current_app.config["DEPLOYMENT"]))
        handle = open(path, "rb")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    name = exports.download_name("checklist", extension, clock.now())
    storage.log_event(db, actor(), "export.download", name)
    response = send_file(handle, mimetype=EXPORT_TYPES[extension], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export/checklist.sqlite")
@admin_required
def export_sqlite():
    return _export("sqlite")


@bp.route("/export/csv.zip")
@admin_required
def export_csv():
    return _export("csv.zip")


@bp.route("/export/checklist.xlsx")
@admin_required
def export_xlsx():
    return _export("xlsx")
