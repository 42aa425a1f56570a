"""Roles on bureau accounts and inspection teams of schools: the CLI and the storage verbs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from checklist_app import storage
from checklist_app.cli import main
from schemas import School


@pytest.fixture
def run(tmp_path):
    database = tmp_path / "instance" / "checklist.db"
    runner = CliRunner(env={"CHECKLIST_DB": str(database), "CHECKLIST_BASE_URL": "https://jyj.example.cn"})

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input)

    invoke.database = database
    return invoke


@pytest.fixture
def schools(run):
    db = storage.open_db(run.database)
    storage.migrate(db)
    storage.upsert_schools(
        db,
        [
            School(code="A1", name="甲小学", kind="小学", township="城关镇"),
            School(code="A2", name="乙小学", kind="小学", township="城关镇"),
            School(code="B1", name="丙中学", kind="初中", township="河口乡"),
        ],
    )
    return db


def test_create_inspector_with_team(run):
    result = run(
        "admin",
        "create",
        "jc1",
        "--role",
        "inspector",
        "--team",
        "第一组",
        "--password-stdin",
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    db = storage.open_db(run.database)
    account = storage.get_admin(db, "jc1")
    assert account["role"] == "inspector" and account["team"] == "第一组"
    assert [t["name"] for t in storage.list_teams(db)] == ["第一组"]
    assert storage.list_teams(db)[0]["inspectors"] == ["jc1"]
    created = db.execute("SELECT actor, target FROM audit_log WHERE action = 'team.create'").fetchall()
    assert created == [("cli", "第一组")]


def test_admin_has_admin_role_and_no_team(run):
    assert run("admin", "create", "jyj", "--password-stdin", input="a-long-password\n").exit_code == 0
    account = storage.get_admin(storage.open_db(run.database), "jyj")
    assert account["role"] == "admin" and account["team"] is None


def test_inspector_without_team_is_refused(run):
    result = run("admin", "create", "jc1", "--role", "inspector", "--password-stdin", input="a-long-password\n")
    assert result.exit_code != 0
    assert "检查组" in result.output
    db = storage.open_db(run.database)
    storage.migrate(db)
    assert storage.get_admin(db, "jc1") is None


def test_assign_by_township_and_by_school(run, schools):
    result = run("teams", "assign", "第一组", "--township", "城关镇")
    assert result.exit_code == 0, result.output
    assert "A1" in result.output and "：" in result.output
    assert storage.team_codes(schools, "第一组") == {"A1", "A2"}
    moved = run("teams", "assign", "第二组", "--school", "A2", "--school", "B1")
    assert moved.exit_code == 0 and "A2 原属检查组 第一组，已移到检查组 第二组。" in moved.output
    # a school belongs to one team: A2 moved
    assert storage.team_codes(schools, "第一组") == {"A1"}
    assert storage.team_codes(schools, "第二组") == {"A2", "B1"}
    assert storage.team_of(schools, "A2") == "第二组"
    assert storage.team_of(schools, "NOPE") is None


def test_unknown_code_assigns_nothing(run, schools):
    result = run("teams", "assign", "第一组", "--school", "A1", "--school", "NOPE")
    assert result.exit_code != 0 and "NOPE" in result.output
    assert storage.team_codes(schools, "第一组") == set()
    assert storage.team_of(schools, "A1") is None


def test_township_without_schools_assigns_nothing(run, schools):
    result = run("teams", "assign", "第一组", "--school", "A1", "--township", "无此乡")
    assert result.exit_code != 0 and "无此乡" in result.output
    assert storage.team_of(schools, "A1") is None


def test_may_see_school_follows_the_team(app, db, make_school):
    from flask import g

    from checklist_app.web.auth import may_see_school

    make_school(code="A1", township="城关镇")
    make_school(code="B1", township="河口乡")
    storage.assign_schools(db, "第一组", codes=["A1"], actor="test")
    with app.test_request_context("/bureau/"):
        g.admin, g.role, g.team = "jc1", "inspector", "第一组"
        assert may_see_school("A1") and not may_see_school("B1")
        g.admin, g.role, g.team = "chief", "admin", None
        assert may_see_school("B1")
        g.admin = g.role = None
        assert not may_see_school("A1")
