"""A training run's configuration: one frozen dataclass, saved as ``config.json``, enough to reproduce the run."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass

from cnn_core.keras_code.book_models import cats_vs_dogs_convnet
from cnn_core.keras_code.layer_stack import StackError, analyze_stack
from cnn_core.training.precision import CHOICES as PRECISION_CHOICES
from cnn_core.training.registry import PRESET_ALIASES, STRATEGIES, Strategy, StrategyDefaults, Workload, get_strategy

CUSTOM = "own_model"
"""The strategy of a learner's own model (:mod:`cnn_core.training.custom_model`)."""
MAX_CODE_CHARS = 20_000
BASES: tuple[str, ...] = ("efficientnet_lite0", "vgg16", "mobilenet_v2", "resnet50", "efficientnet_b0")
OPTIMIZERS: tuple[str, ...] = ("rmsprop", "adam", "sgd")


DEFAULTS: dict[str, StrategyDefaults] = {n: s.defaults for n, s in STRATEGIES.items()}
"""Strategy name -> its book defaults (a view of the registry)."""


@functools.cache
def book_convnet_min_size() -> int:
    """The smallest square image the book's cats-vs-dogs convnet accepts (every conv and pool keeps >= 1 pixel)."""

    for size in range(32, 513):
        book = cats_vs_dogs_convnet(size)
        try:
            analyze_stack(book.input_shape, book.layers)
        except StackError:
            continue
        return size
    raise AssertionError("the book's convnet fits no size up to 512")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs. ``dataset`` is a folder in the book's layout, ``"synthetic"``, or for MNIST
    ``"mnist"`` (Keras download) or a ``.npz`` path. ``None`` fields take the strategy's defaults."""

    strategy: str
    dataset: str
    base: str = "efficientnet_lite0"
    image_size: int = 180
    epochs: int | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    learning_rate: float | None = None
    seed: int = 1337
    name: str = ""
    limit_per_class: int | None = None
    """Use at most this many images per class and split (quick runs); ``None`` uses all."""
    unfreeze_last: int | None = None
    """Fine-tuning: how many of the base's top layers to unfreeze (default: VGG16 4, EfficientNet-Lite0 its last block)."""
    start_from: str | None = None
    """Fine-tuning: id of the finished feature_extraction_augmented run to continue (``None``: train that stage first)."""
    early_stopping_patience: int | None = None
    precision: str = "auto"
    """``auto``: the hardware chooses (:mod:`cnn_core.training.precision`); ``float32`` (or a 16-bit type) forces."""
    model_code: str = ""
    """The ``custom`` strategy: the learner's listing as pasted (read by the editor's reader, never executed)."""
    model_names: str = ""
    """Values for names the listing uses but does not define (``num_classes = 2``), as the editor's field has them."""
    model_blocks: tuple[str, ...] = ()
    """Names to read as blocks that keep their input's shape (``data_augmentation``)."""

    def __post_init__(self) -> None:
        strategy = self.strategy_entry  # ValueError for an unknown name
        if self.base not in BASES:
            raise ValueError(f"Unknown base. Received: base={self.base!r}; expected one of {BASES}")
        if not 32 <= self.image_size <= 512:
            raise ValueError(f"image_size must be in [32, 512]. Received: image_size={self.image_size}")
        for field in ("epochs", "batch_size", "limit_per_class", "early_stopping_patience"):
            value = getattr(self, field)
            if value is not None and not (isinstance(value, int) and 1 <= value <= 100_000):
                raise ValueError(f"{field} must be a whole number >= 1. Received: {field}={value!r}")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer. Received: optimizer={self.optimizer!r}")
        if self.learning_rate is not None and not 0 < self.learning_rate <= 10:
            raise ValueError(f"learning_rate must be in (0, 10]. Received: learning_rate={self.learning_rate}")
        if self.precision not in PRECISION_CHOICES:
            raise ValueError(
                f"Unknown precision. Received: precision={self.precision!r}; expected one of {PRECISION_CHOICES}"
            )
        if len(self.name) > 120:
            raise ValueError("name must be at most 120 characters")
        if (self.strategy == CUSTOM) != bool(self.model_code.strip()):
            raise ValueError(
                f"A model listing goes with strategy={CUSTOM!r} and only with it. "
                f"Received: strategy={self.strategy!r}, {len(self.model_code)} characters of code"
            )
        if len(self.model_code) > MAX_CODE_CHARS or len(self.model_names) > 1000 or len(self.model_blocks) > 20:
            raise ValueError(
                f"A model listing has at most {MAX_CODE_CHARS} characters. Received: {len(self.model_code)}"
            )
        if strategy.book_convnet and self.image_size < book_convnet_min_size():
            raise ValueError(
                f"The book's convnet needs images of at least {book_convnet_min_size()} px. "
                f"Received: image_size={self.image_size}"
            )

    @property
    def strategy_entry(self) -> Strategy:
        """This run's entry in the strategy registry."""

        return get_strategy(self.strategy)

    @property
    def defaults(self) -> StrategyDefaults:
        return self.strategy_entry.defaults

    @property
    def effective_epochs(self) -> int:
        return self.epochs or self.defaults.epochs

    @property
    def effective_batch_size(self) -> int:
        return self.batch_size or self.defaults.batch_size

    @property
    def effective_optimizer(self) -> str:
        return self.optimizer or self.defaults.optimizer

    @property
    def effective_learning_rate(self) -> float | None:
        return self.learning_rate if self.learning_rate is not None else self.defaults.learning_rate

    @property
    def is_mnist(self) -> bool:
        data = self.strategy_entry.data
        return data == "mnist" or (data == "any" and (self.dataset == "mnist" or self.dataset.endswith(".npz")))

    @property
    def is_custom(self) -> bool:
        return self.strategy == CUSTOM

    @property
    def uses_pretrained_base(self) -> bool:
        """Feature extraction (both kinds) and fine-tuning run on an ImageNet base; the rest train their own net."""
        return self.strategy_entry.pretrained_base

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("model_blocks"), list):
            values["model_blocks"] = tuple(values["model_blocks"])
        return cls(**values)


def preset_epochs(strategy: str, preset: str) -> int:
    """Epochs a preset trains when none are typed (the strategy's registry entry says)."""

    entry = get_strategy(strategy)
    return entry.workload(preset).epochs or entry.epochs


def apply_preset(config: RunConfig, preset: str, rung: int = 0) -> RunConfig:
    """``config`` with a workload preset from the registry ("book" or "lecture"; the lecture preset at ``rung``,
    ``Strategy.lecture_rung``, on a machine too slow for it): :func:`apply_workload`."""
    workload = config.strategy_entry.workload(preset)  # ValueError for an unknown preset
    if rung and PRESET_ALIASES.get(preset, preset) == "lecture":
        workload = config.strategy_entry.lecture_rung(rung)
    return apply_workload(config, workload)


def apply_workload(config: RunConfig, workload: Workload) -> RunConfig:
    """``config`` with ``workload``: its image size (not for a learner's model, which sets its own) and images per
    class always (a learner's model: where it leaves them empty); its epochs, batch size, learning rate and early
    stopping where ``config`` leaves them empty."""
    changes: dict[str, object] = {"limit_per_class": workload.limit_per_class}
    if config.is_custom:  # a learner's model sets its own image size, and may set its images per class
        changes["limit_per_class"] = config.limit_per_class or workload.limit_per_class
    else:
        changes["image_size"] = workload.image_size
    for field in ("epochs", "batch_size", "learning_rate", "early_stopping_patience"):
        if getattr(config, field) is None and getattr(workload, field) is not None:
            changes[field] = getattr(workload, field)
    return dataclasses.replace(config, **changes)


def preset_changes(strategy: str, preset: str, rung: int = 0) -> list[tuple[str, object, object]]:
    """``(setting, the book's value, the preset's value)`` for every setting ``preset`` (the lecture preset at
    ``rung``, :meth:`~cnn_core.training.registry.Strategy.lecture_rung`) changes from the book."""

    entry = get_strategy(strategy)
    book, chosen = entry.workload("book"), entry.workload(preset)
    if rung and PRESET_ALIASES.get(preset, preset) == "lecture":
        chosen = entry.lecture_rung(rung)
    return [
        (f.name, getattr(book, f.name), getattr(chosen, f.name))
        for f in dataclasses.fields(book)
        if getattr(chosen, f.name) is not None and getattr(chosen, f.name) != getattr(book, f.name)
    ]
