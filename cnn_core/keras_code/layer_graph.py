"""Keras model code -> a layer graph, read the way Keras would build it, without running anything.

A learner pastes a notebook cell: imports, ``Sequential([...])``, ``model.add(...)``, the
functional API with branches and merges, helper functions, ``for`` loops, names bound to
numbers, ``model.compile``/``fit``/plots. :func:`parse_graph` walks the syntax tree with a
small evaluator that knows Keras's layer classes and their argument rules, and *nothing
else*: unknown calls (data loading, NumPy, plotting) become opaque values and their
statements are skipped; no name from the text is ever looked up in Python, imported or
called. Layers are applied to symbolic tensors whose shapes come from the specs in
:mod:`cnn_core.keras_code.layer_stack`, so ``x.shape[-1]`` and ``if`` on it work as in Keras.

:func:`analyze_graph` then counts like ``model.count_params()``: only layers on a path
from the model's inputs to its outputs, each layer once however often it is called, with
``trainable`` flags applied the Keras way (a frozen container hides everything inside).
Layers that are built but not connected to the output are reported, not counted.

Limits keep every input cheap: 20,000 characters, 50,000 evaluation steps, expressions 60
levels deep, 2,000 loop iterations, 1,000 layer calls; anything beyond is a clear error.
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields

from cnn_core.concepts.shapes import ShapeError
from cnn_core.keras_code.book_models import vgg16_conv_base
from cnn_core.keras_code.code_writer import layer_call
from cnn_core.keras_code.layer_stack import LayerSpec, MergeSpec, Shape, snake_case
from cnn_core.keras_code.layer_table import (
    ALL_LAYER_TYPES,
    BASE_LAYER_ARGUMENTS,
    KERAS_ACTIVATIONS,
    KERAS_SIGNATURES,
    KNOWN_UNSUPPORTED_LAYERS,
    LAYER_ALIASES,
    MERGE_FUNCTIONS,
    REQUIRED_ARGUMENTS,
    LayerCodeError,
    supported_layers,
)

MAX_CODE_CHARS = 20_000
MAX_STEPS = 50_000
MAX_DEPTH = 60
MAX_CALL_DEPTH = 16
MAX_LOOP_ITERATIONS = 2_000
MAX_NODES = 1_000
MAX_SEQUENCE = 10_000
MAX_NUMBER = 10**15

APPLICATIONS = frozenset(
    {
        "Xception", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
        "InceptionV3", "InceptionResNetV2", "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large",
        "DenseNet121", "DenseNet169", "DenseNet201", "NASNetMobile", "NASNetLarge", "EfficientNetB0",
        "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6",
        "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2S", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase",
    }
)  # fmt: skip
KERAS_ROOTS = frozenset({"keras", "tensorflow", "tf"})
IGNORED_FUNCTIONS = frozenset({"print", "display", "len", "plot_model", "summary"})

# --- values the evaluator works with ----------------------------------------------------------------


@dataclass(frozen=True)
class Opaque:
    """Something the reader does not model (a dataset, an array, a plot); ``origin`` says where it came from."""

    line: int
    origin: str


@dataclass(frozen=True)
class Module:
    """A module or namespace such as ``keras.layers``; ``path`` is its dotted name."""

    path: tuple[str, ...]

    @property
    def is_keras(self) -> bool:
        return bool(self.path) and self.path[0] in KERAS_ROOTS


@dataclass(frozen=True)
class LayerClass:
    kind: str


@dataclass(frozen=True)
class Builtin:
    """A Keras entry point or Python builtin the reader knows: ``Input``, ``Sequential``, ``Model``, ``range``..."""

    name: str


@dataclass(frozen=True)
class ActivationRef:
    """``tf.nn.relu`` or ``keras.activations.relu`` passed as an activation."""

    name: str


@dataclass(eq=False)
class Layer:
    """A constructed layer; ``calls`` are the graph nodes it produced (more than one: a shared layer)."""

    spec: LayerSpec | None
    kind: str
    name: str
    line: int
    declared_input: Shape | None = None
    trainable: bool = True
    calls: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Block:
    """A model used as a layer or as the result: Sequential, a functional Model, or a pretrained base."""

    kind: str  # "Sequential", "Functional" or an application name such as "VGG16"
    name: str
    line: int
    items: list = field(default_factory=list)  # Sequential / base: Layer | Block | Tensor (an Input)
    inputs: list[int] = field(default_factory=list)  # Functional: input node indices
    outputs: list[int] = field(default_factory=list)  # Functional: output node indices
    build_shape: Shape | None = None
    trainable: bool = True
    nested: bool = False
    built_nodes: list[int] | None = None


@dataclass(frozen=True)
class Tensor:
    node: int
    shape: Shape


@dataclass(frozen=True)
class Function:
    node: ast.FunctionDef
    closure: dict


class _Return(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class _Node:
    index: int
    layer: Layer | None  # None: an Input
    inputs: tuple[int, ...]
    shape: Shape
    line: int
    chain: tuple[Block, ...]  # containers the call went through (for trainable flags)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeWarning:
    line: int
    code: str
    details: dict


@dataclass(frozen=True)
class NodeReport:
    """One layer call: its shapes, its layer's parameters (counted at the first call only) and its inputs."""

    index: int
    name: str
    kind: str
    line: int
    inputs: tuple[str, ...]
    sources: tuple[int, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    params: int
    trainable_params: int
    formula: str
    shape_note: str
    shape_words: tuple[str, dict] | None
    connected: bool
    shared: bool
    block: str | None
    spec: LayerSpec | None


@dataclass(frozen=True)
class GraphReport:
    """What ``model.summary()`` would say, plus the layers Keras would leave out and why."""

    style: str  # "sequential", "functional" or "implicit"
    model_name: str
    nodes: tuple[NodeReport, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    total_params: int
    trainable_params: int
    warnings: tuple[CodeWarning, ...]
    ignored_lines: tuple[int, ...]

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def connected(self) -> tuple[NodeReport, ...]:
        return tuple(n for n in self.nodes if n.connected)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        by_index = {n.index: n for n in self.nodes}
        return tuple(by_index[i].output_shape for i in self.inputs)

    @property
    def output_shape(self) -> Shape:
        by_index = {n.index: n for n in self.nodes}
        return by_index[self.outputs[-1]].output_shape

    def is_chain(self) -> bool:
        """One input, one output, every layer fed by the one before it: a layer stack."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        previous = self.inputs[0]
        for node in self.connected:
            if node.kind == "InputLayer":
                continue
            if node.shared or node.sources != (previous,):
                return False
            previous = node.index
        return previous == self.outputs[0]


@dataclass(frozen=True)
class ParsedGraph:
    nodes: tuple[_Node, ...]
    model: Block | None
    implicit_output: int | None
    ignored_lines: tuple[int, ...]
    warnings: tuple[CodeWarning, ...]


# --- the evaluator ------------------------------------------------------------------------------

_BINARY: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_COMPARE: dict[type, Callable] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip
_PLAIN = (int, float, str, bool, type(None))
_PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)( |$)")


def clean_cell(code: str) -> str:
    """Undo copy damage, keeping line numbers: doctest prompts stripped, IPython ``%``/``!`` lines blanked."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(_PROMPT.match(line) and line.lstrip().startswith(">>>") for line in lines):
        lines = [_PROMPT.sub("", line, count=1) if _PROMPT.match(line) else "" for line in lines]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Reader:
    def __init__(self) -> None:
        self.nodes: list[_Node] = []
        self.models: list[Block] = []
        self.ignored: set[int] = set()
        self.warnings: list[CodeWarning] = []
        self.steps = 0
        self.depth = 0
        self.call_depth = 0
        self.iterations = 0
        self.uids: dict[str, int] = {}
        self.last_tensor: int | None = None
        self.legacy: Block | None = None
        self.line = 1
        self.env: dict[str, object] = self._initial_env()

    # -- names ----------------------------------------------------------------------------
    @staticmethod
    def _initial_env() -> dict[str, object]:
        env: dict[str, object] = {
            "keras": Module(("keras",)), "tf": Module(("tensorflow",)), "tensorflow": Module(("tensorflow",)),
            "layers": Module(("keras", "layers")), "models": Module(("keras", "models")),
            "Sequential": Builtin("Sequential"), "Model": Builtin("Model"), "Input": Builtin("Input"),
            "range": Builtin("range"), "len": Builtin("len"), "int": Builtin("int"), "float": Builtin("float"),
            "abs": Builtin("abs"), "min": Builtin("min"), "max": Builtin("max"), "round": Builtin("round"),
            "list": Builtin("list"), "tuple": Builtin("tuple"), "print": Builtin("print"), "True": True,
            "False": False, "None": None,
        }  # fmt: skip
        for kind in (*KERAS_SIGNATURES, *LAYER_ALIASES, "InputLayer"):
            env[kind] = LayerClass(LAYER_ALIASES.get(kind, kind))
        for fn in MERGE_FUNCTIONS:
            env.setdefault(fn, Builtin(f"merge:{fn}"))
        return env

    def uid_name(self, base: str) -> str:
        count = self.uids.get(base, 0)
        self.uids[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    def error(self, code: str, message: str, **details: object) -> LayerCodeError:
        return LayerCodeError(self.line, code, message, **details)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error("too_complex", f"the code takes more than {MAX_STEPS:,} steps to read", limit=MAX_STEPS)

    # -- statements -------------------------------------------------------------------------
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
            self._note_tensor(value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            value = self.expression(stmt.value, env)
            self.assign(stmt.target, value, env)
            self._note_tensor(value)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = self.expression(stmt.target, env)
            value = self.binary(stmt.op, current, self.expression(stmt.value, env))
            env[stmt.target.id] = value
        elif isinstance(stmt, ast.Expr):
            value = self.expression(stmt.value, env)
            self._note_tensor(value)
            self._legacy_statement(stmt, value)
        elif isinstance(stmt, ast.If):
            test = self.expression(stmt.test, env)
            if isinstance(test, Opaque):
                self.ignored.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
                return
            self.run(stmt.body if self.truth(test) else stmt.orelse, env)
        elif isinstance(stmt, ast.For):
            self.loop(stmt, env)
        elif isinstance(stmt, ast.FunctionDef):
            env[stmt.name] = Function(stmt, env)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.expression(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.Break):
            raise _Break
        elif isinstance(stmt, ast.Continue):
            raise _Continue
        elif isinstance(stmt, ast.With):
            self.run(stmt.body, env)
        elif isinstance(stmt, ast.Try):
            self.run(stmt.body, env)
        elif not isinstance(stmt, ast.Pass):
            self.ignored.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))

    def _note_tensor(self, value: object) -> None:
        if isinstance(value, Tensor):
            self.last_tensor = value.node

    def _legacy_statement(self, stmt: ast.Expr, value: object) -> None:
        """The old editor style: a bare ``Input(...)`` line, then bare layer calls, one per line, as a stack."""
        if not (isinstance(stmt.value, ast.Call) and not isinstance(stmt.value.func, ast.Call)):
            return
        if isinstance(value, Tensor) and self.nodes[value.node].layer is None and self.legacy is None:
            self.legacy = Block("Sequential", "sequential", self.line, items=[value])
        elif isinstance(value, Layer) and not value.calls:
            if self.legacy is None:
                self.legacy = Block("Sequential", "sequential", self.line)
            self.legacy.items.append(value)

    def loop(self, stmt: ast.For, env: dict[str, object]) -> None:
        iterable = self.expression(stmt.iter, env)
        if isinstance(iterable, Opaque) or not isinstance(iterable, (tuple, list, range, str)):
            self.ignored.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
            return
        for item in iterable:
            self.iterations += 1
            if self.iterations > MAX_LOOP_ITERATIONS:
                raise self.error("too_complex", f"loops run more than {MAX_LOOP_ITERATIONS:,} times")
            self.assign(stmt.target, item, env)
            try:
                self.run(stmt.body, env)
            except _Break:
                return
            except _Continue:
                continue
        else:
            self.run(stmt.orelse, env)

    def assign(self, target: ast.expr, value: object, env: dict[str, object]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (tuple, list)) and len(value) == len(target.elts):
                for t, v in zip(target.elts, value, strict=True):
                    self.assign(t, v, env)
            else:
                for t in target.elts:
                    self.assign(t, Opaque(self.line, "unpacking"), env)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, env)
        elif isinstance(target, ast.Attribute):
            owner = self.expression(target.value, env)
            if target.attr == "trainable" and isinstance(owner, (Layer, Block)):
                if not isinstance(value, bool):
                    raise self.error("bad_value", f"trainable must be True or False. Received: {value!r}", value=repr(value)[:40], argument="trainable", kind=getattr(owner, "kind", ""))  # fmt: skip
                self.set_trainable(owner, value)
        # subscript targets (arrays, dicts) are data, not the model

    def set_trainable(self, owner: Layer | Block, value: bool) -> None:
        """Keras's setter: a container passes the flag on to everything inside it."""
        owner.trainable = value
        if isinstance(owner, Block):
            for item in self.block_layers(owner):
                self.set_trainable(item, value)

    # -- expressions ------------------------------------------------------------------------
    def expression(self, node: ast.expr, env: dict[str, object]) -> object:
        self.tick()
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error("too_complex", f"expressions nest more than {MAX_DEPTH} levels deep")
            return self._expression(node, env)
        finally:
            self.depth -= 1

    def _expression(self, node: ast.expr, env: dict[str, object]) -> object:  # noqa: C901
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _PLAIN):
                if isinstance(node.value, int) and abs(node.value) > MAX_NUMBER:
                    raise self.error("number_too_large", f"{str(node.value)[:20]}… is too large", limit=f"{MAX_NUMBER:.0e}")  # fmt: skip
                return node.value
            if node.value is Ellipsis:
                return Opaque(self.line, "...")
            return Opaque(self.line, type(node.value).__name__)
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in KNOWN_UNSUPPORTED_LAYERS:
                return Builtin(f"unsupported:{node.id}")
            lowered = {k.lower() for k in KERAS_SIGNATURES}
            if node.id[:1].isupper() and (
                node.id.lower() in lowered or difflib.get_close_matches(node.id, KERAS_SIGNATURES, n=1, cutoff=0.85)
            ):
                return Builtin(f"unknown:{node.id}")  # a typo of a layer name, e.g. Conv2d
            return Opaque(self.line, node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            if len(node.elts) > MAX_SEQUENCE:
                raise self.error("too_complex", "a list or tuple is too long")
            items = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.expression(element.value, env)
                    items.extend(inner if isinstance(inner, (tuple, list)) else [Opaque(self.line, "*")])
                else:
                    items.append(self.expression(element, env))
            return tuple(items) if isinstance(node, ast.Tuple) else list(items)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.expression(node.value, env), node.attr)
        if isinstance(node, ast.Subscript):
            return self.subscript(self.expression(node.value, env), node.slice, env)
        if isinstance(node, ast.UnaryOp):
            value = self.expression(node.operand, env)
            if isinstance(node.op, ast.Not) and not isinstance(value, Opaque):
                return not self.truth(value)
            if _is_number(value) and isinstance(node.op, (ast.USub, ast.UAdd)):
                return -value if isinstance(node.op, ast.USub) else value
            return Opaque(self.line, "unary")
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.expression(node.left, env), self.expression(node.right, env))
        if isinstance(node, ast.BoolOp):
            values = [self.expression(v, env) for v in node.values]
            if any(isinstance(v, Opaque) for v in values):
                return Opaque(self.line, "condition")
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
                if not all(isinstance(v, (*_PLAIN, tuple, list)) for v in (left, right)):
                    return Opaque(self.line, "comparison")
                try:
                    if not _COMPARE[type(op)](left, right):
                        return False
                except TypeError:
                    return Opaque(self.line, "comparison")
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.expression(node.test, env)
            if isinstance(test, Opaque):
                return Opaque(self.line, "condition")
            return self.expression(node.body if self.truth(test) else node.orelse, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.ListComp) and len(node.generators) == 1 and not node.generators[0].ifs:
            gen = node.generators[0]
            iterable = self.expression(gen.iter, env)
            if not isinstance(iterable, (tuple, list, range)):
                return Opaque(self.line, "comprehension")
            scope = dict(env)
            out = []
            for item in iterable:
                self.iterations += 1
                if self.iterations > MAX_LOOP_ITERATIONS:
                    raise self.error("too_complex", f"loops run more than {MAX_LOOP_ITERATIONS:,} times")
                self.assign(gen.target, item, scope)
                out.append(self.expression(node.elt, scope))
            return out
        return Opaque(self.line, type(node).__name__)

    def truth(self, value: object) -> bool:
        if isinstance(value, (*_PLAIN, tuple, list, range)):
            return bool(value)
        return True

    def binary(self, op: ast.operator, left: object, right: object) -> object:
        kind = type(op)
        if _is_number(left) and _is_number(right) and kind in _BINARY:
            if kind in (ast.Div, ast.FloorDiv, ast.Mod) and right == 0:
                raise self.error("not_literal", "division by zero", value="0")
            if kind is ast.Pow and (abs(right) > 64 or abs(left) > 10**6):
                raise self.error("number_too_large", "the power is too large", limit=f"{MAX_NUMBER:.0e}")
            result = _BINARY[kind](left, right)
            if isinstance(result, complex) or (_is_number(result) and abs(result) > MAX_NUMBER):
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
        return Opaque(self.line, "arithmetic")

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
                    return Opaque(self.line, "slice")
                return value[slice(*parts)]
            return Opaque(self.line, "slice")
        index = self.expression(index_node, env)
        if isinstance(value, (tuple, list)) and isinstance(index, int) and not isinstance(index, bool):
            if -len(value) <= index < len(value):
                return value[index]
            raise self.error("bad_value", f"index {index} is out of range", value=str(index), argument="[]", kind="")
        return Opaque(self.line, "subscript")

    # -- attributes -------------------------------------------------------------------------
    def attribute(self, owner: object, attr: str) -> object:  # noqa: C901
        if isinstance(owner, Module):
            if not owner.is_keras:
                return Opaque(self.line, ".".join((*owner.path, attr)))
            canonical = LAYER_ALIASES.get(attr, attr)
            if canonical in KERAS_SIGNATURES or canonical == "InputLayer":
                return LayerClass(canonical)
            if attr in ("Sequential", "Model", "Input"):
                return Builtin(attr)
            if attr == "VGG16" or attr in APPLICATIONS:
                return Builtin(f"app:{attr}")
            if attr in MERGE_FUNCTIONS and owner.path[-1] == "layers":
                return Builtin(f"merge:{attr}")
            if attr == "preprocess_input":
                return Builtin("identity")
            if "activations" in owner.path or owner.path[-1] == "nn":
                return ActivationRef(attr)
            if attr in KNOWN_UNSUPPORTED_LAYERS:
                return Builtin(f"unsupported:{attr}")
            if attr[:1].isupper() and owner.path[-1] in ("layers", "preprocessing", "experimental"):
                return Builtin(f"unknown:{attr}")
            return Module((*owner.path, attr))
        if isinstance(owner, Tensor):
            if attr == "shape":
                return (None, *owner.shape)
            return Opaque(self.line, attr)
        if isinstance(owner, Layer):
            if attr == "trainable":
                return owner.trainable
            if attr == "name":
                return owner.name
            if attr in ("output", "input") and owner.calls:
                node = self.nodes[owner.calls[-1] if attr == "output" else self.nodes[owner.calls[-1]].inputs[0]]
                return Tensor(node.index, node.shape)
            return Opaque(self.line, attr)
        if isinstance(owner, Block):
            if attr == "layers":
                return list(self.block_layers(owner, with_inputs=owner.kind != "Sequential"))
            if attr == "trainable":
                return owner.trainable
            if attr == "name":
                return owner.name
            if attr in ("add", "pop", "build"):
                return ("method", owner, attr)
            if attr in ("inputs", "outputs", "input", "output"):
                nodes = self.model_io(owner, attr.rstrip("s") + "s")
                tensors = [Tensor(i, self.nodes[i].shape) for i in nodes]
                return tensors if attr.endswith("s") else (tensors[0] if len(tensors) == 1 else tensors)
            return Opaque(self.line, attr)
        return Opaque(self.line, attr)

    def block_layers(self, block: Block, with_inputs: bool = False) -> Iterable[Layer | Block]:
        if block.kind == "Functional":
            seen: list[Layer | Block] = []
            for index in sorted(self.ancestors(block.outputs)):
                node = self.nodes[index]
                item = node.layer
                if item is None:
                    if with_inputs:
                        seen.append(Layer(None, "InputLayer", "input_layer", node.line))
                    continue
                if item not in seen:
                    seen.append(item)
            return seen
        items = [item for item in block.items if isinstance(item, (Layer, Block))]
        if with_inputs and block.kind != "Sequential":
            return [Layer(None, "InputLayer", "input_layer", block.line), *items]
        return items

    def model_io(self, block: Block, which: str) -> list[int]:
        if block.kind == "Functional":
            return block.inputs if which == "inputs" else block.outputs
        nodes = self.build_sequential(block)
        return [nodes[0]] if which == "inputs" else [nodes[-1]]

    # -- calls ------------------------------------------------------------------------------
    def call(self, node: ast.Call, env: dict[str, object]) -> object:  # noqa: C901
        func = self.expression(node.func, env)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                inner = self.expression(a.value, env)
                args.extend(inner if isinstance(inner, (tuple, list)) else [Opaque(self.line, "*args")])
            else:
                args.append(self.expression(a, env))
        kwargs: dict[str, object] = {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs["**"] = Opaque(self.line, "**kwargs")
                continue
            if kw.arg in kwargs:
                raise self.error("duplicate_argument", f"keyword argument repeated: {kw.arg}", argument=kw.arg, kind="")
            kwargs[kw.arg] = self.expression(kw.value, env)
        if isinstance(func, LayerClass):
            return self.construct(func.kind, args, kwargs)
        if isinstance(func, Layer):
            return self.apply_layer(func, args, kwargs)
        if isinstance(func, Block):
            return self.apply_block(func, args)
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs)
        if isinstance(func, tuple) and len(func) == 3 and func[0] == "method":
            return self.block_method(func[1], func[2], args, kwargs)
        if isinstance(func, Builtin):
            return self.builtin(func.name, args, kwargs)
        return Opaque(self.line, "call")

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
            except _Return as result:
                return result.value
            finally:
                self.line = line
            return None
        finally:
            self.call_depth -= 1

    def builtin(self, name: str, args: list, kwargs: dict) -> object:  # noqa: C901
        if name == "Input":
            return self.make_input(args, kwargs)
        if name == "Sequential":
            return self.make_sequential(args, kwargs)
        if name == "Model":
            return self.make_model(args, kwargs)
        if name.startswith("merge:"):
            kind = MERGE_FUNCTIONS[name.split(":", 1)[1]]
            inputs = kwargs.pop("inputs", args[0] if args else None)
            layer = self.construct(kind, list(args[1:]), kwargs)
            return self.apply_layer(layer, [inputs], {})
        if name.startswith("app:"):
            return self.application(name.split(":", 1)[1], args, kwargs)
        if name.startswith("unsupported:"):
            kind = name.split(":", 1)[1]
            raise self.error("unsupported_layer", f"{kind} is a Keras layer this page does not count yet", name=kind, known=supported_layers())  # fmt: skip
        if name.startswith("unknown:"):
            kind = name.split(":", 1)[1]
            close = difflib.get_close_matches(kind, [*KERAS_SIGNATURES, *LAYER_ALIASES], n=1)
            raise self.error("unknown_layer", f"unknown layer {kind!r}", name=kind, known=f"{close[0]}?" if close else supported_layers())  # fmt: skip
        if name == "identity":
            return args[0] if args else None
        plain = all(isinstance(a, (*_PLAIN, tuple, list, range)) for a in (*args, *kwargs.values()))
        if name == "range" and plain and not kwargs and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args):
            if len(args) == 3 and args[2] == 0:
                return Opaque(self.line, "range")
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
                return Opaque(self.line, name)
        return None if name == "print" else Opaque(self.line, name)

    # -- constructing layers ------------------------------------------------------------------
    def construct(self, kind: str, args: list, kwargs: dict) -> Layer:
        if kind == "InputLayer":
            shape = kwargs.get("shape", kwargs.get("input_shape", args[0] if args else None))
            tensor = self.make_input([], {"shape": shape, "name": kwargs.get("name")})
            layer = self.nodes[tensor.node].layer
            assert layer is None
            return Layer(None, "InputLayer", str(kwargs.get("name") or "input_layer"), self.line, declared_input=tensor.shape, calls=[tensor.node])  # fmt: skip
        signature = KERAS_SIGNATURES[kind]
        if "**" in kwargs or any(isinstance(a, Opaque) and a.origin == "*args" for a in args):
            raise self.error("not_literal", f"{kind}: arguments unpacked with * or ** cannot be read", value="**")
        if len(args) > len(signature):
            raise self.error("too_many_args", f"{kind} takes at most {len(signature)} positional arguments", kind=kind)
        bound: dict[str, object] = dict(zip(signature, args, strict=False))
        for key, value in kwargs.items():
            if key in bound:
                raise self.error("duplicate_argument", f"{kind} got multiple values for argument {key!r}", kind=kind, argument=key)  # fmt: skip
            if key not in signature and key not in BASE_LAYER_ARGUMENTS:
                close = difflib.get_close_matches(key, [*signature, *BASE_LAYER_ARGUMENTS], n=1)
                raise self.error("unknown_argument", f"{kind} has no argument {key!r}", kind=kind, argument=key, hint=close[0] if close else "")  # fmt: skip
            bound[key] = value
        missing = [p for p in REQUIRED_ARGUMENTS.get(kind, ()) if p not in bound]
        if missing:
            raise self.error("missing_argument", f"{kind} needs {missing[0]}", kind=kind, argument=missing[0])
        spec_cls = ALL_LAYER_TYPES[kind]
        spec_fields = {f.name for f in fields(spec_cls)} - {"name"}
        values: dict[str, object] = {}
        for key, value in bound.items():
            if key in spec_fields:
                values[key] = self.layer_value(kind, key, value)
        name = bound.get("name")
        if isinstance(name, str):
            values["name"] = name
        if name is not None and not (
            isinstance(name, str) and name and name.replace("_", "").replace("-", "").isalnum()
        ):
            raise self.error("bad_name", "layer names may hold letters, digits and '_'", value=repr(name)[:40])
        trainable = bound.get("trainable", True)
        if not isinstance(trainable, bool):
            raise self.error("bad_value", f"trainable must be True or False. Received: {trainable!r}", kind=kind, argument="trainable", value=repr(trainable)[:40])  # fmt: skip
        declared = self.declared_input(kind, bound)
        try:
            spec = spec_cls(**values)
        except TypeError as err:  # a value of the wrong kind that the checks above let through
            raise self.error("bad_value", f"{kind}: {err}", kind=kind, argument="", value="") from err
        self.check_spec(kind, spec)
        return Layer(spec, kind, name if isinstance(name, str) else self.uid_name(snake_case(kind)), self.line, declared, trainable)  # fmt: skip

    def declared_input(self, kind: str, bound: dict[str, object]) -> Shape | None:
        if "input_dim" in bound:
            shape = (bound["input_dim"],)
        elif "input_shape" in bound:
            shape = bound["input_shape"]
            shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        else:
            return None
        return self.concrete_shape(shape, "input_shape")

    def concrete_shape(self, shape: object, argument: str) -> Shape:
        if isinstance(shape, list):
            shape = tuple(shape)
        if not (
            isinstance(shape, tuple)
            and shape
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_NUMBER for d in shape)
        ):
            if isinstance(shape, tuple) and None in shape:
                raise self.error("unknown_dim", f"{argument} has an unknown size (None). Received: {shape!r}", value=repr(shape)[:60])  # fmt: skip
            raise self.error("bad_input", f"{argument} must be a tuple of positive whole numbers. Received: {shape!r}", value=repr(shape)[:60])  # fmt: skip
        return shape

    def layer_value(self, kind: str, key: str, value: object) -> object:
        """A value that changes shapes or parameters must be known; check its type the way Keras would."""
        if isinstance(value, ActivationRef):
            value = value.name
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, Opaque):
            raise self.error("not_literal", f"{kind}: the value of {key} is not known here ({value.origin}, line {value.line})", kind=kind, argument=key, value=value.origin[:40], origin_line=value.line)  # fmt: skip
        if not isinstance(value, _PLAIN) and not (isinstance(value, tuple) and _all_plain(value)):
            raise self.error("bad_value", f"{kind}: {key} must be a number, text or tuple. Received: {type(value).__name__}", kind=kind, argument=key, value=type(value).__name__)  # fmt: skip
        if key == "activation":
            if value is not None and (not isinstance(value, str) or value.lower() not in KERAS_ACTIVATIONS):
                raise self.error("bad_activation", f"unknown activation {value!r}", kind=kind, value=str(value)[:40])
            return value.lower() if isinstance(value, str) else value
        if key == "padding" and kind != "ZeroPadding2D":
            allowed = ("valid", "same", "causal") if kind == "Conv1D" else ("valid", "same")
            if not isinstance(value, str) or value.lower() not in allowed:
                raise self.error("bad_padding", f"padding must be one of {allowed}. Received: {value!r}", value=str(value)[:40])  # fmt: skip
            return value.lower()
        if (
            key in ("use_bias", "center", "keepdims") or (key == "scale" and "Normalization" in kind)
        ) and not isinstance(value, bool):
            raise self.error("bad_value", f"{kind}: {key} must be True or False. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
        if key in ("rate", "offset", "stddev", "negative_slope", "alpha", "threshold") + (
            ("scale",) if kind == "Rescaling" else ()
        ) and not _is_number(value):
            raise self.error("bad_value", f"{kind}: {key} must be a number. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
        if key in ("filters", "units", "height", "width", "depth_multiplier", "axis") and not (isinstance(value, int) and not isinstance(value, bool)):  # fmt: skip
            raise self.error("bad_value", f"{kind}: {key} must be a whole number. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
        return value

    def check_spec(self, kind: str, spec: LayerSpec) -> None:
        """Argument errors Keras raises in ``__init__`` (before any shape is known)."""
        rate = getattr(spec, "rate", None)
        if rate is not None and not 0 <= rate <= 1:
            raise self.error("bad_value", f"{kind}: rate must be in [0, 1]. Received: {rate}", kind=kind, argument="rate", value=repr(rate))  # fmt: skip
        for key in ("filters", "units"):
            value = getattr(spec, key, None)
            if value is not None and value <= 0:
                raise self.error("bad_value", f"{kind}: {key} must be positive. Received: {value}", kind=kind, argument=key, value=repr(value))  # fmt: skip

    # -- applying layers ----------------------------------------------------------------------
    def add_node(
        self, layer: Layer | None, inputs: tuple[int, ...], shape: Shape, chain: tuple[Block, ...] = ()
    ) -> Tensor:
        if len(self.nodes) >= MAX_NODES:
            raise self.error("too_many_layers", f"more than {MAX_NODES} layer calls", limit=MAX_NODES)
        node = _Node(len(self.nodes), layer, inputs, shape, self.line, chain)
        self.nodes.append(node)
        if layer is not None:
            layer.calls.append(node.index)
        return Tensor(node.index, shape)

    def make_input(self, args: list, kwargs: dict) -> Tensor:
        if "batch_shape" in kwargs and kwargs["batch_shape"] is not None:
            batch_shape = kwargs["batch_shape"]
            shape = tuple(batch_shape)[1:] if isinstance(batch_shape, (tuple, list)) else batch_shape
        else:
            shape = kwargs.get("shape", args[0] if args else None)
        if isinstance(shape, int) and not isinstance(shape, bool):
            raise self.error("bad_input", f"Input's shape must be a tuple: write shape=({shape},). Received: shape={shape}", value=repr(shape))  # fmt: skip
        if shape is None or isinstance(shape, Opaque):
            raise self.error("bad_input", "Input needs shape=(height, width, channels)", value=repr(shape)[:40])
        shape = self.concrete_shape(shape, "shape")
        self.uid_name("input_layer")
        return self.add_node(None, (), shape)

    def tensors_in(self, value: object) -> list[Tensor] | None:
        if isinstance(value, Tensor):
            return [value]
        if isinstance(value, (tuple, list)) and value and all(isinstance(v, Tensor) for v in value):
            return list(value)
        return None

    def apply_layer(self, layer: Layer, args: list, kwargs: dict, chain: tuple[Block, ...] = ()) -> object:
        inputs = self.tensors_in(args[0] if args else kwargs.get("inputs"))
        if inputs is None:
            if args and isinstance(args[0], Layer):
                raise self.error("not_a_tensor", f"{layer.kind}(...) is applied to a layer, not to a tensor: write {layer.kind}(...)(x) with x a tensor", kind=layer.kind)  # fmt: skip
            return Opaque(self.line, f"{layer.kind} on data")
        if layer.spec is None:  # an InputLayer object
            return Tensor(layer.calls[0], self.nodes[layer.calls[0]].shape)
        shapes = [t.shape for t in inputs]
        try:
            if isinstance(layer.spec, MergeSpec):
                shape = layer.spec.merge_shape(shapes)
            elif len(inputs) != 1:
                raise ShapeError("one_input", f"{layer.kind} takes one tensor. Received: {len(inputs)}", kind=layer.kind, count=len(inputs))  # fmt: skip
            else:
                shape = layer.spec.output_shape(shapes[0])
                layer.spec.params(shapes[0])
        except ShapeError as err:
            details = {**err.details, "layer": layer.name, "kind": layer.kind}
            raise LayerCodeError(self.line, err.code, f"{layer.name} ({layer.kind}): {err}", catalog="errors", **details) from err  # fmt: skip
        return self.add_node(layer, tuple(t.node for t in inputs), shape, chain)

    def apply_block(self, block: Block, args: list, chain: tuple[Block, ...] = ()) -> object:
        inputs = self.tensors_in(args[0] if args else None)
        if inputs is None:
            return Opaque(self.line, f"{block.name} on data")
        if block.kind == "Functional":
            raise self.error("unsupported_call", f"calling the functional model {block.name!r} as a layer is not supported here; build it with keras.Sequential or write its layers inline", name=block.name)  # fmt: skip
        if len(inputs) != 1:
            raise self.error("not_a_tensor", f"{block.name} takes one tensor", kind=block.kind)
        block.nested = True
        declared = self.block_declared_input(block)
        if declared is not None and declared != inputs[0].shape and block.kind == "Sequential":
            raise LayerCodeError(self.line, "block_input", f"{block.name} expects {declared}, receives {inputs[0].shape}", catalog="code_errors", name=block.name, expected=str(declared), received=str(inputs[0].shape))  # fmt: skip
        current = inputs[0]
        for item in block.items:
            if isinstance(item, Tensor):
                continue
            result = self.apply_item(item, current, (*chain, block))
            current = result
        return current

    def apply_item(self, item: Layer | Block, tensor: Tensor, chain: tuple[Block, ...]) -> Tensor:
        if isinstance(item, Block):
            return self.apply_block(item, [tensor], chain)  # type: ignore[return-value]
        return self.apply_layer(item, [tensor], {}, chain)  # type: ignore[return-value]

    def block_declared_input(self, block: Block) -> Shape | None:
        if block.build_shape is not None:
            return block.build_shape
        for item in block.items:
            if isinstance(item, Tensor):
                return item.shape
            if isinstance(item, Layer):
                return item.declared_input
            if isinstance(item, Block):
                return self.block_declared_input(item)
        return None

    def build_sequential(self, block: Block) -> list[int]:
        """Sequential (or a base) as a model of its own: an input node, then every item in order."""
        if block.built_nodes is not None:
            return block.built_nodes
        shape = self.block_declared_input(block)
        if shape is None:
            raise LayerCodeError(block.line, "no_input", f"{block.name} has no input shape", name=block.name)
        saved = self.line
        self.line = block.line
        start = self.add_node(None, (), shape)
        current = start
        try:
            for item in block.items:
                if isinstance(item, Tensor):
                    continue
                self.line = item.line
                current = self.apply_item(item, current, (block,))
        finally:
            self.line = saved
        block.built_nodes = [start.node, current.node]
        return block.built_nodes

    def make_sequential(self, args: list, kwargs: dict) -> Block:
        items = kwargs.get("layers", args[0] if args else None)
        name = kwargs.get("name", args[2] if len(args) > 2 else None)
        block = Block("Sequential", name if isinstance(name, str) else self.uid_name("sequential"), self.line)
        if isinstance(items, (tuple, list)):
            for item in items:
                self.sequential_add(block, item)
        elif items is not None:
            raise self.error("bad_value", "Sequential takes a list of layers", kind="Sequential", argument="layers", value=type(items).__name__)  # fmt: skip
        trainable = kwargs.get("trainable", args[1] if len(args) > 1 else True)
        if trainable is False:
            block.trainable = False
        self.models.append(block)
        return block

    def sequential_add(self, block: Block, item: object) -> None:
        if isinstance(item, Tensor) and self.nodes[item.node].layer is None:
            if any(isinstance(i, (Layer, Block)) for i in block.items):
                raise self.error("bad_value", "keras.Input must come first in a Sequential model", kind="Sequential", argument="Input", value="Input")  # fmt: skip
            block.items.append(item)
        elif isinstance(item, Layer) and item.kind == "InputLayer":
            block.items.append(Tensor(item.calls[0], self.nodes[item.calls[0]].shape))
        elif isinstance(item, (Layer, Block)):
            if isinstance(item, Block):
                item.nested = True
            block.items.append(item)
        elif isinstance(item, Opaque):
            raise self.error("not_literal", f"Sequential: an item is not known here ({item.origin}, line {item.line})", kind="Sequential", argument="layers", value=item.origin[:40], origin_line=item.line)  # fmt: skip
        else:
            raise self.error("bad_value", f"Sequential takes layers. Received: {type(item).__name__}", kind="Sequential", argument="layers", value=type(item).__name__)  # fmt: skip

    def block_method(self, block: Block, method: str, args: list, kwargs: dict) -> object:
        if block.kind != "Sequential":
            return Opaque(self.line, method)
        if method == "add":
            item = args[0] if args else kwargs.get("layer")
            self.sequential_add(block, item)
        elif method == "pop" and any(isinstance(i, (Layer, Block)) for i in block.items):
            block.items.pop()
        elif method == "build":
            shape = args[0] if args else kwargs.get("input_shape")
            if isinstance(shape, (tuple, list)) and shape and shape[0] is None:
                block.build_shape = self.concrete_shape(tuple(shape[1:]), "input_shape")
        return None

    def make_model(self, args: list, kwargs: dict) -> object:
        inputs = kwargs.get("inputs", args[0] if args else None)
        outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
        ins, outs = self.flat_tensors(inputs), self.flat_tensors(outputs)
        if ins is None or outs is None:
            return Opaque(self.line, "Model")
        name = kwargs.get("name")
        block = Block("Functional", name if isinstance(name, str) else self.uid_name("functional"), self.line)
        block.inputs = [t.node for t in ins]
        block.outputs = [t.node for t in outs]
        reached = {i for i in self.ancestors(block.outputs) if self.nodes[i].layer is None}
        stray = reached - set(block.inputs)
        if stray:
            raise self.error("graph_disconnected", "the outputs depend on an Input that is not in inputs=", line_of_input=self.nodes[min(stray)].line)  # fmt: skip
        self.models.append(block)
        return block

    def flat_tensors(self, value: object) -> list[Tensor] | None:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, Tensor):
            return [value]
        if isinstance(value, (tuple, list)) and value:
            flat: list[Tensor] = []
            for v in value:
                inner = self.flat_tensors(v)
                if inner is None:
                    return None
                flat.extend(inner)
            return flat
        return None

    def application(self, name: str, args: list, kwargs: dict) -> Block:
        if name != "VGG16":
            raise self.error("unsupported_base", f"keras.applications.{name} is not modelled here; VGG16 is", name=name)
        include_top = kwargs.get("include_top", args[0] if args else True)
        if include_top is not False:
            raise self.error("unsupported_base", "VGG16 is modelled with include_top=False (the book's conv base)", name="VGG16(include_top=True)")  # fmt: skip
        if kwargs.get("pooling") not in (None,):
            raise self.error("unsupported_base", "VGG16 with pooling= is not modelled here", name="VGG16(pooling=...)")
        block = Block("VGG16", "vgg16", self.line)
        for spec in vgg16_conv_base().layers:
            block.items.append(Layer(spec, spec.kind, spec.name or "", self.line))
        self.uid_name("input_layer")
        shape = kwargs.get("input_shape", args[3] if len(args) > 3 else None)
        if shape is not None:
            shape = tuple(shape) if isinstance(shape, (tuple, list)) else shape
            block.build_shape = self.concrete_shape(shape, "input_shape")
        self.models.append(block)
        return block

    # -- the graph ----------------------------------------------------------------------------
    def ancestors(self, outputs: Iterable[int]) -> set[int]:
        return _ancestors(self.nodes, outputs)


def _all_plain(value: tuple) -> bool:
    return all(isinstance(v, _PLAIN) or (isinstance(v, tuple) and _all_plain(v)) for v in value)


def _parse_tree(code: str) -> ast.Module:
    if not isinstance(code, str):
        raise LayerCodeError(1, "syntax", "the code must be text")
    if len(code) > MAX_CODE_CHARS:
        raise LayerCodeError(1, "too_long", f"code longer than {MAX_CODE_CHARS} characters", limit=MAX_CODE_CHARS)
    try:
        return ast.parse(clean_cell(code))
    except SyntaxError as err:
        raise LayerCodeError(err.lineno or 1, "syntax", err.msg or "invalid syntax") from err
    except (ValueError, RecursionError, MemoryError, OverflowError) as err:
        raise LayerCodeError(1, "too_complex", f"the code cannot be read: {type(err).__name__}") from err


def parse_graph(code: str) -> ParsedGraph:
    """Read Keras model code into a layer graph; raises :class:`LayerCodeError` with the line and a code."""
    tree = _parse_tree(code)
    reader = _Reader()
    try:
        try:
            reader.run(tree.body, reader.env)
        except (_Return, _Break, _Continue):
            pass
        model = _pick_model(reader)
        if model is not None and model.kind != "Functional":
            reader.build_sequential(model)
    except RecursionError as err:
        raise LayerCodeError(reader.line, "too_complex", "the code nests too deeply") from err
    implicit = reader.last_tensor if model is None else None
    if model is None and implicit is None:
        raise LayerCodeError(
            1, "no_model", "no model found: build one with keras.Input and layers, or keras.Sequential"
        )
    return ParsedGraph(tuple(reader.nodes), model, implicit, tuple(sorted(reader.ignored)), tuple(reader.warnings))


def _pick_model(reader: _Reader) -> Block | None:
    """The last model built that is not used inside another one; the old one-layer-per-line style last."""
    for block in reversed(reader.models):
        if not block.nested:
            return block
    if reader.legacy is not None and reader.last_tensor is None:
        reader.models.append(reader.legacy)
        if not any(isinstance(i, Tensor) for i in reader.legacy.items):
            raise LayerCodeError(1, "no_input", "the code needs an Input(shape=(...)) line")
        return reader.legacy
    if reader.legacy is not None and reader.last_tensor is not None and reader.nodes[reader.last_tensor].layer is None:
        return reader.legacy
    return None


def _model_nodes(parsed: ParsedGraph) -> tuple[list[int], list[int], str, str]:
    model = parsed.model
    if model is None:
        out = parsed.implicit_output
        assert out is not None
        inputs = sorted(i for i in _ancestors(parsed.nodes, [out]) if parsed.nodes[i].layer is None)
        return inputs, [out], "implicit", "model"
    if model.kind == "Functional":
        return list(model.inputs), list(model.outputs), "functional", model.name
    built = model.built_nodes or []
    return [built[0]], [built[-1]], "sequential", model.name


def _ancestors(nodes: Sequence[_Node], outputs: Iterable[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(outputs)
    while stack:
        index = stack.pop()
        if index not in seen:
            seen.add(index)
            stack.extend(nodes[index].inputs)
    return seen


def _descendants(nodes: Sequence[_Node], starts: Iterable[int]) -> set[int]:
    reached = set(starts)
    for node in nodes:  # nodes are created in order, so one pass suffices
        if any(i in reached for i in node.inputs):
            reached.add(node.index)
    return reached


def analyze_graph(parsed: ParsedGraph) -> GraphReport:
    """Shapes, parameters and trainable parameters of the chosen model, as ``model.summary()`` counts them.

    ``total = sum over the distinct layers on an input->output path of count_params(layer)``; a layer
    called twice counts once. Trainable parameters follow Keras 3: setting ``trainable`` on a container
    sets it on everything inside at that moment, a later setting on an inner layer wins, and only the
    model's own flag hides all of its weights.
    """
    nodes = parsed.nodes
    inputs, outputs, style, model_name = _model_nodes(parsed)
    connected = _ancestors(nodes, outputs)
    shown = connected | (_descendants(nodes, inputs) if style != "sequential" else set())
    top_trainable = parsed.model.trainable if parsed.model is not None else True
    counted: set[int] = set()
    reports: list[NodeReport] = []
    warnings = list(parsed.warnings)
    names = {n.index: (n.layer.name if n.layer is not None else "input_layer") for n in nodes}
    total = trainable_total = 0
    for node in nodes:
        if node.index not in shown:
            continue
        layer = node.layer
        input_shapes = tuple(nodes[i].shape for i in node.inputs)
        is_connected = node.index in connected
        if layer is None or layer.spec is None:
            reports.append(NodeReport(node.index, "input_layer", "InputLayer", node.line, (), (), (), node.shape, 0, 0, "", "", None, is_connected, False, None, None))  # fmt: skip
            continue
        shared = id(layer) in counted
        params = trainable = 0
        formula = note = ""
        words = None
        if isinstance(layer.spec, MergeSpec):
            note = (" + " if layer.kind != "Concatenate" else " | ").join(str(s) for s in input_shapes)
        else:
            params, trainable, formula = layer.spec.params(input_shapes[0])
            note = layer.spec.shape_note(input_shapes[0], node.shape)
            words = layer.spec.shape_words(input_shapes[0], node.shape)
        effective = top_trainable and layer.trainable  # the setters already passed container flags down
        if not effective:
            trainable = 0
        if shared or not is_connected:
            params = trainable = 0
        if is_connected and not shared:
            counted.add(id(layer))
            total += params
            trainable_total += trainable
        if not is_connected:
            warnings.append(CodeWarning(node.line, "unused_layer", {"kind": layer.kind, "name": layer.name}))
        block = node.chain[-1].name if node.chain and node.chain[-1] is not parsed.model else None
        reports.append(
            NodeReport(
                node.index, layer.name, layer.kind, node.line, tuple(names[i] for i in node.inputs), node.inputs, input_shapes,
                node.shape, params, trainable, formula, note, words, is_connected, shared, block, layer.spec,
            )
        )  # fmt: skip
    return GraphReport(style, model_name, tuple(reports), tuple(inputs), tuple(outputs), total, trainable_total, tuple(warnings), parsed.ignored_lines)  # fmt: skip


def analyze_code(code: str) -> GraphReport:
    """``analyze_graph(parse_graph(code))``."""
    return analyze_graph(parse_graph(code))


def graph_to_code(report: GraphReport) -> str:
    """The connected graph as functional-API code: one line per call, shared layers defined once."""

    nodes = report.connected
    calls: dict[str, int] = {}
    for node in nodes:
        calls[node.name] = calls.get(node.name, 0) + 1
    var: dict[int, str] = {}
    lines: list[str] = []
    defined: set[str] = set()
    for node in nodes:
        if node.kind == "InputLayer":
            var[node.index] = "inputs" if len(report.inputs) == 1 else f"input_{len(var) + 1}"
            lines.append(f"{var[node.index]} = keras.Input(shape={node.output_shape!r})")
            continue
        var[node.index] = "outputs" if node.index == report.outputs[-1] else f"x{node.index}"
        sources = [var[i] for i in node.sources]
        argument = sources[0] if len(sources) == 1 and node.kind not in MERGE_KINDS else f"[{', '.join(sources)}]"
        constructor = layer_call(node.spec) if node.spec is not None else f"layers.{node.kind}()"
        if calls[node.name] > 1:
            if node.name not in defined:
                lines.append(f"{node.name} = {constructor}")
                defined.add(node.name)
            constructor = node.name
        lines.append(f"{var[node.index]} = {constructor}({argument})")
    ins = ", ".join(var[i] for i in report.inputs)
    outs = ", ".join(var[i] for i in report.outputs)
    ins = ins if len(report.inputs) == 1 else f"[{ins}]"
    outs = outs if len(report.outputs) == 1 else f"[{outs}]"
    lines.append(f"model = keras.Model(inputs={ins}, outputs={outs})")
    return "\n".join(lines)


def line_ranges(lines: Sequence[int]) -> str:
    """``1, 3-5, 9`` for ``[1, 3, 4, 5, 9]``."""
    parts: list[str] = []
    for line in sorted(set(lines)):
        if parts and parts[-1][1] == line - 1:
            parts[-1][1] = line
        else:
            parts.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


MERGE_KINDS = frozenset(MERGE_FUNCTIONS.values())


__all__ = [
    "CodeWarning", "GraphReport", "KERAS_SIGNATURES", "NodeReport", "ParsedGraph", "analyze_code",
    "analyze_graph", "clean_cell", "graph_to_code", "line_ranges", "parse_graph", "supported_layers",
]  # fmt: skip
