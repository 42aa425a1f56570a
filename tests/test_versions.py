"""Version 1 stays readable: a declaration and a pledge stored by version 1, in a database of
version 1's shape, read back unchanged after `checklist init` migrates to version 2; their
standing now is judged only on what version 1 asked, and the school's next draft starts from
its version 1 answers (spec/readiness.md, spec/pledge.md: "What changed from version 1")."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from click.testing import CliRunner
from pydantic import create_model

from checklist_app import storage
from checklist_app.cli import main
from checklist_app.storage import migrations
from checklist_app.views.school import current_answers
from schemas import NOT_READY, READY, CountySettings, Declaration, School, dictionary, examples

# What version 2 asks that version 1 did not (spec/readiness.md), and the pledge's changes.
NEW_ITEMS = (
    "stay_in_county_work",
    "returnees_isolated",
    "all_staff_registered",
    "rumours_guarded",
    "supplies_stocked",
    "rules_studied",
    "no_outside_contact",
    "courses_prioritised",
    "grade_band_arranged",
    "tutoring_checked",
    "duties_assigned",
)
V1_PLEDGE_TICKS = ("item_rumours", "item_leave", "item_no_paid_tutoring", "item_health_code", "item_duties")

V1Declaration = create_model(
    "V1Declaration",
    **{name: (info.annotation, None) for name, info in Declaration.model_fields.items() if name not in NEW_ITEMS},
)
V1Pledge = create_model(
    "V1Pledge",
    name=(str, ...),
    role=(str, ...),
    phone=(str, ...),
    whereabouts=(str, ...),
    **{tick: (bool, False) for tick in (*V1_PLEDGE_TICKS, "item_truthful")},
    signature=(str, ...),
)

# As version 1 stored them: its verdict, under its own (since withdrawn) stock thresholds.
V1_GAPS = json.dumps(
    [
        {
            "field": "thermometers",
            "label": "测温仪器(台)",
            "condition": "C2",
            "policy_url": "/reopening/#落实防控保障工作",
            "requirement": "需至少 1 台",
        },
        {
            "field": "masks",
            "label": "口罩储备(个)",
            "condition": "C2",
            "policy_url": "/reopening/#落实防控保障工作",
            "requirement": "需 ≥(教职工总数 + 学生总数)× 口罩储备天数",
        },
    ],
    ensure_ascii=False,
)
V1_TEXT_SHA256 = hashlib.sha256("教职工疫情防控承诺书（第1版全文）".encode()).hexdigest()
TEACHER = {"name": "李老师", "phone": "13912345678", "role": "teacher"}


def v1_declaration_row() -> dict:
    v2 = storage.to_row(Declaration.model_validate(examples.declaration_answers(thermometers=0, masks=100)))
    answers = {k: v for k, v in v2.items() if k not in NEW_ITEMS}
    return {
        "school_code": "A1",
        "version": 1,
        "submitted_at": "2026-02-20T09:00:00+08:00",
        "schema_version": 1,
        "verdict": NOT_READY,
        "gaps": V1_GAPS,
        "submit_key": "v1-key",
        **answers,
    }


@pytest.fixture
def v1_database(tmp_path, monkeypatch):
    """A database as version 1 made it, holding a version 1 declaration and pledge."""
    path = tmp_path / "checklist.db"
    with monkeypatch.context() as v1:
        v1.setattr(migrations, "Declaration", V1Declaration)
        v1.setattr(migrations, "Pledge", V1Pledge)
        v1.setitem(dictionary.TABLE_MODELS, "declarations", V1Declaration)
        v1.setitem(dictionary.TABLE_MODELS, "pledges", V1Pledge)
        db = storage.open_db(path)
        storage.migrate(db)
        assert "stay_in_county_work" not in db["declarations"].columns_dict
        storage.upsert_schools(db, [School(code="A1", name="第一小学", kind="小学", township="城关镇")])
        storage.replace_roster(db, "A1", [TEACHER], actor="test")
        with storage.transaction(db):
            db["declarations"].insert(v1_declaration_row())
            db["pledges"].insert(
                {
                    "school_code": "A1",
                    "pledge_version": 1,
                    **TEACHER,
                    "whereabouts": "in_county",
                    **{tick: 1 for tick in (*V1_PLEDGE_TICKS, "item_truthful")},
                    "signature": TEACHER["name"],
                    "text_sha256": V1_TEXT_SHA256,
                    "reference": "ABCDEFGH",
                    "submitted_at": "2026-02-20T10:00:00+08:00",
                }
            )
        db.close()
    return path


@pytest.fixture
def migrated(v1_database):
    result = CliRunner(env={"CHECKLIST_DB": str(v1_database)}).invoke(main, ["init"], catch_exceptions=False)
    assert result.exit_code == 0
    return storage.open_db(v1_database)


def test_a_version_1_declaration_reads_back_unchanged_with_its_stored_verdict_after_init(migrated):
    row = storage.latest_declaration(migrated, "A1")
    expected = v1_declaration_row()
    assert {k: row[k] for k in expected} == expected
    assert row["verdict"] == NOT_READY and row["gaps"] == V1_GAPS
    assert all(row[name] is None for name in NEW_ITEMS)  # the new columns, added, unanswered


def test_a_version_1_pledge_keeps_its_text_hash_and_its_dropped_item_after_init(migrated):
    pledge = migrated.execute("SELECT * FROM pledges").fetchone()
    row = dict(zip([c[0] for c in migrated.execute("SELECT * FROM pledges").description], pledge, strict=True))
    assert row["pledge_version"] == 1 and row["text_sha256"] == V1_TEXT_SHA256 and row["reference"] == "ABCDEFGH"
    assert row["item_leave"] == 1  # a column version 2 dropped stays in the table
    assert row["item_stay"] is None and row["item_teaching"] is None


def test_the_standing_of_a_version_1_declaration_judges_only_what_version_1_asked(migrated):
    row = storage.latest_declaration(migrated, "A1")
    standing = storage.standing_of(row, CountySettings(epidemic_controlled=True))
    assert standing.stored.value == NOT_READY
    assert [g.field for g in standing.stored.gaps] == ["thermometers", "masks"]
    # no county standard: the withdrawn thresholds are gone, and no item v1 never asked is a gap
    assert standing.now.value == READY and standing.now.gaps == ()
    assert standing.changed
    strict = storage.standing_of(row, CountySettings(epidemic_controlled=True, mask_days=14))
    assert [(g.field, g.requirement) for g in strict.now.gaps] == [
        ("masks", "口罩储备低于本县标准：每人每天1个，按14天计")
    ]


def test_the_dashboard_standing_of_a_version_1_school_is_worked_out_after_init(migrated):
    verdict_now, stored = migrated.execute(
        "SELECT verdict_now, verdict FROM school_standings WHERE school_code = 'A1'"
    ).fetchone()
    assert (stored, verdict_now) == (NOT_READY, NOT_READY)  # the county has not confirmed 条件一


def test_the_next_draft_starts_from_the_version_1_answers_with_new_items_unanswered(migrated):
    answers = current_answers(migrated, "A1")
    assert answers["guidance"] == {"guidance_given": "y"}
    assert answers["people"]["staff_total"] == "50" and "stay_in_county_work" not in answers["people"]
    assert answers["responsibility"]["publicity_done"] == "y" and "duties_assigned" not in answers["responsibility"]
    assert answers["supplies"]["masks"] == "100" and "supplies_stocked" not in answers["supplies"]


def test_someone_who_signed_only_version_1_is_shown_apart_as_signed_earlier(migrated):
    status = storage.roster_status(migrated, "A1")
    assert status["signed"] == [] and status["unsigned"] == []
    assert [(p["name"], p["earlier_version"]) for p in status["signed_earlier"]] == [("李老师", 1)]


def test_the_pages_of_a_version_1_school_show_its_stored_verdict_and_invent_no_new_gaps(migrated, client):
    from tests.bureau_support import create_admin, login

    create_admin(migrated)
    assert login(client).status_code == 302
    page = client.get("/bureau/schools/A1").get_data(as_text=True)
    assert 'data-verdict-stored="not_ready"' in page
    stored = page.split("缺项（提交时）")[1]
    assert "测温仪器(台)" in stored and "需至少 1 台" in stored  # as version 1 stored them
    for name in NEW_ITEMS:
        assert Declaration.model_fields[name].title not in page.split("缺项（提交时）")[0]
    assert client.get("/bureau/").status_code == 200


def test_a_version_1_declarations_answers_show_the_new_items_as_not_asked(migrated, client):
    from tests.bureau_support import create_admin, login

    create_admin(migrated)
    assert login(client).status_code == 302
    page = client.get("/bureau/schools/A1").get_data(as_text=True)
    rows = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd>\s*(?:<span[^>]*>)?([^<]+)", page))
    for name in NEW_ITEMS:
        assert rows[Declaration.model_fields[name].title].strip() == "该版本未设此项"
    assert rows["校园已实行封闭管理"].strip() == "是"
    assert rows[Declaration.model_fields["work_plan"].title].strip() == "未填写"  # asked, left blank
