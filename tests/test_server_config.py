"""The server's defaults: localhost only, an upload limit, no file watcher scanning the virtualenv."""

import tomllib

from cnn_core.core.settings import load_settings
from tests.helpers import ROOT


def test_server_binds_to_localhost_with_an_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["server"]["maxUploadSize"] == 20
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNN_CLASSROOM_MAX_UPLOAD_MB", "3")
    settings = load_settings()
    assert settings.data_roots == ((tmp_path / "a").resolve(), (tmp_path / "b").resolve())
    assert settings.runs_dir == (tmp_path / "runs").resolve()
    assert settings.max_upload_bytes == 3 * 1024 * 1024
    monkeypatch.setenv("CNN_CLASSROOM_MAX_UPLOAD_MB", "lots")
    assert load_settings().max_upload_bytes == 20 * 1024 * 1024
