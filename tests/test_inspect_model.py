import keras
import numpy as np
import pytest

from cnn_core.data.augmentation import BOOK, build_pipeline
from cnn_core.training import inspect_model


@pytest.fixture(scope="module")
def tiny():
    inputs = keras.Input((32, 32, 3))
    x = build_pipeline(BOOK)(inputs)
    x = keras.layers.Rescaling(1 / 255)(x)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(x)
    x = keras.layers.MaxPooling2D(2, name="p1")(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="c2")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def image(seed=0):
    return np.random.default_rng(seed).integers(0, 255, (32, 32, 3)).astype(np.uint8)


def test_probe_layers_and_activations(tiny):
    net = inspect_model.feature_network(tiny)
    assert [(c.name, c.shape) for c in inspect_model.probe_layers(net)] == [
        ("c1", (30, 30, 4)),
        ("p1", (15, 15, 4)),
        ("c2", (13, 13, 6)),
    ]
    maps = inspect_model.activations(net, "c2", image())
    assert maps.shape == (13, 13, 6) and maps.min() >= 0  # after ReLU
    grid = inspect_model.channel_grid(maps, columns=4)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 13 + 2, 4 * 13 + 6)


def test_first_layer_filters_and_pattern(tiny):
    net = inspect_model.feature_network(tiny)
    filters = inspect_model.first_layer_filters(net)
    assert filters.shape == (4, 3, 3, 3) and filters.dtype == np.uint8 and filters.max() == 255
    pattern = inspect_model.filter_pattern(net, "c1", 1, steps=5)
    assert pattern.shape == (32, 32, 3) and pattern.dtype == np.uint8  # the network's own input size


def test_grad_cam_shape_range_and_agreement(tiny):
    heat, cls, score = inspect_model.grad_cam(tiny, image())
    assert heat.shape == (13, 13) and 0.0 <= heat.min() and heat.max() <= 1.0
    p = float(tiny.predict(image()[None].astype("float32"), verbose=0)[0, 0])
    assert cls == int(p >= 0.5) and score == pytest.approx(max(p, 1 - p), abs=1e-5)
    other, cls0, score0 = inspect_model.grad_cam(tiny, image(), class_index=1 - cls)
    assert cls0 == 1 - cls and score0 == pytest.approx(1 - score, abs=1e-5)
    blended = inspect_model.overlay(image(), heat)
    assert blended.shape == (32, 32, 3) and blended.dtype == np.uint8


def test_grad_cam_on_the_imagenet_network(tmp_path):
    from cnn_core.core.images import load_sample_photo
    from cnn_core.data.augmentation import resize_square
    from cnn_core.training.pretrained.efficientnet_lite import efficientnet_lite0

    model = efficientnet_lite0(include_top=True, cache_dir=tmp_path)
    heat, cls, score = inspect_model.grad_cam(model, resize_square(load_sample_photo(), 224), split_at="top_relu6")
    assert heat.shape == (7, 7) and 281 <= cls <= 285 and score > 0.5


def test_filter_pattern_on_the_imagenet_network_uses_its_input_size(tmp_path):
    """The page's default model takes exactly 224x224: a pattern of any other size was a ValueError."""
    from cnn_core.training.pretrained.efficientnet_lite import efficientnet_lite0

    model = efficientnet_lite0(include_top=True, cache_dir=tmp_path)
    assert inspect_model.pattern_size(model) == 224
    pattern = inspect_model.filter_pattern(model, inspect_model.probe_layers(model)[2].name, 0, steps=2)
    assert pattern.shape == (224, 224, 3)


def test_pattern_size_of_a_network_without_a_fixed_size():
    inputs = keras.Input((None, None, 3))
    net = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="c")(inputs))
    assert inspect_model.pattern_size(net) == 128
    assert inspect_model.filter_pattern(net, "c", 0, steps=1).shape == (128, 128, 3)
