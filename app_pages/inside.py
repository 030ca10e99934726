"""Inside the model: feature maps layer by layer, first-layer filters, filter patterns, Grad-CAM."""

from pathlib import Path

import numpy as np
import streamlit as st

from cnn_core.core.images import ImageDecodeError
from cnn_core.core.settings import load_settings
from cnn_core.data.augmentation import resize_square
from cnn_core.data.datasets import PathOutsideRootsError, find_datasets, random_image
from cnn_core.data.reports import root_labels
from cnn_core.training import inspect_model
from cnn_core.training.evaluation import class_names
from cnn_core.training.inspect_model import filter_pattern
from cnn_core.training.pretrained.efficientnet_lite import efficientnet_lite0
from cnn_core.training.pretrained.errors import MissingWeightsError
from cnn_core.training.run_store import RESULT_STATES
from ui.common import max_upload_bytes, session_defaults, show_error, t
from ui.photos import decode_upload, photo_picker, photo_url_state
from ui.training import run_label, runs_now
from ui.url_state import Choice, Num, Text, publish, restore

IMAGENET = "imagenet_lite0"
IMAGENET_CLASSES = {281: "tabby cat", 282: "tiger cat", 283: "Persian cat", 284: "Siamese cat", 285: "Egyptian cat"}


@st.cache_resource(show_spinner=False, max_entries=3)
def load_model(source: str, mtime: float):
    """(full model, feature network, probe-able layers) for a run checkpoint or the ImageNet classifier."""
    if source == IMAGENET:
        model = efficientnet_lite0(include_top=True)
        net = model
    else:
        import keras  # noqa: PLC0415

        model = keras.models.load_model(source, safe_mode=True)
        net = inspect_model.feature_network(model)
    return model, net, inspect_model.probe_layers(net)


@st.cache_data(show_spinner=False, max_entries=64)
def pattern(source: str, mtime: float, layer: str, index: int) -> np.ndarray:
    _, net, _ = load_model(source, mtime)
    return filter_pattern(net, layer, index)


st.title(t("inside.title"))
st.caption(t("inside.intro"))
_, all_runs = runs_now()
runs = {
    r.run_id: r
    for r in all_runs
    if r.state in RESULT_STATES and r.checkpoint.exists() and r.config and not r.config.is_mnist
}
options = [IMAGENET, *runs]
labels = {IMAGENET: t("inside.imagenet")} | {i: run_label(r) for i, r in runs.items()}
URL_STATE = {
    "inside_model": Choice(tuple(options)), "inside_layer": Num(0, 500), "inside_dataset": Text(200),
    "inside_pattern_layer": Text(200), "inside_pattern_filter": Num(0, 4096), "inside_pick": Num(0, 1_000_000),
} | photo_url_state("inside_photo", ("dataset",))  # fmt: skip
restore("inside", URL_STATE)
choice = st.selectbox(t("inside.model"), options, key="inside_model", format_func=labels.__getitem__)
source = IMAGENET if choice == IMAGENET else str(runs[choice].checkpoint)
mtime = 0.0 if choice == IMAGENET else runs[choice].checkpoint.stat().st_mtime
try:
    with st.spinner(t("inside.loading")):
        model, net, layers = load_model(source, mtime)
except MissingWeightsError as err:
    st.error(str(err))
    st.stop()
except (OSError, ValueError) as err:
    st.error(t("inside.cannot_load", message=str(err)[:400]))
    st.stop()

if not layers:
    st.warning(t("inside.no_conv_layers"))
    st.stop()
photo = photo_picker("inside_photo", extra_sources=("dataset",))
if isinstance(photo, str):
    settings = load_settings()
    datasets = {d.name: d for d in find_datasets(settings.data_roots)}
    if not datasets:
        st.info(t("aug.no_datasets", roots=root_labels(settings.data_roots)))
        st.stop()
    if st.session_state.get("inside_dataset") not in datasets:
        st.session_state.pop("inside_dataset", None)
    name = st.selectbox(t("aug.dataset"), list(datasets), key="inside_dataset")
    seed = st.session_state.get("inside_pick", 0)
    if st.button(t("aug.another_image"), key="inside_pick_button"):
        st.session_state["inside_pick"] = seed = seed + 1
    try:
        path, label = random_image(
            datasets[name], settings.data_roots, split="test" if "test" in datasets[name].splits else "train", seed=seed
        )
        photo = decode_upload(path.read_bytes(), max_upload_bytes())
        st.caption(t("aug.dataset_image", name=Path(path).name, label=label))
    except (PathOutsideRootsError, ImageDecodeError, OSError, ValueError) as err:
        show_error("image_errors", err) if isinstance(err, ImageDecodeError) else st.error(str(err))
        st.stop()
if photo is None:
    st.stop()
size = int(net.input_shape[1])
image = resize_square(photo, size)

tab_maps, tab_filters, tab_cam = st.tabs([t("inside.tab_maps"), t("inside.tab_filters"), t("inside.tab_cam")])

with tab_maps:
    names = [f"{c.name} · {c.kind} {c.shape}" for c in layers]
    default = min(1, len(layers) - 1)
    if st.session_state.get("inside_layer", 0) >= len(layers):
        st.session_state["inside_layer"] = len(layers) - 1
    session_defaults({"inside_layer": default})  # clamped above, or set by a link
    position = st.select_slider(
        t("inside.layer"), range(len(layers)), key="inside_layer", format_func=names.__getitem__
    )
    chosen = layers[position]
    maps = inspect_model.activations(net, chosen.name, image)
    left, right = st.columns([1, 3])
    left.image(image, caption=t("inside.input", size=size), alt=t("alt.inside_input", size=size), width="stretch")
    shown = {"shown": min(64, maps.shape[-1]), "total": maps.shape[-1], "layer": chosen.name, "shape": str(maps.shape)}
    right.image(
        inspect_model.channel_grid(maps, max_channels=64),
        caption=t("inside.maps_caption", **shown),
        alt=t("alt.inside_maps", **shown),
        width="stretch",
    )
    depth = position / max(len(layers) - 1, 1)
    st.info(
        t("inside.low_layers") if depth < 0.34 else t("inside.high_layers") if depth > 0.66 else t("inside.mid_layers")
    )

with tab_filters:
    kernels = inspect_model.first_layer_filters(net)
    if kernels is not None:
        st.markdown(t("inside.first_filters", n=len(kernels), kh=kernels.shape[1], kw=kernels.shape[2]))
        cols = st.columns(16)
        for i, kernel in enumerate(kernels[:32]):
            cols[i % 16].image(
                np.kron(kernel, np.ones((12, 12, 1), dtype=np.uint8)),
                alt=t("alt.inside_filter", n=i + 1, total=len(kernels), kh=kernels.shape[1], kw=kernels.shape[2]),
                width="stretch",
            )
    conv_layers = [c for c in layers if c.kind in ("Conv2D", "DepthwiseConv2D")]
    c1, c2 = st.columns(2)
    layer_names = [c.name for c in conv_layers]
    if st.session_state.get("inside_pattern_layer") not in layer_names:
        st.session_state.pop("inside_pattern_layer", None)
    layer_name = c1.selectbox(
        t("inside.pattern_layer"), layer_names, index=min(2, len(layer_names) - 1), key="inside_pattern_layer"
    )
    channels = next(c.shape[-1] for c in conv_layers if c.name == layer_name)
    if st.session_state.get("inside_pattern_filter", 0) > channels - 1:
        st.session_state["inside_pattern_filter"] = channels - 1
    session_defaults({"inside_pattern_filter": 0})  # clamped above, or set by a link
    index = c2.number_input(t("inside.pattern_filter"), 0, channels - 1, key="inside_pattern_filter")
    if st.button(t("inside.pattern_button"), key="inside_pattern_go"):
        with st.spinner(t("inside.pattern_running")):
            st.session_state["inside_pattern_shown"] = (source, layer_name, int(index))
    if st.session_state.get("inside_pattern_shown") == (source, layer_name, int(index)):
        st.image(
            pattern(source, mtime, layer_name, int(index)),
            caption=t("inside.pattern_caption", layer=layer_name, index=index),
            alt=t("alt.inside_pattern", layer=layer_name, index=index),
            width=256,
        )

with tab_cam:
    split = "top_relu6" if choice == IMAGENET else None
    heat, cls, score = inspect_model.grad_cam(model, image, split_at=split)
    if choice == IMAGENET:
        label = IMAGENET_CLASSES.get(cls, f"ImageNet class {cls}")
    else:
        classes = class_names(runs[choice])
        label = classes[cls] if cls < len(classes) else str(cls)
    a, b = st.columns(2)
    a.image(image, caption=t("inside.input", size=size), alt=t("alt.inside_input", size=size), width="stretch")
    b.image(
        inspect_model.overlay(image, heat),
        caption=t("inside.cam_caption", label=label, p=f"{score:.1%}", shape=str(heat.shape)),
        alt=t("alt.inside_cam", label=label, p=f"{score:.1%}"),
        width="stretch",
    )
    st.caption(t("inside.cam_note"))

publish(URL_STATE)
