"""The story's criteria on real recorded epoch logs, and the lecture presets as the one source of the plan."""

import pytest

from cnn_core.runs.recorded import recorded_runs
from cnn_core.runs.story import (
    STORY,
    criteria,
    final_gap,
    max_gap,
    queue_story,
    story_facts,
    story_plan,
    val_loss_turns_up,
)
from cnn_core.training.estimate import Estimate
from cnn_core.training.registry import STRATEGIES, Workload
from cnn_core.training.run_config import RunConfig, apply_preset, preset_changes, preset_epochs
from cnn_core.training.run_store import RunStore


def _epochs(pairs):
    return [{"accuracy": a, "val_accuracy": v, "val_loss": loss} for a, v, loss in pairs]


def test_gap_and_val_loss_turning_up():
    epochs = _epochs([(0.6, 0.58, 0.7), (0.75, 0.66, 0.6), (0.9, 0.68, 0.62), (0.97, 0.7, 0.8)])
    assert max_gap(epochs) == pytest.approx(0.27)
    assert val_loss_turns_up(epochs)  # minimum at epoch 2, last 33% above it
    assert not val_loss_turns_up(epochs[:3])  # 0.62 is only 3% above 0.60
    assert not val_loss_turns_up(_epochs([(0.5, 0.5, 0.7), (0.6, 0.6, 0.6), (0.7, 0.7, 0.5)]))  # still falling
    assert max_gap([{"loss": 1.0}]) is None and not val_loss_turns_up([])
    assert final_gap(epochs) == pytest.approx((0.09 + 0.22 + 0.27) / 3)  # the last three of four epochs
    noisy = _epochs([(0.6, 0.6, 0.6)] * 6 + [(0.65, 0.57, 0.7), (0.66, 0.66, 0.6), (0.69, 0.65, 0.6)])
    assert max_gap(noisy) == pytest.approx(0.08) and final_gap(noisy) == pytest.approx(0.04)  # one noisy epoch


def test_criteria_on_the_recorded_book_length_runs():
    """The shipped recordings (180 px, the book's epochs, a 2-core CPU) as measured: what the book's story shows
    at full length, and where the book-length runs are no lecture material."""
    facts = story_facts(recorded_runs())
    assert set(facts) == set(STORY)
    seen = {(c.strategy, c.key): c.holds for c in criteria(facts)}
    assert seen[("scratch", "scratch_learns")] and seen[("scratch", "scratch_overfits")]
    assert seen[("scratch", "val_loss_turns_up")]  # minimum at epoch 10, 2.41 at epoch 30
    assert seen[("scratch_augmented", "augmented_beats_scratch")]
    assert not seen[("scratch_augmented", "augmented_gap_small")]  # after 100 epochs even it pulls 21 points apart
    assert seen[("feature_extraction", "features_high")]
    assert seen[("feature_extraction_augmented", "augmented_features_not_worse")]
    assert not seen[("fine_tuning", "fine_tuning_not_worse")]  # 98.6% after 98.8%: five epochs were too few
    assert not seen[("scratch", "preset_fits")] and seen[("feature_extraction", "preset_fits")]
    assert not seen[("fine_tuning", "story_fits")]  # 89 minutes in all


def test_criteria_wait_for_the_runs_they_need():
    facts = {k: v for k, v in story_facts(recorded_runs()).items() if k == "scratch"}
    by_key = {c.key: c for c in criteria(facts)}
    assert by_key["scratch_learns"].holds is True and by_key["scratch_learns"].value == "71.8%"
    assert by_key["augmented_beats_scratch"].holds is None and by_key["features_high"].holds is None
    assert "story_fits" not in by_key


def test_the_plan_is_the_registrys_lecture_presets(tmp_path):
    counts = {s: {"cat": n, "dog": n} for s, n in (("train", 1000), ("validation", 500), ("test", 500))}
    plan = story_plan("data/cats", "efficientnet_lite0", counts)
    assert [p.config.strategy for p in plan] == list(STORY)
    for p in plan:
        lecture = STRATEGIES[p.config.strategy].lecture
        assert p.config == apply_preset(RunConfig(p.config.strategy, "data/cats", name=p.config.strategy), "lecture")
        assert (p.config.image_size, p.config.limit_per_class) == (lecture.image_size, lecture.limit_per_class)
        assert p.config.effective_epochs == lecture.epochs == preset_epochs(p.config.strategy, "lecture")
        assert isinstance(p.estimate, Estimate) and p.estimate.seconds > 0 and p.estimate.basis == "model"
    store = RunStore(tmp_path)
    ids = queue_story(store, plan, lambda store, config, name, estimated_seconds, owner: store.create(config, name, estimated_seconds, owner=owner))  # fmt: skip
    records = [store.load(i) for i in ids]
    assert [r.config.strategy for r in records] == list(STORY)
    assert records[-1].config.start_from == ids[STORY.index("feature_extraction_augmented")]
    assert all(r.estimated_seconds and r.estimated_seconds > 0 for r in records)


def test_presets_say_what_they_change():
    assert preset_changes("scratch", "book") == []
    lecture = STRATEGIES["scratch"].lecture
    changes = dict((field, value) for field, _, value in preset_changes("scratch", "lecture"))
    assert changes["image_size"] == lecture.image_size < 180
    assert preset_changes("scratch", "quick") == preset_changes("scratch", "lecture")  # links with the old name
    with pytest.raises(ValueError, match="Unknown preset"):
        apply_preset(RunConfig("scratch", "d"), "fast")
    typed = apply_preset(RunConfig("scratch", "d", epochs=3, batch_size=8), "lecture")
    assert (typed.epochs, typed.batch_size) == (3, 8)  # what the user typed wins over the preset
    assert STRATEGIES["scratch"].workload("book") == Workload(180, None, 30, 32, None, None)
