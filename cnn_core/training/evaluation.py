"""A finished run's evaluation: the confusion matrix of its test predictions, the images it got wrong, and
its model's prediction for a new photo. Pages only draw what these return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_core.core.images import ImageDecodeError, decode_image
from cnn_core.data.augmentation import resize_square
from cnn_core.data.datasets import PathOutsideRootsError, resolve_inside
from cnn_core.training.run_store import RunRecord


@dataclass(frozen=True)
class Evaluation:
    """``matrix[true, predicted]`` counts over the test items; ``wrong`` holds the misclassified items, most
    confident first (each ``{"item", "label", "predicted", "probability"}``)."""

    classes: tuple[str, ...]
    matrix: np.ndarray
    wrong: tuple[dict, ...]

    @property
    def total(self) -> int:
        return int(self.matrix.sum())

    @property
    def accuracy(self) -> float:
        """``trace(matrix) / total``: the share of test items on the diagonal (0 for an empty test set)."""
        return float(np.trace(self.matrix) / self.total) if self.total else 0.0


@dataclass(frozen=True)
class WrongExample:
    image: np.ndarray
    true: str
    predicted: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    """The model's confidence in ``label`` (for one sigmoid output: ``max(p, 1 - p)``)."""


def evaluate(predictions: dict) -> Evaluation:
    """The confusion matrix and the misclassified items of ``test_predictions.json``'s content.

    ``matrix[i, j]`` is the number of test items of class ``i`` predicted as class ``j``; labels outside
    the class list are refused with a ``ValueError`` naming them.
    """
    classes = tuple(str(c) for c in predictions.get("classes", ()))
    items = list(predictions.get("items", ()))
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    for item in items:
        label, predicted = item["label"], item["predicted"]
        if not (0 <= label < len(classes) and 0 <= predicted < len(classes)):
            raise ValueError(f"A prediction names a class outside {len(classes)} classes. Received: {item!r}")
        matrix[label, predicted] += 1
    wrong = sorted((i for i in items if i["label"] != i["predicted"]), key=lambda i: -i["probability"])
    return Evaluation(classes, matrix, tuple(wrong))


def evaluate_run(record: RunRecord) -> Evaluation | None:
    """The evaluation of a run with results, or ``None`` (still training, failed, or no predictions saved)."""
    predictions = record.predictions() if record.has_results() else None
    return evaluate(predictions) if predictions else None


def wrong_examples(
    evaluation: Evaluation, roots: Sequence[Path], limit: int, max_bytes: int, side: int = 160
) -> list[WrongExample]:
    """Up to ``limit`` misclassified test images, most confident first, read only from inside the data roots
    (an image moved, deleted, unreadable or outside them is skipped)."""
    out = []
    for item in evaluation.wrong:
        if len(out) >= limit:
            break
        try:
            path = resolve_inside(item["item"], roots)
            image = decode_image(path.read_bytes(), max_bytes=max_bytes, max_side=side)
        except (PathOutsideRootsError, ImageDecodeError, OSError):
            continue
        classes = evaluation.classes
        out.append(WrongExample(image, classes[item["label"]], classes[item["predicted"]], item["probability"]))
    return out


def class_names(record: RunRecord, outputs: int = 2) -> tuple[str, ...]:
    """The run's class names (from its predictions or dataset), else ``class 0``, ``class 1``, ..."""
    for source in (record.predictions(), record.dataset()):
        if source and source.get("classes"):
            return tuple(str(c) for c in source["classes"])
    return tuple(f"class {i}" for i in range(outputs))


def load_run_model(path: Path):
    """A run's saved Keras model, loaded in safe mode (no code in a model file is ever run)."""
    import keras  # noqa: PLC0415

    return keras.models.load_model(path, safe_mode=True)


def predict_image(model, image: np.ndarray, image_size: int, classes: Sequence[str]) -> Prediction:
    """Classify one RGB photo with a run's model: resized to ``image_size`` squared as in training (0..255).

    One sigmoid output ``p`` means ``classes[1]`` when ``p >= 0.5`` (the book's convention), with confidence
    ``max(p, 1 - p)``; a softmax output means its arg-max class.
    """
    batch = resize_square(image, image_size)[None].astype("float32")
    output = np.asarray(model.predict(batch, verbose=0))[0].ravel()
    if output.size == 1:
        p = float(output[0])
        return Prediction(classes[1] if p >= 0.5 else classes[0], max(p, 1 - p))
    index = int(np.argmax(output))
    return Prediction(classes[index] if index < len(classes) else str(index), float(output[index]))
