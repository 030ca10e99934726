"""Time to regenerate the augmentation page's grid with the real Keras layers (CPU, TensorFlow warm).

Run: .venv/bin/python bench/augmentation_grid.py [--repeats 20] [--size 180] [--count 9]
Target: <= 300 ms for a 9-image grid at 180x180. The pipeline is built once per setting (as the
page's st.cache_resource does); each timing is one re-roll: reseed + one batched call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.core.images import load_sample_photo  # noqa: E402
from cnn_core.data.augmentation import BOOK, FIRST_EDITION, augment_grid, build_pipeline, resize_square  # noqa: E402

TARGET_MS = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--size", type=int, default=180)
    parser.add_argument("--count", type=int, default=9)
    args = parser.parse_args()
    image = resize_square(load_sample_photo(), args.size)
    print(
        f"{'pipeline':16} {'build ms':>9} {'first ms':>9} {'median ms':>10} {'p90 ms':>7}  target <= {TARGET_MS:.0f} ms"
    )
    ok = True
    for name, settings in (("book", BOOK), ("first_edition", FIRST_EDITION)):
        start = time.perf_counter()
        model = build_pipeline(settings)
        build_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        augment_grid(model, image, args.count, seed=0)
        first_ms = (time.perf_counter() - start) * 1000
        samples = []
        for seed in range(1, args.repeats + 1):
            start = time.perf_counter()
            augment_grid(model, image, args.count, seed=seed)
            samples.append((time.perf_counter() - start) * 1000)
        median = statistics.median(samples)
        p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
        ok &= median <= TARGET_MS
        print(
            f"{name:16} {build_ms:9.1f} {first_ms:9.1f} {median:10.1f} {p90:7.1f}  {'ok' if median <= TARGET_MS else 'SLOW'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
