"""The whole story on the training lab: the prepared (or recorded) book-length runs replayed beside the live lecture
runs on the same axes, and the book's lessons checked on each (:mod:`cnn_core.runs.story`).

The replay's state is three URL keys (:data:`URL_RULES`): playing or not, its speed and the scrubbed epoch. A link
opens at the same point, and followers of the lecturer take them as any other page state. While it plays, the
position is computed from the moment this session last saw those keys change
(:func:`~cnn_core.runs.story.replay_position`), so every follower shows the same epoch as the lecturer, give or take
the second their rerun took, without a message per frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from cnn_core.classroom.room import ClassroomError, require_lecturer
from cnn_core.runs.jobs import configured_backend, launch, reconcile
from cnn_core.runs.story import (
    DEFAULT_REPLAY_SECONDS,
    REPLAY_SECONDS,
    STORY,
    Story,
    StoryKind,
    criteria,
    finish_plan,
    made_where,
    queue_story,
    replay_position,
    replayed,
    stories,
    story_facts,
    story_plan,
)
from cnn_core.training.run_store import ACTIVE_STATES, RunRecord, RunStore
from ui.classroom import me
from ui.common import session_defaults, show_error, t
from ui.follow import page_fragment
from ui.training import COLOURS, CurveStyle, curves_chart, format_seconds
from ui.url_rules import Choice, Flag, Num, Rule
from ui.url_state import publish

PLAY_KEY, SPEED_KEY, EPOCH_KEY = "story_play", "story_speed", "story_epoch"
URL_RULES: dict[str, Rule] = {PLAY_KEY: Flag(), SPEED_KEY: Choice(REPLAY_SECONDS), EPOCH_KEY: Num(0, 10_000)}
SCRUB_KEY = "story_scrub"
"""The scrub slider, shown while the replay is paused. The position itself (:data:`EPOCH_KEY`) is no widget's: a
follower's browser, ticking every second while the replay plays, would otherwise send back the slider's old
value just as the lecturer's new one arrives, and win."""
LIVE_RUNS_KEY = "train_story_runs"
"""The live story this browser queued (its run ids)."""
_ANCHOR_KEY = "_story_anchor"
FRAME_SECONDS = 1.0
"""A replay's frame: each is a rerun of the story view per watching session (a class of followers)."""


def may_prepare() -> bool:
    """Whether this member may prepare the class's story (only to draw the button; the engine checks again)."""
    try:
        require_lecturer(me())
    except ClassroomError:
        return False
    return True


def live_story(store: RunStore, records: Sequence[RunRecord]) -> list[RunRecord]:
    """The live story to show: the one this browser queued, else the newest one of this member or the lecturer."""
    ids = st.session_state.get(LIVE_RUNS_KEY)
    if ids:
        existing = set(store.run_ids())  # a run deleted on the Runs page drops out of the story
        return reconcile(store, [i for i in ids if i in existing])
    viewer = me()
    for story in stories(records, StoryKind.LIVE):
        owner = story.records[0].owner
        if owner.get("role") == "lecturer" or owner.get("id") == viewer.member_id:
            return list(story.records)
    return []


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "–"


def where_text(record: RunRecord) -> str:
    """Where a run trained, in a few words: "host · local · CPU · 2 cores · bf16"."""
    where = made_where(record)
    if record.is_recorded:
        return " · ".join(str(v) for v in (where.get("machine"), where.get("precision")) if v) or "–"
    cores = where.get("cpus") or where.get("cores")
    parts = [where.get("host"), where.get("backend"), where.get("device"), cores and f"{cores} cores"]
    return " · ".join(str(p) for p in (*parts, where.get("precision")) if p) or "–"


def prepare_panel(
    store: RunStore,
    records: Sequence[RunRecord],
    preparing: Story | None,
    dataset: str,
    base: str,
    counts_of: Callable[[str], Mapping],
) -> None:
    """The lecturer's "Prepare the class" button: the whole story at the book's length on ``dataset``, queued as a
    prepared story; "Finish preparing" for one that stopped short (``preparing``, from
    :func:`~cnn_core.runs.story.replayed_story`), estimated on its own dataset (``counts_of(dataset)``: image counts)."""
    plan = story_plan(dataset, base, counts_of(dataset), records, name=f"{t('train.story_kind_prepared')}: ", kind=StoryKind.PREPARED)  # fmt: skip
    total = format_seconds(sum(p.estimate.seconds for p in plan))
    busy = preparing is not None and preparing.active
    allowed = may_prepare()
    if st.button(
        t("train.story_prepare"),
        key="train_story_prepare",
        disabled=busy or not allowed,
        help=t("help.prepare_story") if allowed else t("classroom_errors.lecturer_only"),
    ):
        try:
            ids = queue_story(store, plan, launch, owner=me(), kind=StoryKind.PREPARED)
        except ClassroomError as err:  # the engine's own check: a button is not the guard
            show_error("classroom_errors", err)
        else:
            st.toast(t("train.story_prepared_queued", n=len(ids)))
    st.caption(t("train.story_prepare_busy") if busy else t("train.story_prepare_estimate", backend=configured_backend().name, total=total))  # fmt: skip
    if preparing is not None and not busy:  # stopped short: finish it rather than start again
        finish = finish_plan(preparing, counts_of(preparing.records[0].config.dataset), records)
        if st.button(
            t("train.story_finish"),
            key="train_story_finish",
            disabled=not allowed,
            help=t("help.finish_story") if allowed else t("classroom_errors.lecturer_only"),
        ):
            try:
                ids = queue_story(store, finish, launch, owner=me(), finishing=preparing)
            except ClassroomError as err:
                show_error("classroom_errors", err)
            else:
                st.toast(t("train.story_prepared_queued", n=len(ids)))
        missing = ", ".join(t(f"strategies.{p.config.strategy}") for p in finish)
        total_left = format_seconds(sum(p.estimate.seconds for p in finish))
        st.caption(t("train.story_finish_estimate", missing=missing, total=total_left))


def _position(longest: int) -> float:
    """The replay's epoch now (see the module's docstring), from this session's anchor."""
    state = st.session_state
    seen = (state.get(EPOCH_KEY), state.get(SPEED_KEY), state.get(PLAY_KEY))
    anchor = state.get(_ANCHOR_KEY)
    if anchor is None or anchor[0] != seen:
        anchor = state[_ANCHOR_KEY] = (seen, time.time())
    epoch, speed, playing = seen
    return replay_position(float(epoch or 0), time.time() - anchor[1], speed or DEFAULT_REPLAY_SECONDS, longest, bool(playing))  # fmt: skip


def _play_or_pause(longest: int) -> None:
    state = st.session_state
    if state.get(PLAY_KEY):
        state[EPOCH_KEY] = int(_position(longest))  # paused where it is
        state[PLAY_KEY] = False
    else:
        if (state.get(EPOCH_KEY) or 0) >= longest:
            state[EPOCH_KEY] = 0  # from the start once it reached the end
        state[PLAY_KEY] = True


def _scrubbed() -> None:
    if st.session_state.get(PLAY_KEY):
        return  # no slider is shown while it plays: a browser sending the hidden slider's last value did not scrub
    st.session_state[EPOCH_KEY] = st.session_state[SCRUB_KEY]


def story_section(
    store: RunStore,
    records: Sequence[RunRecord],
    replay: Story,
    preparing: Story | None,
    spec: dict[str, Rule],
    key: str,
) -> None:
    """The replay's controls and the story view (``replay`` and ``preparing`` from
    :func:`~cnn_core.runs.story.replayed_story`): a page section (a change reruns only it, and followers' copy)."""
    longest = replay.longest
    state = st.session_state
    if state.get(EPOCH_KEY) is None or state[EPOCH_KEY] > longest:
        state[EPOCH_KEY] = longest  # the whole prepared story, until someone presses Replay
    session_defaults({SPEED_KEY: DEFAULT_REPLAY_SECONDS})

    @page_fragment(key, spec)
    def section() -> None:
        st.subheader(t("train.story_prepared_title"))
        total = format_seconds(replay.wall_seconds)
        where = where_text(replay.records[0]) if replay.records else "–"
        if replay.kind == StoryKind.RECORDED:
            st.caption(t("train.story_recorded_made", where=where, total=total))
        else:
            st.caption(t("train.story_prepared_made", made=_when(replay.made_at), where=where, total=total))
        if preparing is not None:
            done = sum(1 for r in preparing.records if r.test is not None)
            if preparing.active:
                left = sum((r.estimated_seconds or 0) for r in preparing.records if r.state in ACTIVE_STATES)
                st.info(t("train.story_preparing", done=done, total=len(STORY), made=_when(preparing.made_at), left=format_seconds(left)))  # fmt: skip
            else:  # a run failed, was stopped or deleted: the story will never be complete
                st.warning(t("train.story_prepare_incomplete", done=done, total=len(STORY), made=_when(preparing.made_at)))  # fmt: skip
        row = st.container(horizontal=True, vertical_alignment="bottom")
        playing = bool(state.get(PLAY_KEY))
        row.button(
            t("train.story_pause") if playing else t("train.story_replay"),
            key=f"{key}_play",
            icon=":material/pause:" if playing else ":material/play_arrow:",
            on_click=_play_or_pause,
            args=(longest,),
            disabled=longest == 0,
        )
        row.selectbox(
            t("train.story_speed"),
            REPLAY_SECONDS,
            key=SPEED_KEY,
            format_func={s: t("train.story_speed_value", seconds=s) for s in REPLAY_SECONDS}.__getitem__,
            help=t("help.story_speed"),
        )
        if not playing:
            state[SCRUB_KEY] = int(state[EPOCH_KEY])
            row.slider(t("train.story_epoch"), 0, max(longest, 1), key=SCRUB_KEY, on_change=_scrubbed, help=t("help.story_epoch"))  # fmt: skip
        publish(spec)
        story_view(store, records, replay, key=f"{key}_view")

    section()


def story_view(store: RunStore, records: Sequence[RunRecord], replay: Story, key: str) -> None:
    """The replayed story and the live one on the same axes, their runs and the lessons checked on each; refreshed
    every second while the replay plays, every 2 s while a live run trains."""
    longest = replay.longest
    animating = bool(st.session_state.get(PLAY_KEY)) and _position(longest) < longest
    read_now = [live_story(store, records)]  # this run's read; the fragment's own reruns read again
    live_active = any(r.state in ACTIVE_STATES for r in read_now[0])

    @st.fragment(run_every=FRAME_SECONDS if animating else 2.0 if live_active else None)
    def view() -> None:
        position = _position(longest)
        if animating and position >= longest:
            st.rerun()  # the replay reached its end: redraw once without the timer
        shown = [replayed(r, position) for r in replay.records]
        live = read_now.pop() if read_now else live_story(store, records)
        st.progress(position / max(longest, 1), text=t("train.story_position", epoch=int(position), longest=longest))
        kind_label = t(f"train.story_kind_{replay.kind}")
        names = {r.run_id: f"{kind_label} · {t(f'strategies.{r.config.strategy}')}" for r in shown}
        names |= {r.run_id: f"{t('train.story_kind_live')} · {t(f'strategies.{r.config.strategy}')}" for r in live}
        colours = {r.run_id: COLOURS[STORY.index(r.config.strategy) % len(COLOURS)] for r in (*shown, *live)}
        style = CurveStyle(colours, frozenset(r.run_id for r in shown), max(longest, *(len(r.epochs) for r in live), 1))
        curves_chart([*shown, *(r for r in live if r.epochs)], "accuracy", key=f"{key}_acc", names=names, style=style)
        st.dataframe(_run_rows(shown, replay, live), hide_index=True, width="stretch")
        if not live:
            st.caption(t("train.story_live_none"))
        st.caption(t("train.story_lessons"))
        st.dataframe(_lesson_rows(shown, replay.kind, live), hide_index=True, width="stretch")

    view()


def _run_rows(shown: Sequence[RunRecord], replay: Story, live: Sequence[RunRecord]) -> list[dict]:
    rows = []
    for record, full in zip(shown, replay.records, strict=True):
        rows.append(_run_row(t(f"train.story_kind_{replay.kind}"), record, f"{len(record.epochs)} / {len(full.epochs)}"))  # fmt: skip
    for record in live:
        rows.append(_run_row(t("train.story_kind_live"), record, str(len(record.epochs))))
    return rows


def _run_row(kind: str, record: RunRecord, epochs: str) -> dict:
    return {
        t("train.story_col_kind"): kind,
        t("train.story_col_strategy"): t(f"strategies.{record.config.strategy}") if record.config else "?",
        t("train.story_col_state"): t(f"states.{record.state}"),
        t("train.story_col_epochs"): epochs,
        t("train.test_accuracy"): f"{record.test['accuracy']:.1%}" if record.test else "–",
        t("runs.col_duration"): format_seconds(record.status.get("wall_seconds")),
        t("train.story_col_made"): _when(record.meta.get("created_at")),
        t("train.story_col_where"): where_text(record),
    }


def _lesson_rows(shown: Sequence[RunRecord], kind: StoryKind, live: Sequence[RunRecord]) -> list[dict]:
    marks = {True: "✓", False: "✗", None: "…"}
    checked = criteria(story_facts(shown), kind) + (criteria(story_facts(live), StoryKind.LIVE) if live else [])
    return [
        {
            t("train.story_col_strategy"): t(f"strategies.{c.strategy}"),
            t("train.story_col_lesson"): t(f"story.{c.key}"),
            t("train.story_col_checked"): t(f"train.story_checked_{c.kind}"),
            t("train.story_col_seen"): c.value if c.holds is not None else "–",
            t("train.story_col_holds"): marks[c.holds],
        }
        for c in checked
    ]
