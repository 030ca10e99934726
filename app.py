"""CNN Classroom: entry point. Builds the navigation; every page lives in ``pages/``."""

import logging

import streamlit as st

from ui.accessibility import apply_base_style, page_menu
from ui.classroom import current_identity, member_box, sign_in_gate
from ui.common import language_selector, t
from ui.errors import run_guarded
from ui.follow import follow, follow_toggle, publish_lecturer_view, set_current_page
from ui.lecture import lecture_from_url, lecture_toggle
from ui.streamlit_internals import check as check_streamlit_internals
from ui.streamlit_internals import install_server_tuning

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
check_streamlit_internals()  # once per process: logs whether following and tuning can use Streamlit's internals
install_server_tuning()  # once per process: Streamlit's per-rerun theme work
st.set_page_config(
    page_title="CNN Classroom",
    page_icon="🧠",
    layout="wide",
    initial_sidebar_state="collapsed" if lecture_from_url() else "auto",  # presenter layout for lecturer links
)
apply_base_style()
menu = st.sidebar.container()  # the page menu, above the switches
language_selector()
lecture_toggle()

HOME = st.Page("app_pages/home.py", title=t("nav.home"), icon=":material/home:", default=True, url_path="start")
PAGES = {
    t("nav.start"): [
        HOME,
        # /home also opens the home page (it is the name people type), without a second entry in the menu
        st.Page(lambda: st.switch_page(HOME), title=t("nav.home"), url_path="home", visibility="hidden"),
    ],
    t("nav.concepts"): [
        st.Page(
            "app_pages/convolution.py", title=t("nav.convolution"), icon=":material/grid_on:", url_path="convolution"
        ),
        st.Page("app_pages/pooling.py", title=t("nav.pooling"), icon=":material/compress:", url_path="pooling"),
        st.Page(
            "app_pages/parameters.py", title=t("nav.parameters"), icon=":material/calculate:", url_path="parameters"
        ),
    ],
    t("nav.data"): [
        st.Page(
            "app_pages/augmentation.py", title=t("nav.augmentation"), icon=":material/flip:", url_path="augmentation"
        ),
    ],
    t("nav.training"): [
        st.Page("app_pages/train.py", title=t("nav.train"), icon=":material/model_training:", url_path="train"),
        st.Page("app_pages/runs.py", title=t("nav.runs"), icon=":material/history:", url_path="runs"),
        st.Page("app_pages/board.py", title=t("nav.board"), icon=":material/leaderboard:", url_path="board"),
        st.Page("app_pages/mnist.py", title=t("nav.mnist"), icon=":material/pin:", url_path="mnist"),
        st.Page("app_pages/inside.py", title=t("nav.inside"), icon=":material/visibility:", url_path="inside"),
        st.Page("app_pages/transfer.py", title=t("nav.transfer"), icon=":material/alt_route:", url_path="transfer"),
    ],
}
# the page is chosen before the sign-in gate, so a link opened by someone not yet signed in keeps its page
page = st.navigation(PAGES, position="hidden")  # drawn as links instead: see ui.accessibility
if current_identity() is not None:
    with menu:
        page_menu(PAGES)
identity = member_box(sign_in_gate())  # classroom mode: no page runs without a signed identity
set_current_page(page.url_path)
following = follow_toggle(identity)
if following:
    follow({p.url_path: p for section in PAGES.values() for p in section}, page.url_path)
run_guarded(page)
publish_lecturer_view()  # pages without URL state (the home page); the others published already
