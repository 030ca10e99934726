"""The class challenge on the class board (the lecturer opens and closes it; everyone sees the ranking) and the
training lab's "Submit to the challenge" button. Every rule is the engine's (:mod:`cnn_core.runs.challenge`)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from cnn_core.classroom.challenge import Challenge, ChallengeError, CodeVisibility
from cnn_core.classroom.room import ClassroomError
from cnn_core.runs.challenge import ranking, submission_code, submission_config, submit
from cnn_core.training.custom_model import ModelCheckError
from cnn_core.training.estimate import estimate, workload
from ui.classroom import classroom, me
from ui.common import labeler, show_error, t
from ui.custom_model import show_launch_refusal
from ui.machine import estimate_basis
from ui.training import format_seconds


def challenge_rules(challenge: Challenge) -> str:
    budget = []
    if challenge.max_params is not None:
        budget.append(t("challenge.budget_params", params=f"{challenge.max_params:,}"))
    if challenge.max_seconds is not None:
        budget.append(t("challenge.budget_seconds", time=format_seconds(challenge.max_seconds)))
    return t(
        "challenge.rules",
        dataset=challenge.dataset.rsplit("/", 1)[-1],
        epochs=challenge.epochs,
        batch=challenge.batch_size,
        images=challenge.limit_per_class or t("challenge.all_images"),
        budget="; ".join(budget) or t("challenge.no_budget"),
    )


def open_form(datasets: dict[str, str]) -> None:
    """The lecturer's form: data, workload, budget, deadline and who may read the code afterwards."""
    with st.expander(t("challenge.open_title"), expanded=classroom().challenge() is None):
        with st.form("challenge_form"):
            title = st.text_input(t("challenge.title_field"), key="challenge_title", max_chars=80)
            dataset = st.selectbox(t("train.dataset"), list(datasets), key="challenge_dataset")
            c1, c2, c3 = st.columns(3)
            epochs = c1.number_input(t("train.epochs"), 1, 1000, 3, key="challenge_epochs")
            batch = c2.number_input(t("train.batch"), 1, 1024, 64, key="challenge_batch")
            images = c3.number_input(t("challenge.images_per_class"), 0, 100_000, 500, key="challenge_images", help=t("challenge.images_help"))  # fmt: skip
            c4, c5, c6 = st.columns(3)
            max_params = c4.number_input(t("challenge.max_params"), 0, 10**9, 0, key="challenge_max_params", help=t("challenge.zero_no_limit"))  # fmt: skip
            max_minutes = c5.number_input(t("challenge.max_minutes"), 0.0, 600.0, 0.0, key="challenge_max_minutes", help=t("challenge.zero_no_limit"))  # fmt: skip
            minutes = c6.number_input(t("challenge.deadline_minutes"), 1, 7 * 24 * 60, 30, key="challenge_minutes")
            visibility = st.radio(t("challenge.code_visibility"), list(CodeVisibility), key="challenge_visibility", format_func=labeler("challenge.visibility_"), horizontal=True)  # fmt: skip
            if st.form_submit_button(t("challenge.open"), type="primary"):
                try:
                    rules = Challenge.new(
                        time.time(), minutes, title=title, dataset=datasets[dataset], epochs=int(epochs),
                        batch_size=int(batch), limit_per_class=int(images) or None, max_params=int(max_params) or None,
                        max_seconds=float(max_minutes) * 60 or None, code_visibility=visibility,
                    )  # fmt: skip
                    classroom().open_challenge(rules, by=me())
                except (ChallengeError, ClassroomError) as err:
                    show_error(err.catalog, err)
                else:
                    st.toast(t("challenge.opened", title=rules.title))


def challenge_section(store, records, runs_hidden: bool, hide_names: bool, datasets: dict[str, str]) -> None:
    """The challenge's card, its ranked submissions and the code a viewer may read; the lecturer's controls."""
    viewer = me()
    if viewer.is_lecturer or viewer.is_solo:
        open_form(datasets)
    challenge = classroom().challenge()
    if challenge is None:
        return
    now = time.time()
    st.header(t("challenge.heading", title=challenge.title))
    state = t("challenge.open_until", left=format_seconds(challenge.deadline - now)) if challenge.is_open(now) else t("challenge.ended")  # fmt: skip
    st.caption(f"{state} · {challenge_rules(challenge)}")
    if challenge.is_open(now) and (viewer.is_lecturer or viewer.is_solo):
        if st.button(t("challenge.close"), key="challenge_close"):
            classroom().close_challenge(by=viewer, at=now)
            st.rerun()
    rows = ranking(store.list(), challenge, viewer, runs_hidden, hide_names, now)  # ranked among all, shown: theirs
    if not rows:
        st.info(t("challenge.no_submissions"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("challenge.col_rank"): [r.rank or "–" for r in rows],
                t("board.col_member"): [r.member for r in rows],
                t("runs.col_status"): [t(f"states.{r.state}") for r in rows],
                t("runs.col_test"): [f"{r.test_accuracy:.1%}" if r.test_accuracy is not None else "–" for r in rows],
                t("runs.col_params"): [f"{r.params:,}" if r.params is not None else "–" for r in rows],
                t("runs.col_duration"): [format_seconds(r.seconds) for r in rows],
                t("challenge.col_budget"): ["✓" if r.within_budget else "✗" for r in rows],
                t("challenge.col_code"): [r.run_id if r.code_visible else "–" for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    readable = {r.run_id: r for r in rows if r.code_visible}
    if readable:
        labels = {i: f"{r.rank or '–'}. {r.member} ({i})" for i, r in readable.items()}
        run_id = st.selectbox(t("challenge.read_code"), list(readable), key="challenge_code_run", format_func=labels.__getitem__)  # fmt: skip
        try:  # the engine decides again who may read it
            st.code(submission_code(store, run_id, challenge, viewer, now), language="python", wrap_lines=True)
        except ChallengeError as err:
            show_error(err.catalog, err)
    elif challenge.code_visibility == CodeVisibility.AFTER_DEADLINE and challenge.is_open(now):
        st.caption(t("challenge.code_after_deadline"))


def submit_button(
    store,
    code: str,
    names_text: str,
    blocks: tuple[str, ...],
    disabled: bool,
    counts_of=None,
    records=(),
    calibration=None,
) -> None:
    """The training lab's "Submit to the challenge" (your model), while a challenge is open, with the submission's
    estimate on this machine (``counts_of(dataset)``: the challenge dataset's counts)."""
    challenge = classroom().challenge()
    if challenge is None or not challenge.is_open(time.time()):
        return
    st.caption(t("challenge.submit_note", title=challenge.title, rules=challenge_rules(challenge)))
    expected = None
    if counts_of is not None and not disabled:
        try:
            config = submission_config(challenge, code, names_text, blocks)
            n_train, n_validation, n_test = workload(config, counts_of(config.dataset))
            expected = estimate(config, n_train, n_validation, records, n_test=n_test, calibration=calibration)
        except (ValueError, OSError):
            expected = None  # the check below says what is wrong with the listing or the data
    if expected is not None:
        st.caption(t("challenge.submit_estimate", time=format_seconds(expected.seconds)), help=estimate_basis(expected))
    if st.button(t("challenge.submit"), key="train_challenge_submit", disabled=disabled):
        try:
            run_id = submit(
                store,
                classroom(),
                code,
                by=me(),
                names_text=names_text,
                blocks=blocks,
                estimated_seconds=expected.seconds if expected else None,
            )
        except (ChallengeError, ClassroomError) as err:
            show_error(err.catalog, err)
        except ModelCheckError as err:
            show_launch_refusal(err)
        else:
            st.session_state["train_run_id"] = run_id
            st.toast(t("challenge.submitted", title=challenge.title))
