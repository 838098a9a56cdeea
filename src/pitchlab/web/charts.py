"""Charts of the feedback report as inline SVG: pure functions, numbers in, markup out.

Every chart is a ``<figure>`` holding an ``<svg role="img">`` with a ``<title>`` (its accessible
name) and, beside it, the same numbers in a visually-hidden table for screen readers. Text from
the call (a filler word, a quote) is escaped: it never becomes markup. The SVGs draw in a
``viewBox`` and scale with their container (a phone's width included). Colours have at least
3:1 contrast on white (graphics) and text at least 4.5:1.

Geometry is plain arithmetic on the constants below, so tests can check that a number lands where
it should (a bar of 3 out of 5 is 3/5 of ``BAR_AREA`` long).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 440  # drawn narrow: on a phone the text scales down less
LABEL_WIDTH = 150  # the left column of a bar chart, for its labels
VALUE_WIDTH = 50  # the right column, for the numbers
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH
BAR_HEIGHT = 22
BAR_GAP = 12
PAD = 12

# On white: text #1b1f24 (16:1), muted #4a5361 (7.6:1); fills >= 3:1 (graphics).
INK = "#1b1f24"
MUTED = "#4a5361"
GRID = "#8c959f"
REP = "#0b5cad"  # 6.4:1
PROSPECT = "#8a5300"  # 6.3:1
GOOD = "#146c2e"  # 6.6:1
BAD = "#b42318"  # 6.5:1
BAND = "#d6ead9"  # a light wash under the band's edges, which are drawn in GOOD


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt(value: float, digits: int = 1) -> str:
    """A number as people read it: 3, 3.5, 0.43."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _svg(ident: str, title: str, height: float, body: str, desc: str = "") -> str:
    ident = str(escape(ident))
    described = f' aria-describedby="{ident}-desc"' if desc else ""
    desc_tag = f'<desc id="{ident}-desc">{escape(desc)}</desc>' if desc else ""
    return (f'<svg class="chart" id="{ident}" role="img" viewBox="0 0 {WIDTH} {_n(height)}" '
            f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{ident}-title"{described} '
            f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
            f'font-size="15">'
            f'<title id="{ident}-title">{escape(title)}</title>{desc_tag}{body}</svg>')


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{escape(cell)}</th>' if i == 0 else f"<td>{escape(cell)}</td>")
            for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return (f'<table class="visually-hidden"><caption>{escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _figure(ident: str, svg: str, table: str) -> Markup:
    # Every piece above is built from escaped text and numbers only.
    return Markup(f'<figure class="chart-figure" data-chart="{escape(ident)}">{svg}{table}'
                  "</figure>")


def no_data(ident: str, title: str, message: str = "No data for this chart.") -> Markup:
    """A chart with nothing to draw says so, in the picture and in words."""
    body = (f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="59" fill="#ffffff" '
            f'stroke="{GRID}" stroke-dasharray="4 4"/>'
            f'<text x="{WIDTH // 2}" y="35" text-anchor="middle" fill="{MUTED}" '
            f'class="no-data">{escape(message)}</text>')
    svg = _svg(ident, f"{title}: {message}", 60, body)
    return _figure(ident, svg, f'<p class="visually-hidden">{escape(message)}</p>')


# --- bars -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no value (a skill not observed)
    note: str = ""  # shown instead of a number when value is None


def bar_length(value: float, maximum: float) -> float:
    """How long a bar of ``value`` is on a scale that ends at ``maximum``."""
    if maximum <= 0:
        return 0.0
    return BAR_AREA * _clamp(value, 0, maximum) / maximum


def bar_chart(ident: str, title: str, bars: Sequence[Bar], *, maximum: float | None = None,
              unit: str = "", colour: str = REP, empty: str = "No data for this chart.",
              value_header: str = "Value") -> Markup:
    """Horizontal bars, one a row, each with its label and number; ``maximum`` fixes the scale
    (a 1-5 score), otherwise the largest value ends it."""
    if not bars:
        return no_data(ident, title, empty)
    values = [b.value for b in bars if b.value is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = PAD + i * (BAR_HEIGHT + BAR_GAP)
        mid = y + BAR_HEIGHT / 2 + 5
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{_n(mid)}" text-anchor="end" '
                     f'fill="{INK}">{escape(bar.label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{_n(BAR_AREA)}" '
                     f'height="{BAR_HEIGHT}" fill="#f4f6f8" stroke="{GRID}" stroke-width="0.5"/>')
        if bar.value is None:
            shown = ""
            parts.append(f'<text x="{LABEL_WIDTH + 8}" y="{_n(mid)}" fill="{MUTED}" '
                         f'font-style="italic">{escape(bar.note or "no value")}</text>')
        else:
            length = bar_length(bar.value, top)
            parts.append(f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{_n(length)}" '
                         f'height="{BAR_HEIGHT}" fill="{colour}" '
                         f'data-value="{escape(fmt(bar.value, 2))}"/>')
            shown = fmt(bar.value) + unit
        parts.append(f'<text x="{LABEL_WIDTH + BAR_AREA + 8}" y="{_n(mid)}" '
                     f'fill="{INK}">{escape(shown)}</text>')
    height = PAD * 2 + len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    svg = _svg(ident, title, height, "".join(parts))
    rows = [(b.label, (fmt(b.value) + unit) if b.value is not None else (b.note or "none"))
            for b in bars]
    return _figure(ident, svg, _table(title, ("Item", value_header), rows))


# --- talk ratio ---------------------------------------------------------------------------------

def talk_ratio(ident: str, title: str, rep_share: float, *, band_min: float | None = None,
               band_max: float | None = None, rep_seconds: float | None = None,
               prospect_seconds: float | None = None) -> Markup:
    """One bar split between the rep (left) and the prospect (right), with the reference band
    for the rep's share marked above it."""
    share = _clamp(rep_share, 0, 1)
    left, top, width, height = PAD, 40, WIDTH - 2 * PAD, 34
    rep_w = width * share
    parts = [
        f'<rect class="rep" x="{left}" y="{top}" width="{_n(rep_w)}" height="{height}" '
        f'fill="{REP}"/>',
        f'<rect class="prospect" x="{_n(left + rep_w)}" y="{top}" '
        f'width="{_n(width - rep_w)}" height="{height}" fill="{PROSPECT}"/>',
        f'<text x="{left}" y="{top + height + 22}" fill="{REP}" font-weight="700">'
        f'You {fmt(share * 100, 0)}%</text>',
        f'<text x="{left + width}" y="{top + height + 22}" text-anchor="end" '
        f'fill="{PROSPECT}" font-weight="700">Prospect {fmt((1 - share) * 100, 0)}%</text>',
    ]
    if band_min is not None and band_max is not None:
        x1 = left + width * _clamp(band_min, 0, 1)
        x2 = left + width * _clamp(band_max, 0, 1)
        parts.append(f'<rect class="band" x="{_n(x1)}" y="{top - 10}" width="{_n(x2 - x1)}" '
                     f'height="6" fill="{GOOD}"/>')
        parts.append(f'<text x="{_n((x1 + x2) / 2)}" y="{top - 16}" text-anchor="middle" '
                     f'fill="{GOOD}">Good range {fmt(band_min * 100, 0)}\u2013'
                     f'{fmt(band_max * 100, 0)}%</text>')
    svg = _svg(ident, title, top + height + 34, "".join(parts))
    rows = [("You", f"{fmt(share * 100, 0)}%"
             + (f" ({fmt(rep_seconds, 0)} s)" if rep_seconds is not None else "")),
            ("Prospect", f"{fmt((1 - share) * 100, 0)}%"
             + (f" ({fmt(prospect_seconds, 0)} s)" if prospect_seconds is not None else ""))]
    if band_min is not None and band_max is not None:
        rows.append(("Good range for you",
                     f"{fmt(band_min * 100, 0)}\u2013{fmt(band_max * 100, 0)}%"))
    return _figure(ident, svg, _table(title, ("Speaker", "Share of talk time"), rows))


# --- a value against a band ------------------------------------------------------------------

def scale_x(value: float, axis_max: float) -> float:
    """Where ``value`` sits on a gauge's axis (0..axis_max across the drawing width)."""
    if axis_max <= 0:
        return float(PAD)
    return PAD + (WIDTH - 2 * PAD) * _clamp(value, 0, axis_max) / axis_max


def gauge(ident: str, title: str, value: float, *, band_min: float | None,
          band_max: float | None, axis_max: float, unit: str = "",
          value_label: str = "You") -> Markup:
    """A value as a marker on an axis from 0 to ``axis_max``, over the reference band."""
    top, height = 34, 26
    parts = [f'<line x1="{PAD}" y1="{top + height}" x2="{WIDTH - PAD}" y2="{top + height}" '
             f'stroke="{GRID}" stroke-width="1"/>']
    for tick in _ticks(axis_max):
        x = scale_x(tick, axis_max)
        anchor = "start" if tick == 0 else ("end" if tick >= axis_max else "middle")
        parts.append(f'<line x1="{_n(x)}" y1="{top + height}" x2="{_n(x)}" '
                     f'y2="{top + height + 5}" stroke="{GRID}"/>'
                     f'<text x="{_n(x)}" y="{top + height + 20}" text-anchor="{anchor}" '
                     f'fill="{MUTED}" font-size="12">{escape(fmt(tick))}</text>')
    if band_min is not None or band_max is not None:
        low = band_min if band_min is not None else 0.0
        high = band_max if band_max is not None else axis_max
        x1, x2 = scale_x(low, axis_max), scale_x(high, axis_max)
        parts.append(f'<rect class="band" x="{_n(x1)}" y="{top}" width="{_n(x2 - x1)}" '
                     f'height="{height}" fill="{BAND}" stroke="{GOOD}" stroke-width="2" '
                     f'data-min="{escape(fmt(low, 2))}" data-max="{escape(fmt(high, 2))}"/>')
    within = ((band_min is None or value >= band_min) and (band_max is None or value <= band_max))
    colour = GOOD if within else BAD
    x = scale_x(value, axis_max)
    parts.append(f'<line class="marker" x1="{_n(x)}" y1="{top - 6}" x2="{_n(x)}" '
                 f'y2="{top + height + 4}" stroke="{colour}" stroke-width="4" '
                 f'data-value="{escape(fmt(value, 2))}"/>')
    anchor = "start" if x < WIDTH * 0.2 else ("end" if x > WIDTH * 0.8 else "middle")
    parts.append(f'<text x="{_n(x)}" y="{top - 12}" text-anchor="{anchor}" fill="{colour}" '
                 f'font-weight="700">{escape(value_label)}: {escape(fmt(value))}'
                 f'{escape(unit)}</text>')
    svg = _svg(ident, title, top + height + 28, "".join(parts))
    band_text = _band_text(band_min, band_max, unit)
    rows = [(value_label, fmt(value) + unit)]
    if band_text:
        rows.append(("Reference band", band_text))
    return _figure(ident, svg, _table(title, ("Measure", "Value"), rows))


def _band_text(band_min: float | None, band_max: float | None, unit: str) -> str:
    if band_min is not None and band_max is not None:
        return f"{fmt(band_min)}\u2013{fmt(band_max)}{unit}"
    if band_min is not None:
        return f"at least {fmt(band_min)}{unit}"
    if band_max is not None:
        return f"at most {fmt(band_max)}{unit}"
    return ""


def _ticks(axis_max: float) -> list[float]:
    if axis_max <= 0:
        return [0.0]
    step = axis_max / 4
    return [round(step * i, 2) for i in range(5)]


# --- lines --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[float, float]]  # (x, y)
    colour: str = REP


LINE_TOP, LINE_HEIGHT = 16, 160
LINE_LEFT, LINE_RIGHT = 44, WIDTH - PAD


def line_xy(x: float, y: float, *, x_min: float, x_max: float, y_min: float,
            y_max: float) -> tuple[float, float]:
    """Where the point (x, y) is drawn."""
    span_x = (x_max - x_min) or 1.0
    span_y = (y_max - y_min) or 1.0
    px = LINE_LEFT + (LINE_RIGHT - LINE_LEFT) * (_clamp(x, x_min, x_max) - x_min) / span_x
    py = LINE_TOP + LINE_HEIGHT * (1 - (_clamp(y, y_min, y_max) - y_min) / span_y)
    return px, py


def line_chart(ident: str, title: str, series: Sequence[Series], *, y_min: float,
               y_max: float, x_labels: Sequence[tuple[float, str]] = (),
               y_ticks: Sequence[float] = (), x_header: str = "Point",
               point_labels: Sequence[str] | None = None, zero_line: bool = False,
               empty: str = "No data for this chart.") -> Markup:
    """Lines (one per series) on a shared x axis; a single point is drawn as a dot."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return no_data(ident, title, empty)
    xs = [x for s in drawn for x, _ in s.points]
    x_min, x_max = min(xs), max(xs)
    scale = {"x_min": x_min, "x_max": x_max, "y_min": y_min, "y_max": y_max}
    parts: list[str] = []
    for tick in y_ticks or (y_min, y_max):
        _, py = line_xy(x_min, tick, **scale)
        dash = "" if (zero_line and tick == 0) else ' stroke-dasharray="3 4"'
        parts.append(f'<line x1="{LINE_LEFT}" y1="{_n(py)}" x2="{LINE_RIGHT}" y2="{_n(py)}" '
                     f'stroke="{GRID}" stroke-width="1"{dash}/>'
                     f'<text x="{LINE_LEFT - 6}" y="{_n(py + 4)}" text-anchor="end" '
                     f'fill="{MUTED}" font-size="12">{escape(fmt(tick))}</text>')
    for x, label in x_labels:
        px, _ = line_xy(x, y_min, **scale)
        anchor = ("start" if px <= LINE_LEFT + 20 else
                  "end" if px >= LINE_RIGHT - 20 else "middle")
        parts.append(f'<text x="{_n(px)}" y="{LINE_TOP + LINE_HEIGHT + 18}" '
                     f'text-anchor="{anchor}" fill="{MUTED}" font-size="12">{escape(label)}</text>')
    for index, s in enumerate(drawn):
        coords = [line_xy(x, y, **scale) for x, y in s.points]
        if len(coords) > 1:
            path = " ".join(f"{_n(px)},{_n(py)}" for px, py in coords)
            parts.append(f'<polyline class="line" points="{path}" fill="none" '
                         f'stroke="{s.colour}" stroke-width="3" stroke-linejoin="round"/>')
        for (px, py), (_, y) in zip(coords, s.points, strict=True):
            parts.append(f'<circle class="point" cx="{_n(px)}" cy="{_n(py)}" r="4" '
                         f'fill="{s.colour}" data-value="{escape(fmt(y, 2))}"/>')
        # the legend, under the axis labels
        lx = LINE_LEFT + index * 130
        ly = LINE_TOP + LINE_HEIGHT + 40
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="4" fill="{s.colour}"/>'
                     f'<text x="{lx + 20}" y="{ly - 4}" fill="{INK}">{escape(s.name)}</text>')
    svg = _svg(ident, title, LINE_TOP + LINE_HEIGHT + 48, "".join(parts))
    rows: list[list[str]] = []
    for s in drawn:
        for i, (x, y) in enumerate(s.points):
            label = point_labels[i] if point_labels and i < len(point_labels) else fmt(x)
            rows.append([label, s.name, fmt(y, 2)])
    return _figure(ident, svg, _table(title, (x_header, "Series", "Value"), rows))


# --- a timeline of the call ---------------------------------------------------------------------

@dataclass(frozen=True)
class Marker:
    at_ms: int
    label: str  # short: the skill
    text: str  # what happened there (the quote)
    good: bool  # a strength (True) or something to improve


TIMELINE_TOP, TIMELINE_Y = 20, 50


def timeline_x(at_ms: float, duration_ms: float) -> float:
    if duration_ms <= 0:
        return float(PAD)
    return PAD + (WIDTH - 2 * PAD) * _clamp(at_ms, 0, duration_ms) / duration_ms


def clock(ms: float) -> str:
    seconds = max(0, int(ms // 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _free_spot(x: float, placed: Sequence[float], size: float = 24) -> float:
    """Markers closer than their width would hide each other: the nearest free spot on the
    line (right first, then left), so that every marker is seen."""
    for step in range(len(placed) * 2 + 1):
        offset = size * ((step + 1) // 2) * (1 if step % 2 else -1)
        candidate = _clamp(x + offset, PAD + size / 2, WIDTH - PAD - size / 2)
        if all(abs(candidate - other) >= size for other in placed):
            return candidate
    return x


def timeline(ident: str, title: str, duration_ms: float, markers: Sequence[Marker], *,
             empty: str = "No coaching moments in this call.") -> Markup:
    """The call as a line from 0 to its end, each marker where it happened (numbered: the
    list beside the chart carries the text), green for a strength, red for an improvement."""
    if not markers:
        return no_data(ident, title, empty)
    end = max(duration_ms, max(m.at_ms for m in markers), 1)
    parts = [f'<line x1="{PAD}" y1="{TIMELINE_Y}" x2="{WIDTH - PAD}" y2="{TIMELINE_Y}" '
             f'stroke="{GRID}" stroke-width="3"/>',
             f'<text x="{PAD}" y="{TIMELINE_Y + 36}" fill="{MUTED}" font-size="12">0:00</text>',
             f'<text x="{WIDTH - PAD}" y="{TIMELINE_Y + 36}" text-anchor="end" fill="{MUTED}" '
             f'font-size="12">{clock(end)}</text>']
    placed: list[float] = []
    for number, marker in enumerate(markers, start=1):
        x = _free_spot(timeline_x(marker.at_ms, end), placed)
        placed.append(x)
        colour = GOOD if marker.good else BAD
        kind = "strength" if marker.good else "improvement"
        shape = (f'<circle cx="{_n(x)}" cy="{TIMELINE_Y}" r="11" fill="{colour}"/>' if marker.good
                 else f'<rect x="{_n(x - 10)}" y="{TIMELINE_Y - 10}" width="20" height="20" '
                      f'fill="{colour}"/>')
        parts.append(f'<g class="moment {kind}" data-at-ms="{int(marker.at_ms)}">'
                     f'<title>{number}. {escape(marker.label)} at {clock(marker.at_ms)}: '
                     f'{escape(marker.text)}</title>{shape}'
                     f'<text x="{_n(x)}" y="{TIMELINE_Y + 5}" text-anchor="middle" '
                     f'fill="#ffffff" font-size="12" font-weight="700">{number}</text></g>')
    legend_y = TIMELINE_TOP - 4
    parts.append(f'<circle cx="{PAD + 6}" cy="{legend_y}" r="6" fill="{GOOD}"/>'
                 f'<text x="{PAD + 18}" y="{legend_y + 5}" fill="{INK}" font-size="12">'
                 f'Strength</text>'
                 f'<rect x="{PAD + 100}" y="{legend_y - 6}" width="12" height="12" fill="{BAD}"/>'
                 f'<text x="{PAD + 118}" y="{legend_y + 5}" fill="{INK}" font-size="12">'
                 f'To improve</text>')
    svg = _svg(ident, title, TIMELINE_Y + 46, "".join(parts))
    rows = [(f"{i}", clock(m.at_ms), ("Strength" if m.good else "To improve") + f": {m.label}",
             m.text) for i, m in enumerate(markers, start=1)]
    return _figure(ident, svg, _table(title, ("Moment", "Time", "Kind", "Said"), rows))
