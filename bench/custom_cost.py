"""What a learner's model costs to train, by the kind of work: measure published listings, fit the cost model.

Run: .venv/bin/python bench/custom_cost.py [--budget 4] [--fit]
     CNN_CLASSROOM_PRECISION=float32 taskset -c 0 .venv/bin/python bench/custom_cost.py   (one core: another machine)

Each listing (the seeds' MNIST convnet, the same without pooling, the dense network, the cats-vs-dogs convnet at three
sizes with and without Dropout, keras.io's MNIST convnet, the TensorFlow tutorial's CIFAR-10 convnet) is built by the
editor's own reader (``custom_model.build_model``) and trained with ``model.fit`` as the calibration trains its probes
(``calibration.fit_throughput``: epochs with a validation pass, median steady epoch) in float32, as a learner's model
trains. Printed per listing: its cost terms (convolution and other multiply-adds, weights), the measured seconds per
image, and the estimate's prediction (``estimate.custom_throughput``, from this machine's calibration when ``--calibrate``)
with its ratio. ``--fit`` also fits ``seconds per image = a + b_conv * conv + b_other * other + c * weights / batch + d * activations``
(least squares on the relative error, every coefficient >= 0) and prints it with each listing's leave-one-out ratio:
the figures ``estimate.LEARNER_MODEL_COST`` keeps come from here, on the reference machine. State the CPU flags
(printed first) beside any figure quoted from here.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CNN_CLASSROOM_PRECISION", "float32")

from cnn_core.keras_code.code_edits import set_input_shape  # noqa: E402
from cnn_core.runs.jobs import measure_machine_now  # noqa: E402
from cnn_core.training.calibration import fit_throughput  # noqa: E402
from cnn_core.training.comparisons import (  # noqa: E402
    SEED000_CATS_CONVNET,
    SEED000_MNIST_CONVNET,
    SEED000_NO_MAX_POOL,
    SEED001_MLP,
    with_dropout,
)
from cnn_core.training.custom_model import build_model, cost_terms, read_model  # noqa: E402
from cnn_core.training.estimate import custom_throughput  # noqa: E402
from cnn_core.training.machine import this_machine  # noqa: E402
from cnn_core.training.run_store import RunStore  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "model_corpus"


def _cats(size: int, dropout: bool = False) -> str:
    code = set_input_shape(SEED000_CATS_CONVNET, 2, (size, size, 3)) or SEED000_CATS_CONVNET
    return with_dropout(code) if dropout else code


LISTINGS: dict[str, tuple[str, int]] = {
    "seed000 MNIST convnet": (SEED000_MNIST_CONVNET, 64),
    "seed000 without pooling": (SEED000_NO_MAX_POOL, 64),
    "seed001 dense network": (SEED001_MLP, 64),
    "seed001 dense network, batch 16": (SEED001_MLP, 16),
    "seed001 dense network, batch 200": (SEED001_MLP, 200),
    "junwlee MNIST (same padding)": ((CORPUS / "ko_junwlee_koreauniv_sequential.py").read_text(encoding="utf-8"), 64),
    "sonsumin MNIST (dense 128)": ((CORPUS / "ko_sonsumin_jupyter_mnist.py").read_text(encoding="utf-8"), 64),
    "keras.io MNIST convnet": ((CORPUS / "kerasio_mnist_convnet.py").read_text(encoding="utf-8"), 64),
    "TF tutorial CIFAR-10": ((CORPUS / "tf_tutorial_cnn_cifar10.py").read_text(encoding="utf-8"), 32),
    "seed000 cats 100 px": (_cats(100), 32),
    "seed000 cats 80 px": (_cats(80), 32),
    "seed000 cats 80 px, Dropout": (_cats(80, dropout=True), 32),
    "seed000 cats 120 px": (_cats(120), 32),
    "seed000 cats 180 px": (_cats(180), 32),
}
"""Listing -> (code, batch size the lab trains it with)."""


def measure(budget: float) -> list[tuple[str, tuple[float, float, float], int, float]]:
    """``(name, (conv, other, weights), batch, seconds per image)`` of each listing on this machine."""
    rows = []
    for name, (code, batch) in LISTINGS.items():
        _, report = read_model(code)
        terms = cost_terms(report)
        shape = report.input_shapes[0]
        classes = report.output_shape[-1]
        ips, _ = fit_throughput(lambda code=code: build_model(code), shape, classes, batch, budget)
        rows.append((name, (terms.conv_macs, terms.other_macs, terms.params, terms.activations), batch, 1 / ips))
        print(f"  measured {name}: {ips:,.0f} images/s", flush=True)
    return rows


def features(terms: tuple[float, float, float, float], batch: int) -> np.ndarray:
    conv, other, weights, activations = terms
    return np.array([1.0, conv, other, weights / batch, activations])


N_TERMS = 5


def fit(rows) -> np.ndarray:
    """Non-negative least squares on the relative error, by trying each subset of the coefficients."""
    x = np.array([features(t, b) for _, t, b, _ in rows])
    y = np.array([s for *_, s in rows])
    xw, yw = x / y[:, None], np.ones(len(y))
    best, best_err = np.zeros(N_TERMS), np.inf
    for k in range(1, N_TERMS + 1):
        for subset in itertools.combinations(range(N_TERMS), k):
            coef_sub, *_ = np.linalg.lstsq(xw[:, subset], yw, rcond=None)
            if (coef_sub < 0).any():
                continue
            coef = np.zeros(N_TERMS)
            coef[list(subset)] = coef_sub
            err = float(((xw @ coef - yw) ** 2).sum())
            if err < best_err:
                best, best_err = coef, err
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=4.0, help="seconds of steady epochs per listing")
    parser.add_argument("--fit", action="store_true", help="fit the cost model's coefficients")
    parser.add_argument("--calibrate", action="store_true", help="predict from this machine's calibration")
    args = parser.parse_args()
    print(f"this machine: {this_machine().describe()}")
    calibration = (
        measure_machine_now(RunStore(Path(tempfile.mkdtemp(prefix="bench-cost-")))) if args.calibrate else None
    )
    rows = measure(args.budget)
    print(
        f"\n{'listing':30s} {'conv MACs':>12s} {'other MACs':>11s} {'weights':>10s} {'ms/img':>7s} {'est.':>7s} ratio"
    )
    for name, (conv, other, weights, _), batch, seconds in rows:
        code, _ = LISTINGS[name]
        _, report = read_model(code)
        predicted = 1 / custom_throughput(cost_terms(report), batch, calibration)
        print(f"{name:30s} {conv:12,.0f} {other:11,.0f} {weights:10,.0f} {seconds * 1e3:7.2f} {predicted * 1e3:7.2f} {predicted / seconds:.2f}")  # fmt: skip
    if args.fit:
        coef = fit(rows)
        print("\nfit: seconds per image = {:.3e} + {:.3e} * conv + {:.3e} * other + {:.3e} * weights / batch + {:.3e} * activations".format(*coef))  # fmt: skip
        for i, (name, terms, batch, seconds) in enumerate(rows):
            loo = fit(rows[:i] + rows[i + 1 :])
            print(f"  leave-one-out {name:30s} {float(features(terms, batch) @ loo) / seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
