"""How long a run will take, shown before launch, and calibrated on the machine it runs on.

:func:`estimate` uses, in this order: this machine's finished runs of the same strategy, base and image size
(their measured seconds per image, first-epoch extra and fixed cost); else the registry's cost model (measured
on a 2-core CPU by ``bench/training.py``) scaled by this machine's speed, the median ratio of measured to
modelled epoch times over its finished runs; else the cost model as it is. Other image sizes scale with each
strategy's measured exponent (the registry's ``size_exponent``). The runs table shows each run's estimate next to its measured time.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.training.custom_model import model_fingerprint, multiply_adds, read_model
from cnn_core.training.precision import expected_precision
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunRecord

REFERENCE_SIZE = 180
MEASURED_IMAGES_PER_SECOND = {
    (name, base): ips for name, s in STRATEGIES.items() for base, ips in s.images_per_second.items()
}
"""Steady-state training images per second on 2 CPU cores at 180 px (MNIST at 28 px), from the registry."""
FEATURE_PASS_IMAGES_PER_SECOND = {base: ips for s in STRATEGIES.values() for base, ips in s.feature_pass.items()}
"""One pass of the frozen base over the images (feature extraction's first step, skipped when cached)."""
STARTUP_SECONDS = 7.0
"""A run's wall time outside its epochs and its test pass: starting the trainer, importing TensorFlow, reading and
resizing the images (7-9 s measured by ``bench/lecture.py --fresh`` on 2 cores)."""
CUSTOM_CALIBRATION = ((3_100_032, 3_000.0), (415_288_960, 49.0))
"""``(multiply-adds, images per second)`` of the book's MNIST convnet and cats-vs-dogs convnet at 180 px (the
registry's ``mnist_cnn`` and ``scratch`` speeds): the two points :func:`custom_throughput` draws its line through."""
FALLBACK_IMAGES_PER_SECOND = 50.0


def workload(config: RunConfig, counts: dict[str, dict[str, int]]) -> tuple[int, int, int]:
    """``(training, validation, test images)`` the run will use: per class ``min(count, limit_per_class)`` of the
    training and validation splits (all of them without a limit), the whole test split, any number of classes."""
    limit = config.limit_per_class

    def used(split: str, limited: bool = True) -> int:
        return sum(min(n, limit) if limit and limited else n for n in counts.get(split, {}).values())

    return used("train"), used("validation"), used("test", limited=False)


def custom_throughput(multiply_adds: int) -> float:
    """Training images per second of a learner's model on 2 CPU cores: ``1 / (a + b * multiply_adds)``, a line
    through two measured points of ``bench/training.py`` (the book's MNIST convnet, 3.1 M multiply-adds, 3,000
    images/s; its cats-vs-dogs convnet at 180 px, 415 M, 49 images/s): ``b`` the seconds a multiply-add costs
    forward and backward, ``a`` what every image costs besides."""
    (small_macs, small_ips), (large_macs, large_ips) = CUSTOM_CALIBRATION
    per_mac = (1 / large_ips - 1 / small_ips) / (large_macs - small_macs)
    per_image = 1 / small_ips - per_mac * small_macs
    return 1 / (per_image + per_mac * max(multiply_adds, 0))


def _model_key(config: RunConfig) -> str | None:
    if config.is_custom:
        return model_fingerprint(config.model_code, config.model_names, config.model_blocks)
    return config.base if config.uses_pretrained_base else None


def _key(config: RunConfig, precision: str) -> tuple[str, str | None, str]:
    return config.strategy, _model_key(config), precision


def _record_key(record: RunRecord) -> tuple[str, str | None, str]:
    return _key(record.config, record.status.get("precision", "fp32"))


def throughput(config: RunConfig, history: Iterable[RunRecord] = (), precision: str | None = None) -> float:
    """Images per second for ``config`` in ``precision`` (default: what this machine will choose): the median of
    matching finished runs, else the measured table times the strategy's measured speed-up for that precision."""
    precision = precision or expected_precision(config.precision, config.strategy_entry.automatic_speedups)
    same = [
        e["images_per_second"]
        for r in history
        if r.config and _record_key(r) == _key(config, precision) and r.config.image_size == config.image_size
        for e in r.epochs[1:]
        if e.get("images_per_second")
    ]
    if same:
        return float(statistics.median(same))
    entry = config.strategy_entry
    if config.is_custom:  # its multiply-adds are counted at its own input size
        try:
            macs = multiply_adds(read_model(config.model_code, config.model_names, config.model_blocks)[1])
        except (LayerCodeError, ValueError):
            return FALLBACK_IMAGES_PER_SECOND
        return custom_throughput(macs)
    base = (entry.measured_images_per_second(config.base) or FALLBACK_IMAGES_PER_SECOND) * entry.precision_speedup.get(
        precision, 1.0
    )
    if config.is_mnist:
        return base
    return base * (REFERENCE_SIZE / config.image_size) ** entry.size_exponent


def estimate_seconds(
    config: RunConfig,
    n_train: int,
    n_validation: int = 0,
    history: Iterable[RunRecord] = (),
    features_cached: bool = False,
    n_test: int = 0,
) -> float:
    """``startup + (epochs * (n_train + n_validation / 3) + n_test / 3) / throughput`` (+ one pass of the base over
    all the images when its features are not cached): an evaluated image costs about a third of a trained one, the
    validation images are evaluated every epoch and the test images once."""
    precision = expected_precision(config.precision, config.strategy_entry.automatic_speedups)
    ips = throughput(config, list(history), precision)
    work = (config.effective_epochs * (n_train + n_validation / 3) + n_test / 3) / ips
    if config.strategy_entry.feature_pass and not features_cached:
        work += feature_pass_seconds(config, n_train + n_validation + n_test)
    return STARTUP_SECONDS + work


def feature_pass_seconds(config: RunConfig, images: int) -> float:
    """``images / (base images per second * precision speed-up * (180 / image size)^2)``: the frozen base's one pass
    over the images, by the cost model."""
    pass_speedups = config.strategy_entry.feature_pass_speedup
    speedup = pass_speedups.get(expected_precision(config.precision, pass_speedups), 1.0)
    base_ips = config.strategy_entry.feature_pass.get(config.base, 30.0) * speedup
    return images / (base_ips * (REFERENCE_SIZE / config.image_size) ** 2)


@dataclass(frozen=True)
class Estimate:
    seconds: float
    basis: Literal["same_runs", "machine", "model"]
    """What it is calibrated on: earlier runs of the same kind, this machine's speed, or the cost model alone."""


def _finished(history: Iterable[RunRecord]) -> list[RunRecord]:
    return [
        r
        for r in history
        if r.config and len(r.epochs) >= 2 and r.status.get("wall_seconds") and not r.is_recorded and r.test
    ]


def machine_speed(history: Iterable[RunRecord]) -> float | None:
    """Median over finished runs of ``measured steady epoch seconds / the cost model's``: 1.0 on the reference
    2-core CPU, 0.5 on a machine twice as fast; ``None`` without finished runs."""
    ratios = []
    for r in _finished(history):
        modelled = throughput(r.config, precision=r.status.get("precision", "fp32"))
        measured = [e["images_per_second"] for e in r.epochs[1:] if e.get("images_per_second")]
        if measured:
            ratios.append(modelled / statistics.median(measured))
    return statistics.median(ratios) if ratios else None


def _same_kind(config: RunConfig, history: Iterable[RunRecord]) -> list[RunRecord]:
    key = _key(config, expected_precision(config.precision, config.strategy_entry.automatic_speedups))
    return [r for r in _finished(history) if _record_key(r) == key and r.config.image_size == config.image_size]


def features_probably_cached(config: RunConfig, history: Iterable[RunRecord]) -> bool:
    """Whether the frozen base's features for ``config`` are most likely on disk: a run of this machine already
    computed them (same strategy kind, base, data, image size and images per class), and they are kept for
    every later run."""
    if not config.strategy_entry.feature_pass:
        return False
    same = ("dataset", "base", "image_size", "limit_per_class", "strategy")
    return any(r.config and all(getattr(r.config, f) == getattr(config, f) for f in same) for r in _finished(history))


def estimate(
    config: RunConfig,
    n_train: int,
    n_validation: int = 0,
    history: Sequence[RunRecord] = (),
    features_cached: bool | None = None,
    n_test: int = 0,
) -> Estimate:
    """The expected wall time of ``config`` on ``n_train`` training, ``n_validation`` validation and ``n_test``
    test images. ``features_cached`` (feature extraction) is guessed from the history when not given.

    With finished runs of the same kind: ``fixed + feature pass + first-epoch extra + epochs * n_train * seconds
    per image``, each the median of those runs (an epoch's seconds include its validation pass; with early
    stopping, the epochs are as many as those runs trained; the feature pass as long as it took in the run that
    computed it, none when the features are cached). Otherwise :func:`estimate_seconds` times
    :func:`machine_speed`.
    """
    if features_cached is None:
        features_cached = features_probably_cached(config, history)
    same = _same_kind(config, history)
    if same:
        per_image, first_extra, fixed, passes = [], [], [], []
        for r in same:
            steady = [1 / e["images_per_second"] for e in r.epochs[1:] if e.get("images_per_second")]
            steady_seconds = statistics.median(e["seconds"] for e in r.epochs[1:])
            per_image.append(statistics.median(steady))
            first_extra.append(max(0.0, r.epochs[0]["seconds"] - steady_seconds))
            feature_pass = float(r.status.get("feature_pass_seconds") or 0.0)
            passes.append(feature_pass)
            fixed.append(max(0.0, r.status["wall_seconds"] - sum(e["seconds"] for e in r.epochs) - feature_pass))
        epochs = config.effective_epochs
        if config.early_stopping_patience or config.strategy_entry.early_stopping_patience:
            epochs = min(epochs, round(statistics.median(len(r.epochs) for r in same)))  # where they stopped
        feature_pass = 0.0
        if config.strategy_entry.feature_pass and not features_cached:  # the slowest pass: one that computed
            feature_pass = max(passes) or feature_pass_seconds(config, n_train + n_validation + n_test)
        seconds = (
            statistics.median(fixed)
            + feature_pass
            + statistics.median(first_extra)
            + epochs * n_train * statistics.median(per_image)
        )
        return Estimate(seconds, "same_runs")
    modelled = estimate_seconds(config, n_train, n_validation, features_cached=features_cached, n_test=n_test)
    speed = machine_speed(history)
    return Estimate(modelled * speed, "machine") if speed else Estimate(modelled, "model")
