"""The strategy registry: one entry per strategy, the book's numbers, and the only place names are tested."""

import ast
import inspect
import json
import re
from pathlib import Path

import pytest

from cnn_core.core.i18n import catalogue
from cnn_core.core.settings import PROJECT_ROOT
from cnn_core.training import strategies
from cnn_core.training.estimate import MEASURED_IMAGES_PER_SECOND
from cnn_core.training.registry import BOOK_STRATEGIES, IMAGE_STRATEGIES, MNIST_STRATEGIES, STRATEGIES, get_strategy
from cnn_core.training.run_config import BASES, RunConfig
from cnn_core.training.run_store import RunState


def test_the_books_numbers():
    """Seeds 000-002: epochs, batch sizes, optimisers and the accuracies the book reports."""
    table = {
        n: (s.epochs, s.batch_size, s.optimizer, s.learning_rate, s.book_accuracy)
        for n, s in STRATEGIES.items()
        if n in BOOK_STRATEGIES
    }
    assert table == {
        "scratch": (30, 32, "rmsprop", None, 0.70),
        "scratch_augmented": (100, 32, "rmsprop", None, 0.83),
        "feature_extraction": (20, 32, "rmsprop", None, 0.977),
        "feature_extraction_augmented": (50, 32, "rmsprop", None, 0.977),
        "fine_tuning": (30, 32, "rmsprop", 1e-5, 0.98),
        "mnist_mlp": (30, 200, "adam", None, 0.977),
        "mnist_cnn": (5, 64, "rmsprop", None, 0.991),
    }
    assert IMAGE_STRATEGIES == ("scratch", "scratch_augmented", "feature_extraction", "feature_extraction_augmented", "fine_tuning")  # fmt: skip
    assert MNIST_STRATEGIES == ("mnist_mlp", "mnist_cnn")
    assert {n for n, s in STRATEGIES.items() if s.pretrained_base} == {
        n for n in IMAGE_STRATEGIES if "scratch" not in n
    }
    assert STRATEGIES["fine_tuning"].continues == "feature_extraction_augmented"
    assert {STRATEGIES[n].loss for n in BOOK_STRATEGIES} == {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"}  # fmt: skip
    assert set(STRATEGIES) - set(BOOK_STRATEGIES) == {"own_model"}  # a learner's own model: its loss follows its output


def test_a_learners_model_is_a_strategy_with_its_listing():
    s = get_strategy("own_model")
    assert strategies.TRAINERS["own_model"].__doc__ and s.data == "any" and not s.pretrained_base
    assert RunConfig("own_model", "mnist", model_code="x").is_mnist
    assert RunConfig("own_model", "/data/m.npz", model_code="x").is_mnist
    assert not RunConfig("own_model", "/data/cats", model_code="x").is_mnist
    with pytest.raises(ValueError, match="listing goes with strategy='own_model'"):
        RunConfig("own_model", "mnist")
    with pytest.raises(ValueError, match="listing goes with strategy='own_model'"):
        RunConfig("scratch", "d", model_code="inputs = keras.Input((8,))")
    with pytest.raises(ValueError, match="at most 20000 characters"):
        RunConfig("own_model", "mnist", model_code="#" * 20_001)
    config = RunConfig("own_model", "mnist", model_code="a", model_names="n = 2", model_blocks=("aug",))
    assert RunConfig.from_dict(json.loads(config.to_json())) == config


@pytest.mark.parametrize("name", BOOK_STRATEGIES)
def test_every_entry_is_complete(name):
    s = get_strategy(name)
    train = strategies.TRAINERS[name]
    assert s.name == name and train.__name__ == f"train_{name}"
    assert train.__doc__, "each strategy function says what it trains"
    for lang in ("en", "ko"):
        assert catalogue(lang)[f"strategies.{name}"]
    for base in BASES[:2] if s.pretrained_base else [None]:
        assert s.images_per_second.get(base) == MEASURED_IMAGES_PER_SECOND[(name, base)] > 0
    config = RunConfig(name, "d")
    assert config.strategy_entry is s and config.defaults == s.defaults
    assert config.uses_pretrained_base == s.pretrained_base and config.is_mnist == (s.data == "mnist")


def test_every_registry_entry_has_exactly_one_trainer():
    assert list(strategies.TRAINERS) == list(STRATEGIES)


def test_a_strategy_function_reads_top_to_bottom():
    """data -> model -> fit -> record: each image strategy calls these in this order, once each."""
    for name in IMAGE_STRATEGIES:
        source = inspect.getsource(strategies.TRAINERS[name])
        steps = [source.index(call) for call in ("image_splits(", "fit_and_record(", "record_test_images(")]
        assert steps == sorted(steps), name


def test_unknown_strategies_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"Received: strategy='dense'; expected one of \('scratch'"):
        get_strategy("dense")
    with pytest.raises(ValueError, match="Unknown strategy"):
        RunConfig("dense", "d")


def test_the_convnet_needs_78_px():
    RunConfig("scratch", "d", image_size=78)
    with pytest.raises(ValueError, match="at least 78"):
        RunConfig("scratch_augmented", "d", image_size=77)
    RunConfig("feature_extraction", "d", image_size=70)  # a pretrained base has no such limit here


def _python_files():
    for folder in ("cnn_core", "app_pages", "ui", "bench"):
        yield from (PROJECT_ROOT / folder).rglob("*.py")


def test_no_module_tests_a_strategy_by_its_name():
    """Knowledge about a strategy lives in its registry entry: no ``startswith`` on names, no name literals
    compared outside the registry (``tests/`` may name them)."""
    names = set(STRATEGIES)
    offenders = []
    for path in _python_files():
        if path == Path(strategies.__file__):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "startswith":
                args = [a.value for a in ast.walk(node) if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if any(name.startswith(a) for a in args for name in names if len(a) >= 4):
                    offenders.append(f"{path.name}:{node.lineno} startswith({args})")
            if isinstance(node, ast.Compare):
                literals = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                if any(literal in names for literal in literals):
                    offenders.append(f"{path.name}:{node.lineno} compares with {literals}")
    assert not offenders, offenders


def test_no_state_literal_is_repeated_outside_the_run_folder_module():
    """Run states are :class:`RunState`; pages and the engine compare with the enum, not with strings."""
    states = {s.value for s in RunState}
    pattern = re.compile(r"""state\b.*(==|!=|\bin)\s*\(?\s*["']({})["']""".format("|".join(states)))
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{i}"
        for path in _python_files()
        if path.name != "run_store.py"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


def test_the_feature_pass_reports_its_progress_as_its_own_phase(env):
    """Feature extraction's first step (the frozen base over every image) says how far it is: the live view shows
    "computing features: done / total images" instead of "Epoch 0/10, batch 0/?"."""
    import keras

    from cnn_core.training.pipelines import cached_features, image_splits

    config = RunConfig("feature_extraction", "synthetic", image_size=32, batch_size=16, limit_per_class=10)
    report, splits = image_splits(config)
    base = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(2, 3), keras.layers.GlobalAveragePooling2D()])  # fmt: skip
    seen = []
    cached_features(base, "tiny", report, config, splits, on_images=lambda done, total: seen.append((done, total)))
    total = sum(len(report.files[split]) for split in splits)
    assert total == 60 and seen[-1] == (60, 60) and len(seen) > 3
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # growing, batch by batch
