"""What the dashboard reads is kept as the data changes: each organisation's tallies (pledges,
roster size, roster signed) and its standing (latest version, verdict stored and now). Whatever
the writes, they equal what working everything out again from the data gives, and every write
changes them in its own transaction."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
import uuid
from collections import namedtuple
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from checklist_app import create_app, demo, storage
from checklist_app.storage import archive as backup
from schemas import (
    BUREAU_KIND,
    CountySettings,
    Declaration,
    Pledge,
    School,
    Verdict,
    clock,
    declares,
    verdict,
)
from schemas.dictionary import PUBLIC_TABLES
from schemas.inspection import Inspection
from schemas.verdict import LEGAL_CONDITIONS
from tests.conftest import valid_declaration_answers, valid_pledge_answers

UNDECLARED = (None, None, None, None, 0, 0, None, None, 0, None)
# What is kept of one organisation, in the order `from_scratch` works it out.
Kept = namedtuple(
    "Kept",
    "pledges roster_size roster_signed version submitted_at verdict verdict_now legal_gaps_now changed"
    " verdict_own inspection inspected_items rectify_by",
)


# --- working it out from scratch, as the dashboard did before it kept anything -----------------


def inspected(db, latest: dict, now: Verdict) -> tuple:
    """(the verdict the bureau sees, its legal gaps, the 核查 state, items found 相符, 整改期限) of a
    latest version, from the school's latest inspection, worked out row by row."""
    legal = {g.field for g in now.gaps if g.condition in LEGAL_CONDITIONS}
    inspection = db.execute(
        "SELECT id, declaration_version, rectify_by FROM inspections WHERE school_code = ? ORDER BY id DESC LIMIT 1",
        [latest["school_code"]],
    ).fetchone()
    if inspection is None:
        return now.value, len(legal), "uninspected", 0, None
    found = dict(db.execute("SELECT field, finding FROM inspection_findings WHERE inspection_id = ?", [inspection[0]]))
    confirmed = sum(finding == "confirmed" for finding in found.values())
    if latest["version"] > inspection[1]:
        return now.value, len(legal), "recheck", confirmed, None
    contradicted = {field for field, finding in found.items() if finding == "contradicted"}
    if not contradicted:
        return now.value, len(legal), "confirmed", confirmed, None
    legal |= {f for f in contradicted if Declaration.model_fields[f].json_schema_extra["condition"] in LEGAL_CONDITIONS}
    return ("not_ready" if legal else "ready"), len(legal), "contradicted", confirmed, inspection[2]


def from_scratch(db, settings: CountySettings, bureau_declares: bool = False) -> dict[str, tuple]:
    """Per organisation: (pledges, roster size, roster signed, version, submitted_at, verdict
    stored, verdict the bureau sees now, its legal gaps, changed, the school's own verdict now,
    the 核查 state, items found 相符, 整改期限), counted row by row from pledges, roster and
    inspections, every verdict worked out now. The bureau's own organisation shows no standing
    unless `bureau_declares` (what the stored table keeps for it)."""
    version = schemas.PLEDGE_VERSION
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    out = {}
    for code, kind in db.execute("SELECT code, kind FROM schools").fetchall():
        tallies = (
            one("SELECT COUNT(*) FROM pledges WHERE school_code = ? AND pledge_version = ?", code, version),
            one("SELECT COUNT(*) FROM roster WHERE school_code = ?", code),
            one(
                """SELECT COUNT(*) FROM roster r WHERE r.school_code = ? AND EXISTS (SELECT 1 FROM pledges p
                   WHERE p.school_code = r.school_code AND p.name = r.name AND p.phone = r.phone
                   AND p.pledge_version = ?)""",
                code,
                version,
            ),
        )
        latest = next(
            iter(db.query("SELECT * FROM declarations WHERE school_code = ? ORDER BY version DESC LIMIT 1", [code])),
            None,
        )
        standing = UNDECLARED
        if latest is not None and (declares(kind) or bureau_declares):
            now = verdict(storage.declaration_from_row(latest), settings)
            stored = Verdict.stored(latest["verdict"], json.loads(latest["gaps"]))
            seen, legal, state, confirmed, rectify_by = inspected(db, latest, now)
            standing = (
                latest["version"],
                latest["submitted_at"],
                latest["verdict"],
                seen,
                legal,
                int(now.differs_from(stored)),
                now.value,
                state,
                confirmed,
                rectify_by,
            )
        out[code] = Kept(*tallies, *standing)
    return out


def as_stored(db) -> dict[str, tuple]:
    """The same read straight from the kept tables, with no working out on reading."""
    rows = db.execute(
        """SELECT s.code, COALESCE(p.pledges, 0), COALESCE(r.roster_size, 0), COALESCE(p.roster_signed, 0),
                  d.version, d.submitted_at, d.verdict, d.verdict_now, COALESCE(d.legal_gaps_now, 0),
                  COALESCE(d.changed, 0), d.verdict_own, d.inspection, COALESCE(d.inspected_items, 0), d.rectify_by
           FROM schools s
           LEFT JOIN pledge_tallies p ON p.school_code = s.code AND p.pledge_version = ?
           LEFT JOIN roster_tallies r ON r.school_code = s.code
           LEFT JOIN school_standings d ON d.school_code = s.code""",
        [schemas.PLEDGE_VERSION],
    ).fetchall()
    return {row[0]: Kept(*row[1:]) for row in rows}


def as_dashboard(db, settings: CountySettings) -> dict[str, tuple]:
    """The same as the dashboard reads it (`storage.school_rows`)."""
    columns = storage.SCHOOL_ROW_COLUMNS
    first = columns.index("pledges")
    return {row[0]: Kept(*row[first:]) for row in storage.school_rows(db, settings)}


def derived_tables(db) -> dict[str, list]:
    """Every kept table, rows in key order; a tally of zero is the same as none."""
    return {
        "school_standings": db.execute("SELECT * FROM school_standings ORDER BY school_code").fetchall(),
        "pledge_tallies": db.execute(
            "SELECT * FROM pledge_tallies WHERE pledges OR roster_signed ORDER BY school_code, pledge_version"
        ).fetchall(),
        "roster_tallies": db.execute("SELECT * FROM roster_tallies WHERE roster_size ORDER BY school_code").fetchall(),
        "derived_state": db.execute("SELECT * FROM derived_state ORDER BY key").fetchall(),
    }


def assert_kept_right(db) -> None:
    settings = storage.load_settings(db)
    assert storage.stale_standings(db) == []
    assert storage.stored_standings_basis(db) == storage.standings_basis(settings)
    assert as_stored(db) == from_scratch(db, settings, bureau_declares=True)
    assert as_dashboard(db, settings) == from_scratch(db, settings)


def recomputed_changes_nothing(db) -> None:
    kept = derived_tables(db)
    with storage.transaction(db):
        storage.recompute_derived(db)
    assert derived_tables(db) == kept


# --- a random mix of writes -------------------------------------------------------------------

CODES = ("A1", "B1", "JYJ")  # JYJ is the bureau's own organisation
PEOPLE = tuple((f"教师{'甲乙丙丁戊己'[i]}", f"1390000000{i}") for i in range(6))
FEW = st.integers(0, 2)  # few people, so that the same ones meet again and again

OPERATIONS = st.one_of(
    st.tuples(st.just("sign"), st.sampled_from(CODES), FEW),
    st.tuples(st.just("roster"), st.sampled_from(CODES), st.frozensets(FEW)),
    st.tuples(st.just("declare"), st.sampled_from(CODES), st.sampled_from(["ready", "not_ready", "few_masks"])),
    st.tuples(st.just("settings"), st.booleans(), st.sampled_from([7, 14, 30])),
    st.tuples(st.just("purge"), st.integers(0, 4)),
    st.tuples(st.just("day"), st.integers(1, 3)),
    st.tuples(
        st.just("inspect"), st.sampled_from(CODES[:2]), st.sampled_from(["confirmed", "contradicted", "teaching"])
    ),
    # written straight into the tables, as a script or a database tool might: the tallies follow
    st.tuples(st.just("withdraw"), st.sampled_from(CODES), FEW),
    st.tuples(
        st.just("retype"),
        st.sampled_from(("roster", "pledges")),
        st.sampled_from(CODES),
        FEW,
        FEW,
        st.sampled_from(CODES),
    ),
)


class FakeClock:
    """The time storage stamps rows with, moved on by the test so a purge has old rows to take."""

    def __init__(self):
        self.at = clock.now() - dt.timedelta(days=40)

    def __call__(self) -> dt.datetime:
        return self.at


def a_county(path: Path):
    db = storage.open_db(path)
    storage.migrate(db)
    storage.upsert_schools(
        db,
        [
            School(code="A1", name="甲小学", kind="小学", township="东镇"),
            School(code="B1", name="丙小学", kind="小学", township="西乡"),
            School(code="JYJ", name="县教育局机关", kind=BUREAU_KIND, township="东镇"),
        ],
        actor="test",
    )
    storage.assign_schools(db, "第一检查组", codes=["A1", "B1"], actor="test")
    return db


INSPECTIONS = {
    "confirmed": {"finding_duty_rota": "confirmed", "finding_closed_management": "confirmed"},
    "contradicted": {
        "finding_duty_rota": "contradicted",
        "note_duty_rota": "未见排班表",
        "finding_online_checkin": "confirmed",
    },
    "teaching": {"finding_cleaning_done": "contradicted", "note_cleaning_done": "未打扫"},  # decides nothing
}


def inspect(db, code: str, variant: str) -> None:
    """An inspection of the school's latest version by its team, as the inspector's form makes it."""
    latest = storage.latest_declaration(db, code)
    if latest is None:
        return
    today = clock.today()
    answers = {"inspected_on": today, "inspectors": "张三、李四", "rectify_by": today, **INSPECTIONS[variant]}
    inspection = Inspection.model_validate(answers)
    storage.record_inspection(db, code, "第一检查组", latest["version"], inspection, "jc1", uuid.uuid4().hex)


def apply(db, clock: FakeClock, operation: tuple) -> None:
    kind, *args = operation
    if kind == "sign":
        code, person = args
        name, phone = PEOPLE[person]
        pledge = Pledge.model_validate(valid_pledge_answers(name=name, signature=name, phone=phone))
        storage.record_pledge(db, code, pledge, schemas.pledge_text_sha256())
    elif kind == "roster":
        code, people = args
        storage.replace_roster(
            db, code, [{"name": PEOPLE[i][0], "phone": PEOPLE[i][1], "role": "teacher"} for i in sorted(people)], "test"
        )
    elif kind == "declare":
        code, variant = args
        changes = {"not_ready": {"campus_disinfected": False}, "few_masks": {"masks": 650 * 10}}.get(variant, {})
        declaration = Declaration.model_validate(valid_declaration_answers(**changes))
        storage.record_declaration(
            db, code, declaration, verdict(declaration, storage.load_settings(db)), uuid.uuid4().hex
        )
    elif kind == "settings":
        controlled, mask_days = args
        storage.save_settings(db, CountySettings(epidemic_controlled=controlled, mask_days=mask_days), "test")
    elif kind == "purge":
        (days,) = args
        storage.purge_before(db, clock().date() - dt.timedelta(days=days), dry_run=False, actor="test")
    elif kind == "day":
        (days,) = args
        clock.at += dt.timedelta(days=days)
    elif kind == "inspect":
        inspect(db, *args)
    elif kind == "withdraw":
        code, person = args
        with storage.transaction(db):
            db.execute("DELETE FROM pledges WHERE school_code = ? AND name = ? AND phone = ?", [code, *PEOPLE[person]])
    elif kind == "retype":  # one person's row becomes another's, maybe at another school
        table, code, person, other, other_code = args
        try:
            with storage.transaction(db):
                db.execute(
                    f"UPDATE {table} SET school_code = ?, name = ?, phone = ?"
                    " WHERE school_code = ? AND name = ? AND phone = ?",
                    [other_code, *PEOPLE[other], code, *PEOPLE[person]],
                )
        except sqlite3.IntegrityError:  # that person is there already: nothing changed
            pass


@settings(
    max_examples=100,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=5, max_size=30))
def test_after_any_mix_of_writes_the_kept_tallies_and_standings_equal_working_them_out_afresh(operations):
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(schemas.clock, "now", clock):
        db = a_county(Path(folder) / "checklist.db")
        try:
            for operation in operations:
                apply(db, clock, operation)
                assert_kept_right(db)
            recomputed_changes_nothing(db)
        finally:
            db.close()


# --- the rules, one at a time -----------------------------------------------------------------


@pytest.fixture
def county(db, make_school):
    make_school("A1", "甲小学", "小学", "东镇")
    make_school("B1", "乙小学", "小学", "西乡")
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    return db


def roster_of(people) -> list[dict]:
    return [{"name": name, "phone": phone, "role": "teacher"} for name, phone in people]


def sign(db, code: str, person: int) -> None:
    name, phone = PEOPLE[person]
    pledge = Pledge.model_validate(valid_pledge_answers(name=name, signature=name, phone=phone))
    storage.record_pledge(db, code, pledge, schemas.pledge_text_sha256())


def declare(db, code: str, **changes) -> None:
    declaration = Declaration.model_validate(valid_declaration_answers(**changes))
    storage.record_declaration(db, code, declaration, verdict(declaration, storage.load_settings(db)), uuid.uuid4().hex)


def test_a_pledge_counts_for_its_school_and_its_roster_once_the_person_is_on_it(county):
    sign(county, "A1", 0)
    assert as_stored(county)["A1"][:3] == (1, 0, 0)
    storage.replace_roster(
        county,
        "A1",
        [
            {"name": PEOPLE[0][0], "phone": PEOPLE[0][1], "role": "teacher"},
            {"name": PEOPLE[1][0], "phone": PEOPLE[1][1], "role": "teacher"},
        ],
        "test",
    )
    assert as_stored(county)["A1"][:3] == (1, 2, 1)
    sign(county, "A1", 1)
    sign(county, "A1", 1)  # the same person again: one pledge
    assert as_stored(county)["A1"][:3] == (2, 2, 2)
    assert as_stored(county)["B1"][:3] == (0, 0, 0)


def test_a_person_matches_by_name_and_phone_both(county):
    storage.replace_roster(county, "A1", [{"name": PEOPLE[0][0], "phone": PEOPLE[1][1], "role": "teacher"}], "test")
    sign(county, "A1", 0)  # same name, another phone
    assert as_stored(county)["A1"][:3] == (1, 1, 0)


def test_a_declaration_stores_its_schools_standing_in_the_same_write(county):
    declare(county, "A1", campus_disinfected=False)
    kept = as_stored(county)["A1"]
    assert (kept.version, kept.verdict, kept.verdict_now, kept.changed) == (1, "not_ready", "not_ready", 0)
    assert kept.legal_gaps_now == 1
    declare(county, "A1")
    kept = as_stored(county)["A1"]
    assert (kept.version, kept.verdict, kept.verdict_now, kept.legal_gaps_now) == (2, "ready", "ready", 0)
    assert as_stored(county)["B1"][3:] == UNDECLARED
    assert_kept_right(county)


def test_a_settings_change_works_every_standing_out_again_in_the_same_write(county):
    declare(county, "A1")
    declare(county, "B1")
    storage.save_settings(county, CountySettings(epidemic_controlled=False), actor="test")
    for code in ("A1", "B1"):
        kept = as_stored(county)[code]
        assert (kept.verdict, kept.verdict_now, kept.legal_gaps_now, kept.changed) == ("ready", "not_ready", 1, 1)
    assert_kept_right(county)


def test_bulk_loads_with_executemany_keep_the_tallies_whatever_comes_first(county):
    """A merged province is loaded table by table; the triggers count every row of it."""
    people = [(f"人员{i}", f"1370000{i:04d}") for i in range(300)]
    columns = ["school_code", "pledge_version", *Pledge.model_fields, "text_sha256", "reference", "submitted_at"]
    answers = Pledge.model_validate(valid_pledge_answers())
    with storage.transaction(county):  # roster first at A1, pledges first at B1
        county.conn.executemany(
            "INSERT INTO roster (school_code, name, phone, role) VALUES (?, ?, ?, 'teacher')",
            [("A1", n, p) for n, p in people[:200]],
        )
        county.conn.executemany(
            storage.insert_sql("pledges", columns),
            [
                [
                    code,
                    schemas.PLEDGE_VERSION,
                    *storage.to_row(answers.model_copy(update={"name": n, "phone": p})).values(),
                    "x" * 64,
                    f"R{code}{i:05d}",
                    clock.timestamp(),
                ]
                for code, chosen in (("A1", people[100:300]), ("B1", people[:150]))
                for i, (n, p) in enumerate(chosen)
            ],
        )
        county.conn.executemany(
            "INSERT INTO roster (school_code, name, phone, role) VALUES (?, ?, ?, 'teacher')",
            [("B1", n, p) for n, p in people[100:250]],
        )
    assert as_stored(county)["A1"][:3] == (200, 200, 100)
    assert as_stored(county)["B1"][:3] == (150, 150, 50)
    assert_kept_right(county)


def test_a_roster_row_replaced_by_insert_or_replace_is_counted_once(county):
    storage.replace_roster(county, "A1", [{"name": PEOPLE[0][0], "phone": PEOPLE[0][1], "role": "teacher"}], "test")
    sign(county, "A1", 0)
    with storage.transaction(county):
        county.execute(
            "INSERT OR REPLACE INTO roster (school_code, name, phone, role) VALUES ('A1', ?, ?, 'cadre')",
            list(PEOPLE[0]),
        )
    assert as_stored(county)["A1"][:3] == (1, 1, 1)
    assert_kept_right(county)


def test_a_row_replaced_by_another_tool_is_counted_again_at_the_next_start(county):
    storage.replace_roster(county, "A1", [{"name": PEOPLE[0][0], "phone": PEOPLE[0][1], "role": "teacher"}], "test")
    sign(county, "A1", 0)
    path = storage.db_path(county)
    other = sqlite3.connect(path)  # the sqlite3 shell or a script: recursive_triggers off
    with other:
        other.execute(
            "INSERT OR REPLACE INTO roster (school_code, name, phone, role) VALUES ('A1', ?, ?, 'cadre')",
            list(PEOPLE[0]),
        )
        other.execute("INSERT OR REPLACE INTO pledges SELECT * FROM pledges")
    other.close()
    assert not storage.tallies_agree(county)  # each replaced row counted twice
    storage.migrate(county)
    assert storage.tallies_agree(county)
    assert as_stored(county)["A1"][:3] == (1, 1, 1)
    assert_kept_right(county)


def test_a_purge_leaves_the_tallies_and_standings_right(county):
    clock = FakeClock()
    with mock.patch.object(schemas.clock, "now", clock):
        storage.replace_roster(county, "A1", roster_of(PEOPLE[:3]), "test")
        sign(county, "A1", 0)
        declare(county, "A1")
        clock.at += dt.timedelta(days=10)
        sign(county, "A1", 1)
        declare(county, "A1", campus_disinfected=False)
        storage.purge_before(county, clock().date(), dry_run=False, actor="test")
    assert as_stored(county)["A1"][:4] == (1, 3, 1, 2)
    assert_kept_right(county)


def test_pledges_and_roster_rows_deleted_or_changed_directly_are_counted_off(county):
    storage.replace_roster(county, "A1", roster_of(PEOPLE[:3]), "test")
    for person in (0, 1, 4):
        sign(county, "A1", person)
    assert as_stored(county)["A1"][:3] == (3, 3, 2)
    with storage.transaction(county):
        county.execute("DELETE FROM pledges WHERE name = ?", [PEOPLE[0][0]])
    assert as_stored(county)["A1"][:3] == (2, 3, 1)
    with storage.transaction(county):  # the signer not on the roster was a typo for person 2
        county.execute("UPDATE pledges SET name = ?, phone = ? WHERE name = ?", [*PEOPLE[2], PEOPLE[4][0]])
    assert as_stored(county)["A1"][:3] == (2, 3, 2)
    with storage.transaction(county):  # person 1 moves to B1, pledge and all
        county.execute("UPDATE roster SET school_code = 'B1' WHERE name = ?", [PEOPLE[1][0]])
        county.execute("UPDATE pledges SET school_code = 'B1' WHERE name = ?", [PEOPLE[1][0]])
    assert (as_stored(county)["A1"][:3], as_stored(county)["B1"][:3]) == ((1, 2, 1), (1, 1, 1))
    with storage.transaction(county):
        county.execute("DELETE FROM roster WHERE school_code = 'A1'")
    assert as_stored(county)["A1"][:3] == (1, 0, 0)
    assert_kept_right(county)


def test_recompute_derived_runs_only_inside_a_write_transaction(county):
    with pytest.raises(RuntimeError):
        storage.recompute_derived(county)


# --- every write is one transaction, the derived data in it -------------------------------------


def test_a_declaration_whose_standing_fails_leaves_no_version_behind(county, monkeypatch):
    declare(county, "A1")
    before = (county.execute("SELECT COUNT(*) FROM declarations").fetchone()[0], derived_tables(county))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(storage.declarations, "refresh_standings", broken)
    with pytest.raises(RuntimeError):
        declare(county, "A1", campus_disinfected=False)
    assert (county.execute("SELECT COUNT(*) FROM declarations").fetchone()[0], derived_tables(county)) == before


def test_a_settings_change_whose_standings_fail_leaves_the_settings_as_they_were(county, monkeypatch):
    declare(county, "A1")
    monkeypatch.setattr(storage.derived, "refresh_standings", mock.Mock(side_effect=RuntimeError("the disk went away")))
    with pytest.raises(RuntimeError):
        storage.save_settings(county, CountySettings(epidemic_controlled=False), actor="test")
    assert storage.load_settings(county).epidemic_controlled is True
    assert as_stored(county)["A1"].verdict_now == "ready"


def test_a_pledge_and_its_tally_are_one_write(county):
    """A pledge that fails after its insert (inside the transaction) leaves no tally behind."""
    with pytest.raises(RuntimeError):
        with storage.transaction(county):
            sign_sql = storage.insert_sql(
                "pledges",
                ["school_code", "pledge_version", "name", "phone", "text_sha256", "reference", "submitted_at"],
            )
            county.execute(sign_sql, ["A1", schemas.PLEDGE_VERSION, "某人", "13700000000", "x" * 64, "RRRRRRRR", "t"])
            assert as_stored(county)["A1"][0] == 1  # counted inside the transaction
            raise RuntimeError("crash before commit")
    assert as_stored(county)["A1"][0] == 0


# --- written some other way: never wrong, and put right by migrate --------------------------------


def raw_declaration(db, code: str, version: int, **changes) -> None:
    """A declaration version written straight into the table, as a merge script might."""
    declaration = Declaration.model_validate(valid_declaration_answers(**changes))
    result = verdict(declaration, CountySettings(epidemic_controlled=True))
    row = {
        "school_code": code,
        "version": version,
        "submitted_at": clock.timestamp(),
        "schema_version": schemas.SCHEMA_VERSION,
        "verdict": result.value,
        "gaps": json.dumps([g.as_dict() for g in result.gaps], ensure_ascii=False),
        "submit_key": uuid.uuid4().hex,
        **storage.to_row(declaration),
    }
    with storage.transaction(db):
        db.execute(storage.insert_sql("declarations", list(row)), list(row.values()))


def test_a_declaration_written_around_record_declaration_is_shown_right_and_migrate_stores_it(county):
    declare(county, "A1")
    raw_declaration(county, "A1", 2, campus_disinfected=False)
    raw_declaration(county, "B1", 1)
    assert storage.stale_standings(county) == ["A1", "B1"]
    settings = storage.load_settings(county)
    assert as_dashboard(county, settings) == from_scratch(county, settings)
    assert as_dashboard(county, settings)["A1"].version == 2
    storage.migrate(county)
    assert_kept_right(county)


def test_settings_written_around_save_settings_are_applied_on_reading_and_by_migrate(county):
    declare(county, "A1")
    with storage.transaction(county):
        county.execute("UPDATE settings SET value = 'false' WHERE key = 'epidemic_controlled'")
    settings = storage.load_settings(county)
    assert settings.epidemic_controlled is False
    assert as_dashboard(county, settings)["A1"].verdict_now == "not_ready"
    assert as_stored(county)["A1"].verdict_now == "ready"  # stored under the old settings
    storage.migrate(county)
    assert_kept_right(county)


def test_a_new_release_of_the_rules_makes_migrate_work_every_standing_out_again(county, monkeypatch):
    declare(county, "A1")
    basis = storage.stored_standings_basis(county)
    monkeypatch.setattr(storage.derived, "rules_digest", lambda: "a later release")
    settings = storage.load_settings(county)
    assert storage.standings_basis(settings) != basis
    with mock.patch.object(storage.overview, "fresh_standings", wraps=storage.fresh_standings) as worked_out:
        as_dashboard(county, settings)
        assert worked_out.call_args == mock.call(county, settings, None)  # read: every school afresh
        storage.migrate(county)
    assert storage.stored_standings_basis(county) == storage.standings_basis(settings)
    assert_kept_right(county)


def test_the_rules_digest_follows_the_source_of_schemas(tmp_path, monkeypatch):
    copy = tmp_path / "schemas"
    copy.mkdir()
    for source in Path(schemas.__file__).parent.glob("*.py"):
        (copy / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(schemas, "__file__", str(copy / "__init__.py"))
    digest = storage.rules_digest.__wrapped__  # not the one cached for this process
    assert digest() == storage.rules_digest()
    with open(copy / "verdict.py", "a") as source:
        source.write("\n# a rule changed\n")
    assert digest() != storage.rules_digest()


def test_migrating_an_existing_database_fills_the_tallies_and_standings(tmp_path):
    db = storage.open_db(tmp_path / "old.db")
    with storage.transaction(db):
        storage.MIGRATIONS.apply(db, stop_before="m003_derived_standings_and_tallies")
        storage.add_model_columns(db)
    assert "school_standings" not in db.table_names()
    storage.upsert_schools(db, [School(code="A1", name="甲小学", kind="小学", township="东镇")], actor="test")
    storage.replace_roster(db, "A1", roster_of(PEOPLE[:3]), "test")
    sign(db, "A1", 0)
    sign(db, "A1", 5)
    with mock.patch.object(storage.declarations, "refresh_standings"):  # a release before standings were kept
        declare(db, "A1", campus_disinfected=False)
        declare(db, "A1")
    storage.migrate(db)
    assert as_stored(db)["A1"][:4] == (2, 3, 1, 2)
    assert_kept_right(db)
    db.close()


def test_the_demo_county_comes_with_its_tallies_and_standings(db):
    demo.load_demo(db, seed=7)
    assert_kept_right(db)
    recomputed_changes_nothing(db)


def test_a_restored_backup_comes_back_with_its_tallies_and_standings_right(county, tmp_path):
    storage.replace_roster(county, "A1", roster_of(PEOPLE[:3]), "test")
    sign(county, "A1", 0)
    declare(county, "A1")
    with storage.transaction(county):  # as a backup by an earlier release would have it
        county.execute("UPDATE derived_state SET value = 'an earlier release' WHERE key = 'standings_basis'")
    backup.backup(county, tmp_path / "backup.db")
    target = tmp_path / "restored" / "checklist.db"
    backup.restore(tmp_path / "backup.db", target)
    create_app({"DATABASE": str(target), "SECRET_KEY": "x", "TESTING": True})  # starting migrates
    restored = storage.open_db(target)
    try:
        assert_kept_right(restored)
        assert as_stored(restored)["A1"][:4] == (1, 3, 1, 1)
    finally:
        restored.close()


# --- downloads carry data, not what is derived from it -------------------------------------------


def test_no_download_carries_the_derived_tables_or_their_triggers(county, tmp_path):
    sign(county, "A1", 0)
    declare(county, "A1")
    snapshot = sqlite3.connect(storage.snapshot(county, tmp_path / "snap.sqlite"))
    objects = snapshot.execute("SELECT type, name FROM sqlite_master").fetchall()
    snapshot.close()
    names = {name for _type, name in objects}
    assert {"pledges", "declarations", "roster"} <= names
    assert not names & set(storage.DERIVED_TABLES)
    assert not [name for kind, name in objects if kind == "trigger"]
    assert not set(storage.DERIVED_TABLES) & set(PUBLIC_TABLES)


# --- query plans: no view scans the roster or the pledges ---------------------------------------


def plan(db, sql: str, params) -> str:
    return " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_the_tallies_look_people_up_by_index(county):
    person = ["A1", "某人", "13700000000"]
    on_roster = plan(county, "SELECT 1 FROM roster r WHERE r.school_code = ? AND r.name = ? AND r.phone = ?", person)
    signed = plan(
        county, "SELECT p.pledge_version FROM pledges p WHERE p.school_code = ? AND p.name = ? AND p.phone = ?", person
    )
    for found in (on_roster, signed):
        assert "SEARCH" in found and "INDEX" in found and "SCAN" not in found


def test_the_unsigned_names_are_read_only_from_schools_with_someone_unsigned(county):
    found = plan(county, storage.UNSIGNED_ROSTER_SQL, {"version": schemas.PLEDGE_VERSION})
    assert "SEARCH r USING INDEX" in found and "SCAN r" not in found
    storage.replace_roster(county, "A1", roster_of(PEOPLE[:2]), "test")
    storage.replace_roster(county, "B1", roster_of(PEOPLE[2:5]), "test")
    for person in (1, 2, 3, 4):
        sign(county, "A1" if person < 2 else "B1", person)
    assert [(p["school_code"], p["name"]) for p in storage.unsigned_roster(county)] == [("A1", PEOPLE[0][0])]
    sign(county, "A1", 0)
    assert storage.unsigned_roster(county) == []
