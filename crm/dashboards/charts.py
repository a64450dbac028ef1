"""Charts drawn on the server as SVG, so the dashboards work offline and under a strict CSP.

Every chart has a title, axis labels and the value of each bar written beside it;
pages show the same numbers in a table next to the chart. Colours come from
classes (``static/css/dashboards.css``) with ``fill`` attributes as a fallback:
no inline ``style``. Geometry is computed in float, which is fine for pixels;
the numbers printed come from the exact values through ``label``.
"""

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_compact_decimal, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from crm.core.i18n import reading_locale

# Colour-blind-safe palette (Okabe-Ito), in the order series are drawn.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999")
FONT_SIZE = 12
CHAR_WIDTH = 6.6  # average glyph width at FONT_SIZE, to size label areas without a font engine
WIDE_WIDTH = FONT_SIZE  # a Chinese character (a full-width one) is as wide as the font is high


CYRILLIC_WIDTH = 7.6  # Cyrillic letters run wider than Latin ones ("Принимающее учреждение")
ELLIPSIS = "…"  # as wide as the font is high in DejaVu Sans and Noto Sans, twice a Latin letter


def char_width(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F") or ch == ELLIPSIS:
        return WIDE_WIDTH
    return CYRILLIC_WIDTH if "\u0400" <= ch <= "\u04ff" else CHAR_WIDTH


def text_width(text: str) -> float:
    """A label's width at FONT_SIZE, without a font engine: "研究机构或大学" is about twice as wide as its seven
    characters would be in Latin letters."""
    return sum(char_width(ch) for ch in text)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int]


def compact(value: Decimal | int) -> str:
    """A short label for a bar: 1234567 → "1.23M", 950 → "950"; in Russian "1,23 млн", in Chinese "123.46万"
    (Chinese counts in ten thousands)."""
    number = Decimal(value)
    locale = reading_locale()
    if locale.language != "en":
        if abs(number) >= 1000:
            return format_compact_decimal(number, locale=locale, fraction_digits=2)
        return format_decimal(number, "#,##0.##", locale=locale)
    for threshold, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if abs(number) >= threshold:
            return f"{(number / threshold).quantize(Decimal('0.01')).normalize():f}{suffix}"
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.quantize(Decimal('0.01')):,f}"


def nice_ceiling(value: float, *, whole: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at least ``value``: axis ends whose fifths read well.

    ``whole`` (counts) keeps at least 5, so that every tick is a whole number.
    """
    if value <= 0:
        return 5.0 if whole else 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    ceiling = next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value * (1 - 1e-12))
    return max(ceiling, 5.0) if whole else ceiling


def _whole(values) -> bool:
    return all(Decimal(v) == Decimal(v).to_integral_value() for v in values)


def _text(x: float, y: float, content: str, anchor: str = "start", css: str = "", extra: str = "") -> str:
    css_attr = f' class="{css}"' if css else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_SIZE}"'
        f"{css_attr}{extra}>{escape(content)}</text>"
    )


def _svg(width: int, height: int, title: str, description: str, body: list[str], css: str) -> Markup:
    # role=img plus <title>/<desc> lets a screen reader announce the chart; the table beside it has the detail.
    slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")[:40] or "chart"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-labelledby="{slug}-title {slug}-desc">'
        f'<title id="{slug}-title">{escape(title)}</title><desc id="{slug}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts, cursor = [], x
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{cursor:.1f}" y="{y - 10:.1f}" width="10" height="10" fill="{colour}" class="series-{index}"/>'
        )
        parts.append(_text(cursor + 14, y, item.name, css="legend"))
        cursor += 14 + text_width(item.name) + 18
    return parts


def bar_chart(
    title: str,
    categories: Sequence[str],
    values: Sequence[Decimal | int],
    *,
    value_axis: str,
    category_axis: str,
    label: Callable[[Decimal | int], str] = compact,
    width: int = 560,
) -> Markup:
    """Horizontal bars, one per category: for counts or amounts by type, stage, status."""
    if len(categories) != len(values):
        raise ValueError("One value per category.")
    label_width = min(220, max(60, math.ceil(max((text_width(c) for c in categories), default=4 * CHAR_WIDTH)) + 12))
    bar_height, gap, top = 18, 8, 42  # room for the title and, below it, the axis label in any script
    plot_left, plot_right = label_width, width - 70
    plot_height = max(1, len(categories)) * (bar_height + gap)
    height = top + plot_height + 46
    axis_max = nice_ceiling(float(max((max(v, 0) for v in values), default=0)), whole=_whole(values))
    scale = (plot_right - plot_left) / axis_max

    body = [_text(0, 16, title, css="chart-title", extra=' font-weight="600"')]
    body += _value_grid(plot_left, plot_right, top, top + plot_height, axis_max, label, vertical=True)
    for index, (category, value) in enumerate(zip(categories, values, strict=True)):
        y = top + index * (bar_height + gap)
        length = max(0.0, float(value)) * scale
        body.append(_text(plot_left - 6, y + bar_height - 5, _clip(category, label_width), anchor="end"))
        body.append(
            f'<rect x="{plot_left}" y="{y:.1f}" width="{length:.1f}" height="{bar_height}"'
            f' fill="{PALETTE[0]}" class="series-0"><title>{escape(category)}: {escape(label(value))}</title></rect>'
        )
        body.append(_text(plot_left + length + 4, y + bar_height - 5, label(value), css="value"))
    if not categories:
        body.append(_text((plot_left + plot_right) / 2, top + 14, _("No data"), anchor="middle", css="muted"))
    body.append(_text((plot_left + plot_right) / 2, height - 6, value_axis, anchor="middle", css="axis-label"))
    body.append(_text(0, top - 10, category_axis, css="axis-label"))
    description = "; ".join(f"{c}: {label(v)}" for c, v in zip(categories, values, strict=True)) or _("No data")
    return _svg(width, height, title, description, body, "bar-chart")


def column_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_axis: str,
    category_axis: str,
    stacked: bool = False,
    label: Callable[[Decimal | int], str] = compact,
    width: int = 640,
    height: int = 300,
) -> Markup:
    """Vertical columns per category, one per series side by side, or stacked into one."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("Every series needs one value per category.")
    top, bottom, plot_left, plot_right = 46, height - 58, 64, width - 12
    if stacked:
        peaks = [sum(max(s.values[i], 0) for s in series) for i in range(len(categories))]
    else:
        peaks = [max(v, 0) for s in series for v in s.values]
    axis_max = nice_ceiling(float(max(peaks, default=0)), whole=_whole(peaks))
    scale = (bottom - top) / axis_max
    slot = (plot_right - plot_left) / max(1, len(categories))
    bars_per_slot = 1 if stacked else max(1, len(series))
    bar_width = max(4.0, min(48.0, slot * 0.8 / bars_per_slot))

    body = [_text(0, 16, title, css="chart-title", extra=' font-weight="600"')]
    body += _legend(series, plot_left, 36)
    body += _value_grid(plot_left, plot_right, top, bottom, axis_max, label, vertical=False)
    for i, category in enumerate(categories):
        group_left = plot_left + i * slot + (slot - bar_width * bars_per_slot) / 2
        base = bottom
        for index, item in enumerate(series):
            value = item.values[i]
            size = max(0.0, float(value)) * scale
            x = group_left if stacked else group_left + index * bar_width
            y = (base - size) if stacked else (bottom - size)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{size:.1f}"'
                f' fill="{PALETTE[index % len(PALETTE)]}" class="series-{index}">'
                f"<title>{escape(category)} · {escape(item.name)}: {escape(label(value))}</title></rect>"
            )
            if not stacked and value:
                body.append(_text(x + bar_width / 2, y - 3, label(value), anchor="middle", css="value small"))
            if stacked:
                base -= size
        if stacked:
            total = sum(s.values[i] for s in series)
            if total:
                body.append(_text(group_left + bar_width / 2, base - 3, label(total), anchor="middle", css="value"))
        body.append(_text(plot_left + (i + 0.5) * slot, bottom + 16, category, anchor="middle"))
    if not categories:
        body.append(_text((plot_left + plot_right) / 2, (top + bottom) / 2, _("No data"), anchor="middle", css="muted"))
    body.append(_text((plot_left + plot_right) / 2, height - 8, category_axis, anchor="middle", css="axis-label"))
    body.append(
        _text(
            0,
            0,
            value_axis,
            anchor="middle",
            css="axis-label",
            extra=f' transform="translate(14 {(top + bottom) / 2:.1f}) rotate(-90)"',
        )
    )
    description = "; ".join(
        f"{category}: " + ", ".join(f"{s.name} {label(s.values[i])}" for s in series)
        for i, category in enumerate(categories)
    )
    return _svg(width, height, title, description or _("No data"), body, "column-chart")


def _value_grid(
    start: float, end: float, top: float, bottom: float, axis_max: float, label, *, vertical: bool
) -> list[str]:
    """Gridlines and tick labels at fifths of the axis; ``vertical`` gridlines for horizontal bars."""
    parts = []
    for step in range(6):
        fraction = step / 5
        tick = Decimal(str(axis_max)) * Decimal(step) / 5
        if vertical:
            x = start + fraction * (end - start)
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#d9e2de" class="grid"/>')
            parts.append(_text(x, bottom + 14, label(tick.normalize()), anchor="middle", css="tick"))
        else:
            y = bottom - fraction * (bottom - top)
            parts.append(f'<line x1="{start}" y1="{y:.1f}" x2="{end}" y2="{y:.1f}" stroke="#d9e2de" class="grid"/>')
            parts.append(_text(start - 6, y + 4, label(tick.normalize()), anchor="end", css="tick"))
    return parts


def _clip(text: str, width: float) -> str:
    """Shorten a category label to the room it has; the full name stays in the bar's tooltip and the table."""
    room = width - 12
    if text_width(text) <= room:
        return text
    kept, used = "", char_width(ELLIPSIS)
    for ch in text:
        used += char_width(ch)
        if used > room:
            break
        kept += ch
    return (kept or text[:1]) + ELLIPSIS
