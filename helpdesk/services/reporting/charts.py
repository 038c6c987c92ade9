"""Charts for the admin dashboard, drawn on the server as inline SVG.

No JavaScript and no inline styles (the CSP forbids both): colours come from CSS classes,
with presentation-attribute fallbacks. Every caller-supplied string is escaped, and each chart
carries a data table so screen-reader users get the numbers, not just a picture of them.
"""

import itertools
import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

EMPTY_MESSAGE = "No data yet"
MAX_X_LABELS = 8
CHAR_W = 7  # rough width of one 12px glyph: enough for layout without a font engine
ROW_H = 28
BAR_H = 18
TEXT = 'font-family="system-ui, sans-serif" font-size="12" fill="#374151"'
# Fallback colours: static/css/app.css sets the same on .bar and .series-0 … .series-4.
BAR_FILL = "#2453c7"
# Colour *and* dash pattern differ per series, so lines stay apart without colour vision.
SERIES_STYLES = (
    ("#2453c7", "none"),
    ("#c26a00", "6 4"),
    ("#2f8a46", "2 3"),
    ("#7a4fd1", "10 3 2 3"),
    ("#b3261e", "4 2"),
)
SVG_NS = "http://www.w3.org/2000/svg"
# Characters XML/HTML cannot carry: one stray byte in a category name must not break the page.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_ids = itertools.count(1)  # ids only need to be unique within one rendered page


def _e(text: object) -> Markup:
    return escape(_UNSAFE_CHARS.sub("", str(text)))


def _clean(value: float | None) -> float:
    """Counts and durations are never negative; None, NaN or inf would poison the scale."""
    if value is None:
        return 0.0
    number = float(value)
    return number if math.isfinite(number) and number > 0 else 0.0


def _fmt(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return text + unit


def _n(value: float) -> str:
    """One decimal is sub-pixel precision and keeps the markup small."""
    return f"{value:.1f}".removesuffix(".0")


def _truncate(label: str, max_chars: int) -> str:
    # Cut before escaping, so an entity such as &amp; is never split in half.
    return label if len(label) <= max_chars else label[: max(1, max_chars - 1)] + "…"


def _nice_ceiling(value: float) -> float:
    """Round the y axis up to 1, 2, 2.5, 4 or 5 × 10^k so the top label reads cleanly."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(s * magnitude for s in (1, 2, 2.5, 4, 5, 10) if value <= s * magnitude)


def _empty(width: int, height: int) -> str:
    return (f'<text class="chart-empty" x="{_n(width / 2)}" y="{_n(height / 2 + 4)}" '
            f'text-anchor="middle" {TEXT}>{EMPTY_MESSAGE}</text>')


def _figure(title: str, desc: str, width: int, height: int, body: str,
            header: Sequence[str], rows: Sequence[Sequence[str]]) -> Markup:
    chart_id = f"chart-{next(_ids)}"
    svg = (f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="100%" '
           f'preserveAspectRatio="xMinYMin meet" role="img" '
           f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">'
           f'<title id="{chart_id}-title">{_e(title)}</title>'
           f'<desc id="{chart_id}-desc">{_e(desc)}</desc>{body}</svg>')
    head = "".join(f'<th scope="col">{_e(cell)}</th>' for cell in header)
    body_rows = "".join(
        f'<tr><th scope="row">{_e(row[0])}</th>'
        + "".join(f"<td>{_e(cell)}</td>" for cell in row[1:]) + "</tr>"
        for row in rows
    ) or f'<tr><td colspan="{len(header)}">{EMPTY_MESSAGE}</td></tr>'
    # The table sits inside the figcaption: a figure may only have it as first or last child.
    # Safe: every caller-supplied string above went through _e(); the rest is our own markup.
    return Markup(  # noqa: S704
        f'<figure class="chart">{svg}<figcaption><span class="chart-title">{_e(title)}</span>'
        f'<table class="chart-data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body_rows}</tbody></table></figcaption></figure>"
    )


def bar_chart(title: str, rows: Sequence[tuple[str, float]], *, unit: str = "",
              width: int = 480) -> Markup:
    """Horizontal bars scaled to the largest value, which is written at the end of each bar.

    `unit` is appended verbatim to every value (e.g. "%" or " h").
    """
    data = [(str(label), _clean(value)) for label, value in rows]
    texts = [_fmt(value, unit) for _, value in data]
    peak = max((value for _, value in data), default=0.0)
    if not peak:
        height, body, desc = 48, _empty(width, 48), EMPTY_MESSAGE
    else:
        label_w = width * 0.3
        bar_x = label_w + 8
        value_w = max(len(text) for text in texts) * CHAR_W + 8
        span = max(width - bar_x - value_w, 20.0)
        height = len(data) * ROW_H + 8
        parts = []
        for i, ((label, value), text) in enumerate(zip(data, texts, strict=True)):
            top = 4 + i * ROW_H
            baseline = _n(top + ROW_H / 2 + 4)
            length = span * value / peak
            shown = _truncate(label, int(label_w // CHAR_W))
            parts.append(
                f'<text x="{_n(label_w)}" y="{baseline}" text-anchor="end" {TEXT}>{_e(shown)}'
                f'</text><rect class="bar" x="{_n(bar_x)}" y="{_n(top + (ROW_H - BAR_H) / 2)}" '
                f'width="{_n(length)}" height="{BAR_H}" rx="2" fill="{BAR_FILL}">'
                f"<title>{_e(label)}: {_e(text)}</title></rect>"
                f'<text class="chart-value" x="{_n(bar_x + length + 4)}" y="{baseline}" '
                f"{TEXT}>{_e(text)}</text>"
            )
        body = "".join(parts)
        top_label, top_text = max(zip(data, texts, strict=True), key=lambda p: p[0][1])
        desc = f"Bar chart of {len(data)} items; the largest is {top_label[0]} at {top_text}."
    return _figure(title, desc, width, height, body, ("Label", "Value"),
                   list(zip((label for label, _ in data), texts, strict=True)))


def histogram(title: str, rows: Sequence[tuple[str, float]], *, unit: str = "",
              width: int = 480) -> Markup:
    """A distribution over a handful of buckets (e.g. CSAT 1–5): bars read best there."""
    return bar_chart(title, rows, unit=unit, width=width)


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
               *, width: int = 640, height: int = 220) -> Markup:
    """One polyline per series over shared x labels (e.g. tickets created vs resolved per day)."""
    labels = [str(label) for label in labels]
    data = []
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        data.append((str(name), [_clean(v) for v in values]))
    table = [(label, *(_fmt(values[i]) for _, values in data)) for i, label in enumerate(labels)]
    header = ("Label", *(name for name, _ in data))
    peak = max((v for _, values in data for v in values), default=0.0)
    if not peak:
        return _figure(title, EMPTY_MESSAGE, width, height, _empty(width, height), header, table)

    top_value = _nice_ceiling(peak)
    left, right, plot_top, bottom = 44, width - 12, 12, height - 48
    step = (right - left) / (len(labels) - 1) if len(labels) > 1 else 0.0
    xs = [left + i * step if step else (left + right) / 2 for i in range(len(labels))]

    def y(value: float) -> float:
        return bottom - (bottom - plot_top) * value / top_value

    parts = [
        f'<line class="chart-grid" x1="{left}" y1="{plot_top}" x2="{right}" y2="{plot_top}" '
        f'stroke="#e5e7eb"/><line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" '
        f'y2="{bottom}" stroke="#9ca3af"/>',
        f'<text x="{left - 6}" y="{plot_top + 4}" text-anchor="end" {TEXT}>'
        f"{_e(_fmt(top_value))}</text>",
        f'<text x="{left - 6}" y="{bottom + 4}" text-anchor="end" {TEXT}>0</text>',
    ]
    every = math.ceil(len(labels) / MAX_X_LABELS)
    for i in range(0, len(labels), every):
        half = len(labels[i]) * CHAR_W / 2
        # Keep the outermost labels inside the viewBox rather than clipped at its edge.
        anchor = "start" if xs[i] - half < 0 else "end" if xs[i] + half > width else "middle"
        parts.append(f'<text class="chart-x" x="{_n(xs[i])}" y="{bottom + 18}" '
                     f'text-anchor="{anchor}" {TEXT}>{_e(labels[i])}</text>')
    legend_x, legend_y = left, height - 10
    for k, (name, values) in enumerate(data):
        colour, dash = SERIES_STYLES[k % len(SERIES_STYLES)]
        stroke = (f'class="series-{k % len(SERIES_STYLES)}" fill="none" stroke="{colour}" '
                  f'stroke-width="2" stroke-dasharray="{dash}" stroke-linejoin="round"')
        points = " ".join(f"{_n(x)},{_n(y(v))}" for x, v in zip(xs, values, strict=True))
        parts.append(f"<polyline {stroke} points=\"{points}\"><title>{_e(name)}</title></polyline>")
        if len(values) == 1:  # a one-point polyline draws nothing, so mark the point
            parts.append(f'<circle cx="{_n(xs[0])}" cy="{_n(y(values[0]))}" r="3" '
                         f'fill="{colour}"/>')
        parts.append(f'<line {stroke} x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 24}" '
                     f'y2="{legend_y - 4}"/><text class="chart-legend" x="{legend_x + 30}" '
                     f'y="{legend_y}" {TEXT}>{_e(name)}</text>')
        legend_x += 30 + len(name) * CHAR_W + 16
    names = " and ".join(name for name, _ in data)
    desc = (f"Line chart of {names} across {len(labels)} points, from {labels[0]} to "
            f"{labels[-1]}; the highest value is {_fmt(peak)}.")
    return _figure(title, desc, width, height, "".join(parts), header, table)
