"""The inspector's pages (/bureau/inspect), made for a phone at the school: the team's schools
with their verdict and 核查 state, one school's inspection form (each judged item with the
school's answer beside it), check answers, submit and a receipt.

Only inspectors inspect (admins see the results on their own pages), and only the schools of
their team: any other school's page is refused with 403, whether it exists or not.
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from schemas import Declaration, clock
from schemas.inspection import (
    CONTRADICTED,
    UNCHECKED,
    Inspection,
    InspectionFields,
    finding_field,
    findings_of,
    inspection_state,
    judged_items,
    note_field,
)

from .. import storage
from ..web.answers import version_answers
from ..web.auth import inspector_required, may_see_school
from ..web.db import get_db, get_settings
from ..web.forms import ModelForm, add_error, error_list, form_class, form_from_raw, typed_answers, validated
from .bureau import county_now

bp = Blueprint("inspect", __name__, url_prefix="/bureau/inspect")

SUBMIT_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
JUDGED = frozenset(name for name, _ in judged_items())
WHOLE = tuple(InspectionFields.model_fields)
# an answer left blank is its default (未核查, no note), for the rules that read it
OPTIONAL = {name: info.default for name, info in Inspection.model_fields.items() if not info.is_required()}
STALE_DRAFT = "该校在您保存草稿后提交了第 {latest} 版申报：下面列出的是新版本的内容，请重新核对后再保存。"


def _team_school(code: str) -> dict:
    """The school, when it is one of the inspector's team; 403 otherwise (unknown codes too)."""
    if not may_see_school(code):
        abort(403)
    return storage.get_school(get_db(), code)


def checked(raw: dict[str, str]) -> tuple[Inspection | None, ModelForm]:
    """(the inspection the answers make or None, the form with every problem on its field): the
    rules across fields are checked on whatever parsed, so every problem shows at once."""
    form = form_from_raw(Inspection, raw)
    instance = validated(form)
    if instance is None:
        parsed = {k: v for k, v in form.model_data().items() if v is not None and not form[k].errors}
        for field, message in Inspection.broken_rules({**OPTIONAL, **parsed}):
            add_error(form, field, message)
    return instance, form


def _initial() -> dict[str, str]:
    """A new inspection: nothing checked yet, inspected today."""
    return {finding_field(name): UNCHECKED for name in JUDGED} | {"inspected_on": clock.today().isoformat()}


def item_groups(form: ModelForm, latest: dict) -> list[dict]:
    """The judged items by section of the declaration, each finding field told the school's
    answer (its hint), with its note field."""
    groups = []
    for section in version_answers(latest):
        rows = []
        for answer in section["rows"]:
            if answer["name"] not in JUDGED:
                continue
            if not answer["asked"]:
                words = "该版本未设此项"
            elif answer["tick"]:
                words = "是" if answer["value"] else "否"
            else:
                words = answer["value"] or "未填写"
            finding = form[finding_field(answer["name"])]
            finding.description = f"学校填报：{words}"
            rows.append(
                {"name": answer["name"], "answer": words, "finding": finding, "note": form[note_field(answer["name"])]}
            )
        if rows:
            groups.append({"title": section["model"].title, "rows": rows})
    return groups


# --- the team's schools ----------------------------------------------------------------------


@bp.route("/")
@inspector_required
def index():
    db = get_db()
    mine = storage.team_codes(db, g.team) if g.team else set()
    rows = [r for r in county_now(db, get_settings()).rows if r.code in mine and not r.is_bureau]
    return render_template("bureau/inspect/index.html", rows=rows, team=g.team)


# --- one school's inspection -------------------------------------------------------------------


@bp.route("/<code>", methods=["GET", "POST"])
@inspector_required
def form(code: str):
    school = _team_school(code)
    db = get_db()
    latest = storage.latest_declaration(db, code)
    if latest is None:
        return render_template("bureau/inspect/form.html", school=school, latest=None)
    draft = storage.load_inspection_draft(db, g.admin, code)
    notice = None
    if request.method == "POST":
        version = request.form.get("declaration_version", type=int)
        if version is None or not 1 <= version <= latest["version"]:  # the version the form was made for
            abort(400)
        raw = typed_answers(form_class(Inspection)())
        # kept as typed, errors included, so nothing typed is lost
        storage.save_inspection_draft(db, g.admin, code, version, raw)
        instance, page_form = checked(raw)
        if version != latest["version"]:
            notice = STALE_DRAFT.format(latest=latest["version"])
        elif instance is not None:
            flash("已保存核查草稿，请检查后提交。")
            return redirect(url_for(".review", code=code))
    elif draft is not None:
        _instance, page_form = checked(draft["answers"])
        if draft["version"] != latest["version"]:
            notice = STALE_DRAFT.format(latest=latest["version"])
    else:
        page_form = form_from_raw(Inspection, _initial())
    return render_template(
        "bureau/inspect/form.html",
        school=school,
        latest=latest,
        notice=notice,
        groups=item_groups(page_form, latest),
        whole=[page_form[name] for name in WHOLE],
        errors=error_list(page_form),
    )


def _review(code: str, failed: str | None = None):
    school = _team_school(code)
    db = get_db()
    latest = storage.latest_declaration(db, code)
    draft = storage.load_inspection_draft(db, g.admin, code)
    if latest is None or draft is None:
        return redirect(url_for(".form", code=code))
    instance, page_form = checked(draft["answers"])
    problems = error_list(page_form)
    if draft["version"] != latest["version"]:
        problems.insert(0, (None, STALE_DRAFT.format(latest=latest["version"])))
    preview = None
    if instance is not None:
        own = storage.latest_standing(db, code, get_settings())
        state = inspection_state(latest["version"], latest["version"], findings_of(instance), instance.rectify_by)
        preview = {"state": state, "seen": state.applied_to(own.now) if own else None}
    groups = item_groups(page_form, latest)
    return render_template(
        "bureau/inspect/review.html",
        school=school,
        latest=latest,
        version=draft["version"],
        groups=groups,
        unchecked=sum(1 for group in groups for row in group["rows"] if row["finding"].data == UNCHECKED),
        whole=[page_form[name] for name in WHOLE],
        problems=problems,
        preview=preview,
        failed=failed,
        submit_key=secrets.token_urlsafe(24),
    )


@bp.route("/<code>/review")
@inspector_required
def review(code: str):
    return _review(code)


@bp.route("/<code>/submit", methods=["POST"])
@inspector_required
def submit(code: str):
    _team_school(code)
    db = get_db()
    key = request.form.get("submit_key", "")
    if not SUBMIT_KEY.fullmatch(key):
        abort(400)
    done = storage.inspection_by_submit_key(db, code, key)
    if done is not None:  # a double click or a resent form: the inspection it already made
        return redirect(url_for(".receipt", code=code, inspection_id=done["id"]))
    draft = storage.load_inspection_draft(db, g.admin, code)
    if draft is None:
        return redirect(url_for(".form", code=code))
    instance, _form = checked(draft["answers"])
    if instance is None:
        return _review(code, failed="核查结果未提交，请先修改以下问题。")
    try:
        row, _created = storage.record_inspection(db, code, g.team, draft["version"], instance, g.admin, key)
    except storage.InspectionRefused as refused:
        return _review(code, failed=str(refused))
    return redirect(url_for(".receipt", code=code, inspection_id=row["id"]))


@bp.route("/<code>/inspections/<int:inspection_id>")
@inspector_required
def receipt(code: str, inspection_id: int):
    school = _team_school(code)
    db = get_db()
    inspection = storage.inspection_by_id(db, inspection_id)
    if inspection is None or inspection["school_code"] != code or inspection["team"] != g.team:
        abort(404)
    findings = storage.inspection_findings(db, inspection_id)
    version = inspection["declaration_version"]
    return render_template(
        "bureau/inspect/receipt.html",
        school=school,
        inspection=inspection,
        state=inspection_state(version, version, findings, inspection["rectify_by"]),
        contradicted=[f for f in findings if f.finding == CONTRADICTED],
        unchecked=sum(f.finding == UNCHECKED for f in findings),
        labels={name: Declaration.model_fields[name].title for name in JUDGED},
    )
