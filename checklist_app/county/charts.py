"""Bar charts drawn on the server as SVG: no script, no CDN, readable by a screen reader.

Plain functions that take numbers and labels and return an SVG string. Each chart carries a
<title> and a <desc> that says in words what the bars show, and every bar has its own <title>.
Rows are laid out label above bar, so a chart stays legible on a 360 px phone. Colours are
presentation attributes (the app's CSP allows no inline style).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 360
ROW_HEIGHT = 40
BAR_HEIGHT = 15
LABEL_SIZE = 14
TRACK = "#e8e8e8"


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class StackedRow:
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class CompletionRow:
    label: str
    done: int
    total: int


def _text(x: float, y: float, content: str, anchor: str = "start", weight: str = "400") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{LABEL_SIZE}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="#1b1b1b">{escape(content)}</text>'
    )


def _shorten(label: str, limit: int = 16) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _legend(series: tuple[Series, ...], y: float) -> list[str]:
    parts, x = [], 0.0
    for item in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 11:.1f}" width="12" height="12" fill="{item.colour}"/>')
        parts.append(_text(x + 16, y, item.name))
        x += 16 + len(item.name) * LABEL_SIZE + 14
    return parts


def stacked_bars(chart_id: str, title: str, series: tuple[Series, ...], rows: list[StackedRow]) -> str:
    """One horizontal bar per row, split into the series; bars share one scale (the largest row)."""
    scale = max((sum(r.values) for r in rows), default=0) or 1
    body = _legend(series, 14)
    descs = []
    for index, row in enumerate(rows):
        top = 24 + index * ROW_HEIGHT
        total = sum(row.values)
        parts = ",".join(f"{s.name} {v}" for s, v in zip(series, row.values, strict=True))
        descs.append(f"{row.label}:{parts}")
        body.append(_text(0, top + LABEL_SIZE + 2, _shorten(row.label)))
        body.append(_text(WIDTH, top + LABEL_SIZE + 2, f"共 {total}", anchor="end"))
        x = 0.0
        for item, value in zip(series, row.values, strict=True):
            width = WIDTH * value / scale
            if value:
                body.append(
                    f'<rect x="{x:.2f}" y="{top + 20}" width="{width:.2f}" height="{BAR_HEIGHT}" '
                    f'fill="{item.colour}"><title>{escape(f"{row.label} {item.name}:{value}")}</title></rect>'
                )
            if width >= len(str(value)) * 8 + 6:  # the number inside its segment, where it fits
                body.append(
                    f'<text x="{x + width / 2:.1f}" y="{top + 20 + BAR_HEIGHT - 3}" font-size="11" '
                    f'text-anchor="middle" fill="#fff" aria-hidden="true">{value}</text>'
                )
            x += width
    desc = ";".join(descs) if descs else "没有数据"
    return _svg(chart_id, title, desc, 24 + max(len(rows), 1) * ROW_HEIGHT + 4, body)


def completion_bars(chart_id: str, title: str, rows: list[CompletionRow], colour: str = "#0b4f8a") -> str:
    """One bar per row showing done / total as a share of a full-width track."""
    body, descs = [], []
    for index, row in enumerate(rows):
        top = index * ROW_HEIGHT
        share = row.done / row.total if row.total else 0.0
        summary = f"{row.done}/{row.total}({share:.0%})"
        descs.append(f"{row.label} {summary}")
        body.append(_text(0, top + LABEL_SIZE + 2, _shorten(row.label, 18)))
        body.append(_text(WIDTH, top + LABEL_SIZE + 2, summary, anchor="end"))
        body.append(f'<rect x="0" y="{top + 20}" width="{WIDTH}" height="{BAR_HEIGHT}" fill="{TRACK}"/>')
        body.append(
            f'<rect x="0" y="{top + 20}" width="{WIDTH * min(share, 1.0):.2f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(f"{row.label}:{summary}")}</title></rect>'
        )
    desc = ";".join(descs) if descs else "没有数据"
    return _svg(chart_id, title, desc, max(len(rows), 1) * ROW_HEIGHT + 4, body)


# --- line charts (the ledger's 30-day trend) --------------------------------------------------

LINE_COLOUR = "#0b4f8a"
GRID = "#b1b4b6"
PLOT_TOP = 26
PLOT_BOTTOM = 112
LINE_HEIGHT = 136


@dataclass(frozen=True)
class Day:
    """One day of a trend: its ISO date and the value, None when nothing was reported."""

    date: str
    value: int | None


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive points with a value: a day without reports breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def line_chart(chart_id: str, title: str, days: list[Day], colour: str = LINE_COLOUR) -> str:
    """One measure over consecutive days: a line from zero to the largest value, one point per
    day that has a value (with its own <title>), the first and last day under the axis."""
    known = [d for d in days if d.value is not None]
    top = max((d.value for d in known), default=0) or 1
    step = (WIDTH - 8) / max(len(days) - 1, 1)

    def place(index: int, value: int) -> tuple[float, float]:
        return 4 + index * step, PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / top

    body = [
        f'<line x1="0" y1="{PLOT_TOP}" x2="{WIDTH}" y2="{PLOT_TOP}" stroke="{GRID}" stroke-dasharray="4 3"/>',
        f'<line x1="0" y1="{PLOT_BOTTOM}" x2="{WIDTH}" y2="{PLOT_BOTTOM}" stroke="{GRID}"/>',
        _text(0, PLOT_TOP - 6, str(max((d.value for d in known), default=0))),
    ]
    if known:
        last = known[-1]
        when = "" if last.date == days[-1].date else f"({last.date[5:]})"
        body.append(_text(WIDTH, PLOT_TOP - 6, f"最新 {last.value}{when}", anchor="end", weight="700"))
    points = [place(i, d.value) if d.value is not None else None for i, d in enumerate(days)]
    for run in _runs(points):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        body.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for day, point in zip(days, points, strict=True):
        if point is not None:
            body.append(
                f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3" fill="{colour}" data-day="{escape(day.date)}">'
                f"<title>{escape(f'{day.date}:{day.value}')}</title></circle>"
            )
    if days:
        body.append(_text(0, LINE_HEIGHT - 4, days[0].date[5:]))
        body.append(_text(WIDTH, LINE_HEIGHT - 4, days[-1].date[5:], anchor="end"))
    return _svg(chart_id, title, _trend_words(days), LINE_HEIGHT, body)


def _trend_words(days: list[Day]) -> str:
    known = [d for d in days if d.value is not None]
    if not days:
        return "没有数据"
    span = f"{days[0].date} 至 {days[-1].date}"
    if not known:
        return f"{span}：没有上报数据"
    high = max(known, key=lambda d: d.value)
    low = min(known, key=lambda d: d.value)
    words = f"{span}：最新 {known[-1].value}（{known[-1].date}），最高 {high.value}（{high.date}），最低 {low.value}（{low.date}）"
    missing = len(days) - len(known)
    return words + (f";{missing} 天没有上报数据" if missing else "")
