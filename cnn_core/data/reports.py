"""Dataset folders in the book's layout and MNIST: validation before any training, and finding them.

Missing splits or classes, empty folders and unreadable images are reported (unreadable images are
counted, listed and skipped). Building or downloading data is ``cnn_core.data.acquire``; the tf.data
pipelines are ``cnn_core.training.pipelines``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_core.core.errors import CodedError
from cnn_core.data.datasets import IMAGE_SUFFIXES, SPLITS

logger = logging.getLogger(__name__)


MNIST_KERAS_FILE = "~/.keras/datasets/mnist.npz"


class DatasetError(CodedError):
    """A dataset that cannot be used; ``problems`` lists every reason found (i18n table ``data_errors``)."""

    catalog = "data_errors"

    def __init__(self, message: str, problems: Sequence[str] = (), code: str = "unusable") -> None:
        super().__init__(
            code, message + ("" if not problems else ": " + "; ".join(problems[:10])), problems=list(problems)
        )
        self.problems = list(problems)


@dataclass
class DatasetReport:
    """What a dataset folder holds: ``counts[split][class]`` usable images, and what was skipped."""

    root: Path
    classes: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """``files[split]`` = (path, class index) of every readable image, sorted."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def n_train(self) -> int:
        """Usable training images, all classes together."""
        return sum(self.counts.get("train", {}).values())

    def signature(self) -> str:
        """A short hash of the usable files (paths, sizes, times): the feature cache's key."""
        digest = hashlib.sha1()
        for split in sorted(self.files):
            for path, label in self.files[split]:
                stat = Path(path).stat()
                digest.update(f"{path}|{label}|{stat.st_size}|{int(stat.st_mtime)}\n".encode())
        return digest.hexdigest()[:16]


def image_is_readable(path: Path) -> bool:
    """Pillow can identify and verify it (catches the truncated and non-image files PetImages contains)."""
    try:
        with Image.open(path) as img:
            img.verify()
        return True
    except Exception:  # noqa: BLE001 - any decoder failure means "skip this file"
        return False


def inspect_dataset(root: Path, splits: Sequence[str] = SPLITS, limit_per_class: int | None = None) -> DatasetReport:
    """Check ``root/{split}/{class}/*`` for every split; class names come from ``train``'s folders."""
    root = Path(root)
    train = root / "train"
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    classes = (
        sorted(p.name for p in train.iterdir() if p.is_dir() and not p.name.startswith(".")) if train.is_dir() else []
    )
    report = DatasetReport(root, classes)
    if len(classes) < 2:
        report.problems.append(f"'train' needs at least two class folders (found {classes or 'none'})")
    for split in splits:
        split_dir = root / split
        report.counts[split] = {}
        report.files[split] = []
        if not split_dir.is_dir():
            report.problems.append(f"missing split folder '{split}'")
            continue
        for label, name in enumerate(classes):
            folder = split_dir / name
            if not folder.is_dir():
                report.problems.append(f"'{split}' has no '{name}' folder")
                continue
            files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if limit_per_class:
                files = files[:limit_per_class]
            good = []
            for path in files:
                (good if image_is_readable(path) else report.unreadable).append(str(path))
            report.counts[split][name] = len(good)
            report.files[split] += [(p, label) for p in good]
            if not good:
                report.problems.append(f"'{split}/{name}' has no readable images")
    if report.unreadable:
        logger.warning("skipping %d unreadable images in %s", len(report.unreadable), root)
    return report


def mnist_counts(validation: int = 10_000) -> dict[str, dict[str, int]]:
    """``counts[split][digit]`` of MNIST as :func:`load_mnist` splits it, for the estimate (digits counted as even:
    the real counts differ by a few hundred)."""
    return {
        "train": {str(d): (60_000 - validation) // 10 for d in range(10)},
        "validation": {str(d): validation // 10 for d in range(10)},
        "test": {str(d): 1_000 for d in range(10)},
    }


def load_mnist(source: str, validation: int = 10_000):
    """``(x_train, y_train), (x_val, y_val), (x_test, y_test)`` as uint8 images (n, 28, 28) and labels.

    ``source`` is ``"mnist"`` (Keras downloads and caches it in ``~/.keras/datasets``) or a local ``.npz``
    with ``x_train, y_train, x_test, y_test`` (read with ``allow_pickle=False``). The last ``validation``
    training images are held out for validation.
    """
    if source == "mnist":
        try:
            import keras  # noqa: PLC0415

            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as err:  # noqa: BLE001 - download errors come in many types
            raise DatasetError(
                f"MNIST could not be downloaded ({type(err).__name__}). Offline, put mnist.npz at "
                f"{MNIST_KERAS_FILE} or choose a local .npz file with x_train, y_train, x_test, y_test"
            ) from err
    else:
        with np.load(source, allow_pickle=False) as data:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
            if missing:
                raise DatasetError(f"{source} lacks arrays {sorted(missing)}")
            x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    if x_train.ndim != 3 or x_train.shape[1:] != (28, 28):
        raise DatasetError(f"MNIST images must be (n, 28, 28). Received {x_train.shape}")
    cut = len(x_train) - validation
    return (x_train[:cut], y_train[:cut]), (x_train[cut:], y_train[cut:]), (x_test, y_test)


def find_mnist_files(roots: Sequence[Path], depth: int = 2) -> list[Path]:
    """``.npz`` files with "mnist" in their name up to ``depth`` levels below the data roots, plus Keras's cache."""
    found: list[Path] = []

    def walk(folder: Path, level: int) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_file() and entry.suffix == ".npz" and "mnist" in entry.name.lower():
                found.append(entry.resolve())
            elif entry.is_dir() and level < depth and not entry.name.startswith("."):
                walk(entry, level + 1)

    for root in roots:
        walk(Path(root), 0)
    keras_cache = Path(MNIST_KERAS_FILE).expanduser()
    if keras_cache.is_file():
        found.append(keras_cache.resolve())
    return list(dict.fromkeys(found))


def root_labels(roots: Sequence[Path]) -> str:
    """The data roots as a learner may see them: their folder names (``data, shared``), never absolute paths."""
    return ", ".join(Path(root).name or str(root) for root in roots)


def short_label(path: Path, roots: Sequence[Path]) -> str:
    """What a picker shows for a file: ``<root name>/<path inside it>``, never the server's absolute path.

    Keras's own download cache shows as ``keras/datasets/<file>``; anything else shows its file name only.
    """
    path = Path(path).resolve()
    for root in roots:
        root = Path(root).resolve()
        if path.is_relative_to(root):
            return f"{root.name}/{path.relative_to(root).as_posix()}"
    keras_cache = Path(MNIST_KERAS_FILE).expanduser().resolve()
    if path == keras_cache:
        return f"keras/datasets/{path.name}"
    return path.name
