import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.core.i18n import translate
from cnn_core.core.settings import load_settings
from cnn_core.data.datasets import image_counts
from cnn_core.runs.jobs import stop
from cnn_core.runs.story import STORY, sized_lecture_run
from cnn_core.training.machine import MachineFolder, this_machine
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunStore
from tests.helpers import ROOT, assert_clean, machine_slower_by, run_page, wait_until_ended
from ui.training import dataset_choices, format_seconds

PAGE = "app_pages/train.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_form_shows_estimate_and_book_result(env, lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    labels = {m.label: m.value for m in at.metric}
    book = {"ko": "책의 테스트 정확도", "en": "The book's test accuracy"}[lang]
    assert labels[book] == "70.0%"
    at.selectbox(key="train_strategy").set_value("feature_extraction").run()
    assert {m.label: m.value for m in at.metric}[book] == "97.7%"


def test_estimate_follows_epochs_and_preset(env):
    at = run_page(PAGE, train_strategy="scratch")
    before = {m.label: m.value for m in at.metric}["Estimated time"]
    at.number_input(key="train_epochs").set_value(90).run()
    after = {m.label: m.value for m in at.metric}["Estimated time"]
    assert before != after
    at.radio(key="train_preset").set_value("lecture").run()
    size = STRATEGIES["scratch"].lecture.image_size
    assert any(f"at {size} px" in c.value for c in at.caption)
    assert any(c.value.startswith(f"Changed from the book: image size 180 → {size} px") for c in at.caption)


def test_fine_tuning_needs_a_finished_3b_run(env):
    at = run_page(PAGE, train_strategy="fine_tuning")
    assert_clean(at)
    assert any("continues a finished run of strategy 3b" in i.value for i in at.info)
    assert at.button(key="train_launch").disabled


@pytest.mark.slow
def test_a_real_tiny_run_launched_from_the_page(env):
    at = run_page(PAGE, train_strategy="scratch", train_dataset="synthetic", train_preset="lecture", train_epochs=2)
    assert_clean(at)
    at.button(key="train_launch").click().run()
    run_id = at.session_state["train_run_id"]
    store = RunStore(env.runs)
    wait_until_ended(store, run_id, timeout=120)
    record = store.load(run_id)
    assert record.state == "completed", record.log_tail()
    size = STRATEGIES["scratch"].lecture.image_size
    assert (record.config.image_size, record.config.effective_epochs, record.config.dataset) == (size, 2, "synthetic")
    assert record.estimated_seconds > 0
    at.run()
    assert {m.label: m.value for m in at.metric}["Status"] == "completed"
    live_charts = [c.key for c in at.get("plotly_chart") if c.key.startswith("train_live")]
    assert live_charts == ["train_live_loss", "train_live_acc"]


def test_build_the_books_subset_from_a_kaggle_folder(env):
    import numpy as np
    from PIL import Image

    flat = env.data / "kaggle" / "train"
    flat.mkdir(parents=True)
    for label in ("cat", "dog"):
        for n in range(12):
            Image.fromarray(np.full((20, 20, 3), n * 10, np.uint8)).save(flat / f"{label}.{n}.jpg")
    at = run_page(PAGE)
    assert at.selectbox(key="data_kaggle_folder").value.endswith("kaggle/train")
    at.text_input(key="data_output_name").input("../escape").run()
    at.button(key="data_build").click().run()
    assert any("letters, digits" in e.value for e in at.error)
    at.text_input(key="data_output_name").input("small").run()
    at.button(key="data_build").click().run()
    assert_clean(at)
    assert any("Ready:" in s.value for s in at.success)
    assert len(list((env.data / "small" / "train" / "cat").glob("*.jpg"))) == 12


def test_download_offline_says_what_to_do(env):
    at = run_page(PAGE)
    at.button(key="data_download").click().run(timeout=120)
    assert_clean(at)
    messages = [e.value for e in at.error]
    assert messages and ("kagglecatsanddogs" in messages[0] or "failed" in messages[0])


@pytest.mark.slow
def test_one_click_queues_the_whole_story(env, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_MAX_JOBS", "1")
    at = run_page(PAGE, train_dataset="synthetic")
    assert_clean(at)
    assert any(c.value.startswith("About ") and "for the five runs" in c.value for c in at.caption)
    at.button(key="train_story").click().run()
    assert_clean(at)
    ids = at.session_state["train_story_runs"]
    store = RunStore(env.runs)
    try:
        records = [store.load(i) for i in ids]
        assert [r.config.strategy for r in records] == list(STORY)
        for r in records:
            lecture = STRATEGIES[r.config.strategy].lecture
            assert (r.config.image_size, r.config.effective_epochs) == (lecture.image_size, lecture.epochs)
            assert r.config.dataset == "synthetic" and r.estimated_seconds > 0
        assert records[-1].config.start_from == ids[STORY.index("feature_extraction_augmented")]
        assert [r.state for r in records[1:]] == ["queued"] * 4  # one at a time, in the book's order
        assert {r.story["kind"] for r in records} == {"live"} and len({r.story["id"] for r in records}) == 1
        runs = next(d.value for d in at.dataframe if "Story" in d.value.columns)
        assert list(runs["Story"]) == ["Recording"] * 5 + ["Live"] * 5  # beside the replay, labelled
        lessons = next(d.value for d in at.dataframe if "Checked on" in d.value.columns)
        live = list(lessons[lessons["Checked on"] == "live runs (lecture length)"]["What the book shows"])
        assert len(live) >= 7 and live[0].startswith("From scratch, the small convnet learns")
    finally:
        for run_id in reversed(ids):
            stop(store, run_id)
        wait_until_ended(store, *ids, timeout=120)
    assert {store.load(i).state for i in ids[1:]} == {"stopped"}


CIFAR_TUTORIAL = (ROOT / "tests" / "model_corpus" / "tf_tutorial_cnn_cifar10.py").read_text()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_your_model_with_a_wrong_output_is_refused_and_the_offered_fix_makes_it_ready(env, lang):
    """The TensorFlow tutorial's 10-way CIFAR model on the 2-class image set: the output is named, the fix is a
    button, and after it the model is ready, with the loss that follows from its new output."""
    at = run_page(PAGE, lang, train_strategy="own_model", train_dataset="synthetic", train_model_code=CIFAR_TUTORIAL)
    assert_clean(at)
    assert at.button(key="train_launch").disabled
    assert [e.value for e in at.error] == [translate("model_check.output_mismatch", lang, received="(10,)", activation="None", classes=2, expected="Dense(1, sigmoid)")]  # fmt: skip
    fix = at.button(key="train_fix_0")
    assert fix.label == translate("fixes.replace_output", lang, layer='Dense(1, activation="sigmoid")')
    fix.click().run()
    assert 'model.add(layers.Dense(1, activation="sigmoid"))' in at.text_area(key="train_model_code").value
    assert not at.error and not at.button(key="train_launch").disabled
    table = next(m.value for m in at.markdown if translate("custom.check_title", lang) in m.value)
    assert f"| {translate('custom.loss', lang)} | {translate('custom.loss_binary_crossentropy', lang)} |" in table
    assert f"| {translate('custom.input', lang)} | `(None, 32, 32, 3)` |" in table
    assert f"| {translate('custom.data_row', lang)} | {translate('custom.image_size', lang, size=32)} |" in table


def test_your_model_on_mnist_takes_the_digit_shapes_and_a_too_large_batch_gets_a_smaller_one(env, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_MAX_TRAINING_MEMORY_MB", "15")
    mlp = "model = Sequential()\nmodel.add(Dense(512, input_dim=784, activation='relu'))\nmodel.add(Dense(10, activation='softmax'))"  # fmt: skip
    at = run_page(PAGE, train_strategy="own_model", train_dataset="MNIST (Keras download)", train_model_code=mlp, train_batch=1024)  # fmt: skip
    assert_clean(at)
    assert any("| Data | MNIST is given as (784,) per digit" in m.value for m in at.markdown)
    assert [e.value.split(" needs")[0] for e in at.error] == ["Training this model at batch size 1024"]
    fix = at.button(key="train_fix_0")
    assert fix.label.startswith("Use batch size ")
    fix.click().run()
    assert at.number_input(key="train_batch").value == int(fix.label.rsplit(" ", 1)[1]) and not at.error


def test_your_model_that_cannot_be_read_says_where(env):
    at = run_page(PAGE, train_strategy="own_model", train_dataset="synthetic", train_model_code="x = layers.Dense(")
    assert_clean(at)
    assert at.error[0].value.startswith("The editor cannot read this listing (line 1)")
    assert at.button(key="train_launch").disabled
    at = run_page(PAGE, train_strategy="own_model", train_dataset="synthetic")
    assert_clean(at)
    assert any(i.value.startswith("Paste a model here") for i in at.info)


def test_the_seed_comparisons_are_offered_with_their_claims_and_workloads(env):
    at = run_page(PAGE, train_strategy="own_model", train_dataset="synthetic")
    assert_clean(at)
    text = "\n".join(c.value for c in at.caption)
    assert "712,202 parameters instead of 104,202" in text and "97.7%" in text and "10 epochs, batch 64, 300 images per class" in text  # fmt: skip
    assert at.button(key="train_compare_pooling") and at.button(key="train_compare_mlp_vs_cnn")
    assert any(c.value.startswith("This pair needs an image folder") for c in at.caption)  # no cats_vs_dogs here


def test_train_this_model_carries_the_editors_listing_to_the_lab():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/parameters.py").run()
    code = at.text_area(key="params_code").value
    at.button(key="params_train_this").click().run()
    assert_clean(at)
    assert at.selectbox(key="train_strategy").value == "own_model"
    assert at.text_area(key="train_model_code").value == code
    assert any(s.value == translate("custom.ready", "ko") for s in at.success)  # the default language


def test_your_model_starts_from_a_saved_runs_model(env):
    from cnn_core.training.comparisons import SEED001_MLP
    from cnn_core.training.run_store import RunStore

    store = RunStore(env.runs)
    mine = store.create(RunConfig("own_model", "mnist", model_code=SEED001_MLP), "my mlp")
    store.create(RunConfig("feature_extraction", "synthetic"), "on a base")  # no listing: not offered
    at = run_page(PAGE, train_strategy="own_model", train_dataset="synthetic")
    assert at.selectbox(key="train_saved_model").options == ["my mlp · Your model · queued"]
    at.selectbox(key="train_saved_model").set_value(mine)
    at.button(key="train_load_saved").click().run()
    assert_clean(at)
    assert at.text_area(key="train_model_code").value == SEED001_MLP


def test_your_models_workload_takes_its_optimizer_and_images_per_class(env):
    at = run_page(PAGE, train_strategy="own_model", train_dataset="MNIST (Keras download)", train_model_code=(ROOT / "cnn_core" / "training" / "comparisons.py").read_text().split('SEED001_MLP = """')[1].split('"""')[0])  # fmt: skip
    assert_clean(at)
    assert any(c.value == "5 epochs x 50000 images at 28 px" for c in at.caption)  # every image: the book preset
    at.number_input(key="train_images").set_value(20).run()
    assert any(c.value.startswith("5 epochs x 200 images") for c in at.caption)  # 20 of each of the 10 digits
    at.selectbox(key="train_optimizer").set_value("adam").run()
    assert_clean(at) and at.selectbox(key="train_optimizer").value == "adam"


def test_the_lab_says_it_has_not_measured_this_machine_and_uses_the_reference(env):
    at = run_page(PAGE, train_strategy="scratch", train_preset="lecture")
    assert_clean(at)
    assert any(
        "Not yet measured on this machine" in c.value and "CNN_CLASSROOM_CALIBRATE=off" in c.value for c in at.caption
    )
    [estimate] = [m for m in at.metric if m.label == "Estimated time"]
    assert "reference machine" in estimate.help


@pytest.mark.needs_data("cats_vs_dogs")
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_on_a_slow_machine_the_lab_sizes_the_lecture_to_the_period_and_says_why(env, lang):
    """A calibration 2.5 times slower than the reference (an AVX2 laptop): the scratch lecture preset (every image)
    would overrun the 3-minute lesson, so the lab takes fewer images per class and says so; the machine's figures
    are on the page, the estimate says what it stands on."""
    MachineFolder(env.runs).save(dataclasses.replace(machine_slower_by(2.5), machine=this_machine()))
    at = run_page(PAGE, lang, train_strategy="scratch", train_preset="lecture")
    assert_clean(at)
    datasets = at.selectbox(key="train_dataset").options
    at.selectbox(key="train_dataset").set_value(next(d for d in datasets if "cats_vs_dogs" in d)).run()
    assert_clean(at)
    machine = this_machine().describe()
    assert any(machine in c.value for c in at.caption)
    estimate_label = translate("train.estimate", lang)
    [estimate] = [m for m in at.metric if m.label == estimate_label]
    minutes, seconds = map(int, estimate.value.split(":"))
    assert 60 * minutes + seconds <= 180
    assert estimate.help == translate("machine.basis_calibration", lang)
    from cnn_core.training.run_config import RunConfig

    name = at.selectbox(key="train_dataset").value
    folder = Path(dataset_choices(tuple(str(r) for r in load_settings().data_roots))[name])
    calibration = MachineFolder(env.runs).load()
    engine = sized_lecture_run(RunConfig("scratch", str(folder)), image_counts(folder), [], calibration)
    assert (
        engine.rung > 0
        and engine.fits
        and engine.config.limit_per_class in {w.limit_per_class for w in STRATEGIES["scratch"].smaller}
    )
    assert estimate.value == format_seconds(engine.estimate.seconds)
    assert any(str(engine.config.limit_per_class) in i.value and translate("machine.lecture_sized", lang, images="", epochs="", time="", preset_images="", preset_epochs="", preset_time="", budget="3")[:6] in i.value for i in at.info)  # fmt: skip


def test_your_model_asks_for_every_undefined_name_at_once_as_the_editor_does(env):
    """The walk-through's defect: keras.io's model cell in "Your model" said "cannot read this listing (line 1):
    input_shape is not defined" with a disabled Launch, and the learner had to find the names box and its syntax.
    Now both names are asked on their own lines, prefilled for the data it trains on; one click reads the model."""
    code = "\n".join(
        line
        for line in (ROOT / "tests" / "model_corpus" / "kerasio_mnist_convnet_model_section.py")
        .read_text()
        .splitlines()
        if not line.startswith("# ")
    )
    at = run_page(PAGE, train_strategy="own_model", train_dataset="synthetic", train_model_code=code)
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("Line 7: `input_shape` is not defined") for e in errors), errors
    assert any(e.startswith("Line 14: `num_classes` is not defined") for e in errors), errors
    assert at.text_input(key="train_value_input_shape").value == "(180, 180, 3)"  # the image folder's
    assert at.text_input(key="train_value_num_classes").value == "2"
    assert at.button(key="train_launch").disabled
    at.button(key="train_use_value").click().run()
    assert_clean(at)
    assert at.text_input(key="train_model_names").value == "input_shape = (180, 180, 3); num_classes = 2"
    assert not any("is not defined" in e.value for e in at.error)
    assert any("(None, 180, 180, 3)" in m.value for m in at.markdown)  # the check panel reads the model
