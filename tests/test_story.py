"""The story's criteria on real recorded epoch logs, and the lecture presets as the one source of the plan."""

import dataclasses

import pytest

from cnn_core.runs.recorded import recorded_runs
from cnn_core.runs.story import (
    LESSONS,
    STORY,
    StoryKind,
    _not_worse,
    criteria,
    final_gap,
    finish_plan,
    max_gap,
    queue_story,
    recorded_story,
    replay_position,
    replayed,
    replayed_story,
    stories,
    story_facts,
    story_plan,
    val_loss_turns_up,
)
from cnn_core.training.estimate import Estimate
from cnn_core.training.registry import STRATEGIES, Workload
from cnn_core.training.run_config import RunConfig, apply_preset, preset_changes, preset_epochs
from cnn_core.training.run_store import RunState, RunStore


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


def test_every_lesson_holds_on_the_recorded_book_length_runs():
    """The shipped recordings (180 px, the book's epochs, a 2-core CPU), checked as a prepared story: all five of
    the book's lessons, the finer ones too. Checked as live runs they would fail the time limits: the book's length
    is no lecture material."""
    story = recorded_story(recorded_runs())
    assert story.kind == StoryKind.RECORDED and [r.config.strategy for r in story.records] == list(STORY)
    facts = story_facts(story.records)
    seen = {(c.strategy, c.key): c for c in criteria(facts, StoryKind.RECORDED)}
    assert {c.holds for c in seen.values()} == {True} and {c.kind for c in seen.values()} == {StoryKind.RECORDED}
    assert seen[("scratch", "val_loss_turns_up")].holds  # minimum at epoch 10, 2.41 at epoch 30
    assert seen[("scratch_augmented", "augmented_overfits_later")].value == "57 ≥ 3 × 10"
    assert seen[("fine_tuning", "fine_tuning_not_worse")].value == "98.6% ≥ 98.8% − 0.5%"  # within noise
    assert ("scratch", "preset_fits") not in seen and ("scratch_augmented", "augmented_gap_small") not in seen
    live = {(c.strategy, c.key): c.holds for c in criteria(facts, StoryKind.LIVE)}
    assert not live[("scratch", "preset_fits")] and live[("feature_extraction", "preset_fits")]
    assert not live[("fine_tuning", "story_fits")]  # 89 minutes in all
    assert not live[("scratch_augmented", "augmented_gap_small")]  # after 100 epochs it pulls apart (later)
    assert ("scratch_augmented", "augmented_beats_scratch") not in live  # a lecture run cannot show it


def test_each_lesson_is_checked_on_the_stories_that_can_show_it():
    live = {lesson.key for lesson in LESSONS if StoryKind.LIVE in lesson.kinds}
    prepared = {lesson.key for lesson in LESSONS if StoryKind.PREPARED in lesson.kinds}
    assert {"scratch_learns", "scratch_overfits", "features_far_above_scratch"} <= live & prepared
    assert {"augmented_beats_scratch", "augmented_features_not_worse", "fine_tuning_not_worse"} <= prepared - live
    assert {"preset_fits", "story_fits"} <= live - prepared


def test_criteria_wait_for_the_runs_they_need():
    facts = {k: v for k, v in story_facts(recorded_runs()).items() if k == "scratch"}
    by_key = {c.key: c for c in criteria(facts, StoryKind.PREPARED)}
    assert by_key["scratch_learns"].holds is True and by_key["scratch_learns"].value == "71.8%"
    assert by_key["augmented_beats_scratch"].holds is None and by_key["features_high"].holds is None
    assert by_key["fine_tuning_not_worse"].holds is None
    assert [c.holds for c in criteria(facts, StoryKind.LIVE) if c.key == "story_fits"] == [None]


def test_not_worse_allows_the_noise_of_a_thousand_test_images():
    """Half a point, five test images: 98.6% after 98.8% holds, 97.0% after 98.8% does not."""
    assert _not_worse(0.986, 0.988) == (True, "98.6% ≥ 98.8% − 0.5%")
    assert _not_worse(0.970, 0.988)[0] is False and _not_worse(None, 0.9)[0] is None


def test_a_replay_grows_each_run_to_its_own_end_and_checks_it_there():
    """Position in epochs from the anchor and the time since; a run shows its epochs up to the position, and its
    test result (so its lessons) only once the replay has passed its last epoch."""
    assert replay_position(0, 30, 60, 100, playing=True) == 50.0  # 100 epochs in 60 s: half way after 30 s
    assert replay_position(40, 30, 60, 100, playing=False) == 40.0  # paused
    assert replay_position(90, 30, 60, 100, playing=True) == 100.0 and replay_position(-3, 0, 60, 100, False) == 0.0
    story = recorded_story(recorded_runs())
    assert story.longest == 100
    scratch, augmented = story.records[0], story.records[1]
    at_20 = replayed(scratch, 20)
    assert len(at_20.epochs) == 20 and at_20.test is None and scratch.test is not None
    assert replayed(scratch, 30).test == scratch.test and len(replayed(augmented, 30.5).epochs) == 30
    facts = story_facts([replayed(r, 20) for r in story.records])
    assert set(facts) == {"feature_extraction", "feature_extraction_augmented", "fine_tuning"}  # 20, 5, 5 epochs


def test_stories_are_grouped_by_their_tag_and_the_newest_complete_prepared_one_is_replayed(tmp_path):
    store = RunStore(tmp_path)
    counts = {s: {"cat": n, "dog": n} for s, n in (("train", 1000), ("validation", 500), ("test", 500))}

    def queue(kind):
        plan = story_plan("data/cats", "efficientnet_lite0", counts, kind=kind, seed=7)
        return queue_story(store, plan, lambda s, c, n, **k: s.create(c, n, k["estimated_seconds"], owner=k["owner"], story=k["story"]), kind=kind)  # fmt: skip

    first = queue(StoryKind.PREPARED)
    live = queue(StoryKind.LIVE)
    recorded = recorded_runs()
    replay, preparing = replayed_story(store.list(), recorded)
    assert replay.kind == StoryKind.RECORDED and [r.run_id for r in preparing.records] == first  # still training
    for run_id, record in zip(first, recorded_story(recorded).records, strict=True):
        store.writer(run_id).test(record.test)
    replay, preparing = replayed_story(store.list(), recorded)
    assert replay.kind == StoryKind.PREPARED and [r.run_id for r in replay.records] == first and preparing is None
    assert replay.complete and {r.config.seed for r in replay.records} == {7}
    book = [r.config for r in replay.records]
    assert [(c.image_size, c.limit_per_class, c.effective_epochs) for c in book][:2] == [(180, None, 30), (180, None, 100)]  # fmt: skip
    [story] = stories(store.list(), StoryKind.LIVE)
    assert [r.run_id for r in story.records] == live and not story.complete
    assert {r.story["kind"] for r in story.records} == {"live"} and len({r.story["id"] for r in story.records}) == 1


def test_a_story_stopped_short_is_finished_with_its_own_settings_into_the_same_story(tmp_path):
    """3b was interrupted (the laptop closed) and fine-tuning, waiting for it, failed: finishing queues those two,
    as queued before (seed, size, epochs), into the same story; fine-tuning continues the new 3b run. The story
    then shows each strategy's finished run, not the interrupted one."""
    store = RunStore(tmp_path)
    counts = {s: {"cat": n, "dog": n} for s, n in (("train", 1000), ("validation", 500), ("test", 500))}
    create = lambda s, c, n, **k: s.create(c, n, k["estimated_seconds"], owner=k["owner"], story=k["story"])  # noqa: E731
    plan = story_plan("data/cats", "efficientnet_lite0", counts, kind=StoryKind.PREPARED, seed=7)
    plan[0] = dataclasses.replace(plan[0], config=dataclasses.replace(plan[0].config, epochs=12))  # a variant
    ids = queue_story(store, plan, create, kind=StoryKind.PREPARED)
    recorded = recorded_story(recorded_runs()).records
    for run_id, record in zip(ids[:3], recorded, strict=False):
        store.writer(run_id).test(record.test)
        store.set_status(run_id, state=RunState.COMPLETED)
    store.set_status(ids[3], state=RunState.INTERRUPTED)
    store.set_status(ids[4], state=RunState.QUEUED)
    [story] = stories(store.list(), StoryKind.PREPARED)
    with pytest.raises(ValueError, match="still training"):
        finish_plan(story, counts)  # fine-tuning is still queued: nothing is finished by hand yet
    store.set_status(ids[4], state=RunState.FAILED)
    [story] = stories(store.list(), StoryKind.PREPARED)
    finish = finish_plan(story, counts, store.list())
    assert [p.config for p in finish] == [dataclasses.replace(store.load(i).config, start_from=None) for i in ids[3:]]
    assert all(p.estimate.seconds > 0 for p in finish)
    again = queue_story(store, finish, create, finishing=story)
    assert [store.load(i).story for i in again] == [store.load(ids[0]).story] * 2
    assert store.load(again[1]).config.start_from == again[0]  # the new 3b, not the interrupted one
    [story] = stories(store.list(), StoryKind.PREPARED)
    assert [r.run_id for r in story.records] == ids[:3] + again and story.active  # the reruns stand for 3b and FT
    for run_id, record in zip(again, recorded[3:], strict=True):
        store.writer(run_id).test(record.test)
        store.set_status(run_id, state=RunState.COMPLETED)
    [story] = stories(store.list(), StoryKind.PREPARED)
    assert story.complete and finish_plan(story, counts) == []
    assert story.records[0].config.epochs == 12 and {r.config.seed for r in story.records} == {7}
    only_ft = dataclasses.replace(story, records=story.records[:4])  # fine-tuning deleted: it continues the 3b kept
    [ft] = finish_plan(only_ft, counts)
    assert ft.config.strategy == "fine_tuning" and ft.config.seed == 7 and ft.config.image_size == 180
    assert ft.config == dataclasses.replace(story.records[4].config, start_from=None)  # the story's preset, name too
    [ft_id] = queue_story(store, [ft], create, finishing=only_ft)
    assert store.load(ft_id).config.start_from == again[0]


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
    ids = queue_story(store, plan, lambda store, config, name, estimated_seconds, owner, story: store.create(config, name, estimated_seconds, owner=owner))  # fmt: skip
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
