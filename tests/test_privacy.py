"""Hidden runs stay hidden on every page: with "hide learners' runs from each other" on, learner B finds no trace of
learner A's runs anywhere (run lists, tables, selectboxes, comparisons, Inside the model, MNIST, the board), while
the lecturer and A still see them. Every page of ``app_pages/`` is visited, so a new page is checked too."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.classroom.room import Classroom
from cnn_core.training.comparisons import SEED000_MNIST_CONVNET
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunState, RunStore
from tests.helpers import ROOT
from tests.run_fixtures import EPOCHS, tiny_model
from tests.test_page_board import KEYS
from ui.classroom import IDENTITY_KEY

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py") if not p.name.startswith("_"))
SECRET = "ana-secret"


def page_text(at) -> str:
    """Everything a page shows as text: markdown of every kind, messages, tables, code, and every option offered."""
    parts = [e.value for kind in ("markdown", "caption", "title", "header", "subheader", "info", "error", "success", "warning", "code") for e in at.get(kind)]  # fmt: skip
    parts += [str(option) for kind in ("selectbox", "multiselect", "radio") for w in at.get(kind) for option in w.options]  # fmt: skip
    parts += [d.value.to_string() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def hidden_class(classroom_env):
    store = RunStore(classroom_env)
    room = Classroom.beside(store.root)
    ana, ben, prof = (room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ana"), room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ben"), room.join(KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Prof"))  # fmt: skip
    for name, config in (
        (f"{SECRET} cats", RunConfig("feature_extraction", "synthetic", image_size=32, epochs=5)),
        (f"{SECRET} mnist", RunConfig("mnist_cnn", "mnist", epochs=5)),
        (f"{SECRET} own", RunConfig("own_model", "mnist", model_code=SEED000_MNIST_CONVNET)),
    ):
        run_id = store.create(config, name, owner=ana)
        for epoch in EPOCHS:
            store.writer(run_id).epoch(epoch)
        store.writer(run_id).test({"accuracy": 0.9, "loss": 0.3})
        if not config.is_mnist:
            tiny_model(store.folder(run_id).checkpoint)
        store.set_status(run_id, state=RunState.COMPLETED, params=1234, started_at=1, ended_at=61)
    room.set_runs_hidden(True, by=prof)
    return ana, ben, prof


def visit(page: str, who):
    """``page`` as ``who`` sees it, through the app's navigation (a page may link to others)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state[IDENTITY_KEY] = who
    return at.run().switch_page(page).run()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_a_learner_finds_no_trace_of_hidden_runs(hidden_class, page):
    ana, ben, prof = hidden_class
    at = visit(page, ben)
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    assert SECRET not in text
    if page.endswith("board.py"):
        assert "Ana" not in text  # not even a row of hers by nickname


def test_the_owner_and_the_lecturer_still_see_them_where_runs_are_listed(hidden_class):
    ana, ben, prof = hidden_class
    for who in (ana, prof):
        for page in ("app_pages/runs.py", "app_pages/inside.py"):
            assert SECRET in page_text(visit(page, who)), (who.nickname, page)
        assert "Ana" in page_text(visit("app_pages/board.py", who))
