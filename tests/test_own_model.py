"""Your model: the launch check, its fixes, and the rebuilt model Keras trains, on the whole model corpus and on
hundreds of random graphs from the editor's grammar.

The corpus walk and the random graphs run in this one process (no trainer processes: those are in
``test_own_model_runs.py``): each listing is checked against the data its input calls for, mended by the fixes the
check offers, rebuilt from the editor's graph, compared with Keras's own ``count_params()`` and per-layer shapes,
and trained one step on a small synthetic batch.
"""

from __future__ import annotations

import dataclasses
import random
import time
import warnings

import keras
import numpy as np
import pytest

from cnn_core.core.i18n import catalogue
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.free_names import format_names
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.keras_build import build_keras_graph, summarize_graph
from cnn_core.training.callbacks import TrainingDivergedError, make_divergence_guard
from cnn_core.training.comparisons import COMPARISONS
from cnn_core.training.custom_model import (
    MNIST,
    Caps,
    DataShape,
    build_model,
    check_model,
    code_difference,
    cost_terms,
    loss_for,
    multiply_adds,
    read_model,
    run_listing,
    training_memory_bytes,
)
from cnn_core.training.estimate import custom_throughput
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig
from cnn_core.training.strategies import custom_loss
from tests.graph_grammar import random_listing
from tests.test_model_corpus import CORPUS, given, header

CLASSES = 2  # cats vs dogs
RANDOM_GRAPHS = 300


def data_for(input_shape: tuple[int, ...]) -> DataShape:
    """The data a listing's input calls for: MNIST for a digit, else the cats-vs-dogs images at its size."""
    if input_shape in ((28, 28, 1), (28, 28), (784,)):
        return MNIST
    size = input_shape[0] if len(input_shape) == 3 and input_shape[0] == input_shape[1] else 180
    return DataShape("images", CLASSES, size)


def mended(code: str, names: str, blocks: tuple[str, ...], batch: int = 2):
    """Check ``code``, take each offered fix (at most five), and return ``(check, fixes taken)``."""
    taken = []
    data = None
    for _ in range(6):
        shape = None
        try:
            shape = read_model(code, names, blocks)[1].input_shapes[0]
        except LayerCodeError:
            pass
        data = data_for(shape) if shape else DataShape("images", CLASSES)
        check = check_model(code, data, batch, names, blocks)
        fixable = [p for p in check.problems if p.fix is not None]
        if check.ok or not fixable:
            return check, taken, code, data
        fix = fixable[0].fix
        taken.append(fix.code)
        code = fix.new_code or code
        batch = fix.batch_size or batch
    raise AssertionError(f"fixes went round in circles: {taken}")


def one_step(model, check, data: DataShape, batch: int = 2) -> float:
    """One training step on a synthetic batch of the model's input shape, with the loss its output calls for."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, *check.input_shape), dtype=np.float32) * (1 if data.kind == "mnist" else 255)
    y = rng.integers(0, data.classes, batch).astype("float32")
    loss, metrics = custom_loss(check.loss)
    model.compile(optimizer="rmsprop", loss=loss, metrics=metrics, run_eagerly=True)
    return float(np.ravel(model.train_on_batch(x, y))[0])


def test_every_corpus_listing_trains_one_step_or_is_refused_with_the_mismatch_named():
    """Each readable listing: ready as it is, or mended by the check's own fixes, then rebuilt from the graph with
    Keras's parameter count equal to the editor's and one training step taken; or refused, naming what is wrong."""
    outcome = {}
    for path in CORPUS:
        text = path.read_text()
        if header(text, "Expect"):
            continue  # the reader refuses these with its own message (test_model_corpus)
        values, blocks, _ = given(text)
        names = format_names(values)
        check, fixes, code, data = mended(text, names, blocks)
        if not check.ok:
            for problem in check.problems:
                assert f"model_check.{problem.code}" in catalogue("en"), problem.code
            outcome[path.stem] = ("refused", tuple(p.code for p in check.problems), tuple(fixes))
            continue
        keras.backend.clear_session()
        model = build_model(code, names, blocks)
        assert model.count_params() == check.report.total_params, path.stem
        assert np.isfinite(one_step(model, check, data)), path.stem
        outcome[path.stem] = ("trained", check.loss.name, tuple(fixes))
    trained = [k for k, v in outcome.items() if v[0] == "trained"]
    assert len(trained) >= 22, outcome
    # what the check says of some listings, exactly
    assert outcome["kerasio_mnist_convnet"] == ("trained", "sparse_categorical_crossentropy", ())
    assert outcome["dlwp2_ch08_cats_convnet"] == ("trained", "binary_crossentropy", ())
    assert outcome["tf_tutorial_cnn_cifar10"] == ("trained", "binary_crossentropy", ("replace_output",))
    assert outcome["ko_junwlee_koreauniv_sequential"] == ("trained", "sparse_categorical_crossentropy", ("replace_output",))  # fmt: skip
    assert outcome["dlwp2_ch08_feature_head"] == ("trained", "binary_crossentropy", ("use_shape",))
    assert outcome["dlwp2_ch08_fine_tuning"] == ("trained", "binary_crossentropy", ("random_start",))
    assert outcome["kerasio_sequential_named_layers"] == ("trained", "binary_crossentropy", ("add_output",))
    assert outcome["dlwp2_ch09_residual_filters"] == (
        "trained",
        "binary_crossentropy",
        ("add_output",),
    )  # after x = add(...)
    assert outcome["dlwp2_ch08_vgg16_conv_base"] == ("trained", "binary_crossentropy", ("random_start", "add_output"))


def test_the_fixes_edit_only_what_they_name():
    text = (CORPUS[0].parent / "tf_tutorial_cnn_cifar10.py").read_text()
    check = check_model(text, DataShape("images", 2, 32), 32)
    fix = check.problems[0].fix
    assert (check.problems[0].code, fix.code) == ("output_mismatch", "replace_output")
    before, after = text.splitlines(), fix.new_code.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("model.add(layers.Dense(10))", 'model.add(layers.Dense(1, activation="sigmoid"))')]
    listing = "inputs = keras.Input(shape=(64, 64, 1))\nx = layers.Flatten()(inputs)\noutputs = layers.Dense(3, name='head')(x)\nmodel = keras.Model(inputs, outputs)"  # fmt: skip
    check = check_model(listing, MNIST, 32)
    assert [p.code for p in check.problems] == ["input_mismatch", "output_mismatch"]
    assert "keras.Input(shape=(28, 28, 1))" in check.problems[0].fix.new_code
    assert "layers.Dense(10, activation=\"softmax\", name='head')" in check.problems[1].fix.new_code


def test_an_output_layer_is_added_in_the_listings_own_variable():
    listing = "inputs = keras.Input(shape=(32, 32, 3))\nx = layers.Conv2D(4, 3)(inputs)\ny = layers.Conv2D(4, 3)(inputs)\nout = layers.add([x, y])\nmodel = keras.Model(inputs=inputs, outputs=out, name='twin')"  # fmt: skip
    fix = check_model(listing, DataShape("images", 2, 32), 32).problems[0].fix
    assert fix.code == "add_output" and fix.new_code.splitlines()[-3:] == [
        "out = layers.Flatten()(out)",
        'out = layers.Dense(1, activation="sigmoid")(out)',
        "model = keras.Model(inputs=inputs, outputs=out, name='twin')",
    ]
    assert check_model(fix.new_code, DataShape("images", 2, 32), 32).ok


def test_the_loss_follows_the_output():
    assert loss_for(1, "sigmoid", 2).name == "binary_crossentropy"
    assert loss_for(2, "softmax", 2).name == "sparse_categorical_crossentropy"
    assert loss_for(10, "softmax", 10).name == "sparse_categorical_crossentropy"
    assert loss_for(10, None, 10).from_logits and loss_for(1, "linear", 2).from_logits
    assert loss_for(10, "softmax", 2) is None and loss_for(1, "relu", 2) is None and loss_for(3, "sigmoid", 3) is None


def test_a_model_over_a_cap_is_refused_with_the_cap_and_its_figure():
    code = "inputs = keras.Input(shape=(28, 28, 1))\nx = layers.Flatten()(inputs)\nx = layers.Dense(100000)(x)\noutputs = layers.Dense(10, activation='softmax')(x)\nmodel = keras.Model(inputs, outputs)"  # fmt: skip
    check = check_model(code, MNIST, 32, caps=Caps(max_params=50_000_000))
    assert [p.code for p in check.problems] == ["too_many_params"]
    assert check.problems[0].details == {"received": 79_500_010, "limit": 50_000_000}
    check = check_model(code, MNIST, 32, caps=Caps(max_params=10**9, max_memory_bytes=100 * 1024**2))
    problem = check.problems[0]
    assert problem.code == "too_much_memory" and problem.details["limit_mb"] == 100
    assert problem.details["received_mb"] == round(check.memory_bytes / 1024**2) > 100
    assert problem.fix is None  # the weights alone are over the cap: no batch size fits


def test_the_memory_estimate_is_its_formula_and_a_smaller_batch_is_offered():
    code = (CORPUS[0].parent / "dlwp2_ch09_mini_xception.py").read_text()
    report = read_model(code)[1]
    sizes = [int(np.prod(n.output_shape)) for n in report.connected]  # in the order the listing makes them
    first = next(i for i, n in enumerate(report.connected) if n.trainable_params)  # the input, augmentation, rescaling
    kept, passing = sum(sizes[first:]), max(sizes[:first])
    assert training_memory_bytes(report, 32) == 4 * (3 * 32 * kept + 2 * 32 * passing + 4 * report.total_params)
    check = check_model(code, DataShape("images", 2, 180), 32, caps=Caps(max_memory_bytes=2 * 1024**3))
    fix = check.problems[0].fix
    assert check.problems[0].code == "too_much_memory" and fix.code == "smaller_batch"
    assert training_memory_bytes(report, fix.batch_size) <= 2 * 1024**3 < training_memory_bytes(report, fix.batch_size + 1)  # fmt: skip
    frozen = (CORPUS[0].parent / "dlwp2_ch08_feature_extraction_augmented.py").read_text()
    report = read_model(frozen)[1]
    assert training_memory_bytes(report, 32) < 4 * (3 * 32 * sum(int(np.prod(n.output_shape)) for n in report.connected))  # fmt: skip


def test_a_model_that_does_not_read_is_refused_with_the_readers_message():
    check = check_model("x = layers.Dense(", MNIST, 32)
    assert not check.ok and check.problems[0].code == "unreadable" and check.problems[0].error.code == "syntax"
    assert check_model("a = keras.Input((4,))\nb = keras.Input((4,))\nm = keras.Model([a, b], layers.Add()([a, b]))", MNIST, 32).problems[0].code == "not_one_input_and_output"  # fmt: skip


def test_no_fix_rewrites_away_a_pretrained_base_or_a_frozen_layer():
    """Writing a stack out again would drop ``weights="imagenet"`` and ``trainable = False``: such listings get the
    message without that edit (the base's weights fix comes first; after it, nothing is lost)."""
    base = (CORPUS[0].parent / "dlwp2_ch08_vgg16_conv_base.py").read_text()
    problems = {p.code: p for p in check_model(base, DataShape("images", 2, 180), 2).problems}
    assert problems["output_not_flat"].fix is None and problems["missing_weights"].fix.code == "random_start"
    frozen = "inputs = keras.Input(shape=(32, 32, 3))\nconv = layers.Conv2D(4, 3)\nconv.trainable = False\nx = conv(inputs)\nmodel = keras.Model(inputs, x)"  # fmt: skip
    check = check_model(frozen, DataShape("images", 2, 32), 2)
    assert check.problems[0].code == "output_not_flat"
    assert "conv.trainable = False" in check.problems[0].fix.new_code  # added after the output, the flag kept
    assert not [n for n in check.notes if n.fix is not None]  # no Rescaling rewrite that would unfreeze it


def test_missing_imagenet_weights_are_never_replaced_silently():
    code = (CORPUS[0].parent / "dlwp2_ch08_fine_tuning.py").read_text()
    check = check_model(code, DataShape("images", 2, 180), 32)
    assert [p.code for p in check.problems] == ["missing_weights"]
    assert check.problems[0].details["path"].endswith("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    assert "weights=None" in check.problems[0].fix.new_code and "weights=\"imagenet\"" not in check.problems[0].fix.new_code  # fmt: skip


@pytest.mark.slow
def test_random_graphs_rebuild_with_the_editors_shapes_and_counts_and_train_or_are_refused():
    """300 random listings of the editor's grammar: a report (then Keras's shapes and counts equal ours layer by
    layer, and one training step) or the reader's coded message; never another exception."""
    trained, refused = 0, {}
    for seed in range(RANDOM_GRAPHS):
        code = random_listing(random.Random(seed))
        try:
            report = analyze_code(code)
        except LayerCodeError as err:
            assert f"{err.catalog}.{err.code}" in catalogue("en"), (seed, err.code)
            refused[err.code] = refused.get(err.code, 0) + 1
            continue
        keras.backend.clear_session()
        model = build_keras_graph(code)
        theirs = {layer.name: layer for layer in summarize_graph(model).layers}
        ours = {n.name: n for n in report.connected if n.kind != "InputLayer"}
        assert sorted(theirs) == sorted(ours), (seed, code)
        for name, node in ours.items():
            if not node.shared:
                assert (theirs[name].params, theirs[name].output_shape) == (node.params, node.output_shape), (seed, name, code)  # fmt: skip
        assert model.count_params() == report.total_params, (seed, code)
        x = np.random.default_rng(seed).random((2, *report.input_shapes[0]), dtype=np.float32)
        y = np.zeros((2, *report.output_shape), dtype=np.float32)
        model.compile(optimizer="rmsprop", loss="mse", run_eagerly=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras's notes on softmax over one unit and on input structures
            model.train_on_batch(x, y)
        trained += 1
    assert trained >= 70 and sum(refused.values()) == RANDOM_GRAPHS - trained, refused  # 73 of seeds 0-299


def test_the_launch_check_is_well_under_a_second():
    code = (CORPUS[0].parent / "dlwp2_ch09_mini_xception.py").read_text()
    start = time.perf_counter()
    check_model(code, DataShape("images", 2, 180), 32)
    assert time.perf_counter() - start < 1.0


def test_a_diverging_loss_ends_training_with_its_reason():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TrainingDivergedError) as err:
        model.fit(np.array([[np.nan, 1.0]] * 4, dtype="float32"), np.zeros(4), epochs=1, verbose=0, callbacks=[make_divergence_guard()])  # fmt: skip
    assert (err.value.code, err.value.catalog, err.value.details) == ("nan_loss", "run_errors", {"batch": 1})


def test_the_seed_comparisons_are_the_books_listings_with_the_books_counts():
    counts = {c.key: read_model(c.code)[1].total_params for comp in COMPARISONS.values() for c in comp.contenders}
    assert counts["pooling_with"] == counts["cnn"] == 104_202 and counts["pooling_without"] == 712_202
    assert counts["mlp"] == 407_050 and counts["dropout_with"] == counts["dropout_without"]
    dropout = COMPARISONS["dropout"].contenders
    diff = code_difference(dropout[0].code, dropout[1].code, "a", "b").splitlines()
    assert diff[:2] == ["--- a", "+++ b"] and [line for line in diff[2:] if line[:1] in "+-"] == ["+x = layers.Dropout(0.5)(x)"]  # fmt: skip
    for comparison in COMPARISONS.values():
        for config, contender in zip(comparison.configs("mnist" if comparison.data == "mnist" else "/data/cats"), comparison.contenders, strict=True):  # fmt: skip
            assert config.is_mnist == (comparison.data == "mnist") and config.model_code == contender.code
            data = MNIST if config.is_mnist else DataShape("images", 2, config.image_size)
            assert check_model(config.model_code, data, config.effective_batch_size).ok


@pytest.mark.parametrize("strategy", ["scratch", "scratch_augmented", "mnist_cnn", "mnist_mlp"])
def test_a_variant_starts_from_the_code_the_run_trained(strategy):
    """The book's strategies' own models, written as the editor writes them, read back to the models they train."""
    from cnn_core.training import models

    config = RunConfig(strategy, "mnist" if strategy.startswith("mnist") else "/data/cats", image_size=96)
    listing = run_listing(config)
    ours = read_model(listing)[1]
    keras.backend.clear_session()
    theirs = {
        "scratch": lambda: models.scratch_model(96, augmented=False),
        "scratch_augmented": lambda: models.scratch_model(96, augmented=True),
        "mnist_cnn": models.mnist_cnn,
        "mnist_mlp": models.mnist_mlp,
    }[strategy]()
    assert ours.total_params == theirs.count_params()
    assert run_listing(dataclasses.replace(config, strategy="feature_extraction")) is None


def test_the_speed_of_a_learners_model_follows_its_work_by_kind():
    """The seed's MNIST convnet is the small anchor: its estimate is the registry's own figure. Without pooling its
    convolutions cost many times more; the dense network's cost is mostly its weights, updated once a batch."""
    book = read_model(COMPARISONS["pooling"].contenders[0].code)[1]
    terms = cost_terms(book)
    assert multiply_adds(book) == 3_100_032 == terms.conv_macs + terms.other_macs
    model = build_model(COMPARISONS["pooling"].contenders[0].code)
    assert terms.params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert custom_throughput(terms, 64) == pytest.approx(STRATEGIES["mnist_cnn"].measured_images_per_second(None))
    no_pool = cost_terms(read_model(COMPARISONS["pooling"].contenders[1].code)[1])
    assert no_pool.conv_macs > 5 * terms.conv_macs and custom_throughput(no_pool, 64) < custom_throughput(terms, 64) / 2
    dense = cost_terms(read_model(COMPARISONS["mlp_vs_cnn"].contenders[0].code)[1])
    assert dense.conv_macs == 0 and dense.other_macs == 784 * 512 + 512 * 10
    assert custom_throughput(dense, 16) < custom_throughput(dense, 128)  # more weight updates per image


def test_imagenet_weights_a_listing_asks_for_are_copied_in_layer_by_layer():
    """``VGG16(weights="imagenet")`` in a listing: the rebuilt base gets the base's weights, layer by layer (here a
    stand-in VGG16 with its own random weights plays the downloaded one: the copy is what is tested)."""
    code = (CORPUS[0].parent / "dlwp2_ch08_feature_extraction_augmented.py").read_text()
    keras.backend.clear_session()
    source = keras.applications.VGG16(weights=None, include_top=False)
    asked = []
    model = build_model(code, load_pretrained=lambda kind: asked.append(kind) or source)
    assert asked == ["vgg16"]
    for name in ("block1_conv1", "block3_conv2", "block5_conv3"):
        for ours, theirs in zip(model.get_layer(name).get_weights(), source.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(ours, theirs)
    assert not model.get_layer("block1_conv1").trainable  # conv_base.trainable = False, as the listing says


@pytest.mark.parametrize(
    "code,needs",
    [
        (
            'inputs = keras.Input(shape=(200,))\nx = layers.Embedding(20000, 128)(inputs)\nx = layers.Conv1D(128, 7, activation="relu")(x)\n'
            'x = layers.GlobalMaxPooling1D()(x)\noutputs = layers.Dense(1, activation="sigmoid")(x)\nmodel = keras.Model(inputs, outputs)\n',
            "token_ids",
        ),
        (
            "model = keras.Sequential([keras.Input((100, 8)), layers.LSTM(16), layers.Dense(2, activation='softmax')])",
            "sequences",
        ),
        (
            "model = keras.Sequential([keras.Input((8, 32, 32, 3)), layers.Conv3D(8, 3), layers.GlobalAveragePooling3D(), layers.Dense(2, activation='softmax')])",
            "volumes",
        ),
    ],
)
def test_a_model_for_other_data_is_refused_before_launch_saying_what_it_needs(code, needs):
    """The editor now reads text and sequence models; the lab trains images only: such a model is refused with one
    problem that says what data it needs (no image-shaped fix, no Rescaling note), in both languages."""
    for data in (MNIST, DataShape("images", 2, 180)):
        check = check_model(code, data, 32)
        assert [p.code for p in check.problems] == ["not_image_model"] and not check.notes
        assert check.problems[0].details["needs"] == needs
    for lang in ("ko", "en"):
        assert catalogue(lang)[f"model_check.needs_{needs}"] and "model_check.not_image_model" in catalogue(lang)
