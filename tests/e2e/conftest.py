"""A real dashboard server and Debian's Chromium driven by Playwright (skipped where Chromium is missing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ws_client import free_port, start_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ServerURL(str):
    """The session server's address, with ``log``: its output (read by ``test_crawler.test_the_server_log_*``)."""

    log: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = os.environ | {
        "CNN_CLASSROOM_HOME": str(home),
        "CNN_CLASSROOM_DATA_DIRS": str(home / "data"),
        "CNN_CLASSROOM_RUNS_DIR": str(home / "runs"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    port = free_port()
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.log = home / "server.log"
    proc = start_server(port, env, log=url.log)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:  # a busy server (a model still loading) may ignore SIGTERM for a while
        proc.kill()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip("Debian chromium is not installed (bash scripts/test.sh installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


STALE_MEDIA = re.compile(r"Image source error - \S+/media/[0-9a-f]+\.\w+$")


def watch(pg):
    """Collect the page's console errors and failed responses (``pg.console_errors``, ``pg.failed_responses``)."""
    pg.console_errors = []
    # Streamlit's client also logs the stale /media/ image below ("Image source error"); the crawler checks instead
    # that no image left on the settled page is broken.
    pg.on(
        "console",
        lambda msg: (
            pg.console_errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text and not STALE_MEDIA.search(msg.text)
            else None
        ),
    )
    pg.failed_responses = []
    # Harmless 404s: Streamlit's client probes <page>/_stcore/health on deep links, and an image of the previous run
    # that the browser asks for just after a rerun replaced it (/media/). Anything else counts.
    pg.on(
        "response",
        lambda r: (
            pg.failed_responses.append(r.url)
            if r.status >= 400 and "/_stcore/" not in r.url and "/media/" not in r.url
            else None
        ),
    )
    return pg


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield watch(context.new_page())
    context.close()


CRAWL_COVERAGE: dict[str, tuple[int, int, int]] = {}
"""page/lang/mode -> (controls found, controls exercised, tabs opened), filled by the crawler."""


class RestartableServer:
    """A dashboard server that can be stopped and started again on the same port with the same environment."""

    def __init__(self, env: dict, args: tuple[str, ...] = (), port: int | None = None) -> None:
        self.port = port or free_port()
        self.env, self.args = env, args
        self.proc = start_server(self.port, self.env, self.args)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def restart(self) -> None:
        self.stop()
        self.proc = start_server(self.port, self.env, self.args)


REPLAY_POSITION = re.compile(r"Replay: epoch (\d+) of (\d+)")


def replay_position(pg) -> tuple[int, int]:
    """The training lab's story replay: its epoch and its length, as its progress bar says."""
    text = pg.locator("[data-testid=stProgress]").filter(has_text="Replay: epoch").first.inner_text()
    epoch, longest = REPLAY_POSITION.search(text).groups()
    return int(epoch), int(longest)
