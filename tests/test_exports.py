"""The bureau's downloads: a consistent SQLite snapshot, CSV with BOM in a zip, a real XLSX with
Chinese headers, and no secret in any of them."""

from __future__ import annotations

import io
import re
import sqlite3
import threading
import zipfile

import openpyxl
import pytest

from checklist_app import storage
from checklist_app.exchange import exports
from schemas import Declaration, Pledge, pledge_text_sha256
from schemas.dictionary import PUBLIC_TABLES, column_label, table_name
from tests.bureau_support import (
    ADMIN,
    declare,
    phone,
    sign,
    upload_roster,
)
from tests.conftest import valid_pledge_answers
from tests.waiting import Acknowledged

DOWNLOADS = ("/bureau/export/checklist.sqlite", "/bureau/export/csv.zip", "/bureau/export/checklist.xlsx")


@pytest.fixture
def county(db, make_school):
    """Two schools with codes issued (plain codes kept for the secret search), a declaration,
    a roster and pledges, and a school whose name looks like a spreadsheet formula."""
    _row, code_one = make_school("S1", "城关小学")
    _row, code_two = make_school("S2", "=1+2 东风中学")
    declare(db, "S1")
    upload_roster(db, "S1", [("张一", phone(1)), ("张二", phone(2))])
    sign(db, "S1", "张一", phone(1))
    return {"access_codes": [code_one, code_two]}


def saved(response, tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(response.data)
    return path


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- the SQLite snapshot -----------------------------------------------------------------------


def test_the_sqlite_download_is_a_dated_uncached_attachment_and_is_audited(admin, db, county):
    response = admin.get("/bureau/export/checklist.sqlite")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"attachment; filename=checklist-\d{8}-\d{4}\.sqlite", response.headers["Content-Disposition"])
    assert response.data.startswith(b"SQLite format 3\x00")
    [entry] = db.query("SELECT * FROM audit_log WHERE action = 'export.download'")
    assert entry["actor"] == f"admin:{ADMIN}" and entry["target"].endswith(".sqlite")


@pytest.mark.parametrize("url, suffix", [(DOWNLOADS[1], ".csv.zip"), (DOWNLOADS[2], ".xlsx")])
def test_every_download_is_dated_uncached_and_audited(admin, db, county, url, suffix):
    response = admin.get(url)
    assert response.headers["Cache-Control"] == "no-store"
    assert re.search(rf"checklist-\d{{8}}-\d{{4}}{re.escape(suffix)}$", response.headers["Content-Disposition"])
    targets = [r["target"] for r in db.query("SELECT target FROM audit_log WHERE action = 'export.download'")]
    assert len(targets) == 1 and targets[0].endswith(suffix)


def test_the_download_name_carries_date_and_minute():
    import datetime as dt

    assert (
        exports.download_name("checklist", "sqlite", dt.datetime(2026, 11, 29, 14, 5))
        == "checklist-20261129-1405.sqlite"
    )


def test_a_download_leaves_no_temporary_file_behind(admin, county, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    for url in DOWNLOADS:
        assert admin.get(url).status_code == 200
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_snapshot_taken_during_concurrent_pledges_is_intact_and_holds_every_row_acknowledged_before_it(
    app, admin, db, make_school, tmp_path
):
    make_school("S1")
    acknowledged = Acknowledged()
    stop = threading.Event()

    def write_pledges(worker: int) -> None:
        connection = storage.open_db(app.config["DATABASE"])
        try:
            n = 0
            while not stop.is_set():
                n += 1
                name = f"教师{worker}号{n}"
                pledge = Pledge.model_validate(
                    valid_pledge_answers(name=name, signature=name, phone=f"13{worker}{n:08d}")
                )
                row, _created = storage.record_pledge(connection, "S1", pledge, pledge_text_sha256())
                acknowledged.add(row["reference"])
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            acknowledged.failed(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write_pledges, args=(w,)) for w in range(1, 4)]
    for writer in writers:
        writer.start()
    try:
        acknowledged.wait_for(30, "pledges before the download")
        before = set(acknowledged.copy())
        response = admin.get("/bureau/export/checklist.sqlite")
        acknowledged.wait_for(len(acknowledged) + 10, "pledges after the download")  # the writers went on
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert not acknowledged.errors
    assert response.status_code == 200

    snapshot = sqlite3.connect(saved(response, tmp_path, "snap.sqlite"))
    try:
        assert snapshot.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_snapshot = {r[0] for r in snapshot.execute("SELECT reference FROM pledges")}
    finally:
        snapshot.close()
    assert before <= in_snapshot
    assert len(in_snapshot) < len(acknowledged.items)  # the writers were still writing: a real race


def test_the_snapshot_holds_every_data_table_and_the_latest_declarations_view(admin, county, tmp_path):
    snapshot = sqlite3.connect(saved(admin.get(DOWNLOADS[0]), tmp_path, "snap.sqlite"))
    names = {r[0] for r in snapshot.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    snapshot.close()
    assert names == set(PUBLIC_TABLES)
    assert not names & {"admins", "declaration_drafts", "login_failures"}


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_zip_has_one_csv_per_table_and_view_of_the_snapshot(admin, county, tmp_path):
    members = zip_members(admin.get(DOWNLOADS[1]).data)
    snapshot = sqlite3.connect(saved(admin.get(DOWNLOADS[0]), tmp_path, "snap.sqlite"))
    relations = {
        r[0]
        for r in snapshot.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        )
    }
    snapshot.close()
    assert set(members) == {"说明.csv"} | {f"{name}.csv" for name in relations - set(exports.ABOUT_TABLES)}


def test_every_csv_starts_with_a_utf8_bom(admin, county):
    members = zip_members(admin.get(DOWNLOADS[1]).data)
    assert members
    for name, data in members.items():
        assert data.startswith(b"\xef\xbb\xbf"), name
        data.decode("utf-8")


def test_the_csv_holds_the_rows_with_chinese_text_intact(admin, county):
    schools = zip_members(admin.get(DOWNLOADS[1]).data)["schools.csv"].decode("utf-8-sig")
    assert schools.splitlines()[0].startswith("学校代码,学校名称,学校类型,乡镇")
    assert "城关小学" in schools


def test_csv_text_that_excel_would_take_for_a_formula_is_kept_as_text(admin, county):
    schools = zip_members(admin.get(DOWNLOADS[1]).data)["schools.csv"].decode("utf-8-sig")
    assert "'=1+2 东风中学" in schools
    assert ",=1+2" not in schools


def test_the_csv_shows_verdicts_and_gaps_in_words_never_condition_codes(admin, db, county):
    stored = db.execute("SELECT verdict, gaps FROM declarations").fetchone()
    assert stored[0] in ("ready", "not_ready") and '"condition": "C1"' in stored[1]  # the SQLite keeps codes
    declarations = zip_members(admin.get(DOWNLOADS[1]).data)["declarations.csv"].decode("utf-8-sig")
    body = declarations.split("\n", 1)[1]
    assert "自查不符合开学条件" in body and "not_ready" not in body
    assert "条件一 疫情得到基本控制：" in body
    assert not re.search(r"\b(C1|C2|C3|T)\b", body)


# --- XLSX --------------------------------------------------------------------------------------


def test_the_xlsx_opens_in_openpyxl_with_a_sheet_per_table_and_chinese_headers(admin, county, tmp_path):
    book = openpyxl.load_workbook(saved(admin.get(DOWNLOADS[2]), tmp_path, "book.xlsx"))
    assert {"学校", "申报记录", "最新申报", "承诺书", "教职工名册", "县级设置", "操作日志"} <= set(book.sheetnames)
    declarations = book["申报记录"]
    headers = [c.value for c in declarations[1]]
    assert headers[:3] == ["序号", "学校代码", "版本"]
    assert Declaration.model_fields["closed_management"].title in headers
    assert "提交时间" in headers
    assert [c.value for c in book["学校"][1]][:4] == ["学校代码", "学校名称", "学校类型", "乡镇"]
    assert [c.value for c in book["承诺书"][1]][:5] == ["序号", "学校代码", "承诺书版本", "姓名", "身份"]


def test_every_xlsx_header_is_chinese(admin, county, tmp_path):
    book = openpyxl.load_workbook(saved(admin.get(DOWNLOADS[2]), tmp_path, "book.xlsx"))
    for sheet in book.worksheets:
        english = [c.value for c in sheet[1] if re.fullmatch(r"[A-Za-z_0-9]+", c.value or "")]
        assert english == [], sheet.title


def test_the_xlsx_freezes_the_header_row_and_sets_widths(admin, county, tmp_path):
    book = openpyxl.load_workbook(saved(admin.get(DOWNLOADS[2]), tmp_path, "book.xlsx"))
    for sheet in book.worksheets[1:]:  # after 说明
        assert sheet.freeze_panes == "A2", sheet.title
    schools = book["学校"]
    assert schools.column_dimensions["B"].width >= 2 * len("学校名称")


def test_the_xlsx_holds_the_rows_with_text_kept_as_text(admin, county, tmp_path):
    book = openpyxl.load_workbook(saved(admin.get(DOWNLOADS[2]), tmp_path, "book.xlsx"))
    rows = list(book["学校"].iter_rows(min_row=2, values_only=True))
    names = {r[1] for r in rows}
    assert names == {"城关小学", "=1+2 东风中学"}
    pledges = list(book["承诺书"].iter_rows(min_row=2, values_only=True))
    assert pledges[0][5] == phone(1)  # a phone number stays text, not a number


def test_the_xlsx_shows_verdicts_and_gaps_in_words_never_condition_codes(admin, county, tmp_path):
    book = openpyxl.load_workbook(saved(admin.get(DOWNLOADS[2]), tmp_path, "book.xlsx"))
    sheet = book["申报记录"]
    headers = [c.value for c in sheet[1]]
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    verdict = row[headers.index(column_label("declarations", "verdict"))]
    gaps = row[headers.index(column_label("declarations", "gaps"))]
    assert verdict == "自查不符合开学条件"
    assert gaps.startswith("条件一 疫情得到基本控制：") and not re.search(r"\b(C1|C2|C3|T)\b", gaps)


def test_text_that_looks_like_a_formula_is_not_a_formula_in_the_xlsx(admin, county):
    members = zip_members(admin.get(DOWNLOADS[2]).data)
    sheets = b"".join(data for name, data in members.items() if name.startswith("xl/worksheets/"))
    assert b"<f>" not in sheets


def test_a_table_longer_than_an_excel_sheet_goes_on_in_a_next_sheet(db, make_school, tmp_path, monkeypatch):
    for n in range(5):
        make_school(f"S{n}")
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # header + 2 rows a sheet
    snapshot = storage.snapshot(db, tmp_path / "snap.sqlite")
    book = openpyxl.load_workbook(exports.write_xlsx(snapshot, tmp_path / "book.xlsx"))
    parts = [name for name in book.sheetnames if name.startswith("学校")]
    assert parts == ["学校", "学校(2)", "学校(3)"]
    codes = [r[0] for name in parts for r in book[name].iter_rows(min_row=2, values_only=True)]
    assert codes == ["S0", "S1", "S2", "S3", "S4"]


# --- no secrets --------------------------------------------------------------------------------


def readable_parts(data: bytes) -> list[bytes]:
    """The download's own bytes, and for a zip (csv.zip, xlsx) each member's bytes unpacked."""
    parts = [data]
    if data.startswith(b"PK"):
        parts += zip_members(data).values()
    return parts


def test_no_secret_appears_in_any_download(admin, db, county):
    secrets: list[str] = list(county["access_codes"])
    for school in db.query("SELECT access_code_hash, pledge_token FROM schools"):
        secrets += [school["access_code_hash"], school["access_code_hash"].rsplit("$", 1)[1], school["pledge_token"]]
    for admin_row in db.query("SELECT password_hash FROM admins"):
        secrets += [admin_row["password_hash"], admin_row["password_hash"].rsplit("$", 1)[1]]
    assert len(secrets) == 2 + 2 * 3 + 2
    for url in DOWNLOADS:
        parts = readable_parts(admin.get(url).data)
        for secret in secrets:
            for part in parts:
                assert secret.encode() not in part, (url, secret[:6])


AWKWARD_TEXTS = [
    "A & B <c> \"d\" 'e'",
    "_x0041_ stays as typed",
    "tab\there and\nnew line",
    "  leading and trailing  ",
    "control \x01 character",
    "emoji 😷 and 中文",
    "=1+1",
]


def read_xlsx_rows(path, sheet_name=None):
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    sheet = book[sheet_name] if sheet_name else book.worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_awkward_text_and_numbers_come_back_from_the_xlsx_as_xlsxwriter_itself_writes_them(tmp_path):
    """The rows are streamed into the sheets XlsxWriter laid out: cell by cell they must read back
    exactly as XlsxWriter's own constant-memory writing of the same values reads back."""
    import xlsxwriter

    from checklist_app.exchange import exports

    rows = [(n, text, n + 0.5) for n, text in enumerate(AWKWARD_TEXTS)]
    rows += [(99, None, float(2**53)), (100, "长" * 40_000, -1.25)]
    source = tmp_path / "s.sqlite"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE audit_log (id INTEGER, detail TEXT, target REAL)")
    conn.executemany("INSERT INTO audit_log VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()

    reference = tmp_path / "reference.xlsx"
    book = xlsxwriter.Workbook(
        str(reference), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["id", "detail", "target"])
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(index, column, value[:32_767] if isinstance(value, str) else value)
    book.close()

    ours = read_xlsx_rows(exports.write_xlsx(source, tmp_path / "out.xlsx"), table_name("audit_log"))
    assert ours == read_xlsx_rows(reference)
    assert ours[0][1] == AWKWARD_TEXTS[0] and ours[-1][1] == "长" * 32_767
