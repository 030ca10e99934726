"""Small, exact edits of a learner's listing: the fixes the launch check offers, made in the code's own spelling.

Each edit finds one call on one line of the listing (as the reader read it: after its repairs, so line numbers
agree with the graph's) and rewrites only that call's text, or one of its arguments; everything else the learner
wrote is kept character for character. An edit that cannot find what it needs returns ``None`` (the check then
offers no button, only the message). Nothing is ever executed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from cnn_core.keras_code.evaluator import LayerCodeError, prepare_code


def _calls_in_statement(tree: ast.Module, line: int) -> list[ast.Call]:
    """Calls of the statement that starts on ``line`` (the reader's lines are statements'), in source order."""
    statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and n.lineno == line]
    if not statements:
        return []
    statement = min(statements, key=lambda n: (n.end_lineno or n.lineno) - n.lineno)
    calls = [n for n in ast.walk(statement) if isinstance(n, ast.Call)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset, -(c.end_col_offset or 0)))


def _func_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _offsets(text: str) -> list[int]:
    """Character offset of the start of every line (1-based line ``n`` starts at ``offsets[n - 1]``)."""
    starts, total = [], 0
    for line in text.split("\n"):
        starts.append(total)
        total += len(line) + 1
    return starts


def _span(text: str, node: ast.AST) -> tuple[int, int]:
    starts = _offsets(text)
    lines = text.split("\n")

    def at(line: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode(errors="ignore"))

    return at(node.lineno, node.col_offset), at(node.end_lineno or node.lineno, node.end_col_offset or 0)


def _replace(text: str, node: ast.AST, new: str) -> str:
    start, end = _span(text, node)
    return text[:start] + new + text[end:]


def _edit(
    code: str,
    line: int,
    find: Callable[[ast.Call], bool],
    change: Callable[[str, ast.Call], str | None],
    last: bool = False,
):
    """``change`` applied to the first (``last``: the last) call of the statement on ``line`` that ``find`` picks."""
    try:
        prepared = prepare_code(code)
    except LayerCodeError:
        return None
    found = [call for call in _calls_in_statement(prepared.tree, line) if find(call)]
    return change(prepared.text, found[-1 if last else 0]) if found else None


def set_input_shape(code: str, line: int, shape: tuple[int, ...]) -> str | None:
    """``code`` with the input shape declared in the statement on ``line`` (``keras.Input(shape=...)``, ``Input((...))``, or a
    layer's or ``VGG16``'s ``input_shape=``) replaced by ``shape``; ``None`` if none is declared there."""
    new = repr(tuple(shape))

    def find(call: ast.Call) -> bool:
        names = {k.arg for k in call.keywords}
        return (_func_name(call) in ("Input", "InputLayer") and (bool(call.args) or "shape" in names)) or (
            "input_shape" in names
        )

    def change(text: str, call: ast.Call) -> str:
        for keyword in call.keywords:
            if keyword.arg in ("shape", "input_shape"):
                return _replace(text, keyword.value, new)
        return _replace(text, call.args[0], new)

    return _edit(code, line, find, change)


def replace_layer(code: str, line: int, kind: str, arguments: str) -> str | None:
    """``code`` with the last ``kind(...)`` constructor of the statement on ``line`` given ``arguments`` instead of
    its own (its ``name=`` kept, its spelling ``layers.Dense`` / ``Dense`` kept); ``None`` if there is no such call.
    The caller checks the result reads as intended (a statement may construct several such layers)."""

    def change(text: str, call: ast.Call) -> str:
        prefix = text[slice(*_span(text, call.func))]
        names = [k for k in call.keywords if k.arg == "name"]
        kept = f", name={text[slice(*_span(text, names[0].value))]}" if names else ""
        return _replace(text, call, f"{prefix}({arguments}{kept})")

    return _edit(code, line, lambda call: _func_name(call) == kind, change, last=True)


def set_keyword(code: str, line: int, function: str, keyword: str, value: str) -> str | None:
    """``code`` with ``function(...)`` in the statement on ``line`` given ``keyword=value`` (replaced if there, added if not)."""

    def change(text: str, call: ast.Call) -> str:
        for existing in call.keywords:
            if existing.arg == keyword:
                return _replace(text, existing.value, value)
        start, end = _span(text, call)
        inside = text[start:end].rstrip()[:-1].rstrip()  # without the closing parenthesis
        separator = "" if inside.endswith("(") else " " if inside.endswith(",") else ", "
        return text[:start] + f"{inside}{separator}{keyword}={value})" + text[end:]

    return _edit(code, line, lambda call: _func_name(call) == function, change)


def _statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and n.lineno == line]
    return min(statements, key=lambda n: (n.end_lineno or n.lineno) - n.lineno) if statements else None


def extend_output(code: str, output_line: int, model_line: int | None, calls: list[str]) -> str | None:
    """``code`` with layer ``calls`` (``layers.Flatten()``) applied to the model's output, in the listing's own
    variable: before the ``keras.Model(...)`` statement on ``model_line`` (reassigning its ``outputs`` name), or,
    for a listing whose model is its last tensor (no ``keras.Model``), after the last line. ``None`` when the output
    is not a plain name."""
    try:
        prepared = prepare_code(code)
    except LayerCodeError:
        return None
    lines = prepared.text.split("\n")
    if model_line is None:
        statement = _statement_at(prepared.tree, output_line)
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)):  # fmt: skip
            return None
        name = statement.targets[0].id
        return "\n".join([*lines, *(f"{name} = {call}({name})" for call in calls)])
    statement = _statement_at(prepared.tree, model_line)
    model = next((c for c in ast.walk(statement) if isinstance(c, ast.Call) and _func_name(c) == "Model"), None) if statement else None  # fmt: skip
    if model is None:
        return None
    outputs = next(
        (k.value for k in model.keywords if k.arg == "outputs"), model.args[1] if len(model.args) > 1 else None
    )
    if not isinstance(outputs, ast.Name):
        return None
    indent = lines[model_line - 1][: len(lines[model_line - 1]) - len(lines[model_line - 1].lstrip())]
    added = [f"{indent}{outputs.id} = {call}({outputs.id})" for call in calls]
    return "\n".join([*lines[: statement.lineno - 1], *added, *lines[statement.lineno - 1 :]])
