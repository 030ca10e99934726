import pytest

from cnn_core.concepts.transfer_guide import SCENARIOS, choose_scenario, layers_to_unfreeze


@pytest.mark.parametrize(
    "size,domain,number,frozen,strategy",
    [
        ("small", "similar", 1, (1.0, 1.0), "feature_extraction"),
        ("large", "similar", 2, (0.6, 0.8), "fine_tuning"),
        ("small", "different", 3, (0.33, 0.5), "fine_tuning"),
        ("large", "different", 4, (0.0, 0.0), "fine_tuning"),
    ],
)
def test_the_four_scenarios(size, domain, number, frozen, strategy):
    scenario = choose_scenario(size, domain)
    assert (scenario.number, scenario.frozen_fraction, scenario.strategy) == (number, frozen, strategy)
    assert scenario.head_learning_rate > (scenario.base_learning_rate or 0)


def test_layers_to_unfreeze():
    assert layers_to_unfreeze(SCENARIOS[("small", "similar")], 19) == 0
    assert layers_to_unfreeze(SCENARIOS[("large", "similar")], 20) == 6  # 30% of the top
    assert layers_to_unfreeze(SCENARIOS[("large", "different")], 19) == 19
    with pytest.raises(ValueError):
        choose_scenario("huge", "similar")
