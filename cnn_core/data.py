"""Training data: folders in the book's layout, the synthetic demo set, building the cats-vs-dogs subset,
downloading Microsoft's PetImages, and MNIST.

Validation happens before any training: missing splits or classes, empty folders and unreadable
images are reported (unreadable images are counted, listed and skipped).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cnn_core.datasets import IMAGE_SUFFIXES, SPLITS, resolve_inside

logger = logging.getLogger(__name__)

BOOK_SPLIT = (("train", 0, 1000), ("validation", 1000, 1500), ("test", 1500, 2500))
"""The book's subset: per class, images 0-999 train, 1000-1499 validation, 1500-2499 test."""
PET_IMAGES_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
)
"""The archive Keras's own cats-vs-dogs example downloads (about 787 MB)."""
MNIST_KERAS_FILE = "~/.keras/datasets/mnist.npz"

Progress = Callable[[float, str], None]


class DatasetError(ValueError):
    """A dataset that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message + ("" if not problems else ": " + "; ".join(problems[:10])))
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


# --- Building datasets -------------------------------------------------------------------------------

SYNTHETIC_README = """SYNTHETIC DATA - not photographs.
Two classes drawn by CNN Classroom for offline demos and tests: 'circle' and 'square',
random sizes, positions and colours on noisy backgrounds.
"""


def make_synthetic_dataset(root: Path, per_split=(60, 20, 20), size: int = 64, seed: int = 0) -> Path:
    """Write a small two-class image set (circles vs squares) in the book's layout; clearly labelled synthetic.

    A complete set already at ``root`` is left as it is (same seed, same images): rewriting it would change
    the files' times, and so the feature cache's key, and could disturb a run reading it.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    expected = {(split, shape): count for split, count in zip(SPLITS, per_split, strict=True) for shape in ("circle", "square")}  # fmt: skip
    if (root / "README_SYNTHETIC.txt").exists() and all(
        len(list((root / split / shape).glob("*.png"))) == count for (split, shape), count in expected.items()
    ):
        return root
    for split, count in zip(SPLITS, per_split, strict=True):
        for shape in ("circle", "square"):
            folder = root / split / shape
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                noise = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
                img = Image.fromarray(noise + np.uint8(rng.integers(0, 120)))
                draw = ImageDraw.Draw(img)
                r = int(rng.integers(size // 6, size // 3))
                cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
                colour = tuple(int(v) for v in rng.integers(130, 256, 3))
                box = (cx - r, cy - r, cx + r, cy + r)
                (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=colour)
                img.save(folder / f"{shape}.{i}.png")
    (root / "README_SYNTHETIC.txt").write_text(SYNTHETIC_README)
    return root


KAGGLE_NAME = re.compile(r"^(?P<label>[a-z]+)\.(?P<number>\d+)\.(jpe?g|png)$", re.IGNORECASE)


def build_subset(
    sources: dict[str, dict[int, Path]], out_dir: Path, split=BOOK_SPLIT, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    """Copy ``sources[class][number]`` into ``out_dir/{split}/{class}/{class}.{number}.jpg`` by number ranges.

    Missing numbers are skipped. Returns the counts per split and class.
    """
    counts: dict[str, dict[str, int]] = {}
    total = sum(hi - lo for _, lo, hi in split) * len(sources)
    done = 0
    for split_name, lo, hi in split:
        counts[split_name] = {}
        for label, files in sources.items():
            folder = Path(out_dir) / split_name / label
            folder.mkdir(parents=True, exist_ok=True)
            copied = 0
            for number in range(lo, hi):
                done += 1
                source = files.get(number)
                if source is None:
                    continue
                shutil.copyfile(source, folder / f"{label}.{number}{source.suffix.lower()}")
                copied += 1
                if progress and done % 100 == 0:
                    progress(done / total, f"{split_name}/{label}")
            counts[split_name][label] = copied
    if progress:
        progress(1.0, "done")
    return counts


def kaggle_sources(train_dir: Path) -> dict[str, dict[int, Path]]:
    """``{class: {number: path}}`` from Kaggle's flat folder of ``cat.N.jpg`` / ``dog.N.jpg``."""
    sources: dict[str, dict[int, Path]] = {}
    for path in Path(train_dir).iterdir():
        match = KAGGLE_NAME.match(path.name)
        if match:
            sources.setdefault(match["label"].lower(), {})[int(match["number"])] = path
    if len(sources) < 2:
        raise DatasetError(f"{train_dir} has no Kaggle-style files named cat.N.jpg / dog.N.jpg")
    return sources


def pet_images_sources(pet_dir: Path) -> dict[str, dict[int, Path]]:
    """``{"cat"|"dog": {number: path}}`` from an extracted ``PetImages/{Cat,Dog}/N.jpg``, readable files only."""
    sources: dict[str, dict[int, Path]] = {}
    for folder, label in (("Cat", "cat"), ("Dog", "dog")):
        for path in (Path(pet_dir) / folder).glob("*.jpg"):
            if path.stem.isdigit() and image_is_readable(path):
                sources.setdefault(label, {})[int(path.stem)] = path
    return sources


def download(url: str, dest: Path, progress: Progress | None = None, chunk: int = 1 << 20) -> Path:
    """Download ``url`` to ``dest`` (via a ``.part`` file) reporting ``progress(fraction, text)``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as fh:  # noqa: S310 - fixed URLs
        total = int(response.headers.get("Content-Length") or 0)
        received = 0
        while block := response.read(chunk):
            fh.write(block)
            received += len(block)
            if progress:
                progress(received / total if total else 0.0, f"{received / 1e6:.1f} MB")
    part.replace(dest)
    return dest


def download_pet_images(
    data_root: Path, roots: Sequence[Path], url: str = PET_IMAGES_URL, progress: Progress | None = None
) -> Path:
    """Download and extract PetImages under ``data_root``, skip corrupt images, build ``cats_vs_dogs_small``."""
    data_root = resolve_inside(data_root, roots)
    archive = data_root / "kagglecatsanddogs.zip"
    if not archive.exists():
        download(url, archive, progress)
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            target = (data_root / member).resolve()
            if not target.is_relative_to(data_root):
                raise DatasetError(f"unsafe path in archive: {member}")
        zf.extractall(data_root)
    pet_dir = next(data_root.rglob("PetImages"), None)
    if pet_dir is None:
        raise DatasetError("the archive has no PetImages folder")
    out = data_root / "cats_vs_dogs_small"
    build_subset(pet_images_sources(pet_dir), out, progress=progress)
    return out


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


def find_kaggle_folders(roots: Sequence[Path], depth: int = 2, sample: int = 400) -> list[Path]:
    """Folders under the data roots holding Kaggle-style ``cat.N.jpg`` / ``dog.N.jpg`` files (two labels or more)."""
    found: list[Path] = []

    def walk(folder: Path, level: int) -> None:
        labels = set()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        for entry in entries[:sample]:
            match = KAGGLE_NAME.match(entry.name)
            if match and entry.is_file():
                labels.add(match["label"].lower())
        if len(labels) >= 2:
            found.append(folder.resolve())
        if level < depth:
            for entry in entries:
                if entry.is_dir() and not entry.name.startswith("."):
                    walk(entry, level + 1)

    for root in roots:
        if Path(root).is_dir():
            walk(Path(root), 0)
    return found
