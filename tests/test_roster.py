"""The school's staff page (/school/staff): the pledge link and its QR code, the roster upload,
who has signed and who has not (phones masked), the 未签名单, and only the school's own data."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
import zxingcpp
from PIL import Image

import schemas
from checklist_app import storage
from checklist_app.exchange.imports import TableError, parse_roster
from checklist_app.web import links
from tests import sessions
from tests.conftest import csrf_token, valid_pledge_answers

STAFF = "/school/staff/"
APP_URL = links.server_url("127.0.0.1", links.default_port())  # no CHECKLIST_BASE_URL: where serve listens
UNSIGNED_MESSAGE = re.compile(r'<textarea[^>]*id="unsigned-message"[^>]*>(.*?)</textarea>', re.S)


def log_in(client, code: str) -> None:
    sessions.log_in(client, school_code=code)


def sign(app, token: str, name: str, phone: str) -> None:
    """A staff member signs from their own phone (a client of their own)."""
    client = app.test_client()
    url = f"/pledge/{token}"
    answers = valid_pledge_answers(name=name, signature=name, phone=phone)
    data = {k: ("y" if v is True else v) for k, v in answers.items()}
    response = client.post(url, data={"csrf_token": csrf_token(client, url), **data})
    assert response.status_code == 303


def csv_file(rows: list[tuple[str, str, str]], header=("name", "phone", "role"), encoding="utf-8"):
    text = "\r\n".join(",".join(row) for row in [header, *rows]) + "\r\n"
    return io.BytesIO(text.encode(encoding)), "roster.csv"


def xlsx_file(rows: list[tuple], header=("姓名", "手机号码", "身份")):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out, "名单.xlsx"


def upload(client, file):
    data = {"csrf_token": csrf_token(client, STAFF), "roster": file}
    return client.post("/school/staff/roster", data=data, content_type="multipart/form-data")


def page(client) -> str:
    response = client.get(STAFF)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def unsigned_message(text: str) -> str:
    return UNSIGNED_MESSAGE.search(text).group(1)


def roster_rows(db, code: str) -> list[tuple[str, str, str]]:
    return [
        (r["name"], r["phone"], r["role"])
        for r in db.query("SELECT name, phone, role FROM roster WHERE school_code = ? ORDER BY id", [code])
    ]


@pytest.fixture
def school(make_school, client):
    row = make_school()[0]
    log_in(client, row["code"])
    return row


STAFF_LIST = [("张三", "13800000001", "teacher"), ("李四", "13800000002", "leader"), ("王五", "13800000003", "staff")]


# --- the roster upload -------------------------------------------------------------------------


def test_a_csv_roster_with_english_headers_is_imported(client, db, school):
    response = upload(client, csv_file(STAFF_LIST))
    assert response.status_code == 303
    assert roster_rows(db, school["code"]) == STAFF_LIST
    assert "共 3 人" in page(client)


def test_an_xlsx_roster_with_chinese_headers_and_role_labels_is_imported(client, db, school):
    rows = [("张三", 13800000001, "教师"), ("李四", "138 0000 0002", "学校领导"), ("王五", "13800000003", "职工")]
    assert upload(client, xlsx_file(rows)).status_code == 303
    assert roster_rows(db, school["code"]) == STAFF_LIST


def test_a_gb18030_csv_roster_as_excel_saves_it_is_imported(client, db, school):
    rows = [("张三", "13800000001", "教师")]
    assert upload(client, csv_file(rows, header=("姓名", "手机号码", "身份"), encoding="gb18030")).status_code == 303
    assert roster_rows(db, school["code"]) == [("张三", "13800000001", "teacher")]


def test_a_roster_with_bad_rows_names_each_row_in_chinese_and_imports_nothing(client, db, school):
    upload(client, csv_file(STAFF_LIST))
    bad = [
        ("赵六", "13800000004", "teacher"),
        ("钱", "13800000005", "teacher"),
        ("孙七", "1380000000", "teacher"),
        ("周八", "13800000007", "校长"),
        ("赵六", "13800000004", "staff"),
    ]
    response = upload(client, csv_file(bad))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "<title>错误：" in text
    assert "第 3 行：姓名至少填写 2 个字" in text
    assert "第 4 行：请填写正确的手机号码" in text
    assert "第 5 行：身份“校长”无法识别" in text
    assert "第 6 行：" in text and "与第 2 行重复" in text
    assert "第 2 行：" not in text
    assert roster_rows(db, school["code"]) == STAFF_LIST  # the old list stands, nothing half-imported


def test_a_roster_row_with_a_control_character_is_named_and_nothing_is_imported(client, db, school):
    upload(client, csv_file(STAFF_LIST))
    response = upload(client, csv_file([("赵六", "13800000004", "teacher"), ("钱\x00七", "13800000005", "teacher")]))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "第 3 行：姓名含有看不见的控制字符" in text
    assert roster_rows(db, school["code"]) == STAFF_LIST


def test_a_roster_without_a_needed_column_is_refused(client, db, school):
    response = upload(client, csv_file([("张三", "13800000001")], header=("姓名", "手机号码")))
    assert response.status_code == 400
    assert "缺少列 身份" in html.unescape(response.get_data(as_text=True))
    assert roster_rows(db, school["code"]) == []


def test_an_empty_or_missing_file_is_refused(client, db, school):
    assert "文件中没有教职工数据" in html.unescape(upload(client, csv_file([])).get_data(as_text=True))
    response = client.post("/school/staff/roster", data={"csrf_token": csrf_token(client, STAFF)})
    assert response.status_code == 400
    assert "请选择要上传的名单文件" in response.get_data(as_text=True)
    assert roster_rows(db, school["code"]) == []


def test_a_file_of_another_kind_is_refused(client, db, school):
    response = upload(client, (io.BytesIO(b"%PDF-1.4"), "roster.pdf"))
    assert response.status_code == 400
    assert "请上传 CSV 或 XLSX 文件" in response.get_data(as_text=True)


def test_a_roster_upload_without_csrf_token_is_refused_and_stores_nothing(client, db, school):
    file, name = csv_file(STAFF_LIST)
    response = client.post("/school/staff/roster", data={"roster": (file, name)}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert roster_rows(db, school["code"]) == []


def test_parse_roster_accepts_keys_and_labels_and_refuses_other_roles():
    data, name = csv_file([("张三", "13800000001", "cadre"), ("李四", "13800000002", "机关干部")])
    assert [p["role"] for p in parse_roster(data.getvalue(), name)] == ["cadre", "cadre"]
    data, name = csv_file([("张三", "13800000001", "老师")])
    with pytest.raises(TableError) as error:
        parse_roster(data.getvalue(), name)
    assert error.value.problems == ["第 2 行：身份“老师”无法识别，请填写教师、学校领导、职工、机关干部之一"]


# --- who has signed ----------------------------------------------------------------------------


def test_roster_matching_by_name_and_phone(app, client, db, school):
    upload(client, csv_file(STAFF_LIST))
    sign(app, school["pledge_token"], "张三", "13800000001")
    sign(app, school["pledge_token"], "李四", "13900000002")  # another phone than the roster's
    status = storage.roster_status(db, school["code"])
    assert [p["name"] for p in status["signed"]] == ["张三"]
    assert [p["name"] for p in status["unsigned"]] == ["李四", "王五"]
    text = page(client)
    assert "以下教职工尚未签署疫情防控承诺书：李四、王五" in unsigned_message(text)


def test_lists_shown_to_the_school_mask_every_phone(app, client, db, school):
    upload(client, csv_file(STAFF_LIST))
    sign(app, school["pledge_token"], "张三", "13800000001")
    sign(app, school["pledge_token"], "外来人", "13600001234")
    text = page(client)
    for _name, phone, _role in [*STAFF_LIST, ("外来人", "13600001234", "")]:
        assert phone not in text
        assert f"{phone[:3]}****{phone[-4:]}" in text


def test_the_unsigned_list_follows_a_roster_reupload(app, client, db, school):
    upload(client, csv_file(STAFF_LIST))
    sign(app, school["pledge_token"], "张三", "13800000001")
    assert "李四、王五" in unsigned_message(page(client))

    # 王五 has left; 赵六 has joined
    reuploaded = [STAFF_LIST[0], STAFF_LIST[1], ("赵六", "13800000004", "teacher")]
    assert upload(client, csv_file(reuploaded)).status_code == 303
    message = unsigned_message(page(client))
    assert "以下教职工尚未签署疫情防控承诺书：李四、赵六" in message
    assert "王五" not in message and "张三" not in message
    status = storage.roster_status(db, school["code"])
    assert [p["name"] for p in status["signed"]] == ["张三"]  # the pledge survives the re-upload


def test_the_unsigned_message_carries_the_pledge_link(client, db, school):
    upload(client, csv_file(STAFF_LIST))
    assert f"/pledge/{school['pledge_token']}" in unsigned_message(page(client))


def test_when_everyone_has_signed_there_is_no_unsigned_list(app, client, db, school):
    upload(client, csv_file(STAFF_LIST[:1]))
    sign(app, school["pledge_token"], "张三", "13800000001")
    text = page(client)
    assert UNSIGNED_MESSAGE.search(text) is None
    assert "全部已签署" in text


def test_a_pledge_from_someone_not_on_the_roster_is_kept_and_flagged(app, client, db, school):
    upload(client, csv_file(STAFF_LIST))
    sign(app, school["pledge_token"], "新同事", "13700000009")
    assert db.execute("SELECT COUNT(*) FROM pledges WHERE name = '新同事'").fetchone()[0] == 1
    text = page(client)
    flagged = text[text.index('id="not-on-roster-title"') :]
    assert "新同事" in flagged and "不在名单中" in flagged
    assert "新同事" not in unsigned_message(text)


def test_without_a_roster_signed_pledges_are_listed_unflagged(app, client, db, school):
    sign(app, school["pledge_token"], "张三", "13800000001")
    text = page(client)
    assert "张三" in text and "尚未上传名单" in text
    assert "tag--warn" not in text


# --- only the school's own data ----------------------------------------------------------------


def test_the_staff_page_needs_a_school_login(app, db, make_school):
    make_school()
    anonymous = app.test_client()
    for path in (STAFF, "/school/staff/qr.png", "/school/staff/roster-template.csv"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert "/school/login" in response.headers["Location"]
    assert anonymous.post("/school/staff/roster").status_code in (302, 400)


def test_a_bureau_admin_session_is_not_a_school(app, make_school):
    make_school()
    admin = app.test_client()
    sessions.log_in(admin, admin="admin")
    assert admin.get(STAFF).status_code == 403


def test_a_school_cannot_see_another_schools_staff(app, db, make_school):
    own, _ = make_school("SCH01", "第一小学")
    other, _ = make_school("SCH02", "第二小学")
    storage.replace_roster(db, other["code"], [{"name": "别校甲", "phone": "13500000001", "role": "teacher"}], "test")
    sign(app, other["pledge_token"], "别校乙", "13500000002")
    storage.replace_roster(db, own["code"], [{"name": "本校甲", "phone": "13600000001", "role": "teacher"}], "test")

    client = app.test_client()
    log_in(client, own["code"])
    text = page(client)
    assert "本校甲" in text
    for leaked in ("别校甲", "别校乙", other["pledge_token"], other["name"], "1350000"):
        assert leaked not in text
    # the school code is never taken from the request
    assert "别校甲" not in html.unescape(client.get(STAFF + "?school_code=SCH02").get_data(as_text=True))
    assert decode_png(client.get("/school/staff/qr.png").data) == f"{APP_URL}/pledge/{own['pledge_token']}"


# --- the link and its QR code ------------------------------------------------------------------


def decode_png(data: bytes) -> str:
    image = Image.open(io.BytesIO(data))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0].text


def svg_to_image(svg: str) -> Image.Image:
    """Rasterise segno's SVG: one path of horizontal strokes (M, m, h), one module high each."""
    scale = float(re.search(r'transform="scale\(([\d.]+)\)"', svg).group(1))
    size = round(float(re.search(r'width="([\d.]+)"', svg).group(1)) / scale)
    path = re.search(r' d="([^"]+)"', svg).group(1)
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", path):
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            for column in range(round(x), round(x + numbers[0])):
                image.putpixel((column, int(y)), 0)
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected SVG path command {command}")
    return image.resize((size * 8, size * 8), Image.NEAREST)


def test_the_png_qr_code_decodes_to_the_pledge_link(client, school):
    response = client.get("/school/staff/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    link = decode_png(response.data)
    assert link == f"{APP_URL}/pledge/{school['pledge_token']}"
    assert client.get(link.removeprefix(APP_URL)).status_code == 200


def test_the_svg_qr_code_on_the_page_decodes_to_the_link_the_page_shows(client, school):
    text = client.get(STAFF).get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    shown = re.search(r'id="pledge-link" type="text" value="([^"]+)"', text).group(1)
    decoded = zxingcpp.read_barcodes(svg_to_image(svg))
    assert [d.text for d in decoded] == [shown]
    assert shown == f"{APP_URL}/pledge/{school['pledge_token']}"


def test_the_qr_code_uses_the_configured_base_url(app, client, school):
    app.config["BASE_URL"] = "https://jyj.example.cn"
    link = decode_png(client.get("/school/staff/qr.png").data)
    assert link == f"https://jyj.example.cn/pledge/{school['pledge_token']}"


def test_after_rotation_the_qr_code_carries_the_new_link(client, db, school):
    new = storage.rotate_pledge_token(db, school["code"], actor="test")
    assert decode_png(client.get("/school/staff/qr.png").data) == f"{APP_URL}/pledge/{new}"
    assert client.get(f"/pledge/{school['pledge_token']}").status_code == 404


def test_the_roster_template_has_the_chinese_headers_and_opens_in_excel(client, school):
    response = client.get("/school/staff/roster-template.csv")
    assert response.data.startswith("\ufeff".encode("utf-8"))
    header = response.data.decode("utf-8-sig").splitlines()[0]
    data, name = io.BytesIO(f"{header}\r\n张三,13800000001,教师\r\n".encode()), "t.csv"
    assert parse_roster(data.getvalue(), name)[0] == {"name": "张三", "phone": "13800000001", "role": "teacher"}


def test_pledge_version_is_what_the_unsigned_list_counts(app, client, db, school, monkeypatch):
    upload(client, csv_file(STAFF_LIST[:1]))
    sign(app, school["pledge_token"], "张三", "13800000001")
    monkeypatch.setattr(schemas, "PLEDGE_VERSION", schemas.PLEDGE_VERSION + 1)
    text = page(client)
    assert "未签署</dt><dd>1 人（其中已签旧版 1 人）" in text  # counted against the new version
    assert "张三" in text.split('id="signed-earlier-title"')[1].split("</table>")[0]  # shown apart


def test_links_never_come_from_the_requests_host_header(app, client, school):
    cookie = client.get_cookie("checklist_session").value  # sent as a browser would to that host
    headers = {"Host": "evil.example", "Cookie": f"checklist_session={cookie}"}
    text = app.test_client(use_cookies=False).get(STAFF, headers=headers).get_data(as_text=True)
    assert "evil.example" not in text
    assert f"{APP_URL}/pledge/{school['pledge_token']}" in text


def test_someone_who_signed_only_an_earlier_pledge_is_shown_apart_from_the_unsigned(app, client, db, school):
    upload(client, csv_file(STAFF_LIST))
    sign(app, school["pledge_token"], "张三", "13800000001")
    with storage.transaction(db):
        db["pledges"].insert(
            {
                "school_code": school["code"],
                "pledge_version": schemas.PLEDGE_VERSION - 1,
                "name": "李四",
                "phone": "13800000002",
                "role": "leader",
                "whereabouts": "in_county",
                "signature": "李四",
                "text_sha256": "0" * 64,
                "reference": "EARLIER2",
                "submitted_at": "2026-02-20T10:00:00+08:00",
            }
        )
    status = storage.roster_status(db, school["code"])
    assert [p["name"] for p in status["unsigned"]] == ["王五"]
    assert [(p["name"], p["earlier_version"]) for p in status["signed_earlier"]] == [("李四", 1)]
    text = page(client)
    assert "未签署</dt><dd>2 人（其中已签旧版 1 人）" in text
    assert "以下教职工尚未签署疫情防控承诺书：王五。" in unsigned_message(text)
    assert "李四" in text.split('id="signed-earlier-title"')[1].split("</table>")[0]
