"""web.charts: numbers land where they should, text from a call stays text, and an empty chart
says so instead of failing."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from pitchlab.web import charts
from pitchlab.web.charts import Bar, Marker, Series

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str) -> ET.Element:
    """The figure as XML: every chart must be well-formed (an unescaped '<' would not be)."""
    return ET.fromstring(str(markup))


def svg_of(figure: ET.Element) -> ET.Element:
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    return svg


def attr(element: ET.Element, name: str) -> float:
    return float(element.attrib[name])


def test_a_bar_is_as_long_as_its_value_on_the_scale():
    figure = parsed(charts.bar_chart("c", "Scores", [Bar("a", 5), Bar("b", 3), Bar("c", 1)],
                                     maximum=5))
    bars = svg_of(figure).findall(f".//{SVG}rect[@class='bar']")
    widths = [attr(bar, "width") for bar in bars]
    assert widths == pytest.approx([charts.BAR_AREA, charts.BAR_AREA * 3 / 5,
                                    charts.BAR_AREA / 5], abs=0.01)
    assert all(attr(bar, "x") == charts.LABEL_WIDTH for bar in bars)


def test_without_a_maximum_the_largest_bar_fills_the_area_and_a_missing_value_has_none():
    figure = parsed(charts.bar_chart("c", "Fillers", [Bar("um", 4), Bar("like", 2),
                                                      Bar("skill", None, "not observed")]))
    widths = [attr(b, "width") for b in svg_of(figure).findall(f".//{SVG}rect[@class='bar']")]
    assert widths == pytest.approx([charts.BAR_AREA, charts.BAR_AREA / 2], abs=0.01)
    assert "not observed" in ET.tostring(figure, encoding="unicode")


def test_values_beyond_the_scale_are_clamped():
    assert charts.bar_length(9, 5) == charts.BAR_AREA
    assert charts.bar_length(-2, 5) == 0
    assert charts.bar_length(3, 0) == 0


def test_every_chart_has_role_img_a_title_and_the_same_numbers_in_a_hidden_table():
    figure = parsed(charts.bar_chart("skills", "Skill scores", [Bar("Discovery", 4)], maximum=5))
    svg = svg_of(figure)
    assert svg.attrib["role"] == "img"
    assert svg.attrib["aria-labelledby"] == "skills-title"
    assert svg.find(f"{SVG}title").text == "Skill scores"
    assert "viewBox" in svg.attrib  # scales with its container
    table = figure.find("table")
    assert table is not None and "visually-hidden" in table.attrib["class"]
    assert [c.text for c in table.iter() if c.tag in ("th", "td")][-2:] == ["Discovery", "4"]


def test_the_band_is_drawn_where_the_numbers_say_and_the_marker_at_the_value():
    figure = parsed(charts.gauge("pace", "Pace", 150, band_min=140, band_max=170,
                                 axis_max=240, unit=" wpm"))
    svg = svg_of(figure)
    band = svg.find(f".//{SVG}rect[@class='band']")
    span = charts.WIDTH - 2 * charts.PAD
    assert attr(band, "x") == pytest.approx(charts.PAD + span * 140 / 240, abs=0.01)
    assert attr(band, "width") == pytest.approx(span * 30 / 240, abs=0.01)
    marker = svg.find(f".//{SVG}line[@class='marker']")
    assert attr(marker, "x1") == pytest.approx(charts.PAD + span * 150 / 240, abs=0.01)
    assert marker.attrib["stroke"] == charts.GOOD  # within the band
    text = ET.tostring(figure, encoding="unicode")
    assert "140\u2013170 wpm" in text and "150 wpm" in text
    outside = svg_of(parsed(charts.gauge("p", "Pace", 200, band_min=140, band_max=170,
                                         axis_max=240)))
    assert outside.find(f".//{SVG}line[@class='marker']").attrib["stroke"] == charts.BAD


def test_the_talk_ratio_splits_the_bar_and_marks_the_band():
    svg = svg_of(parsed(charts.talk_ratio("t", "Talk", 0.25, band_min=0.35, band_max=0.5)))
    width = charts.WIDTH - 2 * charts.PAD
    rep = svg.find(f"{SVG}rect[@class='rep']")
    prospect = svg.find(f"{SVG}rect[@class='prospect']")
    assert attr(rep, "width") == pytest.approx(width * 0.25, abs=0.01)
    assert attr(prospect, "width") == pytest.approx(width * 0.75, abs=0.01)
    band = svg.find(f"{SVG}rect[@class='band']")
    assert attr(band, "x") == pytest.approx(charts.PAD + width * 0.35, abs=0.01)
    assert attr(band, "width") == pytest.approx(width * 0.15, abs=0.01)


def test_a_line_chart_maps_points_to_the_plot():
    svg = svg_of(parsed(charts.line_chart(
        "s", "Sentiment", [Series("Prospect", [(0, -1), (10, 0), (20, 1)])], y_min=-1, y_max=1)))
    points = [(attr(c, "cx"), attr(c, "cy")) for c in svg.findall(f".//{SVG}circle")
              if c.attrib.get("class") == "point"]
    bottom = charts.LINE_TOP + charts.LINE_HEIGHT
    assert points == [
        (charts.LINE_LEFT, bottom),
        (pytest.approx((charts.LINE_LEFT + charts.LINE_RIGHT) / 2), charts.LINE_TOP
         + charts.LINE_HEIGHT / 2),
        (charts.LINE_RIGHT, charts.LINE_TOP),
    ]
    assert svg.find(f".//{SVG}polyline") is not None


def test_moments_are_placed_at_their_time_on_the_timeline():
    markers = [Marker(30_000, "Discovery", "good question", True),
               Marker(90_000, "Closing", "vague next step", False)]
    figure = parsed(charts.timeline("m", "Moments", 120_000, markers))
    groups = svg_of(figure).findall(f"{SVG}g")
    assert [g.attrib["data-at-ms"] for g in groups] == ["30000", "90000"]
    assert "strength" in groups[0].attrib["class"] and "improvement" in groups[1].attrib["class"]
    circle = groups[0].find(f"{SVG}circle")
    assert attr(circle, "cx") == pytest.approx(charts.timeline_x(30_000, 120_000), abs=0.01)
    assert charts.timeline_x(30_000, 120_000) == pytest.approx(
        charts.PAD + (charts.WIDTH - 2 * charts.PAD) / 4)
    text = ET.tostring(figure, encoding="unicode")
    assert "0:30" in text and "1:30" in text and "vague next step" in text


def test_moments_at_the_same_time_stay_apart():
    markers = [Marker(0, "A", "one", True), Marker(0, "B", "two", False),
               Marker(0, "C", "three", True)]
    groups = svg_of(parsed(charts.timeline("m", "Moments", 0, markers))).findall(f"{SVG}g")
    xs = sorted(float(re.search(r'(?:cx|x)="([\d.]+)"', ET.tostring(g, encoding="unicode"))
                      .group(1)) for g in groups)
    assert all(b - a >= 20 for a, b in itertools.pairwise(xs))


@pytest.mark.parametrize("make", [
    lambda bad: charts.bar_chart("c", bad, [Bar(bad, 2)]),
    lambda bad: charts.timeline("c", "Moments", 1000, [Marker(10, bad, bad, True)]),
    lambda bad: charts.line_chart("c", bad, [Series(bad, [(0, 0.5)])], y_min=-1, y_max=1,
                                  x_labels=[(0, bad)], point_labels=[bad]),
    lambda bad: charts.gauge("c", bad, 1, band_min=None, band_max=None, axis_max=2, unit=bad),
    lambda bad: charts.talk_ratio("c", bad, 0.5),
    lambda bad: charts.no_data("c", bad, bad),
])
def test_text_from_the_call_is_escaped(make):
    bad = '<script>alert("x")</script>&'
    markup = str(make(bad))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    parsed(markup)  # still well-formed


def test_an_id_cannot_break_out_of_its_attribute():
    markup = str(charts.bar_chart('x" onload="evil', "T", [Bar("a", 1)]))
    assert 'onload="evil' not in markup


@pytest.mark.parametrize("make", [
    lambda: charts.bar_chart("c", "Filler words", [], empty="No filler words."),
    lambda: charts.line_chart("c", "Progress", [Series("Score", [])], y_min=1, y_max=5),
    lambda: charts.timeline("c", "Moments", 60_000, []),
])
def test_empty_data_gives_a_clear_no_data_chart(make):
    figure = parsed(make())
    svg = svg_of(figure)
    assert svg.attrib["role"] == "img"
    assert svg.find(f".//{SVG}text[@class='no-data']") is not None
    assert "No " in svg.find(f"{SVG}title").text


def test_numbers_are_formatted_as_people_read_them():
    assert charts.fmt(3.0) == "3" and charts.fmt(3.25, 2) == "3.25" and charts.fmt(-0.0) == "0"
    assert charts.clock(0) == "0:00" and charts.clock(61_500) == "1:01"
