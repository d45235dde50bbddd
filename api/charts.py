"""Trend charts as SVG, drawn on the server (no script, no chart library): years
across, values up, a line per series that breaks where a year has no value."""
from __future__ import annotations

import math
from decimal import Decimal

from markupsafe import Markup, escape

COLOURS = ["#1f5fa8", "#d9822b", "#2e8540", "#a8326e"]
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 52


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at least ``value`` (the y axis' top)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _label(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%" if value * 100 == round(value * 100) else f"{value * 100:.1f}%"
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def line_chart(title: str, series: list[tuple[str, dict[int, float | Decimal | None]]],
               percent: bool = False) -> Markup:
    """An SVG line chart: ``series`` is [(name, {year: value or None})]."""
    years = sorted({y for _, points in series for y in points})
    values = [float(v) for _, points in series for v in points.values() if v is not None]
    top = 1.0 if percent and (not values or max(values) <= 1) else _nice_top(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(year: int) -> float:
        return LEFT + (plot_w / 2 if len(years) == 1 else plot_w * years.index(year) / (len(years) - 1))

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):  # gridlines and y labels
        value = top * i / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f"{_label(value, percent)}</text>")
    for year in years:
        parts.append(f'<text class="axis" x="{x(year):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                     f"{year}</text>")
    if not values:
        parts.append(f'<text class="empty" x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle">'
                     "no values</text>")
    for n, (name, points) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        run: list[str] = []
        for year in years + [None]:  # a line per run of years with values
            value = points.get(year) if year is not None else None
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x(year):.1f},{y(float(value)):.1f}")
            parts.append(f'<circle class="point" cx="{x(year):.1f}" cy="{y(float(value)):.1f}" r="3.5" '
                         f'fill="{colour}" data-year="{year}" data-value="{value}"><title>{escape(name)} {year}: '
                         f"{_label(float(value), percent)}</title></circle>")
        legend_x = LEFT + n * 180
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 18}" width="12" height="4" fill="{colour}"/>'
                     f'<text class="legend" x="{legend_x + 16}" y="{HEIGHT - 12}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
