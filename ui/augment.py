"""Cached augmentation pipelines for the page: one Keras model per setting, shared by all sessions."""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from cnn_core.data.augmentation import (
    AugmentationSettings,
    augment_epochs,
    augment_grid,
    build_pipeline,
    has_random_shear,
)


@st.cache_resource(show_spinner=False)
def shear_available() -> bool:
    return has_random_shear()


@st.cache_resource(show_spinner=False, max_entries=32)
def _pipeline(settings_json: str):
    """(keras model, lock): built once per setting; the lock keeps reseed+call atomic across sessions."""
    return build_pipeline(AugmentationSettings.from_json(settings_json)), threading.Lock()


@st.cache_data(show_spinner=False, max_entries=64)
def _grid(settings_json: str, image: np.ndarray, count: int, seed: int) -> np.ndarray:
    model, lock = _pipeline(settings_json)
    with lock:
        return augment_grid(model, image, count, seed)


@st.cache_data(show_spinner=False, max_entries=64)
def _epochs(settings_json: str, image: np.ndarray, epochs: int, seed: int) -> np.ndarray:
    model, lock = _pipeline(settings_json)
    with lock:
        return augment_epochs(model, image, epochs, seed)


def augmented_grid(settings: AugmentationSettings, image: np.ndarray, count: int, seed: int) -> np.ndarray:
    return _grid(settings.to_json(), image, count, seed)


def augmented_epochs(settings: AugmentationSettings, image: np.ndarray, epochs: int, seed: int) -> np.ndarray:
    return _epochs(settings.to_json(), image, epochs, seed)
