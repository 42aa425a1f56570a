"""A province instance with three counties' downloads taken in, for the upper level's console,
download and read-only tests; and what each download holds, counted from the file itself (not
through the code under test)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from checklist_app import create_app, storage
from checklist_app.demo import load_demo
from schemas import DECLARING_KINDS, PLEDGE_VERSION
from schemas.verdict import LEGAL_CONDITIONS
from tests.bureau_support import create_admin
from tests.test_rollup import PROVINCE, T1, county_db, download, small_county

INSPECTOR = "inspector_a"
# Three counties of 吉林省, each with its download: 梨树 taken first, then 伊通 (the demo county)
# and 双辽 a day later; at NOW 梨树's data is more than a day old.
COUNTIES = {
    "220322": ("梨树县", small_county, T1),
    "220323": ("伊通满族自治县", lambda db: load_demo(db, seed=17), T1 + dt.timedelta(days=1)),
    "220382": ("双辽市", lambda db: small_county(db, schools=5), T1 + dt.timedelta(days=1, hours=1)),
}
NOW = T1 + dt.timedelta(days=1, hours=3)


def make_downloads(tmp_path: Path) -> dict[str, Path]:
    """Each county's SQLite download: {region code: file} (the `county_downloads` fixture)."""
    made = {}
    for code, (name, fill, taken_at) in COUNTIES.items():
        db = county_db(tmp_path, code)
        try:
            fill(db)
            made[code] = download(db, tmp_path, code, name, taken_at)
        finally:
            db.close()
    return made


def make_province(tmp_path: Path, downloads: dict[str, Path]):
    """A province instance (level = "province", 220000) holding `downloads`, with a bureau
    admin and an inspector account (the `province` fixture; `chief` is its admin logged in)."""
    app = create_app(
        {"DATABASE": str(tmp_path / "province.db"), "SECRET_KEY": "test-secret-key", "TESTING": True}
        | {"DEPLOYMENT": PROVINCE}
    )
    db = storage.open_db(app.config["DATABASE"])
    try:
        for path in downloads.values():
            storage.add_download(db, storage.check_download(db, path, PROVINCE), actor="test")
        create_admin(db)
        storage.create_admin(db, INSPECTOR, "unused-hash", role="inspector", team="A组")
    finally:
        db.close()
    return app


def rollup_rows(database: str | Path) -> dict[str, list[tuple]]:
    """Every row of every rollup table (whatever their number), in rowid order: what "unchanged"
    compares."""
    conn = sqlite3.connect(database)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup%'")
        ]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()


# --- what a download holds, counted from the file ------------------------------------------------


def _read(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def report_day(path: Path) -> dt.date:
    """The latest day the download holds ledger reports of."""
    [(day,)] = _read(path, "SELECT MAX(report_date) FROM ledger_reports")
    return dt.date.fromisoformat(day)


def expected_counts(path: Path, day: dt.date, township: str | None = None) -> dict[str, int]:
    """The dashboard's numbers for the county (or one township) the download at `path` holds,
    worked out here row by row in Python."""
    schools = {
        code: kind
        for code, kind, town in _read(path, "SELECT code, kind, township FROM schools")
        if township is None or town == township
    }
    declaring = {code for code, kind in schools.items() if kind in DECLARING_KINDS}
    latest: dict[str, tuple[int, str, list]] = {}
    for code, version, verdict, gaps in _read(path, "SELECT school_code, version, verdict, gaps FROM declarations"):
        if code in declaring and version > latest.get(code, (0,))[0]:
            latest[code] = (version, verdict, json.loads(gaps) if gaps else [])
    reports = [
        (code, out)
        for code, out in _read(
            path,
            "SELECT school_code, staff_out_of_province FROM ledger_reports WHERE report_date = ?",
            [day.isoformat()],
        )
        if code in declaring
    ]
    signed = {
        (code, name, phone)
        for code, name, phone, version in _read(path, "SELECT school_code, name, phone, pledge_version FROM pledges")
        if version == PLEDGE_VERSION and code in schools
    }
    roster = [row for row in _read(path, "SELECT school_code, name, phone FROM roster") if row[0] in schools]
    counts = {
        "schools": len(declaring),
        "declared": len(latest),
        "ready": sum(1 for _v, verdict, _g in latest.values() if verdict == "ready"),
        "not_ready": sum(1 for _v, verdict, _g in latest.values() if verdict == "not_ready"),
        "reported": len(reports),
        "staff_out_of_province": sum(out for _code, out in reports),
        "roster_size": len(roster),
        "roster_signed": sum(1 for row in roster if row in signed),
    }
    counts["undeclared"] = counts["schools"] - counts["declared"]
    counts["not_reported"] = counts["schools"] - counts["reported"]
    counts["unsigned"] = counts["roster_size"] - counts["roster_signed"]
    counts["legal_gaps"] = {
        code: sum(1 for g in gaps if g.get("condition") in LEGAL_CONDITIONS) for code, (_v, _r, gaps) in latest.items()
    }
    return counts


def townships(path: Path) -> list[str]:
    return sorted({town for (town,) in _read(path, "SELECT township FROM schools")})


def table_rows(path: Path, table: str) -> int:
    [(count,)] = _read(path, f'SELECT COUNT(*) FROM "{table}"')
    return count
