"""Browser checks of what a lecturer and a learner hit (issue 15), one test per point, in headless Chromium."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.test_browser import _assert_clean, _open
from tests.helpers import ROOT

SERVER_PATH = re.compile(r"(/work/|/tmp/|/home/|/root/|site-packages|\.py\b)")


def _go(page, server, path: str, lang: str, **params: str) -> None:
    """Open ``path`` with ``lang`` and more query parameters (``lecture="1"``, ...) and wait for it to settle."""
    query = "&".join(f"{k}={v}" for k, v in {"lang": lang, **params}.items())
    page.goto(f"{server}/{path}?{query}")
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]') && !document.querySelector('[data-testid=stSkeleton]')",
        timeout=60_000,
    )


def _no_traceback(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text and "Ask Google" not in text and not SERVER_PATH.search(text), text[:500]
    _assert_clean(page)


# 1. No traceback: the filter pattern of the ImageNet classifier; errors become a message with an id
def test_filter_pattern_of_the_imagenet_classifier(server, page):
    _open(page, server, "inside", "ko")
    page.get_by_role("tab", name="필터").click()
    page.get_by_role("button", name=re.compile("패턴 보기")).click()
    page.get_by_text(re.compile("필터 #?0")).first.wait_for(timeout=180_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=180_000)
    _no_traceback(page)


# 2. Lecturer mode at projector size, values at least as large as labels, nothing clipped: every page's lecturer-mode
# visit of the crawler (tests/e2e/test_crawler.py, check_projector_layout)
def test_lecturer_grids_are_large(server, page):
    _go(page, server, "convolution", "en", lecture="1")
    width = page.evaluate("() => document.querySelector('table.cnn-grid td').getBoundingClientRect().width")
    assert width >= 50


# 3. Prepared links restore everything: the 155 example with its Sobel kernel
def test_book_155_link_restores_the_kernel(server, page, browser):
    _open(page, server, "convolution", "en")
    page.get_by_role("button", name="Book example (155)").click()
    page.get_by_text(re.compile(r"= 155")).first.wait_for(timeout=20_000)
    page.wait_for_function("() => location.search.includes('conv_kernel_values')", timeout=10_000)
    link = page.url
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(link)
    fresh.get_by_text(re.compile(r"= 155")).first.wait_for(timeout=60_000)
    fresh.context.close()


# 4. Pooling shows its answer: the winner cell is readable in every mode
def _contrast(page, selector: str) -> float:
    return page.evaluate(
        """sel => {
             const e = document.querySelector(sel), s = getComputedStyle(e);
             const rgb = c => c.match(/\\d+/g).slice(0, 3).map(Number).map(v => v / 255)
               .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
             const lum = c => { const [r, g, b] = rgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
             const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
             return (a + 0.05) / (b + 0.05);
           }""",
        selector,
    )


@pytest.mark.parametrize("query", ["", "lecture=1", "projector=1"])
def test_pooling_winner_is_readable(server, page, query):
    _go(page, server, "pooling", "en", **dict([query.split("=")] if query else []))
    assert _contrast(page, "table.cnn-grid td.best") >= 4.5
    assert _contrast(page, "table.cnn-grid td.cur") >= 4.5


# 5. Training feedback: the preset's epochs, stopping, the queue, and only this browser's run
def test_lecture_preset_shows_its_epochs(server, page):
    from cnn_core.training.registry import STRATEGIES

    epochs = STRATEGIES["scratch"].lecture.epochs
    _open(page, server, "train", "en")
    page.locator(".st-key-train_preset").get_by_text(re.compile("^Lecture")).first.click()
    page.wait_for_function(
        f"() => [...document.querySelectorAll('input')].some(i => i.placeholder === '{epochs}')", timeout=20_000
    )


def test_lab_from_the_transfer_guide_shows_no_one_elses_run(server, page, browser):
    other = browser.new_context().new_page()
    _open(other, server, "train", "en")
    other.get_by_role("button", name="Launch").click()
    other.get_by_role("button", name=re.compile("^Stop")).first.wait_for(timeout=60_000)
    _open(page, server, "transfer", "en")
    page.get_by_role("button", name=re.compile("Open the training lab")).click()
    page.get_by_text(re.compile("No run launched from this browser")).first.wait_for(timeout=30_000)
    assert page.get_by_role("button", name=re.compile("^Stop")).count() == 0
    other.get_by_role("button", name=re.compile("^Stop")).first.click()
    other.get_by_text(re.compile("Stopping|Stopped")).first.wait_for(timeout=30_000)
    other.context.close()


# 6. The comparison chart with many runs: a readable plot, one legend entry per run, translated names
def test_comparison_chart_with_all_recorded_runs(server, page):
    recorded = ",".join(f"recorded-{p.stem}" for p in sorted((ROOT / "assets" / "recorded_runs").glob("*.json")))
    _go(page, server, "runs", "ko", runs_compare=recorded)
    page.get_by_role("tab", name="비교").click()
    page.locator(".js-plotly-plot:visible").first.wait_for(timeout=30_000)
    plot_height = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null).querySelector('.nsewdrag').getBoundingClientRect().height"
    )
    assert plot_height >= 200
    legend = page.evaluate(
        "() => [...[...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null).querySelectorAll('.legendtext')].map(e => e.textContent)"
    )
    assert len(legend) == 5 + 2 and not any(text.startswith("Recorded") for text in legend), legend
    boxes = page.evaluate(
        "() => [...[...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null).querySelectorAll('.annotation')].map(a => { const r = a.getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    boxes.sort()
    assert all(a[1] <= b[0] + 1 for a, b in zip(boxes, boxes[1:], strict=False)), boxes
    _no_traceback(page)


# 7. Text: Korean tables in Korean, image refusals in the learner's language, no raw paths, /home works
def test_korean_parameter_tables_are_korean(server, page):
    """The tables are drawn on a canvas: read what the server sent the browser (the grids' Arrow data)."""
    frames: list[bytes] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda data: frames.append(data if isinstance(data, bytes) else data.encode())
        ),
    )
    _open(page, server, "parameters", "ko")
    page.wait_for_timeout(1_000)
    sent = b"".join(frames)
    assert "필터 32개".encode() in sent and "채널 수 유지".encode() in sent
    assert b"32 filters" not in sent and b"channels kept" not in sent


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, "GIF")
    return buf.getvalue()


def test_gif_upload_is_refused_in_korean(server, page):
    _open(page, server, "convolution", "ko")
    page.get_by_text("업로드").first.click()
    page.locator("input[type=file]").first.set_input_files(
        {"name": "cat.gif", "mimeType": "image/gif", "buffer": _gif()}
    )
    page.get_by_text(re.compile("GIF.*지원하지 않습니다")).first.wait_for(timeout=30_000)
    _no_traceback(page)


def test_home_path_opens_the_home_page(server, page):
    _open(page, server, "home", "en")
    page.get_by_role("heading", name="CNN Classroom").first.wait_for(timeout=30_000)
    assert "Page not found" not in page.inner_text("body")


# 8. Presenter keys, layout, projector theme and help text
def test_arrow_keys_step_the_convolution(server, page):
    _open(page, server, "convolution", "en")
    before = page.locator("[data-testid=stSlider]").last.inner_text()
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "b => [...document.querySelectorAll('[data-testid=stSlider]')].pop().innerText !== b",
        arg=before,
        timeout=10_000,
    )


def test_presenter_layout_and_projector_theme(server, page):
    _go(page, server, "convolution", "en", lecture="1", projector="1")
    collapsed = page.evaluate("() => document.querySelector('[data-testid=stSidebar]').getAttribute('data-collapsed')")
    assert collapsed == "true"
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('[data-testid=stAppViewContainer]')).backgroundColor === 'rgb(0, 0, 0)'",
        timeout=20_000,
    )


def test_controls_have_help_text(server, page):
    _open(page, server, "convolution", "en")
    page.locator("[data-testid=stTooltipIcon]").nth(9).wait_for(timeout=20_000)


def test_a_queued_run_shows_its_place(server, page):
    _open(page, server, "train", "en")
    epochs = page.get_by_role("spinbutton", name=re.compile("^Epochs"))
    epochs.fill("3")  # the book's 180 px images, 3 epochs: long enough to queue behind, short for the suite
    epochs.press("Enter")
    page.get_by_role("button", name="Launch").click()
    page.get_by_role("button", name=re.compile("^Stop")).first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Launch").click()  # the live view now follows the second, queued run
    page.get_by_text(re.compile(r"number 1 in line")).first.wait_for(timeout=30_000)
    page.get_by_role("button", name=re.compile("^Stop")).first.click()  # a queued run is cancelled at once
    page.get_by_text(re.compile("stopped|stopping", re.I)).first.wait_for(timeout=30_000)
