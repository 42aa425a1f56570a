"""The dashboard keeps the county it worked out until the data or the settings change: a change
made anywhere (this app, another connection, another process) shows on the next view."""

from __future__ import annotations

import subprocess
import sys

import pytest

from checklist_app import REPO_ROOT, storage
from schemas import CountySettings
from tests.bureau_support import (
    counts_on_page,
    create_admin,
    declare,
    login,
    phone,
    sign,
    upload_roster,
)


@pytest.fixture
def admin(client, db, make_school):
    create_admin(db)
    make_school("A01", name="甲小学")
    make_school("B01", name="乙小学")
    upload_roster(db, "A01", [("张三", phone(1)), ("李四", phone(2))])
    assert login(client).status_code == 302
    return client


def counts(client) -> dict[str, int]:
    response = client.get("/bureau/")
    assert response.status_code == 200
    return counts_on_page(response.get_data(as_text=True))


def test_a_view_repeated_without_a_change_shows_the_same_county(admin):
    assert counts(admin) == counts(admin)


def test_a_pledge_signed_through_another_connection_shows_on_the_next_view(admin, db):
    assert counts(admin)["roster_signed"] == 0
    sign(db, "A01", "张三", phone(1))
    assert counts(admin)["roster_signed"] == 1


def test_a_declaration_shows_on_the_next_view(admin, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    assert counts(admin)["declared"] == 0
    declare(db, "B01")
    after = counts(admin)
    assert after["declared"] == 1 and after["ready"] == 1


def test_a_settings_change_shows_on_the_next_view(admin, db):
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")
    declare(db, "A01")
    assert counts(admin)["ready"] == 1
    storage.save_settings(db, CountySettings(epidemic_controlled=False), actor="test")
    assert counts(admin)["ready"] == 0


def test_a_change_made_by_another_process_shows_on_the_next_view(admin, app):
    assert counts(admin)["roster_size"] == 2
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from checklist_app import storage; "
        "db = storage.open_db(sys.argv[2]); "
        "storage.replace_roster(db, 'B01', [{'name': '王五', 'phone': '13900000003', 'role': 'teacher'}], actor='test')"
    )
    subprocess.run([sys.executable, "-c", script, str(REPO_ROOT), app.config["DATABASE"]], check=True, timeout=60)
    assert counts(admin)["roster_size"] == 3
