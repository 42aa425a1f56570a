"""The bureau's downloads in the formats bureaus open: CSV (in a zip) and Excel.

Both are made from a snapshot file (`storage.snapshot`), never from the live tables, so a long
export holds no transaction on the live database. They read the same allowlist as the snapshot
(`schemas.dictionary.PUBLIC_TABLES`): only its tables, views and columns are written, in its
order, whatever else a snapshot file might hold. Rows are streamed from SQLite to the file a thousand at a time, so memory
stays flat whatever the size. No Flask here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import sqlite3
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Iterator

import xlsxwriter

from schemas.dictionary import PUBLIC_TABLES, column_label, public_columns, table_name
from schemas.verdict import VERDICT_LABELS, gaps_in_words

XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
WIDTH_SAMPLE_ROWS = 200
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def download_name(stem: str, extension: str, when: dt.datetime) -> str:
    """checklist-20261129-1405.sqlite: dated, so downloads on different days do not collide."""
    return f"{stem}-{when:%Y%m%d-%H%M}.{extension}"


# --- reading the snapshot --------------------------------------------------------------------


def open_snapshot(path: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def relations(conn: sqlite3.Connection) -> list[str]:
    """The snapshot's tables and views that are on the allowlist, in its order."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    return [name for name in PUBLIC_TABLES if name in names]


def columns(conn: sqlite3.Connection, relation: str) -> list[str]:
    """The relation's public columns, in the snapshot's order."""
    public = public_columns(relation)
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{relation}")') if r[1] in public]


def rows(conn: sqlite3.Connection, relation: str, limit: int | None = None) -> Iterator[tuple]:
    """The relation's rows, its public columns only."""
    quoted = ", ".join(f'"{c}"' for c in columns(conn, relation))
    order = " ORDER BY rowid" if _is_table(conn, relation) else ""
    sql = f'SELECT {quoted} FROM "{relation}"{order}' + (f" LIMIT {int(limit)}" if limit else "")
    yield from conn.execute(sql)


# Columns whose stored codes people read as words in a spreadsheet; the SQLite download keeps
# the codes, and its data dictionary says what they mean.
IN_WORDS = {
    "verdict": lambda value: VERDICT_LABELS.get(value, value),
    "gaps": gaps_in_words,
}


def readable_rows(conn: sqlite3.Connection, relation: str, limit: int | None = None) -> Iterator[tuple]:
    """The rows as the CSV and the Excel file show them: coded columns in words."""
    worded = [(i, IN_WORDS[c]) for i, c in enumerate(columns(conn, relation)) if c in IN_WORDS]
    if not worded:
        yield from rows(conn, relation, limit)
        return
    for row in rows(conn, relation, limit):
        row = list(row)
        for index, words in worded:
            row[index] = words(row[index])
        yield tuple(row)


def _is_table(conn: sqlite3.Connection, relation: str) -> bool:
    kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", [relation]).fetchone()
    return bool(kind) and kind[0] == "table"


# --- CSV -------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A text that Excel would take for a formula is kept as text (OWASP's CSV-injection advice)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv_zip(snapshot_path: str | Path, dest: str | Path) -> Path:
    """One UTF-8 CSV with a BOM per table and view, headed with the column names."""
    dest = Path(dest)
    conn = open_snapshot(snapshot_path)
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for relation in relations(conn):
                with archive.open(f"{relation}.csv", "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                    writer = csv.writer(text)
                    writer.writerow(columns(conn, relation))
                    for row in readable_rows(conn, relation):
                        writer.writerow([csv_cell(v) for v in row])
                    text.flush()
                    text.detach()
    finally:
        conn.close()
    return dest


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
    """One sheet per table and view, Chinese headers, frozen header row, sensible widths.

    XlsxWriter lays the workbook out (sheets, header rows and their style, widths, the frozen
    row, properties); the data rows are then streamed into its sheets as inline-string and number
    cells, the form XlsxWriter itself writes in constant-memory mode. XlsxWriter spends some 5 µs
    on a cell, which makes a province's 13 million cells more than a minute; written here in
    bulk they take a fifth of that.
    """
    dest = Path(dest)
    conn = open_snapshot(snapshot_path)
    try:
        layout = io.BytesIO()
        workbook = xlsxwriter.Workbook(layout, {"strings_to_formulas": False, "strings_to_urls": False})
        workbook.set_properties({"title": title, "company": title})
        header_format = workbook.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
        sheets: dict[str, tuple[str, int, int]] = {}  # member -> (relation, rows in it, columns)
        for relation in relations(conn):
            names = columns(conn, relation)
            headers = [column_label(relation, c) for c in names]
            widths = column_widths(headers, list(readable_rows(conn, relation, WIDTH_SAMPLE_ROWS)))
            (total,) = conn.execute(f'SELECT COUNT(*) FROM "{relation}"').fetchone()
            per_sheet = XLSX_MAX_ROWS - 1  # the header takes a row
            for part in range(1, max(1, math.ceil(total / per_sheet)) + 1):
                _new_sheet(workbook, header_format, sheet_name(relation, part), headers, widths)
                in_part = min(per_sheet, total - (part - 1) * per_sheet)
                sheets[f"xl/worksheets/sheet{len(sheets) + 1}.xml"] = (relation, max(in_part, 0), len(names))
        workbook.close()
        _fill_sheets(conn, layout, dest, sheets)
    finally:
        conn.close()
    return dest


def _new_sheet(workbook, header_format, name: str, headers: list[str], widths: list[int]):
    sheet = workbook.add_worksheet(name)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.write_row(0, 0, headers, header_format)
    sheet.freeze_panes(1, 0)
    return sheet


def _fill_sheets(conn: sqlite3.Connection, layout: io.BytesIO, dest: Path, sheets: dict) -> None:
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
                for chunk in _row_chunks(letters, cursor, count):
                    member.write(chunk)
                member.write(("</sheetData>" + tail).encode("utf-8"))


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


def _row_chunks(letters: list[str], cursor: Iterator[tuple], count: int, size: int = 1000) -> Iterator[bytes]:
    """`count` rows from `cursor` as <row> elements numbered from 2, `size` rows at a time."""
    chunk: list[str] = []
    for number in range(2, count + 2):
        row = next(cursor)
        cells = "".join(
            [
                xlsx_cell(f"{letter}{number}", value)
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


def xlsx_cell(ref: str, value: Any) -> str:
    """One cell as XlsxWriter writes it in constant-memory mode: a number, or text inline (a
    formula never: text starting with = stays text). Empty text makes no cell."""
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value:.16G}</v></c>'
    text = value if isinstance(value, str) else str(value)
    if not text:
        return ""
    text = text[:XLSX_MAX_TEXT]
    if NEEDS_ESCAPE.search(text):
        text = LOOKS_ESCAPED.sub(r"_x005F\1", text)  # Excel would read "_x0041_" as "A"
        text = CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
