"""How fast the parameter page reads pasted code: 20,000-character pastes must answer in <= 200 ms.

Prints the median and worst of 20 reads for each paste, and the plain cost of ``ast.parse`` on the
same text as the baseline (machines differ; the ratio travels).

    .venv/bin/python bench/layer_code.py
"""

from __future__ import annotations

import ast
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnn_core.keras_code.evaluator import MAX_CODE_CHARS, LayerCodeError  # noqa: E402
from cnn_core.keras_code.graph_report import analyze_code  # noqa: E402

CORPUS = ROOT / "tests" / "model_corpus"


def fill(text: str) -> str:
    """``text`` repeated up to just under the paste limit."""
    return (text * (MAX_CODE_CHARS // len(text) + 1))[: MAX_CODE_CHARS - 1]


def sequential_of(n: int) -> str:
    body = "".join(f'    layers.Conv2D(8, 3, padding="same", name="c{i}"),\n' for i in range(n))
    return f"model = keras.Sequential([\n    keras.Input(shape=(32, 32, 3)),\n{body}])\n"


PASTES = {
    "mini Xception x repeated": fill((CORPUS / "dlwp2_ch09_mini_xception.py").read_text()),
    "Sequential, ~370 layers": sequential_of(370),
    "from-scratch make_model x repeated": fill((CORPUS / "kerasio_image_classification_from_scratch.py").read_text()),
    "long sum of literals": "x = " + "1 + " * 4_990 + "1",
    "unary minus x 19,990": "x = " + "-" * 19_990 + "1",
    "nested parentheses": "x = " + "(" * 9_990 + ")" * 9_990,
}


def time_it(fn, text: str) -> list[float]:
    times = []
    for _ in range(20):
        start = time.perf_counter()
        try:
            fn(text)
        except (LayerCodeError, SyntaxError, RecursionError, MemoryError, ValueError):
            pass
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    print(f"{'paste':38s} {'chars':>7s} {'median ms':>10s} {'max ms':>8s} {'ast.parse ms':>13s}  <= 200 ms")
    for name, text in PASTES.items():
        ours = time_it(analyze_code, text)
        base = time_it(ast.parse, text)
        ok = "yes" if max(ours) <= 200 else "NO"
        print(
            f"{name:38s} {len(text):7,d} {statistics.median(ours):10.1f} {max(ours):8.1f} {statistics.median(base):13.1f}  {ok}"
        )


if __name__ == "__main__":
    main()
