"""One database connection per request, on `g` (as in Flask's tutorial app)."""

from __future__ import annotations

import json

from flask import Flask, current_app, g

from . import storage


def get_db():
    if "db" not in g:
        g.db = storage.open_db(current_app.config["DATABASE"])
    return g.db


def close_db(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def healthz():
    get_db().execute("SELECT 1").fetchone()
    return current_app.response_class(json.dumps({"status": "ok"}), mimetype="application/json")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.add_url_rule("/healthz", "healthz", healthz)
    with app.app_context():
        storage.migrate(get_db())
