"""Fuzzing the code reader: 10,000 seeded mutations of the published listings, never a traceback.

Every input must end in a report or in :class:`LayerCodeError` (the editor's own message): no other
exception, whatever is pasted - cut lines, stray brackets, huge or negative numbers, wrong types,
deep nesting, long sums, thousands of minus signs, binary junk.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.graph_report import analyze_code

CORPUS = [p.read_text() for p in sorted((Path(__file__).parent / "model_corpus").glob("*.py"))]
MUTATIONS = 10_000
JUNK = [
    "(", ")", "[", "]", ",", ":", "=", "'", '"', "\\", "\x00", "\t", "    ", "\n", "-", "*", "**", "/", "0", "1e308",
    "10**100", "None", "True", "'0.5'", "-1", "layers.", "keras.", "(x)", "([x, x])", "for i in range(9):\n    ",
    "if x:\n    ", "def f(x):\n    return f(x)\n", "lambda: 0", "…", "합성곱", "🐈", "\ufeff", "%time ", "!ls ", ">>> ",
]  # fmt: skip
NUMBERS = ["0", "-3", "10**15", "2**64", "1e400", "float('nan')", "None", "'32'", "(3, 3, 3)", "[]", "x", "1/0"]


def mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(8)
        if choice == 0 and text:
            i = rng.randrange(len(text))
            text = text[:i] + text[i + rng.randint(1, 40) :]
        elif choice == 1:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(JUNK) + text[i:]
        elif choice == 2 and lines:
            lines = text.splitlines()
            i = rng.randrange(len(lines))
            lines.insert(i, lines[rng.randrange(len(lines))])
            text = "\n".join(lines)
        elif choice == 3 and lines:
            lines = text.splitlines()
            rng.shuffle(lines)
            text = "\n".join(lines)
        elif choice == 4:
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = rng.choice(digits)
                text = text[:i] + rng.choice(NUMBERS) + text[i + 1 :]
        elif choice == 5:
            depth = rng.choice([10, 60, 100, 1_000])
            text += "\nx = " + "(" * depth + "1" + ")" * depth
        elif choice == 6:
            text += "\ny = " + rng.choice(
                ["1+" * 3_000 + "1", "-" * 5_000 + "1", "[" * 200 + "]" * 200, "x." * 500 + "y"]
            )
        else:
            text = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randint(1, 300)))
    return text


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_mutations_never_raise_anything_but_coded_errors(seed):
    rng = random.Random(seed)
    for _ in range(MUTATIONS // 10):
        text = mutate(rng, rng.choice(CORPUS))
        try:
            analyze_code(text)
        except LayerCodeError as err:
            assert err.code and isinstance(err.line, int)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "1 + " * 20_000 + "1",
        "x = " + "-" * 19_990 + "1",
        "x = " + "(" * 5_000 + ")" * 5_000,
        "\n".join(["layers.Dropout('0.5')", "layers.Dropout(None)"]),
        "inputs = keras.Input(shape=(8, 8, 1))\nx = layers.Dropout('0.5')(inputs)",
        "inputs = keras.Input(shape=(8, 8, 1))\nx = layers.Dropout(None)(inputs)",
        "for i in range(10**9):\n    x = 1",
        "def f(x):\n    return f(x)\nf(1)",
        "x = [1] * 10**9",
        "x = 'a' * 10**9",
        "x = 9 ** 9 ** 9",
        "\x00\x01\x02",
        b"\xff\xfe".decode("latin-1") * 5_000,
    ],
    ids=[
        "long-sum",
        "unary-minus",
        "parentheses",
        "dropout-bare",
        "dropout-str",
        "dropout-none",
        "huge-loop",
        "recursion",
        "huge-list",
        "huge-string",
        "power-tower",
        "control-chars",
        "binary",
    ],
)
def test_hostile_inputs_get_a_message(text):
    with pytest.raises(LayerCodeError):
        analyze_code(text)


def free_names(text: str) -> list[str]:
    """Names the paste uses but binds nowhere (and that Python and the reader do not know): what another cell
    would have defined."""
    import ast
    import builtins

    from cnn_core.keras_code.evaluator import bound_names, prepare_code
    from cnn_core.keras_code.layer_graph import GraphReader

    tree = prepare_code(text).tree
    known = bound_names(tree) | set(GraphReader().env) | set(dir(builtins))
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - known)


def drop_lines(rng: random.Random, text: str) -> str:
    """A listing with one to three of its lines left out, as when a cell is pasted without the one before."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_no_count_silently_depends_on_a_name_the_paste_leaves_undefined(seed):
    """10,000 pastes with lines left out: whenever a report comes back without a warning, giving each undefined
    name a value (7 or 8) or reading it as a shape-keeping block changes nothing, so the count never depended on
    it. A count that changed would have been silently wrong."""
    rng = random.Random(1000 + seed)
    checked = 0
    for _ in range(MUTATIONS // 10):
        text = drop_lines(rng, rng.choice(CORPUS))
        try:
            report = analyze_code(text)
        except LayerCodeError:
            continue
        if report.warnings:
            continue
        for name in free_names(text):
            for names, blocks in (({name: 7}, ()), ({name: 8}, ()), ({}, (name,))):
                try:
                    other = analyze_code(text, names, blocks)
                except LayerCodeError:
                    other = None
                assert other is not None and (other.total_params, other.trainable_params) == (
                    report.total_params,
                    report.trainable_params,
                ), (name, names, blocks, text)
            checked += 1
    assert checked > 0
