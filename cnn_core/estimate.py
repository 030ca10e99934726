"""How long a run will take: measured throughput x work, shown before launch.

Throughput (training images per second, 2-core CPU, 180 px) comes from this machine's finished
runs of the same strategy, base and image size when there are any, otherwise from the figures
measured by ``bench/training.py`` (README). Other image sizes scale with the pixel count.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from cnn_core.run_config import RunConfig
from cnn_core.run_store import RunRecord

REFERENCE_SIZE = 180
MEASURED_IMAGES_PER_SECOND = {
    ("scratch", None): 49.0,
    ("scratch_augmented", None): 45.0,
    ("feature_extraction", "efficientnet_lite0"): 2000.0,
    ("feature_extraction_augmented", "efficientnet_lite0"): 64.0,
    ("fine_tuning", "efficientnet_lite0"): 40.0,
    ("feature_extraction", "vgg16"): 800.0,
    ("feature_extraction_augmented", "vgg16"): 12.0,
    ("fine_tuning", "vgg16"): 9.0,
    ("mnist_mlp", None): 40_000.0,
    ("mnist_cnn", None): 3_000.0,
}
"""Steady-state training images per second on 2 CPU cores at 180 px (MNIST at 28 px)."""
FEATURE_PASS_IMAGES_PER_SECOND = {"efficientnet_lite0": 190.0, "vgg16": 15.0}
"""One pass of the frozen base over the images (feature extraction's first step, skipped when cached)."""
STARTUP_SECONDS = 5.0


def _key(config: RunConfig) -> tuple[str, str | None]:
    uses_base = config.strategy.startswith(("feature", "fine"))
    return config.strategy, config.base if uses_base else None


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
    base = MEASURED_IMAGES_PER_SECOND.get(_key(config)) or MEASURED_IMAGES_PER_SECOND.get((config.strategy, None), 50.0)
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
    if config.strategy == "feature_extraction" and not features_cached:
        base_ips = FEATURE_PASS_IMAGES_PER_SECOND.get(config.base, 30.0) * (REFERENCE_SIZE / config.image_size) ** 2
        work += (n_train + n_other) / base_ips
    return STARTUP_SECONDS + work
