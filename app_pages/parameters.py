"""Parameter counts: the book's models, the VGG16 conv base, and a live editor for any Keras model code."""

from types import SimpleNamespace

import altair as alt
import pandas as pd
import streamlit as st

from cnn_core.concepts.shapes import ShapeError
from cnn_core.keras_code.book_models import BOOK_MODELS, mnist_convnet, vgg16_conv_base
from cnn_core.keras_code.code_writer import stack_to_code
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.free_names import format_names
from cnn_core.keras_code.graph_report import GraphReport, analyze_code, graph_to_code, line_ranges, missing_names
from cnn_core.keras_code.layer_code import edit_stack, stack_of
from cnn_core.keras_code.layer_stack import StackReport, analyze_stack, freeze_all_but_last, last_conv_field
from cnn_core.keras_code.layer_table import LAYER_TYPES
from ui.accessibility import show_chart
from ui.common import labeler, show_error, t
from ui.custom_model import train_this_button
from ui.follow import page_fragment
from ui.guess import reveal_gate
from ui.keras_check import keras_check_table, keras_graph_check
from ui.lecture import chart_height, lecture_mode
from ui.model_code import (
    BLOCKS_KEY,
    EDITOR_CONTEXT,
    NAMES_KEY,
    ask_for_names,
    field_text,
    given_names,
    model_graph,
    receptive_field_picture,
    repairs_note,
)
from ui.url_state import Choice, Many, Num, Text, publish, restore

URL_STATE = {
    "params_vgg_size": Num(32, 1024), "params_vgg_freeze": Choice(("trainable", "frozen", "fine_tune")),
    "params_vgg_unfrozen": Num(1, 19), "params_code": Text(4000), "params_names": Text(1000), "params_blocks": Many(20),
    "params_rf_layer": Text(100),
}  # fmt: skip

restore("params", URL_STATE)
st.title(t("params.title"))
st.caption(t("params.intro"))


def shape_note(note: str, words: tuple[str, dict] | None) -> str:
    """The arithmetic of an output shape and its words in the session's language (``26; 32 filters``)."""
    if words is None:
        return note
    text = t(f"shape_words.{words[0]}", **words[1])
    return f"{note}; {text}" if note else text


def report_frame(report: StackReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("params.col_layer"): [f"{r.name} ({r.kind})" for r in report.rows],
            t("params.col_shape"): [str((None, *r.output_shape)) for r in report.rows],
            t("params.col_params"): [r.params for r in report.rows],
            t("params.col_formula"): [r.formula for r in report.rows],
            t("params.col_shape_note"): [shape_note(r.shape_note, r.shape_words) for r in report.rows],
        }
    )


def graph_frame(graph: GraphReport) -> pd.DataFrame:
    """One row per layer call: the calls that feed it, its shape and parameters; unconnected calls marked."""
    rows = [n for n in graph.nodes if n.kind != "InputLayer"]
    return pd.DataFrame(
        {
            t("params.col_layer"): [f"{n.name} ({n.kind})" + ("" if n.connected else " ⚠") for n in rows],
            t("params.col_input_from"): [", ".join(n.inputs) for n in rows],
            t("params.col_shape"): [str((None, *n.output_shape)) for n in rows],
            t("params.col_params"): [n.params for n in rows],
            t("params.col_formula"): [t("params.shared_layer") if n.shared else n.formula for n in rows],
            t("params.col_shape_note"): [shape_note(n.shape_note, n.shape_words) for n in rows],
            t("params.col_receptive_field"): [field_text(n.receptive_field) for n in rows],
            t("params.col_line"): [n.line for n in rows],
        }
    )


def graph_rows(graph: GraphReport) -> SimpleNamespace:
    """The connected layer calls in the shape ``params_chart`` draws (``index``, ``kind``, ``params``)."""
    return SimpleNamespace(rows=tuple(n for n in graph.connected if n.kind != "InputLayer" and not n.shared))


def params_chart(frames: dict[str, StackReport | SimpleNamespace], key: str) -> None:
    """A bar per layer and model; the Vega-Lite spec is cached, since building it through Altair costs ~15 ms."""
    rows = tuple(
        (label, i, f"{i + 1}. {r.kind}", r.params)
        for label, report in frames.items()
        for i, r in enumerate(report.rows)  # numbered as listed: the graph's own indices count its input nodes
    )
    spec = params_chart_spec(rows, t("params.col_layer"), t("params.col_params"), chart_height(300))
    models = []
    for label, report in frames.items():
        if report.rows:
            position, top = max(enumerate(report.rows), key=lambda item: item[1].params)
            total = sum(r.params for r in report.rows)
            models.append(t("a11y.params_model", model=label, total=total, layer=f"{position + 1}. {top.kind}", params=top.params))  # fmt: skip
    table = [{t("a11y.col_run"): label, t("params.col_layer"): layer, t("params.col_params"): params} for label, _, layer, params in rows]  # fmt: skip
    show_chart(spec, key=key, summary=t("a11y.params_summary", models="; ".join(models)), table=table)  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=256)
def params_chart_spec(rows: tuple[tuple[str, int, str, int], ...], x_title: str, y_title: str, height: int) -> dict:
    data = pd.DataFrame(rows, columns=["model", "order", "layer", "params"])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("layer:N", sort=alt.EncodingSortField("order"), title=x_title),
            y=alt.Y("params:Q", title=y_title),
            color=alt.Color("model:N", title=None, legend=alt.Legend(orient="top")),
            xOffset="model:N",
            tooltip=["model", "layer", alt.Tooltip("params:Q", format=",")],
        )
        .properties(height=height)
    )
    return chart.to_dict()


# --- The book's MNIST convnet with and without pooling ------------------------------------
st.header(t("params.book_title"))
with_pool = analyze_stack((28, 28, 1), mnist_convnet(True).layers)
without = analyze_stack((28, 28, 1), mnist_convnet(False).layers)
m1, m2, m3 = st.columns(3)
m1.metric(t("params.with_pooling"), f"{with_pool.total_params:,}")
m2.metric(t("params.without_pooling"), f"{without.total_params:,}")
m3.metric(t("params.ratio"), f"x{without.total_params / with_pool.total_params:.1f}")
tab_with, tab_without, tab_chart = st.tabs([t("params.with_pooling"), t("params.without_pooling"), t("params.chart")])
tab_with.dataframe(report_frame(with_pool), hide_index=True, width="stretch")
tab_without.dataframe(report_frame(without), hide_index=True, width="stretch")
with tab_chart:
    params_chart({t("params.with_pooling"): with_pool, t("params.without_pooling"): without}, "params_book_chart")
fields = {
    pooled: last_conv_field((28, 28, 1), mnist_convnet(pooled).layers) for pooled in (True, False)
}  # the last convolution's receptive field, with and without pooling
st.markdown(t("params.pooling_second_reason", with_rf=field_text(fields[True]), without_rf=field_text(fields[False])))
tab_chart.caption(
    t(
        "params.dense_jump",
        with_flat=f"{with_pool.rows[-2].output_shape[0]:,}",
        without_flat=f"{without.rows[-2].output_shape[0]:,}",
        with_dense=f"{with_pool.rows[-1].params:,}",
        without_dense=f"{without.rows[-1].params:,}",
    )
)

# --- Cats vs dogs and VGG16 -------------------------------------------------------------------
st.header(t("params.cats_title"))
cats = BOOK_MODELS["cats_vs_dogs_convnet"]()
cats_report = analyze_stack(cats.input_shape, cats.layers)
st.metric(t("params.cats_total"), f"{cats_report.total_params:,}")
with st.expander(t("params.show_layers")):
    st.dataframe(report_frame(cats_report), hide_index=True, width="stretch")


@page_fragment("params_vgg", URL_STATE)
def vgg_section() -> None:
    """VGG16's conv base: its three controls rerun only this section."""
    st.header(t("params.vgg_title"))
    # Horizontal containers, not st.columns: each column is one more message on every rerun of this section.
    v1 = v2 = v3 = st.container(horizontal=True)
    vgg_size = v1.number_input(
        t("params.vgg_size"), 32, 1024, 180, help=t("help.params_vgg_size"), key="params_vgg_size"
    )
    freeze_mode = v2.radio(
        t("params.vgg_freeze"),
        ["trainable", "frozen", "fine_tune"],
        help=t("help.params_vgg_freeze"),
        key="params_vgg_freeze",
        format_func=labeler("params.vgg_"),
    )
    unfrozen = v3.number_input(
        t("params.vgg_unfrozen"),
        1,
        19,
        4,
        help=t("help.params_vgg_unfrozen"),
        key="params_vgg_unfrozen",
        disabled=freeze_mode != "fine_tune",
    )
    unfrozen_last = {"trainable": None, "frozen": 0, "fine_tune": int(unfrozen)}[freeze_mode]
    vgg = vgg16_conv_base(int(vgg_size))
    try:
        vgg_report = analyze_stack(vgg.input_shape, vgg.layers, freeze_all_but_last(len(vgg.layers), unfrozen_last))
    except ShapeError as err:
        show_error("errors", err)
        vgg_report = None
    if vgg_report is not None:
        k1 = k2 = k3 = k4 = st.container(horizontal=True)
        k1.metric(t("params.col_params"), f"{vgg_report.total_params:,}")
        k2.metric(t("params.vgg_last_map"), str(vgg_report.output_shape))
        tensors = sum(r.trainable_weight_tensors for r in vgg_report.rows)
        k3.metric(t("params.vgg_tensors"), str(tensors))
        k4.metric(t("params.vgg_trainable_params"), f"{vgg_report.trainable_params:,}")
        code = {
            "trainable": "conv_base.trainable = True",
            "frozen": "conv_base.trainable = False",
            "fine_tune": f"conv_base.trainable = True\nfor layer in conv_base.layers[:-{unfrozen_last}]:\n    layer.trainable = False",
        }[freeze_mode]
        st.code(
            f'conv_base = keras.applications.vgg16.VGG16(\n    weights="imagenet", include_top=False, input_shape=({vgg_size}, {vgg_size}, 3))\n{code}',
            language="python",
        )
        with st.expander(t("params.show_layers")):
            frame = report_frame(vgg_report)
            frame[t("params.col_trainable")] = [r.trainable_weight_tensors > 0 for r in vgg_report.rows]
            st.dataframe(frame, hide_index=True, width="stretch")
        if st.button(t("params.check_keras"), key="params_vgg_keras"):
            keras_check_table(vgg_report, vgg=(int(vgg_size), unfrozen_last))
    publish(URL_STATE)


vgg_section()


# --- Layer editor: any Keras model code -----------------------------------------------------------
@page_fragment("params_editor", URL_STATE)
def layer_editor() -> None:
    """The code editor and its reports: an edit reruns only the editor."""
    st.header(t("params.editor_title"))
    st.caption(t("params.editor_intro"))
    if "params_code" not in st.session_state:
        st.session_state["params_code"] = stack_to_code((28, 28, 1), mnist_convnet(True).layers)

    def load_model(key: str) -> None:
        model = BOOK_MODELS[key]()
        st.session_state["params_code"] = stack_to_code(model.input_shape, model.layers)

    def edit(action: str) -> None:
        """Add, remove or move a layer: the code rewritten from its stack, in the spelling it had."""
        kind = st.session_state.get("params_add_kind", next(iter(LAYER_TYPES)))
        new_layer = LAYER_TYPES[kind]() if action == "add" else None
        code = edit_stack(st.session_state["params_code"], action, st.session_state.get("params_edit_index", 1), new_layer)  # fmt: skip
        if code is not None:
            st.session_state["params_code"] = code

    b1, b2, b3 = st.columns(3)
    for col, key in zip((b1, b2, b3), BOOK_MODELS, strict=True):
        col.button(t(f"params.load_{key}"), key=f"params_load_{key}", on_click=load_model, args=(key,), width="stretch")
    if not lecture_mode():  # lecturer mode: load and edit the code only, no per-layer buttons
        e1, e2, e3, e4, e5, e6 = st.columns([1.2, 1, 0.8, 0.8, 0.8, 0.8], vertical_alignment="bottom")
        e1.selectbox(t("params.add_kind"), list(LAYER_TYPES), key="params_add_kind")
        e2.number_input(t("params.edit_index"), 1, 200, 1, key="params_edit_index")
        e3.button(t("params.add"), key="params_add", on_click=edit, args=("add",), width="stretch")
        e4.button(t("params.remove"), key="params_remove", on_click=edit, args=("remove",), width="stretch")
        e5.button("↑", key="params_up", on_click=edit, args=("up",), width="stretch", help=t("params.move_up"))
        e6.button("↓", key="params_down", on_click=edit, args=("down",), width="stretch", help=t("params.move_down"))
    code = st.text_area(t("params.code"), key="params_code", height=260, help=t("params.code_help"))
    publish(URL_STATE)

    names, blocks = given_names()
    try:
        graph = analyze_code(code, names, blocks)
    except LayerCodeError as err:
        missing = missing_names(code, names, blocks, context=EDITOR_CONTEXT) if err.code == "undefined_name" else ()
        if missing:
            ask_for_names(missing, NAMES_KEY, BLOCKS_KEY, "params")
            st.stop()
        message = t(f"{err.catalog}.{err.code}", **err.details)
        if "layer" in err.details:
            st.error(t("params.layer_error", line=err.line, layer=err.details["layer"], kind=err.details.get("kind", ""), message=message))  # fmt: skip
        else:
            st.error(t("params.code_error", line=err.line, message=message))
        st.stop()

    for warning in graph.warnings:
        st.warning(t(f"code_warnings.{warning.code}", line=warning.line, **warning.details))
    if graph.ignored_lines:
        st.caption(t("params.ignored_lines", lines=line_ranges(graph.ignored_lines)))
    repairs_note(graph.repairs)
    if not reveal_gate("params", graph.total_params, code):
        st.stop()
    r1, r2, r3, r4 = st.columns(4)
    r1.metric(t("params.total"), f"{graph.total_params:,}")
    r2.metric(t("params.trainable"), f"{graph.trainable_params:,}")
    r3.metric(t("params.non_trainable"), f"{graph.non_trainable_params:,}")
    r4.metric(t("params.final_shape"), str((None, *graph.output_shape)))
    tab_table, tab_graph, tab_field = st.tabs([t("params.table"), t("params.graph"), t("params.rf_title")])
    tab_table.dataframe(graph_frame(graph), hide_index=True, width="stretch")
    with tab_graph:
        model_graph(graph)
    with tab_field:
        receptive_field_picture(graph)
    rows = graph_rows(graph)
    if rows.rows:
        params_chart({t("params.editor_model"): rows}, "params_editor_chart")
    with st.expander(t("params.generated_code")):
        stack = stack_of(graph)
        if stack is not None:
            tab_f, tab_s = st.tabs([t("params.functional_api"), "Sequential"])
            tab_f.code(stack.functional_code(), language="python")
            tab_s.code(stack.sequential_code(), language="python")
        else:
            st.code(graph_to_code(graph), language="python")
    k1, k2 = st.columns(2)
    if k1.button(t("params.check_keras"), key="params_editor_keras", width="stretch"):
        keras_graph_check(graph, code, format_names(names), blocks)
    with k2:
        train_this_button(code, format_names(names), tuple(blocks), width="stretch", type="primary")
    publish(URL_STATE)


layer_editor()
publish(URL_STATE)
