"""QR codes of pledge links, as SVG (for pages and print) and PNG (for WeChat groups)."""

from __future__ import annotations

import io

import segno


def _code(url: str):
    return segno.make_qr(url, error="m")


def svg(url: str, scale: int = 4) -> str:
    """An inline-able SVG document (no XML declaration), dark modules on white."""
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, xmldecl=False, svgns=True, title="承诺书二维码")
    return out.getvalue().decode("utf-8")


def png(url: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
