"""Random Keras listings drawn from the editor's grammar: an input, layers of every kind the editor reads with small
random arguments, branches, merges, shared layers and nested ``keras.Sequential`` blocks, ending in a model.

Seeded: ``random_listing(random.Random(n))`` is the same listing for the same ``n``.
"""

from __future__ import annotations

import dataclasses
import random

from cnn_core.keras_code.code_writer import layer_call
from cnn_core.keras_code.layer_stack import MergeSpec
from cnn_core.keras_code.layer_table import LAYERS

INPUT_SHAPES = ((12, 12, 3), (9, 9, 2), (16,), (10, 4), (8, 8, 1))
OTHER_DATA_KINDS = frozenset(
    {
        "Conv3D", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D", "Embedding",
        "SimpleRNN", "LSTM", "GRU", "Conv1DTranspose", "Cropping1D", "UpSampling1D", "ZeroPadding1D", "RepeatVector",
        "Permute", "Normalization", "PReLU", "Cropping2D", "Conv2DTranspose",
    }
)  # fmt: skip
"""Kinds the grammar leaves out: it draws the image convnets it was written for (about a quarter of its listings
train); these kinds have their own cases against Keras in ``tests/test_layer_kinds.py``."""
KINDS = tuple(
    kind for kind, info in LAYERS.items() if not issubclass(info.spec, MergeSpec) and kind not in OTHER_DATA_KINDS
)
MERGES = tuple(kind for kind, info in LAYERS.items() if issubclass(info.spec, MergeSpec))
CHOICES: dict[str, tuple] = {
    "filters": (1, 2, 4),
    "units": (1, 3, 5),
    "kernel_size": (1, 2, 3),
    "pool_size": (2, 3),
    "strides": (1, 2),
    "padding": ("valid", "same"),
    "activation": (None, "relu", "sigmoid", "softmax", "tanh"),
    "rate": (0.1, 0.5),
    "stddev": (0.1,),
    "depth_multiplier": (1, 2),
    "dilation_rate": (1,),
    "size": (2,),
    "height": (4, 6),
    "width": (4, 6),
    "factor": (0.1, 0.2),
    "height_factor": (0.1, 0.2),
    "mode": ("horizontal", "vertical", "horizontal_and_vertical"),
    "scale": (1 / 255, 2.0),
    "target_shape": ((-1,), (2, -1)),
    "keepdims": (False, True),
    "use_bias": (True, False),
}


def random_spec(rng: random.Random, kind: str):
    """A spec of ``kind`` with small random arguments (the rest at Keras's defaults)."""
    spec = LAYERS[kind].spec()
    changes = {}
    for field in dataclasses.fields(spec):
        if field.name in CHOICES and rng.random() < 0.7:
            changes[field.name] = rng.choice(CHOICES[field.name])
    try:
        return dataclasses.replace(spec, **changes)
    except (TypeError, ValueError):
        return spec


def random_listing(rng: random.Random) -> str:
    """One listing of 1-7 statements after the input, written as a learner would write it."""
    shape = rng.choice(INPUT_SHAPES)
    lines = [f"inputs = keras.Input(shape={shape!r})"]
    tensors = ["inputs"]
    shared: list[str] = []
    for i in range(rng.randint(1, 7)):
        source = rng.choice(tensors[-3:])
        roll = rng.random()
        if roll < 0.6:
            lines.append(f"t{i} = {layer_call(random_spec(rng, rng.choice(KINDS)))}({source})")
        elif roll < 0.75 and len(tensors) > 1:
            a, b = rng.sample(tensors[-3:], 2) if len(tensors) > 2 else tensors[-2:]
            lines.append(f"t{i} = layers.{rng.choice(MERGES)}()([{a}, {b}])")
        elif roll < 0.88:
            inner = ", ".join(layer_call(random_spec(rng, rng.choice(KINDS))) for _ in range(rng.randint(1, 3)))
            lines.append(f"block{i} = keras.Sequential([{inner}])")
            lines.append(f"t{i} = block{i}({source})")
        else:
            name = f"shared{i}"
            lines.append(f"{name} = {layer_call(random_spec(rng, rng.choice(KINDS)))}")
            shared.append(name)
            lines.append(f"t{i} = {name}({source})")
            if rng.random() < 0.5:
                lines.append(f"u{i} = {name}({rng.choice(tensors[-3:])})")
        tensors.append(f"t{i}")
    if rng.random() < 0.5:
        lines.append(f"t_flat = layers.Flatten()({tensors[-1]})")
        lines.append(f'outputs = layers.Dense({rng.choice((1, 2, 10))}, activation="softmax")(t_flat)')
    else:
        lines.append(f"outputs = {tensors[-1]}")
    lines.append("model = keras.Model(inputs=inputs, outputs=outputs)")
    return "\n".join(lines)
