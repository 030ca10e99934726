"""A Streamlit websocket client speaking the same protobuf messages as the browser (load and fault tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout: float = 120.0, every: float = 0.05):
    """Poll ``predicate`` until it returns something truthy (and return that); ``AssertionError`` on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


class Session:
    """One browser-like session speaking Streamlit's websocket protocol."""

    def __init__(self, port: int, page: str) -> None:
        self.ws = connect(
            f"ws://127.0.0.1:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=30,
            legacy=True,
        )
        self.page = page
        self.widget_ids: dict[str, str] = {}
        self.values: dict[str, tuple[str, object]] = {}
        self.errors = 0

    def run(self, widget_key: str | None = None, field: str = "", value: object = None, timeout: float = 60) -> float:
        """One script run (optionally with one widget's new value); returns its latency in seconds.

        Texts of metrics, errors and markdown seen during the run are kept in ``self.texts``."""
        self.texts: list[str] = []
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = "lang=en"
        state.page_name = self.page
        if widget_key is not None and field != "trigger_value":
            self.values[widget_key] = (field, value)  # like a browser, keep sending the values already set
        sent = dict(self.values)
        if widget_key is not None and field == "trigger_value":
            sent[widget_key] = (field, value)
        for key, (kind, val) in sent.items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[key]
            setattr(widget, kind, val)
        start = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        deadline = time.time() + timeout
        while time.time() < deadline:
            forward = ForwardMsg.FromString(self.ws.recv(timeout=timeout))
            if forward.HasField("delta") and forward.delta.HasField("new_element"):
                element = forward.delta.new_element
                kind = element.WhichOneof("type")
                if kind == "exception":
                    self.errors += 1
                if kind == "metric":
                    self.texts.append(f"{element.metric.label}={element.metric.body}")
                elif kind in ("markdown", "alert"):
                    self.texts.append(getattr(element, kind).body)
                inner = getattr(element, kind, None) if kind else None
                wid = getattr(inner, "id", "") if inner is not None else ""
                if wid and "-" in wid:
                    self.widget_ids[wid.rsplit("-", 1)[-1]] = wid
            if forward.HasField("script_finished"):
                return time.perf_counter() - start
        raise TimeoutError("script run did not finish")

    def close(self) -> None:
        self.ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")
