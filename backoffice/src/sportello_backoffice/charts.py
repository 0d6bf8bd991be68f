"""The Cruscotto's charts as server-side SVG (bars, no JavaScript): a title, Italian axis labels,
and the figures the page also gives as a table for screen readers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Drawn at about its own size in a half-width panel, so 13px text stays 13px on screen.
WIDTH, HEIGHT = 600, 260
# Room for the y-axis ticks (euro amounts are wide), the x labels and the axis titles.
LEFT, RIGHT, TOP, BOTTOM = 92, 12, 20, 52
# Up to this many bars each carries its value on top (a funnel); a month of days would crowd.
VALUES_UP_TO = 12


@dataclass(frozen=True)
class Bar:
    label: str   # under the bar (a day, a funnel step)
    value: int   # what the bar measures (a count, cents)


def nice_ceiling(value: int) -> int:
    """The top of the y-axis: 1, 2 or 5 times a power of ten, at least `value` (and 1)."""
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], x_title: str, y_title: str,
              fmt: Callable[[int], str] = str, label_every: int = 1, min_top: int = 1) -> Markup:
    """Vertical bars over a zero baseline, ticks at 0, half and the top (at least `min_top`:
    an empty month of euro is not an axis up to 0,01 €); every `label_every`-th bar is labelled
    below (90 days of labels would overlap)."""
    top = nice_ceiling(max(max((b.value for b in bars), default=0), min_top))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="{chart_id}-titolo" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{chart_id}-titolo">{escape(title)}</title>']
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = TOP + plot_h - plot_h * tick / top
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                   f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(fmt(tick))}</text>')
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top
        x = LEFT + i * slot + slot * 0.15
        out.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                   f'width="{slot * 0.7:.1f}" height="{h:.1f}">'
                   f'<title>{escape(bar.label)}: {escape(fmt(bar.value))}</title></rect>')
        if len(bars) <= VALUES_UP_TO:
            out.append(f'<text class="value" x="{x + slot * 0.35:.1f}" y="{TOP + plot_h - h - 5:.1f}" '
                       f'text-anchor="middle">{escape(fmt(bar.value))}</text>')
        if i % label_every == 0:
            out.append(f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{TOP + plot_h + 16}" '
                       f'text-anchor="middle">{escape(bar.label)}</text>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
               f'y2="{TOP + plot_h}"/>'
               f'<text class="axis-title" x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 6}" '
               f'text-anchor="middle">{escape(x_title)}</text>'
               f'<text class="axis-title" x="14" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {TOP + plot_h / 2:.0f})">{escape(y_title)}</text>'
               '</svg>')
    return Markup("".join(out))
