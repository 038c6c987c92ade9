"""Server-drawn SVG charts: parsed as XML, so the checks see structure rather than substrings."""

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from helpdesk.services.reporting.charts import EMPTY_MESSAGE, bar_chart, histogram, line_chart

XSS = '<script>alert(1)</script>" onload="alert(2)'
DAYS = [f"May {d:02d}" for d in range(1, 31)]


def parse(markup):
    assert isinstance(markup, Markup)
    # Wrapped in a root so several charts (one page) can be parsed together.
    return ET.fromstring(f"<root>{markup}</root>")  # noqa: S314 (our own output, not input)


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find_all(root, tag, cls=None):
    return [el for el in root.iter()
            if local(el.tag) == tag and (cls is None or el.get("class") == cls)]


def table_cells(root):
    table = find_all(root, "table", "chart-data")[0]
    return [["".join(cell.itertext()) for cell in row] for row in find_all(table, "tr")]


def bar_widths(root):
    return [float(rect.get("width")) for rect in find_all(root, "rect", "bar")]


def test_bar_lengths_are_proportional_to_values():
    root = parse(bar_chart("Open by category", [("Email", 40), ("Billing", 10), ("VPN", 25)]))
    email, billing, vpn = bar_widths(root)
    assert email > vpn > billing > 0
    assert billing / email == pytest.approx(10 / 40, abs=0.01)
    assert vpn / email == pytest.approx(25 / 40, abs=0.01)


def test_bar_chart_fits_its_viewbox_and_writes_each_value_after_its_bar():
    width = 390
    root = parse(bar_chart("Hours", [("A", 1.5), ("B", 3)], unit=" h", width=width))
    svg = find_all(root, "svg")[0]
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").split()[2] == str(width)
    rects = find_all(root, "rect", "bar")
    values = find_all(root, "text", "chart-value")
    assert [v.text for v in values] == ["1.5 h", "3 h"]
    for rect, value in zip(rects, values, strict=True):
        end = float(rect.get("x")) + float(rect.get("width"))
        assert end < float(value.get("x")) < width
        assert end <= width


@pytest.mark.parametrize("rows", [[], [("Email", 0), ("VPN", 0)]], ids=["empty", "all-zero"])
def test_bar_chart_without_data_says_so(rows):
    root = parse(bar_chart("Open by category", rows))
    # Drawn text, not just the <desc>: sighted users must see why the chart is blank.
    assert [el.text for el in find_all(root, "text")] == [EMPTY_MESSAGE]
    assert not any(bar_widths(root))


def test_line_chart_without_data_says_so():
    root = parse(line_chart("Created vs resolved", [], [("Created", [])]))
    assert [el.text for el in find_all(root, "text")] == [EMPTY_MESSAGE]
    assert find_all(root, "polyline") == []
    assert table_cells(root)[-1] == [EMPTY_MESSAGE]


def test_user_labels_are_escaped_everywhere():
    bar = bar_chart(XSS, [(XSS, 3)], unit=XSS)
    line = line_chart(XSS, [XSS, "b"], [(XSS, [1, 2])])
    for out in (bar, line):
        assert "<script" not in out
        assert "&lt;script&gt;" in out
        root = parse(out)
        # The payload survives as text, and never becomes an attribute or element.
        assert any(XSS in "".join(el.itertext()) for el in find_all(root, "th"))
        assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)
        assert not any(local(el.tag) == "script" for el in root.iter())


def test_control_characters_do_not_break_the_markup():
    parse(bar_chart("Odd\x00", [("Tab\x0bbed\x1f", 1)]))


def test_bar_table_alternative_has_every_value():
    rows = [("Email", 1234), ("Billing", 2.5), ("VPN", 0)]
    cells = table_cells(parse(bar_chart("Hours", rows, unit="h")))
    assert cells == [["Label", "Value"], ["Email", "1,234h"], ["Billing", "2.5h"], ["VPN", "0h"]]


def test_line_chart_has_a_polyline_per_series_with_a_point_per_label():
    created = list(range(30))
    resolved = [n // 2 for n in range(30)]
    root = parse(line_chart("Created vs resolved", DAYS, [("Created", created),
                                                          ("Resolved", resolved)]))
    lines = find_all(root, "polyline")
    assert len(lines) == 2
    for line in lines:
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(points) == len(DAYS)
        xs = [x for x, _ in points]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        # SVG y grows downwards: a larger value sits higher up.
        assert points[0][1] > points[-1][1]
    last_created, last_resolved = (float(line.get("points").split()[-1].split(",")[1])
                                   for line in lines)
    assert last_created < last_resolved


def test_line_chart_series_differ_by_colour_and_dash():
    root = parse(line_chart("Trend", ["a", "b"], [("A", [1, 2]), ("B", [2, 1]), ("C", [0, 3])]))
    lines = find_all(root, "polyline")
    assert len({line.get("stroke") for line in lines}) == 3
    assert len({line.get("stroke-dasharray") for line in lines}) == 3
    assert [line.get("class") for line in lines] == ["series-0", "series-1", "series-2"]
    legend = [el.text for el in find_all(root, "text", "chart-legend")]
    assert legend == ["A", "B", "C"]


def test_line_chart_thins_x_labels_and_labels_the_y_axis():
    root = parse(line_chart("Created", DAYS, [("Created", [3] * 29 + [37])]))
    x_labels = [el.text for el in find_all(root, "text", "chart-x")]
    assert 2 <= len(x_labels) <= 8
    assert x_labels[0] == DAYS[0]
    texts = [el.text for el in find_all(root, "text")]
    assert "0" in texts
    assert "40" in texts  # 37 rounded up to a readable axis maximum


def test_line_table_alternative_has_every_value():
    root = parse(line_chart("Trend", ["Mon", "Tue"], [("Created", [4, 7]), ("Resolved", [2, 5])]))
    assert table_cells(root) == [["Label", "Created", "Resolved"],
                                 ["Mon", "4", "2"], ["Tue", "7", "5"]]


def test_mismatched_series_length_is_refused():
    with pytest.raises(ValueError, match="Created"):
        line_chart("Trend", ["Mon", "Tue"], [("Created", [1])])


@pytest.mark.parametrize("render", [
    lambda: bar_chart("Open", [("A", 1)]),
    lambda: histogram("CSAT", [("1", 0), ("5", 4)]),
    lambda: line_chart("Trend", ["a", "b"], [("A", [1, 2])]),
    lambda: bar_chart("Open", []),
], ids=["bar", "histogram", "line", "empty"])
def test_charts_are_accessible_figures_without_inline_styles(render):
    first, second = render(), render()
    root = parse(first + second)
    figures = find_all(root, "figure", "chart")
    assert len(figures) == 2
    ids = []
    for figure in figures:
        svg, caption = list(figure)
        assert local(svg.tag) == "svg" and local(caption.tag) == "figcaption"
        assert svg.get("role") == "img"
        title = next(el for el in svg if el.get("id") == svg.get("aria-labelledby"))
        assert local(title.tag) == "title" and title.text
        desc = next(el for el in svg if el.get("id") == svg.get("aria-describedby"))
        assert local(desc.tag) == "desc" and desc.text
        assert title.text in "".join(caption.itertext())
        assert find_all(caption, "table", "chart-data")
        ids.append(title.get("id"))
    assert len(set(ids)) == 2
    assert not any("style" in el.attrib or local(el.tag) == "style" for el in root.iter())
