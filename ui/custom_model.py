"""Your model in the training lab: the listing's field, the launch check with its fix buttons, the one-click
comparisons from the seeds, and the way in from the parameter page and the runs page."""

from __future__ import annotations

import streamlit as st

from cnn_core.classroom.room import ClassroomError
from cnn_core.keras_code.free_names import parse_names
from cnn_core.keras_code.graph_report import MissingName, missing_names
from cnn_core.runs.board import run_rows
from cnn_core.runs.jobs import launch, reconcile
from cnn_core.training.comparisons import COMPARISONS, PAIR_MAX_SECONDS, Comparison, SizedPair, sized_pair
from cnn_core.training.custom_model import (
    MNIST_SHAPES,
    ModelCheck,
    ModelCheckError,
    Problem,
    code_difference,
    run_listing,
)
from cnn_core.training.run_config import CUSTOM, RunConfig
from cnn_core.training.run_store import ACTIVE_STATES
from ui.common import show_error, t
from ui.machine import estimate_basis
from ui.training import curves_chart, format_seconds, run_label

CODE_KEY, NAMES_KEY, BLOCKS_KEY = "train_model_code", "train_model_names", "train_model_blocks"
TRAIN_PAGE, EDITOR_PAGE = "app_pages/train.py", "app_pages/parameters.py"


def train_this_button(code: str, names_text: str, blocks: tuple[str, ...], **button) -> None:
    """The parameter page's "Train this model": the listing carried to the training lab's "Your model", then there."""

    def carry() -> None:
        st.session_state.update({CODE_KEY: code, NAMES_KEY: names_text, BLOCKS_KEY: tuple(blocks), "train_strategy": CUSTOM})  # fmt: skip

    if st.button(t("params.train_this"), key="params_train_this", help=t("params.train_this_help"), on_click=carry, **button):  # fmt: skip
        st.switch_page(TRAIN_PAGE)


def variant_button(listing: str | None, names_text: str, blocks: tuple[str, ...]) -> None:
    """The runs page's "Train a variant": the run's listing opened in the parameter page's editor."""

    def carry() -> None:
        st.session_state.update({"params_code": listing, "params_names": names_text, "params_blocks": list(blocks)})

    help_text = t("runs.variant_help") if listing else t("runs.variant_unavailable")
    if st.button(t("runs.variant"), key="runs_variant", disabled=listing is None, help=help_text, on_click=carry):
        st.switch_page(EDITOR_PAGE)


def saved_models(records) -> None:
    """Pick a saved model: the listing of any run the viewer may see (theirs, the book's strategies' convnets)."""
    listings = {r.run_id: r for r in records if r.config and run_listing(r.config)}
    if not listings:
        return

    def load() -> None:
        record = listings.get(st.session_state.get("train_saved_model"))
        if record is not None:
            config = record.config
            st.session_state.update({CODE_KEY: run_listing(config), NAMES_KEY: config.model_names, BLOCKS_KEY: config.model_blocks})  # fmt: skip

    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    labels = {i: run_label(r) for i, r in listings.items()}  # in this run's language (format_func may run later)
    c1.selectbox(t("custom.saved"), list(listings), key="train_saved_model", format_func=labels.__getitem__)
    c2.button(t("custom.load_saved"), key="train_load_saved", on_click=load, width="stretch")


def model_fields(lecture: bool) -> tuple[str, str, tuple[str, ...]]:
    """The listing, the values of its undefined names and its identity blocks, as the learner left them."""
    code = st.text_area(t("custom.code"), key=CODE_KEY, height=200 if lecture else 280, help=t("custom.code_help"))
    names = st.text_input(t("custom.names"), key=NAMES_KEY, help=t("custom.names_help"), max_chars=1000)
    blocks = tuple(st.session_state.get(BLOCKS_KEY, ()))
    if blocks:
        st.caption(t("custom.blocks_note", blocks=", ".join(blocks)))
    return code, names, blocks


def own_model_missing_names(check: ModelCheck, config: RunConfig) -> tuple[MissingName, ...]:
    """The names a learner's listing still needs, when that is why it cannot be read (suggested from the data it
    will train on: MNIST's shape and ten classes, or the image folder's)."""
    error = check.problems[0].error if check.problems else None
    if error is None or error.code != "undefined_name":
        return ()
    context = "mnist" if config.is_mnist else "cats_vs_dogs 180"
    return missing_names(config.model_code, parse_names(config.model_names), config.model_blocks, context)


def problem_text(problem: Problem) -> str:
    """A problem of the check in the user's language (the reader's own error, for a listing it cannot read)."""
    if problem.error is not None:
        message = t(f"{problem.error.catalog}.{problem.error.code}", **problem.error.details)
        return t("model_check.unreadable", line=problem.error.line, message=message)
    if problem.code == "not_image_model":  # what the model needs, in words
        return t("model_check.not_image_model", needs_text=t(f"model_check.needs_{problem.details['needs']}"), **problem.details)  # fmt: skip
    return t(f"model_check.{problem.code}", **problem.details)


def _apply_fix(problem: Problem) -> None:
    fix = problem.fix
    if fix is None:
        return
    if fix.new_code is not None:
        st.session_state[CODE_KEY] = fix.new_code
    if fix.batch_size is not None:
        st.session_state["train_batch"] = fix.batch_size


def _fix_button(problem: Problem, key: str) -> None:
    if problem.fix is not None:
        st.button(t(f"fixes.{problem.fix.code}", **problem.fix.details), key=key, on_click=_apply_fix, args=(problem,))


def loss_text(check: ModelCheck) -> str:
    if check.loss is None:
        return "–"
    name = t(f"custom.loss_{check.loss.name}")
    return t("custom.logits", loss=name) if check.loss.from_logits else name


def check_panel(check: ModelCheck, is_mnist: bool, image_size: int, batch: int) -> None:
    """What the launch check found: the model against the data (one small table, readable on a phone and on a
    projector), then each problem with its fix as a button, then the notes."""
    report = check.report
    rows = [f"| **{t('custom.check_title')}** | {t('custom.check_value')} |", "| --- | --- |"]
    if report is not None:
        shape = str((None, *check.input_shape)) if check.input_shape else "–"
        rows += [
            f"| {t('custom.input')} | `{shape}` |",
            f"| {t('custom.output')} | `{(None, *report.output_shape)}` |",
            f"| {t('custom.loss')} | {loss_text(check)} |",
            f"| {t('custom.params')} | {report.total_params:,} |",
            f"| {t('custom.memory', batch=batch)} | {check.memory_bytes / 1024**2:,.0f} MB |",
        ]
        if is_mnist and check.input_shape in MNIST_SHAPES:
            rows.append(f"| {t('custom.data_row')} | {t('custom.mnist_shape', shape=str(check.input_shape))} |")
        elif not is_mnist:
            rows.append(f"| {t('custom.data_row')} | {t('custom.image_size', size=image_size)} |")
    st.markdown("\n".join(rows))
    for i, problem in enumerate(check.problems):
        st.error(problem_text(problem))
        _fix_button(problem, f"train_fix_{i}")
    for i, note in enumerate(check.notes):
        st.info(problem_text(note))
        _fix_button(note, f"train_note_fix_{i}")
    if check.ok:
        st.success(t("custom.ready"))


def show_launch_refusal(err: ModelCheckError) -> None:
    """The engine's own refusal at launch (the listing changed, or another tab sent it)."""
    st.error(t(f"model_check.{err.code}", **{"line": "?", "message": "", **err.details}))


def comparisons_section(
    store, owner, mnist_source: str | None, image_folder: str | None, counts_of, records, calibration
) -> None:
    """One button per comparison from the seeds: both listings queued with the same workload, sized to the period
    on this machine (``counts_of(dataset)``: the dataset's counts; ``records`` and ``calibration`` for the estimate)."""
    st.header(t("custom.comparisons_title"))
    st.caption(t("custom.comparisons_intro"))
    for comparison in COMPARISONS.values():
        dataset = mnist_source if comparison.data == "mnist" else image_folder
        sized = None if dataset is None else sized_pair(comparison, dataset, counts_of(dataset), records, calibration)
        _comparison_row(store, owner, comparison, dataset, sized)


def _comparison_row(store, owner, comparison: Comparison, dataset: str | None, sized: SizedPair | None) -> None:
    a, b = (t(f"comparisons.{c.key}") for c in comparison.contenders)
    with st.container(border=True):
        st.markdown(f"**{t(f'comparisons.{comparison.name}')}**")
        st.caption(t(f"comparisons.{comparison.name}_claim"))
        images, epochs = comparison.rung_workload(sized.rung if sized else 0)
        workload = t("custom.compare_workload", epochs=epochs, batch=comparison.batch_size, images=images)
        st.caption(workload)
        if dataset is None or sized is None:
            st.caption(t(f"custom.compare_needs_{comparison.data}"))
            return
        budget, time_text = f"{PAIR_MAX_SECONDS / 60:g}", format_seconds(sized.seconds)
        if not sized.fits:
            st.warning(t("machine.pair_too_slow", time=time_text, budget=budget))
        elif sized.rung:
            st.caption(t("machine.pair_sized", images=images, epochs=epochs, budget=budget, time=time_text))
        else:
            st.caption(t("machine.pair_estimate", time=time_text), help=estimate_basis(sized.estimates[0]))
        if st.button(t("custom.compare_launch"), key=f"train_compare_{comparison.name}"):
            run_ids = []
            try:
                for config, label, expected in zip(sized.configs, (a, b), sized.estimates, strict=True):
                    run_ids.append(launch(store, config, name=label, owner=owner, estimated_seconds=expected.seconds))
            except ClassroomError as err:
                show_error("classroom_errors", err)
            except ModelCheckError as err:
                show_launch_refusal(err)
            if run_ids:
                st.session_state["train_pair_runs"] = run_ids
                st.toast(t("custom.compare_queued", a=a, b=b))


def runs_table(records) -> None:
    """Name, strategy, parameters, time, accuracies and the train-validation gap of the given runs."""
    st.dataframe(
        [
            {
                t("runs.col_name"): row.name,
                t("runs.col_status"): t(f"states.{row.state}"),
                t("runs.col_strategy"): t(f"strategies.{row.strategy}") if row.strategy else "–",
                t("runs.col_params"): f"{row.params:,}" if row.params is not None else "–",
                t("runs.col_duration"): format_seconds(row.seconds),
                t("runs.col_test"): f"{row.test_accuracy:.1%}" if row.test_accuracy is not None else "–",
                t("runs.col_best_val"): f"{row.best_val_accuracy:.1%}" if row.best_val_accuracy is not None else "–",
                t("runs.col_gap"): f"{row.train_val_gap:+.1%}" if row.train_val_gap is not None else "–",
            }
            for row in run_rows(records)
        ],
        hide_index=True,
        width="stretch",
    )


def code_difference_view(first, second) -> None:
    """The two runs' listings as a unified diff, highlighted (for runs whose code is known)."""
    before, after = (run_listing(r.config) if r.config else None for r in (first, second))
    if before is None or after is None:
        return
    diff = code_difference(before, after, first.name or first.run_id, second.name or second.run_id)
    st.markdown(f"**{t('runs.code_diff', a=first.name or first.run_id, b=second.name or second.run_id)}**")
    if diff:
        st.code(diff, language="diff", wrap_lines=True)
    else:
        st.caption(t("runs.code_same"))


def pair_view(store, run_ids: list[str], key: str) -> None:
    """A comparison's two runs: the table and both curves, refreshed every 2 s while either is active."""

    def records():
        existing = set(store.run_ids())
        return reconcile(store, [i for i in run_ids if i in existing])

    active = any(r.state in ACTIVE_STATES for r in records())

    @st.fragment(run_every=2.0 if active else None)
    def view() -> None:
        shown = records()
        runs_table(shown)
        with_epochs = [r for r in shown if r.epochs]
        if with_epochs:
            a, b = st.columns(2)
            curves_chart(with_epochs, "accuracy", key=f"{key}_acc", where=a, bands=False)
            curves_chart(with_epochs, "loss", key=f"{key}_loss", where=b, bands=False)
        if len(shown) == 2:
            code_difference_view(*shown)

    view()
