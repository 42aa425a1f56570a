"""The upper level's console (issue 17): at a province, the same bureau login and the same pages
one level up — every county with the counts of its download, one county by township, one
township's schools with their verdicts and gaps in words — each county's data as old as its
download, and the page says how old. Its downloads hold every county's rows, the county first.
Every number is checked against the county downloads themselves (`tests/region_support.py`)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
from click.testing import CliRunner

from checklist_app import create_app, deployment, storage
from checklist_app.cli import main
from checklist_app.region import console
from schemas import clock
from schemas.dictionary import column_label, table_name
from tests.bureau_support import counts_on_page
from tests.region_support import (
    COUNTIES,
    NOW,
    expected_counts,
    report_day,
    table_rows,
    townships,
)
from tests.test_rollup import PROVINCE, config_file

KEYS = ("schools", "declared", "ready", "undeclared", "reported", "not_reported", "staff_out_of_province")
KEYS += ("roster_size", "roster_signed", "unsigned")


def row_cells(html: str, attribute: str, value: str) -> dict[str, int]:
    """The numbers of the table row marked `attribute="value"`."""
    match = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return {k: int(v) for k, v in re.findall(r'data-cell="(\w+)">(\d+)<', match.group(1))}


def only(counts: dict, keys=KEYS) -> dict:
    return {k: counts[k] for k in keys}


def added(many: list[dict]) -> dict:
    return {k: sum(c[k] for c in many) for k in KEYS}


@pytest.fixture
def day(county_downloads):
    days = {report_day(path) for path in county_downloads.values()}
    assert len(days) == 1  # every county reported on the day its download was made
    return days.pop()


# --- the region ----------------------------------------------------------------------------------


def test_the_dashboard_shows_every_county_with_the_counts_of_its_download(chief, county_downloads, day):
    html = chief.get(f"/bureau/?date={day.isoformat()}").get_data(as_text=True)
    expected = {code: expected_counts(path, day) for code, path in county_downloads.items()}
    for code, counts in expected.items():
        assert row_cells(html, "data-county", code) == only(counts), code
        assert re.search(rf'href="/bureau/county/{code}(\?date=[-0-9]+)?">{COUNTIES[code][0]}</a>', html)
    shown = counts_on_page(html)
    assert only(shown) == added(list(expected.values()))
    assert shown["counties"] == 3
    assert all(counts["schools"] for counts in expected.values())  # each county has something to count
    assert sum(c["undeclared"] for c in expected.values()) and sum(c["unsigned"] for c in expected.values())


def test_the_lists_to_chase_give_each_county_its_count(chief, county_downloads, day):
    html = chief.get(f"/bureau/?date={day.isoformat()}").get_data(as_text=True)
    expected = {code: expected_counts(path, day) for code, path in county_downloads.items()}
    for list_id, key, unit in (("undeclared-list", "undeclared", "所"), ("unsigned-list", "unsigned", "人")):
        text = re.search(rf'id="{list_id}"[^>]*>(.*?)</textarea>', html, re.S).group(1)
        for code, counts in expected.items():
            line = f"{COUNTIES[code][0]}：{counts[key]} {unit}"
            assert (line in text) == bool(counts[key]), (list_id, line, text)
        assert f"（共 {sum(c[key] for c in expected.values())} {unit}）" in text


def test_the_charts_are_drawn_on_the_server_one_bar_per_county(chief):
    html = chief.get("/bureau/").get_data(as_text=True)
    readiness = re.search(r'<svg[^>]*id="chart-readiness".*?</svg>', html, re.S).group(0)
    for name, *_rest in COUNTIES.values():
        assert f">{name}<" in readiness
    assert 'id="chart-pledges"' in html and "<script" not in html


def test_each_county_says_how_old_its_data_is_and_an_old_one_is_marked(chief, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    html = chief.get("/bureau/").get_data(as_text=True)
    # 梨树县 was taken a day and three hours before NOW, 双辽市 two hours before
    lishu = re.search(r'<tr data-county="220322".*?</tr>', html, re.S).group(0)
    assert "数据时间：2026年2月26日 09:00（1天前）" in lishu
    assert "data-age--old" in lishu and "已超过一天" in lishu
    shuangliao = re.search(r'<tr data-county="220382".*?</tr>', html, re.S).group(0)
    assert "数据时间：2026年2月27日 10:00（2小时前）" in shuangliao
    assert "data-age--old" not in shuangliao and "已超过一天" not in shuangliao
    assert "最早为" in html and "1 个县（区）的数据已超过一天" in html
    county = chief.get("/bureau/county/220382").get_data(as_text=True)
    assert "数据时间：2026年2月27日 10:00（2小时前）" in county and "已超过一天" not in county


@pytest.mark.parametrize(
    "seconds, words",
    [(0, "刚刚"), (59, "刚刚"), (60, "1分钟前"), (3599, "59分钟前"), (7200, "2小时前"), (86400, "1天前")],
)
def test_age_in_words_is_the_largest_whole_unit(seconds, words):
    import datetime as dt

    taken = "2026-12-06T18:00:00+08:00"
    assert console.age_words(taken, clock.parse(taken) + dt.timedelta(seconds=seconds)) == words
    assert console.DataAge.of(taken, clock.parse(taken) + dt.timedelta(seconds=seconds)).old == (seconds >= 86400)


def test_before_any_county_is_held_the_dashboard_says_how_to_take_them_in(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "p.db"), "SECRET_KEY": "k", "TESTING": True, "DEPLOYMENT": PROVINCE})
    db = storage.open_db(app.config["DATABASE"])
    from tests.bureau_support import create_admin, login

    create_admin(db)
    db.close()
    client = app.test_client()
    login(client)
    html = client.get("/bureau/").get_data(as_text=True)
    assert "尚未汇入任何县（区）的数据" in html and "checklist rollup add" in html


# --- one county, one township --------------------------------------------------------------------


def test_a_county_by_township_adds_up_to_its_download(chief, county_downloads, day):
    path = county_downloads["220323"]
    html = chief.get(f"/bureau/county/220323?date={day.isoformat()}").get_data(as_text=True)
    assert only(counts_on_page(html)) == only(expected_counts(path, day))
    towns = townships(path)
    assert len(towns) > 1
    for town in towns:
        assert row_cells(html, "data-township", town) == only(expected_counts(path, day, town)), town
        assert re.search(rf'href="/bureau/county/220323/township/{re.escape(quote(town))}(\?date=[-0-9]+)?"', html)
    assert "伊通满族自治县教育局上报" in html


def test_a_county_page_lists_the_names_to_chase(chief, county_downloads, day):
    html = chief.get(f"/bureau/county/220323?date={day.isoformat()}").get_data(as_text=True)
    conn = sqlite3.connect(county_downloads["220323"])
    try:
        undeclared = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM schools WHERE kind != '教育局机关'"
                " AND code NOT IN (SELECT school_code FROM declarations)"
            )
        ]
        missing = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM schools WHERE kind != '教育局机关'"
                " AND code NOT IN (SELECT school_code FROM ledger_reports WHERE report_date = ?)",
                [day.isoformat()],
            )
        ]
    finally:
        conn.close()
    assert undeclared and missing
    lists = {
        list_id: re.search(rf'id="{list_id}"[^>]*>(.*?)</textarea>', html, re.S).group(1)
        for list_id in ("undeclared-list", "missing-list", "unsigned-list")
    }
    assert f"（共 {len(undeclared)} 所）" in lists["undeclared-list"]
    assert all(name in lists["undeclared-list"] for name in undeclared)
    assert f"（共 {len(missing)} 所）" in lists["missing-list"]
    assert all(name in lists["missing-list"] for name in missing)
    unsigned = expected_counts(county_downloads["220323"], day)["unsigned"]
    assert f"未签承诺书人员（共 {unsigned} 人）" in lists["unsigned-list"]


def test_a_township_shows_its_schools_with_their_verdicts_and_gaps_in_words(chief, county_downloads, day):
    # 梨树县: three schools in 城关镇, the last declared not ready (campus not disinfected)
    html = chief.get(f"/bureau/county/220322/township/{quote('城关镇')}").get_data(as_text=True)
    expected = expected_counts(county_downloads["220322"], day, "城关镇")
    shown = counts_on_page(html)
    assert {k: shown[k] for k in ("schools", "ready", "not_ready", "undeclared")} == {
        k: expected[k] for k in ("schools", "ready", "not_ready", "undeclared")
    }
    assert re.search(r'<tr data-school="S2" data-status="not_ready">', html)
    row = re.search(r'<tr data-school="S2".*?</tr>', html, re.S).group(0)
    assert "自查不符合开学条件" in row and f"<td>{expected['legal_gaps']['S2']}</td>" in row
    gaps = re.search(r'<section id="gaps-S2".*?</section>', html, re.S).group(0)
    assert "条件二 学校基本防控条件具备" in gaps and "校园" in gaps and "要求：" in gaps
    assert 'id="gaps-S0"' not in html  # a ready school with no gaps has no section
    assert "自查符合开学条件" in re.search(r'<tr data-school="S0".*?</tr>', html, re.S).group(0)


@pytest.mark.parametrize(
    "url",
    ["/bureau/county/220999", "/bureau/county/220322/township/没有这个乡", "/bureau/county/220999/township/城关镇"],
)
def test_a_county_or_township_not_held_is_not_found(chief, url):
    assert chief.get(url).status_code == 404


# --- only the upper level's pages ----------------------------------------------------------------

COUNTY_PAGES = (
    "/school/login",
    "/school/",
    "/pledge/any-token",
    "/bureau/settings",
    "/bureau/codes",
    "/bureau/schools/S0",
    "/bureau/ledger/",
    "/bureau/school-list/",
    "/bureau/sessions/end",
)


@pytest.mark.parametrize("url", COUNTY_PAGES)
def test_the_upper_level_serves_none_of_a_county_s_own_pages(chief, url):
    assert chief.get(url).status_code == 404
    assert chief.post(url).status_code in (400, 404, 405)  # 400: the CSRF check; 405: the site's pages


def test_a_county_instance_serves_none_of_the_upper_level_s_pages(admin):
    assert admin.get("/bureau/county/220323").status_code == 404
    assert admin.get("/bureau/").status_code == 200


def test_the_upper_level_pages_need_the_bureau_login(province):
    client = province.test_client()
    for url in ("/bureau/", "/bureau/county/220322", "/bureau/export/checklist.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/bureau/login")


# --- the county_downloads of the whole ------------------------------------------------------------------


def test_the_sqlite_download_holds_every_county_s_rows_the_county_first(chief, county_downloads, tmp_path):
    path = tmp_path / "province.sqlite"
    path.write_bytes(chief.get("/bureau/export/checklist.sqlite").data)
    conn = sqlite3.connect(path)
    try:
        for table in storage.rollup.KEPT_TABLES:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            assert columns[:2] == ["region_code", "region_name"], table
            assert conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == sum(
                table_rows(p, table) for p in county_downloads.values()
            ), table
            held = dict(conn.execute(f'SELECT region_code, COUNT(*) FROM "{table}" GROUP BY region_code'))
            assert held == {code: table_rows(p, table) for code, p in county_downloads.items() if table_rows(p, table)}
        names = dict(conn.execute("SELECT DISTINCT region_code, region_name FROM schools"))
        assert names == {code: name for code, (name, *_rest) in COUNTIES.items()}
        counties = conn.execute("SELECT region_code, region_name, taken_at FROM counties ORDER BY 1").fetchall()
        assert counties == [(code, name, taken.isoformat()) for code, (name, _f, taken) in sorted(COUNTIES.items())]
        info = dict(conn.execute("SELECT item, value FROM download_info"))
        latest = conn.execute("SELECT COUNT(*) FROM latest_declarations").fetchone()[0]
        dictionary = set(conn.execute("SELECT table_name, column_name FROM data_dictionary"))
    finally:
        conn.close()
    assert (info["level"], info["region_code"], info["region_name"], info["bureau_name"]) == (
        "province",
        "220000",
        "吉林省",
        "吉林省教育厅",
    )
    assert latest == sum(expected_counts(p, clock.today())["declared"] for p in county_downloads.values())
    assert {("schools", "region_code"), ("pledges", "region_name"), ("counties", "taken_at")} <= dictionary


def test_the_xlsx_and_csv_downloads_lead_each_table_with_the_county(chief, county_downloads, tmp_path):
    book_path = tmp_path / "province.xlsx"
    book_path.write_bytes(chief.get("/bureau/export/checklist.xlsx").data)
    book = openpyxl.load_workbook(book_path, read_only=True)
    with zipfile.ZipFile(io.BytesIO(chief.get("/bureau/export/csv.zip").data)) as archive:
        files = {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))) for name in archive.namelist()
        }
    assert book.sheetnames[:2] == ["说明", table_name("counties")]
    lead = [column_label("schools", "region_code"), column_label("schools", "region_name")]
    assert lead == ["行政区划代码", "县（区）"]
    for table in ("schools", "declarations", "pledges", "roster", "ledger_reports"):
        rows = list(book[table_name(table)].iter_rows(values_only=True))
        header, *body = rows
        assert list(header[:2]) == lead, table
        assert len(body) == sum(table_rows(p, table) for p in county_downloads.values()), table
        assert {r[0] for r in body} == set(county_downloads), table
        assert {r[1] for r in body} == {name for name, *_rest in COUNTIES.values()}, table
        csv_header, *csv_body = files[f"{table}.csv"]
        assert csv_header[:2] == lead and len(csv_body) == len(body), table
    info = dict(row[:2] for row in files["说明.csv"][: files["说明.csv"].index([])])
    assert info["行政级别"] == "省级" and info["省（自治区、直辖市）"] == "吉林省"
    county_rows = files["counties.csv"][1:]
    assert sorted(r[0] for r in county_rows) == sorted(COUNTIES)


def test_every_download_of_the_whole_is_audited(chief, province):
    for url in ("/bureau/export/checklist.sqlite", "/bureau/export/csv.zip", "/bureau/export/checklist.xlsx"):
        assert chief.get(url).status_code == 200
    db = storage.open_db(province.config["DATABASE"])
    try:
        done = db.execute("SELECT actor, target FROM audit_log WHERE action = 'export.download'").fetchall()
    finally:
        db.close()
    assert len(done) == 3 and {actor for actor, _t in done} == {"admin:chief"}
    assert {target.rsplit(".", 1)[-1] for _a, target in done} == {"sqlite", "zip", "xlsx"}


def test_checklist_export_works_at_the_upper_level(province, county_downloads, tmp_path):
    env = {
        "CHECKLIST_DB": province.config["DATABASE"],
        deployment.CONFIG_ENV: str(config_file(tmp_path, PROVINCE)),
    }
    out = tmp_path / "全省.xlsx"
    result = CliRunner(env=env).invoke(main, ["export", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book[table_name("pledges")].iter_rows(values_only=True))
    assert rows[0][0] == "行政区划代码"
    assert len(rows) - 1 == sum(table_rows(p, "pledges") for p in county_downloads.values())
