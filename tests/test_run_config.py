import pytest

from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import DEFAULTS, RunConfig, apply_preset


def test_defaults_follow_the_book():
    assert (DEFAULTS["scratch"].epochs, DEFAULTS["scratch"].batch_size) == (30, 32)
    assert DEFAULTS["scratch_augmented"].epochs == 100
    assert (DEFAULTS["feature_extraction"].epochs, DEFAULTS["feature_extraction_augmented"].epochs) == (20, 50)
    assert (DEFAULTS["fine_tuning"].learning_rate, DEFAULTS["fine_tuning"].epochs) == (1e-5, 30)
    assert (DEFAULTS["mnist_mlp"].batch_size, DEFAULTS["mnist_mlp"].optimizer) == (200, "adam")
    assert (DEFAULTS["mnist_cnn"].epochs, DEFAULTS["mnist_cnn"].batch_size) == (5, 64)
    config = RunConfig("fine_tuning", "x", epochs=3)
    assert (config.effective_epochs, config.effective_learning_rate, config.effective_optimizer) == (3, 1e-5, "rmsprop")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strategy": "magic"},
        {"base": "alexnet"},
        {"image_size": 10},
        {"epochs": 0},
        {"batch_size": -1},
        {"learning_rate": 0.0},
        {"optimizer": "lbfgs"},
        {"strategy": "scratch", "image_size": 64},
    ],
    ids=["strategy", "base", "size", "epochs", "batch", "lr", "optimizer", "scratch-too-small"],
)
def test_bad_values_are_refused(kwargs):
    with pytest.raises(ValueError):
        RunConfig(**({"strategy": "scratch", "dataset": "d"} | kwargs))


def test_json_round_trip_and_presets():
    config = RunConfig("scratch_augmented", "/data/cats", image_size=150, epochs=7)
    import json

    assert RunConfig.from_dict(json.loads(config.to_json())) == config
    lecture = apply_preset(RunConfig("scratch_augmented", "d"), "lecture")
    preset = STRATEGIES["scratch_augmented"].lecture
    assert (lecture.image_size, lecture.limit_per_class, lecture.effective_epochs) == (preset.image_size, preset.limit_per_class, preset.epochs)  # fmt: skip
    assert apply_preset(RunConfig("scratch_augmented", "d"), "quick") == lecture  # links with the old name
    assert apply_preset(RunConfig("scratch", "d"), "book").image_size == 180
