"""MNIST: what the digits look like to a network, and a dense network against a convnet."""

import numpy as np
import streamlit as st

from cnn_core.classroom.room import ClassroomError
from cnn_core.core.settings import load_settings
from cnn_core.data.reports import DatasetError, find_mnist_files, load_mnist, short_label
from cnn_core.runs.jobs import launch
from cnn_core.training.registry import MNIST_STRATEGIES, get_strategy
from cnn_core.training.run_config import RunConfig
from ui.classroom import me
from ui.common import show_error, t
from ui.grids import GRID_CSS, heat_grid_html
from ui.training import live_run_view, runs_now
from ui.url_state import Num, Text, publish, restore

URL_STATE = {"mnist_index": Num(0, 499), "mnist_source": Text(300)}


@st.cache_data(show_spinner=False, max_entries=2)
def mnist_test_digits(path: str) -> tuple[np.ndarray, np.ndarray]:
    _, _, (x_test, y_test) = load_mnist(path)
    return x_test[:500], y_test[:500]


restore("mnist", URL_STATE)
st.title(t("mnist.title"))
st.caption(t("mnist.intro"))
settings = load_settings()
files = {short_label(p, settings.data_roots): str(p) for p in find_mnist_files(settings.data_roots)}
if st.session_state.get("mnist_source") not in (*files, "mnist"):
    st.session_state.pop("mnist_source", None)  # a link from another machine names another file
choice = st.selectbox(
    t("mnist.source"), [*files, "mnist"], key="mnist_source",
    format_func=lambda c: t("mnist.keras_download") if c == "mnist" else c,
)  # fmt: skip
source = files.get(choice, "mnist")

if source == "mnist":
    st.info(t("mnist.no_local_file"))
else:
    try:
        digits, labels = mnist_test_digits(source)
    except (DatasetError, OSError, ValueError) as err:
        st.error(t("mnist.unreadable", message=str(err)))
        st.stop()
    st.header(t("mnist.samples"))
    cols = st.columns(10)
    for i, col in enumerate(cols):
        col.image(
            255 - digits[i],
            caption=str(labels[i]),
            alt=t("alt.mnist_digit", index=i, label=int(labels[i])),
            width="stretch",
            clamp=True,
        )
    index = st.number_input(t("mnist.digit_index"), 0, len(digits) - 1, 0, key="mnist_index")
    st.markdown(t("mnist.matrix", label=int(labels[index])))
    st.markdown(GRID_CSS + heat_grid_html(digits[index]), unsafe_allow_html=True)
    st.caption(t("mnist.matrix_note"))

st.header(t("mnist.compare_title"))
store, records = runs_now()
cols = st.columns(2)
for col, strategy in zip(cols, MNIST_STRATEGIES, strict=True):
    with col:
        st.markdown(f"### {t(f'strategies.{strategy}')}")
        st.caption(t(f"mnist.{strategy}_desc", book=f"{get_strategy(strategy).book_accuracy:.1%}"))
        if st.button(t("mnist.launch"), key=f"mnist_launch_{strategy}"):
            try:
                run_id = launch(
                    store, RunConfig(strategy=strategy, dataset=source), name=f"MNIST {strategy}", owner=me()
                )
            except ClassroomError as err:
                show_error("classroom_errors", err)
            else:
                st.session_state[f"mnist_run_{strategy}"] = run_id
        run_id = st.session_state.get(f"mnist_run_{strategy}") or next(
            (r.run_id for r in records if r.config and r.config.strategy == strategy), None
        )
        if run_id:
            live_run_view(store, run_id, key=f"mnist_{strategy}")
        else:
            st.caption(t("mnist.not_trained"))

publish(URL_STATE)
