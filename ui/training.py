"""Training-lab helpers: the run store, curve figures with the book's reference bands, the live view."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from cnn_core.classroom.room import Action, ClassroomError
from cnn_core.core.settings import load_settings
from cnn_core.data.datasets import find_datasets
from cnn_core.data.reports import find_mnist_files, short_label
from cnn_core.runs.jobs import configured_backend, queue_position, reconcile, stop, wait_seconds
from cnn_core.training.curves import best_epoch, eta_seconds, overfitting_from, spread_labels
from cnn_core.training.registry import get_strategy
from cnn_core.training.run_store import ACTIVE_STATES, Phase, RunRecord, RunState, RunStore
from ui.accessibility import show_chart
from ui.classroom import allowed, me, owner_caption, visible
from ui.common import show_error, t
from ui.lecture import chart_height

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def runs_now() -> tuple[RunStore, list[RunRecord]]:
    """The runs folder and every run in it this member may see (:func:`~cnn_core.classroom.room.visible_to`: in a
    class, only their own when the lecturer hid the others'), as it is now, from one
    :func:`~cnn_core.runs.jobs.reconcile` pass (each run read once): the page's refresh is what notices a trainer
    that died (heartbeat silent and task gone) and marks it interrupted. Every page lists runs from here."""
    store = RunStore(load_settings().runs_dir)
    return store, visible(reconcile(store))


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


def run_label(record: RunRecord) -> str:
    strategy = t(f"strategies.{record.config.strategy}") if record.config else "?"
    return f"{display_name(record)} · {strategy} · {t(f'states.{record.state}')}"


def pick_run(label: str, runs: dict[str, RunRecord], key: str) -> RunRecord:
    """A selectbox over ``runs`` (run id -> record) showing each run's name, strategy and state; the chosen record."""
    if st.session_state.get(key) not in runs:
        st.session_state.pop(key, None)  # a link may name a run this server does not have
    return runs[
        st.selectbox(label, list(runs), key=key, format_func={i: run_label(r) for i, r in runs.items()}.__getitem__)
    ]


def display_name(record: RunRecord) -> str:
    """A run's name; a recorded run is named in the session's language from its configuration."""
    if record.meta.get("recorded") and record.config:
        c = record.config
        return t(
            "runs.recorded_name",
            strategy=t(f"strategies.{c.strategy}"),
            base=c.base if c.uses_pretrained_base else t("runs.own_convnet"),
            size=c.image_size,
            epochs=len(record.epochs),
        )
    if not record.given_name and record.config:  # never a bare run id: what it is and when it was launched
        launched = dt.datetime.fromtimestamp(record.meta.get("created_at") or record.status.get("created_at") or 0)
        return t(
            "runs.unnamed", strategy=t(f"strategies.{record.config.strategy}"), when=launched.strftime("%m-%d %H:%M")
        )
    return record.name


def curves_chart(
    records: list[RunRecord],
    metric: str,
    *,
    key: str,
    where: st.delta_generator.DeltaGenerator | None = None,
    bands: bool = True,
    single: bool = False,
    names: Mapping[str, str] | None = None,
    style: CurveStyle | None = None,
) -> None:
    """:func:`curves_figure` drawn with its text alternative: each run's best validation epoch in words, and every
    epoch's training and validation ``metric`` as a table. ``names`` (run id -> name) overrides runs' names."""
    names = names or {}
    value = (lambda v: f"{v:.1%}") if metric == "accuracy" else (lambda v: f"{v:.4f}")
    rows, summaries = [], []
    for record in records:
        name = names.get(record.run_id) or display_name(record)
        for e in record.epochs:
            rows.append(
                {
                    t("a11y.col_run"): name,
                    t("a11y.col_epoch"): e["epoch"],
                    t("train.training"): value(e[metric]) if e.get(metric) is not None else "–",
                    t("train.validation"): value(e[f"val_{metric}"]) if e.get(f"val_{metric}") is not None else "–",
                }
            )
        best = best_epoch(record.epochs)
        if best and best.get(f"val_{metric}") is not None:
            summaries.append(
                t(
                    "a11y.curves_run",
                    run=name,
                    value=value(best[f"val_{metric}"]),
                    epoch=best["epoch"],
                    epochs=len(record.epochs),
                )
            )
    summary = t(f"a11y.curves_{metric}", runs="; ".join(summaries) or "–")
    figure = curves_figure(records, metric, bands, single, names, style)
    show_chart(figure, key=key, summary=summary, table=rows, where=where)


@dataclass(frozen=True)
class CurveStyle:
    """How a chart of several kinds of run tells them apart: a colour per run and wide lines for some."""

    colours: Mapping[str, str] = field(default_factory=dict)
    """Run id -> colour (default: the next of :data:`COLOURS`)."""
    wide: frozenset[str] = frozenset()
    """Run ids drawn with wide lines and no markers (the story's prepared runs)."""
    epochs: int | None = None
    """The x axis's fixed extent (a replay grows into it instead of rescaling)."""


def curves_figure(
    records: list[RunRecord],
    metric: str,
    bands: bool = True,
    single: bool = False,
    names: Mapping[str, str] | None = None,
    style: CurveStyle | None = None,
) -> go.Figure:
    """Validation (solid) and training (dashed) ``metric`` per epoch, best epoch starred, the book's bands.

    Built for many runs: one legend entry per run (a click hides both of its curves), the two line styles
    explained once, band labels spread so they never overlap, and the legend given its own room.
    """
    names, style = names or {}, style or CurveStyle()
    fig = go.Figure()
    for i, record in enumerate(records):
        colour = style.colours.get(record.run_id) or COLOURS[i % len(COLOURS)]
        width, mode = (4, "lines") if record.run_id in style.wide else (2, "lines+markers")
        xs = [e["epoch"] for e in record.epochs]
        name = (names.get(record.run_id) or display_name(record)) if not single else t("train.validation")
        group = record.run_id
        fig.add_trace(
            go.Scatter(x=xs, y=[e.get(f"val_{metric}") for e in record.epochs], mode=mode,
                       line={"color": colour, "width": width}, marker={"size": 5}, name=name, legendgroup=group)
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=xs, y=[e.get(metric) for e in record.epochs], mode="lines", line={"dash": "dash", "color": colour, "width": width},
                       name=t("train.training") if single else name, legendgroup=group, showlegend=single)
        )  # fmt: skip
        best = best_epoch(record.epochs)
        if best and best.get(f"val_{metric}") is not None:
            fig.add_trace(
                go.Scatter(x=[best["epoch"]], y=[best[f"val_{metric}"]], mode="markers", legendgroup=group,
                           marker={"symbol": "star", "size": 15, "color": colour, "line": {"width": 1, "color": "black"}},
                           name=t("train.best_epoch", epoch=best["epoch"]), showlegend=single)
            )  # fmt: skip
        start = overfitting_from(record.epochs)
        if single and start is not None:
            fig.add_vrect(x0=start, x1=xs[-1], fillcolor="#ffcdd2", opacity=0.35, line_width=0,
                          annotation_text=t("train.overfitting"), annotation_position="top left")  # fmt: skip
    if not single:
        for dash, label in (("solid", t("train.validation")), ("dash", t("train.training"))):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"dash": dash, "color": "#555"},
                                     name=label, legendgroup="styles", legendrank=1))  # fmt: skip
    entries = len(records) + (0 if single else 2)
    rows = 1 if single else math.ceil(entries / 2)
    legend_px = 24 * rows + 20
    plot_px = chart_height(340) - 30 - 40  # the plot area between the top margin and the axis title
    if bands and metric == "accuracy":
        shown = sorted({r.config.strategy for r in records if r.config and not r.config.is_custom})  # no book figure
        references = [get_strategy(s).book_accuracy for s in shown]
        values = [
            v for r in records for e in r.epochs for v in (e.get(metric), e.get(f"val_{metric}")) if v is not None
        ]
        low = max(0.0, min([*values, *references], default=0.5) - 0.03)
        fig.update_yaxes(range=[low, 1.0])
        gap = 30 / plot_px * (1.0 - low)  # one label (about 20 px) plus the room plotly keeps for tick labels
        for strategy, reference, y in zip(shown, references, spread_labels(references, gap, low, 1.0), strict=True):
            fig.add_hrect(y0=reference - 0.01, y1=reference + 0.01, fillcolor="#c8e6c9", opacity=0.5, line_width=0)
            fig.add_annotation(x=1.0, xref="paper", xanchor="right", y=y, yref="y", showarrow=False, font={"size": 11},
                               text=t("train.book_band", strategy=t(f"strategies.{strategy}"), value=f"{reference:.1%}"),
                               bgcolor="rgba(255,255,255,0.8)")  # fmt: skip
    if style.epochs:
        fig.update_xaxes(range=[0.5, style.epochs + 0.5])
    fig.update_layout(
        height=chart_height(340) + legend_px, margin={"l": 10, "r": 10, "t": 30, "b": legend_px + 40},
        xaxis_title=t("train.epoch"), yaxis_title=t(f"train.metric_{metric}"),
        legend={"orientation": "h", "yanchor": "top", "y": -0.12 * 340 / (340 + legend_px), "entrywidth": 0.5, "entrywidthmode": "fraction"},
    )  # fmt: skip
    return fig


def render_run_view(store: RunStore, run_id: str, key: str) -> RunRecord | None:
    """Status, progress bar with ETA, and both curves of one run (call inside a fragment for live updates)."""
    try:
        record = reconcile(store, [run_id])[0]
    except (LookupError, ValueError, IndexError):
        st.warning(t("train.run_missing"))
        return None
    if record.damaged:
        st.error(t("train.damaged", reason=record.damaged))
        return record
    stopping = record.state in ACTIVE_STATES and record.stop_requested()
    testing = record.state == RunState.RUNNING and record.phase == Phase.TESTING
    c1, c2, c3 = st.columns(3)
    c1.metric(t("train.status"), t("train.stopping_state") if stopping else t(f"states.{record.state}"))
    best = record.best_epoch
    c2.metric(
        t("train.best"), f"{best['val_accuracy']:.1%} (#{best['epoch']})" if best and "val_accuracy" in best else "–"
    )
    c3.metric(t("train.test_accuracy"), f"{record.test['accuracy']:.1%}" if record.test else "–")
    if record.state in ACTIVE_STATES:
        progress = record.progress or {}
        epochs_total = progress.get("epochs") or record.config.effective_epochs
        fraction = 0.0
        if progress.get("phase") == Phase.FEATURES:  # the frozen base's pass over every image, before training
            st.progress(
                min(progress["done"] / max(progress["total"], 1), 1.0),
                text=t("train.features_progress", done=progress["done"], total=progress["total"]),
            )
        elif record.state != RunState.QUEUED:
            if progress.get("batches"):
                fraction = ((progress["epoch"] - 1) + progress["batch"] / progress["batches"]) / epochs_total
            eta = eta_seconds(progress, record.epochs)
            st.progress(
                min(max(fraction, 0.0), 1.0),
                text=t(
                    "train.progress",
                    epoch=progress.get("epoch", 0),
                    epochs=epochs_total,
                    batch=progress.get("batch", 0),
                    batches=progress.get("batches", "?"),
                    eta=format_seconds(eta) if eta is not None else t("train.measuring"),
                ),
            )
        if record.state == RunState.QUEUED:
            everything = store.list()
            place = queue_position(everything, run_id)
            wait = wait_seconds(everything, run_id, configured_backend().capacity())
            text = t("train.queued_place", place=place) if place else t("train.queued")
            if place:
                text += " " + (
                    t("train.queued_wait", wait=format_seconds(wait))
                    if wait is not None
                    else t("train.queued_wait_unknown")
                )
            st.info(text)
        if testing:
            st.info(t("train.testing_phase"))
        elif stopping:
            st.warning(t("train.stopping"))
    elif record.state in (RunState.FAILED, RunState.INTERRUPTED):
        reason = record.status.get("reason")
        if reason:  # a failure the learner can act on, in their language
            text = t(f"{reason['catalog']}.{reason['code']}", **{"line": "?", "message": "", **reason["details"]})
            st.error(t("train.failed_reason", reason=text))
        else:
            st.error(t("train.failed", error=record.status.get("error", "")))
        with st.expander(t("train.log")):
            st.code(record.status.get("log_tail") or record.log_tail(), language=None, wrap_lines=True)
    if record.epochs:
        a, b = st.columns(2)
        curves_chart([record], "loss", key=f"{key}_loss", where=a, single=True)
        curves_chart([record], "accuracy", key=f"{key}_acc", where=b, single=True)
        start = overfitting_from(record.epochs)
        if start is not None:
            st.caption(t("train.overfitting_note", epoch=start))
    return record


def live_run_view(store: RunStore, run_id: str, key: str) -> None:
    """The run view, refreshed every second while the run is active (reads the run folder only)."""
    record = store.load(run_id) if run_id in store.run_ids() else None
    active = record is not None and record.state in ACTIVE_STATES

    @st.fragment(run_every=1.0 if active else None)
    def view() -> None:
        shown = render_run_view(store, run_id, key)
        if shown is not None and shown.state in ACTIVE_STATES:
            stopping = shown.stop_requested()
            may_stop = allowed(shown, Action.STOP)
            if st.button(
                t("train.stopping_state") if stopping else t("train.stop"),
                key=f"{key}_stop",
                disabled=stopping or not may_stop,
                help=None if may_stop else owner_caption(shown),
            ):
                try:
                    stop(store, run_id, by=me())  # the engine checks the owner again: a button is not the guard
                except ClassroomError as err:
                    show_error("classroom_errors", err)
                else:
                    st.toast(t("train.stop_requested"))
                    st.rerun(scope="fragment")
        elif active and shown is not None:
            st.rerun()  # it just finished: refresh the whole page once (tables, evaluation)
        st.caption(t("train.updated", time=time.strftime("%H:%M:%S")))

    view()


@st.cache_data(ttl=30, show_spinner=False)
def dataset_choices(roots: tuple[str, ...]) -> dict[str, str]:
    """Display name -> folder for every dataset found under the data roots, plus the synthetic set."""
    found = {d.name: str(d.path) for d in find_datasets([Path(r) for r in roots])}
    return found | {"synthetic": "synthetic"}


@st.cache_data(ttl=30, show_spinner=False)
def mnist_choices(roots: tuple[str, ...], lang: str) -> dict[str, str]:
    """Display name -> source for MNIST (your own model may train on it): local ``.npz`` files, then the download."""
    folders = [Path(r) for r in roots]
    found = {t("custom.mnist_file", name=short_label(p, folders)): str(p) for p in find_mnist_files(folders)}
    return found | {t("custom.mnist_download"): "mnist"}


def all_dataset_choices(lang: str) -> dict[str, str]:
    """Every dataset a learner's model or a challenge may train on: MNIST's sources, the image folders, synthetic."""
    roots = tuple(str(r) for r in load_settings().data_roots)
    return mnist_choices(roots, lang) | dataset_choices(roots)
