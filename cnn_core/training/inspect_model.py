"""Looking inside convnets: activations per layer, first-layer filters, filter patterns, Grad-CAM.

A model is seen as a chain of *units*: the leaf layers of our own convnets, or a whole pretrained
base (whose inside has skip connections) as one unit. The random augmentation layers are left out:
at inference they pass images through unchanged. Grad-CAM splits that chain at its last
convolutional unit: ``features = units[:k+1]``, ``head = units[k+1:]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

SPATIAL_KINDS = ("Conv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "ReLU", "Activation", "Add")


def _is_augmentation(layer) -> bool:
    inner = getattr(layer, "layers", None)
    return inner is not None and all(
        type(sub).__name__.startswith("Random") or type(sub).__name__ == "Identity" for sub in inner
    )


def _is_linear_chain(model) -> bool:
    """True when every layer of ``model`` has exactly one inbound layer (no skip connections)."""
    for layer in model.layers:
        for node in getattr(layer, "_inbound_nodes", []):
            if len(getattr(node, "parent_nodes", [])) > 1:
                return False
    return True


def units(model) -> list:
    """The model as a linear chain of callables (see the module docstring)."""
    out = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer" or _is_augmentation(layer):
            continue
        if hasattr(layer, "layers") and _is_linear_chain(layer) and not layer.name.endswith("_base"):
            out.extend(units(layer))
        else:
            out.append(layer)
    return out


@dataclass(frozen=True)
class LayerChoice:
    name: str
    kind: str
    shape: tuple[int, ...]


def feature_network(model):
    """The part of ``model`` that maps images to feature maps, as a Keras model whose layers can be probed.

    Transfer models: the pretrained base (for VGG16 the wrapper that includes ``preprocess_input``);
    the augmented scratch model: its inner convnet; otherwise the model itself. Its input takes RGB 0..255.
    """
    nested = [layer for layer in model.layers if hasattr(layer, "layers") and not _is_augmentation(layer)]
    return nested[0] if nested else model


def probe_layers(net) -> list[LayerChoice]:
    """Layers of a feature network whose output is a stack of feature maps (h, w, c)."""
    found = []
    for layer in net.layers:
        if hasattr(layer, "layers"):
            found.extend(probe_layers(layer))
        elif type(layer).__name__ in SPATIAL_KINDS and len(layer.output.shape) == 4:
            found.append(LayerChoice(layer.name, type(layer).__name__, tuple(int(d) for d in layer.output.shape[1:])))
    return found


def _find(net, name: str):
    for layer in net.layers:
        if layer.name == name:
            return net, layer
        if hasattr(layer, "layers"):
            try:
                return _find(layer, name)
            except KeyError:
                continue
    raise KeyError(name)


def activation_model(net, layer_name: str):
    """A model from the feature network's input to ``layer_name``'s output (the layer may sit one model deeper)."""
    import keras  # noqa: PLC0415

    owner, layer = _find(net, layer_name)
    inner = keras.Model(owner.input, layer.output)
    if owner is net:
        return inner
    # The layer lives in a sub-model of ``net`` (VGG16 inside its preprocessing wrapper): chain up to it.
    inputs = keras.Input(net.input_shape[1:])
    x = inputs
    for unit in net.layers[1:]:
        if unit is owner:
            return keras.Model(inputs, inner(x))
        x = unit(x)
    raise KeyError(layer_name)


def activations(net, layer_name: str, image: np.ndarray) -> np.ndarray:
    """``(h, w, channels)`` activations of ``layer_name`` for one ``uint8`` image already at the net's input size."""
    model = activation_model(net, layer_name)
    return np.asarray(model(image[None].astype("float32"), training=False))[0]


def channel_grid(maps: np.ndarray, max_channels: int = 64, columns: int = 8, gap: int = 2) -> np.ndarray:
    """Channels side by side as one ``uint8`` image; each channel scaled to its own 0..max (dead channels black)."""
    h, w, c = maps.shape
    n = min(c, max_channels)
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + gap) - gap, min(n, columns) * (w + gap) - gap), 255, dtype=np.uint8)
    for i in range(n):
        channel = maps[:, :, i].astype(np.float64)
        channel = channel - channel.min()
        peak = channel.max()
        tile = (255 * channel / peak).astype(np.uint8) if peak > 0 else np.zeros((h, w), np.uint8)
        r, col = divmod(i, columns)
        grid[r * (h + gap) : r * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = tile
    return grid


def first_layer_filters(net) -> np.ndarray | None:
    """The first Conv2D's kernels as ``(filters, kh, kw, 3)`` ``uint8`` images (``None`` if its input is not RGB)."""
    for layer in net.layers:
        if hasattr(layer, "layers"):
            inner = first_layer_filters(layer)
            if inner is not None:
                return inner
        if type(layer).__name__ == "Conv2D":
            kernel = np.asarray(layer.kernel)
            if kernel.shape[2] != 3:
                return None
            kernel = np.transpose(kernel, (3, 0, 1, 2))
            lo = kernel.min(axis=(1, 2, 3), keepdims=True)
            hi = kernel.max(axis=(1, 2, 3), keepdims=True)
            return (255 * (kernel - lo) / np.maximum(hi - lo, 1e-12)).astype(np.uint8)
    return None


def pattern_size(net, largest: int = 128) -> int:
    """The image side a filter pattern is computed at: the network's own input size when it has one
    (an ImageNet classifier takes exactly 224), else ``largest``."""
    declared = net.input_shape[1]
    return int(declared) if declared else largest


def filter_pattern(
    net, layer_name: str, filter_index: int, steps: int = 30, step_size: float = 10.0, seed: int = 0
) -> np.ndarray:
    """The input that maximally activates one filter, by gradient ascent on the image (Chollet, ch. 9).

    Starts from grey noise of the network's own input size (:func:`pattern_size`, so no size can be
    wrong), follows the normalised gradient of the filter's mean activation (borders excluded), and
    returns the result as a ``uint8 (size, size, 3)`` image.
    """
    import tensorflow as tf  # noqa: PLC0415

    size = pattern_size(net)
    model = activation_model(net, layer_name)
    rng = np.random.default_rng(seed)
    image = tf.Variable(rng.uniform(118, 138, (1, size, size, 3)).astype("float32"))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            act = model(image, training=False)
            border = max(1, int(act.shape[1]) // 8)
            loss = tf.reduce_mean(act[:, border : -border or None, border : -border or None, filter_index])
        grads = tape.gradient(loss, image)
        grads = tf.math.l2_normalize(grads) * step_size * math.sqrt(size * size * 3) / 100
        image.assign(tf.clip_by_value(image + grads, 0.0, 255.0))
    out = image.numpy()[0]
    out = out - out.mean()
    out = out / (out.std() + 1e-5) * 64 + 128
    return np.clip(out, 0, 255).astype(np.uint8)


def grad_cam(
    model, image: np.ndarray, class_index: int | None = None, split_at: str | None = None
) -> tuple[np.ndarray, int, float]:
    """Grad-CAM heatmap ``(h, w)`` in 0..1 for one image, the explained class and its probability.

    ``heat = relu(sum_c (mean_xy dScore/dA_c) * A_c)`` over the last convolutional feature maps ``A``.
    For a binary sigmoid output the score is ``p`` for class 1 and ``1 - p`` for class 0; by default
    the predicted class is explained. ``split_at`` names the last conv layer when the model is one
    network with skip connections (an ImageNet classifier); otherwise the chain of units is split at
    its last spatial unit.
    """
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    if split_at:
        layer = model.get_layer(split_at)
        features = keras.Model(model.input, layer.output)
        names = [lay.name for lay in model.layers]
        head = [lay for lay in model.layers[names.index(split_at) + 1 :]]
    else:
        chain = units(model)
        last = max(i for i, u in enumerate(chain) if len(u.output.shape) == 4)
        inputs = keras.Input(model.input_shape[1:])
        x = inputs
        for unit in chain[: last + 1]:
            x = unit(x)
        features = keras.Model(inputs, x)
        head = chain[last + 1 :]
    batch = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        maps = features(batch, training=False)
        tape.watch(maps)
        out = maps
        for unit in head:
            out = unit(out, training=False)
        probs = out[0]
        if probs.shape[-1] == 1:
            p = probs[0]
            chosen = int(p >= 0.5) if class_index is None else class_index
            score = p if chosen == 1 else 1 - p
        else:
            chosen = int(tf.argmax(probs)) if class_index is None else class_index
            score = probs[chosen]
    grads = tape.gradient(score, maps)[0]
    weights = tf.reduce_mean(grads, axis=(0, 1))
    heat = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()
    heat = heat / heat.max() if heat.max() > 0 else heat
    return heat, chosen, float(score)


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heatmap resized to the image and blended on it in red-yellow (``uint8``)."""
    h, w = image.shape[:2]
    heat_img = (
        np.asarray(Image.fromarray((heat * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR)) / 255.0
    )
    colour = np.stack([np.ones_like(heat_img), heat_img, np.zeros_like(heat_img)], axis=-1) * 255
    blend = (1 - alpha * heat_img[..., None]) * image + alpha * heat_img[..., None] * colour
    return np.clip(blend, 0, 255).astype(np.uint8)
