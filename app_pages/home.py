"""Home: what CNN Classroom is and where to start."""

import streamlit as st

from ui.common import t

st.title(t("home.title"))
st.markdown(t("home.intro"))
c1, c2, c3 = st.columns(3)
for col, (page, key) in zip(
    (c1, c2, c3),
    (
        ("app_pages/convolution.py", "convolution"),
        ("app_pages/pooling.py", "pooling"),
        ("app_pages/parameters.py", "parameters"),
    ),
    strict=True,
):
    with col.container(border=True):
        st.markdown(f"#### {t(f'nav.{key}')}")
        st.caption(t(f"home.card_{key}"))
        st.page_link(page, label=t("home.open"), icon=":material/arrow_forward:")
st.caption(t("home.book_note"))
