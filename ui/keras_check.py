"""'Check with Keras': build the real model on demand and compare it with our numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnn_core.keras_code.free_names import parse_names
from cnn_core.keras_code.graph_report import GraphReport
from cnn_core.keras_code.keras_build import build_keras_graph, keras_vgg16_base, summarize, summarize_graph
from cnn_core.keras_code.layer_stack import StackReport
from ui.common import t

MAX_KERAS_PARAMS = 200_000_000
"""Larger models are not built for the check: their weights alone would take gigabytes."""


@st.cache_data(show_spinner=False, max_entries=32)
def _keras_summary_for_graph(code: str, names: str, blocks: tuple[str, ...]):
    return summarize_graph(build_keras_graph(code, parse_names(names), blocks))


@st.cache_data(show_spinner=False, max_entries=8)
def _keras_summary_for_vgg(image_size: int, unfrozen_last: int | None):
    return summarize(keras_vgg16_base(image_size), unfrozen_last)


def keras_check_table(report: StackReport, vgg: tuple[int, int | None]) -> None:
    """Render our shapes/parameters of the VGG16 base beside Keras's (``vgg``: image size, unfrozen layers)."""
    with st.spinner(t("params.keras_building")):
        try:
            summary = _keras_summary_for_vgg(*vgg)
        except (ValueError, TypeError) as err:
            st.error(t("params.keras_refused", message=str(err)[:500]))
            return
    rows = []
    for ours, theirs in zip(report.rows, summary.layers, strict=False):
        same = ours.output_shape == theirs.output_shape and ours.params == theirs.params
        rows.append(
            {
                t("params.col_layer"): theirs.name,
                t("params.ours"): f"{ours.output_shape} / {ours.params:,}",
                "Keras": f"{theirs.output_shape} / {theirs.params:,}",
                "✓": "✅" if same else "❌",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    agree = (
        len(report.rows) == len(summary.layers)
        and report.total_params == summary.total_params
        and all(r["✓"] == "✅" for r in rows)
    )
    message = t("params.keras_total", total=f"{summary.total_params:,}", tensors=summary.trainable_weight_tensors)
    (st.success if agree else st.error)(
        message + " " + (t("params.keras_agree") if agree else t("params.keras_disagree"))
    )


def keras_graph_check(report: GraphReport, code: str, names: str = "", blocks: tuple[str, ...] = ()) -> None:
    """Build the learner's graph in Keras (from our reading, node by node) and compare every layer and the totals."""
    if report.total_params > MAX_KERAS_PARAMS:
        st.info(t("params.keras_too_big", total=f"{report.total_params:,}", limit=f"{MAX_KERAS_PARAMS:,}"))
        return
    with st.spinner(t("params.keras_building")):
        try:
            summary = _keras_summary_for_graph(code, names, blocks)
        except (ValueError, TypeError) as err:
            st.error(t("params.keras_refused", message=str(err)[:500]))
            return
    ours = {n.name: n for n in report.connected if n.kind != "InputLayer" and not n.shared}
    rows = []
    for info in summary.layers:
        node = ours.get(info.name)
        same = node is not None and node.output_shape == info.output_shape and node.params == info.params
        rows.append(
            {
                t("params.col_layer"): info.name,
                t("params.ours"): f"{node.output_shape} / {node.params:,}" if node else "—",
                "Keras": f"{info.output_shape} / {info.params:,}",
                "✓": "✅" if same else "❌",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    agree = (
        len(rows) == len(ours)
        and all(r["✓"] == "✅" for r in rows)
        and summary.total_params == report.total_params
        and summary.trainable_params == report.trainable_params
    )
    message = t(
        "params.keras_graph_total",
        total=f"{summary.total_params:,}",
        trainable=f"{summary.trainable_params:,}",
    )
    (st.success if agree else st.error)(
        message + " " + (t("params.keras_agree") if agree else t("params.keras_disagree"))
    )
