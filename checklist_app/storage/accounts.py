"""Bureau accounts and login throttling.

A failure counts against three keys: the account ("school:CODE", "admin:NAME"), the pair of
account and address ("school:CODE|1.2.3.4") and the address ("addr:1.2.3.4"). A valid login
clears its own pair only: it says nothing of guesses at other accounts.
"""

from __future__ import annotations

import json

from schemas import clock

from .audit import audit
from .connection import query_one, transaction
from .sessions import _end_sessions
from .teams import ensure_team

ROLES = ("admin", "inspector")


def create_admin(db, username: str, password_hash: str, role: str = "admin", team: str | None = None) -> None:
    """Create an account, or give one a new password: that ends every session it had.

    An inspector must have a team (created if missing); an admin has none.
    """
    if role not in ROLES:
        raise ValueError(f"未知角色：{role}。")
    if role == "inspector" and not team:
        raise ValueError("检查员必须指定检查组（--team）。")
    if role == "admin":
        team = None
    with transaction(db):
        if team:
            ensure_team(db, team, "cli")
        db["admins"].upsert(
            {
                "username": username,
                "password_hash": password_hash,
                "created_at": clock.timestamp(),
                "role": role,
                "team": team,
            },
            pk="username",
        )
        _end_sessions(db, "admin", username)
        audit(db, "cli", "admin.create", username)


def get_admin(db, username: str) -> dict | None:
    return query_one(db, "SELECT * FROM admins WHERE username = ?", [username])


def recent_failures(db, key: str, window_seconds: float) -> int:
    since = clock.now().timestamp() - window_seconds
    (count,) = db.execute("SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?", [key, since]).fetchone()
    return count


def last_failure_at(db, key: str) -> float | None:
    (last,) = db.execute("SELECT MAX(at) FROM login_failures WHERE key = ?", [key]).fetchone()
    return last


def record_login(db, keys: list[str], ok: bool, actor: str, window_seconds: float, cleared: list[str]) -> None:
    """Audit a login attempt; count a failure against each key, or clear `cleared` on success."""
    stamp = clock.now().timestamp()
    with transaction(db):
        db.execute("DELETE FROM login_failures WHERE at < ?", [stamp - window_seconds])
        if ok:
            db.execute(f"DELETE FROM login_failures WHERE key IN ({','.join('?' * len(cleared))})", cleared)
        else:
            db["login_failures"].insert_all({"key": k, "at": stamp} for k in keys)
        audit(db, actor, "login.success" if ok else "login.failure")


def note_throttled(db, actor: str, key: str, window_seconds: float) -> None:
    """One audit row per throttled key and window, counting its attempts, not one row each."""
    now = clock.now().timestamp()
    window_start = now - now % window_seconds
    with transaction(db):
        kept = query_one(db, "SELECT * FROM login_throttles WHERE key = ?", [key])
        if kept and kept["window_start"] == window_start:
            attempts = kept["attempts"] + 1
            detail = json.dumps({"key": key, "attempts": attempts})
            db.execute("UPDATE audit_log SET detail = ? WHERE id = ?", [detail, kept["audit_id"]])
        else:
            attempts = 1
            audit(db, actor, "login.throttled", key.split("|")[0], {"key": key, "attempts": attempts})
            kept = {"audit_id": db.execute("SELECT last_insert_rowid()").fetchone()[0]}
        db["login_throttles"].upsert(
            {"key": key, "window_start": window_start, "audit_id": kept["audit_id"], "attempts": attempts},
            pk="key",
        )


def unlock_account(db, account: str, actor: str) -> int:
    """Forget the failures counted against an account and its pairs (the bureau's unlock)."""
    with transaction(db):
        cleared = db.execute(
            "DELETE FROM login_failures WHERE key = ? OR substr(key, 1, ?) = ?",
            [account, len(account) + 1, account + "|"],
        ).rowcount
        audit(db, actor, "login.unlock", account, {"failures": cleared})
    return cleared
