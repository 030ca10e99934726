"""Safe image loading: uploads, the package-shipped sample photo, and conversions.

Every failure is an :class:`ImageDecodeError` with a ``code`` the UI translates;
nothing a user uploads reaches the page as a traceback.
"""

from __future__ import annotations

import io
import logging
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnn_core.core.errors import CodedError

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "BMP": "BMP"}
UPLOAD_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp")
MAX_PIXELS = 50_000_000
MIN_SIDE = 8
DEFAULT_MAX_SIDE = 1024

# Pillow's decompression-bomb guard stays on as a backstop, above our own limit so that ours,
# which knows the image's dimensions, speaks first.
Image.MAX_IMAGE_PIXELS = 2 * MAX_PIXELS


class ImageDecodeError(CodedError):
    """An upload we cannot use; ``code`` names why (``not_an_image``, ``truncated``, ...)."""

    catalog = "image_errors"


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is composited on white, 16-bit and float scaled to 0..255."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        if img.mode.startswith("I;16"):
            lo, hi = 0.0, 65535.0
        scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo) * 255.0
        return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def decode_image(
    data: bytes, max_bytes: int, max_side: int | None = DEFAULT_MAX_SIDE, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Decode an uploaded image to ``uint8 (height, width, 3)`` RGB.

    Accepts JPEG, PNG, WebP and BMP in any mode; applies EXIF orientation; shrinks
    the longer side to ``max_side`` (aspect kept). Refuses files over ``max_bytes``,
    images over ``max_pixels`` (decompression bombs), sides under ``MIN_SIDE``,
    non-images and truncated files.
    """
    if not data:
        raise ImageDecodeError("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise ImageDecodeError(
            "too_large_file",
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
            size_mb=round(len(data) / 1e6, 1),
            limit_mb=round(max_bytes / 1e6),
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or "?"
            if fmt not in ACCEPTED_FORMATS:
                raise ImageDecodeError("unsupported_format", f"{fmt} images are not supported.", format=fmt)
            width, height = img.size
            if width * height > max_pixels:
                raise ImageDecodeError(
                    "too_many_pixels",
                    f"The image has {width}x{height} pixels; the limit is {max_pixels:,} pixels.",
                    width=width,
                    height=height,
                    limit=f"{max_pixels:,}",
                )
            if min(width, height) < MIN_SIDE:
                raise ImageDecodeError(
                    "too_small",
                    f"The image is {width}x{height}; each side needs at least {MIN_SIDE} pixels.",
                    width=width,
                    height=height,
                    minimum=MIN_SIDE,
                )
            img.load()
            img = ImageOps.exif_transpose(img) or img
            rgb = _to_rgb(img)
            if max_side and max(rgb.size) > max_side:
                rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except ImageDecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        pixels = re.search(r"\((\d+) pixels\)", str(err))  # Pillow refuses before the size is known to us
        count = f"{int(pixels.group(1)):,}" if pixels else "?"
        raise ImageDecodeError("too_many_pixels_total", str(err), pixels=count, limit=f"{max_pixels:,}") from err
    except UnidentifiedImageError as err:
        raise ImageDecodeError("not_an_image", "The file is not an image Pillow can read.") from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        logger.info("image decode failed: %s", err)
        raise ImageDecodeError("truncated", f"The image is damaged or incomplete ({err}).", reason=str(err)) from err
    return np.asarray(rgb, dtype=np.uint8)


def load_sample_photo() -> np.ndarray:
    """The cat photo shipped by scikit-image (``skimage.data.chelsea()``, 300x451 RGB), read at run time."""
    from skimage import data  # noqa: PLC0415 - optional heavy import, only when the sample is shown

    return np.asarray(data.chelsea(), dtype=np.uint8)


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, as Pillow's ``convert("L")``: ``L = 0.299 R + 0.587 G + 0.114 B`` (float, 0..255)."""
    arr = np.asarray(rgb, dtype=np.float64)
    if arr.ndim == 2:
        return arr
    return arr[..., :3] @ np.array([0.299, 0.587, 0.114])


def resize_to_fit(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink so the longer side is at most ``max_side`` (aspect kept, LANCZOS); never enlarges."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    img = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(img)


def to_display(values: np.ndarray, signed: bool | None = None) -> np.ndarray:
    """Map a feature map to ``uint8`` for display.

    Non-negative maps scale ``0..max`` to black..white; maps with negative values
    (``signed``) put 0 at mid-grey: ``128 + 127 * v / max|v|``.
    """
    v = np.asarray(values, dtype=np.float64)
    if signed is None:
        signed = bool((v < 0).any())
    if signed:
        peak = float(np.abs(v).max()) or 1.0
        return np.clip(128 + 127 * v / peak, 0, 255).astype(np.uint8)
    peak = float(v.max()) or 1.0
    return np.clip(255 * v / peak, 0, 255).astype(np.uint8)
