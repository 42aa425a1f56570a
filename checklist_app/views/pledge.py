"""The staff pledge, reached from a school's link or QR code (/pledge/<token>).

No login: the unguessable per-school token is the key. No limit per address either: a whole
staff group signs within minutes, often behind one carrier NAT address. A person signs once per
pledge version; a repeat is held off by the database's unique constraint. The browser that
signed (the same session, as a double click or a reload sends it) sees the first receipt again; anyone else who types
the same name and phone learns only that the person signed and on which day.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

import schemas
from schemas.pledge import PLEDGE_ITEMS, ROLES, WHEREABOUTS

from .. import storage
from ..web.db import get_db
from ..web.errors import render_error
from ..web.forms import add_error, error_list, form_class, validated
from ..web.templating import bureau_name

bp = Blueprint("pledge", __name__, url_prefix="/pledge")

UNKNOWN_LINK = "此承诺书链接无效或已被更换。请向学校索取最新的链接或二维码。"
TEXT_CHANGED = "承诺书内容已更新。请阅读下面的最新内容，再确认签署。"
REPEAT = "您已签署过本版本承诺书，以下是您第一次签署的回执，本次提交没有重复保存。"


@bp.route("/<token>", methods=["GET", "POST"])
def form(token: str):
    db = get_db()
    school = storage.school_by_pledge_token(db, token)
    if school is None:
        return render_error(404, UNKNOWN_LINK)
    text = schemas.pledge_text()
    text_sha256 = schemas.pledge_text_sha256(text)
    if request.method == "GET" and "_flashes" not in session:
        page = blank_form_page(school["code"], school["name"], token, text_sha256, bureau_name())
        return page.replace(TOKEN_SLOT, generate_csrf())
    pledge_form = form_class(schemas.Pledge)()
    if request.method == "POST":
        pledge = validated(pledge_form)
        if pledge is None:
            _add_rule_errors(pledge_form)
        shown = request.form.get("text_sha256")
        if shown is not None and shown != text_sha256:  # the text changed since the page was shown
            add_error(pledge_form, None, TEXT_CHANGED)
        elif pledge is not None:
            browser = session.get("csrf_token", "")  # Flask-WTF's secret of this browser's session
            row, created = storage.record_pledge(db, school["code"], pledge, text_sha256, browser)
            if not created and not storage.signed_in(db, row["reference"], browser):
                # someone else who knows the name and phone: that the person signed, and when
                return render_template("pledge/signed.html", name=row["name"], signed_on=row["submitted_at"][:10])
            if not created:
                flash(REPEAT)
            return redirect(url_for(".receipt", token=token, reference=row["reference"]), 303)
    errors = error_list(pledge_form)
    return render_template(
        "pledge/form.html",
        school=school,
        form=pledge_form,
        item_names=PLEDGE_ITEMS,
        text=text,
        text_sha256=text_sha256,
        errors=errors,
        errors_present=bool(errors),
    ), (400 if errors else 200)


TOKEN_SLOT = "\x00csrf-token\x00"  # no rendered value can hold it: every value is escaped text


@lru_cache(maxsize=4096)
def blank_form_page(code: str, name: str, token: str, text_sha256: str, bureau_name: str) -> str:
    """The form as everyone first sees it, rendered once per school, pledge text and bureau name
    (all it shows) and kept; each GET puts its own CSRF token in TOKEN_SLOT.

    Everyone on a school's staff opens the same link within minutes, and rendering this form is
    most of the cost of that request (docs/performance.md).
    """
    pledge_form = form_class(schemas.Pledge)()
    pledge_form.csrf_token.current_token = TOKEN_SLOT
    return render_template(
        "pledge/form.html",
        school={"code": code, "name": name, "pledge_token": token},
        form=pledge_form,
        item_names=PLEDGE_ITEMS,
        text=schemas.pledge_text(),
        text_sha256=text_sha256,
        errors=[],
        errors_present=False,
    )


def _add_rule_errors(pledge_form) -> None:
    """Every unticked item and a signature that differs, even while another field is wrong.

    The model checks its rules only once every field is valid; a person on a phone should not
    have to send the form twice to learn that an item was left unticked.
    """
    for field, message in schemas.Pledge.broken_rules(pledge_form.model_data()):
        add_error(pledge_form, field, message)


@bp.route("/<token>/receipt/<reference>")
def receipt(token: str, reference: str):
    db = get_db()
    school = storage.school_by_pledge_token(db, token)
    pledge = storage.pledge_by_reference(db, school["code"], reference.upper()) if school else None
    if pledge is None:
        return render_error(404, "找不到这份承诺书回执。请检查网址是否完整。")
    current_text = schemas.pledge_text()
    shows_current_text = pledge["text_sha256"] == schemas.pledge_text_sha256(current_text)
    return render_template(
        "pledge/receipt.html",
        school=school,
        pledge=pledge,
        roles=ROLES,
        whereabouts=WHEREABOUTS,
        text=current_text if shows_current_text else None,
        form_url=url_for(".form", token=token),
    )
