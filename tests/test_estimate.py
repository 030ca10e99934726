import pytest

from cnn_core.training.estimate import (
    FEATURE_PASS_IMAGES_PER_SECOND,
    MEASURED_IMAGES_PER_SECOND,
    STARTUP_SECONDS,
    epoch_seconds_line,
    estimate,
    estimate_seconds,
    features_probably_cached,
    throughput,
    workload,
)
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunRecord


def _record(config, ips):
    epochs = [{"images_per_second": 1.0}] + [{"images_per_second": v} for v in ips]
    return RunRecord("20261125-000000-aaaaaa", None, config, {"state": "completed"}, {}, epochs=epochs)


def test_estimate_is_throughput_times_work():
    config = RunConfig("scratch", "d", image_size=180, epochs=30)
    # 30 epochs x (2000 + 1000/3) images / 49 img/s
    assert round(estimate_seconds(config, 2000, 1000)) == round(STARTUP_SECONDS + 30 * (2000 + 1000 / 3) / 49)


def test_smaller_images_are_faster_and_history_wins():
    small = RunConfig("scratch", "d", image_size=90)  # half the side: the measured exponent, not the pixel count
    exponent = small.strategy_entry.size_exponent
    assert exponent > 2 and throughput(small) == pytest.approx(2**exponent * throughput(RunConfig("scratch", "d")))
    config = RunConfig("feature_extraction", "d")
    assert throughput(config, [_record(config, [500.0, 700.0, 600.0])]) == 600.0
    other = RunConfig("feature_extraction", "d", base="vgg16")
    assert (
        throughput(config, [_record(other, [5.0])])
        == MEASURED_IMAGES_PER_SECOND[("feature_extraction", "efficientnet_lite0")]
    )


def test_uncached_features_add_a_base_pass():
    config = RunConfig("feature_extraction", "d")
    base_pass = 4000 / FEATURE_PASS_IMAGES_PER_SECOND["efficientnet_lite0"]
    assert estimate_seconds(config, 2000, 2000) == pytest.approx(
        estimate_seconds(config, 2000, 2000, features_cached=True) + base_pass
    )


def test_the_estimate_knows_the_precision(monkeypatch):
    """On a bfloat16 CPU the cost model uses the strategy's measured speed-up; a run forced to float32 does not."""
    from cnn_core.training import estimate as estimate_module
    from cnn_core.training.run_config import RunConfig

    monkeypatch.setenv("CNN_CLASSROOM_PRECISION", "auto")
    monkeypatch.setattr(estimate_module, "expected_precision", lambda requested, speedups=None: "fp32" if requested == "float32" else ("fp32" if (speedups or {}).get("bf16", 1.0) < 1 else "bf16"))  # fmt: skip
    auto = RunConfig("scratch", "synthetic", epochs=10)
    forced = RunConfig("scratch", "synthetic", epochs=10, precision="float32")
    fast, slow = (estimate_module.estimate_seconds(c, 2000, 1000) for c in (auto, forced))
    speedup = auto.strategy_entry.precision_speedup["bf16"]
    assert (slow - estimate_module.STARTUP_SECONDS) / (fast - estimate_module.STARTUP_SECONDS) == pytest.approx(speedup)


def test_test_images_are_evaluated_once_and_the_limit_leaves_the_test_split_whole():
    config = RunConfig("scratch", "d", image_size=180, epochs=30, limit_per_class=500)
    seconds = estimate_seconds(config, 1000, 1000, n_test=2000)
    assert seconds == pytest.approx(STARTUP_SECONDS + (30 * (1000 + 1000 / 3) + 2000 / 3) / 49)
    counts = {"train": {"cat": 1000, "dog": 1000}, "validation": {"cat": 500, "dog": 500}, "test": {"cat": 1000, "dog": 1000}}  # fmt: skip
    assert workload(config, counts) == (1000, 1000, 2000)


def _finished_run(config, feature_pass_seconds, wall):
    epochs = [{"epoch": i, "seconds": 2.0, "images_per_second": 500.0} for i in range(1, 11)]
    status = {"state": "completed", "wall_seconds": wall, "feature_pass_seconds": feature_pass_seconds}
    return RunRecord("20261125-000000-aaaaaa", None, config, status, {}, epochs=epochs, test={"accuracy": 0.9})


def test_a_feature_pass_counts_only_while_the_features_are_not_cached():
    config = RunConfig("feature_extraction", "d", image_size=128, epochs=10, limit_per_class=300)
    cold = _finished_run(config, feature_pass_seconds=20.0, wall=20.0 + 20.0 + 5.0)  # pass + 10 epochs + fixed
    warm = _finished_run(config, feature_pass_seconds=0.1, wall=0.1 + 20.0 + 5.0)
    history = [cold, warm]
    assert features_probably_cached(config, history)
    cached = estimate(config, 600, 600, history)
    assert cached.basis == "same_runs" and cached.seconds == pytest.approx(5.05 + 10 * 600 / 500, abs=0.1)
    uncached = estimate(config, 600, 600, history, features_cached=False)
    assert uncached.seconds == pytest.approx(cached.seconds + 20.0)
    other_data = RunConfig("feature_extraction", "other", image_size=128, epochs=10, limit_per_class=300)
    assert not features_probably_cached(other_data, history)


def _sized_run(config, images, epoch_seconds, run_id):
    epochs = [{"epoch": 1, "seconds": epoch_seconds + 3.0, "images_per_second": images / (epoch_seconds + 3.0)}] + [
        {"epoch": i, "seconds": epoch_seconds, "images_per_second": images / epoch_seconds} for i in range(2, 6)
    ]
    status = {"state": "completed", "wall_seconds": 4.0 + sum(e["seconds"] for e in epochs)}
    return RunRecord(run_id, None, config, status, {}, epochs=epochs, test={"accuracy": 0.9})


def test_runs_on_two_numbers_of_images_tell_an_epochs_fixed_cost_from_its_cost_per_image():
    """Epochs of 2 s + 10 ms per image: a run on 200 images and one on 600 give the line, and a run on 2,000 images
    is estimated at 22 s an epoch (proportional to the small run alone: 2000 * 4 / 200 = 40 s, 1.8x long)."""
    config = RunConfig("scratch", "d", image_size=80, epochs=5)
    small = _sized_run(config, 200, 2.0 + 0.01 * 200, "20261125-000000-aaaaaa")
    large = _sized_run(config, 600, 2.0 + 0.01 * 600, "20261125-000001-bbbbbb")
    assert epoch_seconds_line([small, large]) == pytest.approx((2.0, 0.01))
    both = estimate(config, 2000, 0, [small, large])
    assert both.basis == "same_runs" and both.runs == 2
    assert both.seconds == pytest.approx(4.0 + 3.0 + 5 * (2.0 + 0.01 * 2000))
    alone = estimate(config, 2000, 0, [small])  # one size: what an epoch costs goes with its images
    assert epoch_seconds_line([small]) == pytest.approx((0.0, 4.0 / 200))
    assert alone.seconds == pytest.approx(4.0 + 3.0 + 5 * 2000 * 4.0 / 200)
    close = _sized_run(config, 250, 2.0 + 0.01 * 250, "20261125-000002-cccccc")  # 1.25x apart: too close to tell
    assert epoch_seconds_line([small, close])[0] == 0.0
