"""Keras model code -> a layer graph, read the way Keras would build it, without running anything.

A learner pastes a notebook cell: imports, ``Sequential([...])``, ``model.add(...)``, the functional API with
branches and merges, helper functions, ``for`` loops, names bound to numbers, ``model.compile``/``fit``/plots.
:func:`parse_graph` reads it in three parts that know one thing each:

- :mod:`cnn_core.keras_code.evaluator` evaluates the Python (names, numbers, tuples, ``if``, ``for``, ``def``) and
  knows nothing of Keras; unknown calls (data loading, NumPy, plotting) become opaque values, their statements are
  skipped, and no name from the text is ever looked up in Python, imported or called;
- :mod:`cnn_core.keras_code.binding` binds a layer's arguments through its entry in the layer table, as Keras would;
- :class:`GraphReader` (here) gives Keras's names their meaning (``keras.layers``, ``Input``, ``Sequential``,
  ``Model``, ``keras.applications.VGG16``) and builds the graph: layers applied to symbolic tensors whose shapes come
  from the specs in :mod:`cnn_core.keras_code.layer_stack`, so ``x.shape[-1]`` and ``if`` on it work as in Keras.

Counting it like ``model.count_params()`` is :mod:`cnn_core.keras_code.graph_report`'s job.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cnn_core.concepts.shapes import ShapeError
from cnn_core.keras_code.binding import ActivationRef, bind_layer, concrete_shape
from cnn_core.keras_code.book_models import vgg16_conv_base
from cnn_core.keras_code.evaluator import (
    Builtin,
    Evaluator,
    LayerCodeError,
    Module,
    Opaque,
    Repair,
    bound_names,
    prepare_code,
)
from cnn_core.keras_code.layer_stack import LayerSpec, MergeSpec, Shape, output_shape_of, params_of, snake_case
from cnn_core.keras_code.layer_table import (
    KERAS_SIGNATURES,
    KNOWN_UNSUPPORTED_LAYERS,
    LAYER_ALIASES,
    MERGE_FUNCTIONS,
    supported_layers,
)

MAX_NODES = 1_000
KERAS_ROOTS = frozenset({"keras", "tensorflow", "tf"})

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


def _is_keras(module: Module) -> bool:
    return bool(module.path) and module.path[0] in KERAS_ROOTS


# --- values of the graph ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerClass:
    kind: str


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
    weights: object = None
    """A pretrained base's ``weights=`` argument (Keras's default, ``"imagenet"``, when not given)."""


@dataclass(frozen=True)
class IdentityBlock:
    """A name the listing does not define that the learner asked to read as a block keeping its input's shape
    (``x = data_augmentation(inputs)`` pasted without the cell that defines it)."""

    name: str


@dataclass(frozen=True)
class Tensor:
    node: int
    shape: Shape


@dataclass(frozen=True)
class Function:
    node: ast.FunctionDef
    closure: dict


@dataclass
class _Node:
    index: int
    layer: Layer | None  # None: an Input
    inputs: tuple[int, ...]
    shape: Shape
    line: int
    chain: tuple[Block, ...]  # containers the call went through (for trainable flags)


@dataclass(frozen=True)
class CodeWarning:
    line: int
    code: str
    details: dict


@dataclass(frozen=True)
class ParsedGraph:
    nodes: tuple[_Node, ...]
    model: Block | None
    implicit_output: int | None
    ignored_lines: tuple[int, ...]
    warnings: tuple[CodeWarning, ...]
    repairs: tuple[Repair, ...] = ()


# --- the reader ---------------------------------------------------------------------------------------


class GraphReader(Evaluator):
    """The evaluator with Keras's names: builds the layer graph as the listing runs."""

    def __init__(self, identity_blocks: Collection[str] = ()) -> None:
        self.identity_blocks = frozenset(identity_blocks)
        self.nodes: list[_Node] = []
        self.models: list[Block] = []
        self.warnings: list[CodeWarning] = []
        self.uids: dict[str, int] = {}
        self.last_tensor: int | None = None
        self.legacy: Block | None = None
        super().__init__()

    def initial_env(self) -> dict[str, object]:
        env = super().initial_env()
        env.update(
            {
                "keras": Module(("keras",)), "tf": Module(("tensorflow",)), "tensorflow": Module(("tensorflow",)),
                "layers": Module(("keras", "layers")), "models": Module(("keras", "models")),
                "Sequential": Builtin("Sequential"), "Model": Builtin("Model"), "Input": Builtin("Input"),
            }
        )  # fmt: skip
        for kind in (*KERAS_SIGNATURES, *LAYER_ALIASES, "InputLayer"):
            env[kind] = LayerClass(LAYER_ALIASES.get(kind, kind))
        for fn in MERGE_FUNCTIONS:
            env.setdefault(fn, Builtin(f"merge:{fn}"))
        return env

    def is_tensor(self, value: object) -> bool:
        return isinstance(value, Tensor)

    def unknown_name(self, name: str) -> object:
        if name in self.identity_blocks and name not in self.bound_names:
            return IdentityBlock(name)
        if name in KNOWN_UNSUPPORTED_LAYERS:
            return Builtin(f"unsupported:{name}")
        lowered = {k.lower() for k in KERAS_SIGNATURES}
        if name[:1].isupper() and (
            name.lower() in lowered or difflib.get_close_matches(name, KERAS_SIGNATURES, n=1, cutoff=0.85)
        ):
            return Builtin(f"unknown:{name}")  # a typo of a layer name, e.g. Conv2d
        return super().unknown_name(name)

    def uid_name(self, base: str) -> str:
        count = self.uids.get(base, 0)
        self.uids[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    # -- statements -----------------------------------------------------------------------------------------
    def noted(self, value: object) -> None:
        if isinstance(value, Tensor):
            self.last_tensor = value.node

    def expression_statement(self, stmt: ast.Expr, value: object) -> None:
        self._legacy_statement(stmt, value)

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

    def assign_attribute(self, owner: object, attr: str, value: object) -> None:
        if attr == "trainable" and isinstance(owner, (Layer, Block)):
            if not isinstance(value, bool):
                raise self.error("bad_value", f"trainable must be True or False. Received: {value!r}", value=repr(value)[:40], argument="trainable", kind=getattr(owner, "kind", ""))  # fmt: skip
            self.set_trainable(owner, value)

    def set_trainable(self, owner: Layer | Block, value: bool) -> None:
        """Keras's setter: a container passes the flag on to everything inside it."""
        owner.trainable = value
        if isinstance(owner, Block):
            for item in self.block_layers(owner):
                self.set_trainable(item, value)

    # -- attributes -------------------------------------------------------------------------
    def attribute(self, owner: object, attr: str) -> object:  # noqa: C901
        if isinstance(owner, Module):
            if not _is_keras(owner):
                return super().attribute(owner, attr)
            canonical = LAYER_ALIASES.get(attr, attr)
            if canonical in KERAS_SIGNATURES or canonical == "InputLayer":
                return LayerClass(canonical)
            if attr in ("Sequential", "Model", "Input"):
                return Builtin(attr)
            if attr == "VGG16" or attr in APPLICATIONS:
                return Builtin(f"app:{attr}")
            if attr in MERGE_FUNCTIONS and owner.path[-1] in ("layers", "merge"):
                if owner.path[-1] == "merge":  # Keras 2's keras.layers.merge module
                    self.old_spelling(f"{'.'.join(owner.path)}.{attr}", f"keras.layers.{attr}")
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
        return super().attribute(owner, attr)

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

    # -- calls ----------------------------------------------------------------------------------------------
    def call_value(self, func: object, args: list, kwargs: dict) -> object:
        if isinstance(func, LayerClass):
            return self.construct(func.kind, args, kwargs)
        if isinstance(func, Layer):
            return self.apply_layer(func, args, kwargs)
        if isinstance(func, Block):
            return self.apply_block(func, args)
        if isinstance(func, tuple) and len(func) == 3 and func[0] == "method":
            return self.block_method(func[1], func[2], args, kwargs)
        if isinstance(func, IdentityBlock):
            tensors = self.tensors_in(args[0] if args else None)
            return tensors[0] if tensors and len(tensors) == 1 else self.opaque(func.name, args, kwargs)
        if isinstance(func, Builtin) and func.name in ("print", "len"):
            return super().call_value(func, args, kwargs)
        if any(self.is_tensor(v) for v in _values(args, kwargs)):
            if isinstance(func, Opaque) and func.free:
                raise self.undefined(func.free[0], "block")
            if isinstance(func, Opaque) and func.undefined:
                raise self.undefined(func.undefined[0], "code")
            result = super().call_value(func, args, kwargs)
            if isinstance(result, Opaque):  # a tensor went into something not read here: the model's path is cut
                name = func.origin if isinstance(func, Opaque) else getattr(func, "name", type(func).__name__)
                self.warnings.append(CodeWarning(self.line, "unread_call", {"name": name}))
                return dataclasses.replace(result, from_tensor=True)
            return result
        return super().call_value(func, args, kwargs)

    def undefined(self, name: str, need: str) -> LayerCodeError:
        """``name`` is used but the listing never defines it; ``need`` says as what: a "value" (a number, tuple or
        text the learner can give), a "block" (a function or model applied to a tensor), a "tensor", or "code" (a
        module or function whose results the model needs: only its definition helps)."""
        return self.error("undefined_name", f"{name} is not defined in what you pasted", name=name, need=need)

    def builtin(self, name: str, args: list, kwargs: dict) -> object:  # noqa: C901 - one branch per Keras entry point
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
        return super().builtin(name, args, kwargs)

    # -- constructing layers ------------------------------------------------------------------
    def construct(self, kind: str, args: list, kwargs: dict) -> Layer:
        if kind == "InputLayer":
            shape = kwargs.get("shape", kwargs.get("input_shape", args[0] if args else None))
            tensor = self.make_input([], {"shape": shape, "name": kwargs.get("name")})
            layer = self.nodes[tensor.node].layer
            assert layer is None
            return Layer(None, "InputLayer", str(kwargs.get("name") or "input_layer"), self.line, declared_input=tensor.shape, calls=[tensor.node])  # fmt: skip
        bound = bind_layer(kind, args, kwargs, self.line)
        name = bound.name or self.uid_name(snake_case(kind))
        return Layer(bound.spec, kind, name, self.line, bound.declared_input, bound.trainable)

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
        if shape is None:
            raise self.error("bad_input", "Input needs shape=(height, width, channels)", value="None")
        shape = concrete_shape(shape, "shape", self.line)
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
            return self.opaque(f"{layer.kind} on data", args, kwargs)
        if layer.spec is None:  # an InputLayer object
            return Tensor(layer.calls[0], self.nodes[layer.calls[0]].shape)
        shapes = [t.shape for t in inputs]
        try:
            if isinstance(layer.spec, MergeSpec):
                shape = output_shape_of(layer.spec, shapes)
            elif len(inputs) != 1:
                raise ShapeError("one_input", f"{layer.kind} takes one tensor. Received: {len(inputs)}", kind=layer.kind, count=len(inputs))  # fmt: skip
            else:
                shape = output_shape_of(layer.spec, shapes)
                params_of(layer.spec, shapes[0])
        except ShapeError as err:
            details = {**err.details, "layer": layer.name, "kind": layer.kind}
            raise LayerCodeError(self.line, err.code, f"{layer.name} ({layer.kind}): {err}", catalog="errors", **details) from err  # fmt: skip
        return self.add_node(layer, tuple(t.node for t in inputs), shape, chain)

    def apply_block(self, block: Block, args: list, chain: tuple[Block, ...] = ()) -> object:
        inputs = self.tensors_in(args[0] if args else None)
        if inputs is None:
            return self.opaque(f"{block.name} on data", args)
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
        declared = [self.nodes[i.node].line for i in block.items if isinstance(i, Tensor)]
        first = [i.line for i in block.items if isinstance(i, (Layer, Block))]
        self.line = (declared or first or [block.line])[0]  # where the input is written: keras.Input or input_shape=
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
        elif isinstance(item, IdentityBlock):
            return  # the learner said: a block that keeps the shape
        elif isinstance(item, Opaque) and (item.free or item.undefined):
            raise self.undefined(item.free[0], "block") if item.free else self.undefined(item.undefined[0], "code")
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
                block.build_shape = concrete_shape(tuple(shape[1:]), "input_shape", self.line)
        return None

    def old_spelling(self, old: str, new: str) -> None:
        """A Keras 2 spelling read as Keras 3's, with a note naming both."""
        self.warnings.append(CodeWarning(self.line, "old_spelling", {"old": old, "new": new}))

    def make_model(self, args: list, kwargs: dict) -> object:
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs and new not in kwargs:  # Keras 2's Model(input=..., output=...)
                kwargs[new] = kwargs.pop(old)
                self.old_spelling(f"Model({old}=...)", f"Model({new}=...)")
        inputs = kwargs.get("inputs", args[0] if args else None)
        outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
        ins, outs = self.flat_tensors(inputs), self.flat_tensors(outputs)
        if ins is None or outs is None:
            unknown = [v for v in _values([inputs, outputs], {}) if isinstance(v, Opaque)]
            for value in unknown:
                if value.free:
                    raise self.undefined(value.free[0], "tensor")
                if value.undefined:
                    raise self.undefined(value.undefined[0], "code")
            cut = next((v for v in unknown if v.from_tensor), None)
            if cut is not None:
                raise self.error("unread_output", f"the model's tensors come from {cut.origin} (line {cut.line}), which is not read here", name=cut.origin, origin_line=cut.line)  # fmt: skip
            return self.opaque("Model", inputs, outputs)
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
        block = Block(
            "VGG16", "vgg16", self.line, weights=kwargs.get("weights", args[1] if len(args) > 1 else "imagenet")
        )
        for spec in vgg16_conv_base().layers:
            block.items.append(Layer(spec, spec.kind, spec.name or "", self.line))
        self.uid_name("input_layer")
        shape = kwargs.get("input_shape", args[3] if len(args) > 3 else None)
        if shape is not None:
            shape = tuple(shape) if isinstance(shape, (tuple, list)) else shape
            block.build_shape = concrete_shape(shape, "input_shape", self.line)
        self.models.append(block)
        return block

    # -- the graph ----------------------------------------------------------------------------------------
    def ancestors(self, outputs: Iterable[int]) -> set[int]:
        return ancestors(self.nodes, outputs)


MODEL_CONSTRUCTORS = frozenset({"Model", "Sequential", "Functional"})


def uncalled_builders(tree: ast.Module) -> list[ast.FunctionDef]:
    """Top-level functions that build and return a model (a ``keras.Model(...)`` or ``Sequential(...)`` in their body,
    a ``return`` with a value) and that the listing never calls: ``def make_model(input_shape, num_classes): ...``
    copied without the line that calls it."""
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}

    def builds_a_model(func: ast.FunctionDef) -> bool:
        calls = [n.func for n in ast.walk(func) if isinstance(n, ast.Call)]
        names = {c.id if isinstance(c, ast.Name) else c.attr for c in calls if isinstance(c, ast.Name | ast.Attribute)}
        returns = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(func))
        return returns and bool(names & MODEL_CONSTRUCTORS)

    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name not in called and builds_a_model(node)
    ]


def builder_arguments(builder: ast.FunctionDef) -> list[str]:
    """A builder's parameters without a default: what a call must give."""
    arguments = builder.args
    positional = [*arguments.posonlyargs, *arguments.args]
    required = [a.arg for a in positional[: len(positional) - len(arguments.defaults)]]
    return required + [a.arg for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is None]


def _call_builder(tree: ast.Module, builder: ast.FunctionDef) -> ast.Module:
    """``tree`` with ``model = builder(a, b)`` after it, each parameter without a default passed by its own name (so
    that the reader asks for it like any name the listing does not define), on the ``def`` line."""
    required = builder_arguments(builder)
    call = ast.Assign(
        targets=[ast.Name("model", ast.Store())],
        value=ast.Call(
            ast.Name(builder.name, ast.Load()),
            [],
            [ast.keyword(name, ast.Name(name, ast.Load())) for name in required],
        ),
    )
    for node in ast.walk(call):
        node.lineno = node.end_lineno = builder.lineno
        node.col_offset = node.end_col_offset = 0
    return ast.Module([*tree.body, call], type_ignores=[])


def parse_graph(code: str, names: Mapping[str, object] | None = None, blocks: Collection[str] = ()) -> ParsedGraph:
    """Read Keras model code into a layer graph; raises :class:`LayerCodeError` with the line and a code.

    ``names`` are values for names the listing uses but does not define (``num_classes``: 10); ``blocks`` are such
    names to read as blocks that keep their input's shape. The listing's own definitions come first. A listing that
    builds no model but defines a function that returns one and never calls it is read as a call of that function
    (the last such, with a note naming the others), its parameters without defaults asked for as names.
    """
    prepared = prepare_code(code)
    builders = uncalled_builders(prepared.tree)
    parsed = _read(prepared, prepared.tree, names, blocks, ask_missing=not builders)
    if parsed is not None:
        return parsed
    if builders:
        called = _call_builder(prepared.tree, builders[-1])
        outside = bound_names(ast.Module([n for n in prepared.tree.body if n is not builders[-1]], type_ignores=[]))
        asked = frozenset(builder_arguments(builders[-1])) - outside
        parsed = _read(prepared, called, names, blocks, unbound=asked)
        if parsed is not None:
            others = ", ".join(b.name for b in builders[:-1])
            code = "builder_called_of_several" if others else "builder_called"
            note = CodeWarning(builders[-1].lineno, code, {"name": builders[-1].name, "others": others})
            return dataclasses.replace(parsed, warnings=(note, *parsed.warnings))
    raise LayerCodeError(1, "no_model", "no model found: build one with keras.Input and layers, or keras.Sequential")


def _read(
    prepared,
    tree: ast.Module,
    names: Mapping[str, object] | None,
    blocks: Collection[str],
    ask_missing: bool = True,
    unbound: frozenset[str] = frozenset(),
) -> ParsedGraph | None:
    """The graph ``tree`` builds, or ``None`` when it builds no model (and, with ``ask_missing``, uses no name it
    lacks: that name is asked for then, as the model may be in what the listing lacks)."""
    reader = GraphReader(blocks)
    reader.env.update(names or {})
    try:
        reader.read(tree, unbound)
        model = _pick_model(reader)
        if model is not None and model.kind != "Functional":
            reader.build_sequential(model)
    except RecursionError as err:
        raise LayerCodeError(reader.line, "too_complex", "the code nests too deeply") from err
    implicit = reader.last_tensor if model is None else None
    if (
        model is None and implicit is None and reader.free_names_seen and ask_missing
    ):  # the model was in what the listing lacks
        name, line = next(iter(reader.free_names_seen.items()))
        raise LayerCodeError(line, "undefined_name", f"{name} is not defined in what you pasted", name=name, need="code")  # fmt: skip
    if model is None and implicit is None:
        return None
    return ParsedGraph(tuple(reader.nodes), model, implicit, tuple(sorted(reader.ignored)), tuple(reader.warnings), prepared.repairs)  # fmt: skip


def _pick_model(reader: GraphReader) -> Block | None:
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


def ancestors(nodes: Sequence[_Node], outputs: Iterable[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(outputs)
    while stack:
        index = stack.pop()
        if index not in seen:
            seen.add(index)
            stack.extend(nodes[index].inputs)
    return seen


def descendants(nodes: Sequence[_Node], starts: Iterable[int]) -> set[int]:
    reached = set(starts)
    for node in nodes:  # nodes are created in order, so one pass suffices
        if any(i in reached for i in node.inputs):
            reached.add(node.index)
    return reached


def _values(args: list, kwargs: dict):
    for value in (*args, *kwargs.values()):
        if isinstance(value, (tuple, list)):
            yield from _values(list(value), {})
        else:
            yield value
