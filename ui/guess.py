"""The "guess before reveal" gate used on the convolution and parameter pages."""

from __future__ import annotations

import streamlit as st

from cnn_core.concepts.guess import guess_error, parse_count_guess, parse_shape_guess
from ui.common import t


def reveal_gate(prefix: str, answer: tuple[int, ...] | int, signature: str) -> bool:
    """``True`` when the answer may be shown. In guess mode the learner types a guess, clicks Reveal, and sees
    whether it was right; changing the settings (``signature``) hides the answer again."""
    if not st.toggle(t("guess.toggle"), key=f"{prefix}_guess_mode"):
        return True
    is_shape = isinstance(answer, tuple)
    guess = st.text_input(t("guess.prompt_shape" if is_shape else "guess.prompt_count"), key=f"{prefix}_guess")
    if st.button(t("guess.reveal"), key=f"{prefix}_reveal"):
        st.session_state[f"{prefix}_revealed"] = signature
    if st.session_state.get(f"{prefix}_revealed") != signature:
        st.info(t("guess.hidden"))
        return False
    if is_shape:
        right = parse_shape_guess(guess) == answer
    else:
        value = parse_count_guess(guess)
        right = value == answer
        if value is not None and not right:
            st.caption(t("guess.off_by", error=f"{guess_error(value, answer):.0%}"))
    if right:
        st.success(t("guess.right", answer=f"{answer:,}" if not is_shape else str(answer)))
    else:
        st.warning(t("guess.wrong", guess=guess or "–", answer=f"{answer:,}" if not is_shape else str(answer)))
    return True
