"""The XLSX and the CSV zip read right in a clerk's spreadsheet, read back here with openpyxl and
csv as such a tool reads them: Chinese headers, codes as words, gaps as text, settings as values,
times as date cells in Beijing time, numbers as numbers, codes as text with their leading zeros,
and a 说明 sheet (说明.csv) with the data dictionary; the SQLite download keeps the codes and
carries the same dictionary as a table. `checklist export FILE` writes what FILE's extension names."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

import schemas
from checklist_app import REPO_ROOT, storage
from checklist_app.cli import main
from checklist_app.exchange import about
from schemas import CountySettings, clock, examples, readable
from schemas.dictionary import PUBLIC_TABLES, column_label, public_columns, table_name
from schemas.inspection import judged_items
from schemas.ledger import LEDGER_VERSION, LedgerReport
from tests.bureau_support import declare, inspect, phone, sign, upload_roster

SQLITE, CSV_ZIP, XLSX = "/bureau/export/checklist.sqlite", "/bureau/export/csv.zip", "/bureau/export/checklist.xlsx"
CODE = "0012"  # a school code with leading zeros
TEAM = "第一检查组"
NOTE = "值班表未张贴"
INSPECTED_ON, RECTIFY_BY = clock.today() - dt.timedelta(days=1), clock.today() + dt.timedelta(days=7)


@pytest.fixture
def county(db, make_school):
    make_school(CODE, "=1+2 城关小学")
    storage.save_settings(
        db, CountySettings(epidemic_controlled=True, backfill_days=7, reopening_date=dt.date(2026, 3, 2)), actor="test"
    )
    declare(db, CODE)
    upload_roster(db, CODE, [("张一", phone(1)), ("张二", phone(2))])
    sign(db, CODE, "张一", phone(1))
    report = LedgerReport.model_validate(examples.ledger_answers())
    storage.record_ledger_report(db, CODE, report, dt.time(14, 0))
    storage.assign_schools(db, TEAM, codes=[CODE], actor="test")
    inspect(
        db,
        CODE,
        TEAM,
        notes={"duty_rota": NOTE},
        inspected_on=INSPECTED_ON,
        rectify_by=RECTIFY_BY,
        closed_management="confirmed",
        duty_rota="contradicted",
    )


def workbook(data: bytes, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return openpyxl.load_workbook(path)


def sheet_rows(book, table: str) -> list[dict]:
    """A sheet's rows as {header: cell}."""
    sheet = book[table_name(table)]
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def csv_files(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))) for name in archive.namelist()
        }


def csv_rows(files: dict, table: str) -> list[dict]:
    headers, *body = files[f"{table}.csv"]
    return [dict(zip(headers, row, strict=True)) for row in body]


def label(table: str, column: str) -> str:
    return column_label(table, column)


# --- XLSX --------------------------------------------------------------------------------------


def test_xlsx_times_are_date_cells_in_beijing_time_with_a_date_format(admin, db, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    [pledge] = sheet_rows(book, "pledges")
    cell = pledge[label("pledges", "submitted_at")]
    stored = db.execute("SELECT submitted_at FROM pledges").fetchone()[0]
    assert cell.is_date and cell.value == clock.parse(stored).replace(tzinfo=None)
    assert "yy" in cell.number_format and "hh" in cell.number_format
    [report] = sheet_rows(book, "ledger_reports")
    day = report[label("ledger_reports", "report_date")]
    assert day.is_date and day.value.date() == clock.today() and day.number_format == "yyyy-mm-dd"


def test_every_xlsx_time_and_date_column_holds_date_cells_not_text(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    checked = 0
    for table, public in PUBLIC_TABLES.items():
        if public.generated:
            continue
        dated = {label(table, c) for c in public_columns(table) if readable.kind(table, c) != "value"}
        for row in sheet_rows(book, table):
            for header in dated:
                if row[header].value is not None:
                    assert row[header].is_date, (table, header, row[header].value)
                    checked += 1
    assert checked >= 10


def test_xlsx_codes_are_words_and_ticks_are_是_or_否(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    [pledge] = sheet_rows(book, "pledges")
    assert pledge[label("pledges", "role")].value == "教师"
    assert pledge[label("pledges", "whereabouts")].value == "本县内"
    assert pledge[label("pledges", "item_truthful")].value == "是"
    [declaration] = sheet_rows(book, "declarations")
    assert declaration[label("declarations", "verdict")].value == "自查符合开学条件"
    assert declaration[label("declarations", "closed_management")].value == "是"
    [report] = sheet_rows(book, "ledger_reports")
    assert report[label("ledger_reports", "late")].value in ("是", "否")
    actions = {r[label("audit_log", "action")].value for r in sheet_rows(book, "audit_log")}
    assert "修改县级设置" in actions and not any(re.fullmatch(r"[a-z_.]+", a) for a in actions)


def test_xlsx_inspections_show_items_and_findings_in_words_and_their_dates_as_dates(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    [inspection] = sheet_rows(book, "inspections")
    assert inspection[label("inspections", "team")].value == TEAM
    assert inspection[label("inspections", "school_code")].value == CODE
    for column, day in (("inspected_on", INSPECTED_ON), ("rectify_by", RECTIFY_BY)):
        cell = inspection[label("inspections", column)]
        assert cell.is_date and cell.value.date() == day and cell.number_format == "yyyy-mm-dd"
    findings = sheet_rows(book, "inspection_findings")
    assert len(findings) == len(judged_items())
    found = {r[label("inspection_findings", "field")].value: r for r in findings}
    items = dict(judged_items())
    assert set(found) == set(items.values())  # each item by its name, not its column
    duty = found[items["duty_rota"]]
    assert duty[label("inspection_findings", "finding")].value == "不符"
    assert duty[label("inspection_findings", "note")].value == NOTE
    assert found[items["closed_management"]][label("inspection_findings", "finding")].value == "相符"
    assert {r[label("inspection_findings", "finding")].value for r in findings} == {"相符", "不符", "未核查"}


def test_every_action_the_code_audits_has_its_words():
    calls = re.compile(r"\b(?:audit|log_event)\((?:[^()]|\([^()]*\))*\)", re.S)
    audited = set()
    for path in (REPO_ROOT / "checklist_app").rglob("*.py"):
        for call in calls.findall(path.read_text(encoding="utf-8")):
            audited |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', call))
    assert {"export.download", "login.failure", "settings.change", "ledger.correct"} <= audited
    assert audited <= set(readable.ACTIONS)


def test_every_team_assignment_and_inspection_is_audited_and_the_xlsx_says_it_in_words(admin, db, county, tmp_path):
    entries = storage.audit_entries(db, ("team.create", "team.assign", "inspection.submit"))
    assert [(e["action"], e["target"]) for e in reversed(entries)] == [
        ("team.create", TEAM),
        ("team.assign", TEAM),
        ("inspection.submit", CODE),
    ]
    assert entries[1]["detail"] == {"codes": [CODE], "moved": {}}
    assert entries[0]["detail"]["contradicted"] == ["duty_rota"]
    book = workbook(admin.get(XLSX).data, tmp_path)
    shown = {
        (r[label("audit_log", "action")].value, r[label("audit_log", "target")].value)
        for r in sheet_rows(book, "audit_log")
    }
    assert {("创建检查组", TEAM), ("分配检查组学校", TEAM), ("提交核查结果", CODE)} <= shown


def test_xlsx_settings_are_values_not_json(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    settings = {r[label("settings", "key")].value: r[label("settings", "value")] for r in sheet_rows(book, "settings")}
    titles = {name: info.title for name, info in CountySettings.model_fields.items()}
    assert settings[titles["epidemic_controlled"]].value == "是"
    assert settings[titles["backfill_days"]].value == 7
    assert settings[titles["reopening_date"]].is_date
    assert settings[titles["reopening_date"]].value == dt.datetime(2026, 3, 2)


def test_xlsx_numbers_are_numbers_and_codes_are_text_with_leading_zeros(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    [school] = sheet_rows(book, "schools")
    assert school[label("schools", "code")].value == CODE and school[label("schools", "code")].data_type == "s"
    [pledge] = sheet_rows(book, "pledges")
    assert pledge[label("pledges", "phone")].value == phone(1)
    assert pledge[label("pledges", "school_code")].value == CODE
    [report] = sheet_rows(book, "ledger_reports")
    total = report[label("ledger_reports", "staff_total")]
    assert total.data_type == "n" and total.value == examples.ledger_answers()["staff_total"]


def test_xlsx_text_that_looks_like_a_formula_is_plain_text_without_a_quote(admin, county, tmp_path):
    book = workbook(admin.get(XLSX).data, tmp_path)
    [school] = sheet_rows(book, "schools")
    cell = school[label("schools", "name")]
    assert cell.value == "=1+2 城关小学" and cell.data_type == "s"


# --- CSV ---------------------------------------------------------------------------------------


def test_every_csv_has_chinese_headers(admin, county):
    files = csv_files(admin.get(CSV_ZIP).data)
    for table, public in PUBLIC_TABLES.items():
        if public.generated:
            continue
        headers = files[f"{table}.csv"][0]
        assert set(headers) == {label(table, c) for c in public_columns(table)}, table
        assert not [h for h in headers if re.fullmatch(r"[A-Za-z_0-9]+", h)], table


def test_csv_shows_words_values_beijing_times_and_codes_with_their_zeros(admin, db, county):
    files = csv_files(admin.get(CSV_ZIP).data)
    [pledge] = csv_rows(files, "pledges")
    assert (pledge[label("pledges", "role")], pledge[label("pledges", "whereabouts")]) == ("教师", "本县内")
    assert pledge[label("pledges", "school_code")] == CODE
    stored = db.execute("SELECT submitted_at FROM pledges").fetchone()[0]
    shown = pledge[label("pledges", "submitted_at")]
    assert shown == clock.parse(stored).strftime("%Y-%m-%d %H:%M:%S")
    settings = {r[label("settings", "key")]: r[label("settings", "value")] for r in csv_rows(files, "settings")}
    assert settings[CountySettings.model_fields["epidemic_controlled"].title] == "是"
    assert settings[CountySettings.model_fields["reopening_date"].title] == "2026-03-02"
    [school] = csv_rows(files, "schools")
    assert school[label("schools", "name")] == "'=1+2 城关小学"  # the CSV keeps its formula guard


def test_csv_inspections_show_findings_in_words_and_dates_as_dates(admin, county):
    files = csv_files(admin.get(CSV_ZIP).data)
    [inspection] = csv_rows(files, "inspections")
    assert inspection[label("inspections", "inspected_on")] == INSPECTED_ON.isoformat()
    assert inspection[label("inspections", "rectify_by")] == RECTIFY_BY.isoformat()
    findings = {r[label("inspection_findings", "field")]: r for r in csv_rows(files, "inspection_findings")}
    duty = findings[dict(judged_items())["duty_rota"]]
    assert (duty[label("inspection_findings", "finding")], duty[label("inspection_findings", "note")]) == ("不符", NOTE)


# --- 说明 and the SQLite dictionary --------------------------------------------------------------


def dictionary_from_sheet(book) -> tuple[dict, list[dict]]:
    sheet = book["说明"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    blank = rows.index([None] * len(rows[0]))
    info = {r[0]: r[1] for r in rows[:blank]}
    headers = rows[blank + 1]
    return info, [dict(zip(headers, r, strict=True)) for r in rows[blank + 2 :]]


def test_the_xlsx_opens_on_a_说明_sheet_naming_the_county_the_moment_and_the_version(admin, app, county, tmp_path):
    before = clock.now().replace(tzinfo=None, microsecond=0)
    book = workbook(admin.get(XLSX).data, tmp_path)
    assert book.sheetnames[0] == "说明"
    info, _dictionary = dictionary_from_sheet(book)
    deployment = app.config["DEPLOYMENT"]
    assert info["县（区）"] == deployment.region_name and info["教育局"] == deployment.bureau_name
    taken = info["数据时间（北京时间）"]
    assert isinstance(taken, dt.datetime) and before <= taken <= clock.now().replace(tzinfo=None)
    assert info["程序版本"] == about.program_version() != "unknown"


def test_the_说明_sheet_lists_every_table_column_type_and_code_with_its_word(admin, county, tmp_path):
    _info, dictionary = dictionary_from_sheet(workbook(admin.get(XLSX).data, tmp_path))
    listed = {(r["表"], r["列"]) for r in dictionary}
    assert listed == {(t, c) for t in PUBLIC_TABLES for c in public_columns(t)}
    assert all(r["类型"] in ("TEXT", "INTEGER", "REAL") for r in dictionary)
    codes = {(r["表"], r["列"]): r["代码及其含义"] for r in dictionary}
    assert "teacher：教师" in codes[("pledges", "role")] and "in_county：本县内" in codes[("pledges", "whereabouts")]
    assert codes[("declarations", "verdict")] == "ready：自查符合开学条件；not_ready：自查不符合开学条件"
    assert codes[("declarations", "closed_management")] == "1：是；0：否"
    assert f"duty_rota：{dict(judged_items())['duty_rota']}" in codes[("inspection_findings", "field")]
    assert codes[("inspection_findings", "finding")] == "confirmed：相符；contradicted：不符；unchecked：未核查"


def test_the_csv_zip_opens_with_说明_csv_holding_the_same_dictionary(admin, county, tmp_path):
    files = csv_files(admin.get(CSV_ZIP).data)
    assert next(iter(files)) == "说明.csv"
    lines = files["说明.csv"]
    blank = lines.index([])
    assert dict(lines[:blank])["教育局"]
    headers, *rows = lines[blank + 1 :]
    _info, sheet = dictionary_from_sheet(workbook(admin.get(XLSX).data, tmp_path))
    assert [dict(zip(headers, r, strict=True)) for r in rows] == [
        {k: "" if v is None else v for k, v in r.items()} for r in sheet
    ]


def test_the_sqlite_download_keeps_the_codes_and_carries_the_dictionary_as_tables(admin, county, tmp_path):
    path = tmp_path / "download.sqlite"
    path.write_bytes(admin.get(SQLITE).data)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT role, whereabouts FROM pledges").fetchone() == ("teacher", "in_county")
        assert conn.execute("SELECT verdict FROM declarations").fetchone() == ("ready",)
        assert conn.execute("SELECT finding, note FROM inspection_findings WHERE field = 'duty_rota'").fetchone() == (
            "contradicted",
            NOTE,
        )
        finding = conn.execute(
            "SELECT codes FROM data_dictionary WHERE table_name = 'inspection_findings' AND column_name = 'finding'"
        ).fetchone()
        role = conn.execute(
            "SELECT column_title, codes FROM data_dictionary WHERE table_name = 'pledges' AND column_name = 'role'"
        ).fetchone()
        info = dict(conn.execute("SELECT item, value FROM download_info"))
    finally:
        conn.close()
    assert role == ("身份", about.codes_in_words("pledges", "role"))
    assert finding == ("confirmed：相符；contradicted：不符；unchecked：未核查",)
    assert set(info) == {
        "level",
        "region_code",
        "region_name",
        "bureau_name",
        "taken_at",
        "program_version",
        "schema_version",
        "pledge_version",
        "ledger_version",
        "reading",
    }


def test_the_download_names_its_county_by_code_and_the_versions_it_was_written_under(admin, county, tmp_path):
    """What a city or province checks before it takes a county's download in."""
    path = tmp_path / "download.sqlite"
    path.write_bytes(admin.get(SQLITE).data)
    conn = sqlite3.connect(path)
    try:
        info = dict(conn.execute("SELECT item, value FROM download_info"))
    finally:
        conn.close()
    deployment = admin.application.config["DEPLOYMENT"]
    assert (info["level"], info["region_code"], info["region_name"], info["bureau_name"]) == (
        "county",
        deployment.region_code,
        deployment.region_name,
        deployment.bureau_name,
    )
    assert (info["schema_version"], info["pledge_version"], info["ledger_version"]) == (
        str(schemas.SCHEMA_VERSION),
        str(schemas.PLEDGE_VERSION),
        str(LEDGER_VERSION),
    )


# --- the command line --------------------------------------------------------------------------


def run_export(app, name: str, tmp_path):
    runner = CliRunner(env={"CHECKLIST_DB": app.config["DATABASE"]})
    return runner.invoke(main, ["export", str(tmp_path / name)])


@pytest.mark.parametrize(
    "name, looks_like",
    [
        ("out.sqlite", b"SQLite format 3\x00"),
        ("out.db", b"SQLite format 3\x00"),
        ("out.xlsx", b"PK"),
        ("out.zip", b"PK"),
    ],
)
def test_checklist_export_writes_the_format_its_extension_names_and_is_audited(
    app, db, county, tmp_path, name, looks_like
):
    result = run_export(app, name, tmp_path)
    assert result.exit_code == 0, result.output
    data = (tmp_path / name).read_bytes()
    assert data.startswith(looks_like)
    if name.endswith(".xlsx"):
        assert workbook(data, tmp_path).sheetnames[0] == "说明"
    if name.endswith(".zip"):
        assert "说明.csv" in csv_files(data)
    [entry] = db.query("SELECT actor, target FROM audit_log WHERE action = 'export.download'")
    assert entry == {"actor": "cli", "target": name}


def test_checklist_export_refuses_an_unknown_extension_in_chinese(app, db, county, tmp_path):
    result = run_export(app, "asked.csv", tmp_path)
    assert result.exit_code != 0
    assert "不认识文件" in result.output and ".xlsx" in result.output
    assert not (tmp_path / "asked.csv").exists()
    assert list(db.query("SELECT * FROM audit_log WHERE action = 'export.download'")) == []


# --- no condition codes where people read -------------------------------------------------------

CONDITION_CODE = re.compile(r"(?<![A-Za-z0-9])(C[123]|T)(?![A-Za-z0-9])")


def test_no_xlsx_or_csv_shows_a_condition_code_while_the_sqlite_keeps_them_with_their_words(
    admin, db, make_school, tmp_path
):
    make_school("GAP1", "缺项小学")  # the county has not confirmed 条件一: a gap of each group below
    declare(db, "GAP1", campus_disinfected=False, ledger_established=False, first_lesson_ready=False)
    book = workbook(admin.get(XLSX).data, tmp_path)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    files = csv_files(admin.get(CSV_ZIP).data)
    cells += [c for rows in files.values() for row in rows for c in row]
    assert any("条件二 学校基本防控条件具备" in c for c in cells) and any("教学工作" in c for c in cells)
    assert [c for c in cells if CONDITION_CODE.search(c)] == []
    path = tmp_path / "download.sqlite"
    path.write_bytes(admin.get(SQLITE).data)
    conn = sqlite3.connect(path)
    try:
        gaps = conn.execute("SELECT gaps FROM declarations WHERE school_code = 'GAP1'").fetchone()[0]
        codes = conn.execute(
            "SELECT codes FROM data_dictionary WHERE table_name = 'declarations' AND column_name = 'gaps'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert {"C1", "C2", "C3", "T"} <= set(CONDITION_CODE.findall(gaps))
    assert "C2：条件二 学校基本防控条件具备" in codes and "T：教学工作" in codes
