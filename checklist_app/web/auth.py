"""Who is asking: a school (school code + access code) or a bureau admin (username + password).

Sessions are Flask's signed cookies, made anew at login and ended after
PERMANENT_SESSION_LIFETIME without a request. Failed logins are throttled per school code or
account and per address: guessing is limited, people are not.
"""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from schemas import declares

from .. import storage
from .db import get_db
from .security import is_app_path

DUMMY_PASSWORD_HASH = generate_password_hash("not a password")


def start_session(**identity) -> None:
    """Rotate: drop whatever the old session held, then hold only this identity."""
    session.clear()
    session.permanent = True
    session.update(identity, seen=time.time())


def end_session() -> None:
    session.clear()


def _expire_idle_sessions() -> None:
    g.school_code = g.admin = None
    if not is_app_path(request.path) or request.path.startswith("/static/"):
        return  # a site page or a file: no session read, so no `Vary: Cookie` on what caches keep
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    seen = session.get("seen")
    if seen is not None and time.time() - seen > lifetime:
        session.clear()
    elif seen is not None:
        session["seen"] = time.time()
    g.school_code = session.get("school_code")
    g.admin = session.get("admin")


def throttle_keys(kind: str, who: str) -> list[str]:
    return [f"{kind}:{who}", f"addr:{request.remote_addr}"]


def too_many_failures(keys: list[str]) -> bool:
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    db = get_db()
    # the address limit is looser: a school's staff may share one carrier NAT address
    return any(
        storage.recent_failures(db, key, window) >= (limit * 4 if key.startswith("addr:") else limit) for key in keys
    )


def note_login(keys: list[str], ok: bool, actor: str) -> None:
    storage.record_login(get_db(), keys, ok, actor, current_app.config["LOGIN_WINDOW_SECONDS"])


def check_school_login(school_code: str, access_code: str) -> bool:
    school = storage.get_school(get_db(), school_code)
    return storage.check_secret(school["access_code_hash"] if school else None, access_code.upper())


def check_admin_login(username: str, password: str) -> bool:
    admin = storage.get_admin(get_db(), username)
    stored = admin["password_hash"] if admin else DUMMY_PASSWORD_HASH
    return check_password_hash(stored, password) and admin is not None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def current_school() -> dict:
    """The logged-in school's row, read once per request. A school removed since its login is
    logged out rather than shown pages of a school that no longer exists."""
    if "school" not in g:
        school = storage.get_school(get_db(), g.school_code)
        if school is None:
            end_session()
            abort(403)
        g.school = school
    return g.school


def declaring_school() -> dict:
    """The logged-in school, when it is one that declares readiness and reports the ledger; the
    bureau's own organisation signs pledges only."""
    school = current_school()
    if not declares(school["kind"]):
        abort(404)
    return school


def school_globals() -> dict:
    """For school pages' templates: the school in the header (none on a page without login)."""
    if not g.get("school_code"):
        return {"current_school": None}
    try:
        return {"current_school": current_school()}
    except HTTPException:  # removed since login: the page itself answers 403
        return {"current_school": None}


def school_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("school_code") is None:
            if g.get("admin") is not None:
                abort(403)
            return redirect(url_for("school.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def bureau_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("admin") is None:
            if g.get("school_code") is not None:
                abort(403)
            return redirect(url_for("bureau.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def safe_next(default: str) -> str:
    """Only follow `next` to a path of this app, never to another host.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so "/\t/evil"
    would become "//evil": any control character or backslash refuses the target.
    """
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.scheme
        and not parts.netloc
        and not any(ord(c) < 0x20 or c in "\\\x7f" for c in target)
    ):
        return target
    return default


def init_app(app: Flask) -> None:
    app.before_request(_expire_idle_sessions)
