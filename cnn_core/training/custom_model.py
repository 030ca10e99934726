"""Your model: any listing the editor reads, checked against the chosen data before a run is created, then rebuilt
in Keras layer by layer from the editor's graph (the listing is never executed).

:func:`check_model` is the launch check (pure Python, well under a second): the input against the data, the output
against the classes, the loss that follows from the output, the caps on parameters and training memory, and the
pretrained weights the listing asks for. Each problem carries a code for the user's language and, where one exact
edit of the listing mends it, that edit (:class:`Fix`). :func:`build_model` is what the trainer calls.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cnn_core.core.errors import CodedError
from cnn_core.data.acquire import synthetic_counts
from cnn_core.data.datasets import image_counts
from cnn_core.keras_code.book_models import cats_vs_dogs_convnet, mnist_convnet
from cnn_core.keras_code.code_edits import extend_output, replace_layer, set_input_shape, set_keyword
from cnn_core.keras_code.code_writer import layer_call
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.free_names import NameValueError, parse_names
from cnn_core.keras_code.graph_report import GraphReport, NodeReport, analyze_graph
from cnn_core.keras_code.keras_build import build_keras_graph
from cnn_core.keras_code.layer_code import ParsedStack, stack_of
from cnn_core.keras_code.layer_graph import Block, ParsedGraph, parse_graph
from cnn_core.keras_code.layer_stack import Dense, Flatten, RandomFlip, RandomRotation, RandomZoom, Rescaling
from cnn_core.training.pipelines import dataset_root
from cnn_core.training.pretrained.bases import APPLICATIONS, KERAS_CACHE
from cnn_core.training.run_config import MAX_CODE_CHARS, RunConfig

MNIST_SHAPES: tuple[tuple[int, ...], ...] = ((28, 28, 1), (28, 28), (784,))
"""Input shapes MNIST is given in: the book's convnet's, the digit as it is, and the MLP's flat 784 (seed 001)."""
DEFAULT_IMAGE_SHAPE = (180, 180, 3)
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", None, "linear")
BYTES_PER_VALUE = 4  # float32


class ModelCheckError(CodedError):
    """A model refused before launch (or by the trainer's own check), with the first problem's code."""

    catalog = "model_check"


@dataclass(frozen=True)
class DataShape:
    """What the chosen data gives a model: MNIST's 10 digits, or an image folder's classes at a chosen size."""

    kind: Literal["mnist", "images"]
    classes: int
    image_size: int = DEFAULT_IMAGE_SHAPE[0]


MNIST = DataShape("mnist", 10, 28)


@dataclass(frozen=True)
class Caps:
    """What one learner's model may ask of the server: parameters, and :func:`training_memory_bytes` at its batch."""

    max_params: int = 50_000_000
    max_memory_bytes: int = 2 * 1024**3

    @classmethod
    def from_env(cls) -> Caps:
        """``CNN_CLASSROOM_MAX_MODEL_PARAMS`` and ``CNN_CLASSROOM_MAX_TRAINING_MEMORY_MB`` (defaults 50 M, 2048 MB)."""

        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "")
            return int(float(raw)) if raw.replace(".", "", 1).isdigit() and float(raw) > 0 else default

        return cls(
            number("CNN_CLASSROOM_MAX_MODEL_PARAMS", cls.max_params),
            number("CNN_CLASSROOM_MAX_TRAINING_MEMORY_MB", cls.max_memory_bytes // 1024**2) * 1024**2,
        )


@dataclass(frozen=True)
class Fix:
    """One exact change that mends a problem: an edit of the listing, or a smaller batch; ``code`` names it for
    the button."""

    code: str
    details: dict
    new_code: str | None = None
    """The listing after the edit (``None``: the listing stays, ``batch_size`` changes)."""
    batch_size: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something that stops the launch (or, for a note, something the learner should know): ``code`` in the
    ``model_check`` i18n table, with what was received in ``details``."""

    code: str
    details: dict = field(default_factory=dict)
    fix: Fix | None = None
    error: LayerCodeError | None = None
    """The reader's own error, when the listing could not be read at all."""


@dataclass(frozen=True)
class Loss:
    """The loss that follows from the output layer (never asked for; shown): its Keras name and whether the
    output is logits (an output layer without an activation)."""

    name: str
    from_logits: bool = False


@dataclass(frozen=True)
class ModelCheck:
    """The launch check's answer. ``ok``: nothing stops the launch; ``notes`` never do."""

    report: GraphReport | None
    problems: tuple[Problem, ...]
    notes: tuple[Problem, ...] = ()
    loss: Loss | None = None
    memory_bytes: int = 0
    macs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        return self.report.input_shapes[0] if self.report is not None and len(self.report.inputs) == 1 else None

    def raise_first(self) -> None:
        """:class:`ModelCheckError` for the first problem (the engine's guard at launch and in the trainer)."""
        if self.problems:
            first = self.problems[0]
            details = dict(first.details)
            if first.error is not None:
                details = {"line": first.error.line, "message": str(first.error), **details}
            raise ModelCheckError(first.code, f"{first.code}: {details}", **details)


def names_of(text: str) -> dict[str, object]:
    """The values a learner gave for names the listing uses but does not define (``n = 64; size = (180, 180)``)."""
    return parse_names(text) if text.strip() else {}


def read_model(code: str, names_text: str = "", blocks: tuple[str, ...] = ()) -> tuple[ParsedGraph, GraphReport]:
    """The editor's reading of the listing: its graph and report (``LayerCodeError`` if it cannot be read)."""
    parsed = parse_graph(code, names_of(names_text), blocks)
    return parsed, analyze_graph(parsed)


# --- the formulas the check uses ------------------------------------------------------------------------------


def loss_for(units: int, activation: str | None, classes: int) -> Loss | None:
    """The loss an output fits: ``Dense(1, "sigmoid")`` on 2 classes -> binary cross-entropy; ``Dense(k, "softmax")``
    on k classes -> sparse categorical cross-entropy (labels are class numbers); the same without an activation ->
    the same losses on logits. ``None`` when the output does not fit the classes."""
    logits = activation in (None, "linear")
    if units == 1 and classes == 2 and (activation == "sigmoid" or logits):
        return Loss("binary_crossentropy", logits)
    if units == classes and (activation == "softmax" or logits):
        return Loss("sparse_categorical_crossentropy", logits)
    return None


def _trainable_part(report: GraphReport) -> set[int]:
    """Nodes a gradient flows back through: those with trainable weights and every node after one of them."""
    after: set[int] = set()
    for node in report.connected:
        if node.trainable_params > 0 or any(s in after for s in node.sources):
            after.add(node.index)
    return after


def training_memory_bytes(report: GraphReport, batch_size: int) -> int:
    """``4 bytes * (3 * batch * sum(a_n, n trainable part) + 2 * batch * max(a_n, n frozen part) + 4 * params)``.

    ``a_n`` is node ``n``'s output size per image. Behind the first trainable layer each activation is kept for
    the backward pass with its gradient and a temporary (x3); in front of it only one layer's input and output
    live at a time (x2 of the largest); the parameters are stored with their gradients and two optimizer slots
    (x4, RMSprop/Adam). A lower bound of what TensorFlow uses, on the safe side of what a cap may refuse.
    """
    trainable = _trainable_part(report)
    kept = sum(math.prod(d or 1 for d in n.output_shape) for n in report.connected if n.index in trainable)
    frozen = [math.prod(d or 1 for d in n.output_shape) for n in report.connected if n.index not in trainable]
    values = 3 * batch_size * kept + 2 * batch_size * max(frozen, default=0) + 4 * report.total_params
    return BYTES_PER_VALUE * values


def multiply_adds(report: GraphReport) -> int:
    """Multiply-adds of one image's forward pass: ``sum over layers of (weights - biases) * output positions``,
    where a position is one output vector (``h * w`` for a convolution, 1 for a Dense layer on a vector). Exact for
    Dense and Conv2D; the cost model of the estimate for the rest."""
    return sum(multiply_adds_of(node) for node in report.connected)


def multiply_adds_of(node: NodeReport) -> int:
    """One node's share of :func:`multiply_adds` (0 for a layer without weights or one sharing another's)."""
    if node.params == 0 or node.shared or not node.output_shape:
        return 0
    channels = node.output_shape[-1]
    biases = channels if node.kind in ("Dense", "Conv1D", "Conv2D", "SeparableConv2D", "DepthwiseConv2D") else 0
    positions = math.prod(d or 1 for d in node.output_shape[:-1]) if len(node.output_shape) > 1 else 1
    return max(node.params - biases, 0) * positions


@dataclass(frozen=True)
class CostTerms:
    """What a learner's model costs to train, by the kind of work (:func:`cost_terms`)."""

    conv_macs: int
    """Multiply-adds of one image's forward pass in convolutions (``*Conv*`` layers)."""
    other_macs: int
    """The same in every other layer with weights (``Dense`` above all: one matrix product per image)."""
    params: int
    """Trainable weights: the optimizer updates each once a batch, whatever the batch size."""
    activations: int
    """Numbers one image's forward pass writes (every layer's output): what the element-wise work forward and back
    (activations, pooling, their gradients) and the memory traffic grow with."""


def cost_terms(report: GraphReport) -> CostTerms:
    """:func:`multiply_adds` split into convolutions and the rest, and the model's weights (the estimate's cost
    model: a convolution's multiply-add and a Dense layer's cost different times, and a batch pays for updating every
    trainable weight once)."""
    conv = other = activations = 0
    for node in report.connected:
        macs = multiply_adds_of(node)
        if "Conv" in node.kind:
            conv += macs
        else:
            other += macs
        if node.kind != "InputLayer" and node.output_shape:
            activations += math.prod(d or 1 for d in node.output_shape)
    return CostTerms(conv, other, report.trainable_params, activations)


# --- the check ------------------------------------------------------------------------------------------------


def _as_stack_code(stack: ParsedStack, layers) -> str:
    return ParsedStack(stack.input_shape, tuple(layers), stack.style).code()


def _layer_line(parsed: ParsedGraph, index: int) -> int:
    """The line that constructed the layer of node ``index`` (a Sequential's layers are called where it is built)."""
    node = parsed.nodes[index]
    return node.layer.line if node.layer is not None else node.line


def _with_input_shape(parsed: ParsedGraph, report: GraphReport, code: str, shape: tuple[int, ...]) -> str | None:
    """The listing with its input declared as ``shape``: at ``Input(...)``, or at the first layer's ``input_shape=``."""
    first = report.inputs[0]
    lines = [parsed.nodes[first].line] + [_layer_line(parsed, n.index) for n in report.connected if first in n.sources]
    return next((c for c in (set_input_shape(code, line, shape) for line in lines) if c is not None), None)


NOT_IMAGE_INPUTS = {
    "token_ids": ("Embedding",),
    "sequences": ("Conv1D", "Conv1DTranspose", "SimpleRNN", "LSTM", "GRU", "MaxPooling1D", "AveragePooling1D",
                  "GlobalAveragePooling1D", "GlobalMaxPooling1D", "UpSampling1D", "ZeroPadding1D", "Cropping1D"),
    "volumes": ("Conv3D", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D"),
}  # fmt: skip
"""What a model needs when the first layer on its input is one of these: the lab trains on images only."""


def not_image_model(report: GraphReport) -> Problem | None:
    """A model built for other data (token ids, sequences, volumes), read from the first layer on its input."""
    first = report.inputs[0]
    for node in report.connected:
        if first in node.sources:
            for needs, kinds in NOT_IMAGE_INPUTS.items():
                if node.kind in kinds:
                    return Problem("not_image_model", {"needs": needs, "layer": node.kind, "received": str(report.input_shapes[0])})  # fmt: skip
            return None
    return None


def _check_input(parsed: ParsedGraph, report: GraphReport, code: str, data: DataShape) -> list[Problem]:
    shape = report.input_shapes[0]
    if data.kind == "mnist":
        if shape in MNIST_SHAPES:
            return []
        new_code = _with_input_shape(parsed, report, code, MNIST_SHAPES[0])
        fix = Fix("use_shape", {"shape": str(MNIST_SHAPES[0])}, new_code) if new_code else None
        return [Problem("input_mismatch", {"received": str(shape), "expected": str(MNIST_SHAPES[0]), "data": "MNIST"}, fix)]  # fmt: skip
    if len(shape) == 3 and shape[2] == 3 and shape[0] == shape[1] and 32 <= shape[0] <= 512:
        if shape[0] != data.image_size:  # the launch form takes the model's size; a changed config must not slip by
            return [Problem("image_size_mismatch", {"model": shape[0], "data": data.image_size})]
        return []
    new_code = _with_input_shape(parsed, report, code, DEFAULT_IMAGE_SHAPE)
    fix = Fix("use_shape", {"shape": str(DEFAULT_IMAGE_SHAPE)}, new_code) if new_code else None
    return [Problem("input_mismatch", {"received": str(shape), "expected": "(n, n, 3), 32 <= n <= 512", "data": "images"}, fix)]  # fmt: skip


def _output_fix(parsed: ParsedGraph, report: GraphReport, code: str, classes: int) -> Fix | None:
    units, activation = (1, "sigmoid") if classes == 2 else (classes, "softmax")
    wanted = Dense(units, activation=activation)
    details = {"layer": f'Dense({units}, activation="{activation}")'}
    last = next(n for n in report.nodes if n.index == report.outputs[-1])
    if last.kind == "Dense" and len(last.output_shape) == 1:
        new_code = replace_layer(code, _layer_line(parsed, last.index), "Dense", f'{units}, activation="{activation}"')
        fix = Fix("replace_output", details, new_code) if new_code else None
    else:
        stack = _rewritable_stack(parsed, report)
        flat = [Flatten()] if len(report.output_shape) > 1 else []
        if stack is not None:
            fix = Fix("add_output", details, _as_stack_code(stack, [*stack.layers, *flat, wanted]))
        else:  # branches and merges: the two layers added after the output, in the listing's own variable
            model_line = parsed.model.line if parsed.model is not None and parsed.model.kind == "Functional" else None
            calls = [layer_call(layer) for layer in (*flat, wanted)]
            new_code = extend_output(code, parsed.nodes[last.index].line, model_line, calls)
            fix = Fix("add_output", details, new_code) if new_code else None
    return fix


def _check_output(
    parsed: ParsedGraph, report: GraphReport, code: str, data: DataShape
) -> tuple[list[Problem], Loss | None]:
    last = next(n for n in report.nodes if n.index == report.outputs[-1])
    shape = report.output_shape
    activation = _output_activation(last)
    loss = loss_for(shape[0], activation, data.classes) if len(shape) == 1 else None
    if loss is not None:
        return [], loss
    expected = "Dense(1, sigmoid)" if data.classes == 2 else f"Dense({data.classes}, softmax)"
    details = {"received": str(shape), "activation": str(activation), "classes": data.classes, "expected": expected}
    code_name = "output_not_flat" if len(shape) != 1 else "output_mismatch"
    return [Problem(code_name, details, _output_fix(parsed, report, code, data.classes))], None


def _output_activation(node: NodeReport) -> str | None:
    spec = node.spec
    if node.kind == "Softmax":
        return "softmax"
    activation = getattr(spec, "activation", None)
    return activation if isinstance(activation, str) else None


def _pretrained(parsed: ParsedGraph) -> list[Block]:
    blocks: dict[int, Block] = {}
    for node in parsed.nodes:
        for block in node.chain:
            if block.kind in ("VGG16",) and block.weights is not None:
                blocks[id(block)] = block
    return list(blocks.values())


def weights_file(block: Block):
    """Where Keras keeps the ImageNet weights a pretrained base of the listing needs."""
    return KERAS_CACHE / APPLICATIONS[block.kind.lower()].weights_file


def _check_weights(parsed: ParsedGraph, code: str) -> list[Problem]:
    problems = []
    for block in _pretrained(parsed):
        if block.weights != "imagenet":
            problems.append(Problem("unknown_weights", {"base": block.kind, "received": str(block.weights)}))
            continue
        path = weights_file(block)
        if not path.exists():
            new_code = set_keyword(code, block.line, block.kind, "weights", "None")
            fix = Fix("random_start", {"base": block.kind}, new_code) if new_code else None
            problems.append(Problem("missing_weights", {"base": block.kind, "path": str(path)}, fix))
    return problems


def _rewritable_stack(parsed: ParsedGraph, report: GraphReport) -> ParsedStack | None:
    """The listing's layer stack when writing it out again loses nothing: a plain chain, no pretrained base (its
    ``weights=`` would be lost) and no frozen layer (its ``trainable = False`` would be)."""
    if _pretrained(parsed) or any(n.trainable_params != n.params for n in report.connected):
        return None
    return stack_of(report)


def _notes(parsed: ParsedGraph, report: GraphReport, data: DataShape) -> list[Problem]:
    kinds = {n.kind for n in report.connected}
    notes = []
    if data.kind == "images" and "Rescaling" not in kinds:
        stack = _rewritable_stack(parsed, report)
        fix = None
        if stack is not None:
            fix = Fix("add_rescaling", {}, _as_stack_code(stack, [Rescaling(1.0 / 255), *stack.layers]))
        notes.append(Problem("no_rescaling", {}, fix))
    if data.kind == "mnist" and "Rescaling" in kinds:
        notes.append(Problem("rescaled_twice", {}))
    return notes


def check_model(
    code: str,
    data: DataShape,
    batch_size: int,
    names_text: str = "",
    blocks: tuple[str, ...] = (),
    caps: Caps | None = None,
    verify_fixes: bool = True,
) -> ModelCheck:
    """Everything that must hold before ``code`` trains on ``data`` at ``batch_size``; see the module docstring.

    A fix is offered only if the listing it writes reads, and no longer has the problem it mends (checked here by
    checking the edited listing: an edit must never change something else silently)."""
    caps = caps or Caps.from_env()
    if len(code) > MAX_CODE_CHARS:
        return ModelCheck(None, (Problem("code_too_long", {"received": len(code), "limit": MAX_CODE_CHARS}),))
    try:
        parsed, report = read_model(code, names_text, blocks)
    except LayerCodeError as err:
        return ModelCheck(None, (Problem("unreadable", {}, error=err),))
    except NameValueError as err:
        return ModelCheck(None, (Problem("bad_names", {"message": str(err)}),))
    if len(report.inputs) != 1 or len(report.outputs) != 1:
        details = {"inputs": len(report.inputs), "outputs": len(report.outputs)}
        return ModelCheck(report, (Problem("not_one_input_and_output", details),))
    other_data = not_image_model(report)
    if other_data is not None:  # nothing else to mend: no image fits it
        return ModelCheck(report, (other_data,), (), None, training_memory_bytes(report, batch_size), multiply_adds(report))  # fmt: skip
    problems = _check_input(parsed, report, code, data)
    output_problems, loss = _check_output(parsed, report, code, data)
    problems += output_problems + _check_weights(parsed, code)
    memory = training_memory_bytes(report, batch_size)
    if report.total_params > caps.max_params:
        problems.append(Problem("too_many_params", {"received": report.total_params, "limit": caps.max_params}))
    if memory > caps.max_memory_bytes:
        details = {"received_mb": round(memory / 1024**2), "limit_mb": caps.max_memory_bytes // 1024**2, "batch": batch_size}  # fmt: skip
        per_image = (memory - training_memory_bytes(report, 0)) / batch_size
        fits = int((caps.max_memory_bytes - training_memory_bytes(report, 0)) // per_image) if per_image else 0
        fix = Fix("smaller_batch", {"batch": fits}, batch_size=fits) if fits >= 1 else None
        problems.append(Problem("too_much_memory", details, fix))
    notes = _notes(parsed, report, data)
    if verify_fixes:

        def again(fix: Fix) -> ModelCheck:
            return check_model(
                fix.new_code or code, data, fix.batch_size or batch_size, names_text, blocks, caps, False
            )

        problems, notes = [_verified(p, again) for p in problems], [_verified(n, again) for n in notes]
    return ModelCheck(report, tuple(problems), tuple(notes), loss, memory, multiply_adds(report))


def _verified(problem: Problem, check) -> Problem:
    """``problem`` with its fix only if the fixed listing reads and is free of this problem."""
    if problem.fix is None:
        return problem
    after = check(problem.fix)
    codes = {p.code for p in (*after.problems, *after.notes)}
    if after.report is None or problem.code in codes:
        return dataclasses.replace(problem, fix=None)
    return problem


def data_shape(config: RunConfig) -> DataShape:
    """What ``config``'s dataset gives a model: MNIST, or the image folder's classes (counted in its train split)
    at the run's image size. ``DatasetError`` for a folder outside the data roots."""
    if config.is_mnist:
        return MNIST
    counts = synthetic_counts() if config.dataset == "synthetic" else image_counts(Path(dataset_root(config)))
    classes = len(counts.get("train", {}))
    return DataShape("images", classes, config.image_size)


def check_run(config: RunConfig, caps: Caps | None = None) -> ModelCheck:
    """:func:`check_model` for a run's configuration (its listing, data and batch size)."""
    return check_model(
        config.model_code,
        data_shape(config),
        config.effective_batch_size,
        config.model_names,
        config.model_blocks,
        caps,
    )


# --- what the run folder keeps, and what the trainer builds ----------------------------------------------


def graph_record(report: GraphReport) -> dict:
    """The graph the editor read, as JSON: every connected layer call with its inputs, shape, parameters and
    constructor arguments (the run folder keeps it beside the listing)."""
    return {
        "style": report.style,
        "total_params": report.total_params,
        "trainable_params": report.trainable_params,
        "inputs": list(report.inputs),
        "outputs": list(report.outputs),
        "nodes": [
            {
                "index": n.index,
                "name": n.name,
                "kind": n.kind,
                "line": n.line,
                "sources": list(n.sources),
                "output_shape": list(n.output_shape),
                "params": n.params,
                "trainable_params": n.trainable_params,
                "arguments": json.loads(json.dumps(n.spec.arguments(), default=str)) if n.spec is not None else {},
            }
            for n in report.connected
        ],
    }


def model_fingerprint(code: str, names_text: str = "", blocks: tuple[str, ...] = ()) -> str:
    """A short hash of the architecture as read (same graph, same fingerprint, however the code is spelled)."""
    try:
        _, report = read_model(code, names_text, blocks)
        key = json.dumps([(n["kind"], n["sources"], n["output_shape"], n["arguments"]) for n in graph_record(report)["nodes"]])  # fmt: skip
    except (LayerCodeError, NameValueError):
        key = code
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def model_input_size(code: str, names_text: str = "", blocks: tuple[str, ...] = ()) -> int:
    """The image size a listing asks for: its input's side when that is a square RGB image the data can be resized
    to (32..512 px), else the default 180 (the check then says what is wrong with the input)."""
    try:
        _, report = read_model(code, names_text, blocks)
    except (LayerCodeError, NameValueError):
        return DEFAULT_IMAGE_SHAPE[0]
    shape = report.input_shapes[0] if len(report.inputs) == 1 else ()
    if len(shape) == 3 and shape[2] == 3 and shape[0] == shape[1] and 32 <= shape[0] <= 512:
        return shape[0]
    return DEFAULT_IMAGE_SHAPE[0]


def _augmented_convnet(image_size: int) -> ParsedStack:
    book = cats_vs_dogs_convnet(image_size, with_dropout=True)
    augmentation = (RandomFlip("horizontal"), RandomRotation(0.1), RandomZoom(0.2))  # seed 000's data_augmentation
    return ParsedStack(book.input_shape, (*augmentation, *book.layers))


LISTINGS: dict[str, Callable[[int], ParsedStack]] = {
    "cats_vs_dogs_convnet": lambda size: ParsedStack(*_stack_of_book(cats_vs_dogs_convnet(size))),
    "cats_vs_dogs_augmented": _augmented_convnet,
    "mnist_convnet": lambda size: ParsedStack(*_stack_of_book(mnist_convnet(True))),
    "mnist_mlp": lambda size: ParsedStack((784,), (Dense(512, activation="relu"), Dense(10, activation="softmax"))),
}
"""The book's models the strategies train (a registry entry's ``listing``), as layer stacks at an image size."""


def _stack_of_book(book) -> tuple[tuple[int, ...], tuple]:
    return book.input_shape, book.layers


def run_listing(config: RunConfig) -> str | None:
    """The code a run trained, for a variant and for the code difference: a learner's listing as pasted, or the
    book's listing of a strategy's own model; ``None`` for a model on a pretrained base (not written as code)."""
    if config.is_custom:
        return config.model_code
    listing = config.strategy_entry.listing
    return LISTINGS[listing](config.image_size).functional_code() if listing else None


def code_difference(before: str, after: str, before_name: str, after_name: str) -> str:
    """A plain unified diff of two listings (empty when they are the same)."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile=before_name, tofile=after_name, lineterm=""
    )
    return "\n".join(lines)


def build_model(code: str, names_text: str = "", blocks: tuple[str, ...] = (), load_pretrained=None):  # -> keras.Model
    """The listing's model rebuilt in Keras from the editor's graph (:func:`build_keras_graph`), with the ImageNet
    weights of any pretrained base it names copied in layer by layer (``load_pretrained(kind)`` gives that base)."""
    parsed, _ = read_model(code, names_text, blocks)
    model = build_keras_graph(code, names_of(names_text), blocks)
    for block in _pretrained(parsed):
        if block.weights != "imagenet" or load_pretrained is None:
            continue
        source = load_pretrained(block.kind.lower())
        for item in block.items:
            if getattr(item, "spec", None) is not None and item.spec.name:
                model.get_layer(item.name).set_weights(source.get_layer(item.spec.name).get_weights())
    return model
