"""The window step-through the convolution and pooling pages share: previous / next buttons (and ← → keys, see
:func:`ui.lecture.step_keys`), an optional play switch, and a position slider, all over one session key."""

from __future__ import annotations

import streamlit as st

from ui.common import t


class Stepper:
    """Steps ``0 .. n_steps - 1`` of a window sliding over an output grid, kept in ``{prefix}_step``; the buttons
    are ``{prefix}_prev`` and ``{prefix}_next``, the play switch ``{prefix}_play``. Stepping wraps around."""

    def __init__(self, prefix: str, n_steps: int) -> None:
        self.prefix = prefix
        self.key = f"{prefix}_step"
        self.n_steps = max(n_steps, 1)
        if st.session_state.get(self.key, 0) >= self.n_steps:  # the grid shrank under the window
            st.session_state[self.key] = 0

    def move(self, delta: int) -> None:
        st.session_state[self.key] = (st.session_state.get(self.key, 0) + delta) % self.n_steps

    def buttons(self, row, play: bool = False, stretch: bool = False) -> bool:
        """Previous and next (and the play switch when ``play``) in ``row``; whether it is playing."""
        width = "stretch" if stretch else "content"
        single = self.n_steps == 1
        row.button(t("conv.prev"), key=f"{self.prefix}_prev", on_click=self.move, args=(-1,), width=width, disabled=single)  # fmt: skip
        row.button(t("conv.next"), key=f"{self.prefix}_next", on_click=self.move, args=(1,), width=width, disabled=single, help=t("conv.keys_help"))  # fmt: skip
        return bool(play and row.toggle(t("conv.play"), key=f"{self.prefix}_play"))

    def slider(self, container, label: str, help: str | None = None) -> int:
        """The position slider; returns the step shown (within the grid)."""
        step = container.slider(label, 0, max(self.n_steps - 1, 1), help=help, key=self.key, disabled=self.n_steps == 1)
        return min(step, self.n_steps - 1)
