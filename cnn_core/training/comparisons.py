"""One-click comparisons from the seeds: pairs of the book's own listings, each trained as a learner's model
(strategy ``custom``) on a lecture-length workload, shown beside the claim the book makes about them.

The listings are copied byte for byte from the seeds (``tests/test_comparisons.py`` checks them against
``../shared/seeds`` where that folder exists); a variant that is not in the seed says how it was made. What the
runs measured (``bench/variants.py``) is in the README; the page shows each pair's own runs, never the claim as a
result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cnn_core.keras_code.code_edits import set_input_shape
from cnn_core.training.estimate import Estimate, estimate, workload
from cnn_core.training.machine import Calibration
from cnn_core.training.run_config import CUSTOM, RunConfig
from cnn_core.training.run_store import RunRecord

SEED000_MNIST_CONVNET = """# 입력층
inputs = keras.Input(shape=(28, 28, 1))

# 은닉층
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)

# 출력층으로 넘기기 전에 1차원 텐서로 변환
x = layers.Flatten()(x)

# 출력층
outputs = layers.Dense(10, activation="softmax")(x)

# 모델
model = keras.Model(inputs=inputs, outputs=outputs)
"""
"""Seed 000, 9.1.2: the book's MNIST convnet (104,202 parameters)."""

SEED000_NO_MAX_POOL = """inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model_no_max_pool = keras.Model(inputs=inputs, outputs=outputs)
"""
"""Seed 000, 9.1.3: the same convnet without max pooling (712,202 parameters)."""

SEED001_MLP = """model = Sequential()
model.add(Dense(512, input_dim=784, activation='relu')) # 은닉층. 입력값: 784개, 활성화 함수: relu
model.add(Dense(10, activation='softmax'))  # 출력층. class: 10개, 활성화 함수: softmax
"""
"""Seed 001: the dense network on flattened digits (407,050 parameters)."""

SEED000_CATS_CONVNET = """# 입력층
inputs = keras.Input(shape=(180, 180, 3))

# 은닉층
x = layers.Rescaling(1./255)(inputs)
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)

# 출력층
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
"""
"""Seed 000, 9.2: the book's cats-vs-dogs convnet."""

SEED000_DROPOUT_LINE = "x = layers.Dropout(0.5)(x)\n"
"""Seed 000, 9.2 (data augmentation): the Dropout the book puts before the output layer."""


def with_dropout(listing: str) -> str:
    """The cats-vs-dogs listing with the seed's Dropout line before the output layer (its augmentation left out, so
    that Dropout is the one difference)."""
    return listing.replace("x = layers.Flatten()(x)\n", "x = layers.Flatten()(x)\n" + SEED000_DROPOUT_LINE, 1)


@dataclass(frozen=True)
class Contender:
    key: str
    """Its name in the ``comparisons`` i18n table (and the run's name)."""
    code: str


@dataclass(frozen=True)
class Comparison:
    """Two listings, the data, a workload both train with, and the book's claim (``comparisons.<name>_claim``)."""

    name: str
    data: str  # "mnist" or "images"
    contenders: tuple[Contender, Contender]
    epochs: int
    batch_size: int
    limit_per_class: int
    image_size: int = 28
    smaller: tuple[tuple[int, int], ...] = ()
    """``(images per class, epochs)`` of smaller workloads, largest first, for a machine where the pair does not fit
    :data:`PAIR_MAX_SECONDS` (rung 1, 2, ...); each keeps the claim's difference visible (``bench/variants.py``)."""

    def rung_workload(self, rung: int) -> tuple[int, int]:
        """``(images per class, epochs)`` at ``rung``: 0 the pair's own, then :attr:`smaller` (its smallest beyond)."""
        if rung <= 0 or not self.smaller:
            return self.limit_per_class, self.epochs
        return self.smaller[min(rung, len(self.smaller)) - 1]

    def configs(self, dataset: str, precision: str = "auto", rung: int = 0) -> list[RunConfig]:
        """The two runs' configurations on ``dataset`` (MNIST's ``.npz`` or ``"mnist"``; an image folder)."""
        limit, epochs = self.rung_workload(rung)
        return [
            RunConfig(
                strategy=CUSTOM,
                dataset=dataset,
                image_size=self.image_size if self.data == "images" else 180,
                epochs=epochs,
                batch_size=self.batch_size,
                limit_per_class=limit,
                name=c.key,
                model_code=c.code,
                precision=precision,
            )
            for c in self.contenders
        ]


LECTURE_SIZE = 80
"""The cats-vs-dogs pair trains at the scratch strategy's lecture size (its listing's input set to 80 px)."""
_CATS = set_input_shape(SEED000_CATS_CONVNET, 2, (LECTURE_SIZE, LECTURE_SIZE, 3)) or SEED000_CATS_CONVNET

COMPARISONS: dict[str, Comparison] = {
    c.name: c
    for c in (
        Comparison(
            "pooling",
            "mnist",
            (Contender("pooling_with", SEED000_MNIST_CONVNET), Contender("pooling_without", SEED000_NO_MAX_POOL)),
            epochs=10, batch_size=64, limit_per_class=300,  # 1000 per class for 3 epochs: no difference (README)
            smaller=((200, 10), (150, 8)),
        ),
        Comparison(
            "mlp_vs_cnn",
            "mnist",
            (Contender("mlp", SEED001_MLP), Contender("cnn", SEED000_MNIST_CONVNET)),
            epochs=5, batch_size=64, limit_per_class=1000,
            smaller=((600, 5), (400, 4)),
        ),
        Comparison(
            "dropout",
            "images",
            (Contender("dropout_without", _CATS), Contender("dropout_with", with_dropout(_CATS))),
            epochs=15, batch_size=32, limit_per_class=500, image_size=LECTURE_SIZE,
            smaller=((300, 15), (200, 12)),
        ),
    )
}  # fmt: skip
"""Every one-click comparison, in the order the page offers them."""

PAIR_MAX_SECONDS = 240.0
"""A comparison's two runs, one after the other, within 4 minutes of the period."""


@dataclass(frozen=True)
class SizedPair:
    """A comparison sized to this machine: its two configurations and estimates at the first ``rung`` whose total
    is within :data:`PAIR_MAX_SECONDS`; ``fits`` is ``False`` when even the smallest is not."""

    configs: tuple[RunConfig, RunConfig]
    estimates: tuple[Estimate, Estimate]
    rung: int
    fits: bool

    @property
    def seconds(self) -> float:
        return sum(e.seconds for e in self.estimates)


def sized_pair(
    comparison: Comparison,
    dataset: str,
    counts: Mapping[str, Mapping[str, int]],
    history: Sequence[RunRecord] = (),
    calibration: Calibration | None = None,
    precision: str = "auto",
) -> SizedPair:
    """``comparison`` on ``dataset`` at the largest workload whose two estimates (this machine's calibration and
    finished runs) add up to at most :data:`PAIR_MAX_SECONDS`."""
    sized = None
    for rung in range(1 + len(comparison.smaller)):
        first, second = comparison.configs(dataset, precision, rung)
        estimates = tuple(
            estimate(c, *workload(c, counts)[:2], history, n_test=workload(c, counts)[2], calibration=calibration)
            for c in (first, second)
        )
        sized = SizedPair((first, second), estimates, rung, sum(e.seconds for e in estimates) <= PAIR_MAX_SECONDS)
        if sized.fits:
            return sized
    assert sized is not None
    return sized
