"""Server time of one widget interaction on each concept page, and proof they leave TensorFlow unimported.

Run: .venv/bin/python bench/concept_pages.py [--repeats 15]
Target: median <= 50 ms per interaction. Times are whole script reruns measured
around AppTest.run() (the same script run a browser interaction triggers, minus the websocket).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

TARGET_MS = 50.0

# page -> (widget kind, key, two values to alternate between)
INTERACTIONS = {
    "app_pages/convolution.py": ("number_input", "conv_k", (3, 5)),
    "app_pages/pooling.py": ("number_input", "pool_size", (2, 3)),
    "app_pages/parameters.py": ("number_input", "params_vgg_size", (180, 224)),
    "app_pages/parameters.py (editor)": ("text_area", "params_code", None),
}


def time_page(page: str, kind: str, key: str, values, repeats: int) -> list[float]:
    at = AppTest.from_file(str(ROOT / page.split(" ")[0]), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.run()  # warm caches, as a classroom server would be
    if values is None:
        base = at.text_area(key=key).value
        values = (base, base.replace("Dense(10", "Dense(12"))
    samples = []
    for i in range(repeats):
        widget = getattr(at, kind)(key=key)
        widget.set_value(values[i % 2]) if kind != "text_area" else widget.input(values[i % 2])
        start = time.perf_counter()
        at.run()
        samples.append((time.perf_counter() - start) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"{'page':38} {'widget':18} {'median ms':>9} {'p90 ms':>7}  target <= {TARGET_MS:.0f} ms")
    ok = True
    for page, (kind, key, values) in INTERACTIONS.items():
        samples = time_page(page, kind, key, values, args.repeats)
        median = statistics.median(samples)
        p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
        ok &= median <= TARGET_MS
        print(f"{page:38} {key:18} {median:9.1f} {p90:7.1f}  {'ok' if median <= TARGET_MS else 'SLOW'}")
    tf_loaded = "tensorflow" in sys.modules or "keras" in sys.modules
    print(f"tensorflow imported by the concept pages: {'YES (bad)' if tf_loaded else 'no'}")
    return 0 if ok and not tf_loaded else 1


if __name__ == "__main__":
    raise SystemExit(main())
