"""Server-rendered SVG charts (pure). Each has a <title> and a <desc> that say
what it shows and its main numbers; the dashboard shows the data table beside
it. Colours are presentation attributes, never ``style``, so the strict CSP
(no inline style) holds when the SVG is placed in the page."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["bar_chart", "hbar_chart", "heatmap"]

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 40
BAR = "#1f5f8b"  # 7.0:1 against white (WCAG AA for graphics needs 3:1)
AXIS = "#333333"


def _svg(chart_id: str, title: str, desc: str, body: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.1f} %" if percent else f"{value:g}"


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    percent: bool = False,
) -> str:
    """Vertical bars, one per label (weeks, outcomes, levels)."""
    n = max(1, len(values))
    top = max([*values, 0.0]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / n
    body = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"'
        f' stroke="{AXIS}"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11"'
        f' fill="{AXIS}">{escape(_fmt(top, percent))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11"'
        f' fill="{AXIS}">0</text>',
    ]
    every = max(1, n // 12)  # at most ~12 axis labels stay legible
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + i * step + step * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{step * 0.7:.1f}"'
            f' height="{h:.1f}" fill="{BAR}"/>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10"'
                f' text-anchor="middle" fill="{AXIS}">{escape(label)}</text>'
            )
    pairs = ", ".join(f"{lab}: {_fmt(v, percent)}" for lab, v in zip(labels, values, strict=True))
    desc = f"{len(values)} staplar / bars. {pairs}" if values else "Inga data / No data."
    return _svg(chart_id, title, desc, body)


def hbar_chart(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[float], *, label_w: int = 190
) -> str:
    """Horizontal bars with the category name on the left (outcomes, levels):
    long names stay legible where vertical bars would overlap them."""
    row_h = 26
    height = TOP + row_h * max(1, len(values)) + 8
    top = max([*values, 0.0]) or 1.0
    plot_w = WIDTH - label_w - RIGHT - 40  # room for the value after the bar
    body: list[str] = []
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * row_h
        w = plot_w * value / top
        body.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12"'
            f' fill="{AXIS}">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 16}" font-size="12"'
            f' fill="{AXIS}">{escape(_fmt(value, False))}</text>'
        )
    pairs = ", ".join(f"{lab}: {_fmt(v, False)}" for lab, v in zip(labels, values, strict=True))
    desc = f"{len(values)} staplar / bars. {pairs}" if values else "Inga data / No data."
    return _svg(chart_id, title, desc, body, height)


def heatmap(chart_id: str, title: str, rows: Sequence[str], grid: Sequence[Sequence[int]]) -> str:
    """Rows (weekdays) × 24 hours, darker = more contacts."""
    cell_w, cell_h = (WIDTH - LEFT - RIGHT) / 24, 24
    height = TOP + cell_h * len(rows) + BOTTOM
    top = max([max(r, default=0) for r in grid] + [0]) or 1
    body: list[str] = []
    for r, (name, row) in enumerate(zip(rows, grid, strict=True)):
        y = TOP + r * cell_h
        body.append(
            f'<text x="{LEFT - 4}" y="{y + 16}" text-anchor="end" font-size="11"'
            f' fill="{AXIS}">{escape(name)}</text>'
        )
        for h, count in enumerate(row):
            # Opacity from 0.08 (none) to 1.0 (the busiest hour).
            opacity = 0.08 + 0.92 * count / top
            body.append(
                f'<rect x="{LEFT + h * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}"'
                f' height="{cell_h - 2}" fill="{BAR}" fill-opacity="{opacity:.2f}"/>'
            )
    for h in range(0, 24, 3):
        body.append(
            f'<text x="{LEFT + h * cell_w + cell_w / 2:.1f}" y="{height - BOTTOM + 14}"'
            f' font-size="10" text-anchor="middle" fill="{AXIS}">{h:02d}</text>'
        )
    busiest = max(
        ((count, rows[r], h) for r, row in enumerate(grid) for h, count in enumerate(row)),
        default=(0, "", 0),
    )
    desc = (
        f"Kontakter per veckodag och timme / contacts per weekday and hour. Flest / most:"
        f" {busiest[1]} {busiest[2]:02d}:00, {busiest[0]}."
    )
    return _svg(chart_id, title, desc, body, int(height))
