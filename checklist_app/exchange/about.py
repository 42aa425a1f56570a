"""What every download says about itself: where and when it was taken (`download_info`) and what
each table, column and code means (`data_dictionary`). The SQLite download carries both as
tables; the XLSX and the CSV zip show them as their 说明 sheet. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from importlib import metadata

from schemas import PLEDGE_VERSION, SCHEMA_VERSION, Condition, clock, readable
from schemas.deployment import REGION_TITLES
from schemas.dictionary import (
    COUNTY_COLUMNS,
    column_description,
    column_label,
    download_tables,
    public_columns,
    table_name,
)
from schemas.ledger import LEDGER_VERSION

DISTRIBUTION = "county-reopening-portal"
# The two tables made in each download, with their SQLite types.
GENERATED_SQL = {
    "download_info": "CREATE TABLE download_info (item TEXT PRIMARY KEY, title TEXT NOT NULL, value TEXT)",
    "data_dictionary": (
        "CREATE TABLE data_dictionary (table_name TEXT NOT NULL, table_title TEXT NOT NULL, "
        "column_name TEXT NOT NULL, column_title TEXT NOT NULL, type TEXT NOT NULL, "
        "description TEXT NOT NULL, codes TEXT NOT NULL, PRIMARY KEY (table_name, column_name))"
    ),
}
READING = (
    "Excel 工作簿（.xlsx）中代码为文本、日期和时间为日期，可直接排序和筛选。"
    "CSV 文件用 Excel 直接打开时，只有数字的代码（如 0012）会丢掉开头的 0："
    "请改用 Excel 工作簿，或用“数据—从文本/CSV”导入并把代码列设为文本。"
    "SQLite 数据库保存代码本身，其含义见 data_dictionary 表。"
)
KIND_WORDS = {"moment": "表格中为日期时间（北京时间）", "date": "表格中为日期"}


def program_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


@dataclass(frozen=True)
class Origin:
    """Where and when a download was taken, and under which versions of the forms: what a
    city or province that takes in the county's download checks before it reads a row."""

    region_code: str  # the six-digit administrative division code (220323)
    region_name: str
    bureau_name: str
    taken_at: dt.datetime  # Beijing time
    level: str = "county"  # a city's or a province's download holds its counties' rows

    @classmethod
    def now(cls, deployment) -> Origin:
        """Taken now, by the deployment `county.toml` describes."""
        return cls(
            deployment.region_code, deployment.region_name, deployment.bureau_name, clock.now(), deployment.level
        )

    def rows(self) -> list[tuple[str, str, str]]:
        return [
            ("level", "行政级别", self.level),
            ("region_name", REGION_TITLES[self.level], self.region_name),
            ("region_code", "行政区划代码", self.region_code),
            ("bureau_name", "教育局" if self.level == "county" else "教育行政部门", self.bureau_name),
            ("taken_at", "数据时间（北京时间）", self.taken_at.isoformat(timespec="seconds")),
            ("program_version", "程序版本", program_version()),
            ("schema_version", "自查申报表单版本", str(SCHEMA_VERSION)),
            ("pledge_version", "承诺书版本", str(PLEDGE_VERSION)),
            ("ledger_version", "跟踪台账版本", str(LEDGER_VERSION)),
            ("reading", "阅读提示", READING),
        ]


def for_people(row: tuple) -> tuple:
    """A `data_dictionary` row as the 说明 sheet and 说明.csv show it: the gaps' condition codes
    are for scripts reading the SQLite file (people's files show the conditions' words)."""
    return row[:-1] + ("",) if row[2] == "gaps" else row  # codes: the last column


def codes_in_words(table: str, column: str) -> str:
    """teacher：教师；leader：学校领导 — every code of the column with its word. For the gaps'
    JSON: the codes of the conditions it records (scripts read them; people's files show words)."""
    if column == "gaps":
        return "；".join(f"{code}：{Condition.words(code)}" for code in Condition.LABELS)
    return "；".join(f"{code}：{word}" for code, word in readable.codes(table, column).items())


def dictionary_rows(conn: sqlite3.Connection) -> list[tuple]:
    """One row per public column of every public table the file at `conn` holds, in the
    allowlist's order, typed as the file types it; an upper level's tables with their county
    first."""
    rows = []
    for table in download_tables():
        listed = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        for column in [r for r in listed if r[1] in public_columns(table) or r[1] in COUNTY_COLUMNS]:
            name = column[1]
            note = KIND_WORDS.get(readable.kind(table, name), "")
            description = column_description(table, name) + (f"；{note}" if note else "")
            rows.append(
                (table, table_name(table), name, column_label(table, name), column[2] or "TEXT", description)
                + (codes_in_words(table, name),)
            )
    return rows


def add_to_snapshot(path, origin: Origin) -> None:
    """Write `download_info` and `data_dictionary` into the snapshot file at `path`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for sql in GENERATED_SQL.values():
            conn.execute(sql)
        conn.executemany("INSERT INTO download_info VALUES (?, ?, ?)", origin.rows())
        conn.executemany("INSERT INTO data_dictionary VALUES (?, ?, ?, ?, ?, ?, ?)", dictionary_rows(conn))
        conn.execute("COMMIT")
    finally:
        conn.close()
