"""HTML grids of numbers for the step-throughs (crisp, fast, and readable by tests)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cnn_core.concepts.convolution import format_number
from cnn_core.core.contrast import readable_text_on

GRID_CSS = """
<style>
table.cnn-grid {border-collapse: collapse; margin: 0 0 .5rem 0; font-family: ui-monospace, monospace;}
table.cnn-grid td {border: 1px solid #bbb; min-width: 2.1em; height: 2.1em; text-align: center;
  font-size: .85rem; padding: 0 .2em;}
table.cnn-grid td.pad {background: #eceff1; color: #546e7a;}
table.cnn-grid td.win {background: #ffe082; font-weight: 600;}
table.cnn-grid td.pad.win {background: #ffecb3;}
table.cnn-grid td.done {background: #e3f2fd;}
table.cnn-grid td.todo {color: #6b6b6b; font-style: italic;}
/* Highlights last and with the most specific selectors: a cell can be done, in the window and the winner at once. */
table.cnn-grid td.cur, table.cnn-grid td.cur.done {background: #1565c0; color: #fff; font-weight: 700;}
table.cnn-grid td.best, table.cnn-grid td.best.done, table.cnn-grid td.best.win {background: #bf360c; color: #fff; font-weight: 700;}
div.cnn-cap {font-size: .8rem; color: #555; margin: .2rem 0;}
div.cnn-row {display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start;}
</style>
"""


def grid_row_html(parts: Iterable[str]) -> str:
    """Grids side by side in one element (wrapping on narrow screens), instead of one column each."""
    return '<div class="cnn-row">' + "".join(f"<div>{part}</div>" for part in parts) + "</div>"


def grid_html(
    values: np.ndarray,
    *,
    caption: str = "",
    classes: dict[tuple[int, int], str] | None = None,
    hidden: Iterable[tuple[int, int]] = (),
) -> str:
    """A ``<table>`` of a 2-D array; ``classes`` maps ``(row, col)`` to CSS classes (pad, win, best, cur, done, todo)."""
    classes = classes or {}
    hide = set(hidden)
    rows = []
    for r in range(values.shape[0]):
        cells = []
        for c in range(values.shape[1]):
            css = classes.get((r, c), "")
            text = "?" if (r, c) in hide else format_number(float(values[r, c]))
            cells.append(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f'<div class="cnn-cap">{caption}</div>' if caption else ""
    return f'{cap}<table class="cnn-grid">{"".join(rows)}</table>'


def padding_classes(shape: tuple[int, int], pads: tuple[int, int, int, int]) -> dict[tuple[int, int], str]:
    """``pad`` class for the cells outside the original input; ``pads`` = (top, bottom, left, right)."""
    top, bottom, left, right = pads
    h, w = shape
    return {
        (r, c): "pad" for r in range(h) for c in range(w) if r < top or r >= h - bottom or c < left or c >= w - right
    }


def add_class(classes: dict[tuple[int, int], str], cells: Iterable[tuple[int, int]], css: str) -> None:
    for cell in cells:
        classes[cell] = f"{classes.get(cell, '')} {css}".strip()


def heat_grid_html(values: np.ndarray, vmax: float = 255.0) -> str:
    """A compact table of integers shaded like the image they are (0 white, ``vmax`` black), each number in black or
    white, whichever contrasts more with its cell (WCAG AA)."""
    rows = []
    for row in values:
        cells = []
        for v in row:
            level = int(255 - 255 * min(max(float(v) / vmax, 0.0), 1.0))
            colour = readable_text_on((level, level, level))
            cells.append(f'<td style="background:rgb({level},{level},{level});color:{colour}">{int(v)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="cnn-scroll"><table class="cnn-grid cnn-heat" style="font-size:.55rem">'
        + "".join(rows)
        + "</table></div><style>table.cnn-heat td{min-width:1.6em;height:1.4em;padding:0;font-size:.55rem}</style>"
    )
