"""Image dataset folders in the book's layout: ``root/{train,validation,test}/{class}/*.jpg``.

Only folders inside the configured data roots are ever listed or read; paths are
resolved (symlinks followed) before that check, so neither ``..`` nor a symlink
can lead outside.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "validation", "test")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


class PathOutsideRootsError(ValueError):
    """A path that resolves outside every configured data root."""


def resolve_inside(path: Path | str, roots: Sequence[Path]) -> Path:
    """``path`` resolved (symlinks followed); raises :class:`PathOutsideRootsError` unless it lies in a root."""
    resolved = Path(path).expanduser().resolve()
    for root in roots:
        if resolved.is_relative_to(Path(root).resolve()):
            return resolved
    raise PathOutsideRootsError(f"{path} is outside the configured data folders")


@dataclass(frozen=True)
class DatasetFolder:
    """A dataset found under a data root; ``name`` is its path relative to that root."""

    name: str
    path: Path
    classes: tuple[str, ...]
    splits: tuple[str, ...]


def _image_files(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return sorted(
                Path(e.path) for e in entries if e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES
            )
    except OSError:
        return []


def _class_dirs(split_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _candidates(root: Path, depth: int) -> Iterable[Path]:
    yield root
    if depth == 0:
        return
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return
    for child in children:
        yield from _candidates(child, depth - 1)


def find_datasets(roots: Sequence[Path], depth: int = 2) -> list[DatasetFolder]:
    """Folders up to ``depth`` levels below each root with a ``train`` split of two or more non-empty class folders."""
    found = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for candidate in _candidates(root, depth):
            train = candidate / "train"
            if not train.is_dir():
                continue
            try:
                path = resolve_inside(candidate, roots)
            except PathOutsideRootsError:
                logger.warning("skipping %s: it links outside the data roots", candidate)
                continue
            classes = tuple(d.name for d in _class_dirs(train) if _image_files(d))
            if len(classes) >= 2:
                splits = tuple(s for s in SPLITS if (candidate / s).is_dir())
                name = str(candidate.relative_to(root)) if candidate != root else root.name
                found.append(DatasetFolder(name, path, classes, splits))
    return found


def image_counts(root: Path) -> dict[str, dict[str, int]]:
    """``counts[split][class]``: image files by name in each split's class folders (not decoded: quick enough for
    the estimate before launch; the trainer's own check also opens every image)."""
    root = Path(root)
    return {
        split: {d.name: len(_image_files(d)) for d in _class_dirs(root / split)}
        for split in SPLITS
        if (root / split).is_dir()
    }


def random_image(
    dataset: DatasetFolder, roots: Sequence[Path], split: str = "train", seed: int | None = None
) -> tuple[Path, str]:
    """A random image file of ``split`` and its class name, checked to lie inside the roots."""
    if split not in dataset.splits:
        raise ValueError(f"{dataset.name} has no {split!r} split. Received: split={split!r}")
    rng = random.Random(seed)
    classes = list(dataset.classes)
    rng.shuffle(classes)
    for class_name in classes:
        files = _image_files(dataset.path / split / class_name)
        if files:
            return resolve_inside(rng.choice(files), roots), class_name
    raise FileNotFoundError(f"No images in {dataset.name}/{split}")
