"""Data augmentation: what the real Keras layers do to one photo, as a grid and epoch by epoch."""

import numpy as np
import streamlit as st

from cnn_core.core.images import ImageDecodeError
from cnn_core.core.settings import load_settings
from cnn_core.data.augmentation import (
    BOOK,
    FILL_MODES,
    FIRST_EDITION,
    FLIP_MODES,
    NONE,
    AugmentationSettings,
    pipeline_code,
    resize_square,
)
from cnn_core.data.datasets import PathOutsideRootsError, find_datasets, random_image
from cnn_core.data.reports import root_labels
from ui.augment import augmented_epochs, augmented_grid, shear_available
from ui.common import labeler, max_upload_bytes, preset_setter, session_defaults, show_error, t
from ui.lecture import lecture_mode
from ui.photos import decode_upload, photo_picker, photo_url_state
from ui.url_state import Choice, Num, Text, publish, restore

FACTOR_KEYS = {
    "aug_rotation": "rotation",
    "aug_zoom": "zoom",
    "aug_translate_h": "translate_height",
    "aug_translate_w": "translate_width",
    "aug_shear": "shear",
    "aug_brightness": "brightness",
    "aug_contrast": "contrast",
}


URL_STATE = {
    "aug_flip": Choice(FLIP_MODES), "aug_fill": Choice(FILL_MODES), "aug_size": Choice((180, 150, 128, 96)),
    "aug_grid": Num(1, 5), "aug_seed": Num(0, 1_000_000), "aug_epochs": Num(2, 12),
    "aug_dataset": Text(200), "aug_pick_seed": Num(0, 1_000_000),
} | {key: Num(0.0, 0.9 if key == "aug_contrast" else 0.5, is_float=True) for key in FACTOR_KEYS} | photo_url_state(
    "aug_photo", ("dataset",)
)  # fmt: skip


def preset_values(settings: AugmentationSettings) -> dict[str, object]:
    values: dict[str, object] = {key: getattr(settings, field) for key, field in FACTOR_KEYS.items()}
    return values | {"aug_flip": settings.flip, "aug_fill": settings.fill_mode}


restore("aug", URL_STATE)
st.title(t("aug.title"))
st.caption(t("aug.intro"))

# --- Image ----------------------------------------------------------------------------------
photo = photo_picker("aug_photo", extra_sources=("dataset",))
if isinstance(photo, str):  # a dataset image
    settings = load_settings()
    datasets = {d.name: d for d in find_datasets(settings.data_roots)}
    if not datasets:
        st.info(t("aug.no_datasets", roots=root_labels(settings.data_roots)))
        st.stop()
    d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
    if st.session_state.get("aug_dataset") not in datasets:
        st.session_state.pop("aug_dataset", None)  # a link from another machine names another dataset
    name = d1.selectbox(t("aug.dataset"), list(datasets), help=t("help.aug_dataset"), key="aug_dataset")
    if d2.button(t("aug.another_image"), key="aug_pick", width="stretch"):
        st.session_state["aug_pick_seed"] = st.session_state.get("aug_pick_seed", 0) + 1
    try:
        path, label = random_image(datasets[name], settings.data_roots, seed=st.session_state.get("aug_pick_seed", 0))
        photo = decode_upload(path.read_bytes(), max_upload_bytes())
    except (PathOutsideRootsError, ImageDecodeError, OSError, ValueError) as err:
        show_error("image_errors", err) if isinstance(err, ImageDecodeError) else st.error(str(err))
        st.stop()
    st.caption(t("aug.dataset_image", name=path.name, label=label))
if photo is None:
    st.stop()

# --- Pipeline --------------------------------------------------------------------------------
p1, p2, p3 = st.columns(3)
p1.button(t("aug.preset_book"), key="aug_preset_book", on_click=preset_setter(preset_values(BOOK)), width="stretch")
p2.button(
    t("aug.preset_first_edition"),
    key="aug_preset_first_edition",
    on_click=preset_setter(preset_values(FIRST_EDITION)),
    width="stretch",
)
p3.button(t("aug.preset_none"), key="aug_preset_none", on_click=preset_setter(preset_values(NONE)), width="stretch")

DEFAULTS = {
    "aug_flip": FLIP_MODES[1], "aug_rotation": BOOK.rotation, "aug_zoom": BOOK.zoom, "aug_translate_h": 0.0,
    "aug_translate_w": 0.0, "aug_shear": 0.0, "aug_brightness": 0.0, "aug_contrast": 0.0, "aug_grid": 3, "aug_epochs": 6,
}  # fmt: skip
session_defaults(DEFAULTS)  # a preset button or a link may set them first
c1, c2, c3, c4 = st.columns(4)
flip = c1.selectbox(
    t("aug.flip"), FLIP_MODES, help=t("help.aug_flip"), key="aug_flip", format_func=labeler("aug.flip_")
)
rotation = c2.slider(t("aug.rotation"), 0.0, 0.5, step=0.01, help=t("help.aug_rotation"), key="aug_rotation")
c2.caption(t("aug.rotation_degrees", degrees=f"{rotation * 360:.0f}"))
zoom = c3.slider(t("aug.zoom"), 0.0, 0.5, step=0.01, help=t("help.aug_zoom"), key="aug_zoom")
fill = c4.selectbox(
    t("aug.fill"), FILL_MODES, help=t("help.aug_fill"), key="aug_fill", format_func=labeler("aug.fill_")
)
ADVANCED = ("aug_translate_h", "aug_translate_w", "aug_shear", "aug_brightness", "aug_contrast")
shift_h = shift_w = shear = brightness = contrast = 0.0
if not lecture_mode() or any(st.session_state.get(k) for k in ADVANCED):  # lecturer mode: the book's three only
    c1, c2, c3, c4, c5 = st.columns(5)
    shift_h = c1.slider(
        t("aug.translate_h"), 0.0, 0.5, step=0.01, help=t("help.aug_translate_h"), key="aug_translate_h"
    )
    shift_w = c2.slider(
        t("aug.translate_w"), 0.0, 0.5, step=0.01, help=t("help.aug_translate_w"), key="aug_translate_w"
    )
    shear = c3.slider(
        t("aug.shear"), 0.0, 0.5, step=0.01, help=t("help.aug_shear"), key="aug_shear", disabled=not shear_available()
    )
    brightness = c4.slider(
        t("aug.brightness"), 0.0, 0.5, step=0.01, help=t("help.aug_brightness"), key="aug_brightness"
    )
    contrast = c5.slider(t("aug.contrast"), 0.0, 0.9, step=0.01, help=t("help.aug_contrast"), key="aug_contrast")
if not shear_available():
    st.caption(t("aug.no_shear"))

aug = AugmentationSettings(
    flip=flip,
    rotation=rotation,
    zoom=zoom,
    translate_height=shift_h,
    translate_width=shift_w,
    shear=shear if shear_available() else 0.0,
    brightness=brightness,
    contrast=contrast,
    fill_mode=fill,
)

g1, g2, g3, g4 = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
size = g1.selectbox(t("aug.image_size"), [180, 150, 128, 96], help=t("help.aug_size"), key="aug_size")
grid_side = g2.number_input(t("aug.grid_size"), 1, 5, help=t("help.aug_grid"), key="aug_grid")
if g4.button(t("aug.reroll"), key="aug_reroll", width="stretch"):
    st.session_state["aug_seed"] = int(st.session_state.get("aug_seed", 0)) + 1
session_defaults({"aug_seed": 0})  # re-roll and links set it first
seed = g3.number_input(t("aug.seed"), 0, 1_000_000, help=t("help.aug_seed"), key="aug_seed")

image = resize_square(photo, int(size))
with st.spinner(t("aug.loading_keras")):
    grid = augmented_grid(aug, image, int(grid_side) ** 2, int(seed))

left, right = st.columns([1, 3])
left.image(image, caption=t("aug.original", size=size), alt=t("alt.aug_original", size=size), width="stretch")
with right:
    for row in range(int(grid_side)):
        cols = st.columns(int(grid_side))
        first = row * int(grid_side)
        for n, (col, view) in enumerate(zip(cols, grid[first : first + int(grid_side)], strict=True), first + 1):
            col.image(view, alt=t("alt.aug_view", n=n, count=len(grid), seed=seed), width="stretch")
st.caption(t("aug.grid_caption", count=int(grid_side) ** 2, seed=seed))

st.header(t("aug.epochs_title"))
st.caption(t("aug.epochs_intro"))
epochs = st.slider(t("aug.epochs"), 2, 12, help=t("help.aug_epochs"), key="aug_epochs")
views = augmented_epochs(aug, image, int(epochs), int(seed))
for start in range(0, len(views), 6):
    cols = st.columns(6)
    for offset, (col, view) in enumerate(zip(cols, views[start : start + 6], strict=False)):
        col.image(
            view,
            caption=t("aug.epoch_n", n=start + offset + 1),
            alt=t("alt.aug_epoch", n=start + offset + 1),
            width="stretch",
        )
identical = all(np.array_equal(views[0], v) for v in views[1:])
if identical:
    st.info(t("aug.no_randomness"))

st.header(t("aug.code_title"))
st.code(pipeline_code(aug), language="python")
st.caption(t("aug.code_note"))

publish(URL_STATE)
