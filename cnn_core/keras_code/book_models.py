"""The book's models (chapter 9, seed 000) as layer stacks.

* MNIST convnet: 104,202 parameters; without max pooling: 712,202.
* Cats-vs-dogs convnet at 180x180x3: 991,041 parameters.
* VGG16 conv base (``include_top=False``): 14,714,688 parameters, (5, 5, 512) at 180x180.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.keras_code.layer_stack import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LayerSpec,
    MaxPooling2D,
    Rescaling,
)


@dataclass(frozen=True)
class BookModel:
    key: str
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]


def mnist_convnet(with_pooling: bool = True) -> BookModel:
    """Input(28,28,1) -> Conv2D 32/64/128 (3x3, relu) [MaxPooling2D(2) after the first two] -> Flatten -> Dense(10)."""
    layers: list[LayerSpec] = [Conv2D(32, 3, activation="relu")]
    if with_pooling:
        layers.append(MaxPooling2D(2))
    layers.append(Conv2D(64, 3, activation="relu"))
    if with_pooling:
        layers.append(MaxPooling2D(2))
    layers += [Conv2D(128, 3, activation="relu"), Flatten(), Dense(10, activation="softmax")]
    return BookModel("mnist_convnet" if with_pooling else "mnist_no_pooling", (28, 28, 1), tuple(layers))


def cats_vs_dogs_convnet(image_size: int = 180, with_dropout: bool = False) -> BookModel:
    """Rescaling(1/255) -> Conv2D 32-64-128-256-256 (3x3, relu), MaxPooling2D(2) after all but the last -> Flatten -> Dense(1)."""
    layers: list[LayerSpec] = [Rescaling(1 / 255)]
    for i, filters in enumerate((32, 64, 128, 256, 256)):
        layers.append(Conv2D(filters, 3, activation="relu"))
        if i < 4:
            layers.append(MaxPooling2D(2))
    layers.append(Flatten())
    if with_dropout:
        layers.append(Dropout(0.5))
    layers.append(Dense(1, activation="sigmoid"))
    return BookModel("cats_vs_dogs_convnet", (image_size, image_size, 3), tuple(layers))


VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def vgg16_conv_base(image_size: int = 180) -> BookModel:
    """``keras.applications.VGG16(include_top=False)``: five blocks of 3x3 'same' convolutions, each closed by MaxPooling2D(2)."""
    layers: list[LayerSpec] = []
    for b, block in enumerate(VGG16_BLOCKS, start=1):
        for c, filters in enumerate(block, start=1):
            layers.append(Conv2D(filters, 3, padding="same", activation="relu", name=f"block{b}_conv{c}"))
        layers.append(MaxPooling2D(2, name=f"block{b}_pool"))
    return BookModel("vgg16_conv_base", (image_size, image_size, 3), tuple(layers))


BOOK_MODELS = {
    "mnist_convnet": lambda: mnist_convnet(True),
    "mnist_no_pooling": lambda: mnist_convnet(False),
    "cats_vs_dogs_convnet": lambda: cats_vs_dogs_convnet(180),
}
