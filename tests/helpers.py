"""Shared helpers for the page tests."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnn_core.training.machine import PROBES, Calibration, MachineId, Probe

ROOT = Path(__file__).resolve().parent.parent


def run_page(page: str, lang: str = "en", timeout: float = 60, query: dict | None = None, **state) -> AppTest:
    """Run ``page`` once in ``lang`` with ``state`` in the session and ``query`` as the URL's query parameters."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params.update(query or {})
    return at.run()


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def all_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.code] + [e.value for e in at.caption]
    parts += [e.value for e in at.latex] + [e.value for e in at.error] + [e.value for e in at.info]
    return "\n".join(str(p) for p in parts)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def wait_for(predicate, timeout: float = 120.0, every: float = 0.05, what: str = ""):
    """Poll ``predicate`` until it returns something truthy, and return that; ``AssertionError`` (naming ``what``
    and the last value seen) when ``timeout`` seconds pass first. The suite's one waiting loop."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or 'the condition'} (last: {value!r})")


def wait_until_ended(store, *run_ids: str, timeout: float = 180.0):
    """Wait for every run to leave the active states; returns their records."""
    from cnn_core.training.run_store import ACTIVE_STATES

    return wait_for(
        lambda: (
            (records := [store.load(r) for r in run_ids])
            and all(r.state not in ACTIVE_STATES for r in records)
            and records
        ),
        timeout=timeout,
        every=0.2,
        what=f"runs {', '.join(run_ids)} to end",
    )


def write_small_mnist(data_root: Path, count: int = 12_000) -> Path:
    """A small MNIST-like ``keras_datasets/mnist.npz`` under ``data_root`` (each digit a bright row at twice its
    value), for tests that must not need the real file."""
    import numpy as np

    folder = data_root / "keras_datasets"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    labels = np.arange(count) % 10
    images = (rng.random((count, 28, 28)) * 30).astype(np.uint8)
    images[np.arange(count), labels * 2, :] = 255
    path = folder / "mnist.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images[:600], y_test=labels[:600])
    return path


def machine_slower_by(factor: float, cores: int = 2) -> Calibration:
    """A calibration of a machine ``factor`` times slower than the reference at every probe (float32: no bf16)."""
    probes = {}
    for name, kind in PROBES.items():
        ref = kind.reference["fp32"]
        probes[name] = Probe(ref * factor if kind.unit == "s" else ref / factor, "fp32", 0.9)
    return Calibration(MachineId("slow", "old laptop", ("avx2", "fma"), cores), 0.0, 30.0, probes)
