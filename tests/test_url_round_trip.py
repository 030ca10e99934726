"""Every widget that changes what a page shows is in its URL: set them all, take the URL, open it fresh.

For each page every keyed widget is moved off its default (numbers to a bound, the last option of a
select or radio, toggles flipped), the URL the page writes is read back, and a new session opened with
that URL must show the same widget values and the same result (metrics, captions, code). Widgets that
do not belong in a shared link are listed below with the reason.
"""

from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from cnn_core.data.acquire import make_synthetic_dataset
from tests.helpers import ROOT, assert_clean, write_small_mnist

URL_KEY_OF = {"story_scrub": "story_epoch"}
"""Widgets whose value travels under another URL key (the story's scrub slider is the replay position's view)."""
NOT_IN_URL = {
    "lang": "global: kept by the language switch itself",
    "lecture": "global: kept by the lecturer toggle itself",
    "projector": "global: kept by the projector-theme toggle itself",
    "params_guess": "the learner's own guess is not part of a shared link",
    "conv_guess": "the learner's own guess is not part of a shared link",
    "params_guess_mode": "guess mode hides the answer; a link shows it",
    "conv_guess_mode": "guess mode hides the answer; a link shows it",
    "conv_play": "playing is an action, not a setting",
    "params_add_kind": "editor buttons' arguments: they change the code, which is in the URL",
    "params_edit_index": "editor buttons' arguments: they change the code, which is in the URL",
    "train_name": "a run's name is typed for one launch",
    "runs_rename": "renaming is an action on a run",
    "follow": "classroom following is per learner",
    "data_download_root": "where to write a download is chosen while downloading, not shared",
    "data_target_root": "where to write a subset is chosen while building it, not shared",
    "data_kaggle_folder": "a folder of this server's disk",
}
PAGES = [
    "app_pages/convolution.py",
    "app_pages/pooling.py",
    "app_pages/parameters.py",
    "app_pages/augmentation.py",
    "app_pages/transfer.py",
    "app_pages/train.py",
    "app_pages/mnist.py",
    "app_pages/inside.py",
    "app_pages/runs.py",
]
KINDS = (
    "number_input",
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "toggle",
    "checkbox",
    "text_input",
    "text_area",
    "multiselect",
)


def keyed_widgets(at: AppTest):
    for kind in KINDS:
        for widget in getattr(at, kind, []):
            key = getattr(widget, "key", None)
            if key and not key.startswith("$$") and key not in NOT_IN_URL and not getattr(widget, "disabled", False):
                yield kind, widget


def change(kind: str, widget) -> None:
    """Move ``widget`` off its current value: a number to its neighbour, the last other option, a flipped switch."""
    if kind in ("number_input", "slider"):
        value, step = widget.value, widget.step or 1
        if value is None:  # an empty box meaning "the default": type a number into it
            widget.set_value(widget.min + step)
            return
        if isinstance(value, tuple):
            return
        candidate = value + step if value + step <= widget.max else value - step
        if candidate >= widget.min:
            widget.set_value(type(value)(candidate))
    elif kind in ("selectbox", "radio", "select_slider"):
        labels = list(widget.options)
        if len(labels) > 1:
            current = labels.index(
                str(widget.format_func(widget.value[0] if isinstance(widget.value, tuple) else widget.value))
            )
            choose_label(widget, labels[-1] if current != len(labels) - 1 else labels[0])
    elif kind in ("toggle", "checkbox"):
        widget.set_value(not widget.value)
    elif kind == "multiselect" and widget.options:
        choose_labels(widget, list(widget.options)[:2])


def choose_label(widget, label: str) -> None:
    """Pick an option by the label the learner sees, as the browser does (the values behind labels are the page's)."""
    state = WidgetState()
    state.id = widget.id
    if widget.type in ("radio", "selectbox"):
        state.string_value = label
    else:
        state.string_array_value.data[:] = [label]

    class Chosen(type(widget)):
        @property
        def _widget_state(self) -> WidgetState:
            return state

    widget.__class__ = Chosen


def choose_labels(widget, labels: list[str]) -> None:
    """Pick several options by their labels (a multiselect)."""
    state = WidgetState()
    state.id = widget.id
    state.string_array_value.data[:] = labels

    class Chosen(type(widget)):
        @property
        def _widget_state(self) -> WidgetState:
            return state

    widget.__class__ = Chosen


def snapshot(at: AppTest) -> dict[str, object]:
    return {widget.key: widget.value for _, widget in keyed_widgets(at)}


def shown(at: AppTest) -> list[str]:
    return [f"{m.label}={m.value}" for m in at.metric] + [c.value for c in at.caption] + [c.value for c in at.code]


STARTS = {
    "app_pages/convolution.py": [{"conv_pad_mode": "explicit"}, {"conv_photo_kernel": "custom"}],
    "app_pages/pooling.py": [{"pool_stride_default": "0"}],
}
"""URL states that reveal widgets hidden by default (an explicit padding amount, a custom kernel, ...)."""


@pytest.fixture(autouse=True)
def data(env):
    """What the pages offer only when the data roots have it, in this test's own data folder: a dataset folder in
    the book's layout (the augmentation and inside pages' "dataset" photo source) and an MNIST file."""
    make_synthetic_dataset(env.data / "synthetic_shapes", per_split=(6, 2, 2), size=32)
    write_small_mnist(env.data, count=1200)


def open_page(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params.update(query)
    at.run()
    assert_clean(at)
    return at


def widget_by_key(at: AppTest, key: str):
    return next(((kind, w) for kind, w in keyed_widgets(at) if w.key == key), (None, None))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.split("/")[-1][:-3])
def test_every_widget_round_trips_through_the_url(page):
    problems: list[str] = []
    seen: set[str] = set()
    for start in [{}, *STARTS.get(page, [])]:
        for kind, widget in list(keyed_widgets(open_page(page, start))):
            if widget.key in seen:
                continue
            seen.add(widget.key)
            at = open_page(page, start)
            _, target = widget_by_key(at, widget.key)
            change(kind, target)
            at.run()
            assert_clean(at)
            if URL_KEY_OF.get(widget.key, widget.key) not in at.query_params:
                problems.append(f"{widget.key}: not in the URL")
                continue
            fresh = open_page(page, dict(at.query_params))
            _, again = widget_by_key(fresh, widget.key)
            _, now = widget_by_key(at, widget.key)
            if again is None or now is None or again.value != now.value:
                problems.append(
                    f"{widget.key}: {getattr(now, 'value', None)!r} came back as {getattr(again, 'value', None)!r}"
                )
            elif shown(fresh) != shown(at):
                problems.append(f"{widget.key}: the page shows something else after the round trip")
    assert not problems, problems
