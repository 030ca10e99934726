"""Home: what CNN Classroom is and where to start."""

import streamlit as st

from ui.common import t

CARDS = (
    ("app_pages/convolution.py", "convolution"),
    ("app_pages/pooling.py", "pooling"),
    ("app_pages/parameters.py", "parameters"),
    ("app_pages/augmentation.py", "augmentation"),
    ("app_pages/train.py", "train"),
    ("app_pages/runs.py", "runs"),
    ("app_pages/mnist.py", "mnist"),
    ("app_pages/inside.py", "inside"),
    ("app_pages/transfer.py", "transfer"),
)

st.title(t("home.title"))
st.markdown(t("home.intro"))
cards = st.container(key="cards")  # its headings are h2 (after the h1), drawn at card size (ui.accessibility)
for row in range(0, len(CARDS), 3):
    for col, (page, key) in zip(cards.columns(3), CARDS[row : row + 3], strict=True):
        with col.container(border=True):
            st.markdown(f"## {t(f'nav.{key}')}")
            st.caption(t(f"home.card_{key}"))
            st.page_link(page, label=t("home.open"), icon=":material/arrow_forward:")
st.caption(t("home.book_note"))
