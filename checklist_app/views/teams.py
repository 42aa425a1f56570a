"""The bureau's inspection teams in the browser (/bureau/teams), for admins: the teams with their
schools and inspectors, the schools no team looks after yet, a form to create a team and one to
assign schools to it by township or by pasted codes. The same verbs as `checklist teams assign`
(`storage.create_team`, `storage.assign_schools`: one transaction each, audited).

Inspector accounts are made on the command line (`checklist admin create --role inspector`), like
every bureau account: the console has no user management.
"""

from __future__ import annotations

import itertools
import re

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, validators

from .. import storage
from ..web.auth import admin_required
from ..web.db import get_db
from ..web.forms import SelectField, error_list
from .bureau import actor

bp = Blueprint("teams", __name__, url_prefix="/bureau/teams")

TEAM_NAME_MAX = 30
CODES_MAX = 20_000  # characters pasted: a county's codes, with room to spare
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class CreateForm(FlaskForm):
    name = StringField(
        "检查组名称",
        description="例如：第一检查组",
        validators=[
            validators.DataRequired("请填写检查组名称"),
            validators.Length(max=TEAM_NAME_MAX, message=f"检查组名称不能超过 {TEAM_NAME_MAX} 个字"),
        ],
        filters=[lambda text: text.strip() if text else text],
    )


class AssignForm(FlaskForm):
    team = SelectField("检查组", validators=[validators.InputRequired("请选择检查组")])
    # a township not offered is left to storage, which says it has no school
    township = SelectField("按乡镇分配", description="所选乡镇的全部学校", validate_choice=False)
    codes = TextAreaField(
        "按学校代码分配",
        description="可粘贴多个学校代码，每行一个，或用顿号、逗号、空格隔开",
        validators=[
            validators.Length(max=CODES_MAX, message=f"学校代码不能超过 {CODES_MAX} 个字符"),
        ],
    )

    def offer(self, teams: list[dict], townships: list[tuple[str, int]]) -> AssignForm:
        self.team.choices = [(t["name"], t["name"]) for t in teams]
        self.township.choices = [("", "不按乡镇分配")] + [(t, f"{t}（{n}所学校）") for t, n in townships]
        return self

    def typed_codes(self) -> list[str]:
        return list(dict.fromkeys(c for c in CODE_SEPARATORS.split(self.codes.data or "") if c))


@bp.before_request
@admin_required
def _only_the_bureau():
    """Every page here is for the bureau's admins (admin_required returns None for one)."""


@bp.route("", methods=["GET"])
def index():
    return _page()


@bp.route("", methods=["POST"])
def create():
    form = CreateForm()
    if form.validate():
        try:
            created = storage.create_team(get_db(), form.name.data, actor())
        except storage.TeamError as error:
            form.name.errors.append(str(error))
        else:
            if created:
                flash(f"已新建检查组：{form.name.data}。")
                return redirect(url_for("teams.index"), 303)
            form.name.errors.append(f"已有名为“{form.name.data}”的检查组，请换一个名称。")
    return _page(create=form)


@bp.route("/assign", methods=["POST"])
def assign():
    db = get_db()
    form = AssignForm().offer(storage.list_teams(db), storage.township_counts(db))
    if form.validate():
        codes = form.typed_codes()
        townships = [form.township.data] if form.township.data else []
        if not townships and not codes:
            form.codes.errors.append("请选择乡镇或填写学校代码")
        else:
            try:
                done = storage.assign_schools(db, form.team.data, townships=townships, codes=codes, actor=actor())
            except storage.TeamError as error:
                {"team": form.team, "townships": form.township, "codes": form.codes}[error.about].errors.append(
                    f"{error}未分配任何学校。"
                )
            else:
                moved = f"其中 {len(done.moved)} 所原属其他检查组，已移过来。" if done.moved else ""
                flash(f"已将 {len(done.codes)} 所学校分配给{form.team.data}。{moved}")
                return redirect(url_for("teams.index"), 303)
    return _page(assign=form)


def by_township(schools: list[dict]) -> list[tuple[str, list[dict]]]:
    """Schools already in township order, grouped: [(township, [school, …]), …]."""
    return [(township, list(group)) for township, group in itertools.groupby(schools, key=lambda s: s["township"])]


def _page(create: CreateForm | None = None, assign: AssignForm | None = None):
    """The page; a refused form comes back with its errors beside its fields, the other one empty."""
    db = get_db()
    teams = storage.list_teams(db)
    create = create or CreateForm(formdata=None)
    assign = (assign or AssignForm(formdata=None)).offer(teams, storage.township_counts(db))
    unassigned = storage.unassigned_schools(db)
    return render_template(
        "bureau/teams.html",
        teams=[{**team, "townships": by_township(team["members"])} for team in teams],
        unassigned=by_township(unassigned),
        unassigned_count=len(unassigned),
        create=create,
        assign=assign,
        errors=error_list(create) + error_list(assign),
    )
