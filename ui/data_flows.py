"""Getting the cats-vs-dogs data: build the book's subset from Kaggle's folder, or download PetImages."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from cnn_core.core.settings import home_dir, load_settings
from cnn_core.data.acquire import build_subset, download_pet_images, find_kaggle_folders, kaggle_sources
from cnn_core.data.datasets import PathOutsideRootsError, resolve_inside
from cnn_core.data.reports import DatasetError, root_labels, short_label
from ui.common import t

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def _writable_roots() -> list[Path]:
    roots = list(load_settings().data_roots) or [home_dir() / "data"]
    out = []
    for root in roots:
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = root / ".write_probe"
            probe.write_text("")
            probe.unlink()
            out.append(root)
        except OSError:
            continue
    return out


def data_flows() -> None:
    """The "get the data" expander of the training lab."""
    roots = load_settings().data_roots
    with st.expander(t("data.title")):
        st.markdown(t("data.kaggle_intro"))
        folders = [str(p) for p in find_kaggle_folders(roots)]
        writable = [str(p) for p in _writable_roots()]
        if not folders:
            st.caption(t("data.no_kaggle", roots=root_labels(roots)))
        else:
            source = st.selectbox(
                t("data.kaggle_folder"), folders, key="data_kaggle_folder", format_func=lambda f: short_label(f, roots)
            )
            name = st.text_input(t("data.output_name"), "cats_vs_dogs_small", key="data_output_name")
            target_root = (
                st.selectbox(
                    t("data.target_root"), writable, key="data_target_root", format_func=lambda r: Path(r).name
                )
                if writable
                else None
            )
            if st.button(t("data.build"), key="data_build", disabled=target_root is None):
                if not NAME_PATTERN.match(name):
                    st.error(t("data.bad_name"))
                else:
                    try:
                        out = resolve_inside(Path(target_root) / name, roots)
                        if out.exists():
                            raise DatasetError(t("data.exists", path=short_label(out, roots)))
                        bar = st.progress(0.0, text=t("data.building"))
                        counts = build_subset(
                            kaggle_sources(Path(source)),
                            out,
                            progress=lambda f, text: bar.progress(min(f, 1.0), text=text),
                        )
                        st.success(t("data.built", path=short_label(out, roots), counts=str(counts)))
                        st.cache_data.clear()
                    except (DatasetError, PathOutsideRootsError, OSError) as err:
                        st.error(str(err))
        st.divider()
        st.markdown(t("data.download_intro"))
        if writable:
            root = st.selectbox(
                t("data.target_root"), writable, key="data_download_root", format_func=lambda r: Path(r).name
            )
            if st.button(t("data.download"), key="data_download"):
                bar = st.progress(0.0, text=t("data.downloading"))
                try:
                    out = download_pet_images(
                        Path(root), roots, progress=lambda f, text: bar.progress(min(f, 1.0), text=text)
                    )
                    st.success(t("data.built", path=short_label(out, roots), counts=""))
                    st.cache_data.clear()
                except (DatasetError, PathOutsideRootsError) as err:
                    st.error(str(err))
                except OSError as err:
                    st.error(
                        t(
                            "data.download_failed",
                            reason=str(err)[:300],
                            path=f"{Path(root).name}/kagglecatsanddogs.zip",
                        )
                    )
