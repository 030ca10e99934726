"""How long a run will take: measured throughput x work, shown before launch.

Throughput (training images per second, 2-core CPU, 180 px) comes from this machine's finished
runs of the same strategy, base and image size when there are any, otherwise from the cost model of
the strategy's registry entry (measured by ``bench/training.py``, README). Other image sizes scale
with the pixel count.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from cnn_core.run_config import RunConfig
from cnn_core.run_store import RunRecord
from cnn_core.strategies import STRATEGIES

REFERENCE_SIZE = 180
MEASURED_IMAGES_PER_SECOND = {
    (name, base): ips for name, s in STRATEGIES.items() for base, ips in s.images_per_second.items()
}
"""Steady-state training images per second on 2 CPU cores at 180 px (MNIST at 28 px), from the registry."""
FEATURE_PASS_IMAGES_PER_SECOND = {base: ips for s in STRATEGIES.values() for base, ips in s.feature_pass.items()}
"""One pass of the frozen base over the images (feature extraction's first step, skipped when cached)."""
STARTUP_SECONDS = 5.0
FALLBACK_IMAGES_PER_SECOND = 50.0


def workload(config: RunConfig, counts: dict[str, dict[str, int]]) -> tuple[int, int]:
    """``(training images, validation + test images)`` the run will use: per class and split
    ``min(count, limit_per_class)`` (all of them without a limit), any number of classes."""
    limit = config.limit_per_class

    def used(split: str) -> int:
        return sum(min(n, limit) if limit else n for n in counts.get(split, {}).values())

    return used("train"), used("validation") + used("test")


def _key(config: RunConfig) -> tuple[str, str | None]:
    return config.strategy, config.base if config.uses_pretrained_base else None


def throughput(config: RunConfig, history: Iterable[RunRecord] = ()) -> float:
    """Images per second for ``config``: the median of matching finished runs, else the measured table."""
    same = [
        e["images_per_second"]
        for r in history
        if r.config and _key(r.config) == _key(config) and r.config.image_size == config.image_size
        for e in r.epochs[1:]
        if e.get("images_per_second")
    ]
    if same:
        return float(statistics.median(same))
    base = config.strategy_entry.measured_images_per_second(config.base) or FALLBACK_IMAGES_PER_SECOND
    if config.is_mnist:
        return base
    return base * (REFERENCE_SIZE / config.image_size) ** 2


def estimate_seconds(
    config: RunConfig, n_train: int, n_other: int = 0, history: Iterable[RunRecord] = (), features_cached: bool = False
) -> float:
    """``startup + epochs * n_train / throughput`` (+ one base pass over all images for uncached features).

    Validation images (``n_other``) cost about a third of a training image each.
    """
    ips = throughput(config, list(history))
    work = config.effective_epochs * (n_train + n_other / 3) / ips
    feature_pass = config.strategy_entry.feature_pass
    if feature_pass and not features_cached:
        base_ips = feature_pass.get(config.base, 30.0) * (REFERENCE_SIZE / config.image_size) ** 2
        work += (n_train + n_other) / base_ips
    return STARTUP_SECONDS + work
