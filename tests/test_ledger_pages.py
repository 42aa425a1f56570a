"""The ledger's pages (spec/ledger.md): the school's daily report at /school/ledger and the
bureau's view of the county's day at /bureau/ledger, tested over HTTP against a real database.

The model's rules and `record_ledger_report` are tested in test_ledger.py; here each rule is
checked as a school meets it on the page, and each figure the bureau reads is checked against
the rows it comes from.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import threading

import pytest

from checklist_app import storage
from schemas import BUREAU_KIND, CountySettings, School, clock, examples
from schemas.ledger import CARRIED_OVER, TOTALS, LedgerReport, is_late
from tests.bureau_support import create_admin, declare
from tests.bureau_support import login as bureau_login
from tests.conftest import csrf_token
from tests.test_ledger import FIGURES

TODAY = clock.today
FORM = "/school/ledger/"


# --- helpers ---------------------------------------------------------------------------------


def answers(day: dt.date | None = None, **changes) -> dict:
    """A valid report as a form posts it (strings); `None` leaves a field out."""
    data = examples.ledger_answers(report_date=(day or TODAY()).isoformat(), **(FIGURES | changes))
    return {k: str(v) for k, v in data.items()}


def random_report(rng: random.Random, day: dt.date) -> dict:
    """A report that keeps every rule, with numbers drawn by `rng` (column values)."""
    staff, students = rng.randrange(10, 90), rng.randrange(100, 900)
    s1, s2 = rng.randrange(0, staff // 3), rng.randrange(0, staff // 4)
    p1, p2 = rng.randrange(0, students // 3), rng.randrange(0, students // 4)
    returned = rng.randrange(0, 4), rng.randrange(0, 9)
    return {
        "report_date": day.isoformat(),
        "staff_total": staff,
        "staff_in_county": staff - s1 - s2,
        "staff_out_county_in_province": s1,
        "staff_out_of_province": s2,
        "students_total": students,
        "students_in_county": students - p1 - p2,
        "students_out_county_in_province": p1,
        "students_out_of_province": p2,
        "returned_staff": returned[0],
        "returned_students": returned[1],
        "isolating": rng.randrange(0, 20),
        "on_leave_out_of_county": rng.randrange(0, staff),
        "measures": "居家隔离" if sum(returned) else None,
        "reporter": "填报人",
    }


def insert_report(db, code: str, values: dict, at: dt.datetime | None = None, deadline=dt.time(14)) -> None:
    """A stored report as `record_ledger_report` would leave it, for any day and time."""
    day = dt.date.fromisoformat(values["report_date"])
    at = at or dt.datetime.combine(day, dt.time(9), clock.TZ)
    stamp = at.isoformat(timespec="seconds")
    row = storage.to_row(LedgerReport.model_construct(**{**values, "report_date": day}))
    with storage.transaction(db):
        db["ledger_reports"].insert(
            {
                "school_code": code,
                **row,
                "submitted_at": stamp,
                "updated_at": stamp,
                "late": int(is_late(day, at, deadline)),
            }
        )


def school_login(client, code: str, access_code: str) -> None:
    token = csrf_token(client, "/school/login")
    response = client.post("/school/login", data={"csrf_token": token, "school_code": code, "access_code": access_code})
    assert response.status_code == 302


@pytest.fixture
def school(client, make_school):
    """A logged-in school SCH01; returns its code."""
    _row, access_code = make_school("SCH01")
    school_login(client, "SCH01", access_code)
    return "SCH01"


def submit(client, **fields):
    return client.post(FORM, data={"csrf_token": csrf_token(client, FORM), **fields})


def field_value(page: str, name: str) -> str | None:
    """The value a form field shows: an input's value, a textarea's text or the selected option."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    if tag:
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        return html.unescape(value.group(1)) if value else ""
    area = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if area:
        return html.unescape(area.group(1)).strip()
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', page, re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
        return chosen.group(1) if chosen else None
    return None


def field_error(page: str, field_id: str) -> str | None:
    match = re.search(rf'<p id="{field_id}-error" class="error-message">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else None


def rows(db, code: str | None = None) -> list[dict]:
    if code is None:
        return list(db.query("SELECT * FROM ledger_reports"))
    return list(db.query("SELECT * FROM ledger_reports WHERE school_code = ?", [code]))


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- the school's page -----------------------------------------------------------------------


def test_a_new_day_is_prefilled_from_the_last_report(client, db, school):
    rng = random.Random(7)
    last = random_report(rng, TODAY() - dt.timedelta(days=2))
    insert_report(db, school, last)
    page = page_of(client.get(FORM))
    assert field_value(page, "report_date") == TODAY().isoformat()
    for name in CARRIED_OVER:
        assert field_value(page, name) == str(last[name]), name
    # the day's own news is typed afresh
    assert field_value(page, "returned_staff") == ""
    assert field_value(page, "returned_students") == ""
    assert "更正" not in re.search(r"<h1>(.*?)</h1>", page).group(1)


def test_a_new_day_is_prefilled_from_the_declaration_when_there_is_no_report(client, db, school):
    declaration = declare(db, school, staff_total=52, staff_in_county=47, isolating=4)
    page = page_of(client.get(FORM))
    for name in CARRIED_OVER:
        expected = declaration.get(name)
        assert field_value(page, name) == ("" if expected is None else str(expected)), name
    assert field_value(page, "staff_total") == "52"


def test_todays_report_is_prefilled_and_labelled_a_correction(client, db, school):
    today = random_report(random.Random(3), TODAY())
    insert_report(db, school, today)
    page = page_of(client.get(FORM))
    assert "更正今日日报" in re.search(r"<h1>(.*?)</h1>", page).group(1)
    for name in ("returned_staff", "returned_students", "isolating", "staff_out_of_province"):
        assert field_value(page, name) == str(today[name])


def test_a_past_day_is_prefilled_from_that_days_report(client, db, school):
    rng = random.Random(11)
    yesterday = TODAY() - dt.timedelta(days=1)
    insert_report(db, school, random_report(rng, yesterday - dt.timedelta(days=1)))
    theirs = random_report(rng, yesterday)
    insert_report(db, school, theirs)
    page = page_of(client.get(FORM, query_string={"date": yesterday.isoformat()}))
    assert field_value(page, "report_date") == yesterday.isoformat()
    assert field_value(page, "returned_students") == str(theirs["returned_students"])
    assert field_value(page, "students_in_county") == str(theirs["students_in_county"])


def test_a_submit_stores_one_row_and_confirms_the_day(client, db, school):
    response = submit(client, **answers(isolating=7))
    assert response.status_code == 303
    stored = rows(db, school)
    assert len(stored) == 1
    assert stored[0]["report_date"] == TODAY().isoformat() and stored[0]["isolating"] == 7
    done = page_of(client.get(response.headers["Location"]))
    assert "已提交今日台账日报" in done


def test_a_same_day_correction_replaces_the_row_and_is_audited_old_to_new(client, db, school):
    submit(client, **answers(isolating=3, reporter="赵主任"))
    response = submit(client, **answers(isolating=5, reporter="钱老师"))
    assert response.status_code == 303 and "corrected=1" in response.headers["Location"]
    stored = rows(db, school)
    assert len(stored) == 1 and stored[0]["isolating"] == 5 and stored[0]["reporter"] == "钱老师"
    entries = list(db.query("SELECT * FROM audit_log WHERE action = 'ledger.correct' AND target = ?", [school]))
    assert len(entries) == 1
    changes = json.loads(entries[0]["detail"])["changes"]
    assert changes == {"isolating": {"old": 3, "new": 5}, "reporter": {"old": "赵主任", "new": "钱老师"}}
    done = page_of(client.get(response.headers["Location"]))
    table = re.search(r'<table class="ledger-changes">(.*?)</table>', done, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)]
    assert ["正在隔离的师生人数", "3", "5"] == cells[3:6]
    assert ["填报人", "赵主任", "钱老师"] == cells[6:9]


@pytest.mark.parametrize("days_back, stored", [(3, True), (4, False)])
def test_a_report_more_than_the_backfill_days_back_is_refused_on_its_field(client, db, school, days_back, stored):
    day = TODAY() - dt.timedelta(days=days_back)
    response = submit(client, **answers(day))
    if stored:
        assert response.status_code == 303
        assert [r["report_date"] for r in rows(db, school)] == [day.isoformat()]
    else:
        page = page_of(response)
        assert field_error(page, "report_date") == "错误：只能填报今天的日报，或补报、更正最近3天内的日报"
        assert '<a href="#report_date">只能填报今天的日报，或补报、更正最近3天内的日报</a>' in page
        assert page.count("<title>错误：") == 1
        assert rows(db) == []


def test_a_report_for_tomorrow_is_refused_on_its_field(client, db, school):
    page = page_of(submit(client, **answers(TODAY() + dt.timedelta(days=1))))
    assert field_error(page, "report_date") == "错误：日期不能晚于今天"
    assert rows(db) == []


@pytest.mark.parametrize("returned_staff, returned_students, refused", [(1, 0, True), (0, 1, True), (0, 0, False)])
def test_measures_are_required_when_someone_returned(client, db, school, returned_staff, returned_students, refused):
    response = submit(
        client, **answers(returned_staff=returned_staff, returned_students=returned_students, measures="")
    )
    if refused:
        assert field_error(page_of(response), "measures") == "错误：当日有师生返回本县，请填写对返县师生采取的管理措施"
        assert rows(db) == []
    else:
        assert response.status_code == 303 and len(rows(db, school)) == 1


def test_the_place_sums_are_checked_on_the_page(client, db, school):
    page = page_of(submit(client, **answers(staff_out_of_province=2)))
    assert field_error(page, "staff_total") == "错误：教职工在本县内、县外省内、省外的人数之和应等于教职工总数"
    assert rows(db) == []


def test_a_school_cannot_write_another_schools_report(client, db, school, make_school):
    make_school("OTHER", name="别的学校")
    response = submit(client, **answers(), school_code="OTHER")
    assert response.status_code == 303
    assert [r["school_code"] for r in rows(db)] == [school]


def test_a_post_without_csrf_is_refused_and_stores_nothing(client, db, school):
    response = client.post(FORM, data=answers())
    assert response.status_code == 400
    assert rows(db) == []


def test_the_bureaus_own_organisation_cannot_report(client, db, make_school):
    _row, access_code = make_school("JYJ", name="县教育局机关", kind=BUREAU_KIND)
    school_login(client, "JYJ", access_code)
    assert client.get(FORM).status_code == 404
    token = csrf_token(client, "/school/")
    assert client.post(FORM, data={"csrf_token": token, **answers()}).status_code == 404
    assert rows(db) == []
    assert "school_ledger" not in client.get("/school/").get_data(as_text=True)


def test_the_task_list_links_the_ledger_with_todays_status(client, db, school):
    page = page_of(client.get("/school/"))
    assert f'href="{FORM}"' in page and "今日未报" in page
    submit(client, **answers())
    assert "今日已报" in page_of(client.get("/school/"))


def test_the_school_page_shows_its_own_last_7_days(client, db, school, make_school):
    make_school("OTHER", name="别的学校")
    rng = random.Random(5)
    for back in range(9):
        insert_report(db, school, random_report(rng, TODAY() - dt.timedelta(days=back)))
    insert_report(db, "OTHER", random_report(rng, TODAY() - dt.timedelta(days=9)))
    page = page_of(client.get(FORM))
    shown = re.findall(r'<tr data-report="([^"]+)">', page)
    assert shown == [(TODAY() - dt.timedelta(days=b)).isoformat() for b in range(7)]


def test_a_submit_after_the_deadline_is_marked_late(client, db, school):
    storage.save_settings(db, CountySettings(ledger_deadline=dt.time(0, 0)), actor="test")
    response = submit(client, **answers())
    assert rows(db, school)[0]["late"] == 1
    assert 'data-late="1"' in page_of(client.get(response.headers["Location"]))


def test_with_no_deadline_set_no_report_is_late_and_no_school_page_names_an_hour(client, db, school):
    response = submit(client, **answers())
    assert rows(db, school)[0]["late"] == 0
    done = page_of(client.get(response.headers["Location"]))
    assert 'data-late="1"' not in done and "截止时间" not in done
    assert "截止时间" not in page_of(client.get(FORM))


def test_a_deadline_the_county_sets_is_named_as_the_countys_own(client, db, school):
    storage.save_settings(db, CountySettings(ledger_deadline=dt.time(14, 0)), actor="test")
    assert "本县规定每天 14:00 前提交（本县自定的时间）" in page_of(client.get(FORM))


def test_the_countys_backfill_days_widen_the_window_and_a_backfill_is_marked(client, db, school):
    storage.save_settings(db, CountySettings(backfill_days=5), actor="test")
    day = TODAY() - dt.timedelta(days=5)
    response = submit(client, **answers(day))
    assert response.status_code == 303
    assert 'data-backfill="1"' in page_of(client.get(response.headers["Location"]))
    assert "补报" in page_of(client.get(FORM, query_string={"date": day.isoformat()}))


def test_a_submit_before_the_deadline_is_on_time(client, db, make_school, monkeypatch):
    storage.save_settings(db, CountySettings(ledger_deadline=dt.time(14, 0)), actor="test")
    morning = dt.datetime.combine(clock.today(), dt.time(13, 59), clock.TZ)
    monkeypatch.setattr(clock, "now", lambda: morning)  # the one clock, read when the report is stored
    # log in at that moment too: a session opened at the real time would have been idle for
    # hours by 13:59 whenever the suite runs in the morning, and be refused
    _row, access_code = make_school("SCH01")
    school_login(client, "SCH01", access_code)
    response = submit(client, **answers())
    assert rows(db, "SCH01")[0]["late"] == 0
    assert 'data-late="0"' in page_of(client.get(response.headers["Location"]))


def test_one_row_per_school_per_day_under_concurrent_http_submits(app, db, make_school):
    _row, access_code = make_school("SCH01")
    clients = []
    for _ in range(8):
        client = app.test_client()
        school_login(client, "SCH01", access_code)
        clients.append((client, csrf_token(client, FORM)))
    start = threading.Barrier(len(clients))
    statuses = []

    def send(client, token, isolating):
        start.wait()
        statuses.append(client.post(FORM, data={"csrf_token": token, **answers(isolating=isolating)}).status_code)

    threads = [threading.Thread(target=send, args=(c, t, i)) for i, (c, t) in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * len(clients)
    stored = rows(db)
    assert len(stored) == 1
    corrections = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.correct'").fetchone()[0]
    assert corrections == len(clients) - 1


# --- the bureau's page -----------------------------------------------------------------------


def county(db, make_school) -> list[tuple[str, str, str]]:
    """Six schools in three townships and the bureau's own organisation."""
    schools = [
        ("A1", "甲一小学", "甲镇"),
        ("A2", "甲二中学", "甲镇"),
        ("B1", "乙一小学", "乙乡"),
        ("B2", "乙二小学", "乙乡"),
        ("B3", "乙三中学", "乙乡"),
        ("C1", "丙一小学", "丙镇"),
    ]
    for code, name, town in schools:
        make_school(code, name=name, township=town)
    make_school("JYJ", name="县教育局机关", kind=BUREAU_KIND, township="甲镇")
    create_admin(db)
    return schools


@pytest.fixture
def bureau(client, db, make_school):
    schools = county(db, make_school)
    assert bureau_login(client).status_code == 302
    return schools


LEDGER = "/bureau/ledger/"


def test_with_no_deadline_set_the_bureaus_ledger_says_so_and_lists_no_late_school(client, db, bureau):
    page = page_of(client.get(LEDGER))
    assert "未设日报截止时间（讲话只要求及时更新）" in page
    assert "本县未设日报截止时间，不标记逾时。" in page


def test_the_bureaus_totals_equal_the_sums_of_the_days_rows(client, db, bureau):
    rng = random.Random(2024)
    day = TODAY() - dt.timedelta(days=1)
    for code, *_rest in bureau:
        for when in (day, day - dt.timedelta(days=1), TODAY()):
            if rng.random() < 0.75:
                insert_report(db, code, random_report(rng, when))
    insert_report(db, "JYJ", random_report(rng, day))  # the bureau's own row never counts
    page = page_of(client.get(LEDGER, query_string={"date": day.isoformat()}))
    shown = {k: int(v) for k, v in re.findall(r'data-total="(\w+)">(\d+)<', page)}
    expected = db.execute(
        "SELECT " + ", ".join(f"TOTAL({m})" for m in TOTALS) + ", COUNT(*) FROM ledger_reports "
        "WHERE report_date = ? AND school_code NOT IN (SELECT code FROM schools WHERE kind = ?)",
        [day.isoformat(), BUREAU_KIND],
    ).fetchone()
    assert shown == {m: int(v) for m, v in zip(TOTALS, expected[:-1], strict=True)}  # the last: reported
    counts = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}
    assert counts["reported"] == expected[-1]
    assert counts["schools"] == len(bureau)
    assert counts["missing"] == len(bureau) - expected[-1]


def test_the_days_totals_from_storage_equal_an_independent_sum(db, make_school):
    schools = county(db, make_school)
    rng = random.Random(99)
    for code, *_rest in schools:
        insert_report(db, code, random_report(rng, TODAY()))
    totals = storage.ledger_day_totals(db, TODAY())
    for measure in TOTALS:
        (expected,) = db.execute(
            f"SELECT TOTAL({measure}) FROM ledger_reports WHERE report_date = ?", [TODAY().isoformat()]
        ).fetchone()
        assert totals[measure] == expected


def missing_list(page: str) -> str:
    return html.unescape(re.search(r'<textarea[^>]*id="missing-list"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def test_the_missing_list_names_exactly_the_schools_without_a_report_for_the_day(client, db, bureau):
    rng = random.Random(1)
    yesterday = TODAY() - dt.timedelta(days=1)
    reported_today = {"A1", "B2"}
    for code in reported_today:
        insert_report(db, code, random_report(rng, TODAY()))
    insert_report(db, "B1", random_report(rng, yesterday))  # another day does not count
    text = missing_list(page_of(client.get(LEDGER)))
    names = {name for _code, name, _town in bureau}
    listed = {name for name in names if name in text}
    assert listed == {name for code, name, _town in bureau if code not in reported_today}
    assert "县教育局机关" not in text
    assert "乙乡：乙三中学、乙一小学" in text  # grouped by township, names by pinyin (san before yi)
    assert "共 4 所" in text
    # the day chosen in the query string
    text = missing_list(page_of(client.get(LEDGER, query_string={"date": yesterday.isoformat()})))
    assert {name for name in names if name in text} == names - {"乙一小学"}


def test_the_missing_list_is_empty_when_every_school_reported(client, db, bureau):
    rng = random.Random(4)
    for code, *_rest in bureau:
        insert_report(db, code, random_report(rng, TODAY()))
    assert missing_list(page_of(client.get(LEDGER))) == "全部学校都已报送。"


def test_late_reports_are_listed_against_the_ledger_deadline(client, db, bureau):
    deadline = dt.time(9, 30)
    storage.save_settings(db, CountySettings(ledger_deadline=deadline), actor="test")
    rng = random.Random(8)
    day = TODAY() - dt.timedelta(days=1)
    times = {"A1": dt.time(9, 29), "A2": dt.time(9, 31), "B1": dt.time(16, 5), "B2": dt.time(8, 0)}
    for code, at in times.items():
        insert_report(db, code, random_report(rng, day), dt.datetime.combine(day, at, clock.TZ), deadline)
    backfilled = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), clock.TZ)
    insert_report(db, "C1", random_report(rng, day), backfilled, deadline)  # a backfill is late
    page = page_of(client.get(LEDGER, query_string={"date": day.isoformat()}))
    late = re.findall(r'<tr data-late="([^"]+)">', page)
    expected = sorted(
        [(dt.datetime.combine(day, t, clock.TZ), c) for c, t in times.items() if t > deadline] + [(backfilled, "C1")]
    )
    assert late == [code for _at, code in expected]
    assert "09:31" in page and "16:05" in page
    assert "每天 09:30" in page
    counts = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}
    assert counts["late"] == len(expected)


def svg(page: str, chart_id: str) -> str:
    return re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', page, re.S).group(0)


def test_the_trend_svg_holds_30_days_and_escapes_township_names(client, db, make_school):
    town = '<b>"新&镇'
    make_school("T1", name="新镇小学", township=town)
    make_school("T2", name="老镇小学", township="老镇")
    create_admin(db)
    bureau_login(client)
    rng = random.Random(30)
    days = [TODAY() - dt.timedelta(days=back) for back in range(31)]
    sums: dict[str, int] = {}
    for index, day in enumerate(days):
        for code in ("T1", "T2"):
            values = random_report(rng, day)
            insert_report(db, code, values)
            if index < 30:
                sums[day.isoformat()] = sums.get(day.isoformat(), 0) + values["isolating"]
    page = page_of(client.get(LEDGER, query_string={"measure": "isolating"}))
    chart = svg(page, "trend-county")
    points = dict(re.findall(r'data-day="([^"]+)"><title>[^<:]+:(\d+)</title>', chart))
    assert sorted(points) == sorted(d.isoformat() for d in days[:30])
    assert {d: int(v) for d, v in points.items()} == sums
    assert days[30].isoformat() not in page.split('id="trend-county"')[1].split("</svg>")[0]
    assert town not in page
    escaped = html.escape(town)
    town_charts = re.findall(r'<svg[^>]*id="trend-town-\d+".*?</svg>', page, re.S)
    assert len(town_charts) == 2
    assert any(escaped in chart for chart in town_charts)


def test_a_day_without_reports_breaks_the_trend_line(client, db, bureau):
    rng = random.Random(6)
    for back in (0, 1, 3, 4):
        insert_report(db, "A1", random_report(rng, TODAY() - dt.timedelta(days=back)))
    chart = svg(page_of(client.get(LEDGER)), "trend-county")
    assert len(re.findall(r"<polyline ", chart)) == 2
    assert len(re.findall(r"data-day=", chart)) == 4


def test_an_unknown_measure_or_date_shows_the_default_page(client, db, bureau):
    page = page_of(client.get(LEDGER, query_string={"measure": "nonsense", "date": "2020-02-30"}))
    assert 'value="returned_students" selected' in page
    assert f'value="{TODAY().isoformat()}"' in page


def test_the_bureau_navigation_links_the_ledger(client, db, bureau):
    assert f'href="{LEDGER}"' in page_of(client.get("/bureau/"))


# --- who may see which page ------------------------------------------------------------------


def test_the_bureau_page_refuses_anonymous_users_and_school_sessions(client, make_school):
    response = client.get(LEDGER)
    assert response.status_code == 302 and response.headers["Location"].startswith("/bureau/login")
    _row, access_code = make_school("SCH01")
    school_login(client, "SCH01", access_code)
    assert client.get(LEDGER).status_code == 403


def test_the_school_page_refuses_anonymous_users_and_bureau_sessions(client, db):
    response = client.get(FORM)
    assert response.status_code == 302 and response.headers["Location"].startswith("/school/login")
    storage.upsert_schools(db, [School(code="SCH01", name="测试小学", kind="小学", township="城关镇")])
    create_admin(db)
    bureau_login(client)
    assert client.get(FORM).status_code == 403
    token = csrf_token(client, "/bureau/")
    assert client.post(FORM, data={"csrf_token": token, **answers()}).status_code == 403
    assert rows(db) == []


# --- the ledger in the downloads and the demo ------------------------------------------------


def test_the_ledger_is_in_the_bureaus_download(db, make_school, tmp_path):
    make_school("SCH01")
    insert_report(db, "SCH01", random_report(random.Random(1), TODAY()))
    copy = storage.open_db(storage.snapshot(db, tmp_path / "snapshot.sqlite"))
    assert [r["school_code"] for r in copy.query("SELECT school_code FROM ledger_reports")] == ["SCH01"]


def test_the_demo_county_has_two_weeks_of_ledger_reports(db):
    from checklist_app.demo import LEDGER_DAYS, load_demo

    load_demo(db, seed=5)
    days = [r[0] for r in db.execute("SELECT DISTINCT report_date FROM ledger_reports ORDER BY 1")]
    assert days == [(TODAY() - dt.timedelta(days=b)).isoformat() for b in range(LEDGER_DAYS - 1, -1, -1)]
    assert not list(
        db.query(
            "SELECT 1 FROM ledger_reports r JOIN schools s ON s.code = r.school_code WHERE s.kind = ?", [BUREAU_KIND]
        )
    )
    missing_today = storage.ledger_day_schools(db, TODAY())
    assert any(s["report_id"] is None for s in missing_today)
    for row in db.query("SELECT * FROM ledger_reports"):  # every stored day keeps the model's rules
        values = {k: row[k] for k in LedgerReport.model_fields if row[k] is not None}
        LedgerReport.model_validate({**values, "report_date": TODAY().isoformat()})
