import pytest

from cnn_core.core.settings import load_settings
from tests.helpers import assert_clean, run_page

PAGE = "app_pages/runs.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_table_lists_every_state(runs, lang):
    at = run_page(PAGE, lang, timeout=60)
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == 4
    states = set(table.iloc[:, 1])
    expected = {"en": {"completed", "running", "failed", "damaged"}, "ko": {"완료", "훈련 중", "실패", "손상됨"}}[lang]
    assert states == expected


def test_finished_run_evaluation_and_downloads(runs):
    at = run_page(PAGE, timeout=60, runs_selected=runs["completed"])
    assert_clean(at)
    assert any(m.label == "Test accuracy" and m.value == "66.7%" for m in at.metric)  # 4 of 6 right
    captions = [c for img in at.image for c in img.captions]
    assert sorted(captions) == ["cat → dog (90%)", "dog → cat (90%)"]
    assert len(at.get("download_button")) == 3
    confusion = next(d.value for d in at.dataframe if d.value.shape == (2, 2))
    assert confusion.values.tolist() == [[2, 1], [1, 2]]


def test_running_failed_and_damaged_runs(runs):
    at = run_page(PAGE, timeout=60, runs_selected=runs["running"])
    assert_clean(at)
    assert any("Epoch 3/10 · batch 5/10" in str(p.proto.text) for p in at.get("progress"))
    at = run_page(PAGE, timeout=60, runs_selected=runs["failed"])
    assert any("has no 'dog' folder" in e.value for e in at.error)
    at = run_page(PAGE, timeout=60, runs_selected=runs["damaged"])
    assert any("damaged" in e.value for e in at.error)


def test_prediction_on_an_upload(runs):
    from tests.image_samples import samples

    at = run_page(PAGE, timeout=120, runs_selected=runs["completed"])
    at.file_uploader(key="runs_predict_upload").set_value(("cat.png", samples()["png_ok"], "image/png")).run(
        timeout=120
    )
    assert_clean(at)
    assert any(s.value.startswith("Prediction: **") for s in at.success)


def test_compare_and_replay(runs):
    at = run_page(PAGE, timeout=60)
    options = at.multiselect(key="runs_compare").options
    assert len(options) >= 2  # our runs with epochs, plus the recorded runs shipped with the app
    at.multiselect(key="runs_compare").set_value([runs["completed"]]).run()
    assert_clean(at)
    # each chart's text alternative: the best epoch in words and every epoch in a table beside it
    summaries = [c.value for c in at.caption if c.value.startswith(("Accuracy per epoch", "Loss per epoch"))]
    # the compare tab's two; the other tabs draw their own (of whichever run they open with)
    compared = [s for s in summaries if "finished demo: best validation" in s]
    assert len(compared) >= 2 and all("best validation" in s for s in summaries), summaries
    epochs = [d.value for d in at.dataframe if "Epoch" in d.value.columns]
    assert len(epochs) == len(summaries) and sum("finished demo" in set(f["Run"]) for f in epochs) >= 2
    at.selectbox(key="runs_replay").set_value(runs["completed"]).run()
    at.button(key="runs_replay_start").click().run()
    assert_clean(at)


def test_rename_and_delete(runs, tmp_path):
    at = run_page(PAGE, timeout=60, runs_selected=runs["failed"])
    at.text_input(key="runs_new_name").input("renamed run").run()
    at.button(key="runs_rename").click().run()
    assert "renamed run" in set(at.dataframe[0].value.iloc[:, 0])
    at.checkbox(key="runs_confirm_delete").check().run()
    at.button(key="runs_delete").click().run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 3


def test_missing_numbers_are_empty_cells_not_none(runs):
    at = run_page(PAGE, "ko", timeout=60)
    assert_clean(at)
    table = at.dataframe[0].value
    for column in table.columns[5:8]:  # parameters, best validation, test accuracy
        assert "None" not in [str(v) for v in table[column]]
        assert str(table[column].dtype) in ("Int64", "Float64")


def test_recorded_runs_are_named_in_the_session_language():
    from cnn_core.runs.recorded import recorded_runs

    at = run_page(PAGE, "ko", timeout=60, runs_compare=[r.run_id for r in recorded_runs()])
    assert_clean(at)
    names = [o for o in at.multiselect(key="runs_compare").value]
    assert names and all(not str(n).startswith("Recorded") for n in at.multiselect(key="runs_compare").options)


def test_two_of_your_models_compared_show_their_table_and_code_difference(env):
    """Two listings trained (the book's convnet and its variant with Dropout): the comparison's table names each by
    its name and parameters, and the code difference is the one line added, highlighted as a diff."""
    from cnn_core.training.comparisons import COMPARISONS
    from cnn_core.training.run_store import RunStore
    from tests.run_fixtures import EPOCHS

    store = RunStore(load_settings().runs_dir)  # this module's runs folder (its fixture's, when it ran first)
    ids = []
    for contender, config in zip(COMPARISONS["dropout"].contenders, COMPARISONS["dropout"].configs("synthetic"), strict=True):  # fmt: skip
        run_id = store.create(config, contender.key)
        for e in EPOCHS:
            store.writer(run_id).epoch(e)
        store.set_status(run_id, state="completed", params=978_753, started_at=1, ended_at=61)
        ids.append(run_id)
    at = run_page(PAGE, runs_compare=ids)
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "Train − validation accuracy (last epoch)" in d.value.columns)
    assert list(table["Name"]) == ["dropout_without", "dropout_with"] and set(table["Parameters"]) == {"978,753"}
    assert list(table["Train − validation accuracy (last epoch)"]) == ["+7.0%", "+7.0%"]  # 82% - 75%
    diff = next(c for c in at.code if c.language == "diff").value
    assert [line for line in diff.splitlines() if line.startswith(("+x", "-x"))] == ["+x = layers.Dropout(0.5)(x)"]


def test_a_variant_opens_the_runs_listing_in_the_editor(env):
    from streamlit.testing.v1 import AppTest

    from cnn_core.training.comparisons import SEED001_MLP
    from cnn_core.training.run_config import RunConfig
    from cnn_core.training.run_store import RunStore
    from tests.helpers import ROOT

    store = RunStore(load_settings().runs_dir)
    mine = store.create(RunConfig("own_model", "mnist", model_code=SEED001_MLP), "my mlp")
    based = store.create(RunConfig("feature_extraction", "synthetic"), "on a base")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGE).run()
    at.selectbox(key="runs_selected").set_value(based).run()
    assert at.button(key="runs_variant").disabled
    at.selectbox(key="runs_selected").set_value(mine).run()
    at.button(key="runs_variant").click().run()
    assert_clean(at)
    assert at.text_area(key="params_code").value == SEED001_MLP
    assert at.metric[0].label and any(m.value == "407,050" for m in at.metric)


def test_the_table_separates_thousands_gives_one_decimal_and_names_an_unnamed_run(env, monkeypatch):
    """The walk-through's defects: parameters as 991041, accuracies with varying decimals, a run without a name
    listed by its id."""
    import json

    from cnn_core.training.run_config import RunConfig
    from cnn_core.training.run_store import RunState, RunStore

    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(env.runs))  # not the module's ``runs`` fixture's folder
    store = RunStore(env.runs)
    run_id = store.create(RunConfig("scratch", "synthetic"), "")
    store.set_status(run_id, state=RunState.COMPLETED, params=991_041)
    store.writer(run_id).test({"accuracy": 0.7123, "loss": 0.6})
    at = run_page(PAGE)
    assert_clean(at)
    table = at.dataframe[0].value
    name = table.iloc[0, 0]
    assert name != run_id and name.startswith("1. Small convnet from scratch"), name
    assert table["Test accuracy"].iloc[0] == pytest.approx(71.23)
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["Parameters"]["type_config"]["format"] == "localized"
    assert config["Test accuracy"]["type_config"]["format"] == "%.1f%%"
