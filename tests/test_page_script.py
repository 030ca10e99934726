"""Scripts that act on the page (the identity cookie, the lecturer's arrow keys) go through ``st.iframe``, never the
deprecated ``st.components.v1.html``: an upgrade that removes the old one, or changes the new one, fails here first."""

import ast
from pathlib import Path

from tests.helpers import ROOT, assert_clean, run_page

PROJECT_PACKAGES = ("app.py", "app_pages", "ui", "cnn_core")


def test_nothing_imports_the_deprecated_components_module():
    offenders = []
    for entry in PROJECT_PACKAGES:
        for path in [ROOT / entry] if entry.endswith(".py") else sorted((ROOT / entry).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
                module = node.module if isinstance(node, ast.ImportFrom) else ""
                if "streamlit.components" in (module or "") or any("streamlit.components" in n for n in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_the_lecturers_arrow_keys_reach_the_page_through_st_iframe(tmp_path: Path):
    """The convolution page in lecturer mode binds ← and →: an invisible same-origin frame whose script binds them on
    ``window.parent``, rendered by ``st.iframe`` with an HTML string (no deprecation, no error)."""
    at = run_page("app_pages/convolution.py", lecture=True)
    assert_clean(at)
    frames = at.get("iframe")
    scripts = [f.proto.srcdoc for f in frames if "__cnnStepKeys" in f.proto.srcdoc]
    assert scripts and "window.parent" in scripts[0] and "ArrowLeft" in scripts[0]
    assert all(f.proto.tab_index == -1 for f in frames)
