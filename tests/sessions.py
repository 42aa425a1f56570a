"""Sessions as the app makes them at login, set directly on a test client, and the CSRF token
that goes with them (as Flask-WTF's `generate_csrf` would put it on a page)."""

from __future__ import annotations

import secrets

from itsdangerous import URLSafeTimedSerializer

ROLES = ("anonymous", "school_a", "school_b", "bureau", "inspector")  # inspector: a bureau login of team A


def csrf_for(app, client) -> str:
    """Put a CSRF secret in the client's session and return the signed token a form would carry."""
    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def log_in(client, *, school_code: str | None = None, admin: str | None = None) -> None:
    """A session as login makes it: a row on the server, its token in the cookie."""
    from checklist_app import storage

    kind, subject = ("school", school_code) if school_code is not None else ("admin", admin)
    db = storage.open_db(client.application.config["DATABASE"])
    try:
        token = storage.open_session(db, kind, subject)
    finally:
        db.close()
    with client.session_transaction() as session:
        session.clear()
        session.permanent = True
        session["school_code" if kind == "school" else "admin"] = subject
        session["sid"] = token


def client_as(app, role: str, identities: dict[str, dict]):
    """A fresh client in one role: `identities[role]` is what log_in takes (empty: anonymous)."""
    client = app.test_client()
    if identities.get(role):
        log_in(client, **identities[role])
    return client
