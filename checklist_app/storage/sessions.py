"""Login sessions kept on the server, so that they can end: at logout, when a school is given a
new access code or an account a new password, and when the bureau ends them. The cookie holds a
random token; the table holds only its SHA-256, so a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import secrets

from schemas import clock

from .connection import query_one, transaction

TOUCH_EVERY_SECONDS = 60  # how stale the last-seen time may get: no write on every request


def token_digest(token: str) -> str:
    """What is stored of a long random token (a session, a signing browser): its SHA-256. The
    token is random and long, so no slow KDF is needed, and lookups by digest stay exact."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db, kind: str, subject: str) -> str:
    """A new session of a school ("school", its code) or an account ("admin", its username)."""
    token = secrets.token_urlsafe(32)
    now = clock.now().timestamp()
    with transaction(db):
        db["sessions"].insert(
            {"token_sha256": token_digest(token), "kind": kind, "subject": subject, "created_at": now, "seen_at": now}
        )
    return token


def live_session(db, token: str, idle_seconds: float, absolute_seconds: float) -> dict | None:
    """The session of this token while it lives (used within `idle_seconds` and younger than
    `absolute_seconds`), else None and it is removed."""
    digest = token_digest(token)
    row = query_one(db, "SELECT * FROM sessions WHERE token_sha256 = ?", [digest])
    if row is None:
        return None
    now = clock.now().timestamp()
    if now - row["seen_at"] > idle_seconds or now - row["created_at"] > absolute_seconds:
        end_session(db, token)
        return None
    if now - row["seen_at"] > TOUCH_EVERY_SECONDS:
        with transaction(db):
            db.execute("UPDATE sessions SET seen_at = ? WHERE token_sha256 = ?", [now, digest])
    return row


def end_session(db, token: str) -> None:
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE token_sha256 = ?", [token_digest(token)])


def end_sessions_of(db, kind: str, subject: str | None = None) -> int:
    """End every session of one school or account (every one of the kind when subject is None)."""
    with transaction(db):
        return _end_sessions(db, kind, subject)


def _end_sessions(db, kind: str, subject: str | None) -> int:
    """Inside a caller's transaction (a new access code, a new password)."""
    if subject is None:
        return db.execute("DELETE FROM sessions WHERE kind = ?", [kind]).rowcount
    return db.execute("DELETE FROM sessions WHERE kind = ? AND subject = ?", [kind, subject]).rowcount


def purge_expired_sessions(db, idle_seconds: float, absolute_seconds: float) -> int:
    now = clock.now().timestamp()
    with transaction(db):
        return db.execute(
            "DELETE FROM sessions WHERE seen_at < ? OR created_at < ?", [now - idle_seconds, now - absolute_seconds]
        ).rowcount
