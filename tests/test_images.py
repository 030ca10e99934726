import numpy as np
import pytest

from cnn_core.core.images import (
    ImageDecodeError,
    decode_image,
    load_sample_photo,
    resize_to_fit,
    to_display,
    to_grayscale,
)
from tests.image_samples import huge_png, samples

LIMIT = 5 * 1024 * 1024
SAMPLES = samples()
GOOD = [name for name in SAMPLES if name.endswith("_ok")]
BAD = {
    "text_as_jpg": "not_an_image",
    "truncated_jpeg": "truncated",
    "one_pixel_png": "too_small",
    "gif": "unsupported_format",
    "empty": "empty",
}


@pytest.mark.parametrize("name", GOOD)
def test_good_images_decode_to_rgb(name):
    arr = decode_image(SAMPLES[name], LIMIT)
    assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3
    expected = (64, 48) if name.startswith("exif_rotated") else (48, 64)
    assert arr.shape[:2] == expected


def test_transparency_is_composited_on_white_and_16bit_is_scaled():
    from PIL import Image

    from tests.image_samples import encode

    clear = encode(Image.new("RGBA", (16, 16), (255, 0, 0, 0)), "PNG")
    assert (decode_image(clear, LIMIT) == 255).all()
    png16 = decode_image(SAMPLES["png16_ok"], LIMIT)
    assert png16.max() > 200 and png16.min() == 0


@pytest.mark.parametrize("name,code", sorted(BAD.items()))
def test_bad_images_are_refused_with_a_reason(name, code):
    with pytest.raises(ImageDecodeError) as err:
        decode_image(SAMPLES[name], LIMIT)
    assert err.value.code == code


def test_decompression_bomb_is_refused():
    data = huge_png(10_000)
    assert len(data) < 1_000_000
    with pytest.raises(ImageDecodeError) as err:
        decode_image(data, LIMIT, max_pixels=50_000_000)
    assert err.value.code == "too_many_pixels"
    assert (err.value.details["width"], err.value.details["height"]) == (10_000, 10_000)  # never "(?x?)"


def test_too_many_pixels_by_our_limit():
    with pytest.raises(ImageDecodeError) as err:
        decode_image(SAMPLES["png_ok"], LIMIT, max_pixels=1000)
    assert err.value.code == "too_many_pixels"


def test_file_over_size_limit():
    with pytest.raises(ImageDecodeError) as err:
        decode_image(SAMPLES["png_ok"], max_bytes=100)
    assert err.value.code == "too_large_file"


def test_large_images_are_shrunk():
    from tests.image_samples import encode, gradient

    arr = decode_image(encode(gradient((600, 900)), "PNG"), LIMIT, max_side=300)
    assert arr.shape == (200, 300, 3)
    assert resize_to_fit(arr, 1000) is arr


def test_sample_photo_and_conversions():
    cat = load_sample_photo()
    assert cat.shape == (300, 451, 3)
    grey = to_grayscale(cat)
    assert grey.shape == (300, 451) and 0 <= grey.min() and grey.max() <= 255
    signed = to_display(np.array([[-2.0, 0.0, 2.0]]))
    assert signed.tolist() == [[1, 128, 255]]


def test_pillow_backstop_catches_bigger_bombs():
    with pytest.raises(ImageDecodeError) as err:
        decode_image(huge_png(15_000), LIMIT)
    assert err.value.code == "too_many_pixels_total"
    assert err.value.details["pixels"] == "225,000,000"
