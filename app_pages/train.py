"""Training lab: choose a strategy (or your own model), see the estimate and the book's result, launch, watch it learn."""

from pathlib import Path

import streamlit as st

from cnn_core.classroom.room import ClassroomError
from cnn_core.core.settings import load_settings
from cnn_core.data.acquire import synthetic_counts
from cnn_core.data.datasets import image_counts
from cnn_core.data.reports import mnist_counts
from cnn_core.runs.jobs import configured_backend, launch
from cnn_core.runs.recorded import recorded_runs
from cnn_core.runs.story import queue_story, replayed_story, sized_lecture_run, sized_live_plan
from cnn_core.training.custom_model import ModelCheckError, check_run, model_input_size
from cnn_core.training.estimate import estimate, workload
from cnn_core.training.precision import expected_precision
from cnn_core.training.registry import IMAGE_STRATEGIES, PRESETS, get_strategy
from cnn_core.training.run_config import (
    BASES,
    CUSTOM,
    OPTIMIZERS,
    RunConfig,
    apply_preset,
    preset_changes,
    preset_epochs,
)
from cnn_core.training.run_store import ACTIVE_STATES, RunState
from ui.challenge import submit_button
from ui.classroom import me
from ui.common import current_language, labeler, show_error, t
from ui.custom_model import (
    BLOCKS_KEY,
    NAMES_KEY,
    check_panel,
    comparisons_section,
    model_fields,
    own_model_missing_names,
    pair_view,
    saved_models,
    show_launch_refusal,
)
from ui.data_flows import data_flows
from ui.lecture import lecture_mode
from ui.machine import estimate_basis, lecture_sizing, machine_panel, story_sizing
from ui.model_code import ask_for_names
from ui.story import LIVE_RUNS_KEY, prepare_panel, story_section
from ui.story import URL_RULES as STORY_URL_STATE
from ui.training import dataset_choices, format_seconds, live_run_view, mnist_choices, pick_run, runs_now
from ui.url_state import Choice, Num, Text, publish, restore


@st.cache_data(ttl=60, show_spinner=False)
def dataset_counts(folder: str) -> dict[str, dict[str, int]]:
    """``counts[split][class]`` of the chosen dataset, for the estimate."""
    if folder == "mnist" or folder.endswith(".npz"):
        return mnist_counts()
    return synthetic_counts() if folder == "synthetic" else image_counts(Path(folder))


STRATEGY_CHOICES = (*IMAGE_STRATEGIES, CUSTOM)
URL_STATE = {
    "train_strategy": Choice(STRATEGY_CHOICES), "train_base": Choice(BASES), "train_preset": Choice(PRESETS),
    "train_epochs": Num(1, 1000), "train_batch": Num(1, 1024), "train_lr": Num(1e-7, 1.0, is_float=True),
    "train_dataset": Text(200), "train_precision": Choice(("auto", "float32")), "train_model_code": Text(4000),
    "train_model_names": Text(1000), "train_optimizer": Choice(OPTIMIZERS), "train_images": Num(1, 100_000),
} | STORY_URL_STATE  # fmt: skip
restore("train", URL_STATE)
st.title(t("train.title"))
st.caption(t("train.intro"))
settings = load_settings()
store, records = runs_now()
calibration = machine_panel(store)

c1, c2, c3 = st.columns(3)
strategy = c1.selectbox(
    t("train.strategy"),
    STRATEGY_CHOICES,
    help=t("help.train_strategy"),
    key="train_strategy",
    format_func=labeler("strategies."),
)
datasets = dataset_choices(tuple(str(r) for r in settings.data_roots))
if strategy == CUSTOM:  # your own model trains on MNIST too
    datasets = mnist_choices(tuple(str(r) for r in settings.data_roots), current_language()) | datasets
if st.session_state.get("train_dataset") not in datasets:
    st.session_state.pop("train_dataset", None)  # a link from another machine names another dataset
dataset_name = c2.selectbox(
    t("train.dataset"),
    list(datasets),
    help=t("help.train_dataset"),
    key="train_dataset",
    format_func={n: t("train.synthetic") if n == "synthetic" else n for n in datasets}.__getitem__,
)
entry = get_strategy(strategy)
base = c3.selectbox(
    t("train.base"),
    BASES,
    help=t("help.train_base"),
    key="train_base",
    disabled=not entry.pretrained_base or entry.continues is not None,  # fine-tuning keeps its source's base
)
model_code, model_names, model_blocks = "", "", ()
if strategy == CUSTOM:
    st.caption(t("custom.intro"))
    saved_models(records)
    model_code, model_names, model_blocks = model_fields(lecture_mode())
c1, c2, c3, c4 = st.columns(4)
preset = c1.radio(
    t("train.preset"),
    PRESETS,
    help=t("help.train_preset"),
    key="train_preset",
    format_func=labeler("custom.preset_" if strategy == CUSTOM else "train.preset_"),  # your model keeps its size
    horizontal=True,
)
epochs = c2.number_input(
    t("train.epochs"),
    1,
    1000,
    value=None,
    key="train_epochs",
    placeholder=str(preset_epochs(strategy, preset)),
    help=t("train.epochs_help"),
)
batch = c3.number_input(
    t("train.batch"),
    1,
    1024,
    value=None,
    help=t("help.train_batch"),
    key="train_batch",
    placeholder=str(entry.workload(preset).batch_size or entry.batch_size),
)
lr = c4.number_input(
    t("train.learning_rate"), 1e-7, 1.0, value=None, help=t("help.train_lr"), key="train_lr", format="%g",
    placeholder=str(entry.learning_rate or t("train.optimizer_default")),
)  # fmt: skip
optimizer = images = None
if strategy == CUSTOM:  # your model: every setting of its workload
    o1, o2 = st.columns(2)
    optimizer = o1.selectbox(t("custom.optimizer"), OPTIMIZERS, key="train_optimizer", help=t("custom.optimizer_help"))
    images = o2.number_input(
        t("custom.images_per_class"), 1, 100_000, value=None, key="train_images", help=t("custom.images_help"),
        placeholder=str(entry.workload(preset).limit_per_class or t("custom.all_images")),
    )  # fmt: skip
start_from = None
if entry.continues:
    sources = [
        r for r in records if r.config and r.config.strategy == entry.continues and r.state == RunState.COMPLETED
    ]
    if not sources:
        st.info(t("train.needs_stage_3b"))
    else:
        by_id = {r.run_id: r for r in sources}
        start = pick_run(t("train.start_from"), by_id, "train_start_from")
        start_from, base = start.run_id, start.config.base
name = st.text_input(t("train.name"), key="train_name", max_chars=120)
automatic = expected_precision("auto", entry.automatic_speedups)
precision = st.session_state.get("train_precision", "auto")
if not lecture_mode():  # an advanced control: hidden on the projector
    precision = st.radio(
        t("train.precision"),
        ("auto", "float32"),
        key="train_precision",
        horizontal=True,
        format_func={
            "auto": t("train.precision_auto", precision=automatic),
            "float32": t("train.precision_float32"),
        }.__getitem__,  # fmt: skip
        help=t("help.train_precision"),
    )
publish(URL_STATE)
data_flows()


def comparisons() -> None:
    """Your model's one-click comparisons from the seeds, and the pair launched from this browser."""
    st.divider()
    roots = tuple(str(r) for r in settings.data_roots)
    mnist_source = next(iter(mnist_choices(roots, current_language()).values()))
    image_folders = [folder for folder in dataset_choices(roots).values() if folder != "synthetic"]
    comparisons_section(
        store, me(), mnist_source, next(iter(image_folders), None), dataset_counts, records, calibration
    )
    pair_runs = st.session_state.get("train_pair_runs")  # launched from this browser only
    if pair_runs:
        pair_view(store, pair_runs, key="train_pair_view")


if strategy == CUSTOM and not model_code.strip():
    st.info(t("custom.empty"))
    comparisons()
    st.stop()
counts = dataset_counts(datasets[dataset_name])
try:
    chosen = RunConfig(
        strategy=strategy,
        dataset=datasets[dataset_name],
        base=base,
        image_size=model_input_size(model_code, model_names, model_blocks) if strategy == CUSTOM else 180,
        epochs=epochs,
        batch_size=batch,
        learning_rate=lr,
        optimizer=optimizer,
        limit_per_class=images,
        start_from=start_from,
        name=name,
        precision=precision,
        model_code=model_code,
        model_names=model_names,
        model_blocks=model_blocks,
    )  # fmt: skip
    if preset == "lecture" and strategy != CUSTOM:  # the lesson sized to the period on this machine
        sized = sized_lecture_run(chosen, counts, records, calibration)
        config, expected = sized.config, sized.estimate
    else:
        sized, config = None, apply_preset(chosen, preset)
        n_train, n_validation, n_test = workload(config, counts)
        expected = estimate(config, n_train, n_validation, history=records, n_test=n_test, calibration=calibration)
except ValueError as err:
    st.error(t("train.invalid", message=str(err)))
    st.stop()
check = check_run(config) if config.is_custom else None

n_train, n_validation, n_test = workload(config, counts)
m1, m2 = st.columns(2)
m1.metric(t("train.estimate"), format_seconds(expected.seconds), help=estimate_basis(expected))
if check is None:
    m2.metric(t("train.book_result"), f"{entry.book_accuracy:.1%}")
elif missing := own_model_missing_names(check, config):
    ask_for_names(missing, NAMES_KEY, BLOCKS_KEY, "train")  # every name at once, as the editor asks
else:
    check_panel(check, config.is_mnist, config.image_size, config.effective_batch_size)
st.caption(
    t(
        "train.workload_value",
        epochs=config.effective_epochs,
        images=n_train,
        size=28 if config.is_mnist else config.image_size,
    )
)
if sized is not None:
    lecture_sizing(sized, chosen, counts, records, calibration)
changes = preset_changes(strategy, preset, sized.rung if sized else 0)
if changes:
    listed = "; ".join(t(f"train.setting_{field}", book=book, value=value) for field, book, value in changes)
    st.caption(t("train.preset_changes", changes=listed) + " " + t("train.lecture_why"))
if dataset_name == "synthetic":
    st.caption(t("train.synthetic_note"))
active = [r for r in records if r.state in ACTIVE_STATES]
if active:
    st.caption(t("train.queue_note", running=len(active), limit=configured_backend().capacity() or "?"))
disabled = (entry.continues is not None and start_from is None) or (check is not None and not check.ok)
if st.button(t("train.launch"), key="train_launch", type="primary", disabled=disabled):
    try:
        run_id = launch(store, config, name=name, estimated_seconds=expected.seconds, owner=me())
    except ClassroomError as err:  # the learner's quota is full
        show_error("classroom_errors", err)
    except ModelCheckError as err:  # the engine's own check (the button's state may be stale)
        show_launch_refusal(err)
    else:
        st.session_state["train_run_id"] = run_id
        st.toast(t("train.launched", run_id=run_id))
if check is not None:
    submit_button(store, model_code, model_names, model_blocks, not check.ok, dataset_counts, records, calibration)

st.divider()
st.header(t("train.live_title"))
run_id = st.session_state.get("train_run_id")  # only a run launched from this browser: never someone else's
if run_id is None and not me().is_solo:  # a class member's own newest active run, after a reload
    run_id = next((r.run_id for r in records if r.owner["id"] == me().member_id and r.state in ACTIVE_STATES), None)
if run_id is None:
    st.caption(t("train.nothing_running_here", active=len(active)) if active else t("train.nothing_running"))
else:
    live_run_view(store, run_id, key="train_live")

if strategy == CUSTOM:
    comparisons()
    st.stop()  # the book's story is about the book's strategies

st.divider()
st.header(t("train.story_title"))
st.caption(t("train.story_intro"))
sized_story = sized_live_plan(datasets[dataset_name], base, counts, records, calibration)
plan = sized_story.plan
st.caption(t("train.story_estimate", total=format_seconds(sum(p.estimate.seconds for p in plan))))
story_sizing(sized_story)
c1, c2 = st.columns(2)
if c1.button(t("train.story_launch"), key="train_story", help=t("help.train_story")):
    try:
        st.session_state[LIVE_RUNS_KEY] = queue_story(store, plan, launch, owner=me())
    except ClassroomError as err:
        show_error("classroom_errors", err)
    else:
        st.toast(t("train.story_queued", n=len(plan)))
replay, preparing = replayed_story(records, recorded_runs())
with c2:
    prepare_panel(store, records, preparing, datasets[dataset_name], base, dataset_counts)
story_section(store, records, replay, preparing, URL_STATE, key="train_story_view")
