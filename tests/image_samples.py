"""Small image files of every awkward kind, generated in memory (no shipped binaries)."""

import io

import numpy as np
from PIL import Image


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def gradient(size=(48, 64)) -> Image.Image:
    h, w = size
    arr = np.zeros((h, w, 3), np.uint8)
    arr[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    arr[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    return Image.fromarray(arr, "RGB")


def samples() -> dict[str, bytes]:
    """name -> file bytes. Names ending in ``_ok`` must decode; the rest must be refused."""
    base = gradient()
    jpeg = encode(base, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    sixteen = Image.fromarray((np.arange(48 * 64).reshape(48, 64) * 20).astype(np.uint16))
    return {
        "jpeg_ok": jpeg,
        "png_ok": encode(base, "PNG"),
        "webp_ok": encode(base, "WEBP"),
        "bmp_ok": encode(base, "BMP"),
        "rgba_png_ok": encode(base.convert("RGBA"), "PNG"),
        "palette_png_ok": encode(base.convert("P"), "PNG"),
        "palette_transparent_png_ok": encode(base.convert("P"), "PNG", transparency=0),
        "cmyk_jpeg_ok": encode(base.convert("CMYK"), "JPEG"),
        "png16_ok": encode(sixteen, "PNG"),
        "grey_png_ok": encode(base.convert("L"), "PNG"),
        "exif_rotated_jpeg_ok": encode(base, "JPEG", exif=exif),
        "text_as_jpg": b"This is a text file renamed to .jpg\n" * 4,
        "truncated_jpeg": jpeg[: len(jpeg) // 2],
        "one_pixel_png": encode(Image.new("RGB", (1, 1)), "PNG"),
        "gif": encode(base, "GIF"),
        "empty": b"",
    }


def huge_png(side: int = 10_000) -> bytes:
    """A small file that decodes to ``side`` x ``side`` pixels (a decompression bomb)."""
    return encode(Image.new("1", (side, side)), "PNG", optimize=True)
