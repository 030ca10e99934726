"""Train one run: ``python -m cnn_core.train RUN_DIR``.

Reads ``RUN_DIR/config.json``, writes status, per-batch progress, per-epoch metrics, the best
checkpoint (lowest val_loss), the test evaluation and its log into ``RUN_DIR``. A ``STOP`` file
ends training at the next batch boundary. When it ends, it starts the next queued run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from cnn_core.atomic import append_jsonl, write_json_atomic
from cnn_core.run_config import RunConfig
from cnn_core.run_store import RunStore, now
from cnn_core.settings import HOME_DIR, load_settings

logger = logging.getLogger("cnn_core.train")
PROGRESS_EVERY_S = 0.5
EVAL_BATCH_SIZE = 250  # validation and test batches of cached features: evaluation only, so the size changes nothing


def _keras_callback_base():
    import keras  # noqa: PLC0415

    return keras.callbacks.Callback


def make_recorder(store: RunStore, run_id: str, images_per_epoch: int, phase: str = "train"):
    """A Keras callback writing progress.json (throttled), epochs.jsonl, and honouring the STOP file."""

    class RunRecorder(_keras_callback_base()):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_start = time.perf_counter()
            self.last_write = 0.0
            self.epoch = 0
            self.steps = None

        def on_train_begin(self, logs=None):
            self.steps = self.params.get("steps")

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            stopping = store.stop_requested(run_id)
            if stopping:
                self.model.stop_training = True
            last_batch = self.steps is not None and batch + 1 >= self.steps
            if stopping or last_batch or time.perf_counter() - self.last_write >= PROGRESS_EVERY_S:
                self.last_write = time.perf_counter()
                logs = logs or {}
                write_json_atomic(
                    store.path(run_id) / "progress.json",
                    {
                        "phase": phase,
                        "epoch": self.epoch + 1,
                        "epochs": self.params.get("epochs"),
                        "batch": batch + 1,
                        "batches": self.steps,
                        "loss": float(logs.get("loss", np.nan)),
                        "accuracy": float(logs.get("accuracy", np.nan)),
                        "epoch_seconds": time.perf_counter() - self.epoch_start,
                        "updated_at": now(),
                    },
                    durable=False,
                )

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            seconds = time.perf_counter() - self.epoch_start
            record = {
                "epoch": epoch + 1,
                "seconds": round(seconds, 3),
                "images_per_second": round(images_per_epoch / seconds, 2) if seconds else None,
                "partial": bool(self.model.stop_training and store.stop_requested(run_id)),
                "phase": phase,
            }
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if key in logs:
                    record[key] = float(logs[key])
            append_jsonl(store.path(run_id) / "epochs.jsonl", record)

    return RunRecorder()


def make_best_checkpoint(path: Path):
    """Save the model whenever val_loss improves, atomically (save to a temp file, then rename).

    It also keeps those weights in memory (``best_weights``) so the test evaluation need not reload the file.
    """

    class BestCheckpoint(_keras_callback_base()):
        def __init__(self) -> None:
            super().__init__()
            self.best = np.inf
            self.best_weights: list | None = None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get("val_loss")
            if value is None or not value < self.best:
                return
            self.best = float(value)
            self.best_weights = self.model.get_weights()
            tmp = path.with_name(f".{path.stem}.tmp.keras")
            self.model.save(tmp)
            os.replace(tmp, path)

    return BestCheckpoint()


def _callbacks(store, run_id, config: RunConfig, images_per_epoch: int, checkpoint: Path, phase="train"):
    import keras  # noqa: PLC0415

    # The checkpoint first: once an epoch shows up in epochs.jsonl, its checkpoint is already on disk.
    callbacks = [make_best_checkpoint(checkpoint), make_recorder(store, run_id, images_per_epoch, phase)]
    patience = config.early_stopping_patience or (10 if config.strategy == "mnist_mlp" else None)
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience))
    return callbacks


def _fit_and_test(model, store, run_id, config, train, val, test, n_train: int, fit_kwargs=None, jit_compile=False):
    """Compile, fit with our callbacks, then evaluate the best epoch's weights on the test data."""
    from cnn_core.strategies import loss_for, optimizer_for  # noqa: PLC0415

    checkpoint = store.path(run_id) / "best.keras"
    model.compile(optimizer=optimizer_for(config), loss=loss_for(config), metrics=["accuracy"], jit_compile=jit_compile)
    callbacks = _callbacks(store, run_id, config, n_train, checkpoint)
    model.fit(
        *train,
        validation_data=val,
        epochs=config.effective_epochs,
        callbacks=callbacks,
        verbose=2,
        **(fit_kwargs or {}),
    )
    if callbacks[0].best_weights is not None:
        model.set_weights(callbacks[0].best_weights)
    progress_path = store.path(run_id) / "progress.json"
    last = json.loads(progress_path.read_text()) if progress_path.exists() else {}
    write_json_atomic(progress_path, {**last, "phase": "testing", "updated_at": now()}, durable=False)
    result = _evaluate(model, test)
    logger.info("test evaluation: accuracy %.4f in %.2f s", result["accuracy"], result["seconds"])
    return model, result


def _evaluate(model, test) -> dict:
    start = time.perf_counter()
    x, *y = test
    loss, accuracy = model.evaluate(x, *y, verbose=0)
    return {"loss": float(loss), "accuracy": float(accuracy), "seconds": round(time.perf_counter() - start, 3)}


def _save_predictions(run_dir: Path, model, test_input, labels, names, classes, batch_size=None) -> None:
    """``test_predictions.json``: each test item's true label and predicted probabilities (for the evaluation page)."""
    probabilities = np.asarray(model.predict(test_input, verbose=0, batch_size=batch_size))
    if probabilities.ndim == 2 and probabilities.shape[1] == 1:
        probabilities = np.concatenate([1 - probabilities, probabilities], axis=1)
    items = [
        {
            "item": str(name),
            "label": int(label),
            "predicted": int(np.argmax(p)),
            "probability": round(float(np.max(p)), 5),
        }
        for name, label, p in zip(names, labels, probabilities, strict=True)
    ]
    write_json_atomic(run_dir / "test_predictions.json", {"classes": list(classes), "items": items})


def _image_data(config: RunConfig):
    from cnn_core.data import DatasetError, inspect_dataset, load_image_splits, make_synthetic_dataset  # noqa: PLC0415
    from cnn_core.datasets import resolve_inside  # noqa: PLC0415

    if config.dataset == "synthetic":
        root = make_synthetic_dataset(HOME_DIR / "data" / "synthetic_shapes")
    else:
        settings = load_settings()
        root = resolve_inside(config.dataset, settings.data_roots + (HOME_DIR / "data",))
    report = inspect_dataset(root, limit_per_class=config.limit_per_class)
    if not report.ok:
        raise DatasetError(f"The dataset {root} cannot be used", report.problems)
    if report.unreadable:
        logger.warning("skipped unreadable images: %s", report.unreadable[:20])
    splits = load_image_splits(report, config.image_size, config.effective_batch_size, config.seed)
    return report, splits


def _cached_features(base, base_name: str, report, config: RunConfig, splits):
    """Run the frozen base once per split; cache the features on disk (keyed by data, base, weights, size).

    Plain ``.npy`` files (labels first, features last, each renamed into place), mapped copy-on-write: the
    training tensors then share the page cache's memory instead of copying ~740 MB (see ``as_tensor``).
    """
    key = hashlib.sha1(f"{report.signature()}|{base_name}|imagenet|{config.image_size}".encode()).hexdigest()[:20]
    cache = HOME_DIR / "cache" / "features"
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, ds in splits.items():
        x_path, y_path = cache / f"{key}-{split}-x.npy", cache / f"{key}-{split}-y.npy"
        if x_path.exists() and y_path.exists():
            logger.info("features for %s loaded from cache %s", split, x_path.name)
        else:
            features, labels = [], []
            for images, y in ds:
                features.append(base.predict_on_batch(images))
                labels.append(y.numpy())
            for path, array in ((y_path, np.concatenate(labels)), (x_path, np.concatenate(features))):
                tmp = path.with_name(f".{path.stem}.tmp.npy")
                np.save(tmp, array)
                os.replace(tmp, path)
        out[split] = (np.load(x_path, mmap_mode="c"), np.load(y_path))
    return out


def train_run(store: RunStore, run_id: str, config: RunConfig) -> dict:
    """Train ``config`` to the end (or a stop request); return what goes into the final status."""
    import keras  # noqa: PLC0415

    from cnn_core import strategies  # noqa: PLC0415

    keras.utils.set_random_seed(config.seed)
    run_dir = store.path(run_id)
    if config.is_mnist:
        from cnn_core.data import load_mnist  # noqa: PLC0415

        source = config.dataset
        if source != "mnist":
            from cnn_core.datasets import resolve_inside  # noqa: PLC0415

            source = str(resolve_inside(source, load_settings().data_roots + (HOME_DIR / "data",)))
        (xt, yt), (xv, yv), (xs, ys) = load_mnist(source)
        if config.strategy == "mnist_mlp":
            prep = lambda x: x.reshape(len(x), 784).astype("float32") / 255  # noqa: E731
            label = lambda y: keras.utils.to_categorical(y, 10)  # noqa: E731
            model = strategies.mnist_mlp()
        else:
            prep = lambda x: x.reshape(len(x), 28, 28, 1).astype("float32") / 255  # noqa: E731
            label = lambda y: y  # noqa: E731
            model = strategies.mnist_cnn()
        train, val, test = (prep(xt), label(yt)), (prep(xv), label(yv)), (prep(xs), label(ys))
        best, result = _fit_and_test(
            model, store, run_id, config, train, val, test, len(xt), {"batch_size": config.effective_batch_size}
        )
        _save_predictions(run_dir, best, test[0], ys, range(len(ys)), [str(d) for d in range(10)])
        return {"test": result, "params": int(model.count_params()), "trainable_params": _trainable(model)}

    report, splits = _image_data(config)
    n_train = sum(report.counts["train"].values())
    write_json_atomic(run_dir / "dataset.json", {"root": str(report.root), "classes": report.classes, "counts": report.counts, "unreadable": report.unreadable[:200]})  # fmt: skip
    if config.strategy in ("scratch", "scratch_augmented"):
        model = strategies.scratch_model(config.image_size, config.strategy == "scratch_augmented")
        best, result = _fit_and_test(model, store, run_id, config, (splits["train"],), splits["validation"], (splits["test"],), n_train)  # fmt: skip
        _save_test_images(run_dir, best, splits["test"], report)
        return {"test": result, "params": int(model.count_params()), "trainable_params": _trainable(model)}

    from cnn_core.pretrained.bases import fine_tune_start, load_base  # noqa: PLC0415

    if config.strategy == "feature_extraction":
        base, _ = load_base(config.base, config.image_size)
        features = _cached_features(base, config.base, report, config, splits)
        return _train_feature_head(store, run_id, config, report, features, n_train, base)
    if config.strategy == "feature_extraction_augmented":
        base, inner = load_base(config.base, config.image_size)
        model = strategies.augmented_frozen_base_model(base, config.image_size)
    else:  # fine_tuning
        if not config.start_from:
            raise ValueError("Fine-tuning starts from a finished feature_extraction_augmented run: set start_from.")
        source = store.load(config.start_from)
        if source.config is None or source.config.strategy != "feature_extraction_augmented":
            raise ValueError(f"Run {config.start_from} is not a feature_extraction_augmented run.")
        if not source.checkpoint.exists():
            raise FileNotFoundError(f"Run {config.start_from} has no checkpoint (best.keras).")
        model = keras.models.load_model(source.checkpoint, safe_mode=True)
        base_name = source.config.base
        outer = strategies.find_base_layer(model, base_name)
        inner = strategies.find_base_layer(outer, base_name) if base_name != "efficientnet_lite0" else outer
        outer.trainable = True
        unfrozen = strategies.unfreeze_top(inner, fine_tune_start(base_name), config.unfreeze_last)
        logger.info("fine-tuning: %d layers with weights unfrozen in %s", unfrozen, inner.name)
    best, result = _fit_and_test(model, store, run_id, config, (splits["train"],), splits["validation"], (splits["test"],), n_train)  # fmt: skip
    _save_test_images(run_dir, best, splits["test"], report)
    return {"test": result, "params": int(model.count_params()), "trainable_params": _trainable(model)}


def _train_feature_head(store, run_id, config: RunConfig, report, features, n_train: int, base) -> dict:
    """Strategy 3a after the features exist: train the head on them, then save base + best head as best.keras."""
    import keras  # noqa: PLC0415

    from cnn_core import strategies  # noqa: PLC0415
    from cnn_core.data import array_batches  # noqa: PLC0415

    run_dir = store.path(run_id)
    keras.utils.set_random_seed(config.seed)  # the same head and batches whether or not features were cached
    head = strategies.feature_classifier(features["train"][0].shape[1:])
    train = array_batches(*features["train"], config.effective_batch_size, shuffle=True, seed=config.seed)
    val = array_batches(*features["validation"], EVAL_BATCH_SIZE, shuffle=False)
    test = array_batches(*features["test"], EVAL_BATCH_SIZE, shuffle=False)
    # XLA fuses RMSprop's update of the 11.8 M-weight Dense kernel into one pass over memory: on 2 CPU
    # cores an epoch takes ~1.1 s instead of ~2 s (Keras leaves XLA off on CPU-only machines).
    best_head, result = _fit_and_test(
        head, store, run_id, config, (train,), val, (test,), n_train, {"shuffle": False},  # shuffled in array_batches
        jit_compile=True,
    )  # fmt: skip
    # A fresh copy of the head: the trained one carries RMSprop's state, 47 MB nobody needs in the full model.
    head_copy = strategies.feature_classifier(features["train"][0].shape[1:])
    head_copy.set_weights(best_head.get_weights())
    inputs = keras.Input((config.image_size, config.image_size, 3))
    full = keras.Model(inputs, head_copy(base(inputs, training=False)), name="feature_extraction")
    full.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    full.save(run_dir / ".full.tmp.keras")
    os.replace(run_dir / ".full.tmp.keras", run_dir / "best.keras")
    logger.info("saved the full model (base + best head) as best.keras")
    # ``result`` is the best head on the cached test features: the same numbers as base + head on the images.
    _save_test_images(run_dir, best_head, features["test"][0], report, EVAL_BATCH_SIZE)
    return {"test": result, "params": int(full.count_params()), "trainable_params": _trainable(best_head)}


def _save_test_images(run_dir: Path, model, test_input, report, batch_size=None) -> None:
    files = report.files["test"]
    labels, names = [label for _, label in files], [p for p, _ in files]
    _save_predictions(run_dir, model, test_input, labels, names, report.classes, batch_size)
    logger.info("saved test predictions")


def _trainable(model) -> int:
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))


def _use_xla_cache() -> None:
    """Keep XLA's compiled programs under the home folder: a second run of the same head skips compiling."""
    flag = f"--tf_xla_persistent_cache_directory={HOME_DIR / 'cache' / 'xla'}"
    if "tf_xla_persistent_cache_directory" not in os.environ.get("TF_XLA_FLAGS", ""):
        os.environ["TF_XLA_FLAGS"] = f"{os.environ.get('TF_XLA_FLAGS', '')} {flag}".strip()


def main(argv: list[str]) -> int:
    _use_xla_cache()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    if len(argv) != 2:
        print("usage: python -m cnn_core.train RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[1]).resolve()
    store, run_id = RunStore(run_dir.parent), run_dir.name
    started = time.perf_counter()
    store.set_status(run_id, state="running", pid=os.getpid(), started_at=now())
    code = 0
    try:
        config = RunConfig.from_dict(store.load(run_id, check_process=False).config.__dict__)
        result = train_run(store, run_id, config)
        write_json_atomic(run_dir / "test.json", result["test"])
        state = "stopped" if store.stop_requested(run_id) else "completed"
        store.set_status(run_id, state=state, ended_at=now(), wall_seconds=round(time.perf_counter() - started, 2), params=result["params"], trainable_params=result["trainable_params"])  # fmt: skip
    except BaseException as err:  # noqa: BLE001 - every failure must end up in status.json
        logger.exception("run %s failed", run_id)
        store.set_status(run_id, state="failed", ended_at=now(), error=f"{type(err).__name__}: {err}"[:2000])
        code = 1
    finally:
        from cnn_core.jobs import dispatch  # noqa: PLC0415

        try:
            dispatch(store)
        except Exception:  # noqa: BLE001
            logger.exception("could not start the next queued run")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
