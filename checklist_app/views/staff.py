"""A school's staff and their pledges (/school/staff): the pledge link and its QR code, the roster
upload, who has signed and who has not (phones masked), the 未签名单 to copy into a message.

Every page is the logged-in school's own: the school code comes from the session, never the URL.
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from schemas.pledge import PLEDGE_VERSION, ROLES

from .. import storage
from ..exchange.imports import TableError, parse_roster
from ..web import qr
from ..web.auth import current_school, school_globals, school_required
from ..web.db import get_db
from ..web.links import pledge_url

bp = Blueprint("staff", __name__, url_prefix="/school/staff")

ROSTER_TEMPLATE_HEADER = ",".join(["姓名", "手机号码", "身份"]) + "\r\n"  # CSV: commas between the headers
PROBLEMS_SHOWN = 50  # a page lists at most these; the field says how many there were


class RosterForm(FlaskForm):
    roster = FileField(
        "教职工名单文件",
        description="CSV 或 XLSX 文件，列为 姓名、手机号码、身份（身份填 教师、学校领导、职工 或 机关干部）",
        validators=[
            FileRequired("请选择要上传的名单文件"),
            FileAllowed(["csv", "xlsx"], "请上传 CSV 或 XLSX 文件"),
        ],
    )


bp.context_processor(school_globals)  # the school's name and logout in the header


@bp.before_request
@school_required
def _only_schools():
    """Every page here needs a school login (school_required returns None when logged in)."""


def _qr_svg(url: str) -> str:
    """The inline SVG, named for screen readers."""
    return qr.svg(url, scale=5).replace("<svg ", '<svg role="img" aria-label="本校承诺书链接的二维码" ', 1)


@bp.route("/", methods=["GET"])
def index():
    return _page(RosterForm())


@bp.route("/roster", methods=["POST"])
def upload_roster():
    form = RosterForm()
    if form.validate():
        upload = form.roster.data
        try:
            people = parse_roster(upload.read(), upload.filename or "")
        except TableError as error:
            form.roster.errors.append(refusal(error))
            return _page(form, problems=error.problems[:PROBLEMS_SHOWN])
        storage.replace_roster(get_db(), g.school_code, people, actor=f"school:{g.school_code}")
        flash(f"已导入教职工名单，共 {len(people)} 人。原有名单已被替换。")
        return redirect(url_for(".index"), 303)
    return _page(form)


def refusal(error: TableError) -> str:
    """What the field says of a refused file: how many problems, and whether all are listed."""
    count = len(error.problems)
    if error.stopped and count == 1:
        return error.problems[0]
    found = f"名单中问题超过 {count} 处，已停止检查" if error.stopped else f"名单有 {count} 处问题"
    listed = f"下面列出前 {PROBLEMS_SHOWN} 处" if count > PROBLEMS_SHOWN else ""
    return "，".join(filter(None, [found, "没有导入任何数据", listed])) + "。请修改后重新上传。"


@bp.route("/qr.png")
def qr_png():
    school = current_school()
    image = qr.png(pledge_url(school["pledge_token"]))
    response = send_file(BytesIO(image), mimetype="image/png")
    response.headers["Content-Disposition"] = attachment(
        f"承诺书二维码-{school['code']}.png", ascii_name=f"pledge-qr-{school['code']}.png"
    )
    return response


def attachment(name: str, ascii_name: str) -> str:
    """A Chinese file name, and for a client that reads only `filename` an ASCII one that still
    says what the file is (werkzeug would drop the Chinese and leave `-CODE.png`)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@bp.route("/roster-template.csv")
def roster_template():
    body = "\ufeff" + ROSTER_TEMPLATE_HEADER  # the BOM lets Excel read the Chinese headers
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-template.csv"},
    )


def _page(form: RosterForm, problems: list[str] | None = None):
    school = current_school()
    status = storage.roster_status(get_db(), g.school_code)
    link = pledge_url(school["pledge_token"])
    errors = [("roster", p) for p in problems] if problems else [("roster", e) for e in form.roster.errors]
    return render_template(
        "staff/index.html",
        school=school,
        link=link,
        qr_svg=_qr_svg(link),
        status=status,
        has_roster=bool(status["signed"] or status["unsigned"] or status["signed_earlier"]),
        roles=ROLES,
        pledge_version=PLEDGE_VERSION,
        form=form,
        errors=errors,
        errors_present=bool(errors),
    ), (400 if errors else 200)
