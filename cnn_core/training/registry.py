"""The strategy registry: everything the app knows about each training strategy of the book, one entry each.

An entry holds the book's defaults and accuracy, whether the strategy stands on a pretrained base, its loss, its
early-stopping policy, what the estimate charges for it and its lecture preset. Pages, the launch form, the
estimate and the run configuration ask the registry; nothing else tests a strategy's name. The function that
trains each entry is :data:`cnn_core.training.strategies.TRAINERS` (same name), read top to bottom like a keras.io
example; this module is data only, so that every other part of the engine may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class StrategyDefaults:
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float | None
    book_accuracy: float
    """The test accuracy the book reports for this strategy (for the launch form and comparisons)."""


@dataclass(frozen=True)
class Workload:
    """What a preset trains: image size, images per class, and the hyper-parameters it sets (``None``: the
    book's). ``early_stopping_patience`` stops after that many epochs without a better val_loss; the best
    epoch's weights are kept either way (the best checkpoint)."""

    image_size: int = 180
    limit_per_class: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    early_stopping_patience: int | None = None


PRESETS: tuple[str, ...] = ("book", "lecture")
""""book": the book's 180 px, every image, the book's epochs. "lecture": each strategy's lesson in a few minutes
on a 2-core CPU (chosen by ``bench/lecture.py``; see the README's training table)."""
PRESET_ALIASES = {"quick": "lecture"}
"""Old preset names in saved links."""


@dataclass(frozen=True)
class Strategy:
    """One training strategy of the book, and everything the app needs to know about it."""

    name: str
    data: Literal["images", "mnist", "any"]
    """What it trains on; ``"any"``: the run's dataset says (a learner's own model on MNIST or an image folder)."""
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float | None
    book_accuracy: float
    loss: str
    pretrained_base: bool = False
    """Stands on an ImageNet base (the base picker matters, the base's weights must be present)."""
    continues: str | None = None
    """The strategy whose finished run this one starts from (fine-tuning continues feature extraction 3b)."""
    book_convnet: bool = False
    """Trains the book's cats-vs-dogs convnet, which needs images of at least 76 px."""
    early_stopping_patience: int | None = None
    """Stop when val_loss has not improved for this many epochs (``None``: train every epoch, as the book)."""
    images_per_second: Mapping[str | None, float] = field(default_factory=dict)
    """The estimate's cost model: steady-state training images per second on 2 CPU cores at 180 px (MNIST at
    28 px), by base (``None`` for strategies without one), measured by ``bench/training.py``."""
    size_exponent: float = 2.0
    """Training throughput scales as ``(180 / image size) ** size_exponent``: measured per strategy from the
    runner's epoch times at the lecture preset's size (``bench/lecture.py --fresh``: ``(training + validation / 3)
    images / epoch seconds``) against the 180-px figure above; 2.0 (the pixel count) where not measured. It is
    steeper than the pixel count where the model itself shrinks with the image (the book's convnet)."""
    feature_pass: Mapping[str, float] = field(default_factory=dict)
    """Images per second of one pass of the frozen base over every image, before training (skipped when the
    features are cached); empty for strategies that do not precompute features."""
    lecture: Workload = Workload()
    """The lecture preset: the strategy's qualitative result (the shape of the book's curves) in minutes."""
    smaller: tuple[Workload, ...] = ()
    """Smaller lecture workloads, largest first, for a machine where the preset does not fit the period (rung 1, 2,
    ...: ``lecture_rung``); each keeps the lesson (``bench/lecture.py --rung N``). A strategy with fewer rungs than
    another keeps its smallest."""
    precision_speedup: Mapping[str, float] = field(default_factory=dict)
    """Training images per second in a precision ("bf16", "fp16") divided by float32's on the same machine, measured
    by ``bench/training.py --ratio-epochs``; 1 where not measured (the estimate then stays on the safe side)."""
    feature_pass_speedup: Mapping[str, float] = field(default_factory=dict)
    """The same for the frozen base's feature pass (``bench/training.py --feature-pass-ratio``)."""
    float32_only: bool = False
    """Trains in float32 on any hardware unless a run forces a 16-bit type: 16-bit training was measured to cost it
    accuracy (``bench/lecture.py --repeat``), whatever it gains in speed."""
    probe: str | None = None
    """The calibration probe (``cnn_core.training.machine.PROBES``) whose work this strategy's training shares: its
    registry speed is scaled by that probe's measured factor on this machine; ``None`` for a learner's model (its
    multiply-adds place it between the two convnet probes)."""
    listing: str | None = None
    """The book's model this strategy trains, as the editor writes it (``custom_model.LISTINGS``): where "Train a
    variant" starts; ``None`` for a model on a pretrained base."""

    @property
    def automatic_speedups(self) -> Mapping[str, float]:
        """What the automatic choice of precision weighs (:func:`~cnn_core.training.precision.choose_precision`):
        the measured speed-ups, or none worth taking for a strategy that trains in float32 only."""
        return {"bf16": 0.0, "fp16": 0.0} if self.float32_only else self.precision_speedup

    @property
    def i18n_key(self) -> str:
        return f"strategies.{self.name}"

    @property
    def defaults(self) -> StrategyDefaults:
        return StrategyDefaults(self.epochs, self.batch_size, self.optimizer, self.learning_rate, self.book_accuracy)

    def workload(self, preset: str) -> Workload:
        """The workload of ``preset`` ("book" or "lecture"; old names such as "quick" are accepted)."""
        preset = PRESET_ALIASES.get(preset, preset)
        if preset == "lecture":
            return self.lecture
        if preset == "book":
            return Workload(180, None, self.epochs, self.batch_size, self.learning_rate, self.early_stopping_patience)
        raise ValueError(f"Unknown preset. Received: preset={preset!r}; expected one of {PRESETS}")

    def lecture_rung(self, rung: int) -> Workload:
        """The lecture workload at ``rung``: 0 the preset, 1 the first of :attr:`smaller`, ... (the smallest beyond)."""
        if rung <= 0 or not self.smaller:
            return self.lecture
        return self.smaller[min(rung, len(self.smaller)) - 1]

    def measured_images_per_second(self, base: str) -> float | None:
        return self.images_per_second.get(base if self.pretrained_base else None)


# --- The registry ------------------------------------------------------------------------------------------

_LITE0, _VGG = "efficientnet_lite0", "vgg16"
STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("scratch", "images", 30, 32, "rmsprop", None, 0.70, "binary_crossentropy",
                 book_convnet=True, images_per_second={None: 49.0},
                 lecture=Workload(80, None, 15),
                 smaller=(Workload(80, 500, 15), Workload(80, 300, 15)), precision_speedup={"bf16": 2.0}, size_exponent=2.85,
                 probe="book_convnet", listing="cats_vs_dogs_convnet"),
        Strategy("scratch_augmented", "images", 100, 32, "rmsprop", None, 0.83,
                 "binary_crossentropy", book_convnet=True, images_per_second={None: 45.0},
                 lecture=Workload(80, None, 8),
                 smaller=(Workload(80, 500, 8), Workload(80, 300, 8)), precision_speedup={"bf16": 2.35}, size_exponent=2.76,
                 probe="book_convnet", listing="cats_vs_dogs_augmented"),
        Strategy("feature_extraction", "images", 20, 32, "rmsprop", None, 0.977,
                 "binary_crossentropy", pretrained_base=True, images_per_second={_LITE0: 2000.0, _VGG: 800.0},
                 feature_pass={_LITE0: 190.0, _VGG: 15.0}, lecture=Workload(128, 300, 10),
                 smaller=(Workload(128, 200, 10), Workload(128, 100, 10)),
                 feature_pass_speedup={"bf16": 0.89}, float32_only=True, probe="mnist_convnet"),
        Strategy("feature_extraction_augmented", "images", 50, 32, "rmsprop",
                 None, 0.977, "binary_crossentropy", pretrained_base=True,
                 images_per_second={_LITE0: 64.0, _VGG: 12.0}, lecture=Workload(128, 300, 4),
                 smaller=(Workload(128, 200, 4), Workload(128, 150, 3)),
                 precision_speedup={"bf16": 1.45}, size_exponent=1.37, float32_only=True, probe="base_forward"),
        Strategy("fine_tuning", "images", 30, 32, "rmsprop", 1e-5, 0.98, "binary_crossentropy",
                 pretrained_base=True, continues="feature_extraction_augmented",
                 images_per_second={_LITE0: 40.0, _VGG: 9.0}, lecture=Workload(128, 300, 3),
                 smaller=(Workload(128, 200, 3), Workload(128, 150, 2)),
                 precision_speedup={"bf16": 1.2}, size_exponent=3.1, float32_only=True, probe="base_forward"),
        # 3a, 3b and fine-tuning train in float32 (float32_only): in bfloat16 the 3b lecture preset with seed 1338
        # saturated (loss 7.97, 50.0%: every image one class) where float32 reached 94.7%, in the same 79 s; 3a's
        # head lost 1-4 points at the lecture preset (95.8% vs 97.0%; 93.5% vs 97.2%), was equal at the book's length
        # (98.1% vs 97.9%) and slower (0.79x); fine-tuning continues 3b's weights.
        Strategy("mnist_mlp", "mnist", 30, 200, "adam", None, 0.977, "categorical_crossentropy",
                 early_stopping_patience=10, images_per_second={None: 40_000.0}, lecture=Workload(28, None, 30),
                 precision_speedup={"bf16": 1.7}, probe="mnist_convnet", listing="mnist_mlp"),
        Strategy("mnist_cnn", "mnist", 5, 64, "rmsprop", None, 0.991,
                 "sparse_categorical_crossentropy", images_per_second={None: 3_000.0}, lecture=Workload(28, None, 5),
                 precision_speedup={"bf16": 1.55}, probe="mnist_convnet", listing="mnist_convnet"),
        # A learner's own listing: the loss follows its output layer (custom_model.loss_for), its speed its size
        # (estimate.custom_throughput); no book accuracy, no measured speed-up (float32 unless forced).
        Strategy("own_model", "any", 5, 32, "rmsprop", None, float("nan"), "from_output",
                 lecture=Workload(180, 300, 5)),
    )
}  # fmt: skip
"""Every strategy, in the book's order."""
BOOK_STRATEGIES: tuple[str, ...] = tuple(n for n, s in STRATEGIES.items() if s.data != "any")
"""The book's own strategies (every entry but a learner's own model)."""
IMAGE_STRATEGIES: tuple[str, ...] = tuple(n for n, s in STRATEGIES.items() if s.data == "images")
MNIST_STRATEGIES: tuple[str, ...] = tuple(n for n, s in STRATEGIES.items() if s.data == "mnist")


def get_strategy(name: str) -> Strategy:
    """The registry entry for ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return STRATEGIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown strategy. Received: strategy={name!r}; expected one of {tuple(STRATEGIES)}"
        ) from None
