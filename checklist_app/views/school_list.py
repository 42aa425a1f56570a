"""The bureau imports the list of schools in the browser: upload CSV or XLSX, see what it would do
(or each row's problems), confirm. The file is read by `exchange.imports.read_school_list`, the
very function `checklist schools import` calls, and written by `storage.upsert_schools` in one
transaction (audited as schools.import): all of it or nothing.

Between preview and confirm the checked rows travel in the confirm form, compressed; the confirm
reads them again with the same function, so a changed form is checked like any upload.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import zlib
from io import BytesIO

import xlsxwriter
from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField

from schemas import KINDS

from .. import storage
from ..exchange.imports import MAX_SCHOOL_ROWS, TableError, read_school_list, school_list_changes
from ..web.auth import admin_required
from ..web.db import get_db
from .bureau import actor
from .staff import PROBLEMS_SHOWN, attachment, refusal

bp = Blueprint("school_list", __name__, url_prefix="/bureau/schools")

HEADERS = ["学校代码", "学校名称", "学校类型", "乡镇"]
EXAMPLE = ["0012", "城关镇第一小学", KINDS["primary"], "城关镇"]
CHECKED_NAME = "checked.csv"  # the rows the preview checked, as the confirm reads them
MAX_CHECKED_BYTES = MAX_SCHOOL_ROWS * 400  # a row of four short fields, generously


class UploadForm(FlaskForm):
    school_list = FileField(
        "学校名单文件",
        description="CSV 或 XLSX 文件，列为 学校代码、学校名称、学校类型、乡镇（也可用英文列名 code、name、kind、township）",
        validators=[
            FileRequired("请选择要上传的学校名单文件"),
            FileAllowed(["csv", "xlsx"], "请上传 CSV 或 XLSX 文件"),
        ],
    )


class ConfirmForm(FlaskForm):
    checked = HiddenField()


@bp.before_request
@admin_required
def _only_the_bureau():
    """Every page here needs a bureau login (admin_required returns None for an admin)."""


@bp.route("/import", methods=["GET"])
def upload():
    return _page(UploadForm())


@bp.route("/import", methods=["POST"])
def preview():
    form = UploadForm()
    if not form.validate():
        return _page(form)
    upload = form.school_list.data
    try:
        schools = read_school_list(get_db(), upload.read(), upload.filename or "")
    except TableError as error:
        form.school_list.errors.append(refusal(error))
        return _page(form, problems=error.problems[:PROBLEMS_SHOWN])
    listed = school_list_changes(get_db(), schools)
    confirm = ConfirmForm(checked=pack(schools))
    return render_template("bureau/school_list.html", form=form, listed=listed, confirm=confirm, errors=[])


@bp.route("/import/confirm", methods=["POST"])
def confirm():
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    db = get_db()
    try:
        schools = read_school_list(db, unpack(form.checked.data or ""), CHECKED_NAME)
    except TableError as error:
        form = UploadForm(formdata=None)
        form.school_list.errors = [refusal(error)]
        return _page(form, problems=error.problems[:PROBLEMS_SHOWN])
    created, updated = storage.upsert_schools(db, schools, actor=actor())
    flash(f"学校名单已导入：新增 {created} 所，更新 {updated} 所。新增的学校需要生成访问码。")
    return redirect(url_for("bureau.codes"), 303)


@bp.route("/template.xlsx")
def template_xlsx():
    """The template, its columns formatted as text: a code typed as 0012 keeps its zeros."""
    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("学校名单")
    text = book.add_format({"num_format": "@"})
    bold = book.add_format({"bold": True, "num_format": "@"})
    for column, width in enumerate([12, 30, 12, 16]):
        sheet.set_column(column, column, width, text)
    sheet.write_row(0, 0, HEADERS, bold)
    sheet.write_row(1, 0, EXAMPLE, text)
    book.close()
    response = send_file(
        BytesIO(out.getvalue()), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = attachment("学校名单模板.xlsx", ascii_name="school-list-template.xlsx")
    return response


@bp.route("/template.csv")
def template_csv():
    body = "\ufeff" + _csv([HEADERS, EXAMPLE])  # the BOM lets Excel read the Chinese headers
    response = send_file(BytesIO(body.encode("utf-8")), mimetype="text/csv")
    response.headers["Content-Disposition"] = attachment("学校名单模板.csv", ascii_name="school-list-template.csv")
    return response


def _page(form: UploadForm, problems: list[str] | None = None):
    errors = (
        [("school_list", p) for p in problems] if problems else [("school_list", e) for e in form.school_list.errors]
    )
    return render_template(
        "bureau/school_list.html", form=form, listed=None, errors=errors, errors_present=bool(errors)
    ), (400 if errors else 200)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def pack(schools) -> str:
    """The checked rows as the confirm form carries them: CSV, compressed, base64."""
    rows = [["code", "name", "kind", "township"]] + [[s.code, s.name, s.kind, s.township] for s in schools]
    return base64.urlsafe_b64encode(zlib.compress(_csv(rows).encode("utf-8"), 9)).decode("ascii")


def unpack(packed: str) -> bytes:
    """The rows back, or TableError for a form nobody's preview made (bounded: no zip bomb)."""
    try:
        inflate = zlib.decompressobj()
        data = inflate.decompress(base64.urlsafe_b64decode(packed.encode("ascii")), MAX_CHECKED_BYTES)
    except (binascii.Error, zlib.error, ValueError):
        raise TableError(["预览已失效，请重新上传学校名单文件"]) from None
    if inflate.unconsumed_tail or not inflate.eof:
        raise TableError(["预览已失效，请重新上传学校名单文件"])
    return data
