import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from cnn_core.core.settings import load_settings
from cnn_core.data.acquire import build_subset, download_pet_images, kaggle_sources, make_synthetic_dataset
from cnn_core.data.datasets import PathOutsideRootsError
from cnn_core.data.reports import DatasetError, find_mnist_files, inspect_dataset, load_mnist


def _jpeg(value=100, size=24) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def test_synthetic_dataset_is_labelled_and_valid(tmp_path):
    root = make_synthetic_dataset(tmp_path / "syn", per_split=(4, 2, 2), size=32)
    report = inspect_dataset(root)
    assert report.ok and report.classes == ["circle", "square"]
    assert report.counts == {
        "train": {"circle": 4, "square": 4},
        "validation": {"circle": 2, "square": 2},
        "test": {"circle": 2, "square": 2},
    }
    assert "SYNTHETIC" in (root / "README_SYNTHETIC.txt").read_text()


def test_validation_reports_every_problem(tmp_path):
    root = tmp_path / "ds"
    for split, cls in (("train", "cat"), ("train", "dog"), ("validation", "cat"), ("test", "cat"), ("test", "dog")):
        (root / split / cls).mkdir(parents=True)
    (root / "train" / "cat" / "a.jpg").write_bytes(_jpeg())
    (root / "train" / "cat" / "broken.jpg").write_bytes(b"not a jpeg at all")
    (root / "train" / "dog" / "b.jpg").write_bytes(_jpeg(200))
    (root / "test" / "cat" / "c.jpg").write_bytes(_jpeg())
    report = inspect_dataset(root)
    assert not report.ok
    assert "'validation' has no 'dog' folder" in report.problems
    assert "'validation/cat' has no readable images" in report.problems
    assert "'test/dog' has no readable images" in report.problems
    assert [p.endswith("broken.jpg") for p in report.unreadable] == [True]
    assert report.counts["train"] == {"cat": 1, "dog": 1}


def test_missing_splits_and_classes(tmp_path):
    (tmp_path / "only" / "train" / "cat").mkdir(parents=True)
    report = inspect_dataset(tmp_path / "only")
    assert any("two class folders" in p for p in report.problems)
    assert "missing split folder 'validation'" in report.problems


def test_kaggle_subset_uses_the_books_numbering(tmp_path):
    flat = tmp_path / "kaggle_train"
    flat.mkdir()
    for label in ("cat", "dog"):
        for n in range(12):
            (flat / f"{label}.{n}.jpg").write_bytes(_jpeg(n * 10))
    counts = build_subset(
        kaggle_sources(flat), tmp_path / "small", split=(("train", 0, 6), ("validation", 6, 9), ("test", 9, 12))
    )
    assert counts == {"train": {"cat": 6, "dog": 6}, "validation": {"cat": 3, "dog": 3}, "test": {"cat": 3, "dog": 3}}
    assert (tmp_path / "small" / "validation" / "dog" / "dog.7.jpg").exists()
    assert inspect_dataset(tmp_path / "small").ok
    with pytest.raises(DatasetError):
        kaggle_sources(tmp_path / "small")


def test_pet_images_download_skips_corrupt_images(tmp_path, monkeypatch):
    import cnn_core.data.acquire as data

    archive = tmp_path / "kagglecatsanddogs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for folder in ("Cat", "Dog"):
            for n in range(6):
                zf.writestr(f"PetImages/{folder}/{n}.jpg", _jpeg(n * 20))
            zf.writestr(f"PetImages/{folder}/666.jpg", b"\x00\x01 corrupt")
    monkeypatch.setattr(data, "BOOK_SPLIT", (("train", 0, 3), ("validation", 3, 5), ("test", 5, 700)))
    monkeypatch.setattr(
        data, "build_subset", lambda sources, out, progress=None: build_subset(sources, out, data.BOOK_SPLIT, progress)
    )
    root = tmp_path / "data"
    root.mkdir()
    seen = []
    out = download_pet_images(root, [root], url=archive.as_uri(), progress=lambda f, text: seen.append(f))
    report = inspect_dataset(out)
    assert report.ok and report.counts["test"] == {"cat": 1, "dog": 1}  # 666.jpg was corrupt and skipped
    assert seen and seen[-1] == 1.0
    with pytest.raises(PathOutsideRootsError):
        download_pet_images(tmp_path / "elsewhere", [root], url=archive.as_uri())


def test_mnist_from_local_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 255, (50, 28, 28), dtype=np.uint8), y_train=np.arange(50) % 10,
             x_test=np.zeros((7, 28, 28), np.uint8), y_test=np.zeros(7, np.uint8))  # fmt: skip
    (xt, yt), (xv, yv), (xs, ys) = load_mnist(str(path), validation=10)
    assert (xt.shape, xv.shape, xs.shape) == ((40, 28, 28), (10, 28, 28), (7, 28, 28))
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((2, 28, 28)))
    with pytest.raises(DatasetError, match="lacks arrays"):
        load_mnist(str(bad))


@pytest.mark.needs_data("mnist")
def test_real_mnist_file():
    files = find_mnist_files(load_settings().data_roots)
    assert files, "the shared data roots hold keras_datasets/mnist.npz"
    (xt, yt), (xv, yv), (xs, ys) = load_mnist(str(files[0]))
    assert (len(xt), len(xv), len(xs)) == (50_000, 10_000, 10_000)
    assert abs(float(np.concatenate([xt, xv]).mean()) - 33.3184) < 1e-3


def _epoch(dataset) -> list[np.ndarray]:
    return [(x.numpy(), y.numpy()) for x, y in dataset]


@pytest.mark.parametrize("n, batch_size", [(10, 4), (12, 4), (3, 5)], ids=["ragged", "even", "one-batch"])
def test_array_batches_match_keras_batching(n, batch_size):
    from cnn_core.training.pipelines import array_batches

    x = np.arange(n * 6, dtype="float32").reshape(n, 2, 3)
    y = np.arange(n, dtype="float32")
    batches = _epoch(array_batches(x, y, batch_size, shuffle=False))
    assert [len(b[1]) for b in batches] == [min(batch_size, n - i) for i in range(0, n, batch_size)]
    assert np.array_equal(np.concatenate([b[0] for b in batches]), x)
    assert np.array_equal(np.concatenate([b[1] for b in batches]), y)


def test_array_batches_reshuffle_each_epoch_and_keep_pairs():
    from cnn_core.training.pipelines import array_batches

    x = np.arange(64, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    y = np.arange(64, dtype="float32")
    dataset = array_batches(x, y, 8, shuffle=True, seed=3)
    first, second = _epoch(dataset), _epoch(dataset)
    order_1, order_2 = (np.concatenate([b[1] for b in epoch]) for epoch in (first, second))
    assert sorted(order_1) == sorted(order_2) == list(range(64))
    assert not np.array_equal(order_1, order_2)
    for xb, yb in first:
        assert np.array_equal(xb[:, 0], yb)


def test_array_batches_refuse_mismatched_arrays():
    from cnn_core.training.pipelines import array_batches

    with pytest.raises(ValueError, match=r"Received: len\(x\)=3, len\(y\)=2"):
        array_batches(np.zeros((3, 2)), np.zeros(2), 2, shuffle=False)


def test_as_tensor_shares_a_mapped_npy_file_and_copies_otherwise(tmp_path):
    from cnn_core.training.pipelines import as_tensor

    path = tmp_path / "features.npy"
    np.save(path, np.arange(4096, dtype="float32").reshape(64, 64))
    mapped = np.load(path, mmap_mode="c")
    shared = as_tensor(mapped)
    mapped[0, 0] = -1.0  # copy-on-write: the tensor sees it, the file does not
    assert float(shared[0, 0]) == -1.0 and np.load(path)[0, 0] == 0.0
    unaligned = np.arange(4097, dtype="float32")[1:]
    copied = as_tensor(unaligned)
    unaligned[0] = -1.0
    assert float(copied[0]) == 1.0
    assert np.array_equal(as_tensor(np.load(path)).numpy(), np.load(path))
