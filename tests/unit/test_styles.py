"""The stylesheets and what uses them agree: every class a chart carries that the
stylesheet means to colour has a rule, and no rule waits for a class nobody uses."""
import re
from pathlib import Path

from helpdesk.services.reporting.charts import bar_chart, line_chart

ROOT = Path(__file__).resolve().parents[2]
# Classes built from data in templates: status-{{ status }}, btn-{{ kind }}, ...
BUILT = ("status-", "priority-", "flash-", "btn-", "badge-", "series-", "is-")


def css_classes() -> set[str]:
    found = set()
    for sheet in (ROOT / "static" / "css").glob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for selector in re.findall(r"([^{}]+)\{", text):
            if not selector.strip().startswith("@"):
                found.update(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector))
    return found


def used_classes() -> set[str]:
    """Class names in class attributes (templates and Python-made markup), `class_=` and
    `tone=` arguments, and the selectors static/js uses."""
    used = set()
    sources = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").glob("*.js"),
               *(ROOT / "helpdesk").rglob("*.py")]
    for path in sources:
        text = path.read_text()
        for value in re.findall(r"""\b(?:class|class_|tone)\s*=\s*\\?(?:"([^"]*)|'([^']*))""",
                                text):
            used.update(re.findall(r"[\w-]+", " ".join(value)))
        for value in re.findall(r"""(?:querySelector(?:All)?|closest|classList\.\w+)\(\s*["']"""
                                r"""([^"']*)""", text):
            used.update(re.findall(r"[\w-]+", value))
    return used


def test_every_stylesheet_class_is_used():
    unused = sorted(c for c in css_classes() - used_classes() if not c.startswith(BUILT))
    assert unused == []


def test_the_chart_classes_have_rules():
    svg = str(line_chart("Trend", ["a", "b"], [(f"S{i}", [1, 2]) for i in range(5)])
              + bar_chart("Bars", [("x", 1)]))
    emitted = {c for value in re.findall(r'class="([^"]*)"', svg) for c in value.split()}
    coloured = {c for c in emitted if c.startswith("series-")} | {"bar", "chart-axis",
                                                                   "chart-grid"}
    assert coloured <= emitted
    assert coloured - css_classes() == set()
