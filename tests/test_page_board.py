"""The class board: the engine's rows and CSV, and the page in solo and classroom mode."""

import csv
import io

import pytest

from cnn_core.classroom.room import SOLO, Classroom
from cnn_core.runs.board import board_csv, board_rows, run_rows
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunState, RunStore
from tests.helpers import assert_clean, run_page
from ui.classroom import IDENTITY_KEY

PAGE = "app_pages/board.py"
KEYS = {"CNN_CLASSROOM_CLASS_KEY": "blue-cat-42", "CNN_CLASSROOM_LECTURER_KEY": "lecturer-only-7"}


def finished_run(store, owner, strategy, val, test, name):
    run_id = store.create(RunConfig(strategy=strategy, dataset="synthetic", image_size=80), name, owner=owner)
    writer = store.writer(run_id)
    for epoch, (loss, accuracy) in enumerate([(0.69, val - 0.05), (0.55, val)], start=1):
        writer.epoch({"epoch": epoch, "loss": loss, "accuracy": accuracy, "val_loss": loss, "val_accuracy": accuracy})
    if test is not None:
        writer.test({"accuracy": test, "loss": 0.5})
        store.set_status(run_id, state=RunState.COMPLETED, params=991041, started_at=1000.0, ended_at=1150.0)
    else:
        store.set_status(run_id, state=RunState.RUNNING, params=991041, started_at=1000.0)
    return run_id


@pytest.fixture
def classroom(classroom_env):
    store = RunStore(classroom_env)
    room = Classroom.beside(store.root)
    ana, ben, prof = room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ana"), room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ben"), room.join(KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Prof")  # fmt: skip
    ids = {
        "ana_scratch": finished_run(store, ana, "scratch", 0.71, 0.69, "a1"),
        "ben_scratch": finished_run(store, ben, "scratch", 0.68, 0.70, "b1"),
        "ana_features": finished_run(store, ana, "feature_extraction", 0.97, None, "a2"),
    }
    return store, room, (ana, ben, prof), ids


def test_rows_numbers_hidden_names_and_filters(classroom):
    store, room, (ana, ben, prof), ids = classroom
    rows = board_rows(store.list(), prof, runs_hidden=False)
    assert [(r.member, r.strategy) for r in rows] == [
        ("Ana", "scratch"),
        ("Ben", "scratch"),
        ("Ana", "feature_extraction"),
    ]
    first = rows[0]
    assert (first.best_val_accuracy, first.test_accuracy, first.params, first.seconds) == (0.71, 0.69, 991041, 150.0)
    assert first.book_accuracy == STRATEGIES["scratch"].book_accuracy
    assert rows[2].accuracy == 0.97 and rows[2].test_accuracy is None  # still training: its best validation so far
    hidden = board_rows(store.list(), prof, runs_hidden=False, hide_names=True)
    assert [r.member for r in hidden] == ["#1", "#2", "#1"]  # the same number for all of a member's runs
    only = board_rows(store.list(), prof, runs_hidden=False, hide_names=True, strategies=["feature_extraction"])
    assert [r.member for r in only] == ["#1"]
    # when the lecturer hides the class's runs, Ben sees only his own
    assert [r.member for r in board_rows(store.list(), ben, runs_hidden=True)] == ["Ben"]
    table = list(csv.DictReader(io.StringIO(board_csv(rows))))
    assert table[0]["member"] == "Ana" and table[0]["test_accuracy"] == "0.69" and table[2]["test_accuracy"] == ""


def test_the_runs_pages_rows_come_from_the_same_records(classroom):
    store, _, _, ids = classroom
    rows = {r.run_id: r for r in run_rows(store.list(), at=1200.0)}
    done, running = rows[ids["ana_scratch"]], rows[ids["ana_features"]]
    assert (done.name, done.owner, done.strategy, done.dataset, done.base) == (
        "a1",
        "Ana",
        "scratch",
        "synthetic",
        None,
    )
    assert (done.params, done.best_val_accuracy, done.test_accuracy, done.seconds) == (991041, 0.71, 0.69, 150.0)
    assert running.base == "efficientnet_lite0" and running.test_accuracy is None
    assert running.seconds == 200.0  # still running: up to the time asked about


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_board_page_for_the_lecturer(classroom, lang):
    store, room, (ana, ben, prof), ids = classroom
    at = run_page(PAGE, lang, **{IDENTITY_KEY: prof})
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["Ana", "Ben", "Ana"]
    at.toggle(key="board_hide_names").set_value(True).run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["#1", "#2", "#1"]
    at.multiselect(key="board_strategies").set_value(["scratch"]).run()
    assert len(at.dataframe[0].value) == 2
    assert at.get("plotly_chart") and len(at.get("download_button")) == 1
    if lang == "en":  # the chart's text alternative says what its dots say
        book = f"{STRATEGIES['scratch'].book_accuracy:.1%}"
        summary = [c.value for c in at.caption if c.value.startswith("Each dot is one run's accuracy")]
        assert summary == [f"Each dot is one run's accuracy, grouped by strategy: 1. Small convnet from scratch: 69.0% to 70.0% over 2 run(s) (the book: {book}). The table above lists every run."], summary  # fmt: skip


def test_board_page_for_a_learner_when_runs_are_hidden(classroom):
    store, room, (ana, ben, prof), ids = classroom
    room.set_runs_hidden(True, by=prof)
    at = run_page(PAGE, **{IDENTITY_KEY: ben})
    assert_clean(at)
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["Ben"]


def test_board_page_in_solo_mode_and_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("CNN_CLASSROOM_CLASS_KEY", raising=False)
    at = run_page(PAGE)
    assert_clean(at)
    assert any("No runs yet" in i.value for i in at.info)
    store = RunStore(tmp_path / "runs")
    finished_run(store, SOLO, "scratch", 0.7, 0.7, "mine")
    at = run_page(PAGE)
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["–"]


@pytest.mark.slow
def test_a_challenge_from_the_lecturers_form_to_a_ranked_board(classroom_env):
    """The lecturer opens a challenge in the board's form; two learners submit their models from the training lab;
    the submissions train as their runs and the board ranks them; the code stays the lecturer's until the end."""
    from tests.helpers import ROOT, wait_until_ended

    store = RunStore(classroom_env)
    room = Classroom.beside(store.root)
    ana, ben, prof = room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ana"), room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ben"), room.join(KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Prof")  # fmt: skip
    at = run_page(PAGE, **{IDENTITY_KEY: prof})
    at.text_input(key="challenge_title").set_value("Shapes in one epoch")
    at.selectbox(key="challenge_dataset").set_value("synthetic")
    at.number_input(key="challenge_epochs").set_value(1)
    at.number_input(key="challenge_batch").set_value(8)
    at.number_input(key="challenge_images").set_value(8)
    at.number_input(key="challenge_max_params").set_value(100_000)
    at.button(key="FormSubmitter:challenge_form-Open the challenge").click().run()
    assert_clean(at)
    challenge = room.challenge()
    assert (challenge.title, challenge.dataset, challenge.epochs, challenge.max_params) == ("Shapes in one epoch", "synthetic", 1, 100_000)  # fmt: skip
    assert any(s.value == "Challenge: Shapes in one epoch" for s in at.header)

    residual = (ROOT / "tests" / "model_corpus" / "dlwp2_ch09_residual_block_function.py").read_text()
    lab = run_page("app_pages/train.py", **{IDENTITY_KEY: ana}, train_strategy="own_model", train_dataset="synthetic", train_model_code=residual)  # fmt: skip
    lab.button(key="train_challenge_submit").click().run()  # the book's residual net: over the budget
    assert [e.value for e in lab.error] == ["This model has 297,697 parameters; the challenge allows at most 100,000."]  # fmt: skip
    run_ids = []
    for learner, filters in ((ana, 32), (ben, 16)):
        code = residual.replace("filters=64", f"filters={filters}").replace("filters=128", f"filters={filters}")
        lab = run_page("app_pages/train.py", **{IDENTITY_KEY: learner}, train_strategy="own_model", train_dataset="synthetic", train_model_code=code)  # fmt: skip
        lab.button(key="train_challenge_submit").click().run()
        assert_clean(lab)
        run_ids.append(lab.session_state["train_run_id"])
    codes = {run_id: store.load(run_id).config.model_code for run_id in run_ids}
    records = wait_until_ended(store, *run_ids, timeout=240)
    for record in records:
        assert record.state == "completed" and record.meta["challenge"] == challenge.challenge_id, record.log_tail()
    best_first = sorted(records, key=lambda r: (-r.test["accuracy"], r.status["params"]))
    board = run_page(PAGE, **{IDENTITY_KEY: ben})
    assert_clean(board)
    ranking = board.dataframe[0].value
    assert list(ranking["Member"]) == [r.owner["nickname"] for r in best_first] and list(ranking["Rank"]) == [1, 2]
    assert list(ranking["Test accuracy"]) == [f"{r.test['accuracy']:.1%}" for r in best_first]
    assert list(ranking["Code"]) == [r.run_id if r.owner["nickname"] == "Ben" else "–" for r in best_first]
    assert board.code[0].value == codes[run_ids[1]].rstrip("\n")  # Ben reads his own code only, until the deadline
    lecturer = run_page(PAGE, **{IDENTITY_KEY: prof})
    assert list(lecturer.dataframe[0].value["Code"]) == [r.run_id for r in best_first]
    lecturer.button(key="challenge_close").click().run()
    assert list(run_page(PAGE, **{IDENTITY_KEY: ben}).dataframe[0].value["Code"]) == [r.run_id for r in best_first]


def test_the_accuracy_axis_is_wider_than_the_band_and_its_ticks_tell_close_values_apart():
    from cnn_core.runs.board import accuracy_axis

    axis = accuracy_axis([0.975, 0.98], [0.977])  # runs around the book's 97.7% band
    assert axis.low == pytest.approx(0.947) and axis.high == 1.0 and axis.tick_format == ".1%"
    assert axis.low < 0.967 and axis.high > 0.987  # wider than the band on both sides
    wide = accuracy_axis([0.55, 0.71, 0.93], [0.70, 0.98, float("nan")])
    assert (wide.tick_format, wide.low, wide.high) == (".0%", pytest.approx(0.55 - 0.044), 1.0)  # margin: span / 10
    assert accuracy_axis([], []) == accuracy_axis([None], [float("nan")])


def test_a_learners_own_model_has_no_book_figure_and_the_board_says_so(classroom):
    """The walk-through's defect: the "Book" column printed "None" for own-model rows."""
    store, room, (ana, ben, prof), ids = classroom
    own = store.create(RunConfig(strategy="own_model", dataset="synthetic", model_code="model = keras.Sequential([keras.Input((32, 32, 3)), layers.Flatten(), layers.Dense(1, activation='sigmoid')])"), "mine", owner=ben)  # fmt: skip
    store.set_status(own, state=RunState.COMPLETED, params=3073)
    at = run_page(PAGE, **{IDENTITY_KEY: prof})
    assert_clean(at)
    table = at.dataframe[0].value
    book = dict(zip(table.iloc[:, 1], table["Book"], strict=True))
    assert (
        book["Your model"] == "–"
        and book["1. Small convnet from scratch"] == f"{STRATEGIES['scratch'].book_accuracy:.1%}"
    )
