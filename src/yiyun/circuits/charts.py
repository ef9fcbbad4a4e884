"""Server-side SVG of a circuit's last days, one bar per hour (no script, no CDN)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from yiyun.core import clock

OK, BAD, WARN, LINE, MUTED = "#067647", "#b42318", "#b54708", "#d9dee3", "#66737f"


def hours_chart(hours, *, start, end, width: int = 720, height: int = 70):
    """Each rolled-up hour as a thin bar: green all answered, amber some failed, red all
    failed; gaps are hours without probes."""
    left, plot_w = 4, width - 8
    span = max((end - start).total_seconds(), 1)
    bar = max(plot_w * 3600 / span, 1)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="hours-title">',
        f'<title id="hours-title">{escape(_("逐小时探测结果"))}</title>',
        f'<rect x="{left}" y="4" width="{plot_w}" height="{height - 24}" fill="#fff" stroke="{LINE}"/>',
    ]
    for hour in hours:
        x = left + (hour.hour - start).total_seconds() / span * plot_w
        colour = OK if hour.failures == 0 else (BAD if hour.failures == hour.probes else WARN)
        parts.append(
            f'<rect x="{x:.1f}" y="6" width="{bar:.1f}" height="{height - 28}" fill="{colour}"/>'
        )
    for x, moment, anchor in ((left, start, "start"), (left + plot_w, end, "end")):
        parts.append(
            f'<text x="{x}" y="{height - 6}" font-size="10" text-anchor="{anchor}" '
            f'fill="{MUTED}">{clock.local(moment):%m-%d %H:%M}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — numbers and an escaped title only
