"""The links people are given: a school's pledge link, the login pages, and the CSV of issued
access codes. One place, so the CLI, the school's page and the bureau's code sheet agree."""

from __future__ import annotations

import csv
import io
import os
import socket

from flask import current_app

ISSUED_CODES_COLUMNS = ["code", "name", "access_code", "pledge_url"]


def base_url(config=None) -> str:
    """CHECKLIST_BASE_URL when set; else the address `checklist serve` listens on. Never the
    request's Host header: anyone can send any Host, and a printed QR code would carry it."""
    config = config or current_app.config
    return config.get("BASE_URL") or config.get("SERVER_URL") or server_url("127.0.0.1", default_port())


def default_port() -> int:
    return int(os.environ.get("PORT", "8000"))


def server_url(host: str, port: int) -> str:
    """The address a server bound to host:port is reached at (a wildcard: this machine's name)."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def pledge_url(token: str, base: str | None = None) -> str:
    return f"{base if base is not None else base_url()}/pledge/{token}"


def issued_codes_csv(issued: list[dict], base: str) -> str:
    """Issued codes as CSV text: code, name, access code (shown this once) and pledge link."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ISSUED_CODES_COLUMNS)
    writer.writerows([r["code"], r["name"], r["access_code"], pledge_url(r["pledge_token"], base)] for r in issued)
    return out.getvalue()
