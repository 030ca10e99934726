"""Streamlit-side helpers shared by the pages (the engine lives in ``cnn_core``)."""
