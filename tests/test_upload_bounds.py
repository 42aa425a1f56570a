"""Issue 18: an upload costs what a real one would. Past a county's largest school, past the
first problems, or when it unpacks to more than such a list could, reading stops and the page
says so; a page lists at most the first 50 problems and says how many there were."""

from __future__ import annotations

import html
import io

import pytest

from bench.upload_bench import make_xlsx
from checklist_app.exchange import imports
from checklist_app.exchange.imports import MAX_PROBLEMS, MAX_ROSTER_ROWS, TableError, parse_roster
from checklist_app.views.staff import PROBLEMS_SHOWN
from tests.test_roster import log_in, roster_rows, upload


@pytest.fixture
def school(make_school, client):
    row = make_school()[0]
    log_in(client, row["code"])
    return row


def roster_csv(rows: int, bad_every: int = 0) -> bytes:
    lines = ["姓名,手机号码,身份"]
    for n in range(rows):
        phone = "123" if bad_every and n % bad_every == 0 else str(13_000_000_000 + n)
        lines.append(f"张老师,{phone},教师")
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_roster_of_the_largest_school_is_imported():
    assert len(parse_roster(roster_csv(MAX_ROSTER_ROWS), "roster.csv")) == MAX_ROSTER_ROWS


def test_a_roster_past_the_row_limit_is_refused_whole_and_says_why(client, db, school):
    response = upload(client, (io.BytesIO(roster_csv(MAX_ROSTER_ROWS + 1)), "roster.csv"))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f"文件超过 {MAX_ROSTER_ROWS} 行数据，没有导入任何数据" in text
    assert roster_rows(db, school["code"]) == []


def test_reading_stops_at_the_first_problems_and_the_page_lists_fifty_and_the_count(client, db, school):
    response = upload(client, (io.BytesIO(roster_csv(3_000, bad_every=1)), "roster.csv"))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f"名单中问题超过 {MAX_PROBLEMS} 处，已停止检查" in text
    assert f"下面列出前 {PROBLEMS_SHOWN} 处" in text
    assert text.count("请填写正确的手机号码") == PROBLEMS_SHOWN
    assert f"第 {PROBLEMS_SHOWN + 1} 行:" in text and f"第 {PROBLEMS_SHOWN + 2} 行:" not in text


def test_parsing_stops_at_the_problem_limit():
    with pytest.raises(TableError) as refused:
        parse_roster(roster_csv(3_000, bad_every=1), "roster.csv")
    assert len(refused.value.problems) == MAX_PROBLEMS and refused.value.stopped


def test_an_xlsx_that_unpacks_past_what_a_roster_could_be_is_refused_unread(client, db, school, tmp_path, monkeypatch):
    path = tmp_path / "roster.xlsx"
    make_xlsx(path, 50_000)  # about 80 KB packed, 6 MB unpacked
    read = []
    monkeypatch.setattr(imports, "load_workbook", lambda *a, **k: read.append(1))
    response = upload(client, (io.BytesIO(path.read_bytes()), "roster.xlsx"))
    assert response.status_code == 400
    assert "XLSX 文件解压后过大" in html.unescape(response.get_data(as_text=True))
    assert read == [] and roster_rows(db, school["code"]) == []


def test_an_xlsx_is_read_row_by_row_and_stops_at_the_row_limit(tmp_path):
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "手机号码", "身份"])
    for n in range(MAX_ROSTER_ROWS + 1):
        sheet.append(["张老师", 13_000_000_000 + n, "教师"])
    book.save(tmp_path / "roster.xlsx")
    with pytest.raises(TableError, match=f"文件超过 {MAX_ROSTER_ROWS} 行数据"):
        parse_roster((tmp_path / "roster.xlsx").read_bytes(), "roster.xlsx")


def test_a_csv_line_longer_than_any_roster_line_is_refused():
    data = "姓名,手机号码,身份\r\n".encode() + b"a," * 500_000 + b"\r\n"
    with pytest.raises(TableError, match="CSV 文件中有一行过长"):
        parse_roster(data, "roster.csv")
