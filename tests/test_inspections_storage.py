"""Inspections in storage (`spec/inspection.md`): drafts, one row per submitted inspection and one
per item, refused unless the school is the team's and the version its latest, never changed
after submit, and the school's stored standing moved with it."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import pytest

from checklist_app import storage
from schemas import CountySettings, clock
from schemas.inspection import Inspection, judged_items
from schemas.readable import ACTIONS
from tests.bureau_support import declare

TEAM = "第一检查组"
TODAY = clock.today()


@pytest.fixture
def county(db, make_school):
    make_school("A1", "甲小学", "小学", "东镇")
    make_school("B1", "乙小学", "小学", "西乡")
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    storage.assign_schools(db, TEAM, codes=["A1"], actor="test")
    storage.assign_schools(db, "第二检查组", codes=["B1"], actor="test")
    declare(db, "A1")
    declare(db, "B1")
    return db


def inspection(inspected_on=TODAY, **findings) -> Inspection:
    answers = {"inspected_on": inspected_on, "inspectors": "张三、李四"}
    for field, found in findings.items():
        answers[f"finding_{field}"] = found if isinstance(found, str) else found[0]
        if not isinstance(found, str):
            answers[f"note_{field}"] = found[1]
            answers["rectify_by"] = found[2]
    return Inspection.model_validate(answers)


def record(db, code="A1", team=TEAM, version=1, key=None, **findings):
    found = inspection(**(findings or {"duty_rota": "confirmed"}))
    return storage.record_inspection(db, code, team, version, found, "jc1", key or uuid.uuid4().hex)


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def standing_row(db, code: str) -> dict:
    columns = storage.SCHOOL_ROW_COLUMNS
    return next(
        dict(zip(columns, r, strict=True)) for r in storage.school_rows(db, storage.load_settings(db)) if r[0] == code
    )


def test_an_inspection_is_one_row_and_one_row_per_judged_item(county):
    row, created = record(county, closed_management="confirmed", duty_rota=("contradicted", "无排班表", TODAY))
    assert created and row["school_code"] == "A1" and row["team"] == TEAM and row["declaration_version"] == 1
    assert row["inspector"] == "jc1" and row["inspected_on"] == TODAY.isoformat() and row["inspectors"] == "张三、李四"
    findings = storage.inspection_findings(county, row["id"])
    assert [f.field for f in findings] == [name for name, _ in judged_items()]
    assert count(county, "inspection_findings") == len(findings)
    assert {f.field: (f.finding, f.note) for f in findings if f.finding != "unchecked"} == {
        "closed_management": ("confirmed", None),
        "duty_rota": ("contradicted", "无排班表"),
    }


def test_a_resent_form_makes_no_second_inspection(county):
    first, created = record(county, key="same-key-0123456789")
    again, created_again = record(county, key="same-key-0123456789", closed_management="confirmed")
    assert created and not created_again and again == first
    assert count(county, "inspections") == 1
    assert count(county, "inspection_findings") == len(storage.inspection_findings(county, first["id"]))


def test_the_submit_key_is_unique_per_school_in_the_database(county):
    record(county, key="same-key-0123456789")
    with pytest.raises(sqlite3.IntegrityError), storage.transaction(county):
        county.execute(
            "INSERT INTO inspections (school_code, team, declaration_version, inspected_on, inspectors,"
            " submitted_at, inspector, submit_key) VALUES ('A1', ?, 1, ?, '张三', ?, 'jc1', 'same-key-0123456789')",
            [TEAM, TODAY.isoformat(), clock.timestamp()],
        )


def test_a_submitted_inspection_cannot_be_changed(county):
    row, _ = record(county, duty_rota="confirmed")
    for sql in (
        "UPDATE inspections SET summary = '改过' WHERE id = ?",
        "UPDATE inspection_findings SET finding = 'contradicted' WHERE inspection_id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="not changed"), storage.transaction(county):
            county.execute(sql, [row["id"]])
    assert storage.inspection_by_id(county, row["id"]) == row
    assert {f.finding for f in storage.inspection_findings(county, row["id"]) if f.field == "duty_rota"} == {
        "confirmed"
    }


def nothing_written(db) -> bool:
    return count(db, "inspections") == count(db, "inspection_findings") == 0 and not storage.audit_entries(
        db, ("inspection.submit",)
    )


def test_a_school_of_another_team_is_refused_and_nothing_stored(county):
    with pytest.raises(storage.InspectionRefused, match="不属于本检查组"):
        record(county, code="B1")
    assert nothing_written(county)


def test_a_version_no_longer_the_latest_is_refused_and_nothing_stored(county):
    declare(county, "A1")  # version 2 came in while the team was looking at version 1
    with pytest.raises(storage.InspectionRefused, match="第 2 版"):
        record(county, version=1)
    assert nothing_written(county)
    assert record(county, version=2)[1]


def test_an_inspection_is_audited_in_chinese_words(county):
    row, _ = record(county, duty_rota=("contradicted", "无", TODAY))
    (entry,) = storage.audit_entries(county, ("inspection.submit",))
    assert entry["actor"] == "admin:jc1" and entry["target"] == "A1"
    assert entry["detail"] == {"inspection": row["id"], "team": TEAM, "version": 1, "contradicted": ["duty_rota"]}
    assert ACTIONS["inspection.submit"] == "提交核查结果"


def test_drafts_are_each_inspectors_own_and_go_with_the_submit(county):
    storage.save_inspection_draft(county, "jc1", "A1", 1, {"inspectors": "张三"})
    storage.save_inspection_draft(county, "jc2", "A1", 1, {"inspectors": "李四"})
    storage.save_inspection_draft(county, "jc1", "A1", 1, {"inspectors": "张三、王五"})  # replaces jc1's
    assert storage.load_inspection_draft(county, "jc1", "A1")["answers"] == {"inspectors": "张三、王五"}
    assert storage.load_inspection_draft(county, "jc1", "B1") is None
    record(county)  # by jc1
    assert storage.load_inspection_draft(county, "jc1", "A1") is None
    assert storage.load_inspection_draft(county, "jc2", "A1")["answers"] == {"inspectors": "李四"}


# --- the standing it moves -------------------------------------------------------------------


def test_a_contradicted_item_makes_the_school_not_ready_in_its_stored_standing(county):
    record(county, duty_rota=("contradicted", "无排班表", TODAY))
    row = standing_row(county, "A1")
    assert row["verdict_own"] == "ready" and row["verdict_now"] == "not_ready" and row["legal_gaps_now"] == 1
    assert row["inspection"] == "contradicted" and row["rectify_by"] == TODAY.isoformat()
    assert storage.stale_standings(county) == []  # stored by the verb, not worked out on reading
    state = storage.latest_standing(county, "A1", storage.load_settings(county)).inspection
    assert [f.field for f in state.contradicted] == ["duty_rota"]


def test_a_confirmed_inspection_counts_the_items_found_to_match(county):
    record(county, duty_rota="confirmed", closed_management="confirmed")
    row = standing_row(county, "A1")
    assert (row["verdict_now"], row["inspection"], row["inspected_items"]) == ("ready", "confirmed", 2)
    assert storage.latest_standing(county, "A1", storage.load_settings(county)).inspection.label == "已核查2项，均相符"


@pytest.mark.parametrize("found", ["confirmed", ("contradicted", "无排班表", TODAY)])
def test_a_later_version_is_to_be_rechecked_and_its_own_verdict_counts(county, found):
    record(county, duty_rota=found)
    declare(county, "A1")
    row = standing_row(county, "A1")
    assert (row["version"], row["inspection"], row["verdict_now"], row["rectify_by"]) == (2, "recheck", "ready", None)
    assert storage.latest_standing(county, "A1", storage.load_settings(county)).inspection.label == "待复查"


def test_a_school_without_an_inspection_is_uninspected(county):
    assert standing_row(county, "A1")["inspection"] == "uninspected"
    assert storage.latest_standing(county, "A1", storage.load_settings(county)).inspection.label == "未核查"


def test_overdue_rectifications_are_passed_deadlines_with_no_new_version(county):
    yesterday = TODAY - dt.timedelta(days=1)
    found = inspection(yesterday, duty_rota=("contradicted", "无排班表", yesterday))
    storage.record_inspection(county, "A1", TEAM, 1, found, "jc1", uuid.uuid4().hex)
    assert storage.overdue_rectifications(county, yesterday) == []  # the deadline day itself is not overdue
    (overdue,) = storage.overdue_rectifications(county, TODAY)
    assert (overdue["code"], overdue["name"], overdue["rectify_by"]) == ("A1", "甲小学", yesterday.isoformat())
    declare(county, "A1")  # the school declared again: nothing to chase until the team looks again
    assert storage.overdue_rectifications(county, TODAY) == []


def test_a_deadline_without_a_contradicted_item_is_nothing_to_chase(county):
    found = inspection(duty_rota="confirmed").model_copy(update={"rectify_by": TODAY - dt.timedelta(days=1)})
    storage.record_inspection(county, "A1", TEAM, 1, found, "jc1", uuid.uuid4().hex)
    assert storage.overdue_rectifications(county, TODAY + dt.timedelta(days=1)) == []
