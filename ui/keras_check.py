"""'Check with Keras': build the real model on demand and compare it with our numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnn_core.layer_code import parse_stack, stack_to_code
from cnn_core.layer_stack import StackReport
from ui.common import t


@st.cache_data(show_spinner=False, max_entries=32)
def _keras_summary_for_code(code: str):
    from cnn_core.keras_build import build_keras_model, summarize  # noqa: PLC0415 - TensorFlow on demand

    parsed = parse_stack(code)
    return summarize(build_keras_model(parsed.input_shape, parsed.layers))


@st.cache_data(show_spinner=False, max_entries=8)
def _keras_summary_for_vgg(image_size: int, unfrozen_last: int | None):
    from cnn_core.keras_build import keras_vgg16_base, summarize  # noqa: PLC0415 - TensorFlow on demand

    return summarize(keras_vgg16_base(image_size), unfrozen_last)


def keras_check_table(
    report: StackReport,
    stack: tuple[tuple[int, ...], tuple] | None = None,
    vgg: tuple[int, int | None] | None = None,
) -> None:
    """Render our shapes/parameters beside Keras's for the same model, with a verdict."""
    with st.spinner(t("params.keras_building")):
        try:
            summary = _keras_summary_for_vgg(*vgg) if vgg else _keras_summary_for_code(stack_to_code(*stack))
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
