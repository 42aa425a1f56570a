"""The built policy site, served at `/` by the app (nginx serves `site/` itself in production)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, send_from_directory
from werkzeug.security import safe_join

from .security import is_app_path

bp = Blueprint("site", __name__)


def _site_dir() -> Path:
    return Path(current_app.config["SITE_DIR"])


@bp.route("/", defaults={"path": ""})
@bp.route("/<path:path>")
def page(path: str):
    if is_app_path("/" + path):  # the app owns these; its own 404 page answers
        abort(404)
    site = _site_dir()
    target = safe_join(str(site), path)
    if target is None:
        abort(404)
    if Path(target).is_dir():
        if path and not path.endswith("/"):
            return redirect(f"/{path}/", code=301)
        path = f"{path}index.html"
    if Path(safe_join(str(site), path) or "").is_file():
        return send_from_directory(site, path)
    not_found = site / "404.html"
    if not_found.is_file():
        return send_from_directory(site, "404.html"), 404
    abort(404)
