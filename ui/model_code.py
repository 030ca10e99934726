"""The parameter page's editor helpers: names a listing leaves out, mended lines, the drawn graph, and what one
cell of a layer sees (its receptive field)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from cnn_core.concepts.receptive_field import ReceptiveField
from cnn_core.keras_code.evaluator import Repair
from cnn_core.keras_code.free_names import NameValueError, format_names, parse_names, parse_value
from cnn_core.keras_code.graph_report import GraphReport, MissingName, graph_dot, line_ranges
from ui.accessibility import show_chart
from ui.common import t
from ui.lecture import lecture_mode

NAMES_KEY = "params_names"
BLOCKS_KEY = "params_blocks"
EDITOR_CONTEXT = "mnist"
"""What the editor suggests values for when the listing does not say (keras.io's model cell: MNIST's input shape and
ten classes); the learner sees the value before using it."""


def given_names() -> tuple[dict[str, object], tuple[str, ...]]:
    """The values and blocks the learner gave for names the listing does not define, and a line saying so with a
    button to forget them."""
    names = parse_names(st.session_state.get(NAMES_KEY) or "")
    blocks = tuple(st.session_state.get(BLOCKS_KEY) or ())
    if names or blocks:
        parts = [t("params.names_given", names=format_names(names))] if names else []
        parts += [t("params.blocks_given", names=", ".join(blocks))] if blocks else []
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.caption(" · ".join(parts))
        c2.button(t("params.clear_names"), key="params_clear_names", on_click=_forget_names)
    return names, blocks


def _forget_names() -> None:
    st.session_state[NAMES_KEY] = ""
    st.session_state[BLOCKS_KEY] = []


def ask_for_names(missing: Sequence[MissingName], names_key: str, blocks_key: str, prefix: str) -> None:
    """Names the listing uses but does not define, all at once: each on its line, a value field prefilled with what
    fits how it is used, and one button for all the values (or, for a shape-keeping block, a button to read it so).
    ``names_key`` / ``blocks_key``: the page's own widget keys for the given values and blocks; ``prefix`` its keys'."""
    for item in missing:
        st.error(f"{t('params.undefined', line=item.line, name=item.name)} {t(f'params.undefined_{item.need}', name=item.name)}")  # fmt: skip
    values = [m for m in missing if m.need == "value"]
    if values:
        columns = st.columns(min(len(values), 3))
        for i, item in enumerate(values):
            columns[i % len(columns)].text_input(
                t("params.name_value", name=item.name),
                value=item.suggestion,
                key=f"{prefix}_value_{item.name}",
                help=t("params.name_value_help"),
            )
        if any(m.suggestion for m in values):
            st.caption(t("params.suggested_values"))
        label = t("params.use_values") if len(values) > 1 else t("params.use_value")
        st.button(
            label,
            key=f"{prefix}_use_value",
            type="primary",
            on_click=_use_values,
            args=(tuple(m.name for m in values), names_key, prefix),
        )
        bad = st.session_state.get(_BAD_VALUE_KEY, {})
        if bad.get("prefix") == prefix and bad.get("name") in {m.name for m in values}:
            st.error(t("params.bad_value", name=bad["name"], value=bad["value"]))
    for item in (m for m in missing if m.need == "block"):
        st.button(
            t("params.use_block", name=item.name),
            key=f"{prefix}_use_block",
            type="primary",
            on_click=_use_block,
            args=(item.name, blocks_key),
        )


_BAD_VALUE_KEY = "_names_bad_value"


def _use_values(names: tuple[str, ...], names_key: str, prefix: str) -> None:
    given = parse_names(st.session_state.get(names_key) or "")
    for name in names:
        typed = str(st.session_state.get(f"{prefix}_value_{name}", ""))
        try:
            given[name] = parse_value(typed)
        except NameValueError:
            st.session_state[_BAD_VALUE_KEY] = {"prefix": prefix, "name": name, "value": typed[:40]}
            return
    st.session_state.pop(_BAD_VALUE_KEY, None)
    st.session_state[names_key] = format_names(given)


def _use_block(name: str, blocks_key: str) -> None:
    blocks = st.session_state.get(blocks_key) or []
    st.session_state[blocks_key] = type(blocks)([*blocks, name][-20:]) if isinstance(blocks, tuple) else [*blocks, name][-20:]  # fmt: skip


def repairs_note(repairs: tuple[Repair, ...]) -> None:
    """Which lines were mended before reading, and how."""
    for kind in ("doctest", "split"):
        lines = [r.line for r in repairs if r.kind == kind]
        if lines:
            st.caption(t(f"params.repaired_{kind}", lines=line_ranges(lines)))


def field_text(field: ReceptiveField) -> str:
    """``18×18``, "all of the input", or "–" for the table."""
    if field.extent == "whole":
        return t("params.rf_whole")
    if field.size is None:
        return "–"
    return f"{field.size[0]}×{field.size[1]}"


def model_graph(graph: GraphReport) -> None:
    """The connected graph drawn (boxes with kind and parameters, edges with shapes)."""
    summary = t(
        "a11y.graph_summary",
        layers=len([n for n in graph.connected if n.kind != "InputLayer"]),
        input=", ".join(str((None, *shape)) for shape in graph.input_shapes),
        output=str((None, *graph.output_shape)),
    )
    show_chart(graph_dot(graph, t("params.params_word"), large=lecture_mode()), key="model_graph", summary=summary)
    st.caption(t("params.graph_legend"))


def receptive_field_picture(graph: GraphReport) -> None:
    """For a chosen layer: the input cells the middle cell of its output depends on, drawn on the input grid."""
    layers = [n for n in graph.connected if n.kind != "InputLayer" and n.receptive_field.extent == "spatial"]
    if not layers or len(graph.input_shapes[0]) != 3:
        st.caption(t("params.rf_none"))
        return
    names = [n.name for n in layers]
    if st.session_state.get("params_rf_layer") not in names:
        st.session_state["params_rf_layer"] = names[-1]
    chosen = st.selectbox(t("params.rf_layer"), names, key="params_rf_layer", help=t("params.rf_layer_help"))
    node = layers[names.index(chosen)]
    height, width = graph.input_shapes[0][:2]
    row, col = node.output_shape[0] // 2, node.output_shape[1] // 2
    field = node.receptive_field
    mask = field.mask(row, col, height, width)
    if mask is None:
        st.caption(t("params.rf_none"))
        return
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    seen = {
        "layer": chosen,
        "row": row,
        "col": col,
        "rows": int(rows.max() - rows.min() + 1) if rows.size else 0,
        "cols": int(cols.max() - cols.min() + 1) if cols.size else 0,
        "height": height,
        "width": width,
    }
    caption = t("params.rf_caption", **seen, size=field_text(field), jump=field.rows.jump)
    alt = t("alt.rf", **seen)
    st.image(field_image(mask), caption=caption, alt=alt, width=min(360, max(120, 12 * width)))


def field_image(mask: np.ndarray) -> np.ndarray:
    """The input grid as an RGB picture, the cells one output cell sees in dark blue on light grey, with a line
    between cells when they are few enough to see."""
    height, width = mask.shape
    cell = max(1, min(24, 360 // max(height, width)))
    image = np.full((height * cell, width * cell, 3), 230, dtype=np.uint8)
    image[np.repeat(np.repeat(mask, cell, axis=0), cell, axis=1)] = (21, 101, 192)
    if cell >= 4:
        image[::cell, :, :] = 255
        image[:, ::cell, :] = 255
    return image
