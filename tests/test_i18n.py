"""Every UI string exists in both languages, with the same placeholders, and every key the code uses exists."""

import re
import string
from pathlib import Path

import pytest

from cnn_core.core.i18n import LANGUAGES, catalogue, translate

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
ENGINE_FILES = sorted((ROOT / "cnn_core").rglob("*.py"))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys():
    ko, en = set(catalogue("ko")), set(catalogue("en"))
    assert ko - en == set(), f"missing in en: {sorted(ko - en)}"
    assert en - ko == set(), f"missing in ko: {sorted(en - ko)}"


@pytest.mark.parametrize("key", sorted(catalogue("en")))
def test_same_placeholders_and_not_empty(key):
    ko, en = catalogue("ko")[key], catalogue("en")[key]
    assert ko.strip() and en.strip()
    assert _placeholders(ko) == _placeholders(en)


def _literal_keys() -> set[str]:
    keys = set()
    for path in UI_FILES:
        keys |= set(re.findall(r"\bt\(\s*\"([a-z_]+\.[a-z0-9_.]+)\"", path.read_text()))
    return keys


def test_every_literal_key_used_in_the_ui_exists():
    keys = _literal_keys()
    assert len(keys) > 50
    for lang in LANGUAGES:
        missing = sorted(k for k in keys if k not in catalogue(lang))
        assert not missing, f"{lang}: {missing}"


def _error_codes(pattern: str) -> set[str]:
    codes = set()
    for path in ENGINE_FILES:
        codes |= set(re.findall(pattern, path.read_text()))
    return codes


@pytest.mark.parametrize(
    "section,pattern",
    [
        ("errors", r"ShapeError\(\s*\"([a-z_]+)\""),
        ("image_errors", r"ImageDecodeError\(\s*\"([a-z_]+)\""),
        ("kernel_errors", r"KernelTextError\(\s*\"([a-z_]+)\""),
        ("code_errors", r"LayerCodeError\(\s*[a-z_.0-9]+,\s*\"([a-z_]+)\""),
        ("model_check", r"Problem\(\s*\"([a-z_]+)\""),
        ("challenge_errors", r"ChallengeError\(\s*\"([a-z_]+)\""),
        ("fixes", r"Fix\(\s*\"([a-z_]+)\""),
        ("run_errors", r"TrainingDivergedError\(\s*\"([a-z_]+)\""),
        ("run_errors", r"\"catalog\": \"run_errors\", \"code\": \"([a-z_]+)\""),
    ],
)
def test_every_error_code_has_an_explanation(section, pattern):
    codes = _error_codes(pattern)
    assert codes
    for lang in LANGUAGES:
        assert not [c for c in codes if f"{section}.{c}" not in catalogue(lang)], (lang, section)


def test_book_terms_in_korean():
    ko = " ".join(catalogue("ko").values())
    for term in ("합성곱", "패딩", "보폭", "맥스 풀링", "특성 맵", "필터", "채널", "파라미터", "평탄화", "밀집층"):
        assert term in ko, term


def test_translate_fills_placeholders_and_flags_missing_keys():
    assert translate("conv.pad_split", "en", before=1, after=2).startswith("Padding on this axis: 1 before")
    assert translate("no.such_key", "en") == "[no.such_key]"


def _language_script():
    import streamlit as st

    from ui.common import language_selector, t

    st.markdown(t("nav.home"))  # before the switch: the session's language so far
    language_selector()
    st.markdown(t("nav.home"))  # after it: the language just chosen
    st.session_state["seen"] = st.session_state.get("seen", 0) + 1
    st.markdown(t("nav.home"))


def test_the_language_read_once_a_run_follows_every_switch():
    """``t`` keeps the language for the rest of a run: the switch itself, a new run after a switch and a value
    set before the run must each show at once."""
    from streamlit.testing.v1 import AppTest

    home = {lang: translate("nav.home", lang) for lang in ("ko", "en")}
    assert home["ko"] != home["en"]
    at = AppTest.from_function(_language_script)
    at.query_params["lang"] = "en"
    at.run()
    assert [m.value for m in at.markdown] == [home["ko"], home["en"], home["en"]]  # a new session starts in Korean
    at.sidebar.radio(key="lang").set_value("ko").run()
    assert [m.value for m in at.markdown] == [home["ko"]] * 3
    at.sidebar.radio(key="lang").set_value("en").run()
    assert [m.value for m in at.markdown] == [home["en"]] * 3
    at.session_state["lang"] = "ko"
    at.run()
    assert [m.value for m in at.markdown] == [home["ko"]] * 3
