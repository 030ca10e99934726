"""Data augmentation with the real Keras preprocessing layers (TensorFlow is imported lazily).

The book (2nd edition) uses ``RandomFlip("horizontal")``, ``RandomRotation(0.1)``,
``RandomZoom(0.2)``. The first edition's ``ImageDataGenerator(rotation_range=40,
width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
horizontal_flip=True, fill_mode='nearest')`` is expressed with Keras 3 layers by
:data:`FIRST_EDITION`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

FlipMode = Literal["none", "horizontal", "vertical", "horizontal_and_vertical"]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]
FLIP_MODES: tuple[str, ...] = ("none", "horizontal", "vertical", "horizontal_and_vertical")
FILL_MODES: tuple[str, ...] = ("reflect", "wrap", "constant", "nearest")
MAX_FACTOR = 0.9


@dataclass(frozen=True)
class AugmentationSettings:
    """One augmentation pipeline. Factors follow Keras's meaning.

    * ``rotation``: fraction of a full turn; a random angle in ``[-rotation, rotation] * 360°``.
    * ``zoom``: random zoom in ``[-zoom, +zoom]`` of the image size.
    * ``translate_height`` / ``translate_width``: shift up to that fraction of the height / width.
    * ``shear``: ``RandomShear`` x and y factor.
    * ``brightness``: ``RandomBrightness`` factor on 0..255 values; ``contrast``: ``RandomContrast`` factor.
    """

    flip: FlipMode = "horizontal"
    rotation: float = 0.1
    zoom: float = 0.2
    translate_height: float = 0.0
    translate_width: float = 0.0
    shear: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    fill_mode: FillMode = "reflect"

    def __post_init__(self) -> None:
        if self.flip not in FLIP_MODES:
            raise ValueError(f"flip must be one of {FLIP_MODES}. Received: flip={self.flip!r}")
        if self.fill_mode not in FILL_MODES:
            raise ValueError(f"fill_mode must be one of {FILL_MODES}. Received: fill_mode={self.fill_mode!r}")
        for name in ("rotation", "zoom", "translate_height", "translate_width", "shear", "brightness", "contrast"):
            value = getattr(self, name)
            if not 0.0 <= value <= MAX_FACTOR:
                raise ValueError(f"{name} must be in [0, {MAX_FACTOR}]. Received: {name}={value}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AugmentationSettings:
        return cls(**json.loads(text))


BOOK = AugmentationSettings()
"""The book's pipeline (2nd edition, seed 000)."""

FIRST_EDITION = AugmentationSettings(
    flip="horizontal",
    rotation=round(40 / 360, 4),  # rotation_range=40 degrees
    zoom=0.2,
    translate_height=0.2,
    translate_width=0.2,
    shear=0.2,
    fill_mode="nearest",
)
"""Seed 004's ``ImageDataGenerator`` settings as Keras 3 layers."""

NONE = AugmentationSettings(flip="none", rotation=0.0, zoom=0.0)


@dataclass(frozen=True)
class LayerCall:
    """A Keras layer class name with its arguments, the single source for both building and code."""

    name: str
    args: tuple[object, ...] = ()
    kwargs: tuple[tuple[str, object], ...] = ()

    def code(self) -> str:
        parts = [repr(a) if not isinstance(a, str) else f'"{a}"' for a in self.args]
        parts += [f'{k}="{v}"' if isinstance(v, str) else f"{k}={v!r}" for k, v in self.kwargs]
        return f"layers.{self.name}({', '.join(parts)})"


def has_random_shear() -> bool:
    """Whether the installed Keras has ``layers.RandomShear`` (Keras >= 3.8)."""
    import keras  # noqa: PLC0415

    return hasattr(keras.layers, "RandomShear")


def pipeline_layers(settings: AugmentationSettings) -> list[LayerCall]:
    """The layers for ``settings``, in the order the book applies them; zero factors are left out."""
    fill = (("fill_mode", settings.fill_mode),) if settings.fill_mode != "reflect" else ()
    calls: list[LayerCall] = []
    if settings.flip != "none":
        calls.append(LayerCall("RandomFlip", (settings.flip,)))
    if settings.rotation:
        calls.append(LayerCall("RandomRotation", (settings.rotation,), fill))
    if settings.translate_height or settings.translate_width:
        calls.append(LayerCall("RandomTranslation", (settings.translate_height, settings.translate_width), fill))
    if settings.shear:
        calls.append(LayerCall("RandomShear", (settings.shear, settings.shear), fill))
    if settings.zoom:
        calls.append(LayerCall("RandomZoom", (settings.zoom,), fill))
    if settings.brightness:
        calls.append(LayerCall("RandomBrightness", (settings.brightness,), (("value_range", (0, 255)),)))
    if settings.contrast:
        calls.append(LayerCall("RandomContrast", (settings.contrast,), (("value_range", (0, 255)),)))
    return calls


def pipeline_code(settings: AugmentationSettings) -> str:
    """Copy-ready Keras code for ``settings``."""
    calls = pipeline_layers(settings)
    if not calls:
        return "data_augmentation = keras.Sequential([])  # no augmentation"
    body = "".join(f"        {call.code()},\n" for call in calls)
    return f"data_augmentation = keras.Sequential(\n    [\n{body}    ]\n)"


def build_pipeline(settings: AugmentationSettings):  # -> keras.Sequential
    """A ``keras.Sequential`` of the real preprocessing layers for ``settings``."""
    import keras  # noqa: PLC0415 - TensorFlow only for the augmentation page and training

    layers = []
    for i, call in enumerate(pipeline_layers(settings)):
        cls = getattr(keras.layers, call.name, None)
        if cls is None:
            raise RuntimeError(f"The installed Keras {keras.__version__} has no layers.{call.name}.")
        layers.append(cls(*call.args, **dict(call.kwargs), seed=1000 + i))
    if not layers:  # an empty Sequential cannot be called; Identity keeps "no augmentation" a real pipeline
        layers.append(keras.layers.Identity())
    return keras.Sequential(layers, name="data_augmentation")


def reseed(pipeline, seed: int) -> None:
    """Reset every random layer's seed generator so the next call depends on ``seed`` only."""
    for i, layer in enumerate(pipeline.layers):
        generator = getattr(layer, "generator", None)
        if generator is not None:
            generator.state.assign(np.array([seed * 101 + i, 0], dtype=generator.state.dtype))


def augment_grid(pipeline, image: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` augmented views of one ``uint8 (h, w, 3)`` image, in training mode; same seed, same grid."""
    reseed(pipeline, seed)
    batch = np.repeat(image[None].astype("float32"), count, axis=0)
    out = np.asarray(pipeline(batch, training=True))
    return np.clip(out, 0, 255).astype(np.uint8)


def augment_epochs(pipeline, image: np.ndarray, epochs: int, seed: int) -> np.ndarray:
    """The view of ``image`` the model gets in each of ``epochs`` successive epochs.

    One call per epoch, like ``fit`` calling the layers once per batch: the random
    state moves on, so each epoch sees a different version of the same photo.
    """
    reseed(pipeline, seed)
    batch = image[None].astype("float32")
    views = [np.asarray(pipeline(batch, training=True))[0] for _ in range(epochs)]
    return np.clip(np.stack(views), 0, 255).astype(np.uint8)


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize to ``size`` x ``size`` like ``image_dataset_from_directory`` (bilinear, aspect not kept)."""
    return np.asarray(
        Image.fromarray(np.asarray(image, dtype=np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    )
