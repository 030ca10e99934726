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

from cnn_core.keras_code.evaluator import LayerCodeError, prepare_code
from cnn_core.keras_code.free_names import parse_names
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.layer_graph import builder_arguments, uncalled_builders

CORPUS_DIR = Path(__file__).parent / "model_corpus"
CORPUS = sorted(CORPUS_DIR.glob("*.py"))


def header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def keras_layers(model, skip: tuple = ()) -> list:
    """Every layer of ``model``, nested models flattened (those in ``skip`` left out), input layers left out."""
    found = []
    for layer in model.layers:
        if any(layer is block for block in skip):
            continue
        if isinstance(layer, keras.Model):
            found += keras_layers(layer, skip)
        elif layer.__class__.__name__ != "InputLayer":
            found.append(layer)
    return found


def run_with_keras(code: str, model_expr: str, monkeypatch, setup: str = ""):
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
    namespace["Sequential"] = keras.Sequential
    exec(setup, namespace)  # noqa: S102 - what the earlier cells defined (the listing's header says)
    source = prepare_code(code).text  # as the reader reads it: doctest prompts and run-together lines mended
    for statement in ast.parse(source).body:
        try:
            exec(compile(ast.Module([statement], []), "<corpus>", "exec"), namespace)  # noqa: S102 - trusted test data
        except Exception:  # noqa: BLE001 - a data or plotting line without its data, as in a fresh notebook
            continue
    return eval(model_expr, namespace), namespace  # noqa: S307 - the header of a trusted test file


def given(text: str) -> tuple[dict[str, object], tuple[str, ...], str]:
    """The values and blocks a learner gives for the names the listing uses but does not define (its ``Names:`` and
    ``Blocks:`` headers), and the oracle's set-up: those values, and the ``Setup:`` code for the blocks."""
    names = parse_names(header(text, "Names") or "")
    blocks = tuple(b.strip() for b in (header(text, "Blocks") or "").split(",") if b.strip())
    setup = "\n".join([f"{name} = {value!r}" for name, value in names.items()] + [header(text, "Setup") or ""])
    return names, blocks, setup


def test_corpus_is_large_and_sourced():
    assert len(CORPUS) >= 25
    for path in CORPUS:
        text = path.read_text()
        assert header(text, "Source").startswith(("https://", "seed ")), path.name
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
    names, blocks, setup = given(text)
    as_pasted = header(text, "Expect-as-pasted")
    if as_pasted:  # a cell that leans on earlier cells: the reader asks for the first name it lacks
        code, name = as_pasted.split()
        with pytest.raises(LayerCodeError) as err:
            analyze_code(text)
        assert (err.value.code, err.value.details.get("name")) == (code, name)
    report = analyze_code(text, names, blocks)
    model, namespace = run_with_keras(text, header(text, "Model"), monkeypatch, setup)
    # a block read as keeping the shape has no layers of ours (its layers have no parameters either)
    theirs = {layer.name: layer for layer in keras_layers(model, tuple(namespace[b] for b in blocks))}
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
            names, blocks, _ = given(path.read_text())
            analyze_code(path.read_text(), names, blocks)
            parsed += 1
        except LayerCodeError:
            pass
    assert parsed / len(CORPUS) >= 0.9


def _definitions(text: str) -> list[tuple[str, int, int]]:
    """``(name, first line, last line)`` of each top-level statement that is the listing's only definition of a
    name used elsewhere in it (an assignment, a ``def``): what a learner leaves out by pasting one cell too few."""
    tree = ast.parse(prepare_code(text).text)
    bound: dict[str, list[ast.stmt]] = {}
    for statement in tree.body:
        targets: list[str] = []
        if isinstance(statement, ast.Assign):
            targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        elif isinstance(statement, ast.FunctionDef):
            targets = [statement.name]
        for name in targets:
            bound.setdefault(name, []).append(statement)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return [(n, s[0].lineno, s[0].end_lineno or s[0].lineno) for n, s in bound.items() if len(s) == 1 and n in used]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_a_listing_missing_a_definition_is_never_silently_wrong(path):
    """Each name-defining statement left out in turn: the reader asks for the name, refuses naming it, warns naming
    it, or still gives Keras's total (the name did not matter)."""
    text = path.read_text()
    if header(text, "Expect"):
        return
    names, blocks, _ = given(text)
    full = analyze_code(text, names, blocks)
    lines = prepare_code(text).text.split("\n")
    checked = 0
    for name, first, last in _definitions(text):
        if name in names:
            continue
        cut = "\n".join("" if first <= i + 1 <= last else line for i, line in enumerate(lines))
        try:
            report = analyze_code(cut, names, blocks)
        except LayerCodeError as err:
            builders = uncalled_builders(prepare_code(cut).tree)  # the call left out: the builder's arguments asked
            asked_for_builder = any(err.details.get("name") in builder_arguments(b) for b in builders)
            assert err.details.get("name") == name or name in str(err) or asked_for_builder, (name, err.code, str(err))
            checked += 1
            continue
        named = any(name in map(str, w.details.values()) for w in report.warnings)
        same = (report.total_params, report.trainable_params) == (full.total_params, full.trainable_params)
        assert same or named, (name, report.total_params, full.total_params)
        checked += 1
    assert checked or not _definitions(text)
