from pathlib import Path

import pytest

from tests.helpers import assert_clean, metric, run_page

PAGE = "app_pages/parameters.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages_with_book_totals(lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    assert not at.error
    labels = {"ko": ("맥스 풀링 사용", "맥스 풀링 없음"), "en": ("With max pooling", "Without max pooling")}[lang]
    assert metric(at, labels[0]) == "104,202"
    assert metric(at, labels[1]) == "712,202"


def test_cats_and_vgg16():
    at = run_page(PAGE)
    assert metric(at, "Total parameters") == "991,041"
    assert metric(at, "Parameters") == "14,714,688"
    assert metric(at, "Last feature map") == "(5, 5, 512)"
    assert metric(at, "Trainable weight tensors") == "26"
    at.radio(key="params_vgg_freeze").set_value("frozen").run()
    assert metric(at, "Trainable weight tensors") == "0"
    at.radio(key="params_vgg_freeze").set_value("fine_tune").run()
    assert metric(at, "Trainable weight tensors") == "6"
    at.number_input(key="params_vgg_size").set_value(224).run()
    assert metric(at, "Last feature map") == "(7, 7, 512)"


def test_editor_recomputes_live():
    at = run_page(PAGE)
    at.button(key="params_load_mnist_no_pooling").click().run()
    editor_totals = [m.value for m in at.metric if m.label == "Total parameters"]
    assert "712,202" in editor_totals
    code = at.text_area(key="params_code").value.replace("Dense(10", "Dense(20")
    at.text_area(key="params_code").input(code).run()
    # (22*22*128+1)*20 for Dense(20) + 92,672 in the three Conv2D layers
    assert "1,331,732" in [m.value for m in at.metric if m.label == "Total parameters"]


def test_editor_buttons_add_remove_reorder():
    at = run_page(PAGE)
    before = at.text_area(key="params_code").value
    at.selectbox(key="params_add_kind").set_value("Dropout")
    at.number_input(key="params_edit_index").set_value(6)
    at.button(key="params_add").click().run()
    code = at.text_area(key="params_code").value
    assert "layers.Dropout(0.5)" in code and code != before
    at.number_input(key="params_edit_index").set_value(7)
    at.button(key="params_up").click().run()
    lines = at.text_area(key="params_code").value.splitlines()
    assert "Dropout" in lines[6] and "Flatten" in lines[7]
    at.number_input(key="params_edit_index").set_value(6).run()
    at.button(key="params_remove").click().run()
    assert at.text_area(key="params_code").value == before


@pytest.mark.parametrize(
    "code,fragment",
    [
        (
            "inputs = keras.Input(shape=(28, 28, 1))\nx = layers.Flatten()(inputs)\nx = layers.Conv2D(8, 3)(x)",
            "Line 3, conv2d (Conv2D)",
        ),
        ("inputs = keras.Input(shape=(28, 28, 1))\nx = layers.LSTM(8)(inputs)", "Line 2"),
        ("inputs = keras.Input(shape=(4, 4, 1))\nx = layers.Conv2D(8, 5)(inputs)", "padded input has only 4"),
    ],
    ids=["conv-after-flatten", "unknown-layer", "kernel-too-large"],
)
def test_invalid_stack_is_explained(code, fragment):
    at = run_page(PAGE)
    at.text_area(key="params_code").input(code).run()
    assert_clean(at)
    assert at.error and fragment in at.error[0].value


def test_check_with_keras_agrees():
    at = run_page(PAGE)
    at.button(key="params_editor_keras").click().run(timeout=120)
    assert_clean(at)
    assert any("Every layer agrees" in s.value and "104,202" in s.value for s in at.success)


def test_guess_the_parameter_count():
    at = run_page(PAGE)
    at.toggle(key="params_guess_mode").set_value(True).run()
    assert "Total parameters" not in [m.label for m in at.metric if m.value == "104,202"]
    at.text_input(key="params_guess").input("100,000")
    at.button(key="params_reveal").click().run()
    assert any("the answer is 104,202" in w.value for w in at.warning)
    assert any("Off by 4%" in c.value for c in at.caption)
    at.text_input(key="params_guess").input("104 202")
    at.button(key="params_reveal").click().run()
    assert any("Right!" in s.value for s in at.success)


def test_prepared_link_with_a_model_and_lecturer_mode():
    query = {"params_code": "Input((32, 32, 3))\nConv2D(8, 3)\nFlatten()\nDense(2)", "params_vgg_freeze": "frozen"}
    at = run_page(PAGE, query=query, lecture=True)
    assert_clean(at)
    assert "14,626" in [m.value for m in at.metric if m.label == "Total parameters"]  # (3*3*3+1)*8 + (30*30*8+1)*2
    assert metric(at, "Trainable weight tensors") == "0"
    assert "params_add" not in {b.key for b in at.button}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_parameter_chart_shows_every_layer_of_both_models(lang):
    import json

    import pyarrow.ipc

    at = run_page(PAGE, lang)
    charts = at.get("vega_lite_chart")
    assert charts, "the with/without pooling chart should render"
    spec = json.loads(charts[0].proto.spec)
    table = pyarrow.ipc.open_stream(charts[0].proto.datasets[0].data.data).read_all()
    assert set(table.column("params").to_pylist()) >= {320, 18_496, 73_856, 11_530, 619_530}
    assert len(set(table.column("model").to_pylist())) == 2
    title = {"ko": "파라미터", "en": "Parameters"}[lang]
    assert title in spec["encoding"]["y"]["title"]


CORPUS = Path(__file__).parent / "model_corpus"


@pytest.mark.parametrize(
    "listing,total",
    [
        ("tf_tutorial_cnn_cifar10", "122,570"),
        ("dlwp2_ch09_residual_block_function", None),
        ("ko_junwlee_koreauniv_sequential", "220,234"),
    ],
)
def test_published_listings_paste_as_they_are(listing, total):
    code = (CORPUS / f"{listing}.py").read_text()
    at = run_page(PAGE, "en")
    at.text_area(key="params_code").input(code).run()
    assert_clean(at)
    assert not at.error
    totals = [m.value for m in at.metric if m.label == "Total parameters"]
    if total:
        assert total in totals
    frame = next(d.value for d in at.dataframe if "Input from" in d.value.columns)  # the layer table
    assert "Line" in frame.columns
    if "residual" in listing:
        assert any("," in v for v in frame["Input from"])  # the add() layers take two inputs


def test_unconnected_layer_is_warned_and_not_counted():
    code = (
        "inputs = keras.Input(shape=(28, 28, 1))\n"
        "x = layers.Conv2D(32, 3, activation='relu')(inputs)\n"
        "x = layers.MaxPooling2D(2)(inputs)\n"
        "x = layers.Flatten()(x)\n"
        "outputs = layers.Dense(10, activation='softmax')(x)\n"
        "model = keras.Model(inputs, outputs)\n"
    )
    for lang, fragment in (("en", "not connected"), ("ko", "연결되어 있지 않아")):
        at = run_page(PAGE, lang)
        at.text_area(key="params_code").input(code).run()
        assert_clean(at)
        assert any(fragment in w.value and "Conv2D" in w.value for w in at.warning)
        assert "1,970" in [m.value for m in at.metric]


def test_check_with_keras_on_a_residual_graph():
    code = (CORPUS / "dlwp2_ch09_residual_pooling.py").read_text()
    at = run_page(PAGE, "en")
    at.text_area(key="params_code").input(code).run()
    at.button(key="params_editor_keras").click().run(timeout=120)
    assert_clean(at)
    assert any("Every layer agrees" in s.value and "21,504" in s.value for s in at.success)


def test_bad_argument_types_are_messages_in_korean():
    at = run_page(PAGE, "ko")
    at.text_area(key="params_code").input("x = keras.Input(shape=(8, 8, 1))\ny = layers.Dropout('0.5')(x)").run()
    assert_clean(at)
    assert at.error and "2번째 줄" in at.error[0].value and "Dropout" in at.error[0].value


CORPUS = Path(__file__).parent / "model_corpus"


def listing(name: str) -> str:
    """A corpus listing without its header comments (what the learner pastes)."""
    return "\n".join(line for line in (CORPUS / name).read_text().splitlines() if not line.startswith("# "))


def editor_total(at) -> str:
    return [m.value for m in at.metric if m.label == "Total parameters"][-1]


def test_a_cell_that_leans_on_earlier_cells_asks_for_its_names_and_then_counts():
    """keras.io's MNIST convnet, model section alone: input_shape and num_classes are asked for together, each on
    its own line and prefilled (the walk-through's defects: "Line 1", one name per round trip, nothing prefilled),
    kept in the URL; then the count is Keras's 34,826."""
    at = run_page(PAGE)
    at.text_area(key="params_code").input(listing("kerasio_mnist_convnet_model_section.py")).run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("Line 7: `input_shape` is not defined in what you pasted") for e in errors), errors
    assert any(e.startswith("Line 14: `num_classes` is not defined") for e in errors), errors
    assert at.text_input(key="params_value_input_shape").value == "(28, 28, 1)"
    assert at.text_input(key="params_value_num_classes").value == "10"
    at.button(key="params_use_value").click().run()
    assert_clean(at)
    assert editor_total(at) == "34,826"
    assert at.query_params["params_names"] == "input_shape = (28, 28, 1); num_classes = 10"
    assert any("input_shape = (28, 28, 1)" in c.value for c in at.caption)
    at.button(key="params_clear_names").click().run()
    assert any("`input_shape` is not defined" in e.value for e in at.error)


def test_a_bad_value_for_a_name_is_a_message():
    at = run_page(PAGE)
    at.text_area(key="params_code").input(listing("kerasio_mnist_convnet_model_section.py")).run()
    at.text_input(key="params_value_input_shape").input("np.zeros(3)").run()
    at.button(key="params_use_value").click().run()
    assert_clean(at)
    assert any("needs a number, text or tuple" in e.value for e in at.error)


def test_an_undefined_block_on_the_model_path_is_refused_until_read_as_a_block():
    """Seed 002's augmentation cell as a web page copied it: statements run together (mended, and said so), and
    data_augmentation undefined: never a silent 0; read as a shape-keeping block, the book's 991,041."""
    at = run_page(PAGE)
    at.text_area(key="params_code").input(listing("seed002_augmentation_web_copy.py")).run()
    assert any("`data_augmentation` is not defined" in e.value for e in at.error)
    assert not [m for m in at.metric if m.label == "Total parameters" and m.value == "0"]
    at.button(key="params_use_block").click().run()
    assert_clean(at)
    assert editor_total(at) == "991,041"
    assert any("several statements ran together" in c.value for c in at.caption)
    assert at.query_params["params_blocks"] == "data_augmentation"


def test_a_cell_ending_in_a_doctest_prompt_is_read():
    at = run_page(PAGE)
    at.text_area(key="params_code").input(listing("seed000_no_max_pool_doctest_end.py")).run()
    assert_clean(at)
    assert editor_total(at) == "712,202"
    assert any("doctest prompts" in c.value for c in at.caption)


def test_receptive_fields_in_the_table_the_picture_and_the_books_sentence():
    at = run_page(PAGE)
    assert any("With pooling, the last convolution layer's cells each see **18×18**" in m.value and "**7×7**" in m.value for m in at.markdown)  # fmt: skip
    table = next(d.value for d in at.dataframe if "Receptive field" in d.value.columns)
    assert list(table["Receptive field"]) == ["3×3", "4×4", "8×8", "10×10", "18×18", "18×18", "all of the input"]
    assert (
        at.selectbox(key="params_rf_layer").value == "conv2d_2"
    )  # the last layer whose cells see part of the image...
    names = at.selectbox(key="params_rf_layer").options
    at.selectbox(key="params_rf_layer").select(names[0]).run()  # ...and the first convolution
    assert_clean(at)
    captions = [c for image in at.image for c in image.captions]
    assert any("3×3 of the 28×28 input" in c and "Its receptive field is 3×3" in c for c in captions), captions


def test_the_model_is_drawn_as_a_graph():
    at = run_page(PAGE)
    code = listing("dlwp2_ch09_residual_filters.py")
    at.text_area(key="params_code").input(code).run()
    assert_clean(at)
    charts = at.get("graphviz_chart")
    assert charts
    dot = charts[-1].proto.spec
    assert "digraph model" in dot and "Conv2D" in dot and "-> " in dot


def test_check_with_keras_uses_the_given_names_and_blocks():
    at = run_page(
        PAGE,
        query={"params_code": listing("seed002_augmentation_web_copy.py"), "params_blocks": "data_augmentation"},
        timeout=180,
    )
    assert editor_total(at) == "991,041"
    at.button(key="params_editor_keras").click().run(timeout=180)
    assert_clean(at)
    assert any("Keras: 991,041 parameters" in s.value and "Every layer agrees" in s.value for s in at.success)


def test_the_editors_chart_numbers_layers_from_one_and_the_table_gives_each_its_line():
    """The walk-through's defects: "3. Conv2D" for the first layer of keras.io's MNIST cell, and "Line" 1 for every
    layer of its multi-line Sequential."""
    import pyarrow.ipc

    code = (CORPUS / "kerasio_mnist_convnet.py").read_text()
    at = run_page(PAGE, query={"params_code": code})
    assert_clean(at)
    [chart] = [c for c in at.get("vega_lite_chart") if "params_editor_chart" in str(c.proto.id)] or at.get(
        "vega_lite_chart"
    )[-1:]
    layers = pyarrow.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().column("layer").to_pylist()
    assert layers[0].startswith("1. ") and [int(name.split(".")[0]) for name in layers] == list(
        range(1, len(layers) + 1)
    )
    table = [d for d in at.dataframe if "Line" in d.value.columns][0].value
    lines = [int(v) for v in table["Line"] if str(v).isdigit()]
    assert len(set(lines)) == len(lines) > 3, lines


def test_a_text_convnet_of_any_length_is_read_counted_and_agrees_with_keras():
    """keras.io's text classification model (token ids of any length, Embedding, Conv1D): read as pasted, its total
    and shapes with an unknown length, and Keras agrees layer by layer."""
    code = """inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(20000, 128)(inputs)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.5)(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
"""
    at = run_page(PAGE, "en")
    at.text_area(key="params_code").input(code).run()
    assert_clean(at)
    assert not at.error
    assert "2,806,273" in [m.value for m in at.metric if m.label == "Total parameters"]
    frame = next(d.value for d in at.dataframe if "Input from" in d.value.columns)
    assert any("None" in str(v) for v in frame.iloc[:, list(frame.columns).index("Output shape")])
    at.button(key="params_editor_keras").click().run(timeout=120)
    assert_clean(at)
    assert any("Every layer agrees" in s.value and "2,806,273" in s.value for s in at.success)


def test_a_builder_function_never_called_is_asked_for_its_arguments_and_counted():
    """keras.io's "Build a model" section without the line that calls ``make_model``: the page says it reads the
    function as called, asks for both arguments at once, and with the learner's values gives Keras's total."""
    code = "\n".join(
        line
        for line in listing("kerasio_image_classification_from_scratch.py").splitlines()
        if not line.startswith("model = make_model(")
    )
    at = run_page(PAGE)
    at.text_area(key="params_code").input(code).run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert any("`input_shape` is not defined" in e for e in errors) and any("`num_classes` is not defined" in e for e in errors), errors  # fmt: skip
    at.text_input(key="params_value_input_shape").input("(180, 180, 3)")
    at.text_input(key="params_value_num_classes").input("2")
    at.button(key="params_use_value").click().run()
    assert_clean(at)
    assert editor_total(at) == "2,782,649"
    assert any("defines make_model(...) but never calls it" in w.value for w in at.warning)


def test_an_arrays_shape_is_asked_for_and_its_slice_applied():
    """``keras.Input(shape=x_train.shape[1:])`` in a cell without the data: the page asks for ``x_train.shape``
    (prefilled for MNIST listings), applies ``[1:]`` to the answer, and keeps the answer in the link."""
    code = (
        "model = keras.Sequential([\n    keras.Input(shape=x_train.shape[1:]),\n    layers.Conv2D(32, 3, activation='relu'),\n"
        "    layers.Flatten(),\n    layers.Dense(10, activation='softmax'),\n])\n"
    )
    at = run_page(PAGE, "en")
    at.text_area(key="params_code").input(code).run()
    assert any(e.value.startswith("Line 2: `x_train.shape` is not defined") for e in at.error)
    at.text_input(key="params_value_x_train.shape").input("(60000, 28, 28, 1)")
    at.button(key="params_use_value").click().run()
    assert_clean(at)
    assert editor_total(at) == "216,650"  # (3*3*1+1)*32 + (26*26*32+1)*10
    assert at.query_params["params_names"] == "x_train.shape = (60000, 28, 28, 1)"
