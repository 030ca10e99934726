"""tf.data pipelines the trainer feeds ``model.fit`` with (only the training process imports TensorFlow here)."""

from __future__ import annotations

import numpy as np

from cnn_core.data import DatasetReport
from cnn_core.datasets import SPLITS


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
