"""How long a run will take, shown before launch, measured on the machine it runs on and kept per kind of run.

:func:`estimate` uses, in this order:

1. this machine's finished runs **of the same kind** (strategy x base x precision x image size, or the same
   listing of a learner's own model): their measured seconds per image, first-epoch extra and fixed cost;
2. else **this machine's calibration**: the probe that shares the kind's work (``Strategy.probe``) measured that
   probe's strategy at its lecture size here; the registry's relative costs carry it to the kind (another strategy
   on the same work, another size, another precision). A learner's model: its multiply-adds on a line through the
   two convnet probes, refined by this machine's finished own-model runs only (never a book strategy's figure);
3. else the cost model as it is ("not yet measured on this machine").

A run that shared the CPU (while it trained, other processes, or the hypervisor, took more than a quarter of the
machine: each epoch records the trainer's own CPU time and the machine's) does not count (:func:`undisturbed`). Other image sizes scale with each
strategy's measured exponent (the registry's ``size_exponent``). The runs table shows each run's estimate next to
its measured time.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cnn_core.keras_code.book_models import cats_vs_dogs_convnet, mnist_convnet
from cnn_core.keras_code.code_writer import stack_to_code
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.training.custom_model import CostTerms, cost_terms, model_fingerprint, read_model
from cnn_core.training.machine import PROBES, Calibration, speed_factor
from cnn_core.training.precision import expected_precision
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunRecord

REFERENCE_SIZE = 180
MEASURED_IMAGES_PER_SECOND = {
    (name, base): ips for name, s in STRATEGIES.items() for base, ips in s.images_per_second.items()
}
"""Steady-state training images per second at 180 px (MNIST at 28 px) on the reference machine, from the registry."""
FEATURE_PASS_IMAGES_PER_SECOND = {base: ips for s in STRATEGIES.values() for base, ips in s.feature_pass.items()}
"""One pass of the frozen base over the images (feature extraction's first step, skipped when cached)."""
STARTUP_SECONDS = 7.0
"""A run's wall time outside its epochs and its test pass on the reference machine: starting the trainer, importing
TensorFlow, reading and resizing the images (7-9 s measured by ``bench/lecture.py --fresh`` on 2 cores); scaled
by the calibration's ``startup`` probe elsewhere."""
SMALL_CUSTOM, LARGE_CUSTOM = "mnist_cnn", "scratch"
"""The registry entries whose models anchor a learner's model's cost on this machine (:func:`machine_scales`)."""
ANCHOR_MODELS = {SMALL_CUSTOM: lambda size: mnist_convnet(), LARGE_CUSTOM: cats_vs_dogs_convnet}
"""Their models, by image size (the MNIST convnet has one)."""
FALLBACK_IMAGES_PER_SECOND = 50.0
FEATURE_PASS_RUNNER_RATIO = 0.6
"""A run's feature pass over the probe's forward pass on the same machine: it also reads, decodes and resizes every
image (``bench/lecture.py --fresh`` on one core: 10.7 s for 1,800 images against the probe's 304 images/s)."""
DISTURBED_OTHERS = 0.25
"""A run during which other processes took more than this share of the machine shared the CPU: not counted."""
DISTURBED_SHARE = 0.7
"""Without that measure: a run whose own CPU share is below this fraction of its kind's best is not counted."""
Basis = Literal["same_runs", "family_runs", "calibration", "model"]


def workload(config: RunConfig, counts: dict[str, dict[str, int]]) -> tuple[int, int, int]:
    """``(training, validation, test images)`` the run will use: per class ``min(count, limit_per_class)`` of the
    training and validation splits (all of them without a limit), the whole test split, any number of classes."""
    limit = config.limit_per_class

    def used(split: str, limited: bool = True) -> int:
        return sum(min(n, limit) if limit and limited else n for n in counts.get(split, {}).values())

    return used("train"), used("validation"), used("test", limited=False)


def _model_ips(config: RunConfig, precision: str) -> float:
    """The registry's cost model: images per second of ``config`` in ``precision`` on the reference machine."""
    entry = config.strategy_entry
    base = (entry.measured_images_per_second(config.base) or FALLBACK_IMAGES_PER_SECOND) * entry.precision_speedup.get(
        precision, 1.0
    )
    return base if config.is_mnist else base * (REFERENCE_SIZE / config.image_size) ** entry.size_exponent


def _anchor_config(probe: str, base: str = "efficientnet_lite0") -> RunConfig:
    kind = PROBES[probe]
    return RunConfig(kind.anchor, "anchor", base=base, image_size=max(kind.size, 32))


def _calibrated_ips(config: RunConfig, precision: str, calibration: Calibration | None) -> float | None:
    """``measured anchor figure x model(config) / model(anchor at the probe's size)``: this machine's own speed for
    the probe's strategy at its lecture size, carried to ``config`` by the registry's relative costs (another
    strategy on the same work, another size by its exponent, another precision by its measured speed-up; float32
    from the probe's own float32 figure where it has one)."""
    probe_name = config.strategy_entry.probe
    if calibration is None or probe_name not in calibration.probes or probe_name == "base_forward":
        return _base_ips(config, precision, calibration) if probe_name == "base_forward" else None
    probe = calibration.probes[probe_name]
    value, measured_in = probe.value, probe.precision
    if precision == "fp32" and probe.float32:
        value, measured_in = probe.float32, "fp32"
    anchor = _model_ips(_anchor_config(probe_name), measured_in)
    return value * PROBES[probe_name].runner_ratio * _model_ips(config, precision) / anchor


def _base_ips(config: RunConfig, precision: str, calibration: Calibration | None) -> float | None:
    """A strategy training through the frozen base: its registry figure relative to the base's forward pass (both
    at the reference), times this machine's forward pass (``base_forward``), by pixels from the probe's size."""
    if calibration is None or "base_forward" not in calibration.probes:
        return None
    probe, kind = calibration.probes["base_forward"], PROBES["base_forward"]
    anchor = STRATEGIES[kind.anchor].feature_pass.get("efficientnet_lite0", 30.0) * (REFERENCE_SIZE / kind.size) ** 2
    return probe.value * kind.runner_ratio * _model_ips(config, precision) / anchor


@dataclass(frozen=True)
class LearnerModelCost:
    """Seconds per training image of a learner's model on the reference machine in float32: ``per_image +
    per_weight * trainable weights / batch + per_activation * activations + per_conv_mac * conv multiply-adds +
    per_other_mac * other multiply-adds`` (:class:`~cnn_core.training.custom_model.CostTerms`; fitted by
    ``bench/custom_cost.py --fit`` over 14 published listings and batch sizes, each left out in turn within 0.70-1.38x
    of its measured time; :func:`custom_throughput` carries it to this machine)."""

    per_image: float
    per_weight: float
    per_activation: float
    per_conv_mac: float
    per_other_mac: float

    def fixed(self, terms: CostTerms, batch: int) -> float:
        """What an image costs besides its multiply-adds: feeding it, its share of a batch's weight update, and the
        element-wise work over every layer's output."""
        return self.per_image + self.per_weight * terms.params / max(batch, 1) + self.per_activation * terms.activations

    def multiply_adds(self, terms: CostTerms) -> float:
        return self.per_conv_mac * terms.conv_macs + self.per_other_mac * terms.other_macs


LEARNER_MODEL_COST = LearnerModelCost(
    per_image=5.730e-06, per_weight=7.295e-09, per_activation=2.877e-09, per_conv_mac=8.495e-12, per_other_mac=0.0
)
"""``bench/custom_cost.py --fit --budget 6`` on the reference machine (2-core AMD EPYC, avx512f avx512_bf16, float32).
A Dense layer's multiply-adds cost nothing beyond its weights' update there: its weights term carries it."""


@functools.cache
def _anchor_terms(name: str, image_size: int) -> CostTerms:
    model = ANCHOR_MODELS[name](image_size)
    return cost_terms(read_model(stack_to_code(model.input_shape, model.layers))[1])


def machine_scales(calibration: Calibration | None = None, precision: str = "fp32") -> tuple[float, float]:
    """``(fixed, multiply-add)`` scales of :data:`LEARNER_MODEL_COST` on this machine: the two that make it give the
    two anchors' speeds here (the book's MNIST convnet, mostly fixed cost, and its cats-vs-dogs convnet, mostly
    multiply-adds; this machine's calibrated figures, the registry's before calibration): ``s_f * fixed_i + s_m *
    macs_i = seconds_i`` for both. Where that has no positive solution, one scale for both, from their sum."""
    rows = []
    for name, size in (
        (SMALL_CUSTOM, 28),
        (LARGE_CUSTOM, PROBES["book_convnet"].size if calibration else REFERENCE_SIZE),
    ):
        config = RunConfig(name, "anchor", image_size=max(size, 32))
        ips = _calibrated_ips(config, precision, calibration) or _model_ips(config, precision)
        terms = _anchor_terms(name, size)
        batch = STRATEGIES[name].batch_size
        rows.append((LEARNER_MODEL_COST.fixed(terms, batch), LEARNER_MODEL_COST.multiply_adds(terms), 1 / ips))
    (f1, m1, t1), (f2, m2, t2) = rows
    determinant = f1 * m2 - f2 * m1
    if determinant:
        fixed, macs = (t1 * m2 - t2 * m1) / determinant, (f1 * t2 - f2 * t1) / determinant
        if fixed > 0 and macs > 0:
            return fixed, macs
    both = (t1 + t2) / (f1 + m1 + f2 + m2)
    return both, both


def custom_throughput(
    terms: CostTerms, batch: int = 32, calibration: Calibration | None = None, precision: str = "fp32"
) -> float:
    """Training images per second of a learner's model: ``1 / (s_f * fixed + s_m * multiply-adds)``, the parts of
    :data:`LEARNER_MODEL_COST` (a convolution's multiply-add and a Dense layer's priced apart, each batch paying for
    updating every weight) scaled to this machine by :func:`machine_scales`."""
    fixed_scale, macs_scale = machine_scales(calibration, precision)
    cost = LEARNER_MODEL_COST
    return 1 / (fixed_scale * cost.fixed(terms, batch) + macs_scale * cost.multiply_adds(terms))


def _model_key(config: RunConfig) -> str | None:
    if config.is_custom:
        return model_fingerprint(config.model_code, config.model_names, config.model_blocks)
    return config.base if config.uses_pretrained_base else None


def _key(config: RunConfig, precision: str) -> tuple[str, str | None, str]:
    return config.strategy, _model_key(config), precision


def _record_key(record: RunRecord) -> tuple[str, str | None, str]:
    return _key(record.config, record.status.get("precision", "fp32"))


def _steady_ips(record: RunRecord) -> list[float]:
    return [e["images_per_second"] for e in record.epochs[1:] if e.get("images_per_second")]


def cpu_share(record: RunRecord) -> float | None:
    """The median over a run's epochs of ``CPU seconds / (wall seconds * cores)`` of its trainer (``None`` for a run
    recorded before trainers measured it): near 1 alone on the machine for a model that keeps every core busy,
    lower when another process took the CPU."""
    cores = record.status.get("cores") or 1
    shares = [
        e["cpu_seconds"] / (e["seconds"] * cores)
        for e in record.epochs[1:]
        if e.get("cpu_seconds") and e.get("seconds")
    ]
    return statistics.median(shares) if shares else None


def others_share(record: RunRecord) -> float | None:
    """The median over a run's epochs of ``CPU seconds every other process (and the hypervisor) took / (wall seconds
    * the machine's CPUs)``: near 0 when the run had the machine to itself, 0.5 beside a process that kept one of two
    cores busy (``None`` for a run recorded before trainers measured it, or off Linux)."""
    cpus = record.status.get("machine_cpus") or record.status.get("cores") or 1
    shares = [
        e["others_cpu_seconds"] / (e["seconds"] * cpus)
        for e in record.epochs[1:]
        if e.get("others_cpu_seconds") is not None and e.get("seconds")
    ]
    return statistics.median(shares) if shares else None


def undisturbed(records: Sequence[RunRecord]) -> list[RunRecord]:
    """``records`` (of one kind) without those that shared the CPU: other processes took more than
    :data:`DISTURBED_OTHERS` of the machine while they trained; for runs that did not measure that, a CPU share of
    their own below :data:`DISTURBED_SHARE` of the best of the kind's runs. (A run's own share alone says little: a
    small model keeps fewer cores busy than a large one, undisturbed.)"""
    kept = []
    unmeasured = [r for r in records if others_share(r) is None]
    shares = [s for s in (cpu_share(r) for r in unmeasured) if s is not None]
    best = max(shares, default=0.0)
    for r in records:
        others = others_share(r)
        if others is not None:
            if others <= DISTURBED_OTHERS:
                kept.append(r)
        elif not best or (cpu_share(r) or best) >= DISTURBED_SHARE * best:
            kept.append(r)
    return kept


def _finished(history: Iterable[RunRecord]) -> list[RunRecord]:
    return [
        r
        for r in history
        if r.config and len(r.epochs) >= 2 and r.status.get("wall_seconds") and not r.is_recorded and r.test
    ]


def _same_kind(
    config: RunConfig, history: Iterable[RunRecord], calibration: Calibration | None = None
) -> list[RunRecord]:
    key = _key(config, expected_precision(config.precision, config.strategy_entry.automatic_speedups))
    same = [r for r in _finished(history) if _record_key(r) == key and r.config.image_size == config.image_size]
    return undisturbed(same)


def _custom_terms(config: RunConfig) -> CostTerms | None:
    return _listing_terms(config.model_code, config.model_names, tuple(config.model_blocks))


@functools.lru_cache(maxsize=256)
def _listing_terms(code: str, names: str, blocks: tuple[str, ...]) -> CostTerms | None:
    """A listing's cost terms, read once per listing: the lab's every rerun refines with each past own-model run."""
    try:
        return cost_terms(read_model(code, names, blocks)[1])
    except (LayerCodeError, ValueError):
        return None


def custom_refinement(
    history: Iterable[RunRecord], calibration: Calibration | None = None, terms_of=_custom_terms
) -> tuple[float, int]:
    """``(median of measured / predicted images per second, runs)`` over this machine's undisturbed finished runs of
    learners' own models: how far :func:`custom_throughput` is off here. Only a learner's model's estimate uses it."""
    own = [r for r in _finished(history) if r.config.is_custom and _steady_ips(r)]
    ratios = []
    for r in undisturbed(own):
        terms = terms_of(r.config)
        if terms is not None:
            batch = r.config.effective_batch_size
            predicted = custom_throughput(terms, batch, calibration, r.status.get("precision", "fp32"))
            ratios.append(statistics.median(_steady_ips(r)) / predicted)
    return (statistics.median(ratios), len(ratios)) if ratios else (1.0, 0)


def throughput(
    config: RunConfig,
    history: Iterable[RunRecord] = (),
    precision: str | None = None,
    calibration: Calibration | None = None,
) -> float:
    """Images per second for ``config`` in ``precision`` (default: what this machine will choose): the median of
    undisturbed finished runs of its kind, else this machine's calibrated figure carried to it (:func:`_calibrated_ips`),
    else the registry's cost model (a learner's model: :func:`custom_throughput`, refined by this machine's own-model
    runs)."""
    history = list(history)
    precision = precision or expected_precision(config.precision, config.strategy_entry.automatic_speedups)
    same = [
        ips
        for r in undisturbed(
            [
                r
                for r in history
                if r.config and _record_key(r) == _key(config, precision) and r.config.image_size == config.image_size
            ]
        )
        for ips in _steady_ips(r)
    ]
    if same:
        return float(statistics.median(same))
    if config.is_custom:  # its multiply-adds are counted at its own input size
        terms = _custom_terms(config)
        if terms is None:
            return FALLBACK_IMAGES_PER_SECOND
        refinement = custom_refinement(history, calibration)[0]
        return custom_throughput(terms, config.effective_batch_size, calibration, precision) * refinement
    return _calibrated_ips(config, precision, calibration) or _model_ips(config, precision)


def startup_seconds(calibration: Calibration | None = None) -> float:
    """:data:`STARTUP_SECONDS` over this machine's ``startup`` factor (its TensorFlow import against the reference's)."""
    return STARTUP_SECONDS / (speed_factor(calibration, "startup") or 1.0)


def estimate_seconds(
    config: RunConfig,
    n_train: int,
    n_validation: int = 0,
    history: Iterable[RunRecord] = (),
    features_cached: bool = False,
    n_test: int = 0,
    calibration: Calibration | None = None,
) -> float:
    """``startup + (epochs * (n_train + n_validation / 3) + n_test / 3) / throughput`` (+ one pass of the base over
    all the images when its features are not cached): an evaluated image costs about a third of a trained one, the
    validation images are evaluated every epoch and the test images once."""
    precision = expected_precision(config.precision, config.strategy_entry.automatic_speedups)
    ips = throughput(config, list(history), precision, calibration)
    work = (config.effective_epochs * (n_train + n_validation / 3) + n_test / 3) / ips
    if config.strategy_entry.feature_pass and not features_cached:
        work += feature_pass_seconds(config, n_train + n_validation + n_test, calibration)
    return startup_seconds(calibration) + work


def feature_pass_seconds(config: RunConfig, images: int, calibration: Calibration | None = None) -> float:
    """``images / (base images per second * precision speed-up * (180 / image size)^2)``: the frozen base's one pass
    over the images, by the cost model, or from this machine's ``base_forward`` probe (by pixels from its size)."""
    pass_speedups = config.strategy_entry.feature_pass_speedup
    speedup = pass_speedups.get(expected_precision(config.precision, pass_speedups), 1.0)
    base_ips = config.strategy_entry.feature_pass.get(config.base, 30.0) * speedup
    reference = base_ips * (REFERENCE_SIZE / config.image_size) ** 2
    if calibration is not None and "base_forward" in calibration.probes:
        kind = PROBES["base_forward"]
        lite0 = STRATEGIES[kind.anchor].feature_pass.get("efficientnet_lite0", 30.0) * (REFERENCE_SIZE / kind.size) ** 2
        reference *= calibration.probes["base_forward"].value * FEATURE_PASS_RUNNER_RATIO / lite0
    return images / reference


SIZES_APART = 1.5
"""Runs of one kind tell an epoch's fixed cost from its cost per image once the most images they trained on are at
least this many times the fewest."""


def epoch_seconds_line(runs: Sequence[RunRecord]) -> tuple[float, float]:
    """``(a, b)`` of ``steady epoch seconds = a + b * training images`` for runs of one kind: the least-squares line
    through each run's median steady epoch (its images ``images per second * seconds``) when the runs trained on
    numbers of images :data:`SIZES_APART` apart; else, or when the line would give a negative ``a`` or ``b``,
    ``a = 0`` and ``b`` the median seconds per image (an epoch's fixed cost then goes with its images, and a run
    on more images is estimated long: the callbacks, the validation iterator and the epoch's first steps cost the same
    on 100 images as on 2,000)."""
    points = []
    for r in runs:
        steady = [e for e in r.epochs[1:] if e.get("images_per_second") and e.get("seconds")]
        if steady:
            images = statistics.median(e["images_per_second"] * e["seconds"] for e in steady)
            points.append((images, statistics.median(e["seconds"] for e in steady)))
    if not points:
        return 0.0, statistics.median(1 / ips for r in runs for ips in _steady_ips(r))
    proportional = 0.0, statistics.median(seconds / images for images, seconds in points)
    sizes = [images for images, _ in points]
    if max(sizes) < SIZES_APART * min(sizes):
        return proportional
    mean_images, mean_seconds = statistics.fmean(sizes), statistics.fmean(s for _, s in points)
    slope = sum((n - mean_images) * (s - mean_seconds) for n, s in points) / sum((n - mean_images) ** 2 for n in sizes)
    intercept = mean_seconds - slope * mean_images
    return (intercept, slope) if slope > 0 and intercept >= 0 else proportional


@dataclass(frozen=True)
class Estimate:
    seconds: float
    basis: Basis
    """What it stands on: earlier runs of the same kind on this machine (``runs`` of them), this machine's runs of
    the same family (a learner's models) or its calibration, or the reference machine's cost model alone."""
    runs: int = 0


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
    calibration: Calibration | None = None,
) -> Estimate:
    """The expected wall time of ``config`` on ``n_train`` training, ``n_validation`` validation and ``n_test``
    test images on this machine (``calibration``). ``features_cached`` (feature extraction) is guessed from the
    history when not given.

    With undisturbed finished runs of the same kind: ``fixed + feature pass + first-epoch extra + epochs * (a + b *
    n_train)``, the epoch's line from :func:`epoch_seconds_line`, the others the median of those runs (an epoch's
    seconds include its validation pass; with early stopping, the epochs are as many as those runs trained; the
    feature pass as long as it took in the run that computed it, none when the features are cached). Otherwise :func:`estimate_seconds` on the calibration.
    """
    if features_cached is None:
        features_cached = features_probably_cached(config, history)
    same = _same_kind(config, history, calibration)
    if same:
        first_extra, fixed, passes = [], [], []
        for r in same:
            steady_seconds = statistics.median(e["seconds"] for e in r.epochs[1:])
            first_extra.append(max(0.0, r.epochs[0]["seconds"] - steady_seconds))
            feature_pass = float(r.status.get("feature_pass_seconds") or 0.0)
            passes.append(feature_pass)
            fixed.append(max(0.0, r.status["wall_seconds"] - sum(e["seconds"] for e in r.epochs) - feature_pass))
        epochs = config.effective_epochs
        if config.early_stopping_patience or config.strategy_entry.early_stopping_patience:
            epochs = min(epochs, round(statistics.median(len(r.epochs) for r in same)))  # where they stopped
        feature_pass = 0.0
        if config.strategy_entry.feature_pass and not features_cached:  # the slowest pass: one that computed
            feature_pass = max(passes) or feature_pass_seconds(config, n_train + n_validation + n_test, calibration)
        per_epoch, per_image = epoch_seconds_line(same)
        seconds = (
            statistics.median(fixed)
            + feature_pass
            + statistics.median(first_extra)
            + epochs * (per_epoch + n_train * per_image)
        )
        return Estimate(seconds, "same_runs", len(same))
    seconds = estimate_seconds(
        config, n_train, n_validation, history, features_cached=features_cached, n_test=n_test, calibration=calibration
    )
    if config.is_custom:
        family_runs = custom_refinement(history, calibration)[1]
        if family_runs:
            return Estimate(seconds, "family_runs", family_runs)
    return Estimate(seconds, "calibration" if calibration else "model")
