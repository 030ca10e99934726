"""A layer graph counted the way ``model.summary()`` and ``model.count_params()`` count it, and written back as
functional-API code.

Only layers on a path from the model's inputs to its outputs count, each layer once however often it is called,
with ``trainable`` flags applied the Keras way (a frozen container hides everything inside). Layers that are built
but not connected to the output are reported, not counted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cnn_core.concepts.receptive_field import INPUT_FIELD, ReceptiveField
from cnn_core.concepts.shapes import ShapeError
from cnn_core.keras_code.code_writer import layer_call
from cnn_core.keras_code.evaluator import LayerCodeError, Repair
from cnn_core.keras_code.free_names import NameValueError, parse_value, suggest_value
from cnn_core.keras_code.layer_graph import CodeWarning, ParsedGraph, _Node, ancestors, descendants, parse_graph
from cnn_core.keras_code.layer_stack import LayerSpec, MergeSpec, Shape, params_of
from cnn_core.keras_code.layer_table import MERGE_FUNCTIONS


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
    receptive_field: ReceptiveField = ReceptiveField("unknown")
    """What one cell of the output sees of the model's input (``unknown`` with several inputs)."""


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
    repairs: tuple[Repair, ...] = ()
    """Lines mended before reading (doctest prompts, statements run together)."""

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


def _model_nodes(parsed: ParsedGraph) -> tuple[list[int], list[int], str, str]:
    model = parsed.model
    if model is None:
        out = parsed.implicit_output
        assert out is not None
        inputs = sorted(i for i in ancestors(parsed.nodes, [out]) if parsed.nodes[i].layer is None)
        return inputs, [out], "implicit", "model"
    if model.kind == "Functional":
        return list(model.inputs), list(model.outputs), "functional", model.name
    built = model.built_nodes or []
    return [built[0]], [built[-1]], "sequential", model.name


def analyze_graph(parsed: ParsedGraph) -> GraphReport:
    """Shapes, parameters and trainable parameters of the chosen model, as ``model.summary()`` counts them.

    ``total = sum over the distinct layers on an input->output path of count_params(layer)``; a layer
    called twice counts once. Trainable parameters follow Keras 3: setting ``trainable`` on a container
    sets it on everything inside at that moment, a later setting on an inner layer wins, and only the
    model's own flag hides all of its weights.
    """
    nodes = parsed.nodes
    inputs, outputs, style, model_name = _model_nodes(parsed)
    connected = ancestors(nodes, outputs)
    shown = connected | (descendants(nodes, inputs) if style != "sequential" else set())
    top_trainable = parsed.model.trainable if parsed.model is not None else True
    counted: set[int] = set()
    reports: list[NodeReport] = []
    warnings = list(parsed.warnings)
    names = {n.index: (n.layer.name if n.layer is not None else "input_layer") for n in nodes}
    fields = receptive_fields(nodes)
    total = trainable_total = 0
    for node in nodes:
        if node.index not in shown:
            continue
        layer = node.layer
        input_shapes = tuple(nodes[i].shape for i in node.inputs)
        is_connected = node.index in connected
        if layer is None or layer.spec is None:
            reports.append(NodeReport(node.index, "input_layer", "InputLayer", node.line, (), (), (), node.shape, 0, 0, "", "", None, is_connected, False, None, None, fields[node.index]))  # fmt: skip
            continue
        shared = id(layer) in counted
        params = trainable = 0
        formula = note = ""
        words = None
        if isinstance(layer.spec, MergeSpec):
            note = (" + " if layer.kind != "Concatenate" else " | ").join(str(s) for s in input_shapes)
        else:
            params, trainable, formula = params_of(layer.spec, input_shapes[0])
            if None not in input_shapes[0]:  # a size of any length has no arithmetic to show
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
                fields[node.index],
            )
        )  # fmt: skip
    return GraphReport(style, model_name, tuple(reports), tuple(inputs), tuple(outputs), total, trainable_total, tuple(warnings), parsed.ignored_lines, parsed.repairs)  # fmt: skip


def receptive_fields(nodes: Sequence[_Node]) -> dict[int, ReceptiveField]:
    """Each node's receptive field on the model's input, node by node (they are created in order): an input sees
    itself, a layer applies its :meth:`~cnn_core.keras_code.layer_stack.LayerSpec.receptive_step`, a merge joins
    its branches' fields; a node that depends on several inputs, or whose input is not an image, is ``unknown``."""
    fields: dict[int, ReceptiveField] = {}
    roots: dict[int, frozenset[int]] = {}
    for node in nodes:
        if node.layer is None:
            roots[node.index] = frozenset({node.index})
            fields[node.index] = INPUT_FIELD if len(node.shape) == 3 else ReceptiveField("unknown")
            continue
        roots[node.index] = frozenset().union(*(roots[i] for i in node.inputs))
        spec = node.layer.spec
        if spec is None or len(roots[node.index]) != 1:
            fields[node.index] = ReceptiveField("unknown")
        elif isinstance(spec, MergeSpec):
            merged = fields[node.inputs[0]]
            for i in node.inputs[1:]:
                merged = merged.merged(fields[i])
            fields[node.index] = merged
        else:
            try:
                fields[node.index] = fields[node.inputs[0]].then(spec.receptive_step(nodes[node.inputs[0]].shape))
            except ShapeError:
                fields[node.index] = ReceptiveField("unknown")
    return fields


def analyze_code(code: str, names: Mapping[str, object] | None = None, blocks: Collection[str] = ()) -> GraphReport:
    """``analyze_graph(parse_graph(code, names, blocks))``."""
    return analyze_graph(parse_graph(code, names, blocks))


MAX_MISSING_NAMES = 12


@dataclass(frozen=True)
class MissingName:
    """A name the listing uses and does not define: where it is first needed, what would settle it (``"value"``: a
    number, text or tuple; ``"block"``: a block that keeps its input's shape; ``"code"``: its definition) and a likely
    value (:func:`~cnn_core.keras_code.free_names.suggest_value`, empty when nothing fits)."""

    name: str
    line: int
    need: str
    suggestion: str


def missing_names(
    code: str, names: Mapping[str, object] | None = None, blocks: Collection[str] = (), context: str = ""
) -> tuple[MissingName, ...]:
    """Every name the listing still needs, in the order the reader meets them, so that a page asks for all of them
    at once: the listing is read with ``names``; each undefined name that a value settles is recorded, and, when a
    likely value exists (from the listing, or ``context``: what it will train on, e.g. ``"mnist"``), read again with
    that value standing in to find the next. Stops at the first name without a likely value or that needs a block
    or code (the learner's answer is needed to read further). Empty when the listing reads, or fails otherwise."""
    given = dict(names or {})
    found: list[MissingName] = []
    for _ in range(MAX_MISSING_NAMES):
        try:
            parse_graph(code, given, blocks)
        except LayerCodeError as err:
            if err.code != "undefined_name" or str(err.details.get("name")) in given:
                break
            name, need = str(err.details["name"]), str(err.details.get("need", "value"))
            suggestion = suggest_value(name, f"{code}\n{context}") if need == "value" else ""
            found.append(MissingName(name, err.line, need, suggestion))
            try:
                given[name] = parse_value(suggestion)
            except NameValueError:
                break
        else:
            break
    return tuple(found)


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


def graph_dot(report: GraphReport, params_word: str = "params", large: bool = False) -> str:
    """The model as a Graphviz DOT graph: one box per layer call (its name, kind and parameter count), each edge
    labelled with the shape that flows along it, top to bottom; layers not connected to the outputs dashed and grey,
    inputs and outputs shaded. ``large``: bigger text (a projector)."""
    size = 18 if large else 12
    lines = [
        "digraph model {",
        "  rankdir=TB;",
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#333333", fontname="Helvetica", fontsize={size}];',
        f'  edge [fontname="Helvetica", fontsize={size - 2}, color="#333333", fontcolor="#333333"];',
    ]
    by_index = {n.index: n for n in report.nodes}
    for node in report.nodes:
        if node.kind == "InputLayer":
            label = f"{node.name}\\nInput {_dot_shape(node.output_shape)}"
        else:
            label = f"{node.name}\\n{node.kind}\\n{node.params:,} {params_word}"
        style = ""
        if not node.connected:
            style = ', style="rounded,dashed", color="#767676", fontcolor="#595959"'
        elif node.index in report.inputs or node.index in report.outputs:
            style = ', fillcolor="#dbe9f6"'
        lines.append(f'  n{node.index} [label="{_dot_text(label)}"{style}];')
    for node in report.nodes:
        for source in node.sources:
            shape = _dot_shape(by_index[source].output_shape) if source in by_index else ""
            dashed = "" if node.connected else ', style=dashed, color="#767676"'
            lines.append(f'  n{source} -> n{node.index} [label=" {_dot_text(shape)}"{dashed}];')
    lines.append("}")
    return "\n".join(lines)


def _dot_shape(shape: Shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _dot_text(text: str) -> str:
    return text.replace('"', '\\"')
