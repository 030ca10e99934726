"""The training strategies: one registry entry and one top-to-bottom function each (data -> model -> fit -> record).

Everything the app knows about a strategy is its entry in :data:`cnn_core.training.registry.STRATEGIES`; the
function that trains it is :data:`TRAINERS` here, under the same name.

The functions read like the keras.io examples the book's listings come from (seed 000, 001, 002): load the
data, build the model, :func:`fit_and_record`, record the test predictions. The shared fitting code is the
last part of this module. Keras is imported inside the functions only (importing this module stays light).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from cnn_core.training import custom_model, models
from cnn_core.training.callbacks import run_callbacks
from cnn_core.training.pipelines import array_batches, cached_features, image_splits, mnist_splits
from cnn_core.training.precision import apply_precision, choose_precision, float32_output, precision_policy
from cnn_core.training.pretrained.bases import APPLICATIONS, KERAS_CACHE, fine_tune_start, load_base
from cnn_core.training.pretrained.errors import MissingWeightsError
from cnn_core.training.registry import STRATEGIES, get_strategy
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import ACTIVE_STATES, Phase, RunState, RunStore, RunWriter

logger = logging.getLogger(__name__)

EVAL_BATCH_SIZE = 250  # validation and test batches of cached features: evaluation only, so the size changes nothing


@dataclass(frozen=True)
class TrainingRun:
    """What a strategy function is given: the run's configuration, the writer of its folder, and the store
    (fine-tuning reads the run it continues)."""

    config: RunConfig
    writer: RunWriter
    store: RunStore


@dataclass(frozen=True)
class RunResult:
    """What a strategy function returns: the test evaluation and the trained model's parameter counts."""

    test: dict
    params: int
    trainable_params: int


# --- The strategies ----------------------------------------------------------------------------------------


def train_scratch(run: TrainingRun) -> RunResult:
    """Strategy 1 (seed 000): the book's small convnet, trained from scratch on the images."""

    report, splits = image_splits(run.config)
    record_dataset(run, report)
    model = models.scratch_model(run.config.image_size, augmented=False)
    best, test = fit_and_record(run, model, splits["train"], splits["validation"], splits["test"], report.n_train)
    record_test_images(run, best, splits["test"], report)
    return result(model, test)


def train_scratch_augmented(run: TrainingRun) -> RunResult:
    """Strategy 2 (seed 000): the same convnet with the book's augmentation in front and Dropout(0.5)."""

    report, splits = image_splits(run.config)
    record_dataset(run, report)
    model = models.scratch_model(run.config.image_size, augmented=True)
    best, test = fit_and_record(run, model, splits["train"], splits["validation"], splits["test"], report.n_train)
    record_test_images(run, best, splits["test"], report)
    return result(model, test)


def train_feature_extraction(run: TrainingRun) -> RunResult:
    """Strategy 3a (seed 002): the frozen base computes features once; a small head trains on them.

    The saved model is base + best head, so it classifies images like every other run's model.
    """
    import keras  # noqa: PLC0415

    config = run.config
    report, splits = image_splits(config)
    record_dataset(run, report)
    # the frozen base's pass in the precision measured faster for it (EfficientNet-Lite0: float32 even where the
    # head trains in bfloat16), recorded beside the run's precision
    pass_precision = choose_precision(config.precision, speedups=config.strategy_entry.feature_pass_speedup)
    run.writer.set_status(feature_pass_precision=pass_precision)
    with precision_policy(pass_precision):
        base, _ = load_base(config.base, config.image_size)
    started = time.perf_counter()
    features = cached_features(
        base, config.base, report, config, splits,
        on_images=lambda done, total: run.writer.progress(phase=Phase.FEATURES, done=done, total=total),
    )  # fmt: skip
    run.writer.set_status(feature_pass_seconds=round(time.perf_counter() - started, 2))  # ~0 when cached
    keras.utils.set_random_seed(config.seed)  # the same head and batches whether or not features were cached
    head = models.feature_classifier(features["train"][0].shape[1:])
    train = array_batches(*features["train"], config.effective_batch_size, shuffle=True, seed=config.seed)
    validation = array_batches(*features["validation"], EVAL_BATCH_SIZE, shuffle=False)
    test_batches = array_batches(*features["test"], EVAL_BATCH_SIZE, shuffle=False)
    # XLA fuses RMSprop's update of the 11.8 M-weight Dense kernel into one pass over memory: on 2 CPU
    # cores an epoch takes ~1.1 s instead of ~2 s (Keras leaves XLA off on CPU-only machines).
    best_head, test = fit_and_record(
        run, head, train, validation, test_batches, report.n_train, shuffle=False, jit_compile=True
    )  # shuffled in array_batches
    # A fresh copy of the head: the trained one carries RMSprop's state, 47 MB nobody needs in the full model.
    head_copy = models.feature_classifier(features["train"][0].shape[1:])
    head_copy.set_weights(best_head.get_weights())
    inputs = keras.Input((config.image_size, config.image_size, 3))
    full = float32_output(keras.Model(inputs, head_copy(base(inputs, training=False)), name="feature_extraction"))
    full.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    run.writer.save_model(full)
    logger.info("saved the full model (base + best head) as best.keras")
    # ``test`` is the best head on the cached test features: the same numbers as base + head on the images.
    record_test_images(run, best_head, features["test"][0], report, EVAL_BATCH_SIZE)
    return RunResult(test, int(full.count_params()), trainable_count(best_head))


def train_feature_extraction_augmented(run: TrainingRun) -> RunResult:
    """Strategy 3b (seed 002): augmentation -> frozen base (inference mode) -> head, end to end on images."""

    config = run.config
    report, splits = image_splits(config)
    record_dataset(run, report)
    base, _ = load_base(config.base, config.image_size)
    model = models.augmented_frozen_base_model(base, config.image_size)
    best, test = fit_and_record(run, model, splits["train"], splits["validation"], splits["test"], report.n_train)
    record_test_images(run, best, splits["test"], report)
    return result(model, test)


def train_fine_tuning(run: TrainingRun) -> RunResult:
    """Strategy 4 (seed 002): continue a finished 3b run with the base's top layers unfrozen, at a low rate."""
    import keras  # noqa: PLC0415

    config = run.config
    source = wait_for_run(run, config.start_from) if config.start_from else None
    if source is None or source.config is None or source.config.strategy != STRATEGIES["fine_tuning"].continues:
        raise ValueError(f"Fine-tuning continues a finished feature_extraction_augmented run. Received: start_from={config.start_from!r}")  # fmt: skip
    if source.state != RunState.COMPLETED or not source.checkpoint.exists():
        raise FileNotFoundError(
            f"Run {config.start_from} did not complete with a checkpoint. Received: state={source.state}"
        )
    report, splits = image_splits(config)
    record_dataset(run, report)
    model = keras.models.load_model(source.checkpoint, safe_mode=True)
    base_name = source.config.base
    outer = models.find_base_layer(model, base_name)
    inner = models.find_base_layer(outer, base_name) if base_name != "efficientnet_lite0" else outer
    outer.trainable = True
    unfrozen = models.unfreeze_top(inner, fine_tune_start(base_name), config.unfreeze_last)
    logger.info("fine-tuning: %d layers with weights unfrozen in %s", unfrozen, inner.name)
    best, test = fit_and_record(run, model, splits["train"], splits["validation"], splits["test"], report.n_train)
    record_test_images(run, best, splits["test"], report)
    return result(model, test)


def train_mnist_mlp(run: TrainingRun) -> RunResult:
    """Seed 001: a two-layer dense network on flattened MNIST digits, one-hot labels."""

    train, validation, test, labels = mnist_splits(run.config, flatten=True, one_hot=True)
    model = models.mnist_mlp()
    best, result_ = fit_and_record(
        run, model, train, validation, test, len(train[0]), batch_size=run.config.effective_batch_size
    )
    record_predictions(run, best, test[0], labels, range(len(labels)), [str(d) for d in range(10)])
    return result(model, result_)


def train_mnist_cnn(run: TrainingRun) -> RunResult:
    """Seed 000: the book's MNIST convnet on 28x28x1 digits, sparse labels."""

    train, validation, test, labels = mnist_splits(run.config, flatten=False, one_hot=False)
    model = models.mnist_cnn()
    best, result_ = fit_and_record(
        run, model, train, validation, test, len(train[0]), batch_size=run.config.effective_batch_size
    )
    record_predictions(run, best, test[0], labels, range(len(labels)), [str(d) for d in range(10)])
    return result(model, result_)


def train_own_model(run: TrainingRun) -> RunResult:
    """Your model: the listing checked again against the data, rebuilt in Keras from the editor's graph (never
    executed), trained with the loss its output layer calls for."""

    config = run.config
    if config.is_mnist:
        train, validation, test, labels = mnist_splits(config, flatten=False, one_hot=False)
        data = custom_model.MNIST
    else:
        report, splits = image_splits(config)
        record_dataset(run, report)
        data = custom_model.DataShape("images", len(report.classes), config.image_size)
    check = custom_model.check_model(
        config.model_code, data, config.effective_batch_size, config.model_names, config.model_blocks
    )
    check.raise_first()  # the launch checked the same; the data or the caps may have changed since
    model = custom_model.build_model(config.model_code, config.model_names, config.model_blocks, pretrained_base)
    loss = custom_loss(check.loss)
    if config.is_mnist:
        shape = check.input_shape
        train, validation, test = ((x.reshape(len(x), *shape), y) for x, y in (train, validation, test))
        best, result_ = fit_and_record(
            run, model, train, validation, test, len(train[0]), loss=loss, batch_size=config.effective_batch_size
        )
        record_predictions(run, best, test[0], labels, range(len(labels)), [str(d) for d in range(10)])
        return result(model, result_)
    best, test_result = fit_and_record(
        run, model, splits["train"], splits["validation"], splits["test"], report.n_train, loss=loss
    )
    record_test_images(run, best, splits["test"], report)
    return result(model, test_result)


def custom_loss(loss: custom_model.Loss | None):
    """``(loss, metrics)`` for the output layer's loss; logits are compared at 0 (binary) or by their largest."""
    import keras  # noqa: PLC0415

    if loss is None:
        raise ValueError("the model's output does not fit the data's classes")
    if loss.name == "binary_crossentropy":
        metric = keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if loss.from_logits else 0.5)
        return keras.losses.BinaryCrossentropy(from_logits=loss.from_logits), [metric]
    metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    return keras.losses.SparseCategoricalCrossentropy(from_logits=loss.from_logits), [metric]


def pretrained_base(kind: str):
    """The ImageNet-weighted Keras application a listing names (``vgg16``): weights from Keras's cache (downloaded
    once online), never random: :class:`MissingWeightsError` naming the file otherwise."""
    import keras  # noqa: PLC0415

    application = APPLICATIONS[kind]
    try:
        return getattr(keras.applications, application.constructor)(weights="imagenet", include_top=False)
    except Exception as err:  # noqa: BLE001 - offline downloads fail with several error types
        raise MissingWeightsError(
            kind, str(KERAS_CACHE / application.weights_file), "connect to the internet once (Keras downloads it)"
        ) from err


# --- Which function trains which registry entry ---------------------------------------------------------

TRAINERS: Mapping[str, Callable[[TrainingRun], RunResult]] = {
    "scratch": train_scratch,
    "scratch_augmented": train_scratch_augmented,
    "feature_extraction": train_feature_extraction,
    "feature_extraction_augmented": train_feature_extraction_augmented,
    "fine_tuning": train_fine_tuning,
    "mnist_mlp": train_mnist_mlp,
    "mnist_cnn": train_mnist_cnn,
    "own_model": train_own_model,
}
"""Strategy name -> the function that trains it (one for each entry of the registry; a test checks)."""


# --- Shared fitting and recording -------------------------------------------------------------------------


def wait_for_run(run: TrainingRun, run_id: str, every: float = 2.0):
    """The record of ``run_id`` once it has ended (a story queues fine-tuning behind the run it continues; on a
    cluster the two may start together). Returns early, as it is, if this run is asked to stop."""
    source = run.store.load(run_id)
    while source.state in ACTIVE_STATES and not run.writer.stop_requested():
        logger.info("waiting for run %s (%s) to end", run_id, source.state)
        time.sleep(every)
        source = run.store.load(run_id)
    return source


def optimizer_for(config: RunConfig):
    import keras  # noqa: PLC0415

    cls = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[
        config.effective_optimizer
    ]
    lr = config.effective_learning_rate
    return cls() if lr is None else cls(learning_rate=lr)


def fit_and_record(
    run: TrainingRun, model, train, validation, test, n_train: int, jit_compile=False, loss=None, **fit_kwargs
):
    """Compile with the strategy's loss (or ``loss``: a ``(loss, metrics)`` pair), ``model.fit`` with the recording
    callbacks, then evaluate the best epoch's weights on the test data. ``train`` and ``test`` are a dataset or an
    ``(x, y)`` pair.

    Returns ``(model with the best weights, {"loss", "accuracy", "seconds"} on the test data)``.
    """

    config = run.config
    strategy = get_strategy(config.strategy)
    model = float32_output(model)  # mixed precision: the loss and the probabilities stay float32
    loss, metrics = loss or (strategy.loss, ["accuracy"])
    model.compile(optimizer=optimizer_for(config), loss=loss, metrics=metrics, jit_compile=jit_compile)
    patience = config.early_stopping_patience or strategy.early_stopping_patience
    callbacks = run_callbacks(run.writer, n_train, patience)
    x, y = (train, None) if not isinstance(train, tuple) else train
    model.fit(
        x, y, validation_data=validation, epochs=config.effective_epochs, callbacks=callbacks, verbose=2, **fit_kwargs
    )
    if callbacks[0].best_weights is not None:
        model.set_weights(callbacks[0].best_weights)
    run.writer.phase(Phase.TESTING)
    start = time.perf_counter()
    x, y = (test, None) if not isinstance(test, tuple) else test
    loss, accuracy = model.evaluate(x, y, verbose=0)
    test_result = {"loss": float(loss), "accuracy": float(accuracy), "seconds": round(time.perf_counter() - start, 3)}
    logger.info("test evaluation: accuracy %.4f in %.2f s", test_result["accuracy"], test_result["seconds"])
    return model, test_result


def record_dataset(run: TrainingRun, report) -> None:
    run.writer.dataset(
        {
            "root": str(report.root),
            "classes": report.classes,
            "counts": report.counts,
            "unreadable": report.unreadable[:200],
        }  # fmt: skip
    )


def record_predictions(run: TrainingRun, model, test_input, labels, names, classes, batch_size=None) -> None:
    """``test_predictions.json``: each test item's true label and predicted probabilities (for the evaluation)."""
    probabilities = np.asarray(model.predict(test_input, verbose=0, batch_size=batch_size))
    if probabilities.ndim == 2 and probabilities.shape[1] == 1:
        probabilities = np.concatenate([1 - probabilities, probabilities], axis=1)
    items = [
        {
            "item": str(name),
            "label": int(label),
            "predicted": int(np.argmax(p)),
            "probability": round(float(np.max(p)), 5),
        }  # fmt: skip
        for name, label, p in zip(names, labels, probabilities, strict=True)
    ]
    run.writer.predictions(list(classes), items)


def record_test_images(run: TrainingRun, model, test_input, report, batch_size=None) -> None:
    files = report.files["test"]
    record_predictions(run, model, test_input, [label for _, label in files], [p for p, _ in files], report.classes, batch_size)  # fmt: skip
    logger.info("saved test predictions")


def trainable_count(model) -> int:
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))


def result(model, test: dict) -> RunResult:
    return RunResult(test, int(model.count_params()), trainable_count(model))


def train_run(store: RunStore, run_id: str, config: RunConfig) -> RunResult:
    """Seed everything, choose and record the precision (before any model is built), then train ``config`` with its
    strategy's function (to the end or a stop request)."""
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(config.seed)
    precision = choose_precision(config.precision, speedups=config.strategy_entry.automatic_speedups)
    apply_precision(precision)
    store.writer(run_id).set_status(precision=precision)
    get_strategy(config.strategy)  # ValueError for an unknown name
    return TRAINERS[config.strategy](TrainingRun(config, store.writer(run_id), store))


def final_state(writer: RunWriter) -> RunState:
    """A run that ended its training normally is completed, or stopped when a stop was asked for."""
    return RunState.STOPPED if writer.stop_requested() else RunState.COMPLETED
