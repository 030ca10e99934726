"""Convolution: output-size arithmetic, a step-through of the dot products, channels, and a real photo."""

import numpy as np
import streamlit as st

from cnn_core.concepts.convolution import (
    BOOK_PATCH_INPUT,
    KERNEL_PRESETS,
    conv2d,
    demo_values,
    dot_product_terms,
    format_terms,
    kernel_to_text,
    pad_input,
    parse_kernel_text,
    relu,
)
from cnn_core.concepts.shapes import ShapeError, conv2d_arithmetic, conv_axis_formula
from cnn_core.core.images import ImageDecodeError, to_display, to_grayscale
from cnn_core.keras_code.code_writer import layer_call
from cnn_core.keras_code.layer_stack import Conv2D
from ui.common import axis_formulas, labeler, preset_setter, session_defaults, show_error, t
from ui.follow import page_fragment
from ui.grids import GRID_CSS, add_class, grid_html, grid_row_html, padding_classes
from ui.guess import reveal_gate
from ui.lecture import lecture_mode, step_keys
from ui.photos import photo_picker, photo_url_state, png
from ui.stepper import Stepper
from ui.url_state import Choice, Num, Text, publish, restore

STEP_LIMIT = 12
URL_STATE = {
    "conv_h": Num(1, 1024), "conv_w": Num(1, 1024), "conv_c": Num(1, 512), "conv_filters": Num(1, 1024),
    "conv_k": Num(1, 15), "conv_s": Num(1, 8), "conv_pad_mode": Choice(("valid", "same", "explicit")),
    "conv_pad": Num(0, 10), "conv_d": Num(1, 6), "conv_values": Choice(("random", "book")), "conv_step": Num(0, 1023),
    "conv_kernel_values": Choice(("random", *KERNEL_PRESETS)), "conv_bias": Num(-100.0, 100.0, is_float=True),
    "conv_mc_filter": Num(0, 5), "conv_photo_kernel": Choice((*KERNEL_PRESETS, "custom")), "conv_photo_custom": Text(200),
} | photo_url_state("conv_photo")  # fmt: skip
PRESETS = {
    "valid1": {"conv_h": 5, "conv_w": 5, "conv_c": 1, "conv_k": 3, "conv_s": 1, "conv_pad_mode": "valid", "conv_d": 1},
    "valid2": {"conv_h": 5, "conv_w": 5, "conv_c": 1, "conv_k": 3, "conv_s": 2, "conv_pad_mode": "valid", "conv_d": 1},
    "same1": {"conv_h": 5, "conv_w": 5, "conv_c": 1, "conv_k": 3, "conv_s": 1, "conv_pad_mode": "same", "conv_d": 1},
    "book": {
        "conv_h": 5, "conv_w": 5, "conv_c": 1, "conv_k": 3, "conv_s": 1, "conv_pad_mode": "valid", "conv_d": 1,
        "conv_values": "book", "conv_kernel_values": "sobel_horizontal", "conv_bias": 0.0, "conv_step": 0,
    },
    "multichannel": {"conv_h": 8, "conv_w": 8, "conv_c": 3, "conv_filters": 6, "conv_k": 3, "conv_s": 1, "conv_pad_mode": "valid", "conv_d": 1},
}  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def photo_filter_views(photo: np.ndarray, kernel: np.ndarray) -> tuple[bytes, bytes, bytes, float, float]:
    """PNGs of the grey photo, its feature map (``same`` padding) and the map after ReLU, plus the map's range.

    Cached per photo and kernel: a classroom moving the other sliders should not redo the photo each time.
    """
    fmap = conv2d(photo, kernel, padding="same")[:, :, 0]
    views = (to_display(photo, signed=False), to_display(fmap), to_display(relu(fmap), signed=False))
    return (*(png(view) for view in views), float(fmap.min()), float(fmap.max()))


restore("conv", URL_STATE)
st.title(t("conv.title"))
st.caption(t("conv.intro"))
st.markdown(GRID_CSS, unsafe_allow_html=True)

# --- Presets and controls -------------------------------------------------------------
preset_cols = st.columns(len(PRESETS))
for col, (name, values) in zip(preset_cols, PRESETS.items(), strict=True):
    col.button(t(f"conv.preset_{name}"), key=f"conv_preset_{name}", on_click=preset_setter(values), width="stretch")


SHAPE_DEFAULTS = {
    "conv_h": 5, "conv_w": 5, "conv_c": 1, "conv_filters": 1, "conv_k": 3, "conv_s": 1, "conv_pad": 1, "conv_d": 1,
}  # fmt: skip
"""The shape controls' first values: the book's 5x5 input, one channel and filter, a 3x3 kernel, stride 1."""


@page_fragment("conv_shape", URL_STATE)
def shape_and_steps() -> None:
    """The controls, the output shape with its formula, and the step-through: a change here reruns only this part."""
    # Horizontal containers, not st.columns: a column is one more message on every rerun, and a class of followers
    # reruns this section together (py-spy: columns were a fifth of this section's server time).
    session_defaults(SHAPE_DEFAULTS)  # a link or a preset may set them first
    c1 = c2 = c3 = c4 = st.container(horizontal=True)
    height = c1.number_input(t("conv.input_height"), 1, 1024, help=t("help.conv_h"), key="conv_h")
    width = c2.number_input(t("conv.input_width"), 1, 1024, help=t("help.conv_w"), key="conv_w")
    channels = c3.number_input(t("conv.channels"), 1, 512, help=t("help.conv_c"), key="conv_c")
    filters = c4.number_input(t("conv.filters"), 1, 1024, help=t("help.conv_filters"), key="conv_filters")
    c1 = c2 = c3 = c4 = c5 = st.container(horizontal=True)
    kernel = c1.number_input(t("conv.kernel_size"), 1, 15, help=t("help.conv_k"), key="conv_k")
    stride = c2.number_input(t("conv.stride"), 1, 8, help=t("help.conv_s"), key="conv_s")
    advanced = (
        not lecture_mode()
        or st.session_state.get("conv_d", 1) != 1
        or st.session_state.get("conv_pad_mode") == "explicit"
    )
    pad_modes = ["valid", "same", "explicit"] if advanced else ["valid", "same"]
    pad_mode = c3.selectbox(
        t("conv.padding"),
        pad_modes,
        help=t("help.conv_pad_mode"),
        key="conv_pad_mode",
        format_func=labeler("conv.pad_"),
    )
    pad_amount, dilation = 1, 1
    if advanced:  # lecturer mode hides explicit padding and dilation unless a prepared link uses them
        pad_amount = c4.number_input(
            t("conv.padding_amount"), 0, 10, help=t("help.conv_pad"), key="conv_pad", disabled=pad_mode != "explicit"
        )
        dilation = c5.number_input(t("conv.dilation"), 1, 6, help=t("help.conv_d"), key="conv_d")
    padding = int(pad_amount) if pad_mode == "explicit" else pad_mode

    # --- Output shape and formula ---------------------------------------------------------
    try:
        arith = conv2d_arithmetic((height, width, channels), filters, kernel, stride, padding, dilation)
    except ShapeError as err:
        show_error("errors", err)
        st.info(t("conv.impossible_hint"))
        publish(URL_STATE)
        return

    oh, ow, _ = arith.output_shape
    m1 = m3 = st.container(horizontal=True)
    m1.metric(t("conv.input_shape"), str((height, width, channels)))
    m2 = m1.container()  # the guess widgets stack under the output shape
    with m2:
        revealed = reveal_gate(
            "conv", arith.output_shape, str((height, width, channels, filters, kernel, stride, padding, dilation))
        )
    layer = Conv2D(filters, kernel, stride, "same" if pad_mode == "same" else "valid", dilation)
    params, _, param_formula = layer.params((height, width, channels))
    if revealed:
        m2.metric(t("conv.output_shape"), str(arith.output_shape))
        m3.metric(t("conv.layer_params"), f"{params:,}")
        st.caption(t("conv.params_formula", formula=param_formula))
        axes = []
        for name, axis in ((t("conv.axis_height"), arith.rows), (t("conv.axis_width"), arith.cols)):
            split = (
                None if axis.padding == "valid" else t("conv.pad_split", before=axis.pad_before, after=axis.pad_after)
            )
            axes.append((name, conv_axis_formula(axis), split))
        st.markdown(axis_formulas(axes))
        code_prefix = f"layers.ZeroPadding2D({pad_amount})\n" if pad_mode == "explicit" else ""
        st.code(code_prefix + layer_call(layer), language="python")

    # --- Step-through ---------------------------------------------------------------------
    st.header(t("conv.step_title"))
    if not revealed:
        st.info(t("guess.hidden"))
    elif max(height, width) > STEP_LIMIT or channels > 3:
        st.info(t("conv.step_too_big", limit=STEP_LIMIT))
    else:
        v1 = v2 = v3 = st.container(horizontal=True)
        value_source = v1.selectbox(
            t("conv.values"),
            ["random", "book"],
            help=t("help.conv_values"),
            key="conv_values",
            format_func=labeler("conv.values_"),
        )
        kernel_choices = ["random", *KERNEL_PRESETS] if kernel == 3 else ["random"]
        if st.session_state.get("conv_kernel_values") not in kernel_choices:
            st.session_state["conv_kernel_values"] = kernel_choices[0]
        kernel_source = v2.selectbox(
            t("conv.kernel_values"),
            kernel_choices,
            help=t("help.conv_kernel_values"),
            key="conv_kernel_values",
            format_func=labeler("kernels."),
        )
        session_defaults({"conv_bias": 0.0})  # a preset (the 155 example) or a link may set it first
        bias = v3.number_input(t("conv.bias"), -100.0, 100.0, step=1.0, help=t("help.conv_bias"), key="conv_bias")

        if value_source == "book" and (height, width, channels) == (5, 5, 1):
            x = BOOK_PATCH_INPUT[:, :, None]
        else:
            if value_source == "book":
                st.caption(t("conv.book_values_need_5x5"))
            x = demo_values((height, width, channels), seed=height * 1000 + width * 10 + channels, low=0, high=9)
        if kernel_source == "random":
            k = demo_values((kernel, kernel, channels), seed=7 + kernel, low=-1, high=1)
        else:
            k = np.repeat(KERNEL_PRESETS[kernel_source][:, :, None], channels, axis=2)
        xp = pad_input(x, arith)
        out = conv2d(x, k[..., None], bias, stride, padding, dilation)[:, :, 0]

        n_steps = oh * ow
        stepper = Stepper("conv", n_steps)
        playing = stepper.buttons(st.container(horizontal=True, vertical_alignment="center"), play=True, stretch=True)

        def step_view() -> None:
            if playing and n_steps > 1:
                stepper.move(1)
            step = stepper.slider(st, t("conv.position"), help=t("help.conv_step"))
            orow, ocol = divmod(step, ow)
            taps = [(r, c) for r in arith.rows.tap_positions(orow) for c in arith.cols.tap_positions(ocol)]
            pads = (arith.rows.pad_before, arith.rows.pad_after, arith.cols.pad_before, arith.cols.pad_after)
            grids = []
            for ch in range(channels):
                classes = padding_classes(xp.shape[:2], pads)
                add_class(classes, taps, "win")
                caption = t("conv.input_grid", channel=ch + 1) if channels > 1 else t("conv.input_grid_single")
                grids.append(grid_html(xp[:, :, ch], caption=caption, classes=classes))
            grids.append(
                "".join(
                    grid_html(
                        k[:, :, ch],
                        caption=t("conv.kernel_grid", channel=ch + 1) if channels > 1 else t("conv.kernel_single"),
                    )
                    for ch in range(channels)
                )
            )
            out_classes = {
                (r, c): ("cur" if r * ow + c == step else "done")
                for r in range(oh)
                for c in range(ow)
                if r * ow + c <= step
            }
            hidden = [(r, c) for r in range(oh) for c in range(ow) if r * ow + c > step]
            grids.append(
                grid_html(out, caption=t("conv.output_grid", shape=str((oh, ow))), classes=out_classes, hidden=hidden)
            )
            st.markdown(grid_row_html(grids), unsafe_allow_html=True)  # one element for the whole row of grids
            terms = dot_product_terms(xp, k[..., None], arith, orow, ocol)
            arithmetic = t("conv.arithmetic", row=orow, col=ocol, value=f"{out[orow, ocol]:g}")
            st.markdown(f"{arithmetic}\n\n```\n{format_terms(terms, bias, kernel)}\n```")  # one element, not two
            if pad_mode != "valid":
                st.caption(t("conv.padding_legend"))

        # A fragment only while playing: a fragment inside this section deep-copies the container stack on every
        # call (py-spy: a fifth of this section's CPU), which every slider move in class would pay for.
        (st.fragment(run_every=0.9)(step_view) if playing else step_view)()
    publish(URL_STATE)


@page_fragment("conv_multi", URL_STATE)
def multi_channel() -> None:
    # --- Multi-channel ----------------------------------------------------------------------
    st.header(t("conv.multi_title"))
    st.caption(t("conv.multi_intro"))
    mc_x = demo_values((8, 8, 3), seed=3, low=0, high=9)
    mc_k = demo_values((3, 3, 3, 6), seed=4, low=-1, high=1)
    mc_out = conv2d(mc_x, mc_k)
    f_index = st.selectbox(
        t("conv.multi_filter"),
        range(6),
        help=t("help.conv_mc_filter"),
        key="conv_mc_filter",
        format_func=lambda i: f"#{i + 1}",
    )
    st.markdown(t("conv.multi_shape", out=str(mc_out.shape)))
    for ch, name in enumerate(("R", "G", "B")):
        partial = conv2d(mc_x[:, :, ch], mc_k[:, :, ch, f_index])[:, :, 0]
        grids = (
            grid_html(mc_x[:, :, ch], caption=t("conv.multi_input", channel=name)),
            grid_html(mc_k[:, :, ch, f_index], caption=t("conv.multi_slice", channel=name)),
            grid_html(partial, caption=t("conv.multi_partial", channel=name)),
        )
        st.markdown(grid_row_html(grids), unsafe_allow_html=True)  # wraps where the three do not fit side by side
    st.markdown(
        grid_html(mc_out[:, :, f_index], caption=t("conv.multi_sum", filter=f_index + 1)),
        unsafe_allow_html=True,
    )
    publish(URL_STATE)


@page_fragment("conv_photo", URL_STATE)
def photo_section() -> None:
    # --- Photo ------------------------------------------------------------------------------
    st.header(t("conv.photo_title"))
    photo_rgb = photo_picker("conv_photo")
    if photo_rgb is not None:
        photo = to_grayscale(photo_rgb)
        names = [*KERNEL_PRESETS, "custom"]
        choice = st.selectbox(
            t("conv.photo_kernel"),
            names,
            index=names.index("sobel_horizontal"),
            help=t("help.conv_photo_kernel"),
            key="conv_photo_kernel",
            format_func=labeler("kernels."),
        )
        if choice == "custom":
            text = st.text_input(
                t("conv.custom_kernel"),
                "0 -1 0; -1 5 -1; 0 -1 0",
                help=t("help.conv_photo_custom"),
                key="conv_photo_custom",
            )
            try:
                photo_kernel = parse_kernel_text(text)
            except ValueError as err:
                show_error("kernel_errors", err)
                return
        else:
            photo_kernel = KERNEL_PRESETS[choice]
        st.code(kernel_to_text(photo_kernel), language=None)
        try:
            photo_png, map_png, relu_png, lo, hi = photo_filter_views(photo, photo_kernel)
        except (ShapeError, ImageDecodeError) as err:
            show_error("errors", err)
            return
        p1, p2, p3 = st.columns(3)
        # output_format="PNG": Streamlit would otherwise re-encode every PNG as JPEG on every rerun.
        p1.image(
            photo_png,
            caption=t("conv.photo_input", shape=str((*photo.shape, 1))),
            alt=t("alt.conv_input", shape=str((*photo.shape, 1))),
            output_format="PNG",
        )
        p2.image(
            map_png,
            caption=t("conv.photo_map", lo=f"{lo:.0f}", hi=f"{hi:.0f}"),
            alt=t("alt.conv_map", lo=f"{lo:.0f}", hi=f"{hi:.0f}"),
            output_format="PNG",
        )
        p3.image(relu_png, caption=t("conv.photo_relu"), alt=t("alt.conv_relu"), output_format="PNG")
        st.caption(t("conv.photo_note"))
    publish(URL_STATE)


shape_and_steps()
multi_channel()
photo_section()
step_keys("conv_prev", "conv_next")  # once a page run, not on each rerun of the section (it never changes)
publish(URL_STATE)
