"""tf.data pipelines the trainer feeds ``model.fit`` with (only the training process imports TensorFlow here)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_core.core.settings import home_dir, load_settings
from cnn_core.data.acquire import make_synthetic_dataset
from cnn_core.data.datasets import SPLITS, resolve_inside
from cnn_core.data.reports import DatasetError, DatasetReport, inspect_dataset, load_mnist

if TYPE_CHECKING:
    from cnn_core.training.run_config import RunConfig

logger = logging.getLogger(__name__)


def dataset_root(config: RunConfig) -> Path | str:
    """The run's dataset: the synthetic set (written on first use), ``"mnist"`` (Keras download), or a folder or
    ``.npz`` inside the configured data roots (anything else is refused: nothing escapes the data folders)."""
    if config.dataset == "synthetic":
        return make_synthetic_dataset(home_dir() / "data" / "synthetic_shapes")
    if config.dataset == "mnist":
        return "mnist"
    return resolve_inside(config.dataset, load_settings().data_roots + (home_dir() / "data",))


def image_splits(config: RunConfig):
    """``(report, {split: tf.data.Dataset})`` for an image strategy: the folder checked, then decoded and batched."""
    report = inspect_dataset(Path(dataset_root(config)), limit_per_class=config.limit_per_class)
    if not report.ok:
        raise DatasetError(f"The dataset {report.root} cannot be used", report.problems)
    if report.unreadable:
        logger.warning("skipped unreadable images: %s", report.unreadable[:20])
    return report, load_image_splits(report, config.image_size, config.effective_batch_size, config.seed)


def mnist_splits(config: RunConfig, flatten: bool, one_hot: bool):
    """``(train, validation, test)`` pairs of MNIST: images scaled to 0..1 (flat 784 or 28x28x1), labels
    one-hot or sparse; plus the raw test labels. ``limit_per_class`` keeps the first that many of each digit in the
    training and validation splits (the test split stays whole: every run is measured on the same 10,000)."""
    (xt, yt), (xv, yv), (xs, ys) = load_mnist(str(dataset_root(config)))
    if config.limit_per_class:
        (xt, yt), (xv, yv) = (first_per_class(x, y, config.limit_per_class) for x, y in ((xt, yt), (xv, yv)))

    def images(x):
        return (x.reshape(len(x), 784) if flatten else x.reshape(len(x), 28, 28, 1)).astype("float32") / 255

    def labels(y):
        return np.eye(10, dtype="float32")[y] if one_hot else y

    return (images(xt), labels(yt)), (images(xv), labels(yv)), (images(xs), labels(ys)), ys


def first_per_class(x: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``limit`` items of each class, in their original order."""
    keep = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        keep[np.flatnonzero(y == label)[:limit]] = True
    return x[keep], y[keep]


def cached_features(base, base_name: str, report: DatasetReport, config: RunConfig, splits, on_images=None) -> dict:
    """Run the frozen base once per split; cache the features on disk (keyed by data, base, weights, size and the
    precision it computes in; stored as float32).

    Plain ``.npy`` files (labels first, features last, each renamed into place), mapped copy-on-write: the
    training tensors then share the page cache's memory instead of copying ~740 MB (see ``as_tensor``).
    ``on_images(done, total)`` is called after each batch the base computes (images so far, images in all splits).
    """
    compute = str(getattr(base, "compute_dtype", "float32"))  # bfloat16 features differ from float32 ones a little
    key = hashlib.sha1(f"{report.signature()}|{base_name}|imagenet|{config.image_size}|{compute}".encode()).hexdigest()[:20]  # fmt: skip
    cache = home_dir() / "cache" / "features"
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    done, total = 0, sum(len(report.files.get(split) or []) for split in splits)
    for split, ds in splits.items():
        x_path, y_path = cache / f"{key}-{split}-x.npy", cache / f"{key}-{split}-y.npy"
        if x_path.exists() and y_path.exists():
            logger.info("features for %s loaded from cache %s", split, x_path.name)
        else:
            features, labels = [], []
            for images, y in ds:
                features.append(np.asarray(base.predict_on_batch(images), dtype=np.float32))
                labels.append(y.numpy())
                if on_images is not None:  # the page shows the pass as its own phase
                    done += len(y)
                    on_images(done, total)
            for path, array in ((y_path, np.concatenate(labels)), (x_path, np.concatenate(features))):
                tmp = path.with_name(f".{path.stem}.tmp.npy")
                np.save(tmp, array)
                os.replace(tmp, path)
        out[split] = (np.load(x_path, mmap_mode="c"), np.load(y_path))
    return out


def load_image_splits(report: DatasetReport, image_size: int, batch_size: int, seed: int, splits=SPLITS):
    """``{split: tf.data.Dataset}`` of (float32 0..255 images, labels): decoded and resized once, then
    cached in memory as uint8, shuffled (train only), batched and prefetched."""
    import tensorflow as tf  # noqa: PLC0415

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size))
        return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), label

    out = {}
    for split in splits:
        files = report.files.get(split) or []
        if not files:
            continue
        paths = [p for p, _ in files]
        labels = np.array([label for _, label in files], dtype="float32")
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
        if split == "train":
            ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(tf.data.AUTOTUNE)
        out[split] = ds
    return out


def as_tensor(array: np.ndarray):
    """A TensorFlow tensor of ``array``: sharing its memory through DLPack when TensorFlow allows it
    (C-contiguous, writable, 64-byte aligned, e.g. ``np.load(path, mmap_mode="c")`` of an ``.npy`` file),
    otherwise a copy. Sharing skips copying hundreds of megabytes of cached features (~1 s each run)."""
    import tensorflow as tf  # noqa: PLC0415

    if array.flags.c_contiguous and array.flags.writeable and array.ctypes.data % 64 == 0 and array.size:
        return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
    return tf.constant(array)


def array_batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0):
    """A ``tf.data`` dataset of ``(x[i], y[i])`` batches, reshuffled on every pass when ``shuffle``; the last
    batch is smaller when ``batch_size`` does not divide ``len(x)``.

    The same batches ``model.fit(x, y, batch_size=...)`` makes, but the arrays become tensors once: Keras
    converts its array inputs again every epoch (~0.2 s an epoch for cached 6x6x1280 features).
    """
    import tensorflow as tf  # noqa: PLC0415

    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y need the same, non-zero length. Received: len(x)={len(x)}, len(y)={len(y)}")
    xs, ys = as_tensor(x), as_tensor(y)
    indices = tf.data.Dataset.range(len(x))
    if shuffle:
        indices = indices.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(lambda i: (tf.gather(xs, i), tf.gather(ys, i))).prefetch(2)
    # Nothing here needs tuning, and tf.data's autotuner thread costs ~0.2 s of a 1 s epoch on 2 cores.
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.with_options(options)
