"""Charts drawn on the server as plain SVG: no script, no library, no CDN, and nothing that
the strict CSP would block (presentation attributes, never `style`)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yiyun.core import clock

ACCENT, USED, FREE, BAD, LINE, MUTED, WARN = (
    "#0b6bcb",
    "#06417a",
    "#e6edf3",
    "#b42318",
    "#d9dee3",
    "#66737f",
    "#b54708",
)


def _number(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    value = Decimal(str(value)).quantize(Decimal("0.1"))
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def capacity_chart(lines, *, width: int = 720) -> SafeString:
    """One bar per resource: the whole bar is the entitlement; the blue part is allocated,
    the dark part within it is in use, the pale rest is left. Allocation beyond the
    entitlement shows in red past the end of the bar."""
    label_w, right_w, row_h, bar_h = 92, 230, 46, 18
    bar_w = width - label_w - right_w
    height = row_h * len(lines) + 30
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="capacity-title">',
        f'<title id="capacity-title">{escape(_("配额、已分配与已使用"))}</title>',
    ]
    for index, line in enumerate(lines):
        y = 10 + index * row_h
        entitled = line.entitled
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="13" fill="#1d2733">{escape(line.label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" fill="{FREE}" rx="3"/>'
        )
        if entitled > 0:
            scale = bar_w / float(entitled)
            allocated = min(float(line.allocated), float(entitled)) * scale
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{allocated:.1f}" height="{bar_h}" '
                f'fill="{ACCENT}" rx="3"/>'
            )
            if line.used is not None:
                used = min(float(line.used), float(entitled)) * scale
                parts.append(
                    f'<rect x="{label_w}" y="{y + 5}" width="{used:.1f}" height="{bar_h - 10}" '
                    f'fill="{USED}"/>'
                )
            if line.allocated > entitled:
                parts.append(
                    f'<rect x="{label_w + bar_w - 6}" y="{y - 3}" width="6" height="{bar_h + 6}" '
                    f'fill="{BAD}"/>'
                )
        else:
            parts.append(
                f'<text x="{label_w + 6}" y="{y + 13}" font-size="12" fill="{MUTED}">'
                f"{escape(_('合同未约定'))}</text>"
            )
        remaining = line.remaining
        colour = BAD if remaining < 0 else "#1d2733"
        summary = _("剩余 %(left)s / %(total)s %(unit)s") % {
            "left": _number(remaining),
            "total": _number(entitled),
            "unit": line.unit,
        }
        parts.append(
            f'<text x="{label_w + bar_w + 10}" y="{y + 14}" font-size="13" fill="{colour}">'
            f"{escape(summary)}</text>"
        )
        detail = _("已分配 %(allocated)s · 已使用 %(used)s") % {
            "allocated": _number(line.allocated),
            "used": _number(line.used),
        }
        parts.append(
            f'<text x="{label_w}" y="{y + bar_h + 15}" font-size="11" fill="{MUTED}">'
            f"{escape(detail)}</text>"
        )
    legend_y = height - 8
    legend = [(ACCENT, _("已分配")), (USED, _("已使用")), (FREE, _("剩余")), (BAD, _("超出配额"))]
    x = label_w
    for colour, text in legend:
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 16}" y="{legend_y}" font-size="11" fill="{MUTED}">{escape(text)}</text>'
        )
        x += 96
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped


def samples_chart(samples, thresholds, *, start, end, width: int = 720, height: int = 200):
    """The tenant's CPU, memory and storage use (‰) over time, with each threshold as a
    dashed line."""
    colours = {"cpu": ACCENT, "memory": WARN, "storage": "#067647"}
    left, bottom, top = 40, 24, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    span = max((end - start).total_seconds(), 1)

    def x(moment) -> float:
        return left + (moment - start).total_seconds() / span * plot_w

    def y(permille) -> float:
        return top + plot_h - permille / 1000 * plot_h

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="samples-title">',
        f'<title id="samples-title">{escape(_("资源使用率"))}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        f'stroke="{LINE}"/>',
    ]
    for percent in (0, 50, 100):
        parts.append(
            f'<text x="{left - 6}" y="{y(percent * 10) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="{MUTED}">{percent}%</text>'
        )
    for metric, threshold in thresholds.metrics.items():
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(threshold.permille):.1f}" '
            f'y2="{y(threshold.permille):.1f}" stroke="{colours[metric]}" '
            f'stroke-dasharray="4 3" stroke-width="1"/>'
        )
    for metric, colour in colours.items():
        points = [
            f"{x(sample.at):.1f},{y(getattr(sample, metric)):.1f}"
            for sample in samples
            if getattr(sample, metric) is not None
        ]
        if points:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                f'points="{" ".join(points)}"/>'
            )
    labels = [
        (left, clock.local(start)),
        (left + plot_w, clock.local(end)),
    ]
    for position, moment in labels:
        anchor = "start" if position == left else "end"
        parts.append(
            f'<text x="{position}" y="{height - 6}" font-size="10" text-anchor="{anchor}" '
            f'fill="{MUTED}">{moment:%m-%d %H:%M}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — no text from users inside
