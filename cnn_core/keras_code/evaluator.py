"""A bounded evaluator for the part of Python that model listings use, over the syntax tree: nothing is run.

It knows statements (assignments, ``if``, ``for``, ``def``/``return``, ``with``/``try`` bodies), expressions over
numbers, strings, tuples and lists, comprehensions, and a few builtins (``range``, ``len``, ``min``...). It knows
nothing of Keras: a reader built on it (:class:`cnn_core.keras_code.layer_graph.GraphReader`) decides what names,
attributes and calls mean through the hooks :meth:`Evaluator.attribute`, :meth:`Evaluator.call_value`,
:meth:`Evaluator.builtin`, :meth:`Evaluator.unknown_name`, :meth:`Evaluator.assign_attribute` and
:meth:`Evaluator.noted`. What it cannot know (data, NumPy, plots) is an :class:`Opaque` value saying where it came
from, and a statement that depends on one is skipped and its lines listed.

Limits keep every input cheap: 20,000 characters, 50,000 evaluation steps, expressions 60 levels deep, functions 16
calls deep, 2,000 loop iterations; anything beyond is a :class:`LayerCodeError` with a code, never a hang.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import operator
import re
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cnn_core.core.errors import CodedError

MAX_CODE_CHARS = 20_000
MAX_STEPS = 50_000
MAX_DEPTH = 60
MAX_CALL_DEPTH = 16
MAX_LOOP_ITERATIONS = 2_000
MAX_SEQUENCE = 10_000
MAX_NUMBER = 10**15


class LayerCodeError(CodedError):
    """Code that does not describe a model the reader can count; ``line`` is 1-based, ``code`` names the problem."""

    def __init__(self, line: int, code: str, message: str, catalog: str = "code_errors", **details: object) -> None:
        super().__init__(code, f"line {line}: {message}", **details)
        self.line = line
        self.catalog = catalog  # the i18n table of ``code``: "code_errors", or "errors" for shape rules


# --- values -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opaque:
    """Something the reader does not model (a dataset, an array, a plot); ``origin`` says where it came from."""

    line: int
    origin: str
    free: tuple[str, ...] = ()
    """Names the listing uses as values but never defines, that this value is computed from (``image_size + (3,)``):
    given their values, it could be computed (a reader asks for them)."""
    undefined: tuple[str, ...] = ()
    """Names the listing never defines whose code computes this value (``np.prod(...)``, ``my_block(x)``): only
    pasting their definition helps."""
    from_tensor: bool = False
    """Computed from a model tensor by something not read here: a model path through it is cut."""


@dataclass(frozen=True)
class Module:
    """A module or namespace such as ``keras.layers``; ``path`` is its dotted name."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Builtin:
    """A function the reader knows by name: a Python builtin (``range``) or one the reader on top defines."""

    name: str


@dataclass(frozen=True)
class Function:
    """A ``def`` of the listing, called by evaluating its body in a new scope."""

    node: ast.FunctionDef
    closure: dict


class Return(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


class Break(Exception):
    pass


class Continue(Exception):
    pass


PLAIN = (int, float, str, bool, type(None))
"""Values the listing may write as literals."""

_BINARY: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_COMPARE: dict[type, Callable] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip
_PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)( |$)")
_PYTHON_NAMES = frozenset(dir(builtins))
"""Python's own builtins (``open``, ``__import__``...): never "undefined", only not read here (and never called)."""
_PYTHON_BUILTINS = ("range", "len", "int", "float", "abs", "min", "max", "round", "list", "tuple", "print")


def bound_names(tree: ast.AST) -> frozenset[str]:
    """Every name the listing binds somewhere: assignments, loop targets, ``def``, imports, parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


def _flat(values: Sequence[object]):
    for value in values:
        if isinstance(value, (tuple, list)):
            yield from _flat(value)
        elif isinstance(value, dict):
            yield from _flat(list(value.values()))
        else:
            yield value


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def all_plain(value: tuple) -> bool:
    """A tuple of literals (nested tuples too)."""
    return all(isinstance(v, PLAIN) or (isinstance(v, tuple) and all_plain(v)) for v in value)


@dataclass(frozen=True)
class Repair:
    """A line the reader mended before reading: ``doctest`` (a ``>>>``/``...`` prompt removed, or a doctest's output
    left out) or ``split`` (statements a web page ran together on one line, separated again)."""

    line: int
    kind: str


@dataclass(frozen=True)
class PreparedCode:
    text: str
    tree: ast.Module
    repairs: tuple[Repair, ...]


MAX_SPLITS = 500
_RUN_TOGETHER = re.compile(r"""[\w)\]}'"]\s+[A-Za-z_]\w*\s*=(?!=)""")
"""Something closed, a space, then ``name =``: where a web copy may have run two statements together."""


def clean_cell(code: str) -> str:
    """:func:`clean_lines`' text."""
    return clean_lines(code)[0]


def clean_lines(code: str) -> tuple[str, list[Repair]]:
    """Undo copy damage, keeping line numbers: IPython ``%``/``!`` lines blanked; from a cell's first ``>>>`` prompt
    on, prompts stripped and the doctest's output lines blanked (the code before the first prompt stays as it is)."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    repairs: list[Repair] = []
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>") and _PROMPT.match(line)), None)
    if first is not None:
        for i in range(first, len(lines)):
            if _PROMPT.match(lines[i]):
                lines[i] = _PROMPT.sub("", lines[i], count=1)
                repairs.append(Repair(i + 1, "doctest"))
            elif lines[i].strip():
                lines[i] = ""  # the doctest's output
                repairs.append(Repair(i + 1, "doctest"))
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    return text, repairs


def prepare_code(code: str) -> PreparedCode:
    """The listing's syntax tree, after :func:`clean_lines` and, where Python stops at a line that holds several
    statements run together (``inputs= keras.Input(...) x= layers.Rescaling(1./255)(inputs)``, as web pages copy
    notebook cells), that line split with ``;`` where a new ``name =`` begins after a closed expression.
    :class:`LayerCodeError` for what Python refuses after that."""
    if not isinstance(code, str):
        raise LayerCodeError(1, "syntax", "the code must be text")
    if len(code) > MAX_CODE_CHARS:
        raise LayerCodeError(1, "too_long", f"code longer than {MAX_CODE_CHARS} characters", limit=MAX_CODE_CHARS)
    text, repairs = clean_lines(code)
    for _ in range(MAX_SPLITS):
        try:
            return PreparedCode(text, ast.parse(text), tuple(repairs))
        except SyntaxError as err:
            line = err.lineno or 1
            lines = text.split("\n")
            split = _split_run_together(lines[line - 1]) if 0 < line <= len(lines) else None
            if split is None:
                raise LayerCodeError(line, "syntax", err.msg or "invalid syntax") from err
            lines[line - 1] = split
            text = "\n".join(lines)
            repairs.append(Repair(line, "split"))
        except (ValueError, RecursionError, MemoryError, OverflowError) as err:
            raise LayerCodeError(1, "too_complex", f"the code cannot be read: {type(err).__name__}") from err
    raise LayerCodeError(1, "too_complex", "the code cannot be read: too many statements run together")


def _split_run_together(line: str) -> str | None:
    """``line`` with ``;`` before each ``name =`` that starts after a closed expression at bracket depth 0, or
    ``None`` when there is no such place."""
    if not _RUN_TOGETHER.search(line):
        return None  # cheap test first: a long line of brackets need not be tokenized
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    depth, cuts = 0, []
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)]  # fmt: skip
    for i, token in enumerate(significant):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif (
            depth == 0
            and i > 0
            and token.type == tokenize.NAME
            and not keyword.iskeyword(token.string)
            and i + 1 < len(significant)
            and significant[i + 1].string == "="
            and (
                significant[i - 1].type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
                and not keyword.iskeyword(significant[i - 1].string)
                or significant[i - 1].string in (")", "]", "}")
            )
        ):
            cuts.append(token.start[1])
    if not cuts:
        return None
    for column in reversed(cuts):
        line = line[:column].rstrip() + "; " + line[column:]
    return line


class Evaluator:
    """Evaluates statements and expressions in ``env``; subclasses give names, attributes and calls a meaning."""

    def __init__(self) -> None:
        self.ignored: set[int] = set()
        self.steps = 0
        self.depth = 0
        self.call_depth = 0
        self.iterations = 0
        self.line = 1
        self.bound_names: frozenset[str] = frozenset()
        self.free_names_seen: dict[str, int] = {}
        """Names used but defined nowhere in the listing, with the line of their first use."""
        self.env: dict[str, object] = self.initial_env()

    def read(self, tree: ast.Module, unbound: frozenset[str] = frozenset()) -> None:
        """Evaluate a whole listing (after noting every name it binds anywhere, but ``unbound``: names to ask for
        even though the listing binds them somewhere, as a function's parameters)."""
        self.bound_names = bound_names(tree) - unbound
        try:
            self.run(tree.body, self.env)
        except (Return, Break, Continue):
            pass

    # -- hooks for the reader on top ---------------------------------------------------------------------
    def initial_env(self) -> dict[str, object]:
        env: dict[str, object] = {name: Builtin(name) for name in _PYTHON_BUILTINS}
        env.update({"True": True, "False": False, "None": None})
        return env

    def unknown_name(self, name: str) -> object:
        """A name the listing uses before binding it: free when the listing binds it nowhere (another cell, a
        forgotten line), else only not known here (bound in a part that was skipped)."""
        if name in self.bound_names or name in _PYTHON_NAMES:
            return Opaque(self.line, name)
        self.free_names_seen.setdefault(name, self.line)
        return Opaque(self.line, name, (name,))

    @staticmethod
    def is_array(value: object, name: str) -> bool:
        """Whether ``name``'s unknown value is data the learner can describe by its shape: never defined (only its
        own name free), or loaded by code not read here; not a value computed from another missing name, from code
        the listing lacks, or from a model's tensor."""
        return (
            isinstance(value, Opaque) and value.free in ((), (name,)) and not value.undefined and not value.from_tensor
        )

    def array_shape(self, name: str) -> object:
        """``name.shape`` of an array the reader does not know (data the listing loads, or never defines): a name of
        its own, ``x_train.shape``, asked for as one; its value a tuple, so that ``x_train.shape[1:]`` slices the
        learner's answer."""
        key = f"{name}.shape"
        return self.env[key] if key in self.env else Opaque(self.line, key, (key,))

    def attribute(self, owner: object, attr: str) -> object:
        """``owner.attr``; for a module of the reader's, the reader says."""
        if isinstance(owner, Module):
            return Opaque(self.line, ".".join((*owner.path, attr)))
        return self.opaque(attr, owner, by_unknown_code=True)

    def assign_attribute(self, owner: object, attr: str, value: object) -> None:
        """``owner.attr = value``: data, unless the reader models ``owner``."""

    def call_value(self, func: object, args: list, kwargs: dict) -> object:
        """``func(*args, **kwargs)`` with every argument evaluated."""
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs)
        if isinstance(func, Builtin):
            return self.builtin(func.name, args, kwargs)
        return self.opaque(
            func.origin if isinstance(func, Opaque) else "call", func, args, kwargs, by_unknown_code=True
        )

    def builtin(self, name: str, args: list, kwargs: dict) -> object:
        """The Python builtins, on literal arguments only."""
        plain = all(isinstance(a, (*PLAIN, tuple, list, range)) for a in (*args, *kwargs.values()))
        if name == "range" and plain and not kwargs and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args):
            if len(args) == 3 and args[2] == 0:
                return self.opaque("range", args)
            result = range(*args)
            if len(result) > MAX_SEQUENCE:
                raise self.error("too_complex", "a range is too long")
            return result
        if name in ("len", "list", "tuple") and len(args) == 1 and isinstance(args[0], (tuple, list, range, str)):
            return {"len": len, "list": list, "tuple": tuple}[name](args[0])
        if name in ("int", "float", "abs", "round", "min", "max") and plain and args and not kwargs:
            try:
                return {"int": int, "float": float, "abs": abs, "round": round, "min": min, "max": max}[name](*args)
            except (TypeError, ValueError, OverflowError):
                return self.opaque(name, args)
        return None if name == "print" else self.opaque(name, args, kwargs)

    def noted(self, value: object) -> None:
        """Every value a statement assigns or computes, in order (the reader keeps the last tensor)."""

    def expression_statement(self, stmt: ast.Expr, value: object) -> None:
        """A statement that is an expression alone, such as ``model.add(...)`` or a bare ``Conv2D(...)``."""

    def is_tensor(self, value: object) -> bool:
        """Whether ``value`` is a tensor of the reader's model (none here)."""
        return False

    # -- the evaluator ----------------------------------------------------------------------------------------
    def opaque(self, origin: str, *sources: object, by_unknown_code: bool = False) -> Opaque:
        """An unknown value computed from ``sources``: it depends on their free and undefined names, and on a tensor
        if they do. ``by_unknown_code``: computed by code the reader does not know (a call, an attribute), so the
        free names it was computed from can no longer be asked for as values."""
        free: dict[str, None] = {}
        undefined: dict[str, None] = {}
        from_tensor = False
        for source in _flat(sources):
            if isinstance(source, Opaque):
                (undefined if by_unknown_code else free).update(dict.fromkeys(source.free))
                undefined.update(dict.fromkeys(source.undefined))
                from_tensor = from_tensor or source.from_tensor
            elif self.is_tensor(source):
                from_tensor = True
        return Opaque(self.line, origin, tuple(free), tuple(undefined), from_tensor)

    def error(self, code: str, message: str, **details: object) -> LayerCodeError:
        return LayerCodeError(self.line, code, message, **details)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error("too_complex", f"the code takes more than {MAX_STEPS:,} steps to read", limit=MAX_STEPS)

    def skip(self, stmt: ast.stmt) -> None:
        self.ignored.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))

    def run(self, body: Sequence[ast.stmt], env: dict[str, object]) -> None:
        for stmt in body:
            self.line = stmt.lineno
            self.tick()
            self.statement(stmt, env)

    def statement(self, stmt: ast.stmt, env: dict[str, object]) -> None:  # noqa: C901 - one branch per statement kind
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                name = alias.asname or alias.name.split(".")[0]
                path = tuple(alias.name.split(".")) if alias.asname else (alias.name.split(".")[0],)
                env[name] = Module(path)
        elif isinstance(stmt, ast.ImportFrom):
            base = Module(tuple((stmt.module or "").split(".")))
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                env[alias.asname or alias.name] = self.attribute(base, alias.name)
        elif isinstance(stmt, ast.Assign):
            value = self.expression(stmt.value, env)
            for target in stmt.targets:
                self.assign(target, value, env)
            self.noted(value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            value = self.expression(stmt.value, env)
            self.assign(stmt.target, value, env)
            self.noted(value)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = self.expression(stmt.target, env)
            value = self.binary(stmt.op, current, self.expression(stmt.value, env))
            env[stmt.target.id] = value
        elif isinstance(stmt, ast.Expr):
            value = self.expression(stmt.value, env)
            self.noted(value)
            self.expression_statement(stmt, value)
        elif isinstance(stmt, ast.If):
            test = self.expression(stmt.test, env)
            if isinstance(test, Opaque):
                if test.free:  # a value the learner can give decides the branch (``if num_classes == 2:``)
                    name = test.free[0]
                    raise LayerCodeError(self.line, "undefined_name", f"{name} is not defined in what you pasted", name=name, need="value")  # fmt: skip
                self.skip(stmt)
                return
            self.run(stmt.body if self.truth(test) else stmt.orelse, env)
        elif isinstance(stmt, ast.For):
            self.loop(stmt, env)
        elif isinstance(stmt, ast.FunctionDef):
            env[stmt.name] = Function(stmt, env)
        elif isinstance(stmt, ast.Return):
            raise Return(self.expression(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.Break):
            raise Break
        elif isinstance(stmt, ast.Continue):
            raise Continue
        elif isinstance(stmt, (ast.With, ast.Try)):
            self.run(stmt.body, env)
        elif not isinstance(stmt, ast.Pass):
            self.skip(stmt)

    def loop(self, stmt: ast.For, env: dict[str, object]) -> None:
        iterable = self.expression(stmt.iter, env)
        if isinstance(iterable, Opaque) or not isinstance(iterable, (tuple, list, range, str)):
            self.skip(stmt)
            return
        for item in iterable:
            self.count_iteration()
            self.assign(stmt.target, item, env)
            try:
                self.run(stmt.body, env)
            except Break:
                return
            except Continue:
                continue
        else:
            self.run(stmt.orelse, env)

    def count_iteration(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise self.error("too_complex", f"loops run more than {MAX_LOOP_ITERATIONS:,} times")

    def assign(self, target: ast.expr, value: object, env: dict[str, object]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (tuple, list)) and len(value) == len(target.elts):
                for t, v in zip(target.elts, value, strict=True):
                    self.assign(t, v, env)
            else:
                for t in target.elts:
                    self.assign(t, self.opaque("unpacking", value), env)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, env)
        elif isinstance(target, ast.Attribute):
            self.assign_attribute(self.expression(target.value, env), target.attr, value)
        # subscript targets (arrays, dicts) are data, not the model

    def call_function(self, func: Function, args: list, kwargs: dict) -> object:
        self.call_depth += 1
        if self.call_depth > MAX_CALL_DEPTH:
            raise self.error("too_complex", f"functions call each other more than {MAX_CALL_DEPTH} levels deep")
        try:
            scope = dict(func.closure)
            fn_args = func.node.args
            params = [a.arg for a in (*fn_args.posonlyargs, *fn_args.args)]
            defaults = fn_args.defaults
            for name, default in zip(params[len(params) - len(defaults) :], defaults, strict=True):
                scope[name] = self.expression(default, func.closure)
            for kw, default in zip(fn_args.kwonlyargs, fn_args.kw_defaults, strict=True):
                if default is not None:
                    scope[kw.arg] = self.expression(default, func.closure)
            for name, value in zip(params, args, strict=False):
                scope[name] = value
            for name, value in kwargs.items():
                scope[name] = value
            line = self.line
            try:
                self.run(func.node.body, scope)
            except Return as result:
                return result.value
            finally:
                self.line = line
            return None
        finally:
            self.call_depth -= 1

    # -- expressions ------------------------------------------------------------------------------------------
    def expression(self, node: ast.expr, env: dict[str, object]) -> object:
        """Evaluate ``node``; a call or a name inside a statement that spans several lines is on its own line (a
        layer of a multi-line ``Sequential([...])``, an undefined name on line 3 of it)."""
        self.tick()
        self.depth += 1
        line = self.line
        if isinstance(node, (ast.Call, ast.Name)) and getattr(node, "lineno", None):
            self.line = node.lineno
        try:
            if self.depth > MAX_DEPTH:
                raise self.error("too_complex", f"expressions nest more than {MAX_DEPTH} levels deep")
            return self._expression(node, env)
        finally:
            self.depth -= 1
            self.line = line

    def _expression(self, node: ast.expr, env: dict[str, object]) -> object:  # noqa: C901
        if isinstance(node, ast.Constant):
            if isinstance(node.value, PLAIN):
                if isinstance(node.value, int) and abs(node.value) > MAX_NUMBER:
                    raise self.error("number_too_large", f"{str(node.value)[:20]}… is too large", limit=f"{MAX_NUMBER:.0e}")  # fmt: skip
                return node.value
            if node.value is Ellipsis:
                return Opaque(self.line, "...")
            return Opaque(self.line, type(node.value).__name__)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else self.unknown_name(node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            if len(node.elts) > MAX_SEQUENCE:
                raise self.error("too_complex", "a list or tuple is too long")
            items = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.expression(element.value, env)
                    items.extend(inner if isinstance(inner, (tuple, list)) else [self.opaque("*", inner)])
                else:
                    items.append(self.expression(element, env))
            return tuple(items) if isinstance(node, ast.Tuple) else list(items)
        if isinstance(node, ast.Attribute):
            owner = self.expression(node.value, env)
            if node.attr == "shape" and isinstance(node.value, ast.Name) and self.is_array(owner, node.value.id):
                return self.array_shape(node.value.id)
            return self.attribute(owner, node.attr)
        if isinstance(node, ast.Subscript):
            return self.subscript(self.expression(node.value, env), node.slice, env)
        if isinstance(node, ast.UnaryOp):
            value = self.expression(node.operand, env)
            if isinstance(node.op, ast.Not) and not isinstance(value, Opaque):
                return not self.truth(value)
            if is_number(value) and isinstance(node.op, (ast.USub, ast.UAdd)):
                return -value if isinstance(node.op, ast.USub) else value
            return self.opaque("unary", value)
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.expression(node.left, env), self.expression(node.right, env))
        if isinstance(node, ast.BoolOp):
            values = [self.expression(v, env) for v in node.values]
            if any(isinstance(v, Opaque) for v in values):
                return self.opaque("condition", values)
            result = values[0]
            for v in values[1:]:
                if isinstance(node.op, ast.And) != self.truth(result):
                    break
                result = v
            return result
        if isinstance(node, ast.Compare):
            left = self.expression(node.left, env)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self.expression(comparator, env)
                if not all(isinstance(v, (*PLAIN, tuple, list)) for v in (left, right)):
                    return self.opaque("comparison", left, right)
                try:
                    if not _COMPARE[type(op)](left, right):
                        return False
                except TypeError:
                    return self.opaque("comparison", left, right)
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.expression(node.test, env)
            if isinstance(test, Opaque):
                return self.opaque("condition", test)
            return self.expression(node.body if self.truth(test) else node.orelse, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.ListComp) and len(node.generators) == 1 and not node.generators[0].ifs:
            gen = node.generators[0]
            iterable = self.expression(gen.iter, env)
            if not isinstance(iterable, (tuple, list, range)):
                return self.opaque("comprehension", iterable)
            scope = dict(env)
            out = []
            for item in iterable:
                self.count_iteration()
                self.assign(gen.target, item, scope)
                out.append(self.expression(node.elt, scope))
            return out
        return Opaque(self.line, type(node).__name__)

    def call(self, node: ast.Call, env: dict[str, object]) -> object:
        func = self.expression(node.func, env)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                inner = self.expression(a.value, env)
                args.extend(inner if isinstance(inner, (tuple, list)) else [self.opaque("*args", inner)])
            else:
                args.append(self.expression(a, env))
        kwargs: dict[str, object] = {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs["**"] = self.opaque("**kwargs", self.expression(kw.value, env))
                continue
            if kw.arg in kwargs:
                raise self.error("duplicate_argument", f"keyword argument repeated: {kw.arg}", argument=kw.arg, kind="")
            kwargs[kw.arg] = self.expression(kw.value, env)
        return self.call_value(func, args, kwargs)

    def truth(self, value: object) -> bool:
        if isinstance(value, (*PLAIN, tuple, list, range)):
            return bool(value)
        return True

    def binary(self, op: ast.operator, left: object, right: object) -> object:
        kind = type(op)
        if is_number(left) and is_number(right) and kind in _BINARY:
            if kind in (ast.Div, ast.FloorDiv, ast.Mod) and right == 0:
                raise self.error("not_literal", "division by zero", value="0")
            if kind is ast.Pow and (abs(right) > 64 or abs(left) > 10**6):
                raise self.error("number_too_large", "the power is too large", limit=f"{MAX_NUMBER:.0e}")
            result = _BINARY[kind](left, right)
            if isinstance(result, complex) or (is_number(result) and abs(result) > MAX_NUMBER):
                raise self.error("number_too_large", "the result is too large", limit=f"{MAX_NUMBER:.0e}")
            return result
        if kind is ast.Add and isinstance(left, (tuple, list, str)) and type(left) is type(right):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise self.error("too_complex", "a list or tuple is too long")
            return left + right
        if (
            kind is ast.Mult
            and isinstance(left, (tuple, list))
            and isinstance(right, int)
            and not isinstance(right, bool)
        ):
            if len(left) * max(right, 0) > MAX_SEQUENCE:
                raise self.error("too_complex", "a list or tuple is too long")
            return left * right
        return self.opaque("arithmetic", left, right)

    def subscript(self, value: object, index_node: ast.expr, env: dict[str, object]) -> object:
        if isinstance(index_node, ast.Slice):
            parts = [
                self.expression(p, env) if p is not None else None
                for p in (index_node.lower, index_node.upper, index_node.step)
            ]
            if isinstance(value, (tuple, list)) and all(
                p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts
            ):
                if parts[2] == 0:
                    return self.opaque("slice", parts)
                return value[slice(*parts)]
            return self.opaque("slice", value, parts)
        index = self.expression(index_node, env)
        if isinstance(value, (tuple, list)) and isinstance(index, int) and not isinstance(index, bool):
            if -len(value) <= index < len(value):
                return value[index]
            raise self.error("bad_value", f"index {index} is out of range", value=str(index), argument="[]", kind="")
        return self.opaque("subscript", value, index)
