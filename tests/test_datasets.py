import numpy as np
import pytest
from PIL import Image

from cnn_core.core.settings import load_settings
from cnn_core.data.datasets import PathOutsideRootsError, find_datasets, random_image, resolve_inside


def _make_dataset(root, classes=("cat", "dog"), per_class=3):
    for split in ("train", "validation", "test"):
        for name in classes:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                Image.fromarray(np.full((20, 20, 3), i * 40, np.uint8)).save(folder / f"{name}.{i}.jpg")


def test_finds_datasets_in_the_books_layout(tmp_path):
    _make_dataset(tmp_path / "pets" / "cats_vs_dogs_small")
    (tmp_path / "empty" / "train" / "cat").mkdir(parents=True)
    found = find_datasets([tmp_path])
    assert [(d.name, d.classes, d.splits) for d in found] == [
        ("pets/cats_vs_dogs_small", ("cat", "dog"), ("train", "validation", "test"))
    ]
    path, label = random_image(found[0], [tmp_path], seed=3)
    assert path.suffix == ".jpg" and label in ("cat", "dog") and path.parent.name == label
    assert random_image(found[0], [tmp_path], seed=3) == (path, label)


def test_paths_are_confined_to_roots(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    outside = tmp_path / "secret"
    _make_dataset(outside)
    with pytest.raises(PathOutsideRootsError):
        resolve_inside(root / ".." / "secret", [root])
    (root / "link").symlink_to(outside)
    with pytest.raises(PathOutsideRootsError):
        resolve_inside(root / "link" / "train", [root])
    assert find_datasets([root]) == []
    assert resolve_inside(root, [root]) == root.resolve()


@pytest.mark.needs_data("cats_vs_dogs")
def test_finds_the_shared_cats_vs_dogs():
    names = {d.name: d for d in find_datasets(load_settings().data_roots)}
    assert names["cats_vs_dogs_small"].classes == ("cat", "dog")
