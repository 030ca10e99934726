"""Shared helpers for the page tests."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

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
