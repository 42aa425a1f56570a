"""Inspection teams (检查组): which schools each team of inspectors looks after.

One team per school: assigning a school to another team moves it.
"""

from __future__ import annotations

from schemas import clock

from .audit import audit
from .connection import query_one, transaction


def _ensure_team(db, name: str) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO inspection_teams (name, created_at) VALUES (?, ?)", [name, clock.timestamp()]
    )
    return cursor.rowcount > 0


def create_team(db, name: str, actor: str) -> None:
    name = name.strip()
    if not name:
        raise ValueError("检查组名称不能为空。")
    with transaction(db):
        if _ensure_team(db, name):
            audit(db, actor, "team.create", name)


def assign_schools(db, team: str, townships=(), codes=(), actor: str = "cli") -> list[str]:
    """Assign the schools of `townships` and the `codes` to `team`; return the codes assigned.

    An unknown code or a township with no school assigns nothing.
    """
    team = team.strip()
    if not team:
        raise ValueError("检查组名称不能为空。")
    with transaction(db):
        chosen: list[str] = []
        for township in townships:
            found = [r[0] for r in db.execute("SELECT code FROM schools WHERE township = ? ORDER BY code", [township])]
            if not found:
                raise ValueError(f"乡镇“{township}”没有学校。")
            chosen.extend(found)
        for code in codes:
            if query_one(db, "SELECT code FROM schools WHERE code = ?", [code]) is None:
                raise ValueError(f"未知学校代码：{code}。")
            chosen.append(code)
        chosen = list(dict.fromkeys(chosen))
        if _ensure_team(db, team):
            audit(db, actor, "team.create", team)
        now = clock.timestamp()
        for code in chosen:
            db.execute(
                "INSERT OR REPLACE INTO team_schools (school_code, team, assigned_at) VALUES (?, ?, ?)",
                [code, team, now],
            )
        audit(db, actor, "team.assign", team, {"codes": chosen})
    return chosen


def team_codes(db, team: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT school_code FROM team_schools WHERE team = ?", [team])}


def team_of(db, school_code: str) -> str | None:
    row = query_one(db, "SELECT team FROM team_schools WHERE school_code = ?", [school_code])
    return row["team"] if row else None


def list_teams(db) -> list[dict]:
    """Every team: name, how many schools, and its inspectors' usernames."""
    teams = []
    for (name,) in db.execute("SELECT name FROM inspection_teams ORDER BY name").fetchall():
        count = db.execute("SELECT COUNT(*) FROM team_schools WHERE team = ?", [name]).fetchone()[0]
        inspectors = [
            r[0]
            for r in db.execute(
                "SELECT username FROM admins WHERE role = 'inspector' AND team = ? ORDER BY username", [name]
            )
        ]
        teams.append({"name": name, "schools": count, "inspectors": inspectors})
    return teams
