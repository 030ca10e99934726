import pytest

from cnn_core.concepts.guess import guess_error, parse_count_guess, parse_shape_guess


@pytest.mark.parametrize(
    "text,expected",
    [("(3, 3, 1)", (3, 3, 1)), ("3x3x1", (3, 3, 1)), (" 26 26 32 ", (26, 26, 32)), ("no idea", None), ("", None)],
)
def test_shape_guesses(text, expected):
    assert parse_shape_guess(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("104,202", 104202), ("104 202", 104202), ("712202", 712202), ("1_000", 1000), ("a lot", None), ("12,34", None)],
)
def test_count_guesses(text, expected):
    assert parse_count_guess(text) == expected


def test_guess_error():
    assert guess_error(100_000, 104_202) == pytest.approx(0.0403, abs=1e-4)
    assert guess_error(5, 0) == 1.0
