"""Reading the tables people upload: CSV (UTF-8 or GB18030, as Excel saves it) or XLSX."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook
from pydantic import ValidationError, create_model

from schemas import Pledge, School, field_messages
from schemas.base import ChecklistModel
from schemas.pledge import ROLES


class TableError(ValueError):
    """A file that cannot be imported; `problems` lists each row's errors in Chinese."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(data: bytes, filename: str, headers: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {field: text}) for every non-empty row.

    `headers` maps every accepted header (English or Chinese) to its field name.
    """
    if filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(data)
    else:
        table = _csv_rows(data)
    if not table:
        raise TableError(["文件是空的"])
    header = [str(h or "").strip() for h in table[0]]
    fields = [headers.get(h, headers.get(h.lower())) for h in header]
    missing = sorted(set(headers.values()) - set(fields))
    if missing:
        wanted = "、".join(f"{k}" for k, v in headers.items() if v in missing and not k.isascii())
        raise TableError([f"第 1 行:缺少列 {wanted}(或其英文列名 {', '.join(missing)})"])
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {f: str(c).strip() if c is not None else "" for f, c in zip(fields, cells, strict=False) if f}
        if any(values.values()):
            rows.append((number, values))
    return rows


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise TableError(["无法识别文件编码,请另存为 UTF-8 编码的 CSV 或 XLSX 文件"]) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(_decode(data))))
    except csv.Error:  # a cell over csv's field size limit, say: not a table a person made
        raise TableError(["无法读取 CSV 文件,请确认文件内容是表格"]) from None


def _xlsx_rows(data: bytes) -> list[list]:
    # read_only reads the sheets lazily: a damaged sheet fails while its rows are read
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    except Exception:  # openpyxl raises many kinds for a damaged or disguised file
        raise TableError(["无法读取 XLSX 文件,请确认文件未损坏"]) from None


SCHOOL_HEADERS = {
    "code": "code",
    "学校代码": "code",
    "name": "name",
    "学校名称": "name",
    "kind": "kind",
    "学校类型": "kind",
    "township": "township",
    "乡镇": "township",
}


def parse_schools(data: bytes, filename: str) -> list[School]:
    """Every row as a School, or TableError naming each bad row; nothing half-read."""
    problems: list[str] = []
    schools: list[School] = []
    first_row: dict[str, int] = {}
    for number, values in read_rows(data, filename, SCHOOL_HEADERS):
        try:
            school = School.model_validate(values)
        except ValidationError as error:
            problems += [f"第 {number} 行:{m}" for _f, m in field_messages(School, error)]
            continue
        if school.code in first_row:
            problems.append(f"第 {number} 行:学校代码 {school.code} 与第 {first_row[school.code]} 行重复")
            continue
        first_row[school.code] = number
        schools.append(school)
    if problems:
        raise TableError(problems)
    if not schools:
        raise TableError(["文件中没有学校数据"])
    return schools


def parse_schools_file(path: str | Path) -> list[School]:
    path = Path(path)
    return parse_schools(path.read_bytes(), path.name)


# --- the staff roster (issue 5) --------------------------------------------------------------

# A roster row is the pledge's own name, phone and role fields: the same bounds and messages.
RosterEntry = create_model(
    "RosterEntry",
    __base__=ChecklistModel,
    **{f: (Pledge.model_fields[f].annotation, Pledge.model_fields[f]) for f in ("name", "phone", "role")},
)

ROSTER_HEADERS = {
    "name": "name",
    "姓名": "name",
    "phone": "phone",
    "手机号码": "phone",
    "role": "role",
    "身份": "role",
}
ROLE_BY_LABEL = {label: key for key, label in ROLES.items()}


def _roster_values(values: dict[str, str]) -> dict[str, str]:
    """Undo what spreadsheets do to a phone (138 1234 5678, 13812345678.0); a role may be its label."""
    phone = re.sub(r"[\s-]", "", values.get("phone", ""))
    role = values.get("role", "")
    return {**values, "phone": re.sub(r"\.0$", "", phone), "role": ROLE_BY_LABEL.get(role, role)}


def parse_roster(data: bytes, filename: str) -> list[dict[str, str]]:
    """Every row as {name, phone, role}, or TableError naming each bad row; nothing half-read."""
    problems: list[str] = []
    people: list[dict[str, str]] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, raw in read_rows(data, filename, ROSTER_HEADERS):
        values = _roster_values(raw)
        try:
            person = RosterEntry.model_validate(values)
        except ValidationError as error:
            for field, message in field_messages(RosterEntry, error):
                if field == "role" and values["role"]:
                    message = f"身份“{values['role']}”无法识别,请填写{'、'.join(ROLES.values())}之一"
                problems.append(f"第 {number} 行:{message}")
            continue
        key = (person.name, person.phone)
        if key in first_row:
            problems.append(f"第 {number} 行:{person.name}的姓名和手机号码与第 {first_row[key]} 行重复")
            continue
        first_row[key] = number
        people.append(person.model_dump())
    if problems:
        raise TableError(problems)
    if not people:
        raise TableError(["文件中没有教职工数据"])
    return people
