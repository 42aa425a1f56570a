"""Who is asking: a school (school code + access code) or a bureau admin (username + password).

A session lives on the server (`storage.sessions`); the cookie holds its random token. It ends
at logout, when the school gets a new access code or the account a new password, when the
bureau ends it, after SESSION_IDLE_LIFETIME without a request and PERMANENT_SESSION_LIFETIME
after login however busy, whoever holds a copy of the cookie.

Failed logins slow guessing without handing a guesser a lock on the owner: an account and
address pair is refused for the window after LOGIN_MAX_FAILURES failures, an address after four
times as many across accounts, and an account, from any address, waits a delay that doubles
with each failure past the limit up to LOGIN_MAX_DELAY_SECONDS. The owner at their own address
waits that long at most; the bureau can clear it (`storage.unlock_account`).
"""

from __future__ import annotations

import functools
import math
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from schemas import clock, declares

from .. import storage
from .db import get_db
from .errors import render_error
from .security import is_app_path

DUMMY_PASSWORD_HASH = generate_password_hash("not a password")
IDENTITIES = {"school_code": "school", "admin": "admin"}  # session key -> storage's kind


def start_session(**identity) -> None:
    """Rotate: drop whatever the old session held, then hold only this identity and the token
    of its server-side session."""
    (key, subject), *_ = identity.items()
    end_session()
    db = get_db()
    storage.purge_expired_sessions(db, *_lifetimes())
    session.permanent = True
    session.update(identity, sid=storage.open_session(db, IDENTITIES[key], subject))


def end_session() -> None:
    token = session.get("sid")
    if token:
        storage.end_session(get_db(), token)
    session.clear()


def _lifetimes() -> tuple[float, float]:
    config = current_app.config
    return config["SESSION_IDLE_LIFETIME"].total_seconds(), config["PERMANENT_SESSION_LIFETIME"].total_seconds()


def _load_session() -> None:
    g.school_code = g.admin = g.role = g.team = None
    if not is_app_path(request.path) or request.path.startswith("/static/"):
        return  # a site page or a file: no session read, so no `Vary: Cookie` on what caches keep
    token = session.get("sid")
    if token is None:
        if any(key in session for key in IDENTITIES):
            session.clear()  # a cookie from before server-side sessions: log in again
        return
    live = storage.live_session(get_db(), token, *_lifetimes())
    if live is None:
        session.clear()
        return
    g.school_code = live["subject"] if live["kind"] == "school" else None
    g.admin = live["subject"] if live["kind"] == "admin" else None
    if g.admin is not None:
        account = storage.get_admin(get_db(), g.admin)
        g.role = (account or {}).get("role") or "admin"
        g.team = (account or {}).get("team") if g.role == "inspector" else None


def throttle_keys(kind: str, who: str) -> list[str]:
    """The account, the pair of account and address, the address."""
    account = f"{kind}:{who}"
    return [account, f"{account}|{request.remote_addr}", f"addr:{request.remote_addr}"]


def _wait(keys: list[str]) -> tuple[str, str | None] | None:
    """(the key that holds this attempt back, what to tell the person), or None to go on."""
    config = current_app.config
    window, limit = config["LOGIN_WINDOW_SECONDS"], config["LOGIN_MAX_FAILURES"]
    account, pair, address = keys
    db = get_db()
    if storage.recent_failures(db, pair, window) >= limit:
        return pair, None
    # looser per address: a school's staff may share one carrier NAT address
    if storage.recent_failures(db, address, window) >= limit * 4:
        return address, None
    failures = storage.recent_failures(db, account, window)
    if failures >= limit:
        delay = min(config["LOGIN_MAX_DELAY_SECONDS"], 2 ** (failures - limit))
        left = storage.last_failure_at(db, account) + delay - clock.now().timestamp()
        if left > 0:
            return account, f"登录失败次数过多，请 {math.ceil(left)} 秒后再试。"
    return None


def throttled(keys: list[str], actor: str):
    """The 429 page for an attempt that must wait (counted in one audit row per key and
    window), or None."""
    held = _wait(keys)
    if held is None:
        return None
    key, message = held
    storage.note_throttled(get_db(), actor, key, current_app.config["LOGIN_WINDOW_SECONDS"])
    return render_error(429, message)


def note_login(keys: list[str], ok: bool, actor: str) -> None:
    """Count a failure against every key; a success clears its own pair only."""
    storage.record_login(get_db(), keys, ok, actor, current_app.config["LOGIN_WINDOW_SECONDS"], cleared=keys[1:2])


def check_school_login(school_code: str, access_code: str) -> bool:
    db = get_db()
    school = storage.get_school(db, school_code)
    stored = school["access_code_hash"] if school else None
    ok = storage.check_secret(stored, access_code.upper())
    if ok and storage.is_outdated_hash(stored):
        storage.upgrade_access_code(db, school["code"], access_code.upper())
    return ok


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


def _login_required(mine: str, theirs: str, login: str):
    """A view for those logged in as `mine`; the other kind of login gets 403, nobody the login page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get(mine) is None:
                if g.get(theirs) is not None:
                    abort(403)
                return redirect(url_for(login, next=request.path))
            return view(*args, **kwargs)

        return wrapped

    return decorator


school_required = _login_required("school_code", "admin", "school.login")
bureau_required = _login_required("admin", "school_code", "bureau.login")


def _role_required(role: str):
    """A bureau view for accounts of `role` only: another bureau account or a school gets 403,
    and someone not logged in the login page."""

    def decorator(view):
        @functools.wraps(view)
        @bureau_required
        def wrapped(*args, **kwargs):
            if g.get("role") != role:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = _role_required("admin")
inspector_required = _role_required("inspector")  # only inspectors inspect; admins see


def may_see_school(code: str) -> bool:
    """An admin sees every school; an inspector only the schools of its team."""
    if g.get("admin") is None:
        return False
    if g.get("role") == "admin":
        return True
    return bool(g.get("team")) and storage.team_of(get_db(), code) == g.team


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
    app.before_request(_load_session)
