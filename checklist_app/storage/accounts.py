"""Bureau accounts and login throttling."""

from __future__ import annotations

from schemas import clock

from .audit import audit
from .connection import query_one, transaction


def create_admin(db, username: str, password_hash: str) -> None:
    with transaction(db):
        db["admins"].upsert(
            {"username": username, "password_hash": password_hash, "created_at": clock.timestamp()}, pk="username"
        )
        audit(db, "cli", "admin.create", username)


def get_admin(db, username: str) -> dict | None:
    return query_one(db, "SELECT * FROM admins WHERE username = ?", [username])


def recent_failures(db, key: str, window_seconds: float) -> int:
    since = clock.now().timestamp() - window_seconds
    (count,) = db.execute("SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?", [key, since]).fetchone()
    return count


def record_login(db, keys: list[str], ok: bool, actor: str, window_seconds: float) -> None:
    """Audit a login attempt; count a failure against each key (school, account, address)."""
    stamp = clock.now().timestamp()
    with transaction(db):
        db.execute("DELETE FROM login_failures WHERE at < ?", [stamp - window_seconds])
        if ok:
            db.execute(f"DELETE FROM login_failures WHERE key IN ({','.join('?' * len(keys))})", keys)
        else:
            db["login_failures"].insert_all({"key": k, "at": stamp} for k in keys)
        audit(db, actor, "login.success" if ok else "login.failure")
