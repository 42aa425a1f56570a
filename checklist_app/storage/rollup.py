"""The level above the county (a city, a province): its counties' downloads taken in, each
county's rows kept under its region code (issue 17).

`rollup_counties` holds one row per county: whose download it is, when it was taken, under which
versions, the file's SHA-256 and its rows per table. Beside it, one `rollup_<table>` for each
table of the allowlist that a county keeps (not a view, not made in each download), with
`region_code` first and then the table's public columns, unique on (region_code, the table's own
key). Those tables are made from the allowlist and this database's own county tables
(`follow_allowlist`, run by every `migrate`), so a new public table or column follows without an
edit here. They are the upper level's own for now: not on the allowlist, they never leave.

Taking a file in has two steps. `check_download` reads the file alone, on a read-only connection,
and refuses it (`RollupRefused`: in Chinese, naming the file) unless it is a sound export of one
county within this city or province, written under versions this program reads; it writes
nothing. `add_download` then puts the file's rows in place of that county's in one
`BEGIN IMMEDIATE` transaction, or keeps what is held when the file is that same download or an
older one. A file from an older program may lack a table (no rows) or a column (NULL).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sqlite_utils

from schemas import PLEDGE_VERSION, SCHEMA_VERSION, clock
from schemas.deployment import Deployment, covers, is_county_code
from schemas.dictionary import PUBLIC_TABLES, public_columns
from schemas.ledger import LEDGER_VERSION

from .audit import audit
from .connection import BUSY_TIMEOUT_MS, SQLITE_HEADER, db_path, query_one, query_rows, transaction

COUNTIES = "rollup_counties"
# The tables a county keeps and sends: every table of the allowlist but views and the two tables
# made in each download (download_info, data_dictionary).
KEPT_TABLES = tuple(t for t, public in PUBLIC_TABLES.items() if not public.view and not public.generated)
ROLLUP_TABLES = (COUNTIES, *(f"rollup_{t}" for t in KEPT_TABLES))
# The versions a download names, their words, and the newest this program reads.
VERSIONS = {
    "schema_version": ("自查申报表单版本", SCHEMA_VERSION),
    "pledge_version": ("承诺书版本", PLEDGE_VERSION),
    "ledger_version": ("跟踪台账版本", LEDGER_VERSION),
}
REQUIRED_INFO = ("region_code", "region_name", "bureau_name", "taken_at", *VERSIONS)
ATTACHED = "county"  # the name a county's file is attached under while its rows are copied

# Why a file is refused; each is shown after the file's name.
REFUSALS = {
    "missing": "找不到这个文件",
    "not_sqlite": "不是 SQLite 数据库文件；请汇入县级实例导出的数据文件（.sqlite）",
    "damaged": "文件已损坏，未通过完整性检查（{problem}）",
    "not_export": "不是县级实例导出的数据文件（{problem}）",
    "newer": "文件来自更新版本的程序（{problem}）；请先升级本程序再汇入",
    "not_county": "行政区划代码 {code} 不是县级代码，只能汇入县级实例导出的数据",
    "outside": "{name}（{code}）不在{upper}（{upper_code}）范围内",
    "older": "比已汇入的旧：已汇入{name}数据时间为 {held} 的下载，这个文件的数据时间为 {taken}，保留已汇入的",
    "changed": "文件在检查之后有改动，请重新汇入",
    "failed": "汇入时出错（{problem}），已汇入的数据没有改动",
}


class RollupRefused(Exception):
    """A file `rollup add` does not take in. `reason` is a key of REFUSALS; the message names
    the file (as it was given) and says why in Chinese."""

    def __init__(self, path: str | Path, reason: str, **detail):
        self.path, self.reason, self.detail = path, reason, detail
        super().__init__(f"{path}：未汇入，{REFUSALS[reason].format(**detail)}")


@dataclass(frozen=True)
class CountyDownload:
    """A county's download that `check_download` found sound: whose, when, under which versions,
    and per table the columns and rows it holds."""

    path: Path
    region_code: str
    region_name: str
    bureau_name: str
    taken_at: str
    program_version: str | None
    versions: dict[str, int]
    sha256: str
    columns: dict[str, tuple[str, ...]]  # each county table the file holds: its columns
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --- the tables ---------------------------------------------------------------------------------


def create_counties_table(db: sqlite_utils.Database) -> None:
    db.execute(
        f"""CREATE TABLE IF NOT EXISTS {COUNTIES} (
            region_code TEXT PRIMARY KEY,
            region_name TEXT NOT NULL,
            bureau_name TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            program_version TEXT,
            schema_version INTEGER NOT NULL,
            pledge_version INTEGER NOT NULL,
            ledger_version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            added_at TEXT NOT NULL,
            rows TEXT NOT NULL)"""
    )


def follow_allowlist(db: sqlite_utils.Database) -> None:
    """A `rollup_<table>` for every county table, with every public column this database's own
    table has (its type too): made when missing, the columns it lacks added."""
    for table in KEPT_TABLES:
        public = public_columns(table)
        own = [(r[1], r[2], r[5]) for r in db.execute(f'PRAGMA main.table_info("{table}")') if r[1] in public]
        key = [name for name, _kind, pk in sorted(own, key=lambda c: c[2]) if pk]
        if not key:
            raise RuntimeError(f"{table}: its primary key is not among its public columns")
        rollup = f"rollup_{table}"
        held = {r[1] for r in db.execute(f'PRAGMA main.table_info("{rollup}")')}
        if not held:
            columns = "".join(f', "{name}" {kind}' for name, kind, _pk in own)
            keys = ", ".join(f'"{name}"' for name in key)
            db.execute(f'CREATE TABLE "{rollup}" (region_code TEXT NOT NULL{columns}, UNIQUE (region_code, {keys}))')
        for name, kind, _pk in own:
            if held and name not in held:
                db.execute(f'ALTER TABLE "{rollup}" ADD COLUMN "{name}" {kind}')


def rollup_columns(db) -> dict[str, set[str]]:
    """Each county table and the columns its rollup table holds for it."""
    return {
        table: {r[1] for r in db.execute(f'PRAGMA main.table_info("rollup_{table}")')} - {"region_code"}
        for table in KEPT_TABLES
    }


def rollup_counties(db) -> list[dict]:
    """Every county held, by region code, its rows per table decoded."""
    rows = query_rows(db, f"SELECT * FROM {COUNTIES} ORDER BY region_code")
    return [{**row, "rows": json.loads(row["rows"])} for row in rows]


# --- checking a file ----------------------------------------------------------------------------


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_download(db, path: str | Path, upper: Deployment) -> CountyDownload:
    """The county download at `path`, read on a read-only connection and nothing written, or
    RollupRefused: not a file, not SQLite, damaged (a size that is not its pages', which finds a
    file cut short by less than a page; integrity_check, which unlike quick_check also finds an
    index that no longer matches its table), not an export (no `download_info`
    naming its county, time and versions), newer than this program (a version, a table or a
    column it does not know), not a county's, or a county outside `upper`."""
    path = Path(path)
    if not path.is_file():
        raise RollupRefused(path, "missing")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise RollupRefused(path, "not_sqlite")
    sha256 = _sha256(path)
    conn = sqlite3.connect(_read_only(path), uri=True)
    conn.text_factory = lambda value: value.decode("utf-8", "replace")  # a damaged file's text too
    try:
        page_size, pages = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_size", "page_count"))
        if path.stat().st_size != page_size * pages:  # cut short (its header counts more pages), or padded
            raise RollupRefused(path, "damaged", problem=f"文件大小不是其 {pages} 页的大小，可能没有下载完整")
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise RollupRefused(path, "damaged", problem=problems[0].strip()[:120])
        return _read_download(conn, path, sha256, upper, rollup_columns(db))
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:  # "database disk image is malformed" …
        raise RollupRefused(path, "damaged", problem=str(error)[:120]) from None
    finally:
        conn.close()


def _read_download(conn, path: Path, sha256: str, upper: Deployment, known: dict) -> CountyDownload:
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"))
    if kinds.get("download_info") != "table":
        raise RollupRefused(path, "not_export", problem="没有 download_info 表")
    info = dict(conn.execute("SELECT item, value FROM download_info"))
    missing = [item for item in REQUIRED_INFO if not info.get(item)]
    if missing:
        raise RollupRefused(path, "not_export", problem="download_info 中没有 " + "、".join(missing))
    versions = {}
    for item, (title, _ours) in VERSIONS.items():
        if not info[item].isdigit():
            raise RollupRefused(path, "not_export", problem=f"{title}不是整数")
        versions[item] = int(info[item])
    try:
        clock.parse(info["taken_at"])
    except ValueError:
        raise RollupRefused(path, "not_export", problem="数据时间不是有效的时间") from None
    newer = [
        f"{title} {versions[item]}，本程序为 {ours}"
        for item, (title, ours) in VERSIONS.items()
        if versions[item] > ours
    ]
    if newer:
        raise RollupRefused(path, "newer", problem="；".join(newer))
    code = info["region_code"]
    if not is_county_code(code):
        raise RollupRefused(path, "not_county", code=code)
    if not covers(upper, code):
        raise RollupRefused(
            path, "outside", name=info["region_name"], code=code, upper=upper.region_name, upper_code=upper.region_code
        )
    unknown_tables = sorted(name for name in kinds if name not in PUBLIC_TABLES and not name.startswith("sqlite_"))
    if unknown_tables:
        raise RollupRefused(path, "newer", problem="含本程序不认识的表 " + "、".join(unknown_tables))
    columns = {
        table: tuple(r[1] for r in conn.execute(f'PRAGMA table_info("{table}")'))
        for table in KEPT_TABLES
        if kinds.get(table) == "table"
    }
    unknown = [f"{table}.{c}" for table, names in columns.items() for c in names if c not in known[table]]
    if unknown:
        raise RollupRefused(path, "newer", problem="含本程序不认识的列 " + "、".join(unknown))
    return CountyDownload(
        path=path,
        region_code=code,
        region_name=info["region_name"],
        bureau_name=info["bureau_name"],
        taken_at=info["taken_at"],
        program_version=info.get("program_version"),
        versions=versions,
        sha256=sha256,
        columns=columns,
        rows={table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in columns},
    )


# --- taking it in -------------------------------------------------------------------------------


def _own_connection(db) -> sqlite_utils.Database:
    """The same database on a connection of its own, opened with URI file names on, so that the
    county's file is attached read-only (`?mode=ro`) whatever SQLite's build, and the caller's
    connection never has a county's file attached."""
    conn = sqlite3.connect(Path(db_path(db)).as_uri(), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    return sqlite_utils.Database(conn)


def add_download(
    db, download: CountyDownload, actor: str = "cli", progress: Callable[[int], None] | None = None
) -> dict:
    """Put the checked `download` in place of its county's rows, all or nothing, and audit it.

    Returns the outcome: `added` (a county not held before), `replaced` (an older download
    held), or `same` (that very download held: nothing changes), with `held`, the time of the
    download held before, and `rows`, the rows taken in. RollupRefused for a download older than
    the one held (which stays), a file changed since it was checked, or any error on the way (the
    transaction rolls back: nothing half-added). `progress` is told the rows of each table as it
    is copied. SQLite attaches a file only outside a transaction: attached before BEGIN,
    detached after the COMMIT or ROLLBACK.
    """
    writer = _own_connection(db)
    try:
        try:
            writer.execute(f"ATTACH DATABASE ? AS {ATTACHED}", [_read_only(download.path)])
        except sqlite3.DatabaseError as error:
            raise RollupRefused(download.path, "failed", problem=str(error)) from None
        try:
            with transaction(writer):
                return _replace(writer, download, actor, progress)
        except sqlite3.DatabaseError as error:
            raise RollupRefused(download.path, "failed", problem=str(error)) from None
        finally:
            writer.execute(f"DETACH DATABASE {ATTACHED}")
    finally:
        writer.close()


def _replace(db, download: CountyDownload, actor: str, progress) -> dict:
    conn, code, path = db.conn, download.region_code, download.path
    info = dict(conn.execute(f"SELECT item, value FROM {ATTACHED}.download_info"))
    if (info.get("region_code"), info.get("taken_at")) != (code, download.taken_at):
        raise RollupRefused(path, "changed")
    held = query_one(db, f"SELECT region_name, taken_at FROM {COUNTIES} WHERE region_code = ?", [code])
    if held is not None:
        before, taken = clock.parse(held["taken_at"]), clock.parse(download.taken_at)
        if taken == before:
            return {"outcome": "same", "held": held["taken_at"], "rows": 0}
        if taken < before:
            raise RollupRefused(
                path,
                "older",
                name=held["region_name"],
                held=clock.show(held["taken_at"], seconds=True),
                taken=clock.show(download.taken_at, seconds=True),
            )
    for table in KEPT_TABLES:
        conn.execute(f'DELETE FROM "rollup_{table}" WHERE region_code = ?', [code])
    for table, columns in download.columns.items():
        quoted = ", ".join(f'"{c}"' for c in columns)
        copied = conn.execute(
            f'INSERT INTO main."rollup_{table}" (region_code, {quoted}) SELECT ?, {quoted} FROM {ATTACHED}."{table}"',
            [code],
        ).rowcount
        if copied != download.rows[table]:
            raise RollupRefused(path, "changed")
        if progress is not None:
            progress(copied)
    conn.execute(
        f"INSERT OR REPLACE INTO {COUNTIES} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            code,
            download.region_name,
            download.bureau_name,
            download.taken_at,
            download.program_version,
            *(download.versions[item] for item in VERSIONS),
            download.sha256,
            clock.timestamp(),
            json.dumps(download.rows),
        ],
    )
    replaced = held["taken_at"] if held else None
    detail = {"file": path.name, "region_name": download.region_name, "taken_at": download.taken_at}
    audit(db, actor, "rollup.add", code, {**detail, "replaced": replaced, "rows": download.rows})
    return {"outcome": "replaced" if held else "added", "held": replaced, "rows": download.total_rows}
