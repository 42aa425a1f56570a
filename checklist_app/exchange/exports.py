"""The bureau's downloads: the SQLite snapshot, and for people CSV (in a zip) and Excel.

All are made from a snapshot file (`storage.snapshot`), never from the live tables, so a long
export holds no transaction on the live database; the snapshot carries its data dictionary
(`about`). CSV and Excel read the same allowlist as the snapshot (`schemas.dictionary.PUBLIC_TABLES`):
only its tables, views and columns are written, in its order, whatever else a snapshot file might
hold, with Chinese headers and values as people read them (`schemas.readable`): words for codes,
dates as dates. A 说明 sheet (说明.csv) comes first. Rows are streamed from SQLite to the file a
thousand at a time, so memory stays flat whatever the size. No Flask here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import os
import re
import sqlite3
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Iterator

import xlsxwriter

from schemas import readable
from schemas.deployment import LEVEL_WORDS, is_upper
from schemas.dictionary import COUNTY_COLUMNS, column_label, download_tables, public_columns, table_name

from .. import storage
from .about import Origin, add_to_snapshot, for_people

XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
WIDTH_SAMPLE_ROWS = 200
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


ABOUT_NAME = "说明"
ABOUT_TABLES = ("download_info", "data_dictionary")  # shown together as 说明
# The formats a file name's extension asks for (`checklist export FILE`).
FORMATS = {".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".xlsx": "xlsx", ".zip": "csv.zip"}


def download_name(stem: str, extension: str, when: dt.datetime) -> str:
    """checklist-20261129-1405.sqlite: dated, so downloads on different days do not collide."""
    return f"{stem}-{when:%Y%m%d-%H%M}.{extension}"


def export(db, workdir: Path, kind: str, origin: Origin) -> Path:
    """A snapshot of the live database, with its data dictionary, as `kind` (sqlite, xlsx or
    csv.zip), made in `workdir`: the one way the web download and the command line export. At
    a city or a province the snapshot is of its counties' rows (`storage.region_snapshot`)."""
    take = storage.region_snapshot if is_upper(origin.level) else storage.snapshot
    snapshot = take(db, Path(workdir) / "snapshot.sqlite")
    add_to_snapshot(snapshot, origin)
    if kind == "csv.zip":
        return write_csv_zip(snapshot, Path(workdir) / "export.zip")
    if kind == "xlsx":
        return write_xlsx(snapshot, Path(workdir) / "export.xlsx", title=origin.bureau_name)
    return snapshot


def export_to(db, dest: Path, kind: str, origin: Origin) -> Path:
    """`export` into the file `dest`, put in place whole (a reader never sees half a file)."""
    dest = Path(dest).resolve()
    with tempfile.TemporaryDirectory(prefix=".checklist-export-", dir=dest.parent) as workdir:
        os.replace(export(db, Path(workdir), kind, origin), dest)
    return dest


# --- reading the snapshot --------------------------------------------------------------------


def open_snapshot(path: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def relations(conn: sqlite3.Connection) -> list[str]:
    """The snapshot's tables and views that are on the allowlist, in its order (less the two
    the 说明 sheet shows)."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    return [name for name in download_tables() if name in names and name not in ABOUT_TABLES]


def columns(conn: sqlite3.Connection, relation: str) -> list[str]:
    """The relation's public columns, in the snapshot's order (an upper level's: its county
    first)."""
    public = public_columns(relation) | set(COUNTY_COLUMNS)
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{relation}")') if r[1] in public]


def rows(conn: sqlite3.Connection, relation: str, limit: int | None = None) -> Iterator[tuple]:
    """The relation's rows, its public columns only."""
    quoted = ", ".join(f'"{c}"' for c in columns(conn, relation))
    order = " ORDER BY rowid" if _is_table(conn, relation) else ""
    sql = f'SELECT {quoted} FROM "{relation}"{order}' + (f" LIMIT {int(limit)}" if limit else "")
    yield from conn.execute(sql)


def readable_rows(conn: sqlite3.Connection, relation: str, limit: int | None = None) -> Iterator[tuple]:
    """The rows as the CSV and the Excel file show them (`schemas.readable`): codes in words,
    times as Beijing-time datetimes, dates as dates; the SQLite download keeps what is stored."""
    return map(readable.row_reader(relation, columns(conn, relation)), rows(conn, relation, limit))


def about_rows(conn: sqlite3.Connection) -> tuple[list[list], list[str], list[tuple]]:
    """The 说明 sheet: (the lines about the download, the dictionary's headers, its rows); empty
    for a file without them (a snapshot not made by `export`)."""
    names = columns(conn, "data_dictionary")
    if not names:
        return [], [], []
    shown = {"taken_at": readable.moment, "level": lambda level: LEVEL_WORDS.get(level, level)}
    info = [
        [title, shown[item](value) if item in shown else value]
        for item, title, value in conn.execute("SELECT item, title, value FROM download_info ORDER BY rowid")
    ]
    dictionary = [for_people(r) for r in rows(conn, "data_dictionary")]
    return info, [column_label("data_dictionary", c) for c in names], dictionary


def _is_table(conn: sqlite3.Connection, relation: str) -> bool:
    kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", [relation]).fetchone()
    return bool(kind) and kind[0] == "table"


# --- CSV -------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """Times as Excel reads a date from CSV (2026-02-20 08:00:00, Beijing time), dates as
    2026-02-20; a text that Excel would take for a formula is kept as text (OWASP's
    CSV-injection advice)."""
    if isinstance(value, dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv_zip(snapshot_path: str | Path, dest: str | Path) -> Path:
    """说明.csv, then one UTF-8 CSV with a BOM per table and view, with Chinese headers."""
    dest = Path(dest)
    conn = open_snapshot(snapshot_path)
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            info, headers, dictionary = about_rows(conn)
            _csv_member(archive, f"{ABOUT_NAME}.csv", [*info, [], headers, *dictionary])
            for relation in relations(conn):
                headers = [column_label(relation, c) for c in columns(conn, relation)]
                _csv_member(archive, f"{relation}.csv", itertools.chain([headers], readable_rows(conn, relation)))
    finally:
        conn.close()
    return dest


def _csv_member(archive: zipfile.ZipFile, name: str, lines) -> None:
    with archive.open(name, "w") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        for line in lines:
            writer.writerow([csv_cell(v) for v in line])
        text.flush()
        text.detach()


# --- XLSX ------------------------------------------------------------------------------------


def display_width(value: Any) -> int:
    """Columns wide enough to read: CJK characters count double."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def column_widths(headers: list[str], sample: list[tuple]) -> list[int]:
    widths = []
    for index, header in enumerate(headers):
        longest = max([display_width(header), *(display_width(row[index]) for row in sample)])
        widths.append(min(max(longest + 2, 8), 50))
    return widths


def sheet_name(relation: str, part: int = 1) -> str:
    base = table_name(relation)
    name = base if part == 1 else f"{base}({part})"
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]


def write_xlsx(snapshot_path: str | Path, dest: str | Path, title: str = "") -> Path:
    """The 说明 sheet, then one sheet per table and view: Chinese headers, frozen header row,
    sensible widths, times and dates as date cells.

    XlsxWriter lays the workbook out (sheets, header rows and their style, widths, the frozen
    row, properties, the date formats of the date columns) and writes the small 说明 sheet; the
    data rows are then streamed into its sheets as inline-string, number and date cells, the
    form XlsxWriter itself writes in constant-memory mode. XlsxWriter spends some 5 µs on a
    cell, which makes a province's 13 million cells more than a minute; written here in bulk
    they take a fifth of that.
    """
    dest = Path(dest)
    conn = open_snapshot(snapshot_path)
    try:
        layout = io.BytesIO()
        workbook = xlsxwriter.Workbook(layout, {"strings_to_formulas": False, "strings_to_urls": False})
        workbook.set_properties({"title": title, "company": title})
        header_format = workbook.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
        formats = {
            "moment": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        }
        _about_sheet(workbook, header_format, formats, *about_rows(conn))
        sheets: dict[str, tuple[str, int, int]] = {}  # member -> (relation, rows in it, columns)
        for relation in relations(conn):
            names = columns(conn, relation)
            headers = [column_label(relation, c) for c in names]
            widths = column_widths(headers, list(readable_rows(conn, relation, WIDTH_SAMPLE_ROWS)))
            styles = [formats.get(readable.kind(relation, c)) for c in names]
            (total,) = conn.execute(f'SELECT COUNT(*) FROM "{relation}"').fetchone()
            per_sheet = XLSX_MAX_ROWS - 1  # the header takes a row
            for part in range(1, max(1, math.ceil(total / per_sheet)) + 1):
                _new_sheet(workbook, header_format, sheet_name(relation, part), headers, widths, styles)
                in_part = min(per_sheet, total - (part - 1) * per_sheet)
                sheets[f"xl/worksheets/sheet{len(sheets) + 2}.xml"] = (relation, max(in_part, 0), len(names))
        workbook.close()
        date_styles = {dt.datetime: formats["moment"].xf_index, dt.date: formats["date"].xf_index}
        _fill_sheets(conn, layout, dest, sheets, date_styles)
    finally:
        conn.close()
    return dest


def _about_sheet(workbook, header_format, formats, info: list[list], headers: list[str], dictionary: list[tuple]):
    """说明: where and when the download was taken, then the data dictionary."""
    sheet = workbook.add_worksheet(ABOUT_NAME)
    for index, width in enumerate(column_widths(headers, dictionary)):
        sheet.set_column(index, index, width)
    for row, (label, value) in enumerate(info):
        sheet.write_string(row, 0, label, header_format)
        if isinstance(value, dt.datetime):
            sheet.write_datetime(row, 1, value, formats["moment"])
        else:
            sheet.write(row, 1, value)
    start = len(info) + 1
    sheet.write_row(start, 0, headers, header_format)
    for offset, line in enumerate(dictionary, start=start + 1):
        sheet.write_row(offset, 0, line)
    sheet.freeze_panes(start + 1, 0)


def _new_sheet(workbook, header_format, name: str, headers: list[str], widths: list[int], styles: list):
    sheet = workbook.add_worksheet(name)
    for index, (width, style) in enumerate(zip(widths, styles, strict=True)):
        sheet.set_column(index, index, width, style)
    sheet.write_row(0, 0, headers, header_format)
    sheet.freeze_panes(1, 0)
    return sheet


def _fill_sheets(conn: sqlite3.Connection, layout: io.BytesIO, dest: Path, sheets: dict, styles: dict) -> None:
    """Copy the laid-out workbook to `dest`, each sheet's rows streamed in after its header row.
    A table's sheets come one after another, so one cursor per table serves all its parts."""
    cursors: dict[str, Iterator[tuple]] = {}
    with zipfile.ZipFile(layout) as source, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename not in sheets:
                out.writestr(info, source.read(info))
                continue
            relation, count, width = sheets[info.filename]
            head, tail = source.read(info).decode("utf-8").split("</sheetData>", 1)
            letters = column_letters(width)
            if count:  # the dimension XlsxWriter wrote covers the header row only
                head = DIMENSION.sub(f'<dimension ref="A1:{letters[-1]}{count + 1}"/>', head, count=1)
            cursor = cursors.setdefault(relation, readable_rows(conn, relation))
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            # a member over 2 GiB needs ZIP64: guess generously from the cells it will hold
            with out.open(target, "w", force_zip64=count * width * 64 > 2**31) as member:
                member.write(head.encode("utf-8"))
                for chunk in _row_chunks(letters, cursor, count, styles):
                    member.write(chunk)
                member.write(("</sheetData>" + tail).encode("utf-8"))


EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, as XlsxWriter counts
ONE_DAY = dt.timedelta(days=1)
DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
XLSX_MAX_TEXT = 32_767  # characters in a cell; XlsxWriter cuts longer text there too
NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
LOOKS_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def column_letters(count: int) -> list[str]:
    """A, B, … Z, AA, AB …: the names of the first `count` columns."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _row_chunks(
    letters: list[str], cursor: Iterator[tuple], count: int, styles: dict, size: int = 1000
) -> Iterator[bytes]:
    """`count` rows from `cursor` as <row> elements numbered from 2, `size` rows at a time."""
    chunk: list[str] = []
    for number in range(2, count + 2):
        row = next(cursor)
        cells = "".join(
            [
                xlsx_cell(f"{letter}{number}", value, styles)
                for letter, value in zip(letters, row, strict=True)
                if value is not None
            ]
        )
        if cells:
            chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) >= size:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("utf-8")


def xlsx_cell(ref: str, value: Any, styles: dict | None = None) -> str:
    """One cell as XlsxWriter writes it in constant-memory mode: a number, a date (a number in
    a date format: `styles` maps datetime and date to its style), or text inline (a formula
    never: text starting with = stays text, with no ' before it). Empty text makes no cell."""
    if isinstance(value, str):
        tail = _WORD_TAILS.get(value)
        if tail is None:
            if not value:
                return ""
            tail = _text_tail(value)
            if len(value) <= SHORT_WORD and len(_WORD_TAILS) < 4096:  # 是, 教师, 本县内: many times over
                _WORD_TAILS[value] = tail
        return f'<c r="{ref}{tail}'
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value:.16G}</v></c>'
    if isinstance(value, dt.date) and styles:
        kind = dt.datetime if isinstance(value, dt.datetime) else dt.date
        serial = (value - EXCEL_EPOCH) / ONE_DAY if kind is dt.datetime else (value - EXCEL_EPOCH.date()).days
        return f'<c r="{ref}" s="{styles[kind]}"><v>{serial:.16G}</v></c>'
    return xlsx_cell(ref, str(value), styles)


SHORT_WORD = 8
_WORD_TAILS: dict[str, str] = {}


def _text_tail(text: str) -> str:
    """A text cell after its reference: the inline string, escaped as XlsxWriter escapes it."""
    text = text[:XLSX_MAX_TEXT]
    if NEEDS_ESCAPE.search(text):
        text = LOOKS_ESCAPED.sub(r"_x005F\1", text)  # Excel would read "_x0041_" as "A"
        text = CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'
