"""The school's pages (/school): login, the declaration task list, one page per section, check
answers and submit, the result, and the history of submitted versions.

Every query uses the school code of the session (`g.school_code`), never a code from the URL or a
form, so a school only ever sees and changes its own data.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from pydantic import ValidationError
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from schemas import (
    SECTION_BY_ID,
    SECTIONS,
    Declaration,
    Section,
    Standing,
    clock,
    county_required,
    declares,
    field_messages,
    verdict,
)

from .. import storage
from ..web.answers import PROMISE, answer_rows, raw_from_row, version_answers
from ..web.auth import (
    check_school_login,
    current_school,
    declaring_school,
    end_session,
    note_login,
    safe_next,
    school_globals,
    school_required,
    start_session,
    throttle_keys,
    throttled,
)
from ..web.db import get_db, get_settings
from ..web.forms import (
    ModelForm,
    add_error,
    error_list,
    form_class,
    form_from_raw,
    typed_answers,
    validated,
)
from ..web.memo import bytes_bounded

bp = Blueprint("school", __name__, url_prefix="/school")

LOGIN_FAILED = "学校代码或访问码不正确"
LOGGED_OUT = "已退出登录"
SAVED = "已保存“{title}”"
NOT_FILLED = "“{title}”尚未填写"

# The promise is asked afresh for every version: it is needed to submit, not to save a draft, and
# it is not carried over into the next declaration.
PROMISE_SECTION = Declaration.section_of(PROMISE).section_id

SUBMIT_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# --- login -----------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    school_code = StringField(
        "学校代码",
        validators=[InputRequired("请填写学校代码"), Length(max=40, message="学校代码不能超过 40 个字符")],
        render_kw={"autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"},
    )
    access_code = PasswordField(
        "访问码",
        description="教育局发给本校的访问码，不区分大小写",
        validators=[InputRequired("请填写访问码"), Length(max=64, message="访问码不能超过 64 个字符")],
        render_kw={"autocomplete": "current-password", "autocapitalize": "characters"},
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and g.get("school_code"):
        return redirect(url_for(".index"))
    form = LoginForm()
    if form.validate_on_submit():
        typed = form.school_code.data.strip()
        code = storage.school_code_matching(get_db(), typed) or typed
        keys = throttle_keys("school", code.upper())
        refused = throttled(keys, f"school:{code[:40]}")
        if refused:
            return refused
        ok = check_school_login(code, form.access_code.data.strip())
        note_login(keys, ok, f"school:{code[:40]}")
        if ok:
            start_session(school_code=code)
            return redirect(safe_next(url_for(".index")))
        add_error(form, None, LOGIN_FAILED)
    return render_template("school/login.html", form=form, errors=error_list(form))


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    flash(LOGGED_OUT)
    return redirect(url_for(".login"))


# --- the state of a declaration in progress --------------------------------------------------


@dataclass
class SectionState:
    """One section's answers as typed (None: not started), the model they make (None: not valid)
    and its problems, each (field name or None for the section, message), in page order."""

    model: type[Section]
    raw: dict[str, str] | None
    instance: Section | None
    errors: list[tuple[str | None, str]]

    @property
    def valid(self) -> bool:
        return self.instance is not None and not self.errors

    @property
    def status(self) -> str:
        if self.raw is None:
            return "not_started"
        return "saved" if self.valid else "needs_changes"

    def form(self) -> ModelForm:
        """The section's form as typed, each problem placed on its field (the section's page)."""
        form = form_from_raw(self.model, self.raw)
        for field_name, message in self.errors:
            add_error(form, field_name, message)
        return form

    def add_problem(self, field_name: str, message: str) -> None:
        """A problem found beyond the section, unless its field already shows one."""
        if any(name == field_name for name, _ in self.errors):
            return
        order = list(self.model.model_fields)
        self.errors.append((field_name, message))
        self.errors.sort(key=lambda e: -1 if e[0] is None else order.index(e[0]))


@dataclass
class Assessment:
    """Every section assessed on its own, then the rules across sections wherever they apply."""

    states: dict[str, SectionState]
    submit_problems: list[tuple[str, str, str]] = field(default_factory=list)  # section, field, message

    def data(self) -> dict:
        merged: dict = {}
        for state in self.states.values():
            if state.instance is not None:
                merged.update(state.instance.model_dump())
        return merged

    def problems(self) -> list[tuple[str, str | None, str]]:
        """(section id, field id or None, message) in page order, for the review page."""
        found = []
        for section_id, state in self.states.items():
            if state.raw is None:
                found.append((section_id, None, NOT_FILLED.format(title=state.model.title)))
            else:
                found.extend((section_id, field_id, message) for field_id, message in state.errors)
            found.extend(p for p in self.submit_problems if p[0] == section_id)
        return found

    @property
    def complete(self) -> bool:
        return not self.problems()

    def note(self, field_name: str | None, message: str) -> None:
        """A problem found when the whole declaration is checked, placed on its section."""
        if field_name in Declaration.model_fields and field_name != PROMISE:
            self.states[Declaration.section_of(field_name).section_id].add_problem(field_name, message)
            return
        problem = (PROMISE_SECTION, field_name, message)  # the promise, or the whole declaration
        if problem not in self.submit_problems:
            self.submit_problems.append(problem)


@bytes_bounded(budget=8 * 1024 * 1024, largest=256 * 1024)
def checked_section(model: type[Section], answers: tuple[tuple[str, str], ...], day: dt.date):
    """(the model the answers make or None, their problems in page order), the section alone.

    Every page of the declaration assesses all its sections, and a school changes one at a
    time: the answers of the others come back as they were, so their checks are kept. `day` is
    in the key so that no check that reads the date could outlive it.
    """
    form = form_from_raw(model, dict(answers))
    instance = validated(form)
    return instance, tuple(error_list(form))


def assess(answers: dict[str, dict | None]) -> Assessment:
    states = {}
    for model in SECTIONS:
        raw = answers.get(model.section_id)
        instance, errors = (
            checked_section(model, tuple(sorted(raw.items())), clock.today()) if raw is not None else (None, ())
        )
        states[model.section_id] = SectionState(model, raw, instance, list(errors))
    assessment = Assessment(states)
    # Rules across sections (not_home_14_days ≤ all people, the promise) are checked as soon as
    # the sections they read are valid, so a section shows 需修改 before the submit refuses it.
    for field_name, message in Declaration.broken_rules(assessment.data()):
        assessment.note(field_name, message)
    # A stock figure is optional until the county sets its own standard for it.
    for field_name, message in county_required(get_settings()):
        state = assessment.states[Declaration.section_of(field_name).section_id]
        if state.raw is not None and not state.raw.get(field_name):
            assessment.note(field_name, message)
    return assessment


def current_answers(db, school_code: str) -> dict[str, dict | None]:
    """Each section's draft; else the last submitted answers (a new declaration starts from
    them); else None, not started."""
    drafts = storage.load_drafts(db, school_code)
    latest = storage.latest_declaration(db, school_code)
    return {
        model.section_id: drafts.get(model.section_id, raw_from_row(model, latest) if latest else None)
        for model in SECTIONS
    }


def standing(row: dict | None) -> Standing | None:
    """A version's stored verdict and the one today's county settings give."""
    return storage.standing_of(row, get_settings()) if row is not None else None


# --- pages -----------------------------------------------------------------------------------


@bp.context_processor
def _page_globals() -> dict:
    return school_globals()


@bp.route("/")
@school_required
def index():
    school = current_school()
    if not declares(school["kind"]):
        return render_template("school/index.html", school=school, declares=False)
    db = get_db()
    assessment = assess(current_answers(db, g.school_code))
    return render_template(
        "school/index.html",
        school=school,
        declares=True,
        states=assessment.states.values(),
        complete=assessment.complete,
        standing=storage.latest_standing(db, g.school_code, get_settings()),
        inspection=storage.latest_inspection(db, g.school_code),
        ledger_today=storage.ledger_report_on(db, g.school_code, clock.today()),
        backfill_days=get_settings().backfill_days,
    )


@bp.route("/declaration/<section_id>", methods=["GET", "POST"])
@school_required
def section(section_id: str):
    model = SECTION_BY_ID.get(section_id)
    if model is None:
        abort(404)
    declaring_school()
    db = get_db()
    answers = current_answers(db, g.school_code)
    if request.method == "POST":
        answers[section_id] = typed_answers(form_class(model)())
    # checked with the other sections' answers, for the rules across sections
    state = assess(answers).states[section_id]
    if request.method == "POST":
        # kept as typed, errors included, so nothing typed is lost
        storage.save_draft(db, g.school_code, section_id, answers[section_id])
        if state.valid:
            flash(SAVED.format(title=model.title))
            return redirect(url_for(".index"))
    form = state.form()
    return render_template(
        "school/section.html",
        section=model,
        number=SECTIONS.index(model) + 1,
        total=len(SECTIONS),
        form=form,
        errors=error_list(form),
    )


def _review(assessment: Assessment, failed: bool = False):
    problems = assessment.problems()
    preview = None
    if all(field_name == PROMISE for _s, field_name, _m in problems):
        try:
            preview = verdict(
                Declaration.model_validate({**assessment.data(), PROMISE: True}),
                get_settings(),
            )
        except ValidationError:
            preview = None
    sections = [
        {
            "model": state.model,
            "status": state.status,
            "rows": answer_rows(state.model, state.raw) if state.raw is not None else [],
            "problems": [(f, m) for s, f, m in problems if s == state.model.section_id],
        }
        for state in assessment.states.values()
    ]
    return render_template(
        "school/review.html",
        sections=sections,
        problems=problems,
        preview=preview,
        failed=failed,
        submit_key=secrets.token_urlsafe(24),
    )


@bp.route("/declaration/review")
@school_required
def review():
    declaring_school()
    return _review(assess(current_answers(get_db(), g.school_code)))


@bp.route("/declaration/submit", methods=["POST"])
@school_required
def submit():
    declaring_school()
    db = get_db()
    key = request.form.get("submit_key", "")
    if not SUBMIT_KEY.fullmatch(key):
        abort(400)
    done = storage.declaration_by_submit_key(db, g.school_code, key)
    if done is not None:  # a double click or a resent form: the version it already made
        return redirect(url_for(".result", version=done["version"]))
    assessment = assess(current_answers(db, g.school_code))
    declaration = None
    if assessment.complete:
        try:
            declaration = Declaration.model_validate(assessment.data())
        except ValidationError as error:
            for field_name, message in field_messages(Declaration, error):
                assessment.note(field_name, message)
    if declaration is None:
        return _review(assessment, failed=True)
    row, _created = storage.record_declaration(
        db,
        g.school_code,
        declaration,
        verdict(declaration, get_settings()),
        key,
        forget=(PROMISE_SECTION, PROMISE),
    )
    return redirect(url_for(".result", version=row["version"]))


def _version_row(version: int) -> dict:
    row = storage.declaration_version(get_db(), g.school_code, version)
    if row is None:
        abort(404)
    return row


@bp.route("/declarations/<int:version>/result")
@school_required
def result(version: int):
    current_school()
    row = _version_row(version)
    return render_template("school/result.html", row=row, verdict=storage.stored_verdict(row))


@bp.route("/declarations")
@school_required
def history():
    current_school()
    db = get_db()
    rows = storage.declaration_versions(db, g.school_code)
    return render_template(
        "school/history.html",
        versions=[{"row": row, "stored": storage.stored_verdict(row)} for row in rows],
        standing=standing(rows[0] if rows else None),
    )


@bp.route("/declarations/<int:version>")
@school_required
def version(version: int):
    current_school()
    db = get_db()
    row = _version_row(version)
    previous = storage.previous_declaration(db, g.school_code, version)
    sections = version_answers(row, previous)
    return render_template(
        "school/version.html",
        row=row,
        previous=previous,
        sections=sections,
        changes=sum(r["changed"] for s in sections for r in s["rows"]),
        standing=standing(row),
    )
