"""The links people are given: a school's pledge link, the login pages, and the CSV of issued
access codes. One place, so the CLI, the school's page and the bureau's code sheet agree."""

from __future__ import annotations

import csv
import io
import os

from flask import current_app, has_request_context, request

ISSUED_CODES_COLUMNS = ["code", "name", "access_code", "pledge_url"]


def base_url(config=None) -> str:
    """CHECKLIST_BASE_URL when set; else, in a request, the address it came to; else (the CLI)
    the address `checklist serve` listens on by default."""
    base = (config or current_app.config).get("BASE_URL")
    if base:
        return base
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


def pledge_url(token: str, base: str | None = None) -> str:
    return f"{base if base is not None else base_url()}/pledge/{token}"


def issued_codes_csv(issued: list[dict], base: str) -> str:
    """Issued codes as CSV text: code, name, access code (shown this once) and pledge link."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ISSUED_CODES_COLUMNS)
    writer.writerows([r["code"], r["name"], r["access_code"], pledge_url(r["pledge_token"], base)] for r in issued)
    return out.getvalue()
