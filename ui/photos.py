"""Image source picker: the package-shipped sample photo or an upload, decoded safely and cached."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from cnn_core.core.images import ImageDecodeError, decode_image, load_sample_photo, resize_to_fit
from ui.common import labeler, max_upload_bytes, show_error, t
from ui.url_rules import Choice

PHOTO_MAX_SIDE = 360


@st.cache_data(show_spinner=False)
def sample_photo(max_side: int = PHOTO_MAX_SIDE) -> np.ndarray:
    return resize_to_fit(load_sample_photo(), max_side)


@st.cache_data(show_spinner=False, max_entries=16)
def decode_upload(data: bytes, max_bytes: int, max_side: int = PHOTO_MAX_SIDE) -> np.ndarray:
    return decode_image(data, max_bytes=max_bytes, max_side=max_side)


def photo_url_state(prefix: str, extra_sources: tuple[str, ...] = ()) -> dict:
    """The photo picker's source choice as URL state (uploads themselves never go into a link)."""
    return {f"{prefix}_source": Choice(("sample", "upload", *extra_sources))}


def photo_picker(prefix: str, max_side: int = PHOTO_MAX_SIDE, extra_sources: tuple[str, ...] = ()) -> np.ndarray | None:
    """RGB ``uint8`` photo chosen by the user, or ``None`` (with a message shown) when there is none yet.

    Widget keys: ``{prefix}_source`` and ``{prefix}_upload``. ``extra_sources`` are
    returned to the caller as the string itself when chosen (e.g. ``"dataset"``).
    """
    source = st.radio(
        t("photo.source"),
        ["sample", "upload", *extra_sources],
        key=f"{prefix}_source",
        horizontal=True,
        format_func=labeler("photo.source_"),
    )
    if source == "sample":
        try:
            return sample_photo(max_side)
        except (ImportError, OSError) as err:
            st.warning(t("photo.sample_missing", reason=str(err)))
            return None
    if source in extra_sources:
        return source  # type: ignore[return-value]
    upload = st.file_uploader(
        t("photo.upload", limit=max_upload_bytes() // (1024 * 1024)),
        type=None,  # any file: our decoder refuses GIF, TIFF and the rest in the learner's language
        key=f"{prefix}_upload",
        help=t("photo.upload_help"),
    )
    if upload is None:
        st.info(t("photo.upload_hint"))
        return None
    try:
        return decode_upload(upload.getvalue(), max_upload_bytes(), max_side)
    except ImageDecodeError as err:
        show_error("image_errors", err)
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def png(image: np.ndarray) -> bytes:
    """PNG bytes of a ``uint8`` image, cached: re-encoding the same picture on every rerun costs the server."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buf, "PNG", compress_level=1)
    return buf.getvalue()
