"""The seed comparisons' listings are the seeds' own text, byte for byte (skipped, saying why, without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_core.training import comparisons

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def seed(number: str) -> str:
    found = sorted(SEEDS.glob(f"{number}_*.txt"))
    if not found:
        pytest.skip(f"needs the seed documents ({SEEDS}/{number}_*.txt), not present here")
    return found[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name,number",
    [("SEED000_MNIST_CONVNET", "000"), ("SEED000_NO_MAX_POOL", "000"), ("SEED000_CATS_CONVNET", "000"),
     ("SEED000_DROPOUT_LINE", "000"), ("SEED001_MLP", "001")],
)  # fmt: skip
def test_each_listing_stands_in_its_seed_as_it_is(name, number):
    assert getattr(comparisons, name) in seed(number)
