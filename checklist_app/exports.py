"""The bureau's downloads in the formats bureaus open: CSV (in a zip) and Excel.

Both are made from a snapshot file (`storage.snapshot`), never from the live tables, so a long
export holds no transaction on the live database and holds exactly what the snapshot holds: no
secrets, no drafts. Rows are streamed from SQLite to the file one at a time, so memory stays flat
whatever the size (XlsxWriter in constant-memory mode). No Flask here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Iterator

import xlsxwriter

from schemas.dictionary import TABLES, column_label, table_name


ORDER = tuple(TABLES)  # tables and views in the order a person expects; others follow by name

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
    """The snapshot's tables and views, known ones first in ORDER."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def columns(conn: sqlite3.Connection, relation: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{relation}")')]


def rows(conn: sqlite3.Connection, relation: str, limit: int | None = None) -> Iterator[tuple]:
    order = " ORDER BY rowid" if _is_table(conn, relation) else ""
    sql = f'SELECT * FROM "{relation}"{order}' + (f" LIMIT {int(limit)}" if limit else "")
    yield from conn.execute(sql)


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
                    for row in rows(conn, relation):
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
    """One sheet per table and view, Chinese headers, frozen header row, sensible widths."""
    dest = Path(dest)
    conn = open_snapshot(snapshot_path)
    workbook = xlsxwriter.Workbook(
        str(dest),
        {
            "constant_memory": True,
            "strings_to_formulas": False,  # a name like "=1+1" stays text
            "strings_to_urls": False,
            "strings_to_numbers": False,  # school codes and phones stay text
        },
    )
    try:
        workbook.set_properties({"title": title, "company": title})
        header_format = workbook.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
        for relation in relations(conn):
            _write_relation(workbook, header_format, conn, relation)
    finally:
        workbook.close()
        conn.close()
    return dest


def _write_relation(workbook, header_format, conn: sqlite3.Connection, relation: str) -> None:
    names = columns(conn, relation)
    headers = [column_label(relation, c) for c in names]
    widths = column_widths(headers, list(rows(conn, relation, WIDTH_SAMPLE_ROWS)))
    part, sheet, row_index = 0, None, XLSX_MAX_ROWS
    for row in rows(conn, relation):
        if row_index >= XLSX_MAX_ROWS:  # a sheet is full: go on in the next one
            part += 1
            sheet = _new_sheet(workbook, header_format, sheet_name(relation, part), headers, widths)
            row_index = 1
        sheet.write_row(row_index, 0, row)
        row_index += 1
    if sheet is None:  # an empty table still gets its sheet and headers
        _new_sheet(workbook, header_format, sheet_name(relation), headers, widths)


def _new_sheet(workbook, header_format, name: str, headers: list[str], widths: list[int]):
    sheet = workbook.add_worksheet(name)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.write_row(0, 0, headers, header_format)
    sheet.freeze_panes(1, 0)
    return sheet
