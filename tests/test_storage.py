"""Storage: one real column per spec field, durable settings, constraints that hold uniqueness."""

import json
import sqlite3
import threading
import uuid

import pytest

import schemas
from checklist_app import storage
from schemas import CountySettings, Declaration, Pledge, verdict
from schemas.dictionary import PUBLIC_TABLES
from tests.conftest import valid_declaration_answers, valid_pledge_answers
from tests.test_readiness_rules import SPEC_FIELDS

SPEC_TYPES = {
    "ledger_date": "TEXT",
    "leadership_meeting_on": "TEXT",
    "work_plan": "TEXT",
    "principal_name": "TEXT",
    "principal_phone": "TEXT",
    "signature": "TEXT",
    "disinfectant_litres": "REAL",
}


def test_declarations_have_one_column_per_spec_field_with_a_fitting_type(db):
    columns = {c.name: c.type for c in db["declarations"].columns}
    for field in SPEC_FIELDS:
        assert columns[field] == SPEC_TYPES.get(field, "INTEGER"), field


def test_schema_shows_the_columns_in_sqlite_itself(db):
    schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'declarations'").fetchone()[0]
    for field in SPEC_FIELDS:
        assert f'"{field}" {SPEC_TYPES.get(field, "INTEGER")}' in schema


def test_connection_runs_wal_with_full_sync_and_a_busy_timeout(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrate_is_safe_to_run_again(db):
    before = db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
    storage.migrate(db)
    storage.migrate(db)
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == before


def test_latest_declarations_view_holds_the_newest_version_per_school(db, make_school):
    make_school("A1")
    decl = Declaration.model_validate(valid_declaration_answers())
    for _ in range(3):
        storage.record_declaration(db, "A1", decl, verdict(decl, CountySettings()), uuid.uuid4().hex)
    rows = list(db.query("SELECT school_code, version FROM latest_declarations"))
    assert rows == [{"school_code": "A1", "version": 3}]


def test_a_resent_submission_returns_the_version_it_made(db, make_school):
    make_school("A1")
    decl = Declaration.model_validate(valid_declaration_answers())
    first, created = storage.record_declaration(db, "A1", decl, verdict(decl, CountySettings()), "key-1")
    again, created_again = storage.record_declaration(db, "A1", decl, verdict(decl, CountySettings()), "key-1")
    assert created and not created_again
    assert again["id"] == first["id"]
    assert db["declarations"].count == 1


def test_one_pledge_per_person_and_version_is_a_database_constraint(db, make_school):
    make_school("A1")
    storage.record_pledge(db, "A1", Pledge.model_validate(valid_pledge_answers()), "x" * 64)
    with pytest.raises(sqlite3.IntegrityError):
        with storage.transaction(db):
            db.execute(
                "INSERT INTO pledges (school_code, pledge_version, name, phone, text_sha256, reference, submitted_at)"
                " VALUES ('A1', ?, '李老师', '13912345678', 'x', 'ZZZZZZZZ', 'now')",
                [schemas.PLEDGE_VERSION],
            )


def test_concurrent_identical_pledges_store_one_row(app, make_school):
    make_school("A1")
    pledge = Pledge.model_validate(valid_pledge_answers())
    results = []

    def sign():
        conn = storage.open_db(app.config["DATABASE"])
        results.append(storage.record_pledge(conn, "A1", pledge, "x" * 64))
        conn.close()

    threads = [threading.Thread(target=sign) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = storage.open_db(app.config["DATABASE"])
    assert check["pledges"].count == 1
    assert sum(created for _, created in results) == 1
    assert len({row["reference"] for row, _ in results}) == 1


def test_reference_has_8_characters_without_ambiguous_ones():
    for _ in range(200):
        ref = storage.random_code(storage.REFERENCE_LENGTH)
        assert len(ref) == 8 and not set(ref) & set("0O1IL")


def test_settings_changes_are_stored_and_audited_old_to_new(db):
    assert storage.load_settings(db) == CountySettings()
    changes = storage.save_settings(db, CountySettings(mask_days=20), actor="admin")
    assert changes == {"mask_days": (None, 20)}
    assert storage.load_settings(db).mask_days == 20
    entry = db.execute(
        "SELECT actor, action, target, detail FROM audit_log WHERE action = 'settings.change'"
    ).fetchone()
    assert entry[:3] == ("admin", "settings.change", "mask_days")
    assert '"old": null' in entry[3] and '"new": 20' in entry[3]


def test_a_setting_an_earlier_release_stored_and_this_one_retired_is_ignored(db):
    # the web setting bureau_name, pasted from Word with a vertical tab; county.toml names the bureau now
    db.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('bureau_name', ?)", [json.dumps("城关县\x0b教育局")]
    )
    db.conn.commit()
    assert storage.load_settings(db) == CountySettings()
    storage.migrate(db)  # a start is not stopped by it


def test_access_codes_are_stored_only_as_hashes(db, make_school):
    school, code = make_school("A1")
    assert code not in (school["access_code_hash"] or "")
    assert storage.check_secret(school["access_code_hash"], code)
    other = code[:-1] + ("X" if code[-1] != "X" else "Y")  # one character off
    assert not storage.check_secret(school["access_code_hash"], other)


def test_a_failed_write_leaves_nothing_behind(db, make_school):
    make_school("A1")
    with pytest.raises(RuntimeError):
        with storage.transaction(db):
            storage.audit(db, "test", "half")
            raise RuntimeError("crash in the middle")
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'half'").fetchone()[0] == 0


def test_snapshot_holds_every_data_table_and_no_secret(db, make_school, tmp_path):
    school, code = make_school("A1")
    storage.record_pledge(db, "A1", Pledge.model_validate(valid_pledge_answers()), "x" * 64)
    storage.save_draft(db, "A1", "campus", {"closed_management": "y"})
    out = storage.snapshot(db, tmp_path / "snap.db")
    copy = sqlite3.connect(out)
    tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
    assert tables == {name for name, public in PUBLIC_TABLES.items() if not public.generated}  # exports add those
    assert not tables & {"admins", "declaration_drafts", "login_failures"}
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    data = out.read_bytes()
    for secret in (school["pledge_token"], school["access_code_hash"], code):
        assert secret.encode() not in data
    assert copy.execute("SELECT COUNT(*) FROM pledges").fetchone()[0] == 1
