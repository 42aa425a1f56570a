"""Backups, restore and retention: nothing acknowledged is lost, nothing damaged goes back in,
and personal data goes when the bureau says so."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from checklist_app import REPO_ROOT, create_app, storage
from checklist_app.cli import main
from checklist_app.storage import archive as backup
from schemas import CountySettings, Declaration, Pledge, School, clock, verdict
from tests.conftest import valid_declaration_answers, valid_pledge_answers
from tests.waiting import Acknowledged


def pledge_of(name: str, phone: str) -> Pledge:
    return Pledge.model_validate(valid_pledge_answers(name=name, signature=name, phone=phone))


def declare(db, code: str) -> dict:
    declaration = Declaration.model_validate(valid_declaration_answers())
    row, _ = storage.record_declaration(db, code, declaration, verdict(declaration, CountySettings()), uuid.uuid4().hex)
    return row


def backdate(db, table: str, row_id: int, day: str) -> None:
    with storage.transaction(db):
        db.execute(f"UPDATE {table} SET submitted_at = ? WHERE id = ?", [f"{day}T09:30:00+08:00", row_id])


def fresh_database(path) -> None:
    """A migrated database with one school, made without an app (no app holds its lock)."""
    db = storage.open_db(path)
    storage.migrate(db)
    storage.upsert_schools(db, [School(code="Z9", name="原有学校", kind="小学", township="城关镇")], actor="test")
    db.close()


def file_state(path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def pledge_references(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT reference FROM pledges")}
    finally:
        conn.close()


# --- backup during writes, restore into a fresh instance -------------------------------------


def bulk_pledges(db, code: str, count: int) -> None:
    """Many rows at once, so the backup's copy takes more than a moment."""
    columns = ["school_code", "pledge_version", *Pledge.model_fields, "text_sha256", "reference", "submitted_at"]
    template = storage.to_row(pledge_of("批量教师", "13000000000"))
    rows = []
    for i in range(count):
        values = {**template, "name": f"批量{i:05d}", "signature": f"批量{i:05d}", "phone": f"137{i:08d}"}
        rows.append([code, 1, *values.values(), "x" * 64, f"BULK{i:05d}", clock.timestamp()])
    with storage.transaction(db):
        db.conn.executemany(storage.insert_sql("pledges", columns), rows)


def test_backup_during_writes_restores_every_row_acknowledged_before_it_began(
    app, db, make_school, tmp_path, monkeypatch
):
    make_school("A1")
    bulk_pledges(db, "A1", 2_000)
    live = Path(app.config["DATABASE"]).resolve()
    acknowledged = Acknowledged()
    stop = threading.Event()

    def writer(n: int) -> None:
        conn = storage.open_db(live)
        try:
            i = 0
            while not stop.is_set():
                row, _ = storage.record_pledge(conn, "A1", pledge_of(f"教师{n}{i:05d}", f"13{n}{i:08d}"), "x" * 64)
                acknowledged.add(row["reference"])
                i += 1
        except BaseException as error:  # noqa: BLE001 - the test fails on it below
            acknowledged.failed(error)
        finally:
            conn.close()

    # The backup's copy pauses once, inside it, until the writers have committed ten more
    # pledges: a backup that held writers up would wait there for ever (bounded by the hang
    # deadline), so its finishing shows that they went on while it copied.
    during: list[bool] = []
    real_connect = sqlite3.connect

    def connect(path, *args, **kwargs):
        conn = real_connect(path, *args, **kwargs)
        if threading.current_thread() is threading.main_thread() and Path(path).resolve() == live:
            conn.set_progress_handler(pause_once, 1_000)
        return conn

    def pause_once() -> int:
        if not during:
            during.append(acknowledged.reached(len(acknowledged) + 10))
        return 0

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3, 7)]
    for thread in threads:
        thread.start()
    try:
        acknowledged.wait_for(40, "pledges before the backup")
        before = set(acknowledged.copy())
        monkeypatch.setattr(sqlite3, "connect", connect)
        backup.backup(db, tmp_path / "backup.db")
        monkeypatch.setattr(sqlite3, "connect", real_connect)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert not acknowledged.errors
    assert during == [True], "writers were held up while the backup copied"
    target = tmp_path / "fresh" / "checklist.db"
    backup.restore(tmp_path / "backup.db", target)
    fresh = create_app({"DATABASE": str(target), "SECRET_KEY": "k", "TESTING": True})
    restored = pledge_references(target)
    assert before <= restored
    assert restored <= pledge_references(live)  # nothing invented
    assert fresh.test_client().get("/healthz").status_code == 200


def test_a_backup_is_full_secrets_included(db, make_school, tmp_path):
    make_school("A1")
    storage.create_admin(db, "chief", "scrypt:fake-hash")
    backup.backup(db, tmp_path / "b.db")
    conn = sqlite3.connect(tmp_path / "b.db")
    assert conn.execute("SELECT access_code_hash, pledge_token FROM schools").fetchone()[0]
    assert conn.execute("SELECT password_hash FROM admins").fetchone() == ("scrypt:fake-hash",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_backup_file_is_readable_by_its_owner_only(db, make_school, tmp_path):
    make_school("A1")
    backup.backup(db, tmp_path / "b.db")
    assert (tmp_path / "b.db").stat().st_mode & 0o077 == 0


def test_restore_leaves_no_stale_wal_beside_the_new_database(db, make_school, tmp_path):
    make_school("A1")
    backup.backup(db, tmp_path / "b.db")
    target = tmp_path / "t" / "checklist.db"
    fresh_database(target)
    (tmp_path / "t" / "checklist.db-wal").write_bytes(b"stale frames")
    (tmp_path / "t" / "checklist.db-shm").write_bytes(b"stale index")
    done = backup.restore(tmp_path / "b.db", target)
    assert not (tmp_path / "t" / "checklist.db-shm").exists()
    assert not (tmp_path / "t" / "checklist.db-wal").exists()
    assert (tmp_path / "t" / f"{done['kept'].name}-wal").read_bytes() == b"stale frames"
    assert sqlite3.connect(target).execute("SELECT code FROM schools").fetchall() == [("A1",)]


def test_restore_drops_the_backup_manifest(db, make_school, tmp_path):
    make_school("A1")
    backup.backup(db, tmp_path / "b.db")
    target = tmp_path / "t" / "checklist.db"
    backup.restore(tmp_path / "b.db", target)
    tables = {r[0] for r in sqlite3.connect(target).execute("SELECT name FROM sqlite_master")}
    assert backup.BACKUP_MANIFEST not in tables


# --- refusals: the target is untouched -------------------------------------------------------


@pytest.fixture
def good_backup(db, make_school, tmp_path):
    make_school("A1")
    for i in range(300):
        storage.record_pledge(db, "A1", pledge_of(f"教师{i:04d}", f"139{i:08d}"), "x" * 64)
    backup.backup(db, tmp_path / "good.db")
    return tmp_path / "good.db"


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "live" / "checklist.db"
    fresh_database(path)
    return path


def assert_refused(source, target, reason: str) -> None:
    before = file_state(target)
    with pytest.raises(backup.RestoreRefused) as refused:
        backup.restore(source, target)
    assert refused.value.reason == reason
    assert file_state(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        p.name for p in target.parent.iterdir() if not p.name.startswith(".")
    ), "a temp file was left behind"


def test_a_truncated_backup_is_refused_and_the_target_untouched(good_backup, target, tmp_path):
    data = good_backup.read_bytes()
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: len(data) // 2])
    assert_refused(cut, target, "damaged")


def test_a_backup_with_bytes_flipped_in_the_middle_is_refused(good_backup, target, tmp_path):
    data = bytearray(good_backup.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    for i in range(middle, middle + 4096):
        data[i] ^= 0x5A
    flipped = tmp_path / "flipped.db"
    flipped.write_bytes(bytes(data))
    assert_refused(flipped, target, "damaged")


def test_a_changed_value_inside_a_sound_page_is_refused(good_backup, target, tmp_path):
    """integrity_check sees the structure only; the digest of the content sees a changed value
    (here a pledge's text hash, a column no index repeats)."""
    data = good_backup.read_bytes()
    changed = tmp_path / "changed.db"
    changed.write_bytes(data.replace(b"x" * 64, b"0" * 64, 1))
    assert sqlite3.connect(changed).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert_refused(changed, target, "damaged")


def test_a_file_that_is_not_sqlite_is_refused(target, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("这不是数据库\n" * 100, encoding="utf-8")
    assert_refused(text, target, "not_sqlite")


def test_the_bureau_download_is_not_a_backup(db, make_school, target, tmp_path):
    make_school("A1")
    storage.snapshot(db, tmp_path / "download.sqlite")
    assert_refused(tmp_path / "download.sqlite", target, "not_a_backup")


def test_a_backup_from_a_newer_schema_is_refused(db, make_school, target, tmp_path):
    make_school("A1")
    with storage.transaction(db):
        db["_sqlite_migrations"].insert(
            {"migration_set": "checklist", "name": "m999_from_the_future", "applied_at": "2099-01-01 00:00:00"}
        )
    backup.backup(db, tmp_path / "newer.db")
    assert_refused(tmp_path / "newer.db", target, "newer_schema")


def test_a_backup_from_this_schema_is_accepted(good_backup, target):
    done = backup.restore(good_backup, target)
    assert done["counts"]["pledges"] == 300


def test_restore_refuses_while_an_app_has_the_database_open(good_backup, target):
    running = create_app({"DATABASE": str(target), "SECRET_KEY": "k", "TESTING": True})
    assert_refused(good_backup, target, "in_use")
    del running


def test_restore_refuses_while_another_process_serves_the_database(good_backup, target):
    code = (  # it holds the app until its input is closed
        "import sys; from checklist_app import create_app; "
        f"app = create_app({{'DATABASE': {str(target)!r}, 'SECRET_KEY': 'k'}}); print('up', flush=True); sys.stdin.read()"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert server.stdout.readline().strip() == "up"
        assert_refused(good_backup, target, "in_use")
    finally:
        server.kill()
        server.wait()
        server.stdin.close()
        server.stdout.close()
    backup.restore(good_backup, target)  # stopped: now it goes


# --- the command line ------------------------------------------------------------------------


def test_backup_and_restore_commands(db, make_school, tmp_path, app):
    make_school("A1")
    runner = CliRunner(env={"CHECKLIST_DB": app.config["DATABASE"]})
    made = runner.invoke(main, ["backup", str(tmp_path / "cli.db")])
    assert made.exit_code == 0, made.output
    other = tmp_path / "other" / "checklist.db"
    runner = CliRunner(env={"CHECKLIST_DB": str(other)})
    put = runner.invoke(main, ["restore", "--yes", str(tmp_path / "cli.db")])
    assert put.exit_code == 0, put.output
    assert sqlite3.connect(other).execute("SELECT code FROM schools").fetchall() == [("A1",)]


def test_restore_command_says_why_it_refused(tmp_path):
    (tmp_path / "junk.db").write_bytes(b"\0" * 8192)
    runner = CliRunner(env={"CHECKLIST_DB": str(tmp_path / "live" / "checklist.db")})
    result = runner.invoke(main, ["restore", "--yes", str(tmp_path / "junk.db")])
    assert result.exit_code == 1
    assert "不是 SQLite" in result.output
    assert not (tmp_path / "live" / "checklist.db").exists()


# --- retention -------------------------------------------------------------------------------


@pytest.fixture
def history(db, make_school):
    """Two schools: old and new pledges, and declarations whose latest version is old for B2."""
    make_school("A1", name="甲小学")
    make_school("B2", name="乙中学")
    old_pledges = [
        storage.record_pledge(db, "A1", pledge_of(f"旧教师{i}", f"1381234500{i}"), "x" * 64)[0] for i in range(3)
    ]
    old_pledges.append(storage.record_pledge(db, "B2", pledge_of("旧教师九", "13812345009"), "x" * 64)[0])
    new_pledge = storage.record_pledge(db, "A1", pledge_of("新教师", "13912340000"), "x" * 64)[0]
    for row in old_pledges:
        backdate(db, "pledges", row["id"], "2026-01-10")
    a1 = [declare(db, "A1") for _ in range(3)]
    backdate(db, "declarations", a1[0]["id"], "2026-01-05")
    backdate(db, "declarations", a1[1]["id"], "2026-01-06")
    b2 = [declare(db, "B2") for _ in range(2)]
    backdate(db, "declarations", b2[0]["id"], "2026-01-07")
    backdate(db, "declarations", b2[1]["id"], "2026-01-08")  # B2's latest, and old
    return {"old_pledges": old_pledges, "new_pledge": new_pledge, "a1": a1, "b2": b2}


def rows(db, table):
    return {r["id"] for r in db.query(f"SELECT id FROM {table}")}


def test_purge_dry_run_reports_counts_per_table_and_school_and_changes_nothing(db, history):
    audit_before = db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    snapshot = {t: rows(db, t) for t in ("pledges", "declarations")}
    report = storage.purge_before(db, "2026-02-01", dry_run=True)
    assert (report["pledges"], report["declarations"], report["kept_latest"]) == (4, 3, 1)
    assert {s["code"]: (s["pledges"], s["declarations"]) for s in report["schools"]} == {"A1": (3, 2), "B2": (1, 1)}
    assert {t: rows(db, t) for t in ("pledges", "declarations")} == snapshot
    assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == audit_before


def test_purge_deletes_exactly_the_older_rows_and_keeps_each_latest_declaration(db, history):
    storage.purge_before(db, "2026-02-01", dry_run=False)
    assert rows(db, "pledges") == {history["new_pledge"]["id"]}
    assert rows(db, "declarations") == {history["a1"][2]["id"], history["b2"][1]["id"]}
    assert storage.latest_declaration(db, "B2")["version"] == 2


def test_purge_keeps_rows_submitted_on_the_day_itself(db, history):
    report = storage.purge_before(db, "2026-01-10", dry_run=False)
    assert report["pledges"] == 0
    assert len(rows(db, "pledges")) == 5


def test_purge_is_audited_with_its_counts(db, history):
    storage.purge_before(db, "2026-02-01", dry_run=False, actor="cli")
    entry = storage.audit_entries(db, ("retention.purge",))[0]
    assert entry["actor"] == "cli"
    assert entry["target"] == "2026-02-01"
    assert (entry["detail"]["pledges"], entry["detail"]["declarations"]) == (4, 3)
    assert entry["detail"]["schools"] == {"A1": [3, 2], "B2": [1, 1]}


def test_purge_overwrites_deleted_rows_in_the_file(db, history, app):
    storage.purge_before(db, "2026-02-01", dry_run=False)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(app.config["DATABASE"], "rb") as handle:
        assert "旧教师".encode() not in handle.read()


def test_purge_refuses_a_date_after_today(db, history):
    with pytest.raises(ValueError):
        storage.purge_before(db, clock.today() + dt.timedelta(days=1), dry_run=True)


def test_purge_command_dry_run_prints_and_deletes_nothing(db, history, app):
    runner = CliRunner(env={"CHECKLIST_DB": app.config["DATABASE"]})
    result = runner.invoke(main, ["purge", "--before", "2026-02-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "承诺书 4 份" in result.output and "申报 3 份" in result.output
    assert "甲小学:3 / 2" in result.output
    assert len(rows(db, "pledges")) == 5


def test_purge_command_declined_deletes_nothing(db, history, app):
    before = rows(db, "pledges")
    result = CliRunner(env={"CHECKLIST_DB": app.config["DATABASE"]}).invoke(
        main, ["purge", "--before", "2026-02-01"], input="n\n"
    )
    assert result.exit_code != 0
    assert "错误：已取消，没有任何改动。" in result.output and "Aborted" not in result.output
    assert rows(db, "pledges") == before


def test_purge_command_deletes_after_confirmation(db, history, app):
    runner = CliRunner(env={"CHECKLIST_DB": app.config["DATABASE"]})
    result = runner.invoke(main, ["purge", "--before", "2026-02-01"], input="y\n")
    assert result.exit_code == 0, result.output
    assert rows(db, "pledges") == {history["new_pledge"]["id"]}
    detail = db.execute("SELECT detail FROM audit_log WHERE action = 'retention.purge'").fetchone()[0]
    assert json.loads(detail)["pledges"] == 4
