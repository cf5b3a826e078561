"""Server-rendered SVG charts for the reports: geometry here, drawing in
``templates/billing/includes/_chart.html``.

No JavaScript and no floats: coordinates come from Decimal arithmetic, formatted as
strings. Every chart is readable without colour and on paper — each series has a fill
pattern (``_chart.html`` defines them) as well as a colour, values are printed on the bars,
and the axes say what is counted and in which unit. A ``viewBox`` with ``width="100%"``
lets the browser scale a chart down to a 375-px phone; the table under each chart holds
every exact value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

WIDTH = 420
MAX_SERIES = 6  # patterns defined in _chart.html
COUNT, MONEY, PERCENT = "count", "money", "percent"
CHAR_WIDTH = 6  # rough width of one character at the charts' 11-px font
LEGEND_ROW = 16
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]  # None: not known (drawn as no bar, labelled "—")


@dataclass(frozen=True)
class Rect:
    x: str
    y: str
    width: str
    height: str
    pattern: int
    tooltip: str


@dataclass(frozen=True)
class Text:
    x: str
    y: str
    text: str
    anchor: str = "middle"
    css: str = ""
    rotate: bool = False
    halo: bool = False  # a white outline keeps a label readable over any fill


@dataclass(frozen=True)
class Line:
    x1: str
    y1: str
    x2: str
    y2: str
    css: str = "axis"


@dataclass(frozen=True)
class LegendItem:
    x: str
    y: str
    pattern: int
    name: str

    @property
    def text_x(self) -> str:
        return _c(Decimal(self.x) + 16)

    @property
    def text_y(self) -> str:
        return _c(Decimal(self.y) + 10)


@dataclass
class Chart:
    chart_id: str
    title: str
    desc: str
    height: int = 0
    width: int = WIDTH
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    empty: bool = False


def _c(value: Decimal | int) -> str:
    """An SVG coordinate: one decimal at most, never an exponent."""
    text = f"{Decimal(value).quantize(TENTH, ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


def format_value(value: Decimal | int, unit: str, *, compact: bool = False) -> str:
    """A value as a label: 12 · $1,234 (compact: $1.2k) · 45%."""
    value = Decimal(value)
    if unit == PERCENT:
        return f"{value.quantize(TENTH, ROUND_HALF_UP).normalize():f}%"
    if unit == MONEY:
        if compact and abs(value) >= 1000:
            thousands = (value / 1000).quantize(TENTH, ROUND_HALF_UP).normalize()
            return f"${thousands:f}k"
        if value == value.to_integral_value():
            return f"${value:,.0f}"
        return f"${value:,.2f}"
    return f"{value.to_integral_value(ROUND_HALF_UP):,.0f}"


def nice_axis(largest: Decimal | int, unit: str) -> tuple[Decimal, Decimal]:
    """(axis maximum, tick step): 1, 2 or 5 times a power of ten, about four ticks;
    whole steps for counts and money."""
    largest = Decimal(largest)
    if largest <= 0:
        return Decimal(4), Decimal(1)
    raw = largest / 4
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if unit != PERCENT and step < 1:
        step = Decimal(1)
    ticks = (largest / step).to_integral_value(rounding=ROUND_CEILING)
    return ticks * step, step


def _legend(chart: Chart, series: Sequence[Series], top: int, left: int) -> int:
    """Lay legend items in rows across the chart; return the y below the legend."""
    x, y = left, top
    for index, one in enumerate(series):
        width = 16 + len(one.name) * CHAR_WIDTH + 14
        if x > left and x + width > WIDTH - 4:
            x, y = left, y + LEGEND_ROW
        chart.legend.append(LegendItem(x=_c(x), y=_c(y), pattern=index, name=one.name))
        x += width
    return y + LEGEND_ROW + 4 if series else top


def _check(series: Sequence[Series], count: int) -> None:
    if len(series) > MAX_SERIES:
        raise ValueError(f"At most {MAX_SERIES} series; group the rest as 'Other'.")
    for one in series:
        if len(one.values) != count:
            raise ValueError(f"Series {one.name!r} has {len(one.values)} values, not {count}.")


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    unit: str = COUNT,
) -> Chart:
    """Vertical stacked columns, one per category (a month, an age bucket), with the
    column's total printed on top and each segment's value inside when it fits.
    ``categories`` are (first line, second line) labels under the axis."""
    _check(series, len(categories))
    chart = Chart(chart_id=chart_id, title=title, desc=desc)
    left, right, plot_height = 50, 8, 180
    top = _legend(chart, series, 4, left) + 14
    bottom = top + plot_height
    plot_width = Decimal(WIDTH - left - right)
    totals = [
        sum((Decimal(s.values[i] or 0) for s in series), Decimal(0)) for i in range(len(categories))
    ]
    chart.empty = not any(totals)
    axis_max, step = nice_axis(max(totals, default=0), unit)
    scale = Decimal(plot_height) / axis_max

    _y_axis(
        chart,
        left=left,
        right=WIDTH - right,
        top=top,
        bottom=bottom,
        axis_max=axis_max,
        step=step,
        scale=scale,
        unit=unit,
        label=y_label,
    )

    count = max(len(categories), 1)
    slot = plot_width / count
    bar = slot * Decimal("0.66")
    every = -(-count // 12)  # label at most about 12 categories
    for i, (first, second) in enumerate(categories):
        x = left + slot * i + (slot - bar) / 2
        centre = left + slot * i + slot / 2
        base = Decimal(bottom)
        for index, one in enumerate(series):
            value = Decimal(one.values[i] or 0)
            if value <= 0:
                continue
            height = value * scale
            base -= height
            chart.rects.append(
                Rect(
                    _c(x),
                    _c(base),
                    _c(bar),
                    _c(height),
                    index,
                    f"{first} {second}".strip() + f" · {one.name}: {format_value(value, unit)}",
                )
            )
            if len(series) > 1 and height >= 13 and bar >= 20:
                chart.texts.append(
                    Text(
                        _c(centre),
                        _c(base + height / 2 + 4),
                        format_value(value, unit, compact=True),
                        css="segment",
                        halo=True,
                    )
                )
        if slot >= 16:
            chart.texts.append(
                Text(
                    _c(centre),
                    _c(base - 3),
                    format_value(totals[i], unit, compact=True),
                    css="value",
                )
            )
        if i % every == 0:
            chart.texts.append(Text(_c(centre), _c(bottom + 13), first, css="tick"))
            if second:
                chart.texts.append(Text(_c(centre), _c(bottom + 25), second, css="tick"))
    chart.texts.append(Text(_c(left + plot_width / 2), _c(bottom + 42), x_label, css="axis-label"))
    chart.height = bottom + 50
    if chart.empty:
        chart.texts.append(
            Text(
                _c(left + plot_width / 2),
                _c(top + plot_height // 2),
                "No data in this period",
                css="empty",
            )
        )
    return chart


def _y_axis(chart: Chart, *, left, right, top, bottom, axis_max, step, scale, unit, label):
    tick = Decimal(0)
    while tick <= axis_max:
        y = bottom - tick * scale
        chart.lines.append(Line(_c(left), _c(y), _c(right), _c(y), "grid"))
        chart.texts.append(
            Text(_c(left - 4), _c(y + 4), format_value(tick, unit, compact=True), "end", "tick")
        )
        tick += step
    chart.lines.append(Line(_c(left), _c(top), _c(left), _c(bottom)))
    chart.lines.append(Line(_c(left), _c(bottom), _c(right), _c(bottom)))
    chart.texts.append(Text("12", _c((top + bottom) // 2), label, css="axis-label", rotate=True))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    unit: str = MONEY,
    stacked: bool = False,
    axis_max: Decimal | None = None,
    end_labels: Sequence[str] | None = None,
) -> Chart:
    """Horizontal bars, one block per category (a payer, a clinician) with its name above
    it, so long names need no room on the side. Grouped: one bar per series with its value
    at the end. Stacked: one bar, segment values inside, the total (or ``end_labels``) at
    the end. ``axis_max`` fixes the scale (100 for shares)."""
    _check(series, len(categories))
    chart = Chart(chart_id=chart_id, title=title, desc=desc)
    left, right = 8, 78
    plot_width = Decimal(WIDTH - left - right)
    top = _legend(chart, series, 4, left) + 4
    known = [[s.values[i] is not None for s in series] for i in range(len(categories))]
    values = [[Decimal(s.values[i] or 0) for s in series] for i in range(len(categories))]
    largest = max(
        (sum(row, Decimal(0)) if stacked else max(row, default=Decimal(0)) for row in values),
        default=Decimal(0),
    )
    chart.empty = largest <= 0
    if axis_max is None:
        axis_max, step = nice_axis(largest, unit)
    else:
        step = axis_max / 4
    scale = plot_width / axis_max
    bar_height = 16 if stacked else 12
    y = Decimal(top)
    for i, name in enumerate(categories):
        y += 12
        chart.texts.append(Text(_c(left), _c(y), _short(name), "start", "category"))
        y += 4
        x = Decimal(left)
        for index, one in enumerate(series):
            value = values[i][index]
            width = max(value, Decimal(0)) * scale
            if width > 0:
                chart.rects.append(
                    Rect(
                        _c(x),
                        _c(y),
                        _c(width),
                        _c(bar_height),
                        index,
                        f"{name} · {one.name}: {format_value(value, unit)}",
                    )
                )
            if stacked:
                label = format_value(value, unit)
                if width >= len(label) * CHAR_WIDTH + 4:
                    chart.texts.append(
                        Text(
                            _c(x + width / 2),
                            _c(y + bar_height - 4),
                            label,
                            css="segment",
                            halo=True,
                        )
                    )
                x += width
            else:
                end = format_value(value, unit) if known[i][index] else "—"
                end = end_labels[i] if end_labels else end
                chart.texts.append(
                    Text(_c(left + width + 4), _c(y + bar_height - 2), end, "start", "value")
                )
                y += bar_height + 2
        if stacked:
            end = end_labels[i] if end_labels else format_value(sum(values[i]), unit)
            chart.texts.append(Text(_c(x + 4), _c(y + bar_height - 4), end, "start", "value"))
            y += bar_height + 2
        y += 6
    if not categories:
        chart.texts.append(
            Text(_c(left + plot_width / 2), _c(y + 20), "No data in this period", css="empty")
        )
        y += 30
    bottom = y + 2
    tick = Decimal(0)
    while tick <= axis_max:
        x = left + tick * scale
        chart.lines.append(Line(_c(x), _c(top), _c(x), _c(bottom), "grid"))
        chart.texts.append(Text(_c(x), _c(bottom + 13), format_value(tick, unit), css="tick"))
        tick += step
    chart.lines.append(Line(_c(left), _c(top), _c(left), _c(bottom)))
    chart.lines.append(Line(_c(left), _c(bottom), _c(left + plot_width), _c(bottom)))
    chart.texts.append(Text(_c(left + plot_width / 2), _c(bottom + 30), x_label, css="axis-label"))
    chart.height = int(bottom) + 38
    return chart


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
