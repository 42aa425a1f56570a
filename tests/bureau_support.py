"""Helpers shared by the bureau console and download tests: an admin login, a declared school,
a roster and pledges, all made through `storage` as the app makes them."""

from __future__ import annotations

import re
import uuid

import schemas
from checklist_app import storage
from checklist_app.web import auth
from schemas import (
    BUREAU_KIND,
    CountySettings,
    Declaration,
    Pledge,
    clock,
    pledge_text_sha256,
    verdict,
)
from schemas.inspection import Inspection
from tests.conftest import csrf_token, valid_declaration_answers, valid_pledge_answers

ADMIN = "chief"
PASSWORD = "correct horse battery"


def create_admin(db, username: str = ADMIN, password: str = PASSWORD) -> None:
    storage.create_admin(db, username, auth.hash_password(password))


def two_townships(db, make_school) -> None:
    """Five schools in two townships (东镇 A1–A3, 西乡 B1–B2) and the bureau's own organisation,
    with the epidemic confirmed under control."""
    make_school("A1", "东镇第一小学", "小学", "东镇")
    make_school("A2", "东镇中学", "初中", "东镇")
    make_school("A3", "东镇幼儿园", "幼儿园", "东镇")
    make_school("B1", "西乡小学", "小学", "西乡")
    make_school("B2", "西乡中学", "初中", "西乡")
    make_school("JYJ", "县教育局机关", BUREAU_KIND, "东镇")
    storage.save_settings(db, CountySettings(epidemic_controlled=True), actor="test")


def login(client, username: str = ADMIN, password: str = PASSWORD, next_url: str | None = None):
    url = "/bureau/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client, "/bureau/login")
    return client.post(url, data={"csrf_token": token, "username": username, "password": password})


def declare(db, code: str, settings: schemas.CountySettings | None = None, **changes) -> dict:
    """Record a declaration version as the school's submit does, verdict under `settings`."""
    settings = settings or storage.load_settings(db)
    declaration = Declaration.model_validate(valid_declaration_answers(**changes))
    row, _created = storage.record_declaration(
        db, code, declaration, verdict(declaration, settings), submit_key=uuid.uuid4().hex
    )
    return row


def inspect(db, code: str, team: str, notes: dict[str, str] | None = None, **answers) -> dict:
    """Record an inspection of the school's latest version as the inspector's submit does:
    `answers` are the whole inspection's fields (inspected_on today unless given) and the
    findings by item (closed_management="confirmed"), `notes` the 情况说明 by item."""
    fields = {"inspected_on": clock.today(), "inspectors": "张三、李四"}
    for name, value in answers.items():
        fields[name if name in Inspection.model_fields else f"finding_{name}"] = value
    fields |= {f"note_{item}": note for item, note in (notes or {}).items()}
    version = storage.latest_declaration(db, code)["version"]
    row, _created = storage.record_inspection(
        db, code, team, version, Inspection.model_validate(fields), "jc1", uuid.uuid4().hex
    )
    return row


def not_ready_changes() -> dict:
    """An honest "not yet": the campus is not disinfected (a C2 gap)."""
    return {"campus_disinfected": False}


def sign(db, code: str, name: str, phone: str) -> dict:
    pledge = Pledge.model_validate(valid_pledge_answers(name=name, signature=name, phone=phone))
    row, _created = storage.record_pledge(db, code, pledge, pledge_text_sha256())
    return row


def upload_roster(db, code: str, people: list[tuple[str, str]]) -> None:
    storage.replace_roster(db, code, [{"name": n, "phone": p, "role": "teacher"} for n, p in people], actor="test")


def phone(n: int) -> str:
    return f"139{n:08d}"


def counts_on_page(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def table_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-school="([^"]+)"', html)
