"""Runs: every run kept, with actions, downloads, comparison against the book, evaluation and replay."""

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from cnn_core.classroom.room import Action, ClassroomError
from cnn_core.core.images import ImageDecodeError
from cnn_core.core.settings import load_settings
from cnn_core.runs.board import run_rows
from cnn_core.runs.recorded import recorded_runs
from cnn_core.training.curves import curves_png, epochs_replayed, metrics_csv
from cnn_core.training.custom_model import run_listing
from cnn_core.training.evaluation import evaluate_run, load_run_model, predict_image, wrong_examples
from cnn_core.training.run_store import LIVE_STATES, RESULT_STATES, RunRecord
from ui.classroom import allowed, me, owner_caption
from ui.common import max_upload_bytes, show_error, t
from ui.custom_model import code_difference_view, runs_table, variant_button
from ui.photos import decode_upload
from ui.training import curves_chart, display_name, format_seconds, live_run_view, pick_run, run_label, runs_now
from ui.url_state import Choice, Many, Text, publish, restore

MAX_DOWNLOAD_BYTES = 300 * 1024 * 1024
REPLAY_SPEEDS = (1, 2, 5, 10, 20, 50)


@st.cache_resource(show_spinner=False, max_entries=4)
def load_model(path: str, mtime: float):
    return load_run_model(Path(path))


st.title(t("runs.title"))
store, records = runs_now()

by_id = {r.run_id: r for r in records}
rows = [
    {
        t("runs.col_name"): display_name(by_id[row.run_id]),
        **({} if me().is_solo else {t("runs.col_owner"): row.owner}),
        t("runs.col_status"): t(f"states.{row.state}"),
        t("runs.col_strategy"): t(f"strategies.{row.strategy}") if row.strategy else "–",
        t("runs.col_dataset"): row.dataset or "–",
        t("runs.col_base"): row.base or "–",
        t("runs.col_params"): row.params,
        t("runs.col_best_val"): None if row.best_val_accuracy is None else 100 * row.best_val_accuracy,
        t("runs.col_test"): None if row.test_accuracy is None else 100 * row.test_accuracy,
        t("runs.col_duration"): format_seconds(row.seconds),
        t("runs.col_estimate"): format_seconds(row.estimated_seconds),
        t("runs.col_precision"): row.precision or "–",
        "id": row.run_id,
    }
    for row in run_rows(records)
]
if not rows:
    st.info(t("runs.empty"))
else:
    table = pd.DataFrame(rows)
    for column in (t("runs.col_params"), t("runs.col_best_val"), t("runs.col_test")):  # missing: empty, never "None"
        table[column] = pd.array(table[column], dtype="Int64" if column == t("runs.col_params") else "Float64")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={  # one decimal everywhere, and thousands separated (the walk-through's 991041 and 0.7%/70.12%)
            t("runs.col_params"): st.column_config.NumberColumn(format="localized"),
            t("runs.col_best_val"): st.column_config.NumberColumn(format="%.1f%%"),
            t("runs.col_test"): st.column_config.NumberColumn(format="%.1f%%"),
        },
    )

URL_STATE = {
    "runs_selected": Choice(tuple(r.run_id for r in records)), "runs_compare": Many(8), "runs_replay": Text(200),
    "runs_replay_speed": Choice(REPLAY_SPEEDS),
}  # fmt: skip
restore("runs", URL_STATE)
tab_run, tab_compare, tab_replay = st.tabs([t("runs.tab_run"), t("runs.tab_compare"), t("runs.tab_replay")])

with tab_run:
    if records:
        by_id = {r.run_id: r for r in records}
        record = pick_run(t("runs.select"), by_id, "runs_selected")
        live_run_view(store, record.run_id, key="runs_live")
        read_only = owner_caption(record)
        if read_only:
            st.caption(read_only)
        may_rename, may_delete = allowed(record, Action.RENAME), allowed(record, Action.DELETE)
        a1, a2, a3 = st.columns([2, 1, 1], vertical_alignment="bottom")
        if st.session_state.get("_runs_name_of") != record.run_id:  # another run chosen: its name, not the last one's
            st.session_state["_runs_name_of"] = record.run_id
            st.session_state["runs_new_name"] = record.name
        new_name = a1.text_input(t("runs.rename"), key="runs_new_name", max_chars=120, disabled=not may_rename)
        if a2.button(t("runs.rename_button"), key="runs_rename", disabled=not may_rename):
            try:
                store.rename(record.run_id, new_name, by=me())  # checked in the engine, whatever the browser sent
                st.rerun()
            except ClassroomError as err:
                show_error("classroom_errors", err)
            except ValueError as err:
                st.error(str(err))
        confirm = a3.checkbox(t("runs.confirm_delete"), key="runs_confirm_delete", disabled=not may_delete)
        if a3.button(
            t("runs.delete"), key="runs_delete", disabled=not may_delete or not confirm or record.state in LIVE_STATES
        ):
            try:
                store.delete(record.run_id, by=me())
            except ClassroomError as err:
                show_error("classroom_errors", err)
            except ValueError as err:
                st.error(str(err))
            else:
                st.session_state.pop("runs_selected", None)
                st.rerun()
        d1, d2, d3 = st.columns(3)
        d1.download_button(
            t("runs.download_csv"),
            metrics_csv(record.epochs),
            f"{record.run_id}-metrics.csv",
            "text/csv",
            key="runs_csv",
        )
        d2.download_button(
            t("runs.download_png"),
            curves_png(record.epochs, record.name),
            f"{record.run_id}-curves.png",
            "image/png",
            key="runs_png",
        )
        if record.checkpoint.exists() and record.checkpoint.stat().st_size <= MAX_DOWNLOAD_BYTES:
            d3.download_button(
                t("runs.download_model"),
                record.checkpoint.read_bytes,  # read only when clicked: a model is tens of megabytes
                f"{record.run_id}.keras",
                key="runs_model",
            )

        listing = run_listing(record.config) if record.config else None
        variant_button(listing, record.config.model_names if listing else "", record.config.model_blocks if listing else ())  # fmt: skip

        evaluation = evaluate_run(record)
        if evaluation is not None:
            st.header(t("runs.evaluation"))
            e1, e2 = st.columns([1, 2])
            e1.metric(t("runs.test_accuracy"), f"{evaluation.accuracy:.1%}")
            e1.dataframe(
                pd.DataFrame(
                    evaluation.matrix,
                    index=[f"{t('runs.true')} {c}" for c in evaluation.classes],
                    columns=[f"{t('runs.predicted')} {c}" for c in evaluation.classes],
                ).rename_axis(f"{t('runs.true')} \\ {t('runs.predicted')}"),  # a named corner: no empty header
            )
            e2.markdown(t("runs.misclassified", n=len(evaluation.wrong)))
            cols = e2.columns(6)
            examples = wrong_examples(evaluation, load_settings().data_roots, 18, max_upload_bytes())
            for i, example in enumerate(examples):
                caption = t(
                    "runs.wrong_caption", true=example.true, predicted=example.predicted, p=f"{example.probability:.0%}"
                )
                alt = t(
                    "alt.wrong",
                    n=i + 1,
                    true=example.true,
                    predicted=example.predicted,
                    p=f"{example.probability:.0%}",
                )
                cols[i % 6].image(example.image, caption=caption, alt=alt, width="stretch")
            if record.checkpoint.exists() and record.config and not record.config.is_mnist:
                upload = st.file_uploader(
                    t("runs.predict_upload"), type=None, key="runs_predict_upload", help=t("photo.upload_help")
                )
                if upload is not None:
                    try:
                        image = decode_upload(upload.getvalue(), max_upload_bytes(), 1024)
                    except ImageDecodeError as err:
                        show_error("image_errors", err)
                    else:
                        model = load_model(str(record.checkpoint), record.checkpoint.stat().st_mtime)
                        prediction = predict_image(model, image, record.config.image_size, evaluation.classes)
                        st.image(image, alt=t("alt.upload", width=image.shape[1], height=image.shape[0]), width=240)
                        st.success(t("runs.prediction", label=prediction.label, p=f"{prediction.probability:.1%}"))

with tab_compare:
    finished = {r.run_id: r for r in [r for r in records if r.epochs] + recorded_runs()}
    if "runs_compare" in st.session_state:  # a link may name runs this server does not have
        st.session_state["runs_compare"] = [i for i in st.session_state["runs_compare"] if i in finished]
    chosen_ids = st.multiselect(
        t("runs.compare_select"),
        list(finished),
        key="runs_compare",
        format_func={i: run_label(r) for i, r in finished.items()}.__getitem__,
        max_selections=8,
    )
    chosen = [finished[i] for i in chosen_ids]
    if chosen:
        st.markdown(f"**{t('runs.compare_table')}**")
        runs_table(chosen)
        if len(chosen) == 2:
            code_difference_view(*chosen)
        curves_chart(chosen, "accuracy", key="runs_compare_acc")
        curves_chart(chosen, "loss", key="runs_compare_loss", bands=False)
        st.caption(t("runs.bands_note"))

with tab_replay:
    replayable = {r.run_id: r for r in recorded_runs() + [r for r in records if r.state in RESULT_STATES and r.epochs]}
    if not replayable:
        st.info(t("runs.nothing_to_replay"))
    else:
        source = pick_run(t("runs.replay_select"), replayable, "runs_replay")
        speed = st.select_slider(t("runs.replay_speed"), REPLAY_SPEEDS, value=10, key="runs_replay_speed")
        if st.button(t("runs.replay_start"), key="runs_replay_start"):
            st.session_state["replay_started"] = time.time()
        started = st.session_state.get("replay_started")

        @st.fragment(run_every=0.5 if started else None)
        def replay() -> None:
            elapsed = (time.time() - started) * speed if started else float("inf")
            shown_epochs = epochs_replayed(source.epochs, elapsed)
            view = RunRecord(source.run_id, source.path, source.config, source.status, source.meta, epochs=shown_epochs)
            st.progress(
                len(shown_epochs) / max(len(source.epochs), 1),
                text=t("train.progress_short", epoch=len(shown_epochs), epochs=len(source.epochs)),
            )
            a, b = st.columns(2)
            curves_chart([view], "loss", key="replay_loss", where=a, single=True)
            curves_chart([view], "accuracy", key="replay_acc", where=b, single=True)
            if len(shown_epochs) == len(source.epochs) and source.test:
                st.success(t("runs.replay_done", accuracy=f"{source.test['accuracy']:.1%}"))

        replay()

publish(URL_STATE)
