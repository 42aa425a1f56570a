"""The school list travels between the bureau, Excel or WPS and the schools and comes back intact:
codes leave as text; a code that lost its leading zeros or a phone Excel wrote in scientific
notation is refused with a message saying so; the bureau imports the list in the browser (upload,
preview with each row's problems, confirm, all or nothing, audited) by the same code as the CLI."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest
from click.testing import CliRunner

from checklist_app import storage
from checklist_app.cli import main
from checklist_app.exchange.imports import TableError, parse_roster, read_school_list
from schemas import School
from tests.bureau_support import ADMIN, create_admin, login
from tests.conftest import csrf_token

IMPORT, CONFIRM = "/bureau/schools/import", "/bureau/schools/import/confirm"


@pytest.fixture
def zero_led(db):
    storage.upsert_schools(
        db,
        [
            School(code="0012", name="城关第一小学", kind="小学", township="城关镇"),
            School(code="0013", name="城关中学", kind="初中", township="城关镇"),
        ],
        actor="test",
    )


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["学校代码", "学校名称", "学校类型", "乡镇"]


def problems_of(call) -> list[str]:
    with pytest.raises(TableError) as refused:
        call()
    return refused.value.problems


# --- codes that lost their zeros, phones in scientific notation --------------------------------


def test_a_code_that_lost_its_leading_zeros_is_refused_saying_so_and_how_to_keep_them(db, zero_led):
    data = csv_bytes([HEADER, ["12", "城关第一小学", "小学", "城关镇"]])
    [problem] = problems_of(lambda: read_school_list(db, data, "list.csv"))
    assert problem.startswith("第 2 行：") and "“12”" in problem and "“0012”" in problem
    assert "开头的 0" in problem and "Excel" in problem and "文本" in problem


def test_a_number_cell_shorter_than_the_countys_zero_led_codes_is_refused_in_a_new_county(db):
    data = xlsx_bytes([HEADER, ["0012", "城关第一小学", "小学", "城关镇"], [14, "东风小学", "小学", "东镇"]])
    [problem] = problems_of(lambda: read_school_list(db, data, "list.xlsx"))
    assert problem.startswith("第 3 行：") and "“0014”" in problem
    assert storage.schools_by_code(db) == {}


def test_codes_that_never_had_zeros_import_as_they_are(db):
    data = csv_bytes([HEADER, ["12", "城关第一小学", "小学", "城关镇"], ["130", "东风小学", "小学", "东镇"]])
    assert [s.code for s in read_school_list(db, data, "list.csv")] == ["12", "130"]


def test_a_phone_excel_wrote_in_scientific_notation_is_refused_saying_excel_changed_it():
    data = csv_bytes([["姓名", "手机号码", "身份"], ["张一", "1.38123E+10", "教师"], ["张二", "13812345679", "教师"]])
    [problem] = problems_of(lambda: parse_roster(data, "roster.csv"))
    assert problem.startswith("第 2 行：") and "1.38123E+10" in problem
    assert "Excel" in problem and "科学计数法" in problem and "文本" in problem


def test_the_command_line_refuses_a_code_that_lost_its_zeros(tmp_path):
    database = tmp_path / "checklist.db"
    runner = CliRunner(env={"CHECKLIST_DB": str(database)})
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([HEADER, ["0012", "城关第一小学", "小学", "城关镇"]]))
    assert runner.invoke(main, ["schools", "import", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, ["12", "城关第一小学", "小学", "城关镇"]]))
    result = runner.invoke(main, ["schools", "import", str(bad)])
    assert result.exit_code == 1 and "开头的 0" in result.output and "“0012”" in result.output


# --- a round trip through what we export ----------------------------------------------------------


def test_the_exported_school_sheet_saved_again_in_a_spreadsheet_imports_with_its_codes(admin, db, zero_led, tmp_path):
    path = tmp_path / "download.xlsx"
    path.write_bytes(admin.get("/bureau/export/checklist.xlsx").data)
    exported = openpyxl.load_workbook(path)["学校"]
    again = openpyxl.Workbook()  # what a clerk's spreadsheet saves: the cells as they read
    for row in exported.iter_rows(values_only=True):
        again.active.append(row)
    saved = io.BytesIO()
    again.save(saved)
    schools = read_school_list(db, saved.getvalue(), "back.xlsx")
    assert sorted(s.code for s in schools) == ["0012", "0013"]


# --- the bureau's upload page ----------------------------------------------------------------------


def upload(client, data: bytes, name: str):
    token = csrf_token(client, IMPORT)
    return client.post(
        IMPORT, data={"csrf_token": token, "school_list": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_the_upload_page_offers_templates_that_keep_codes_as_text(admin):
    page = admin.get(IMPORT).get_data(as_text=True)
    assert "/bureau/schools/template.xlsx" in page and "/bureau/schools/template.csv" in page
    response = admin.get("/bureau/schools/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["A2"].value == "0012" and sheet["A2"].number_format == "@"
    assert 'filename="school-list-template.xlsx"' in response.headers["Content-Disposition"]
    template = admin.get("/bureau/schools/template.csv").data.decode("utf-8-sig")
    assert template.splitlines()[0] == ",".join(HEADER)


def test_an_upload_with_problems_lists_each_rows_problem_in_chinese_and_imports_nothing(admin, db):
    data = csv_bytes(
        [HEADER, ["S1", "城关小学", "小学", "城关镇"], ["S2", "", "小学", "东镇"], ["S1", "重复", "小学", "东镇"]]
    )
    response = upload(admin, data, "list.csv")
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "第 3 行：" in page and "第 4 行：学校代码 S1 与第 2 行重复" in page
    assert "没有导入任何数据" in page
    assert storage.schools_by_code(db) == {}


def test_an_upload_shows_a_preview_and_imports_only_when_confirmed(admin, db, zero_led):
    data = xlsx_bytes(
        [
            HEADER,
            ["0012", "城关第一小学", "小学", "城关镇"],
            ["0013", "城关第二中学", "初中", "城关镇"],
            ["0020", "东风小学", "小学", "东镇"],
        ]
    )
    response = upload(admin, data, "list.xlsx")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    changes = dict(re.findall(r"<tr><td>(\w+)</td>.*?<td>(新增|更新|不变)</td></tr>", page))
    assert changes == {"0012": "不变", "0013": "更新", "0020": "新增"}
    assert set(storage.schools_by_code(db)) == {"0012", "0013"}  # nothing yet
    checked = re.search(r'name="checked" type="hidden" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = admin.post(CONFIRM, data={"csrf_token": token, "checked": checked})
    assert done.status_code == 303 and done.headers["Location"].endswith("/bureau/codes")
    known = storage.schools_by_code(db)
    assert set(known) == {"0012", "0013", "0020"} and known["0013"]["name"] == "城关第二中学"
    [entry] = db.query("SELECT actor, detail FROM audit_log WHERE action = 'schools.import' AND actor != 'test'")
    assert entry["actor"] == f"admin:{ADMIN}" and '"created": 1' in entry["detail"]


def test_a_confirm_checks_the_rows_again_and_refuses_what_no_preview_made(admin, db):
    token = csrf_token(admin, IMPORT)
    response = admin.post(CONFIRM, data={"csrf_token": token, "checked": "not-a-preview"})
    assert response.status_code == 400 and "预览已失效" in response.get_data(as_text=True)
    assert storage.schools_by_code(db) == {}


def test_the_upload_needs_a_csrf_token_and_a_bureau_login(client, db, make_school):
    create_admin(db)
    data = csv_bytes([HEADER, ["S1", "城关小学", "小学", "城关镇"]])
    assert client.get(IMPORT).status_code == 302  # to the bureau's login
    login(client)
    refused = client.post(IMPORT, data={"school_list": (io.BytesIO(data), "l.csv")}, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert storage.schools_by_code(db) == {}


def test_the_page_and_the_command_line_refuse_a_file_with_the_same_words(admin, db, zero_led, tmp_path):
    data = csv_bytes([HEADER, ["12", "城关第一小学", "小学", "城关镇"]])
    [problem] = problems_of(lambda: read_school_list(db, data, "list.csv"))
    page = html.unescape(upload(admin, data, "list.csv").get_data(as_text=True))
    assert problem in page
