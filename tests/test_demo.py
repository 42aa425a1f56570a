"""The demo county (`checklist demo`) shows inspections on first run (`spec/inspection.md`): two
teams with the schools of their townships, an inspector account each with a password made for
it, and inspections recorded through the storage verbs, some 相符, some 不符 with a note and a
整改期限 (one of them overdue), and a school that declared again after one (待复查)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash

from checklist_app import demo, storage
from checklist_app.cli import main
from schemas import clock, declares
from schemas.inspection import CONFIRMED, CONTRADICTED, RECHECK, judged_items
from tests.bureau_support import counts_on_page
from tests.sessions import log_in

LOGIN_LINE = re.compile(r"^  检查员（(\S+)） \S+/bureau/login  用户名 (\S+)  密码 (\S+)$", re.M)


@pytest.fixture
def county(db):
    return demo.load_demo(db, seed=3)


def states(db) -> dict[str, object]:
    """The 核查 state of every school that declared."""
    settings = storage.load_settings(db)
    codes = [r[0] for r in db.execute("SELECT DISTINCT school_code FROM declarations")]
    return {code: storage.latest_standing(db, code, settings).inspection for code in codes}


def of_state(db, value: str) -> list[str]:
    return sorted(code for code, state in states(db).items() if state.value == value)


def test_two_teams_share_the_schools_that_declare_whole_townships_each(db, county):
    teams = storage.list_teams(db)
    assert len(teams) == 2 and all(team["schools"] for team in teams)
    declaring = [s for s in db.query("SELECT code, kind, township FROM schools") if declares(s["kind"])]
    assert all(storage.team_of(db, s["code"]) for s in declaring)
    by_township: dict[str, set] = {}
    for school in declaring:
        by_township.setdefault(school["township"], set()).add(storage.team_of(db, school["code"]))
    assert len(by_township) > 2 and all(len(teams) == 1 for teams in by_township.values())


def test_each_team_has_an_inspector_whose_own_password_is_printed_once(tmp_path):
    database = tmp_path / "demo.db"
    result = CliRunner(env={"CHECKLIST_DB": str(database)}).invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    printed = LOGIN_LINE.findall(result.output)
    db = storage.open_db(database)
    try:
        assert {team for team, _user, _password in printed} == {t["name"] for t in storage.list_teams(db)}
        admin_password = result.output.split("密码 ")[1].split()[0]
        passwords = [password for _team, _user, password in printed]
        assert len(set(passwords)) == len(passwords) and admin_password not in passwords
        for team, username, password in printed:
            account = storage.get_admin(db, username)
            assert (account["role"], account["team"]) == ("inspector", team)
            assert check_password_hash(account["password_hash"], password)
            assert password not in account["password_hash"]
    finally:
        db.close()


def test_every_demo_inspection_was_recorded_by_its_teams_inspector_after_the_version_it_checked(db, county):
    inspections = list(db.query("SELECT * FROM inspections"))
    assert len(inspections) >= 4
    audited = {e["detail"]["inspection"] for e in storage.audit_entries(db, ("inspection.submit",), limit=100)}
    assert audited == {i["id"] for i in inspections}
    for inspection in inspections:
        assert storage.get_admin(db, inspection["inspector"])["team"] == inspection["team"]
        assert storage.team_of(db, inspection["school_code"]) == inspection["team"]
        findings = storage.inspection_findings(db, inspection["id"])
        assert [f.field for f in findings] == [name for name, _label in judged_items()]
        version = db.execute(
            "SELECT submitted_at FROM declarations WHERE school_code = ? AND version = ?",
            [inspection["school_code"], inspection["declaration_version"]],
        ).fetchone()[0]
        assert version < inspection["submitted_at"] <= clock.timestamp()
        assert clock.parse(version).date() <= clock.parse(inspection["submitted_at"]).date()
        assert inspection["inspected_on"] == clock.parse(inspection["submitted_at"]).date().isoformat()


def test_the_demo_shows_each_核查_state_and_an_overdue_rectification_on_the_dashboard(admin, db, county):
    html = admin.get("/bureau/").get_data(as_text=True)
    counts = counts_on_page(html)
    confirmed, contradicted, recheck = (of_state(db, v) for v in (CONFIRMED, CONTRADICTED, RECHECK))
    assert confirmed and contradicted and recheck
    assert (counts["inspection_confirmed"], counts["inspection_contradicted"], counts["inspection_recheck"]) == (
        len(confirmed),
        len(contradicted),
        len(recheck),
    )
    for code in confirmed:
        checked = states(db)[code].confirmed
        assert checked and f"已核查{checked}项，均相符" in html
    overdue = {o["code"] for o in storage.overdue_rectifications(db, clock.today())}
    assert overdue and overdue <= set(contradicted)
    assert set(re.findall(r'data-overdue="([^"]+)"', html)) == overdue


def test_a_demo_school_found_不符_sees_the_item_as_a_gap_with_the_note_and_deadline(app, admin, db, county):
    code = of_state(db, CONTRADICTED)[0]
    state = states(db)[code]
    [found] = state.contradicted[:1]
    assert found.note and state.rectify_by
    page = admin.get(f"/bureau/schools/{code}").get_data(as_text=True)
    assert found.note in page and state.rectify_by in page and "不符合开学条件" in page
    client = app.test_client()
    log_in(client, school_code=code)
    html = client.get("/school/").get_data(as_text=True)
    gap = re.search(rf'<li class="gap-list__item" data-contradicted="{found.field}">.*?</li>', html, re.S).group(0)
    assert found.label in gap and found.note in gap and state.rectify_by in gap
