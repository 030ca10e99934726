"""The evaluation engine, without Streamlit: confusion matrix, wrong examples, a photo through a run's model."""

import numpy as np
import pytest
from PIL import Image

from cnn_core.training.evaluation import (
    class_names,
    evaluate,
    evaluate_run,
    load_run_model,
    predict_image,
    wrong_examples,
)
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunState, RunStore


def _item(label, predicted, probability=0.9, item="x.jpg"):
    return {"item": item, "label": label, "predicted": predicted, "probability": probability}


def test_the_confusion_matrix_counts_true_against_predicted():
    items = [_item(0, 0)] * 5 + [_item(0, 1, 0.6)] * 2 + [_item(1, 1)] * 6 + [_item(1, 0, 0.99)]
    ev = evaluate({"classes": ["cat", "dog"], "items": items})
    assert ev.matrix.tolist() == [[5, 2], [1, 6]]
    assert ev.total == 14 and ev.accuracy == pytest.approx(11 / 14)
    assert [w["probability"] for w in ev.wrong] == [0.99, 0.6, 0.6]  # the most confident mistakes first


def test_three_classes_and_the_empty_case():
    ev = evaluate({"classes": ["a", "b", "c"], "items": [_item(2, 1), _item(1, 1), _item(0, 2)]})
    assert ev.matrix.tolist() == [[0, 0, 1], [0, 1, 0], [0, 1, 0]]
    assert evaluate({"classes": ["a", "b"], "items": []}).accuracy == 0.0
    with pytest.raises(ValueError, match="outside 2 classes"):
        evaluate({"classes": ["a", "b"], "items": [_item(2, 0)]})


def test_wrong_examples_only_from_inside_the_data_roots(tmp_path):
    root = tmp_path / "data"
    (root / "test").mkdir(parents=True)
    inside = root / "test" / "cat.1.jpg"
    Image.fromarray(np.full((50, 40, 3), 200, np.uint8)).save(inside)
    outside = tmp_path / "secret.jpg"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(outside)
    broken = root / "test" / "dog.2.jpg"
    broken.write_bytes(b"not a jpeg")
    items = [_item(0, 1, 0.99, str(outside)), _item(0, 1, 0.9, str(inside)), _item(1, 0, 0.8, str(broken)),
             _item(1, 0, 0.7, str(root / "moved.jpg"))]  # fmt: skip
    ev = evaluate({"classes": ["cat", "dog"], "items": items})
    examples = wrong_examples(ev, [root], limit=18, max_bytes=1 << 20, side=20)
    assert len(examples) == 1
    assert (examples[0].true, examples[0].predicted, examples[0].probability) == ("cat", "dog", 0.9)
    assert max(examples[0].image.shape[:2]) == 20
    assert wrong_examples(ev, [root], limit=0, max_bytes=1 << 20) == []


def test_a_photo_through_a_runs_model(tmp_path):
    import keras

    inputs = keras.Input((16, 16, 3))
    mean = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    sigmoid = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones", bias_initializer=keras.initializers.Constant(-1.5))(mean))  # fmt: skip
    sigmoid.save(tmp_path / "best.keras")
    model = load_run_model(tmp_path / "best.keras")
    white, black = np.full((30, 20, 3), 255, np.uint8), np.zeros((30, 20, 3), np.uint8)
    p_white = 1 / (1 + np.exp(-1.5))  # sigmoid(3 * 1.0 - 1.5)
    assert predict_image(model, white, 16, ["cat", "dog"]).label == "dog"
    assert predict_image(model, white, 16, ["cat", "dog"]).probability == pytest.approx(p_white, rel=1e-5)
    dark = predict_image(model, black, 16, ["cat", "dog"])
    assert dark.label == "cat" and dark.probability == pytest.approx(1 - 1 / (1 + np.exp(1.5)), rel=1e-5)
    softmax = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros", bias_initializer=keras.initializers.Constant([0.0, 2.0, 0.0]))])  # fmt: skip
    three = predict_image(softmax, white, 16, ["a", "b", "c"])
    assert three.label == "b" and three.probability == pytest.approx(np.exp(2) / (np.exp(2) + 2), rel=1e-5)


def test_a_run_is_evaluated_only_with_results(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig("scratch", "synthetic", image_size=80))
    writer = store.writer(run_id)
    writer.predictions(["circle", "square"], [_item(0, 0), _item(1, 0)])
    writer.set_status(state=RunState.RUNNING)
    assert evaluate_run(store.load(run_id)) is None  # still training: no evaluation yet
    writer.set_status(state=RunState.COMPLETED)
    assert evaluate_run(store.load(run_id)).accuracy == 0.5
    assert class_names(store.load(run_id)) == ("circle", "square")
    other = store.create(RunConfig("scratch", "synthetic", image_size=80))
    assert class_names(store.load(other)) == ("class 0", "class 1")
