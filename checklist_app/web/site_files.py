"""The built policy site, served at `/` by the app (nginx serves `site/` itself in production).

Caching: Material's fingerprinted assets (`bundle.<hash>.min.js`, `main.<hash>.min.css`: a new
build gives a new name) are kept for a year and never revalidated; everything else (pages, the
search index, `extra.css`) for five minutes, then revalidated with its ETag or date (304).
`deploy/nginx/checklist.conf` sends the same headers.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, send_from_directory
from werkzeug.security import safe_join

from .security import is_app_path

bp = Blueprint("site", __name__)

FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}\.(?:min\.)?[a-z0-9]+(?:\.map)?$")
ASSET_MAX_AGE = 365 * 24 * 3600
PAGE_MAX_AGE = 300


def is_fingerprinted(path: str) -> bool:
    """A file whose name carries a hex hash as one of its dotted parts."""
    return bool(FINGERPRINTED.search(path.rsplit("/", 1)[-1]))


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
        return _send(site, path)
    return not_found(site)


def _send(site: Path, path: str):
    if is_fingerprinted(path):
        response = send_from_directory(site, path, max_age=ASSET_MAX_AGE)
        response.cache_control.immutable = True
        return response
    return send_from_directory(site, path, max_age=PAGE_MAX_AGE)


def not_found(site: Path):
    """The site's own 404 page, never cached and never a 304."""
    page = site / "404.html"
    if not page.is_file():
        abort(404)
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
    return page.read_bytes(), 404, headers
