"""The training lab's story section: the shipped recordings (or a prepared story) replayed beside the live lecture
runs, labelled, with the lessons checked on each kind; replay speed, pause and scrub in the URL."""

import json
import time

import pytest

from cnn_core.runs.jobs import stop
from cnn_core.runs.recorded import RECORDED_DIR
from cnn_core.runs.story import STORY, Story, StoryKind, queue_story, story_plan
from cnn_core.training.run_store import RunState, RunStore
from tests.helpers import assert_clean, run_page, wait_until_ended

PAGE = "app_pages/train.py"
COUNTS = {s: {"cat": n, "dog": n} for s, n in (("train", 1000), ("validation", 500), ("test", 500))}


def _tables(at):
    """The story's two tables: its runs (with a "Story" column) and its lessons (with "Checked on")."""
    runs = next(d.value for d in at.dataframe if "Story" in d.value.columns)
    lessons = next(d.value for d in at.dataframe if "Checked on" in d.value.columns)
    return runs, lessons


def test_a_fresh_clone_replays_the_shipped_recordings_with_every_lesson_holding(env):
    at = run_page(PAGE, train_dataset="synthetic")
    assert_clean(at)
    assert any(c.value.startswith("No complete prepared story on this server yet") for c in at.caption)
    runs, lessons = _tables(at)
    assert list(runs["Story"]) == ["Recording"] * 5
    longest = max(len(json.loads(p.read_text())["epochs"]) for p in RECORDED_DIR.glob("*.json"))
    assert list(runs["Epochs"])[1] == f"{longest} / {longest}"  # augmentation's 100 epochs, all shown
    assert set(lessons["Checked on"]) == {"recordings (book length)"}
    assert set(lessons["Holds"]) == {"✓"} and len(lessons) == 9  # all five lessons of the book, finer ones too
    assert at.slider(key="story_scrub").value == longest and at.button(key="train_story_view_play").label == "Replay"


def test_replay_scrub_and_pause_are_url_state_and_lessons_wait_for_the_replay(env):
    at = run_page(PAGE, train_dataset="synthetic", query={"story_epoch": "20", "story_speed": "15"})
    assert_clean(at)
    assert at.slider(key="story_scrub").value == 20 and at.selectbox(key="story_speed").value == 15
    runs, lessons = _tables(at)
    assert list(runs["Epochs"])[:2] == ["20 / 30", "20 / 100"]
    held = dict(zip(lessons["What the book shows"].str[:40], lessons["Holds"], strict=True))
    assert "✓" in held.values() and "…" in held.values()  # 3a ended at epoch 20; scratch and 3b not yet
    assert at.query_params["story_epoch"] == "20" and at.query_params["story_speed"] == "15"
    at.button(key="train_story_view_play").click().run()
    assert at.session_state["story_play"] is True and at.query_params["story_play"] == "1"
    assert all(slider.key != "story_scrub" for slider in at.slider)  # no scrubbing while it plays
    time.sleep(1.5)  # 100 epochs in 15 s: about 10 epochs further
    at.button(key="train_story_view_play").click().run()  # pause where it is
    paused = at.slider(key="story_scrub").value
    assert 25 <= paused <= 60 and at.session_state["story_play"] is False
    assert at.query_params["story_epoch"] == str(paused) and at.query_params["story_play"] == "0"
    at.slider(key="story_scrub").set_value(10).run()  # scrubbed back
    assert at.query_params["story_epoch"] == "10" and list(_tables(at)[0]["Epochs"])[:2] == ["10 / 30", "10 / 100"]


def test_a_prepared_story_replaces_the_recordings_and_live_runs_stand_beside_it(env):
    """A prepared story (the book preset's five runs, finished here from the recordings' epochs) and a live one
    (the lecture presets, queued and ended) share the chart and the tables, each labelled."""
    store = RunStore(env.runs)
    prepared = _finished_story(store, StoryKind.PREPARED)
    live = _finished_story(store, StoryKind.LIVE)
    at = run_page(PAGE, train_dataset="synthetic", train_story_runs=live)
    assert_clean(at)
    assert any(c.value.startswith("Prepared on ") and "CPU" in c.value for c in at.caption)
    runs, lessons = _tables(at)
    assert list(runs["Story"]) == ["Prepared"] * 5 + ["Live"] * 5
    checked = dict(zip(lessons["What the book shows"], lessons["Checked on"], strict=False))
    assert set(lessons["Checked on"]) == {"prepared runs (book length)", "live runs (lecture length)"}
    assert checked[next(k for k in checked if k.startswith("3b"))] == "prepared runs (book length)"
    live_keys = set(lessons[lessons["Checked on"] == "live runs (lecture length)"]["What the book shows"])
    assert not any(k.startswith("3b") or "beats training from scratch" in k for k in live_keys)
    charts = [json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart")]
    chart_names = {trace.get("name") for traces in charts for trace in traces}
    assert {"Prepared · 1. Small convnet from scratch", "Live · 1. Small convnet from scratch"} <= chart_names
    assert str(prepared[0]) not in at.query_params


def _finished_story(store: RunStore, kind: StoryKind) -> list[str]:
    """A story of ``kind`` queued through the engine, its runs then written as finished with the recordings' epochs."""
    plan = story_plan("synthetic", "efficientnet_lite0", COUNTS, kind=kind)
    ids = queue_story(store, plan, lambda s, c, n, **k: s.create(c, n, k["estimated_seconds"], owner=k["owner"], story=k["story"]), kind=kind)  # fmt: skip
    recordings = {json.loads(p.read_text())["config"]["strategy"]: json.loads(p.read_text()) for p in RECORDED_DIR.glob("*.json")}  # fmt: skip
    for run_id, strategy in zip(ids, STORY, strict=True):
        data, writer = recordings[strategy], store.writer(run_id)
        epochs = data["epochs"] if kind == StoryKind.PREPARED else data["epochs"][:5]
        for epoch in epochs:
            writer.epoch(epoch)
        writer.test(data["test"])
        writer.set_status(state=RunState.COMPLETED, wall_seconds=30.0, host="lab-pc", backend="local", device="CPU", cores=2, precision="bf16")  # fmt: skip
    return ids


def test_only_the_lecturer_prepares_the_class(env, monkeypatch):
    """In classroom mode a learner's "Prepare" is disabled, and the engine refuses it too."""
    from cnn_core.classroom.room import ClassroomError, Identity, Role

    monkeypatch.setenv("CNN_CLASSROOM_CLASS_KEY", "class-key-1")
    monkeypatch.setenv("CNN_CLASSROOM_LECTURER_KEY", "lecturer-key-12")
    learner = Identity("m-1", "Minho", Role.LEARNER)
    plan = story_plan("synthetic", "efficientnet_lite0", COUNTS, kind=StoryKind.PREPARED)
    with pytest.raises(ClassroomError) as refused:
        queue_story(RunStore(env.runs), plan, lambda *a, **k: pytest.fail("launched"), owner=learner, kind=StoryKind.PREPARED)  # fmt: skip
    assert refused.value.code == "lecturer_only" and RunStore(env.runs).list() == []
    stopped_short = Story("prepared-20261201-2200-abc123", StoryKind.PREPARED, ())
    with pytest.raises(ClassroomError) as refused:  # nor finish the lecturer's
        queue_story(RunStore(env.runs), plan[4:], lambda *a, **k: pytest.fail("launched"), owner=learner, finishing=stopped_short)  # fmt: skip
    assert refused.value.code == "lecturer_only"


def test_a_prepared_story_that_stopped_short_says_so_and_the_recordings_stand_in(env):
    store = RunStore(env.runs)
    ids = _finished_story(store, StoryKind.PREPARED)
    store.set_status(ids[1], state=RunState.FAILED)
    (store.path(ids[1]) / "test.json").unlink()  # augmentation failed: no result
    at = run_page(PAGE, train_dataset="synthetic")
    assert_clean(at)
    assert any("stopped short: 4 of 5 book-length runs finished" in w.value for w in at.warning)
    assert list(_tables(at)[0]["Story"]) == ["Recording"] * 5


def test_finish_preparing_queues_only_the_missing_run_into_the_same_story(env, monkeypatch):
    """Fine-tuning failed: "Finish preparing" says what is missing and queues it, through the real launcher, with the
    settings it was queued with, continuing the story's finished 3b run."""
    monkeypatch.setenv("CNN_CLASSROOM_MAX_JOBS", "1")
    store = RunStore(env.runs)
    ids = _finished_story(store, StoryKind.PREPARED)
    store.set_status(ids[4], state=RunState.FAILED)
    (store.path(ids[4]) / "test.json").unlink()
    at = run_page(PAGE, train_dataset="synthetic")
    assert_clean(at)
    assert any(c.value.startswith("Missing: 4. Fine-tuning") for c in at.caption), [c.value for c in at.caption]
    at.button(key="train_story_finish").click().run()
    assert_clean(at)
    [rerun] = [r for r in RunStore(env.runs).list() if r.run_id not in ids]
    try:
        failed = store.load(ids[4]).config
        assert rerun.story == store.load(ids[0]).story and rerun.config.start_from == ids[3]
        assert rerun.config == failed and rerun.owner["id"] == store.load(ids[0]).owner["id"]
        at.run()
        assert any("Preparing the class: 4 of 5" in i.value for i in at.info)
        assert not any(b.key == "train_story_finish" for b in at.button)
    finally:
        stop(store, rerun.run_id)
        wait_until_ended(store, rerun.run_id, timeout=120)
