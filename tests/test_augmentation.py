import keras
import numpy as np
import pytest

from cnn_core.core.images import load_sample_photo
from cnn_core.data.augmentation import (
    BOOK,
    FIRST_EDITION,
    NONE,
    AugmentationSettings,
    augment_epochs,
    augment_grid,
    build_pipeline,
    pipeline_code,
    pipeline_layers,
    resize_square,
)


@pytest.fixture(scope="module")
def cat():
    return resize_square(load_sample_photo(), 64)


def _config(layer):
    return layer.__class__.__name__, layer.get_config()


def test_book_pipeline_has_the_books_layers():
    model = build_pipeline(BOOK)
    (flip, flip_cfg), (rot, rot_cfg), (zoom, zoom_cfg) = [_config(layer) for layer in model.layers]
    assert (flip, flip_cfg["mode"]) == ("RandomFlip", "horizontal")
    assert (rot, tuple(rot_cfg["factor"])) == ("RandomRotation", (-0.1, 0.1))
    assert (zoom, zoom_cfg["height_factor"]) == ("RandomZoom", 0.2)


def test_first_edition_pipeline_matches_the_image_data_generator():
    model = build_pipeline(FIRST_EDITION)
    configs = dict(_config(layer) for layer in model.layers)
    assert list(configs) == ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomShear", "RandomZoom"]
    assert configs["RandomRotation"]["factor"][1] == pytest.approx(40 / 360, abs=1e-3)
    assert configs["RandomTranslation"]["height_factor"] == 0.2 and configs["RandomTranslation"]["width_factor"] == 0.2
    assert tuple(configs["RandomShear"]["x_factor"]) == (-0.2, 0.2)
    assert all(cfg.get("fill_mode", "nearest") == "nearest" for cfg in configs.values())


def test_brightness_and_contrast_layers():
    model = build_pipeline(AugmentationSettings(flip="none", rotation=0, zoom=0, brightness=0.3, contrast=0.4))
    configs = dict(_config(layer) for layer in model.layers)
    assert tuple(configs["RandomBrightness"]["factor"]) == (-0.3, 0.3)
    assert max(configs["RandomContrast"]["factor"]) == 0.4


def test_code_is_the_same_pipeline():
    code = pipeline_code(FIRST_EDITION)
    namespace = {"keras": keras, "layers": keras.layers}
    exec(code, namespace)  # our own generated code, checked to build the same layers
    built = [layer.__class__.__name__ for layer in namespace["data_augmentation"].layers]
    assert built == [call.name for call in pipeline_layers(FIRST_EDITION)]
    assert 'layers.RandomFlip("horizontal")' in pipeline_code(BOOK)


def test_grid_is_reproducible_per_seed_and_differs_across_seeds(cat):
    model = build_pipeline(BOOK)
    a = augment_grid(model, cat, 9, seed=1)
    b = augment_grid(model, cat, 9, seed=1)
    c = augment_grid(model, cat, 9, seed=2)
    assert a.shape == (9, 64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert len({view.tobytes() for view in a}) == 9


def test_epochs_differ_and_no_augmentation_is_identity(cat):
    views = augment_epochs(build_pipeline(BOOK), cat, 4, seed=0)
    assert len({v.tobytes() for v in views}) == 4
    same = augment_grid(build_pipeline(NONE), cat, 3, seed=0)
    assert all(np.array_equal(v, cat) for v in same)


def test_inference_mode_leaves_images_unchanged(cat):
    model = build_pipeline(BOOK)
    out = np.asarray(model(cat[None].astype("float32"), training=False))[0]
    np.testing.assert_allclose(out, cat, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs", [{"rotation": -0.1}, {"zoom": 2.0}, {"flip": "diagonal"}, {"fill_mode": "mirror"}], ids=str
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AugmentationSettings(**kwargs)


def test_settings_json_round_trip():
    assert AugmentationSettings.from_json(FIRST_EDITION.to_json()) == FIRST_EDITION
