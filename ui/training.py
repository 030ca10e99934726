"""Training-lab helpers: the run store, curve figures with the book's reference bands, the live view."""

from __future__ import annotations

import time

import plotly.graph_objects as go
import streamlit as st

from cnn_core.curves import best_epoch, eta_seconds, overfitting_from
from cnn_core.run_config import DEFAULTS
from cnn_core.run_store import ACTIVE_STATES, RunRecord, RunStore
from cnn_core.settings import load_settings
from ui.common import t
from ui.lecture import chart_height

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def run_store() -> RunStore:
    return RunStore(load_settings().runs_dir)


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
    return f"{record.name} · {strategy} · {t(f'states.{record.state}')}"


def pick_run(label: str, runs: dict[str, RunRecord], key: str) -> RunRecord:
    """A selectbox over ``runs`` (run id -> record) showing each run's name, strategy and state; the chosen record."""
    return runs[
        st.selectbox(label, list(runs), key=key, format_func={i: run_label(r) for i, r in runs.items()}.__getitem__)
    ]


def curves_figure(records: list[RunRecord], metric: str, bands: bool = True, single: bool = False) -> go.Figure:
    """Training (dashed) and validation (solid) ``metric`` per epoch; best epoch starred; overfitting shaded."""
    fig = go.Figure()
    for i, record in enumerate(records):
        colour = COLOURS[i % len(COLOURS)]
        xs = [e["epoch"] for e in record.epochs]
        label = record.name if not single else ""
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[e.get(metric) for e in record.epochs],
                mode="lines",
                line={"dash": "dash", "color": colour},
                name=f"{label} {t('train.training')}".strip(),
            )  # fmt: skip
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[e.get(f"val_{metric}") for e in record.epochs],
                mode="lines+markers",
                line={"color": colour},
                name=f"{label} {t('train.validation')}".strip(),
            )  # fmt: skip
        )
        best = best_epoch(record.epochs)
        if best and best.get(f"val_{metric}") is not None:
            fig.add_trace(
                go.Scatter(
                    x=[best["epoch"]],
                    y=[best[f"val_{metric}"]],
                    mode="markers",
                    marker={"symbol": "star", "size": 16, "color": colour, "line": {"width": 1, "color": "black"}},
                    name=t("train.best_epoch", epoch=best["epoch"]),
                )  # fmt: skip
            )
        start = overfitting_from(record.epochs)
        if single and start is not None:
            fig.add_vrect(x0=start, x1=xs[-1], fillcolor="#ffcdd2", opacity=0.35, line_width=0,
                          annotation_text=t("train.overfitting"), annotation_position="top left")  # fmt: skip
    if bands and metric == "accuracy":
        shown = {r.config.strategy for r in records if r.config}
        for strategy in sorted(shown):
            reference = DEFAULTS[strategy].book_accuracy
            fig.add_hrect(y0=reference - 0.01, y1=reference + 0.01, fillcolor="#c8e6c9", opacity=0.5, line_width=0,
                          annotation_text=t("train.book_band", strategy=t(f"strategies.{strategy}"), value=f"{reference:.1%}"),
                          annotation_position="bottom right")  # fmt: skip
    fig.update_layout(
        height=chart_height(340), margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title=t("train.epoch"),
        yaxis_title=t(f"train.metric_{metric}"), legend={"orientation": "h", "y": -0.25},
    )  # fmt: skip
    return fig


def render_run_view(store: RunStore, run_id: str, key: str) -> RunRecord | None:
    """Status, progress bar with ETA, and both curves of one run (call inside a fragment for live updates)."""
    try:
        record = store.load(run_id)
    except (LookupError, ValueError):
        st.warning(t("train.run_missing"))
        return None
    if record.damaged:
        st.error(t("train.damaged", reason=record.damaged))
        return record
    c1, c2, c3 = st.columns(3)
    c1.metric(t("train.status"), t(f"states.{record.state}"))
    best = record.best_epoch
    c2.metric(
        t("train.best"), f"{best['val_accuracy']:.1%} (#{best['epoch']})" if best and "val_accuracy" in best else "–"
    )
    c3.metric(t("train.test_accuracy"), f"{record.test['accuracy']:.1%}" if record.test else "–")
    if record.state in ACTIVE_STATES:
        progress = record.progress or {}
        epochs_total = progress.get("epochs") or record.config.effective_epochs
        fraction = 0.0
        if progress.get("batches"):
            fraction = ((progress["epoch"] - 1) + progress["batch"] / progress["batches"]) / epochs_total
        st.progress(
            min(max(fraction, 0.0), 1.0),
            text=t(
                "train.progress",
                epoch=progress.get("epoch", 0),
                epochs=epochs_total,
                batch=progress.get("batch", 0),
                batches=progress.get("batches", "?"),
                eta=format_seconds(eta_seconds(progress, record.epochs)),
            ),
        )
        if record.state == "queued":
            st.info(t("train.queued"))
    elif record.state in ("failed", "interrupted"):
        st.error(t("train.failed", error=record.status.get("error", "")))
        with st.expander(t("train.log")):
            st.code(record.status.get("log_tail") or record.log_tail(), language=None)
    if record.epochs:
        a, b = st.columns(2)
        a.plotly_chart(curves_figure([record], "loss", single=True), key=f"{key}_loss", width="stretch")
        b.plotly_chart(curves_figure([record], "accuracy", single=True), key=f"{key}_acc", width="stretch")
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
            if st.button(t("train.stop"), key=f"{key}_stop"):
                store.request_stop(run_id)
                st.toast(t("train.stop_requested"))
        elif active and shown is not None:
            st.rerun()  # it just finished: refresh the whole page once (tables, evaluation)
        st.caption(t("train.updated", time=time.strftime("%H:%M:%S")))

    view()
