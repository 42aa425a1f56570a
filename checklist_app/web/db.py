"""One database connection per server thread, lent to each request on `g`.

As in Flask's tutorial app, a view calls `get_db()`; unlike it, the connection is not opened and
closed per request but kept by the thread that serves it (the server reuses a fixed set of threads):
opening one costs more than a pledge's own queries, and closing the last connection to the file
checkpoints and removes the WAL. Whatever a request leaves uncommitted is rolled back at its end,
so nothing carries over from one request to the next.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref

from flask import Flask, current_app, g

from .. import storage
from ..storage import archive


def get_db():
    if "db" not in g:
        kept = current_app.extensions["db_connections"]
        db = getattr(kept, "db", None)
        if db is None:
            db = kept.db = storage.open_db(current_app.config["DATABASE"])
        g.db = db
    return g.db


def get_settings():
    """The county settings, read once per request (every page's header shows the bureau's name)."""
    if "settings" not in g:
        g.settings = storage.load_settings(get_db())
    return g.settings


def close_db(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def release_connections(app: Flask) -> None:
    """Close the connections this thread and the data_version watch hold for `app` (before the
    server forks its workers: a SQLite connection must not cross a fork)."""
    kept = app.extensions["db_connections"]
    if getattr(kept, "db", None) is not None:
        kept.db.close()
        kept.db = None
    watch = app.extensions["db_watch"]
    with watch["lock"]:
        if watch["conn"] is not None:
            watch["conn"].close()
            watch["conn"] = None


def data_version() -> int:
    """A number that changes with every commit to the database, by any connection or process:
    `PRAGMA data_version` of a connection kept for asking it, which never writes itself."""
    watch = current_app.extensions["db_watch"]
    with watch["lock"]:
        if watch["conn"] is None:
            watch["conn"] = sqlite3.connect(current_app.config["DATABASE"], check_same_thread=False)
        return watch["conn"].execute("PRAGMA data_version").fetchone()[0]


def healthz():
    get_db().execute("SELECT 1").fetchone()
    return current_app.response_class(json.dumps({"status": "ok"}), mimetype="application/json")


def init_app(app: Flask) -> None:
    app.extensions["db_connections"] = threading.local()  # closed with the app or its thread
    app.extensions["db_watch"] = {"conn": None, "lock": threading.Lock()}
    app.teardown_appcontext(close_db)
    app.add_url_rule("/healthz", "healthz", healthz)
    if app.config["MIGRATE"]:
        with app.app_context():
            storage.migrate(get_db())
    # Held for the app's life: `checklist restore` refuses while any app has the database open.
    weakref.finalize(app, os.close, archive.hold_database_lock(app.config["DATABASE"]))
