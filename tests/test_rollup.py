"""Above the county (issue 17): a city or a province takes in its counties' downloads with
`checklist rollup add`. Every file is checked before anything is written; a refused file is named
and leaves the roll-up as it was; a county's newer download replaces its rows exactly; every row
of every county is there once."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from checklist_app import deployment, storage
from checklist_app.cli import main
from checklist_app.demo import load_demo
from checklist_app.exchange import exports
from checklist_app.exchange.about import Origin
from checklist_app.storage import archive, rollup
from schemas import SCHEMA_VERSION, CountySettings, School, clock, examples
from schemas.deployment import Deployment
from schemas.dictionary import public_columns
from schemas.ledger import LedgerReport
from tests.bureau_support import declare, inspect, not_ready_changes, phone, sign, upload_roster

T1 = dt.datetime(2026, 2, 26, 9, 0, 0, tzinfo=clock.TZ)
T2 = T1 + dt.timedelta(days=1)
PROVINCE = Deployment(level="province", region_code="220000", region_name="吉林省", bureau_name="吉林省教育厅")
CITY = Deployment(level="city", region_code="220300", region_name="四平市", bureau_name="四平市教育局")


# --- counties and their downloads, made by the program itself ------------------------------------


def county_db(tmp_path: Path, code: str):
    db = storage.open_db(tmp_path / "counties" / f"{code}.db")
    storage.migrate(db)
    return db


def small_county(db, schools: int = 3) -> None:
    """A few schools, each declared (the last not ready), with a roster, some signatures and the
    day's ledger report, under the county's settings; the first inspected."""
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    storage.upsert_schools(
        db, [School(code=f"S{n}", name=f"第{n}小学", kind="小学", township="城关镇") for n in range(schools)]
    )
    for n in range(schools):
        declare(db, f"S{n}", **(not_ready_changes() if n == schools - 1 else {}))
        people = [(f"教师{n}{k}", phone(n * 100 + k)) for k in range(4)]
        upload_roster(db, f"S{n}", people)
        for name, number in people[:3]:
            sign(db, f"S{n}", name, number)
        storage.record_ledger_report(db, f"S{n}", LedgerReport.model_validate(examples.ledger_answers()), dt.time(14))
    storage.assign_schools(db, "第一检查组", townships=["城关镇"], actor="test")
    inspect(db, "S0", "第一检查组", closed_management="confirmed")


def download(db, tmp_path: Path, code: str, name: str, taken_at: dt.datetime = T1) -> Path:
    """The county's SQLite download, made as the bureau's download is made."""
    dest = tmp_path / "downloads" / f"{code}-{taken_at:%Y%m%d%H%M%S}.sqlite"
    dest.parent.mkdir(parents=True, exist_ok=True)
    exports.export_to(db, dest, "sqlite", Origin(code, name, f"{name}教育局", taken_at))
    return dest


@pytest.fixture
def counties(tmp_path):
    """Three counties of 吉林省: 伊通 (the demo county), 梨树 and 双辽 (small ones), each with its
    download taken at T1: {code: (db, download)}."""
    made = {}
    for code, name, fill in (
        ("220323", "伊通满族自治县", lambda db: load_demo(db, seed=17)),
        ("220322", "梨树县", small_county),
        ("220382", "双辽市", lambda db: small_county(db, schools=5)),
    ):
        db = county_db(tmp_path, code)
        fill(db)
        made[code] = (db, download(db, tmp_path, code, name))
    yield made
    for db, _path in made.values():
        db.close()


# --- the upper level ------------------------------------------------------------------------------


def config_file(tmp_path: Path, upper: Deployment) -> Path:
    path = tmp_path / f"{upper.level}.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in upper.model_dump().items()), encoding="utf-8")
    return path


@pytest.fixture
def upper(tmp_path):
    """`checklist` at a province instance (its county.toml named by CHECKLIST_CONFIG); `upper.level_is`
    makes it a city or a county instance instead."""
    database = tmp_path / "upper" / "checklist.db"
    env = {"CHECKLIST_DB": str(database), deployment.CONFIG_ENV: str(config_file(tmp_path, PROVINCE))}

    def invoke(*args):
        return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)

    def level_is(other: Deployment) -> None:
        env[deployment.CONFIG_ENV] = str(config_file(tmp_path, other))

    invoke.database, invoke.level_is = database, level_is
    return invoke


def held(database: Path) -> dict[str, list[tuple]]:
    """Every row of every rollup table, in a fixed order: what "unchanged" compares."""
    conn = sqlite3.connect(database)
    try:
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr) for t in storage.ROLLUP_TABLES}
    finally:
        conn.close()


def file_rows(path: Path, table: str) -> tuple[list[str], list[tuple]]:
    conn = exports.open_snapshot(path)
    try:
        names = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        columns = sorted(names)
        return columns, sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr) if names else []
    finally:
        conn.close()


def held_rows(database: Path, table: str, code: str, columns: list[str]) -> list[tuple]:
    conn = sqlite3.connect(database)
    try:
        sql = f"SELECT {', '.join(columns)} FROM rollup_{table} WHERE region_code = ?"
        return sorted(conn.execute(sql, [code]), key=repr)
    finally:
        conn.close()


def assert_holds_exactly(database: Path, code: str, path: Path) -> None:
    """The county's rows in the roll-up are the file's rows, table by table, value by value."""
    for table in rollup.KEPT_TABLES:
        columns, rows = file_rows(path, table)
        assert rows, (code, table)  # each county here has rows in every table
        assert held_rows(database, table, code, columns) == rows, (code, table)


# --- taking counties in -----------------------------------------------------------------------------


def test_every_row_of_every_county_is_held_once_and_the_sums_match_the_inputs(upper, counties):
    files = [str(path) for _db, path in counties.values()]
    result = upper("rollup", "add", *files)
    assert result.exit_code == 0, result.output
    for file in files:
        assert f"{file}：已汇入" in result.output
    assert "共 3 个文件：新汇入 3 个，替换 0 个，已汇入过 0 个，未汇入 0 个。" in result.output
    for code, (_db, path) in counties.items():
        assert_holds_exactly(upper.database, code, path)
    conn = sqlite3.connect(upper.database)
    try:
        for table in rollup.KEPT_TABLES:
            inputs = sum(len(file_rows(path, table)[1]) for _db, path in counties.values())
            (rows,) = conn.execute(f"SELECT COUNT(*) FROM rollup_{table}").fetchone()
            assert rows == inputs, table
        held_counties = {r[0]: r[1] for r in conn.execute("SELECT region_code, region_name FROM rollup_counties")}
    finally:
        conn.close()
    assert held_counties == {"220323": "伊通满族自治县", "220322": "梨树县", "220382": "双辽市"}


def test_the_same_county_added_twice_keeps_one_copy(upper, counties, tmp_path):
    _db, path = counties["220322"]
    assert upper("rollup", "add", str(path)).exit_code == 0
    before = held(upper.database)
    copy = tmp_path / "梨树县-再次发送.sqlite"
    shutil.copy(path, copy)
    result = upper("rollup", "add", str(path), str(copy))
    assert result.exit_code == 0, result.output
    assert (
        f"{copy}：梨树县（220322）数据时间为 2026-02-26 09:00:00 的下载已汇入过，保留已有的一份，未做改动。"
        in result.output
    )
    assert "已汇入过 2 个" in result.output
    assert held(upper.database) == before
    assert_holds_exactly(upper.database, "220322", path)


def test_a_newer_download_replaces_the_county_rows_exactly(upper, counties, tmp_path):
    db, first = counties["220322"]
    assert upper("rollup", "add", *(str(p) for _db, p in counties.values())).exit_code == 0
    others = {code: held_rows(upper.database, "pledges", code, ["id", "name"]) for code in ("220323", "220382")}
    # since T1 in 梨树县: one teacher left the roster, one more signed, S0 declared again
    upload_roster(db, "S0", [(f"教师0{k}", phone(k)) for k in range(3)])
    sign(db, "S1", "教师13", phone(103))
    declare(db, "S0", **not_ready_changes())
    second = download(db, tmp_path, "220322", "梨树县", T2)

    result = upper("rollup", "add", str(second))
    assert result.exit_code == 0, result.output
    assert "替换了数据时间为 2026-02-26 09:00:00 的" in result.output
    assert_holds_exactly(upper.database, "220322", second)
    roster = held_rows(upper.database, "roster", "220322", ["school_code", "name"])
    assert ("S0", "教师03") not in roster and len(roster) == 11
    assert ("S1", "教师13") in held_rows(upper.database, "pledges", "220322", ["school_code", "name"])
    versions = held_rows(upper.database, "declarations", "220322", ["school_code", "version"])
    assert ("S0", 2) in versions and len(versions) == 4
    assert {code: held_rows(upper.database, "pledges", code, ["id", "name"]) for code in others} == others
    assert len(file_rows(first, "roster")[1]) == 12  # the first download had the teacher who left


def test_taking_a_county_in_is_audited_with_its_download(upper, counties):
    _db, path = counties["220382"]
    upper("rollup", "add", str(path))
    conn = sqlite3.connect(upper.database)
    try:
        rows = conn.execute("SELECT actor, target, detail FROM audit_log WHERE action = 'rollup.add'").fetchall()
    finally:
        conn.close()
    assert len(rows) == 1 and rows[0][:2] == ("cli", "220382")
    assert path.name in rows[0][2] and T1.isoformat() in rows[0][2]


def test_rollup_list_shows_each_county_with_its_time_in_beijing_time_and_rows(upper, counties, tmp_path):
    assert upper("rollup", "list").output == "尚未汇入任何县（区）的数据。\n"
    _db, path = counties["220382"]
    utc = tmp_path / "utc.sqlite"
    shutil.copy(path, utc)
    edit(utc, "UPDATE download_info SET value = '2026-02-26T06:05:09+00:00' WHERE item = 'taken_at'")
    upper("rollup", "add", str(utc), str(counties["220322"][1]))
    listed = upper("rollup", "list").output.splitlines()
    assert listed[0] == "已汇入 2 个县（区）的数据（数据时间为北京时间）："
    assert listed[1].startswith(
        "  220322  梨树县  数据时间 2026-02-26 09:00:00  学校 3，申报记录 3，承诺书 9，教职工名册 12"
    )
    assert listed[2].startswith("  220382  双辽市  数据时间 2026-02-26 14:05:09  学校 5，")


# --- what is refused, and the roll-up unchanged after each -----------------------------------------


def edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def truncated(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def flipped(path: Path, start: int, count: int = 16, mask: int = 0xFF) -> None:
    data = bytearray(path.read_bytes())
    for i in range(start, start + count):
        data[i] ^= mask
    path.write_bytes(bytes(data))


def middle_page_header(path: Path) -> None:
    """The first bytes of the middle page (its b-tree page header) flipped."""
    size = path.stat().st_size
    flipped(path, (size // 4096 // 2) * 4096)


def index_entry_changed(path: Path) -> None:
    """One letter of a receipt reference changed in the index over `pledges.reference` only: every
    page is still well formed (quick_check passes it), but the index no longer matches its table."""
    conn = sqlite3.connect(path)
    try:
        (reference,) = conn.execute("SELECT reference FROM pledges LIMIT 1").fetchone()
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'idx_pledges_reference'").fetchone()
    finally:
        conn.close()
    data = path.read_bytes()
    where = data.index(reference.encode(), (root - 1) * 4096)
    assert where < root * 4096  # in the index's page, not the table's
    flipped(path, where, count=1, mask=0x01)
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def a_backup_of_the_live_database(path: Path) -> None:
    db = storage.open_db(path.parent / "live.db")
    storage.migrate(db)
    archive.backup(db, path)
    db.close()


def from_a_newer_program(item: str):
    return lambda path: edit(path, f"UPDATE download_info SET value = '{SCHEMA_VERSION + 1}' WHERE item = '{item}'")


REFUSED = {
    "cut_in_half": (lambda p: truncated(p, p.stat().st_size // 2), "文件已损坏"),
    "one_byte_short": (lambda p: truncated(p, p.stat().st_size - 1), "文件已损坏，未通过完整性检查（文件大小"),
    "flipped_page_header": (middle_page_header, "文件已损坏，未通过完整性检查"),
    "index_not_matching": (index_entry_changed, "文件已损坏，未通过完整性检查"),
    "text_file": (lambda p: p.write_text("学校代码,学校名称\n", encoding="utf-8"), "不是 SQLite 数据库文件"),
    "a_backup": (a_backup_of_the_live_database, "不是县级实例导出的数据文件（没有 download_info 表）"),
    "no_region_code": (
        lambda p: edit(p, "DELETE FROM download_info WHERE item = 'region_code'"),
        "不是县级实例导出的数据文件（download_info 中没有 region_code）",
    ),
    "newer_schema": (
        from_a_newer_program("schema_version"),
        f"文件来自更新版本的程序（自查申报表单版本 {SCHEMA_VERSION + 1}，本程序为 {SCHEMA_VERSION}）",
    ),
    "newer_pledge": (from_a_newer_program("pledge_version"), "文件来自更新版本的程序（承诺书版本"),
    "unknown_column": (
        lambda p: edit(p, "ALTER TABLE pledges ADD COLUMN vaccinated INTEGER"),
        "文件来自更新版本的程序（含本程序不认识的列 pledges.vaccinated）；请先升级本程序再汇入",
    ),
    "unknown_table": (
        lambda p: edit(p, "CREATE TABLE vaccinations (id INTEGER PRIMARY KEY)"),
        "含本程序不认识的表 vaccinations",
    ),
    "a_city_download": (
        lambda p: edit(p, "UPDATE download_info SET value = '220300' WHERE item = 'region_code'"),
        "行政区划代码 220300 不是县级代码，只能汇入县级实例导出的数据",
    ),
    "another_province": (
        lambda p: edit(p, "UPDATE download_info SET value = '110101' WHERE item = 'region_code'"),
        "梨树县（110101）不在吉林省（220000）范围内",
    ),
}


@pytest.mark.parametrize("damage", REFUSED, ids=list(REFUSED))
def test_a_file_that_is_not_a_sound_county_export_is_refused_naming_it_and_nothing_changes(
    upper, counties, tmp_path, damage
):
    assert upper("rollup", "add", str(counties["220323"][1])).exit_code == 0
    before = held(upper.database)
    spoil, words = REFUSED[damage]
    bad = tmp_path / f"{damage}.sqlite"
    shutil.copy(counties["220322"][1], bad)
    spoil(bad)
    result = upper("rollup", "add", str(bad))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{bad}：未汇入，"), result.stderr
    assert words in result.stderr, result.stderr
    assert "共 1 个文件：新汇入 0 个，替换 0 个，已汇入过 0 个，未汇入 1 个。" in result.stdout
    assert held(upper.database) == before


def test_an_older_download_of_a_county_held_is_refused_saying_which_is_held(upper, counties, tmp_path):
    db, older = counties["220322"]
    sign(db, "S2", "教师23", phone(203))
    newer = download(db, tmp_path, "220322", "梨树县", T2)
    assert upper("rollup", "add", str(newer)).exit_code == 0
    before = held(upper.database)
    result = upper("rollup", "add", str(older))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{older}：未汇入，比已汇入的旧：已汇入梨树县数据时间为 2026-02-27 09:00:00 的下载，"
        "这个文件的数据时间为 2026-02-26 09:00:00，保留已汇入的。\n"
    )
    assert held(upper.database) == before
    assert_holds_exactly(upper.database, "220322", newer)


def test_a_failure_half_way_through_a_file_leaves_the_county_as_it_was(upper, counties, tmp_path):
    """The last table of a hand-edited download holds one key twice: the county's rows copied
    before it are rolled back, its download held before stays whole."""
    db, first = counties["220322"]
    assert upper("rollup", "add", str(first)).exit_code == 0
    before = held(upper.database)
    sign(db, "S2", "教师23", phone(203))
    bad = download(db, tmp_path, "220322", "梨树县", T2)
    edit(
        bad,
        "CREATE TABLE copy AS SELECT * FROM audit_log",
        "INSERT INTO copy SELECT * FROM audit_log LIMIT 1",
        "DROP TABLE audit_log",
        "ALTER TABLE copy RENAME TO audit_log",
    )
    assert rollup.KEPT_TABLES[-1] == "audit_log"
    result = upper("rollup", "add", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}：未汇入，汇入时出错（UNIQUE constraint failed"), result.stderr
    assert "已汇入的数据没有改动" in result.stderr
    assert held(upper.database) == before
    assert_holds_exactly(upper.database, "220322", first)


def test_refused_files_do_not_stop_the_others_and_the_command_fails_after_adding_them(upper, counties, tmp_path):
    bad = tmp_path / "坏文件.sqlite"
    bad.write_bytes(b"not a database")
    good = [str(path) for _db, path in counties.values()]
    result = upper("rollup", "add", good[0], str(bad), *good[1:])
    assert result.exit_code == 1
    assert f"{bad}：未汇入，不是 SQLite 数据库文件" in result.stderr
    assert "共 4 个文件：新汇入 3 个，替换 0 个，已汇入过 0 个，未汇入 1 个。" in result.stdout
    assert {c["region_code"] for c in upper_counties(upper.database)} == set(counties)


def upper_counties(database: Path) -> list[dict]:
    db = storage.open_db(database)
    try:
        return storage.rollup_counties(db)
    finally:
        db.close()


def test_a_file_that_is_not_there_is_named(upper):
    result = upper("rollup", "add", "没有这个文件.sqlite")
    assert result.exit_code == 1
    assert result.stderr == "没有这个文件.sqlite：未汇入，找不到这个文件。\n"


# --- the level and the region ----------------------------------------------------------------------


def test_rollup_add_is_refused_at_a_county_instance(upper, counties):
    upper.level_is(
        Deployment(
            level="county", region_code="220323", region_name="伊通满族自治县", bureau_name="伊通满族自治县教育局"
        )
    )
    result = upper("rollup", "add", str(counties["220322"][1]))
    assert result.exit_code == 1
    assert "本实例是县级实例（county.toml 中 level 为 county），不能汇入县级数据" in result.output
    assert upper_counties(upper.database) == []


def test_a_city_takes_in_its_own_counties_only(upper, counties, tmp_path):
    upper.level_is(CITY)
    db = county_db(tmp_path, "220102")
    small_county(db)
    changchun = download(db, tmp_path, "220102", "南关区")
    db.close()
    result = upper("rollup", "add", str(counties["220322"][1]), str(changchun))
    assert result.exit_code == 1
    assert f"{counties['220322'][1]}：已汇入梨树县（220322）" in result.stdout
    assert f"{changchun}：未汇入，南关区（220102）不在四平市（220300）范围内。" in result.stderr
    assert [c["region_code"] for c in upper_counties(upper.database)] == ["220322"]


@pytest.mark.parametrize(
    "level, code, covered",
    [
        (PROVINCE, "220323", True),
        (PROVINCE, "220102", True),
        (PROVINCE, "210102", False),
        (CITY, "220323", True),
        (CITY, "220102", False),
        (CITY, "220300", False),  # the city itself
        (PROVINCE, "220000", False),
        (PROVINCE, "22032", False),
    ],
)
def test_a_county_code_is_covered_by_the_first_digits_of_its_city_or_province(level, code, covered):
    from schemas.deployment import covers

    assert covers(level, code) is covered


# --- older downloads, and the tables following the allowlist --------------------------------------


def test_an_older_download_without_a_column_or_a_table_loads_nulls_and_no_rows(upper, counties, tmp_path):
    older = tmp_path / "older.sqlite"
    shutil.copy(counties["220322"][1], older)
    edit(older, "ALTER TABLE pledges DROP COLUMN whereabouts", "DROP TABLE ledger_reports")
    result = upper("rollup", "add", str(older))
    assert result.exit_code == 0, result.output
    whereabouts = held_rows(upper.database, "pledges", "220322", ["whereabouts"])
    assert whereabouts == [(None,)] * 9
    assert held_rows(upper.database, "ledger_reports", "220322", ["id"]) == []
    assert upper_counties(upper.database)[0]["rows"]["pledges"] == 9


def test_each_rollup_table_has_the_region_code_then_the_public_columns_of_its_county_table(db):
    for table in rollup.KEPT_TABLES:
        own = [c for c in db[table].columns_dict if c in public_columns(table)]
        assert list(db[f"rollup_{table}"].columns_dict) == ["region_code", *own], table
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'rollup_schools'").fetchone()
    assert 'UNIQUE (region_code, "code")' in sql


def test_a_public_column_added_later_follows_into_its_rollup_table(db):
    with storage.transaction(db):
        db.execute("ALTER TABLE schools ADD COLUMN address TEXT")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            rollup, "public_columns", lambda t: public_columns(t) | ({"address"} if t == "schools" else set())
        )
        storage.migrate(db)
    assert "address" in db["rollup_schools"].columns_dict
