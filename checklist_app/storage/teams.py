"""Inspection teams (检查组): which schools each team of inspectors looks after.

One team per school: assigning a school to another team moves it. The bureau's own organisation
declares nothing, so no team inspects it: it is never assigned, nor listed as waiting for a team.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import BUREAU_KIND, clock
from schemas.collation import pinyin_key, school_order

from .audit import audit
from .connection import query_one, transaction


class TeamError(ValueError):
    """Input a team verb refuses, with the input it is about ("team", "townships" or "codes")."""

    def __init__(self, about: str, message: str):
        super().__init__(message)
        self.about = about


@dataclass(frozen=True)
class Assignment:
    """What `assign_schools` did: the codes assigned, and those moved from another team (code → team)."""

    codes: list[str]
    moved: dict[str, str] = field(default_factory=dict)


def ensure_team(db, name: str, actor: str) -> bool:
    """Create team `name` if missing (audited), inside the caller's transaction; whether it was."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO inspection_teams (name, created_at) VALUES (?, ?)", [name, clock.timestamp()]
    )
    if cursor.rowcount > 0:
        audit(db, actor, "team.create", name)
        return True
    return False


def _team_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TeamError("team", "检查组名称不能为空。")
    return name


def create_team(db, name: str, actor: str) -> bool:
    """Create the team; False when a team of that name already exists (nothing changes)."""
    name = _team_name(name)
    with transaction(db):
        return ensure_team(db, name, actor)


def _chosen_schools(db, townships, codes) -> list[str]:
    """The codes of the declaring schools of `townships` and of `codes` (whatever their letter
    case), in that order, once each; TeamError naming every township or code that fails."""
    chosen: list[str] = []
    empty = []
    for township in townships:
        found = [
            r[0]
            for r in db.execute(
                "SELECT code FROM schools WHERE township = ? AND kind != ? ORDER BY code", [township, BUREAU_KIND]
            )
        ]
        chosen.extend(found)
        if not found:
            empty.append(township)
    if empty:
        raise TeamError("townships", f"乡镇“{'、'.join(empty)}”没有学校。")
    unknown, bureau = [], []
    for code in codes:
        row = query_one(
            db,
            "SELECT code, kind FROM schools WHERE code = ? COLLATE NOCASE ORDER BY code = ? DESC LIMIT 1",
            [code, code],
        )
        if row is None:
            unknown.append(code)
        elif row["kind"] == BUREAU_KIND:
            bureau.append(code)
        else:
            chosen.append(row["code"])
    if unknown:
        raise TeamError("codes", f"未知学校代码：{'、'.join(unknown)}。")
    if bureau:
        raise TeamError("codes", f"教育局机关不申报，无需分配检查组：{'、'.join(bureau)}。")
    return list(dict.fromkeys(chosen))


def assign_schools(db, team: str, townships=(), codes=(), actor: str = "cli") -> Assignment:
    """Assign the schools of `townships` and the `codes` to `team` (created if missing).

    An unknown code, the bureau's own organisation or a township with no school assigns nothing.
    """
    team = _team_name(team)
    with transaction(db):
        chosen = _chosen_schools(db, townships, codes)
        before = dict(db.execute("SELECT school_code, team FROM team_schools").fetchall()) if chosen else {}
        moved = {code: before[code] for code in chosen if before.get(code, team) != team}
        ensure_team(db, team, actor)
        now = clock.timestamp()
        db.conn.executemany(
            "INSERT OR REPLACE INTO team_schools (school_code, team, assigned_at) VALUES (?, ?, ?)",
            [(code, team, now) for code in chosen],
        )
        audit(db, actor, "team.assign", team, {"codes": chosen, "moved": moved})
    return Assignment(chosen, moved)


def team_codes(db, team: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT school_code FROM team_schools WHERE team = ?", [team])}


def team_of(db, school_code: str) -> str | None:
    row = query_one(db, "SELECT team FROM team_schools WHERE school_code = ?", [school_code])
    return row["team"] if row else None


def _in_school_order(rows) -> list[dict]:
    return sorted(rows, key=lambda r: school_order(r["township"], r["name"], r["code"]))


def list_teams(db) -> list[dict]:
    """Every team: name, how many schools, its inspectors' usernames and its schools (code, name,
    township) in township and name order."""
    members: dict[str, list[dict]] = {}
    for row in _in_school_order(
        db.query(
            """SELECT t.team, s.code, s.name, s.township FROM team_schools t
               JOIN schools s ON s.code = t.school_code"""
        )
    ):
        members.setdefault(row.pop("team"), []).append(row)
    inspectors: dict[str, list[str]] = {}
    for username, team in db.execute(
        "SELECT username, team FROM admins WHERE role = 'inspector' ORDER BY username"
    ).fetchall():
        inspectors.setdefault(team, []).append(username)
    return [
        {
            "name": name,
            "schools": len(members.get(name, [])),
            "inspectors": inspectors.get(name, []),
            "members": members.get(name, []),
        }
        for (name,) in db.execute("SELECT name FROM inspection_teams ORDER BY name").fetchall()
    ]


def unassigned_schools(db) -> list[dict]:
    """The declaring schools no team looks after (code, name, township), in township and name order."""
    return _in_school_order(
        db.query(
            """SELECT code, name, township FROM schools
               WHERE kind != ? AND code NOT IN (SELECT school_code FROM team_schools)""",
            [BUREAU_KIND],
        )
    )


def township_counts(db) -> list[tuple[str, int]]:
    """Each township with its number of declaring schools, in pinyin order: what can be assigned."""
    rows = db.execute(
        "SELECT township, COUNT(*) FROM schools WHERE kind != ? GROUP BY township", [BUREAU_KIND]
    ).fetchall()
    return sorted(((t, n) for t, n in rows), key=lambda r: pinyin_key(r[0]))
