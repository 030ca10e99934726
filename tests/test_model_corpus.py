"""Real model listings from public sources, read by the parameter page and built by real Keras.

Each file in ``tests/model_corpus/`` is published code copied byte for byte (its source, license and the
name of its model are in the header comment). Our reader never runs it; the oracle here does: it executes
the cell with Keras (statement by statement, as a notebook would, skipping the data and plotting lines
that fail without their data) and compares every layer's output shape and parameter count, the total
and the trainable total with ours.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path

import keras
import numpy as np
import pytest

from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.graph_report import analyze_code

CORPUS_DIR = Path(__file__).parent / "model_corpus"
CORPUS = sorted(CORPUS_DIR.glob("*.py"))


def header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def keras_layers(model) -> list:
    """Every layer of ``model``, nested models flattened, input layers left out."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += keras_layers(layer)
        elif layer.__class__.__name__ != "InputLayer":
            found.append(layer)
    return found


def run_with_keras(code: str, model_expr: str, monkeypatch):
    """Execute the published cell with real Keras, offline: weight files are not fetched (architecture only)."""
    import tensorflow as tf
    from keras.src.utils import file_utils

    keras.backend.clear_session()
    monkeypatch.setattr(file_utils, "get_file", lambda *a, **k: "/nonexistent/weights.h5")
    monkeypatch.setattr(keras.Model, "load_weights", lambda self, *a, **k: None)
    legacy = types.SimpleNamespace(preprocessing=keras.layers)  # TF 2.6's layers.experimental.preprocessing
    for module in {keras.layers, tf.keras.layers}:
        monkeypatch.setattr(module, "experimental", legacy, raising=False)
    # what the earlier cells of those notebooks imported
    namespace: dict = {"keras": keras, "layers": keras.layers, "models": keras.models, "tf": tf}
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
    for statement in ast.parse(source).body:
        try:
            exec(compile(ast.Module([statement], []), "<corpus>", "exec"), namespace)  # noqa: S102 - trusted test data
        except Exception:  # noqa: BLE001 - a data or plotting line without its data, as in a fresh notebook
            continue
    return eval(model_expr, namespace)  # noqa: S307 - the header of a trusted test file


def test_corpus_is_large_and_sourced():
    assert len(CORPUS) >= 25
    for path in CORPUS:
        text = path.read_text()
        assert header(text, "Source").startswith("https://"), path.name
        assert header(text, "Model"), path.name


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_listing_matches_keras(path, monkeypatch):
    text = path.read_text()
    expected_error = header(text, "Expect")
    if expected_error:
        with pytest.raises(LayerCodeError) as err:
            analyze_code(text)
        assert err.value.code == expected_error
        return
    report = analyze_code(text)
    model = run_with_keras(text, header(text, "Model"), monkeypatch)
    theirs = {layer.name: layer for layer in keras_layers(model)}
    ours = {n.name: n for n in report.connected if n.kind != "InputLayer" and not n.shared}
    assert sorted(ours) == sorted(theirs)
    for name, node in ours.items():
        layer = theirs[name]
        assert node.params == layer.count_params(), name
        shape = tuple(layer.output.shape[1:]) if len(layer._inbound_nodes) == 1 else None
        if shape is not None:
            assert all(k is None or k == o for k, o in zip(shape, node.output_shape, strict=True)), (name, shape)
    assert report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert report.output_shape == tuple(model.outputs[-1].shape[1:])
    assert not report.warnings


def test_at_least_90_percent_parse_as_pasted():
    parsed = 0
    for path in CORPUS:
        try:
            analyze_code(path.read_text())
            parsed += 1
        except LayerCodeError:
            pass
    assert parsed / len(CORPUS) >= 0.9
