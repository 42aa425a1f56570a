"""The bureau's reopening portal: the Flask app factory. Reading it tells you the whole app."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from schemas.deployment import is_upper

from . import deployment

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_config() -> dict:
    """Configuration from the environment (PRODUCT.md: CHECKLIST_DB, CHECKLIST_SECRET_KEY …)."""
    database = Path(os.environ.get("CHECKLIST_DB", "instance/checklist.db")).resolve()
    base_url = os.environ.get("CHECKLIST_BASE_URL", "").rstrip("/")
    return {
        "DATABASE": str(database),
        "SECRET_KEY": os.environ.get("CHECKLIST_SECRET_KEY") or None,
        "BASE_URL": base_url,
        "SITE_DIR": os.environ.get("CHECKLIST_SITE_DIR", str(REPO_ROOT / "site")),
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # a session ends 30 minutes after its last request, and 12 hours after login however
        # busy; the cookie is set at login and not renewed on every request
        "SESSION_IDLE_LIFETIME": timedelta(minutes=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "SESSION_COOKIE_NAME": "checklist_session",
        "WTF_CSRF_TIME_LIMIT": None,  # the token is bound to the session, which expires itself
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_DELAY_SECONDS": 60,
        # proxies in front whose X-Forwarded-For/-Proto are trusted (1 behind nginx)
        "PROXY_HOPS": int(os.environ.get("CHECKLIST_PROXY_HOPS", "0")),
        # create or migrate the database when the app is made (the server's workers do not:
        # `checklist serve` migrates once before it starts them)
        "MIGRATE": True,
    }


def secret_key_beside(database: str) -> str:
    """A secret key generated once and kept beside the database (mode 0600)."""
    path = Path(database).parent / "secret_key"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(default_config())
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secret_key_beside(app.config["DATABASE"])
    if "DEPLOYMENT" not in app.config:  # county.toml: the bureau's name, as the site build reads it
        app.config["DEPLOYMENT"] = deployment.load()

    from .views import bureau, inspect, ledger, pledge, region, school, school_list, staff, teams
    from .web import auth, db, errors, security, serving, session_cookie, site_files, templating

    db.init_app(app)
    security.init_app(app)
    session_cookie.init_app(app)  # the signed session cookie, its serializer made once
    serving.init_app(app)  # compression, and the client's address behind a proxy
    errors.init_app(app)
    templating.init_app(app)
    auth.init_app(app)
    if is_upper(app.config["DEPLOYMENT"].level):
        # a city or a province has no schools of its own: its counties' data, read only
        app.register_blueprint(region.bp)
    else:
        app.register_blueprint(school.bp)
        app.register_blueprint(pledge.bp)
        app.register_blueprint(staff.bp)
        app.register_blueprint(bureau.bp)
        app.register_blueprint(inspect.bp)
        app.register_blueprint(school_list.bp)
        app.register_blueprint(teams.bp)
        app.register_blueprint(ledger.school_bp)
        app.register_blueprint(ledger.bureau_bp)
    app.register_blueprint(site_files.bp)  # last: its catch-all serves the built policy site
    return app
