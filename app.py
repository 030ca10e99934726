"""CNN Classroom: entry point. Builds the navigation; every page lives in ``pages/``."""

import logging

import streamlit as st

from ui.common import language_selector, t

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
st.set_page_config(page_title="CNN Classroom", page_icon="🧠", layout="wide")
language_selector()

PAGES = {
    t("nav.start"): [st.Page("pages/home.py", title=t("nav.home"), icon="🏠", default=True, url_path="home")],
    t("nav.concepts"): [
        st.Page("pages/convolution.py", title=t("nav.convolution"), icon="🔳", url_path="convolution"),
        st.Page("pages/pooling.py", title=t("nav.pooling"), icon="🔽", url_path="pooling"),
        st.Page("pages/parameters.py", title=t("nav.parameters"), icon="🧮", url_path="parameters"),
    ],
}
st.navigation(PAGES).run()
