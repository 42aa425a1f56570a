"""What leaves in a download is what the allowlist (`schemas.dictionary.PUBLIC_TABLES`) names:
every table and column on it leaves in every download and is on the data dictionary page; a
table, view or column added to the database by hand never leaves; no secret is on it."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zipfile

import openpyxl
import pytest

from checklist_app import storage
from checklist_app.site import pages
from schemas.dictionary import PUBLIC_TABLES, column_label, public_columns, table_name
from tests.bureau_support import declare, phone, sign, upload_roster

SQLITE, CSV_ZIP, XLSX = "/bureau/export/checklist.sqlite", "/bureau/export/csv.zip", "/bureau/export/checklist.xlsx"

# What must never leave: whole tables, and the columns of public tables that hold secrets.
PRIVATE_TABLES = {
    "admins",
    "declaration_drafts",
    "login_failures",
    "login_throttles",
    "inspection_teams",  # who looks after which school; each inspection names its team
    "team_schools",
    "inspection_drafts",
    "pledge_browsers",
    "sessions",
    "_sqlite_migrations",
    *storage.DERIVED_TABLES,
    *storage.ROLLUP_TABLES,  # the upper level's roll-up: leaves in its own download (storage/region.py)
    storage.region.TALLIES,  # worked out from the roll-up for the upper level's console
}
SECRET_COLUMNS = {"access_code_hash", "pledge_token", "password_hash"}

HAND_TABLE = "teacher_id_cards"
HAND_VIEW = "school_access_hashes"
HAND_COLUMN = "home_address"
HAND_VALUE = "HAND-ADDED-7f3a9c"


@pytest.fixture
def county(db, make_school):
    make_school("S1", "城关小学")
    declare(db, "S1")
    upload_roster(db, "S1", [("张一", phone(1))])
    sign(db, "S1", "张一", phone(1))


def downloads(client) -> dict[str, bytes]:
    return {url: client.get(url).data for url in (SQLITE, CSV_ZIP, XLSX)}


def sqlite_relations(data: bytes, tmp_path) -> dict[str, set[str]]:
    """Each table and view of a SQLite download, with its columns."""
    path = tmp_path / "download.sqlite"
    path.write_bytes(data)
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {name: {r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')} for name in names}
    finally:
        conn.close()


def csv_relations(data: bytes) -> dict[str, set[str]]:
    """Each CSV of a CSV download (说明 aside), with its headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.removesuffix(".csv"): set(next(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))))
            for name in archive.namelist()
            if name != "说明.csv"
        }


def xlsx_sheets(data: bytes, tmp_path) -> dict[str, set[str]]:
    """Each sheet of an XLSX download, with its headers."""
    path = tmp_path / "download.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path, read_only=True)
    return {sheet.title: {c for c in next(sheet.iter_rows(max_row=1, values_only=True))} for sheet in book.worksheets}


def every_byte(data: bytes) -> bytes:
    """A download's bytes and, for a zip (CSV, XLSX), every member unpacked."""
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return data + b"".join(archive.read(name) for name in archive.namelist())


def dictionary_page() -> dict[str, set[str]]:
    """The data dictionary page's tables, each with the columns it lists."""
    listed: dict[str, set[str]] = {}
    table = None
    for line in pages.data_dictionary_markdown().splitlines():
        if heading := re.match(r"## (\w+) ", line):
            table = heading.group(1)
            listed[table] = set()
        elif column := re.match(r"\| `(\w+)` \|", line):
            listed[table].add(column.group(1))
    return listed


def expected() -> dict[str, set[str]]:
    return {table: set(public_columns(table)) for table in PUBLIC_TABLES}


def expected_for_people() -> dict[str, set[str]]:
    """The CSV files and XLSX sheets: Chinese headers; the two tables that describe the download
    are its 说明 sheet, not tables of their own."""
    return {
        table: {column_label(table, c) for c in columns}
        for table, columns in expected().items()
        if not PUBLIC_TABLES[table].generated
    }


# --- (a) nothing added by hand leaves ----------------------------------------------------------


def add_by_hand(db) -> None:
    """What a person with a SQLite shell might add to the live database: a table, a view over a
    secret, and a column (indexed) on a public table, each holding a marked value."""
    with storage.transaction(db):
        db.execute(f"CREATE TABLE {HAND_TABLE} (school_code TEXT, id_number TEXT)")
        db.execute(f"INSERT INTO {HAND_TABLE} VALUES ('S1', ?)", [HAND_VALUE])
        db.execute(f"CREATE VIEW {HAND_VIEW} AS SELECT code, access_code_hash FROM schools")
        db.execute(f"ALTER TABLE schools ADD COLUMN {HAND_COLUMN} TEXT")
        db.execute(f"UPDATE schools SET {HAND_COLUMN} = ?", [HAND_VALUE])
        db.execute(f"CREATE INDEX schools_{HAND_COLUMN} ON schools ({HAND_COLUMN})")


def test_a_table_view_or_column_added_by_hand_never_leaves_in_any_download(admin, db, county, tmp_path):
    add_by_hand(db)
    taken = downloads(admin)
    assert sqlite_relations(taken[SQLITE], tmp_path) == expected()
    assert csv_relations(taken[CSV_ZIP]) == expected_for_people()
    sheets = xlsx_sheets(taken[XLSX], tmp_path)
    assert set(sheets) == {"说明"} | {table_name(t) for t in expected_for_people()}
    assert HAND_COLUMN not in sheets[table_name("schools")]
    for url, data in taken.items():
        for mark in (HAND_VALUE, HAND_TABLE, HAND_VIEW, HAND_COLUMN):
            assert mark.encode() not in every_byte(data), (url, mark)


def test_a_column_added_by_hand_leaves_the_rest_of_its_table_intact(admin, db, county, tmp_path):
    add_by_hand(db)
    path = tmp_path / "download.sqlite"
    path.write_bytes(admin.get(SQLITE).data)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT code, name FROM schools").fetchall() == [("S1", "城关小学")]
        indexed = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()
    assert f"schools_{HAND_COLUMN}" not in indexed and "idx_schools_pledge_token" not in indexed
    assert {i.name for i in db["declarations"].indexes} <= indexed


# --- (b) everything on the allowlist exists and leaves -----------------------------------------


def test_every_table_and_column_on_the_allowlist_exists_in_a_migrated_database(db):
    views = set(db.view_names())
    for table, public in PUBLIC_TABLES.items():
        if public.generated:  # made in each download: the download tests hold it
            continue
        assert (table in views) if public.view else (table in db.table_names()), table
        assert public.public_columns <= set(db[table].columns_dict), table


def test_every_table_and_column_on_the_allowlist_is_in_every_download(admin, county, tmp_path):
    taken = downloads(admin)
    assert sqlite_relations(taken[SQLITE], tmp_path) == expected()
    assert csv_relations(taken[CSV_ZIP]) == expected_for_people()
    sheets = xlsx_sheets(taken[XLSX], tmp_path)
    assert sheets.pop("说明")
    assert sheets == {table_name(table): headers for table, headers in expected_for_people().items()}


def test_the_data_dictionary_page_lists_every_table_and_column_on_the_allowlist_and_no_other():
    assert dictionary_page() == expected()


def test_the_downloads_and_the_dictionary_keep_the_allowlists_order(admin, county, tmp_path):
    with zipfile.ZipFile(io.BytesIO(admin.get(CSV_ZIP).data)) as archive:
        assert [name.removesuffix(".csv") for name in archive.namelist()] == ["说明", *expected_for_people()]
    path = tmp_path / "book.xlsx"
    path.write_bytes(admin.get(XLSX).data)
    sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert sheets == ["说明", *(table_name(t) for t in expected_for_people())]
    assert list(dictionary_page()) == list(PUBLIC_TABLES)


# --- (c) no secret is on it -------------------------------------------------------------------


def test_no_secret_table_is_on_the_allowlist():
    assert not PRIVATE_TABLES & set(PUBLIC_TABLES)


def test_no_secret_column_is_on_the_allowlist():
    for table in PUBLIC_TABLES:
        assert not SECRET_COLUMNS & public_columns(table), table


def test_every_table_and_column_of_a_migrated_database_is_public_or_named_private_here(db):
    """A new table or column stays inside until someone decides: put it on the allowlist, or
    name it here as private."""
    undecided = [
        f"{table}.{column}"
        for table in [*db.table_names(), *db.view_names()]
        if table not in PRIVATE_TABLES
        for column in db[table].columns_dict
        if column not in public_columns(table) and column not in SECRET_COLUMNS
    ]
    assert undecided == []
