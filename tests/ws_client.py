"""A Streamlit websocket client speaking the same protobuf messages as the browser (load and fault tests)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent


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
        self.fragments: dict[str, str] = {}
        """widget key -> the id of the fragment that drew it: a browser reruns only that fragment on a change."""
        self.values: dict[str, tuple[str, object]] = {}
        self.errors = 0

    def run(self, widget_key: str | None = None, field: str = "", value: object = None, timeout: float = 60) -> float:
        """One script run (optionally with one widget's new value); returns its latency in seconds.

        Texts of metrics, errors and markdown seen during the run are kept in ``self.texts``, its ``new_session``
        message in ``self.new_session``."""
        self.texts: list[str] = []
        self.new_session = None
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = "lang=en"
        state.page_name = self.page
        if widget_key is not None and field != "trigger_value":
            self.values[widget_key] = (field, value)  # like a browser, keep sending the values already set
        sent = dict(self.values)
        if widget_key is not None and field == "trigger_value":
            sent[widget_key] = (field, value)
        if widget_key is not None and self.fragments.get(widget_key):
            state.fragment_id = self.fragments[widget_key]
        for key, (kind, val) in sent.items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[key]
            setattr(widget, kind, val)
        start = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        deadline = time.time() + timeout
        while time.time() < deadline:
            forward = ForwardMsg.FromString(self.ws.recv(timeout=timeout))
            if forward.HasField("new_session"):
                self.new_session = forward.new_session
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
                    key = wid.rsplit("-", 1)[-1]
                    self.widget_ids[key] = wid
                    self.fragments[key] = forward.delta.fragment_id
            if forward.HasField("script_finished"):
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the run was cut short for a rerun (st.rerun): the page is drawn by the next one
                return time.perf_counter() - start
        raise TimeoutError("script run did not finish")

    def join(self, key: str, nickname: str) -> None:
        """Sign in on a classroom server through the join form, as a browser would."""
        self.run()
        self.run("classroom_key", "string_value", key)
        self.run("classroom_nickname", "string_value", nickname)
        self.run("classroom_join_submit", "trigger_value", True)
        if not any(f"Signed in as **{nickname}**" in text for text in self.texts):
            raise RuntimeError(f"could not join as {nickname!r}: {self.texts[:3]}")

    def watch(self, widget_key: str, on_value, stop, timeout: float = 0.5) -> None:
        """Read what the server pushes (a follower's reruns) until ``stop`` is set; call ``on_value(value, time)``
        each time a number input ``widget_key`` is drawn. Exceptions drawn count in ``self.errors``."""
        while not stop.is_set():
            try:
                raw = self.ws.recv(timeout=timeout)
            except TimeoutError:
                continue
            forward = ForwardMsg.FromString(raw)
            if not (forward.HasField("delta") and forward.delta.HasField("new_element")):
                continue
            element = forward.delta.new_element
            kind = element.WhichOneof("type")
            if kind == "exception":
                self.errors += 1
            elif kind == "number_input" and element.number_input.id.endswith("-" + widget_key):
                box = element.number_input
                on_value(box.value if box.HasField("value") else box.default, time.perf_counter())

    def close(self) -> None:
        self.ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict, extra_args: tuple[str, ...] = (), log: Path | None = None) -> subprocess.Popen:
    """A dashboard server on ``port``, ready; its output to ``log`` when given (else discarded)."""
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
        *extra_args,
    ]
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    if log is not None:
        out.close()
    tls = "--server.sslCertFile" in extra_args  # the test's own self-signed certificate: not verified here
    scheme, context = ("https", ssl._create_unverified_context()) if tls else ("http", None)  # noqa: S323
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/_stcore/health", timeout=2, context=context).read() == b"ok":  # fmt: skip
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")
