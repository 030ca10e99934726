"""Acquiring data: the synthetic demo set, the book's cats-vs-dogs subset from Kaggle's folder, and
Microsoft's PetImages download (with progress; offline it says what is missing)."""

from __future__ import annotations

import re
import shutil
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cnn_core.data.datasets import SPLITS, resolve_inside
from cnn_core.data.reports import DatasetError, image_is_readable

Progress = Callable[[float, str], None]

BOOK_SPLIT = (("train", 0, 1000), ("validation", 1000, 1500), ("test", 1500, 2500))
"""The book's subset: per class, images 0-999 train, 1000-1499 validation, 1500-2499 test."""


PET_IMAGES_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
)
"""The archive Keras's own cats-vs-dogs example downloads (about 787 MB)."""


SYNTHETIC_README = """SYNTHETIC DATA - not photographs.
Two classes drawn by CNN Classroom for offline demos and tests: 'circle' and 'square',
random sizes, positions and colours on noisy backgrounds.
"""


SYNTHETIC_PER_SPLIT = (60, 20, 20)
"""Images per class in train, validation and test of the synthetic set (two classes: circle, square)."""


def synthetic_counts() -> dict[str, dict[str, int]]:
    """``counts[split][class]`` of the synthetic set, without writing it."""
    return {split: {"circle": n, "square": n} for split, n in zip(SPLITS, SYNTHETIC_PER_SPLIT, strict=True)}


def make_synthetic_dataset(root: Path, per_split=SYNTHETIC_PER_SPLIT, size: int = 64, seed: int = 0) -> Path:
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
