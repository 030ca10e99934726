"""Seed 003's four transfer-learning scenarios: target data size x domain similarity -> how much to fine-tune."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Size = Literal["small", "large"]
Domain = Literal["similar", "different"]


@dataclass(frozen=True)
class Scenario:
    """One cell of the 2x2 guide.

    ``frozen_fraction`` is the share of the pretrained base kept frozen, counted from its input
    (low-level features first); ``strategy`` and ``unfreeze_fraction`` preset the training lab.
    """

    number: int
    size: Size
    domain: Domain
    frozen_fraction: tuple[float, float]
    strategy: str
    base_learning_rate: float | None
    head_learning_rate: float

    @property
    def unfreeze_fraction(self) -> float:
        """The middle of the recommended range of layers to retrain (from the top of the base)."""
        low, high = self.frozen_fraction
        return round(1.0 - (low + high) / 2, 3)


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("small", "similar"): Scenario(1, "small", "similar", (1.0, 1.0), "feature_extraction", None, 1e-3),
    ("large", "similar"): Scenario(2, "large", "similar", (0.6, 0.8), "fine_tuning", 1e-5, 1e-3),
    ("small", "different"): Scenario(3, "small", "different", (0.33, 0.5), "fine_tuning", 1e-5, 1e-3),
    ("large", "different"): Scenario(4, "large", "different", (0.0, 0.0), "fine_tuning", 1e-5, 1e-3),
}


def choose_scenario(size: str, domain: str) -> Scenario:
    """The scenario for a target data set that is ``small``/``large`` and a domain ``similar``/``different``
    to ImageNet. Scenario 1 freezes the whole base; 2 freezes 60-80%; 3 freezes the first third to half
    (low-level features stay useful); 4 retrains everything, starting from the pretrained weights."""
    try:
        return SCENARIOS[(size, domain)]
    except KeyError as err:
        raise ValueError(
            f"size must be small|large and domain similar|different. Received: {size!r}, {domain!r}"
        ) from err


def layers_to_unfreeze(scenario: Scenario, n_layers: int) -> int:
    """How many of the base's ``n_layers`` (from the top) to unfreeze: ``round(n * unfreeze_fraction)``."""
    return round(n_layers * scenario.unfreeze_fraction)
