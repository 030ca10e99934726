"""The book's Keras models for each training strategy (seed 000, 001, 002), built on demand (TensorFlow lazily)."""

from __future__ import annotations

import logging

from cnn_core.data.augmentation import BOOK, build_pipeline
from cnn_core.keras_code.book_models import cats_vs_dogs_convnet, mnist_convnet
from cnn_core.keras_code.keras_build import build_keras_model

logger = logging.getLogger(__name__)


def scratch_model(image_size: int, augmented: bool):
    """Seed 000's convnet; with ``augmented`` the book's augmentation in front and Dropout(0.5) before the output."""
    import keras  # noqa: PLC0415

    book = cats_vs_dogs_convnet(image_size, with_dropout=augmented)
    convnet = build_keras_model(book.input_shape, book.layers)
    if not augmented:
        return convnet
    inputs = keras.Input(book.input_shape)
    x = build_pipeline(BOOK)(inputs)
    return keras.Model(inputs, convnet(x), name="scratch_augmented")


def classifier_head(x):
    """The book's head on top of a conv base: Flatten -> Dense(256, relu) -> Dropout(0.5) -> Dense(1, sigmoid)."""
    from keras import layers  # noqa: PLC0415

    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return layers.Dense(1, activation="sigmoid")(x)


def feature_classifier(feature_shape: tuple[int, ...]):
    """Strategy 3a: the head alone, trained on features the frozen base computed once."""
    import keras  # noqa: PLC0415

    inputs = keras.Input(feature_shape)
    return keras.Model(inputs, classifier_head(inputs), name="feature_classifier")


def augmented_frozen_base_model(base, image_size: int):
    """Strategy 3b: augmentation -> frozen base (inference mode) -> head, end to end on images."""
    import keras  # noqa: PLC0415

    base.trainable = False
    inputs = keras.Input((image_size, image_size, 3))
    x = build_pipeline(BOOK)(inputs)
    x = base(x, training=False)
    return keras.Model(inputs, classifier_head(x), name="feature_extraction_augmented")


def unfreeze_top(inner, first_unfrozen: str | None = None, unfreeze_last: int | None = None) -> int:
    """Strategy 4 (seed 002): unfreeze the base's top layers, keep every BatchNormalization frozen.

    ``unfreeze_last`` layers from the end, or from ``first_unfrozen`` on. Returns how many were unfrozen.
    BN layers stay frozen *and* in inference mode (the base is called with ``training=False``), so
    their moving statistics are not destroyed by small batches.
    """
    from keras import layers  # noqa: PLC0415

    names = [layer.name for layer in inner.layers]
    if unfreeze_last is not None:
        start = max(len(names) - unfreeze_last, 0)
    elif first_unfrozen in names:
        start = names.index(first_unfrozen)
    else:
        raise ValueError(f"{inner.name} has no layer {first_unfrozen!r}")
    inner.trainable = True
    count = 0
    for i, layer in enumerate(inner.layers):
        layer.trainable = i >= start and not isinstance(layer, layers.BatchNormalization)
        count += int(layer.trainable and bool(layer.weights))
    return count


def find_base_layer(model, base_name: str):
    """The nested base inside a saved 3b model (the Functional sub-model whose name starts with the base's)."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.name.startswith(base_name):
            return layer
    raise ValueError(f"No {base_name} inside {model.name}")


def mnist_mlp():
    """Seed 001: Dense(512, relu) on 784 inputs -> Dense(10, softmax)."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    return keras.Sequential(
        [keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")],
        name="mnist_mlp",
    )


def mnist_cnn():
    """Seed 000's MNIST convnet (104,202 parameters)."""
    book = mnist_convnet(True)
    return build_keras_model(book.input_shape, book.layers)
