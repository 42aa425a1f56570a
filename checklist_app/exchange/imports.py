"""Reading the tables people upload: CSV (UTF-8 or GB18030, as Excel saves it) or XLSX."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Iterator

from openpyxl import load_workbook
from pydantic import ValidationError, create_model

from schemas import Pledge, School, field_messages
from schemas.base import ChecklistModel
from schemas.pledge import ROLES


class TableError(ValueError):
    """A file that cannot be imported; `problems` lists each row's errors in Chinese (at most
    MAX_PROBLEMS of them: `stopped` says the file was not read to its end)."""

    def __init__(self, problems: list[str], stopped: bool = False):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.stopped = stopped


# What a person could really upload. A county's largest school has a few thousand staff; the
# list of schools is a county's (or, merged, a prefecture's). A file past these is refused as
# soon as reading reaches the limit, so no upload costs more than a real one.
MAX_ROSTER_ROWS = 5_000
MAX_SCHOOL_ROWS = 20_000
MAX_PROBLEMS = 100  # reading stops here: a file this wrong is not fixed row by row
MAX_COLUMNS = 30  # cells past these in a row are not read
MAX_LINE_CHARS = 4_000  # a CSV line; a roster line is well under 200
EMPTY_ROWS_ALLOWED = 10_000  # blank rows between rows of data (a spreadsheet's formatted blanks)
# The unpacked XML a spreadsheet may take: Excel's and WPS's rows of three cells, styles and
# all, are under 300 bytes (openpyxl's own 170), plus the workbook's theme and styles. openpyxl
# reads a sheet without a <dimension> element to its end before the first row, so this bound
# is also what such a file can cost.
XLSX_BYTES_PER_ROW = 500
XLSX_BYTES_BASE = 1_000_000


class TooLarge(TableError):
    def __init__(self, message: str):
        super().__init__([message], stopped=True)


def read_rows(
    data: bytes, filename: str, headers: dict[str, str], max_rows: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {field: text}) for every non-empty row, read one at
    a time; TooLarge past `max_rows` rows of data.

    `headers` maps every accepted header (English or Chinese) to its field name.
    """
    if filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(data, max_rows)
    else:
        table = _csv_rows(data)
    header = next(table, None)
    if header is None:
        raise TableError(["文件是空的"])
    header = [str(h or "").strip() for h in header]
    fields = [headers.get(h, headers.get(h.lower())) for h in header]
    missing = sorted(set(headers.values()) - set(fields))
    if missing:
        wanted = "、".join(f"{k}" for k, v in headers.items() if v in missing and not k.isascii())
        raise TableError([f"第 1 行:缺少列 {wanted}(或其英文列名 {', '.join(missing)})"])
    rows = blanks = 0
    for number, cells in enumerate(table, start=2):
        values = {f: str(c).strip() if c is not None else "" for f, c in zip(fields, cells, strict=False) if f}
        if not any(values.values()):
            blanks += 1
            if blanks > EMPTY_ROWS_ALLOWED:
                raise TooLarge(
                    f"文件中空行超过 {EMPTY_ROWS_ALLOWED} 行，没有导入任何数据。请删去多余的空行后重新上传。"
                )
            continue
        rows += 1
        if rows > max_rows:
            raise TooLarge(
                f"文件超过 {max_rows} 行数据，没有导入任何数据。请检查文件是否选错，或删去多余的行后重新上传。"
            )
        yield number, values


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise TableError(["无法识别文件编码,请另存为 UTF-8 编码的 CSV 或 XLSX 文件"]) from None


def _bounded_lines(text: str) -> Iterator[str]:
    for line in io.StringIO(text):
        if len(line) > MAX_LINE_CHARS:
            raise TooLarge("CSV 文件中有一行过长，不像是表格，没有导入任何数据。请确认文件内容是表格。")
        yield line


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        for row in csv.reader(_bounded_lines(_decode(data))):
            yield row[:MAX_COLUMNS]
    except csv.Error:  # a cell over csv's field size limit, say: not a table a person made
        raise TableError(["无法读取 CSV 文件,请确认文件内容是表格"]) from None


def _xlsx_rows(data: bytes, max_rows: int) -> Iterator[list]:
    """The first sheet's rows, streamed (openpyxl's read_only mode). The unpacked size each part
    declares is checked first, and zipfile never unpacks a part past the size it declares, so a
    small file that unpacks to gigabytes is refused before any of it is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise TableError(["无法读取 XLSX 文件,请确认文件未损坏"]) from None
    if unpacked > XLSX_BYTES_BASE + max_rows * XLSX_BYTES_PER_ROW:
        raise TooLarge(f"XLSX 文件解压后过大，超过 {max_rows} 行数据应有的大小，没有导入任何数据。请检查文件是否选错。")
    # read_only reads the sheets lazily: a damaged sheet fails while its rows are read
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a stated size is not trusted: no padding out to it
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield list(row)
    except TableError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or disguised file
        raise TableError(["无法读取 XLSX 文件,请确认文件未损坏"]) from None


class Problems:
    """The problems found in a file, up to MAX_PROBLEMS; past that, reading stops."""

    def __init__(self):
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)
        if len(self.found) >= MAX_PROBLEMS:
            raise TableError(self.found, stopped=True)

    def raise_any(self) -> None:
        if self.found:
            raise TableError(self.found)


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
    problems = Problems()
    schools: list[School] = []
    first_row: dict[str, int] = {}
    for number, values in read_rows(data, filename, SCHOOL_HEADERS, MAX_SCHOOL_ROWS):
        try:
            school = School.model_validate(values)
        except ValidationError as error:
            for _f, message in field_messages(School, error):
                problems.add(f"第 {number} 行:{message}")
            continue
        if school.code in first_row:
            problems.add(f"第 {number} 行:学校代码 {school.code} 与第 {first_row[school.code]} 行重复")
            continue
        first_row[school.code] = number
        schools.append(school)
    problems.raise_any()
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
    problems = Problems()
    people: list[dict[str, str]] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, raw in read_rows(data, filename, ROSTER_HEADERS, MAX_ROSTER_ROWS):
        values = _roster_values(raw)
        try:
            person = RosterEntry.model_validate(values)
        except ValidationError as error:
            for field, message in field_messages(RosterEntry, error):
                if field == "role" and values["role"]:
                    message = f"身份“{values['role']}”无法识别,请填写{'、'.join(ROLES.values())}之一"
                problems.add(f"第 {number} 行:{message}")
            continue
        key = (person.name, person.phone)
        if key in first_row:
            problems.add(f"第 {number} 行:{person.name}的姓名和手机号码与第 {first_row[key]} 行重复")
            continue
        first_row[key] = number
        people.append(person.model_dump())
    problems.raise_any()
    if not people:
        raise TableError(["文件中没有教职工数据"])
    return people
