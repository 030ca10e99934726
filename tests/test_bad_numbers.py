"""Out-of-range numbers typed into every numeric field of every page: never a traceback."""

import pytest

from tests.helpers import assert_clean, run_page

PAGES = [
    "app_pages/convolution.py",
    "app_pages/pooling.py",
    "app_pages/parameters.py",
    "app_pages/augmentation.py",
    "app_pages/train.py",
]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("value", [10**9, -(10**9), 0])
def test_every_numeric_field(page, value):
    at = run_page(page, timeout=120)
    keys = [w.key for w in at.number_input if w.key]
    assert keys
    for key in keys:
        widget = at.number_input(key=key)
        if widget.disabled:
            continue
        widget.set_value(value).run(timeout=120)
        assert_clean(at)
