"""The daily tracking ledger (spec/ledger.md): one test per rule, both sides; storage per day."""

import datetime as dt
import threading

import pytest
from pydantic import ValidationError

from checklist_app import storage
from schemas import clock, examples, field_messages
from schemas.ledger import LedgerReport, is_backfill, is_late, outside_backfill

# A school's figures the rules below are tested against (the other answers: `schemas.examples`).
FIGURES = {
    "staff_total": 40,
    "staff_in_county": 36,
    "staff_out_county_in_province": 3,
    "staff_out_of_province": 1,
    "students_total": 500,
    "students_in_county": 490,
    "students_out_county_in_province": 8,
    "students_out_of_province": 2,
    "returned_staff": 1,
    "returned_students": 2,
    "isolating": 3,
    "on_leave_out_of_county": 2,
    "measures": "居家隔离14天，包保教师每日联系",
}


def report(**changes) -> dict:
    return examples.ledger_answers(**(FIGURES | changes))


def errors(data) -> dict:
    try:
        LedgerReport.model_validate(data)
    except ValidationError as error:
        return dict(field_messages(LedgerReport, error))
    return {}


def test_a_valid_report_has_no_errors():
    assert errors(report()) == {}


def test_report_date_is_not_in_the_future():
    assert "report_date" not in errors(report(report_date=clock.today().isoformat()))
    tomorrow = clock.today() + dt.timedelta(days=1)
    assert errors(report(report_date=tomorrow.isoformat()))["report_date"] == "日期不能晚于今天"


@pytest.mark.parametrize(
    "days_back, backfill_days, ok", [(0, 3, True), (3, 3, True), (4, 3, False), (4, 5, True), (1, 0, False)]
)
def test_a_missed_day_may_be_filled_in_up_to_the_countys_backfill_days(days_back, backfill_days, ok):
    today = dt.date(2026, 3, 2)
    day = today - dt.timedelta(days=days_back)
    assert (outside_backfill(day, today, backfill_days) is None) is ok


def test_a_report_made_after_its_own_day_is_a_backfill():
    day = dt.date(2020, 2, 26)
    assert not is_backfill(day, dt.datetime(2020, 2, 26, 23, 59, tzinfo=clock.TZ))
    assert is_backfill(day, dt.datetime(2020, 2, 27, 0, 1, tzinfo=clock.TZ))


def test_with_no_deadline_set_no_report_is_late():
    assert not is_late(dt.date(2020, 2, 26), dt.datetime(2020, 2, 28, 23, 0, tzinfo=clock.TZ), None)


def test_staff_places_sum_to_staff_total():
    assert "staff_total" in errors(report(staff_out_of_province=2))
    assert "staff_total" not in errors(report(staff_out_of_province=2, staff_total=41))


def test_student_places_sum_to_students_total():
    assert "students_total" in errors(report(students_in_county=491))
    assert "students_total" not in errors(report(students_in_county=491, students_total=501))


def test_isolating_at_most_staff_and_students():
    assert "isolating" not in errors(report(isolating=540))
    assert "isolating" in errors(report(isolating=541))


def test_on_leave_at_most_staff_total():
    assert "on_leave_out_of_county" not in errors(report(on_leave_out_of_county=40))
    assert "on_leave_out_of_county" in errors(report(on_leave_out_of_county=41))


def test_measures_required_only_when_someone_returned():
    assert "measures" in errors(report(measures=None))
    assert errors(report(measures=None, returned_staff=0, returned_students=0)) == {}
    assert "measures" in errors(report(measures="字" * 501))


@pytest.mark.parametrize("field", ["staff_total", "returned_staff", "isolating", "on_leave_out_of_county"])
def test_counts_are_whole_numbers_not_below_zero(field):
    assert field in errors(report(**{field: -1}))


@pytest.mark.parametrize(
    "name, ok", [("赵", False), ("赵主任", True), ("赵" * 20, True), ("赵" * 21, False), ("", False)]
)
def test_reporter_is_required_2_to_20_characters(name, ok):
    assert ("reporter" not in errors(report(reporter=name))) is ok


def test_one_row_per_school_per_day_under_concurrent_submits(app, make_school):
    make_school("A1")
    model = LedgerReport.model_validate(report())

    def submit():
        conn = storage.open_db(app.config["DATABASE"])
        storage.record_ledger_report(conn, "A1", model, dt.time(14))
        conn.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.open_db(app.config["DATABASE"])["ledger_reports"].count == 1


def test_a_same_day_correction_replaces_the_row_and_is_audited(db, make_school):
    make_school("A1")
    first, _ = storage.record_ledger_report(db, "A1", LedgerReport.model_validate(report()), dt.time(14))
    second, changes = storage.record_ledger_report(
        db, "A1", LedgerReport.model_validate(report(isolating=5)), dt.time(14)
    )
    assert db["ledger_reports"].count == 1
    assert second["id"] == first["id"] and second["isolating"] == 5
    assert changes == {"isolating": (3, 5)}
    detail = db.execute("SELECT detail FROM audit_log WHERE action = 'ledger.correct'").fetchone()[0]
    assert '"old": 3' in detail and '"new": 5' in detail


def test_reports_after_the_deadline_are_late():
    day = dt.date(2020, 2, 26)
    deadline = dt.time(14)
    before = dt.datetime(2020, 2, 26, 13, 59, tzinfo=clock.TZ)
    after = dt.datetime(2020, 2, 26, 14, 1, tzinfo=clock.TZ)
    assert not is_late(day, before, deadline)
    assert is_late(day, after, deadline)
    assert is_late(day, before + dt.timedelta(days=1), deadline)
