"""Pooling: max and average pooling on a grid and a photo, with the output-size rule and the winners."""

import numpy as np
import streamlit as st

from cnn_core.concepts.convolution import demo_values
from cnn_core.concepts.pooling import pool2d, pool_axis_formula, window_cells
from cnn_core.concepts.shapes import ShapeError, pool2d_output_shape
from ui.common import axis_formulas, labeler, session_defaults, show_error, small_note, t
from ui.follow import page_fragment
from ui.grids import GRID_CSS, add_class, grid_html, grid_row_html
from ui.lecture import lecture_mode, step_keys
from ui.photos import photo_picker, photo_url_state, png
from ui.stepper import Stepper
from ui.url_state import Choice, Flag, Num, publish, restore

URL_STATE = {
    "pool_mode": Choice(("max", "average")), "pool_size": Num(1, 8), "pool_stride_default": Flag(), "pool_stride": Num(1, 8),
    "pool_padding": Choice(("valid", "same")), "pool_grid_h": Num(1, 12), "pool_grid_w": Num(1, 12), "pool_seed": Num(0, 9999),
    "pool_step": Num(0, 143), "pool_shape_h": Num(1, 1024), "pool_shape_w": Num(1, 1024), "pool_shape_c": Num(1, 2048),
} | photo_url_state("pool_photo")  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def pooled_photo_views(
    photo: np.ndarray, pool_size: int, strides: int, padding: str, mode: str
) -> tuple[bytes, bytes, tuple]:
    """PNGs of the photo before and after pooling, and the pooled shape (cached per photo and setting)."""
    pooled = pool2d(photo.astype(np.float64), pool_size, strides, padding, mode).values
    return png(photo), png(np.clip(pooled, 0, 255).astype(np.uint8)), pooled.shape


restore("pool", URL_STATE)
st.title(t("pool.title"))
st.caption(t("pool.intro"))
st.markdown(GRID_CSS, unsafe_allow_html=True)


@page_fragment("pool_body", URL_STATE)
def pooling_body() -> None:
    """Everything below the title depends on the pooling controls; a change reruns this, not the whole app."""
    # Horizontal containers, not st.columns: each column is one more message on every rerun of this section.
    row = st.container(horizontal=True)
    mode = row.radio(
        t("pool.mode"), ["max", "average"], help=t("help.pool_mode"), key="pool_mode", format_func=labeler("pool.mode_")
    )
    session_defaults({"pool_size": 2})  # a link may set it first
    pool_size = row.number_input(t("pool.pool_size"), 1, 8, help=t("help.pool_size"), key="pool_size")
    stride_box = row.container()
    stride_same = stride_box.checkbox(
        t("pool.stride_default"), True, help=t("help.pool_stride_default"), key="pool_stride_default"
    )
    session_defaults({"pool_stride": 2})
    stride = stride_box.number_input(
        t("pool.stride"), 1, 8, help=t("help.pool_stride"), key="pool_stride", disabled=stride_same
    )
    padding = row.radio(
        t("pool.padding"),
        ["valid", "same"],
        help=t("help.pool_padding"),
        key="pool_padding",
        format_func=labeler("conv.pad_"),
    )
    g1 = g2 = g3 = st.container(horizontal=True)
    session_defaults({"pool_grid_h": 6})  # a link may set it first
    grid_h = g1.number_input(t("pool.grid_height"), 1, 12, help=t("help.pool_grid_h"), key="pool_grid_h")
    session_defaults({"pool_grid_w": 6})  # a link may set it first
    grid_w = g2.number_input(t("pool.grid_width"), 1, 12, help=t("help.pool_grid_w"), key="pool_grid_w")
    seed = (
        0 if lecture_mode() else g3.number_input(t("pool.seed"), 0, 9999, 0, help=t("help.pool_seed"), key="pool_seed")
    )
    strides = None if stride_same else stride
    publish(URL_STATE)

    x = demo_values((grid_h, grid_w), seed=seed, low=0, high=9)
    try:
        result = pool2d(x, pool_size, strides, padding, mode)
    except ShapeError as err:
        show_error("errors", err)
        st.info(t("pool.impossible_hint"))
        st.stop()

    oh, ow = result.values.shape[:2]
    st.metric(t("pool.output_shape"), str((oh, ow)))
    axes = ((t("conv.axis_height"), result.rows), (t("conv.axis_width"), result.cols))
    st.markdown(axis_formulas((name, pool_axis_formula(axis), None) for name, axis in axes))
    code_strides = "" if stride_same else f", strides={stride}"
    code_padding = "" if padding == "valid" else f', padding="{padding}"'
    layer_name = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
    st.code(f"layers.{layer_name}(pool_size={pool_size}{code_strides}{code_padding})", language="python")

    stepper = Stepper("pool", oh * ow)
    row = st.container(horizontal=True, vertical_alignment="bottom")
    stepper.buttons(row)
    step = stepper.slider(row, t("pool.window"))
    orow, ocol = divmod(step, ow)
    window = window_cells(result, orow, ocol)
    in_classes: dict[tuple[int, int], str] = {}
    add_class(in_classes, window, "win")
    if mode == "max":
        add_class(in_classes, {tuple(w) for w in result.winners[:, :, 0].reshape(-1, 2)}, "done")
        add_class(in_classes, [tuple(result.winners[orow, ocol, 0])], "best")
    out_classes = {(orow, ocol): "cur"}
    grids = (
        grid_html(x, caption=t("pool.input_grid", shape=str((grid_h, grid_w))), classes=in_classes),
        grid_html(result.values[:, :, 0], caption=t("pool.output_grid"), classes=out_classes),
    )
    st.markdown(grid_row_html(grids), unsafe_allow_html=True)  # one element for both grids
    values = [x[r, c] for r, c in window]
    if mode == "max":
        explain = t("pool.max_explain", values=", ".join(f"{v:g}" for v in values), best=f"{max(values):g}")
    else:
        explain = t(
            "pool.avg_explain",
            values=" + ".join(f"{v:g}" for v in values),
            n=len(values),
            mean=f"{np.mean(values):.3g}",
        )
    legends = [t("pool.winners_legend")] if mode == "max" else []
    legends += [t("pool.same_note")] if padding == "same" else []
    legends.append(t("pool.grid_legend"))
    # One element for the explanation and its legends: each element is one more message on every rerun.
    st.markdown("\n\n".join([explain, *map(small_note, legends)]))

    st.header(t("pool.channels_title"))
    s1 = s2 = s3 = st.container(horizontal=True)
    session_defaults({"pool_shape_h": 26})  # a link may set it first
    sh = s1.number_input(t("conv.input_height"), 1, 1024, help=t("help.pool_shape_h"), key="pool_shape_h")
    session_defaults({"pool_shape_w": 26})  # a link may set it first
    sw = s2.number_input(t("conv.input_width"), 1, 1024, help=t("help.pool_shape_w"), key="pool_shape_w")
    session_defaults({"pool_shape_c": 32})  # a link may set it first
    sc = s3.number_input(t("conv.channels"), 1, 2048, help=t("help.pool_shape_c"), key="pool_shape_c")
    try:
        out_shape = pool2d_output_shape((sh, sw, sc), pool_size, strides, padding)
        st.markdown(t("pool.channels_result", before=str((sh, sw, sc)), after=str(out_shape)))
    except ShapeError as err:
        show_error("errors", err)

    st.header(t("pool.photo_title"))
    photo = photo_picker("pool_photo")
    if photo is not None:
        try:
            before_png, after_png, pooled_shape = pooled_photo_views(photo, pool_size, strides, padding, mode)
        except ShapeError as err:
            show_error("errors", err)
            st.stop()
        p1 = p2 = st.container(horizontal=True)
        # output_format="PNG": Streamlit would otherwise re-encode every PNG as JPEG on every rerun.
        p1.image(
            before_png,
            caption=t("pool.photo_before", shape=str(photo.shape)),
            alt=t("alt.pool_before", shape=str(photo.shape)),
            output_format="PNG",
        )
        p2.image(
            after_png,
            caption=t("pool.photo_after", shape=str(pooled_shape)),
            alt=t("alt.pool_after", mode=t(f"pool.mode_{mode}"), shape=str(pooled_shape)),
            output_format="PNG",
        )
        st.caption(t("pool.photo_note"))
    publish(URL_STATE)


pooling_body()
step_keys("pool_prev", "pool_next")  # once a page run, not on each rerun of the section (it never changes)
publish(URL_STATE)
