"""What the pages may not do, read from their source, and the colours the app chooses itself, by WCAG's formula.

The rendered pages are checked in the browser suite (axe-core and the layout checks ride on the crawler's visits:
``tests/e2e/test_crawler.py``, ``tests/e2e/accessibility.py``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cnn_core.core.contrast import AA_TEXT, contrast_ratio, readable_text_on, relative_luminance
from ui.accessibility import BASE_CSS, CAPTION_COLOUR, DISABLED_COLOUR
from ui.grids import GRID_CSS, heat_grid_html

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"])
CHARTS = {"plotly_chart", "vega_lite_chart", "graphviz_chart", "altair_chart", "line_chart", "bar_chart",
          "area_chart", "scatter_chart", "map", "pyplot", "bokeh_chart", "pydeck_chart"}  # fmt: skip


def calls(name_test) -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and name_test(node.func.attr):
                found.append((path.relative_to(ROOT).as_posix(), node.lineno, node))
    return found


def test_every_image_the_app_shows_has_alt_text():
    images = calls(lambda name: name == "image")
    assert len(images) >= 15  # the walk finds them (photos, feature maps, digits, misclassified images, QR code)
    missing = [f"{path}:{line}" for path, line, node in images if "alt" not in {k.arg for k in node.keywords}]
    assert missing == [], f"st.image without alt= (a screen reader hears nothing): {missing}"


def test_charts_are_drawn_only_with_their_text_alternative():
    direct = [f"{path}:{line}" for path, line, _ in calls(CHARTS.__contains__) if path != "ui/accessibility.py"]
    assert direct == [], f"draw charts with ui.accessibility.show_chart (it adds the text alternative): {direct}"


def test_the_contrast_formula_on_known_pairs():
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert contrast_ratio("#828180", "#ffffff") == pytest.approx(3.88, abs=0.01)  # Streamlit's caption grey (axe)
    assert relative_luminance("#ffffff") == pytest.approx(1.0) and relative_luminance("#000") == 0.0
    with pytest.raises(ValueError, match="Received: colour='blue'"):
        relative_luminance("blue")


def test_the_text_colour_on_a_grey_cell_is_always_readable():
    assert min(contrast_ratio(readable_text_on((v, v, v)), (v, v, v)) for v in range(256)) >= 4.58


def test_the_stylesheets_colours_meet_aa():
    assert contrast_ratio(CAPTION_COLOUR, "#ffffff") >= AA_TEXT and contrast_ratio(CAPTION_COLOUR, "#fafafa") >= AA_TEXT
    assert contrast_ratio(DISABLED_COLOUR, "#ffffff") >= AA_TEXT
    assert CAPTION_COLOUR in BASE_CSS and DISABLED_COLOUR in BASE_CSS
    rules = {}
    for cls, background, colour in re.findall(r"td\.([\w.]+)[^{]*\{background: (#\w+); color: (#\w+)", GRID_CSS):
        rules[cls] = contrast_ratio(colour, background)
    assert rules and min(rules.values()) >= AA_TEXT, rules
    todo = re.search(r"td\.todo \{color: (#\w+)", GRID_CSS).group(1)
    assert min(contrast_ratio(todo, bg) for bg in ("#ffffff", "#e3f2fd")) >= AA_TEXT


def test_every_number_of_the_mnist_pixel_grid_is_readable_on_its_cell():
    html = heat_grid_html(__import__("numpy").arange(256).reshape(16, 16))
    cells = re.findall(r"background:rgb\((\d+),\1,\1\);color:(#\w+)", html)
    assert len(cells) == 256
    assert min(contrast_ratio(colour, (int(v),) * 3) for v, colour in cells) >= AA_TEXT


def test_code_blocks_syntax_colours_meet_aa():
    """The walk-through's defect: a learner's submission on the class board, coloured by Streamlit (strings 2.8:1,
    numbers 2.5:1, comments 3.5:1 on its code background): every token colour now at least 4.5:1, in the stylesheet."""
    from ui.accessibility import CODE_BACKGROUND, CODE_TOKEN_COLOURS

    assert min(contrast_ratio(c, CODE_BACKGROUND) for c in CODE_TOKEN_COLOURS.values()) >= AA_TEXT
    assert all(c in BASE_CSS for c in CODE_TOKEN_COLOURS.values())


def test_the_projector_theme_keeps_the_chosen_transfer_scenario_readable():
    """The walk-through's defect: the chosen scenario's text white (the theme's) on its pale yellow (1.1:1)."""
    from ui.lecture import PROJECTOR_CSS

    rule = re.search(r"table\.transfer-matrix td\.chosen \{background: (#\w+)", PROJECTOR_CSS).group(1)
    text = re.search(r"table\.transfer-matrix td\.chosen \* \{color: (#\w+)", PROJECTOR_CSS).group(1)
    assert contrast_ratio(text, rule) >= AA_TEXT
