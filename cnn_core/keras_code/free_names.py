"""Values for the names a pasted listing uses but does not define (``num_classes``, ``input_shape``, ``img_height``).

Notebook cells lean on earlier cells; a learner who pastes only the model cell is asked for those names, one value
each, and the count proceeds (:func:`cnn_core.keras_code.graph_report.analyze_code` takes them as ``names``). The
values are kept as text (``input_shape = (28, 28, 1); num_classes = 10``) so that a link can carry them, and read
back with the listing evaluator: numbers, text, tuples and lists only, nothing typed is run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

from cnn_core.keras_code.evaluator import MAX_SEQUENCE, PLAIN, Evaluator, LayerCodeError, all_plain

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,60}(\.shape)?$")
"""A name the learner may give a value: a Python name, or an array's shape (``x_train.shape``)."""
MAX_VALUE_CHARS = 200

SUGGESTIONS: tuple[tuple[str, str, str], ...] = (
    # (name pattern, what the listing mentions, the value) - the first match wins
    (r"^(input_shape|img_shape|image_shape|shape)$", r"mnist", "(28, 28, 1)"),
    (r"^(input_shape|img_shape|image_shape|shape)$", r"cifar", "(32, 32, 3)"),
    (r"^(input_shape|img_shape|image_shape|shape)$", r"cats?_vs_dogs|dogs?_vs_cats|180", "(180, 180, 3)"),
    (r"^(num_classes|n_classes|classes|nb_classes)$", r"cifar100|cifar-100", "100"),
    (r"^(num_classes|n_classes|classes|nb_classes)$", r"mnist|cifar", "10"),
    (r"^(num_classes|n_classes|classes|nb_classes)$", r"flower", "5"),
    (r"^(num_classes|n_classes|classes|nb_classes)$", r"cats?_vs_dogs|dogs?_vs_cats", "2"),
    (r"^(img_height|img_width|image_height|image_width|img_size|image_size)$", r"flower|180", "180"),
    (r"^image_size$", r"", "(180, 180)"),
    (r"^\w+\.shape$", r"mnist", "(60000, 28, 28, 1)"),
    (r"^\w+\.shape$", r"cifar", "(50000, 32, 32, 3)"),
)
"""Likely values, from the listings this app is used with: keras.io's MNIST convnet ((28, 28, 1), 10 classes),
CIFAR-10, the book's cats vs dogs (180 x 180 x 3), TensorFlow's flowers tutorial (180 px, 5 classes)."""


class NameValueError(ValueError):
    """A typed value that is not a number, text, tuple or list."""


def parse_value(text: str) -> object:
    """A typed value: a number, text, or a tuple or list of them (``(28, 28, 1)``), read without running it."""
    text = text.strip()
    if not text or len(text) > MAX_VALUE_CHARS:
        raise NameValueError(f"a value of 1 to {MAX_VALUE_CHARS} characters. Received: {text[:40]!r}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise NameValueError(f"not a value: {text[:40]!r}") from err
    reader = Evaluator()
    try:
        value = reader.expression(tree.body, {"True": True, "False": False, "None": None})
    except LayerCodeError as err:
        raise NameValueError(str(err)) from err
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, PLAIN) or (isinstance(value, tuple) and len(value) <= MAX_SEQUENCE and all_plain(value)):
        return value
    raise NameValueError(f"a number, text or tuple. Received: {text[:40]!r}")


def parse_names(text: str) -> dict[str, object]:
    """``{"num_classes": 10, ...}`` from ``"num_classes = 10; input_shape = (28, 28, 1)"``; entries that are not a
    name and a value are left out (a link may carry anything)."""
    names: dict[str, object] = {}
    for entry in _entries(text or ""):
        name, sep, value = entry.partition("=")
        if not sep or not NAME.match(name.strip()):
            continue
        try:
            names[name.strip()] = parse_value(value)
        except NameValueError:
            continue
    return names


def format_names(names: Mapping[str, object]) -> str:
    """The inverse of :func:`parse_names`."""
    return "; ".join(f"{name} = {value!r}" for name, value in names.items())


def suggest_value(name: str, code: str) -> str:
    """A likely value for ``name`` given what the listing mentions (empty when nothing fits)."""
    lowered = code.lower()
    for pattern, mention, value in SUGGESTIONS:
        if re.match(pattern, name) and re.search(mention, lowered):
            return value
    return ""


def _entries(text: str) -> list[str]:
    """``;``-separated entries, a ``;`` inside brackets or quotes not separating."""
    entries, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ";" and depth <= 0:
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [e for e in entries if e.strip()]
