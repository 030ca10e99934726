"""A crawler over every page, in both languages, in normal and lecturer mode, in headless Chromium.

On each page it finds every keyed control (Streamlit gives each element a ``st-key-<key>`` class) and
every tab, shuffles them with a fixed seed and exercises up to a bounded number: buttons clicked,
number boxes set to their minimum and maximum, sliders to both ends, every option of selects and radios
picked, switches flipped, the test images uploaded (a photo, a GIF, a text file). After every action the
page must settle with no exception, no error-boundary message, no console error and no server path in
its text. Lecturer mode runs at 1280x720 (a projector) and also checks that every metric value is at least as
large as its label. The controls found and exercised per page are printed at the end of the run
(``tests/e2e/conftest.py``).

The accessibility checks ride on the same visits (``tests/e2e/accessibility.py``): axe-core on the page as it
opens (and, in lecturer mode, again with the projector theme switched on from the sidebar), every chart with its
text alternative, a focus ring on each of the first tab stops, and after the controls the layout at 1400x1000 and
1280x720 with the sidebar open and closed, and at 390x844 (a phone): nothing cut off, no sideways scrolling, touch
targets of 24 x 24 px (``LAYOUTS`` spreads the states over a page's visits).

Buttons that start trainings (one run, the whole story or its preparation), build or download datasets, or delete
runs are left out, and so are the global language, lecturer and projector switches and the story's replay button:
their effects have tests of their own, and they would make the crawl slow and order-dependent. The replay's own
browser check rides on the training lab's English visit (:func:`check_replay`).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.accessibility import (
    axe_violations,
    charts_without_alternative,
    check_layouts,
    focus_problems,
    set_sidebar,
)
from tests.e2e.conftest import CRAWL_COVERAGE, replay_position, watch
from tests.image_samples import samples

PAGES = [
    "",
    "convolution",
    "pooling",
    "parameters",
    "augmentation",
    "train",
    "runs",
    "board",
    "mnist",
    "inside",
    "transfer",
]
TITLES = {
    "convolution": {"ko": "합성곱: 패딩, 보폭, 팽창", "en": "Convolution: padding, stride, dilation"},
    "pooling": {"ko": "풀링", "en": "Pooling"},
    "parameters": {"ko": "파라미터 수", "en": "Parameter counts"},
    "augmentation": {"ko": "데이터 증식", "en": "Data augmentation"},
    "train": {"ko": "훈련 실습실", "en": "Training lab"},
    "inside": {"ko": "모델 속 들여다보기", "en": "Inside the model"},
    "transfer": {"ko": "전이 학습 안내", "en": "Transfer-learning guide"},
    "runs": {"ko": "실행 기록", "en": "Runs"},
    "board": {"ko": "클래스 보드", "en": "Class board"},
    "mnist": {"ko": "MNIST: 밀집층 신경망 대 합성곱 신경망", "en": "MNIST: dense network vs convnet"},
    "": {"ko": "CNN 교실", "en": "CNN Classroom"},  # the home page lives at the root
}
"""Each page's heading per language: every visit opens on it."""
METRIC_PAGES = {"convolution", "parameters", "pooling", "train"}
"""Pages that open with metrics: their lecturer-mode visit must find some to check."""
MODES = {"normal": ({"width": 1400, "height": 1000}, 8), "lecture": ({"width": 1280, "height": 720}, 2)}
"""Viewport and the most controls exercised per page visit (the crawl must fit in CI; lecturer mode's own check is
the projector layout, done on every visit before any control is touched)."""
SLOW_PAGES = {"augmentation": 0.5}
"""Pages whose every action reruns real Keras layers on images (~5 s on 2 cores): a share of the budget, so that the
crawl fits in CI (their controls are all set by ``test_url_round_trip`` and the page's own tests)."""
SKIPPED = re.compile(
    r"^(lang|lecture|projector|train_launch|train_story|train_story_prepare|train_story_view_play|mnist_launch.*|data_.*|runs_delete.*|runs_rename.*|.*_download.*|inside_pattern_go)$"
)
OWN_MODEL = (Path(__file__).parent.parent / "model_corpus" / "tf_tutorial_cnn_cifar10.py").read_text()
STATES = {
    "transfer": {"scenario 4": {"transfer_size": "large", "transfer_domain": "different"}},
    "train": {
        "own model check": {"train_strategy": "own_model", "train_dataset": "synthetic", "train_model_code": OWN_MODEL}
    },
}
"""States a page reaches only after input, visited on the same page visit (both themes in lecturer mode) for the axe
and layout checks: a chosen transfer scenario, a learner's model with the launch check's panel and its fix. (The class
challenge, open and ended, is checked on the classroom server: ``tests/e2e/test_classroom.py``.)"""
SERVER_PATH = re.compile(r"(/work/|/tmp/|/home/\w|/root/|site-packages|\w+\.py\b)")
ERROR_ID = re.compile(r"\bE-[0-9a-f]{8}\b")
IMAGES = samples()
UPLOADS = [
    ("photo.jpg", "image/jpeg", IMAGES["jpeg_ok"]),
    ("anim.gif", "image/gif", IMAGES["gif"]),
    ("notes.jpg", "image/jpeg", IMAGES["text_as_jpg"]),
]

FIND_CONTROLS = """() => {
  const kinds = ['stButton', 'stDownloadButton', 'stNumberInput', 'stSlider', 'stSelectbox', 'stMultiSelect',
                 'stRadio', 'stCheckbox', 'stFileUploader', 'stTextInput', 'stTextArea'];
  return [...document.querySelectorAll('[class*="st-key-"]')]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > 0)
    .map(e => {
      const key = [...e.classList].find(c => c.startsWith('st-key-')).slice(7);
      const kind = kinds.find(k => e.matches(`[data-testid=${k}]`) || e.querySelector(`[data-testid=${k}]`)) || '';
      return [key, kind];
    });
}"""


def settle(page) -> None:
    """Wait until the rerun is over and no element is still a loading skeleton."""
    page.wait_for_timeout(150)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]') && !document.querySelector('[data-testid=stSkeleton]')",
        timeout=90_000,
    )


def check(page, where: str) -> None:
    assert not page.query_selector("[data-testid=stException]"), where
    text = page.inner_text("body")
    assert not ERROR_ID.search(text), f"{where}: the error boundary caught something"
    match = SERVER_PATH.search(text)
    assert not match, f"{where}: server path {match.group(0)!r} shown"
    assert page.console_errors == [], f"{where}: {page.console_errors}"
    broken = broken_images(page)
    assert not broken, f"{where}: broken images {broken}"


BROKEN_IMAGES = "() => [...document.images].filter(i => i.offsetParent !== null && i.complete && i.naturalWidth === 0).map(i => i.src)"


def broken_images(page, wait_ms: int = 5_000) -> list[str]:
    """Images shown broken once the latest rerun's images are in: an image of the rerun before may still be in the
    page for a moment after Streamlit dropped its file (a 404 on /media/), until the new element replaces it."""
    try:
        page.wait_for_function(f"() => ({BROKEN_IMAGES})().length === 0", timeout=wait_ms)
    except Exception:  # noqa: BLE001 - still broken after the wait: report them
        return page.evaluate(BROKEN_IMAGES)
    return []


LAYOUTS = {
    ("normal", "en"): [("desktop", True), ("desktop", False), ("phone", False)],
    ("normal", "ko"): [("projector", False), ("projector", True), ("phone", False)],
    ("lecture", "en"): [("projector", True), ("desktop", False)],
    ("lecture", "ko"): [("projector", False), ("desktop", True)],
}
"""(viewport, sidebar open) states checked after the controls, from the visit's own viewport outwards: each page
gets every state in each mode over its two languages' visits (the phone in both), which halves the crawl's time."""


def check_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}: axe-core found " + "\n".join(violations)
    missing = charts_without_alternative(page)
    assert not missing, f"{where}: charts without a text alternative {missing}"


def check_projector_layout(page, where: str, metrics_expected: bool = False) -> None:
    """Lecturer mode at projector size: every metric's value at least as large as its label (``metrics_expected``:
    the page shows metrics here, so the check is not empty). Clipped text at projector size is
    :func:`~tests.e2e.accessibility.check_layouts`'s (``LAYOUTS``)."""
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMetric]')].filter(m => m.offsetParent !== null).map(m => {
             const size = e => parseFloat(getComputedStyle(e.querySelector('p') || e).fontSize);
             return [size(m.querySelector('[data-testid=stMetricValue]')), size(m.querySelector('[data-testid=stMetricLabel]')), m.innerText];
           })"""
    )
    assert sizes or not metrics_expected, f"{where}: no metric on the page"
    small = [s for s in sizes if s[0] < s[1]]
    assert not small, f"{where}: metric values smaller than labels {small}"


def check_replay(page, context, url: str) -> None:
    """The story's replay at speed, on a fresh clone's shipped recordings: it opens on the whole story, plays (the
    recordings' curves grow on the chart, labelled), pauses into the URL, and that URL opens at the same epoch."""
    page.goto(f"{url}&story_speed=60")  # 100 epochs in 60 s: a loaded machine's late click still pauses mid-way
    page.wait_for_selector("h1", timeout=90_000)
    settle(page)
    assert replay_position(page) == (100, 100)
    legend = page.locator("svg .legendtext", has_text="Recording · 1.")
    legend.first.wait_for(timeout=30_000)  # Plotly draws after the run settles
    assert legend.count() == 1  # labelled as a recording
    page.locator(".st-key-train_story_view_play button").click()
    growing = "() => { const m = /Replay: epoch (\\d+) of/.exec(document.body.innerText); return m && +m[1] >= %d && +m[1] < 100; }"
    page.wait_for_function(growing % 1, timeout=10_000, polling=100)
    first, _ = replay_position(page)
    page.wait_for_function(growing % (first + 3), timeout=15_000, polling=100)  # about 2 epochs a second
    later, longest = replay_position(page)
    assert 0 < first < later < longest, (first, later, page.url)
    page.locator(".st-key-train_story_view_play button").click()  # pause
    page.wait_for_function("() => /story_play=0/.test(location.search)")
    settle(page)
    paused, _ = replay_position(page)
    assert later <= paused < longest and f"story_epoch={paused}" in page.url
    link = context.new_page()
    link.goto(page.url)
    link.wait_for_selector("h1", timeout=90_000)
    settle(link)
    assert replay_position(link) == (paused, longest)
    assert link.locator(".st-key-story_scrub input[type=range]").input_value() == str(paused)
    link.close()


def projector_on(page) -> None:
    """Switch the projector theme on from the sidebar, as a lecturer would, and close the sidebar again."""
    set_sidebar(page, True)
    switch = page.locator(".st-key-projector input").first
    if not switch.is_checked():
        page.locator(".st-key-projector label").first.click()
        settle(page)
    page.wait_for_function("() => /projector=1/.test(location.search)")
    set_sidebar(page, False)


def exercise(page, key: str, kind: str) -> int:
    """Act on one control; returns how many interactions were made."""
    root = page.locator(f".st-key-{key}").first
    if kind in ("stButton", "stDownloadButton"):
        button = root.locator("button").first
        if button.is_enabled():
            button.click()
            return 1
        return 0
    if kind == "stNumberInput":
        box = root.locator("input").first
        if not box.is_enabled():
            return 0
        for value in ("-1000000000", "1000000000"):
            box.fill(value)
            box.press("Enter")
            settle(page)
        return 2
    if kind == "stSlider":
        handle = root.locator("input[type=range]").first  # Streamlit's slider thumb (react-aria)
        for press in ("Home", "End"):
            handle.focus()
            handle.press(press)
            settle(page)
        return 2
    if kind in ("stSelectbox", "stMultiSelect"):
        field = root.locator("input").first
        if not field.is_enabled():
            return 0
        done = 0
        for _ in range(4):
            field.click()
            options = page.locator("[role=option]")
            if options.count() == 0:
                page.keyboard.press("Escape")
                break
            options.nth(min(done, options.count() - 1)).click()
            settle(page)
            done += 1
            root = page.locator(f".st-key-{key}").first
            if root.count() == 0:
                break
            field = root.locator("input").first
        return done
    if kind == "stRadio":
        labels = root.locator("label")
        count = min(labels.count(), 4)
        for i in range(count):
            target = page.locator(f".st-key-{key} label").nth(i)
            if target.count():
                target.click()
                settle(page)
        return count
    if kind == "stCheckbox":
        root.locator("label").first.click()
        return 1
    if kind == "stFileUploader":
        for name, mime, data in UPLOADS:
            root.locator("input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": data})
            settle(page)
        return len(UPLOADS)
    return 0


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_crawl(server, browser, path, lang, mode):
    viewport, budget = MODES[mode]
    budget = round(budget * SLOW_PAGES.get(path, 1.0))
    context = browser.new_context(viewport=viewport)
    page = watch(context.new_page())
    page.set_default_timeout(10_000)
    query = f"lang={lang}" + ("&lecture=1" if mode == "lecture" else "")
    page.goto(f"{server}/{path}?{query}")
    page.wait_for_selector("h1", timeout=90_000)
    settle(page)
    where = f"{path or 'home'}/{lang}/{mode}"
    assert page.get_by_role("heading", name=TITLES[path][lang]).count(), f"{where}: no heading {TITLES[path][lang]!r}"
    check(page, where)
    check_accessible(page, where)
    if mode == "normal":  # the lecturer's visit has the same controls, only larger
        unfocused = focus_problems(page)
        assert not unfocused, f"{where}: {unfocused}"
    if mode == "lecture":
        check_projector_layout(page, where, metrics_expected=path in METRIC_PAGES)
        projector_on(page)  # on the page as it opened: a control below may leave it (the transfer guide's lab button)
        check(page, f"{where}/projector")
        check_accessible(page, f"{where}/projector")
    for state, values in STATES.get(path, {}).items():
        page.goto(f"{server}/{path}?{query}{'&projector=1' if mode == 'lecture' else ''}&{urlencode(values)}")
        page.wait_for_selector("h1", timeout=90_000)
        settle(page)
        check(page, f"{where}/{state}")
        check_accessible(page, f"{where}/{state}")
    if path in STATES:  # the controls are exercised on the page as it opens
        page.goto(f"{server}/{path}?{query}{'&projector=1' if mode == 'lecture' else ''}")
        page.wait_for_selector("h1", timeout=90_000)
        settle(page)
    rng = random.Random(f"{path}-{lang}-{mode}")
    tabs = page.locator("[role=tab]:visible")  # tabs inside other tabs or closed expanders are not clickable
    tab_count = tabs.count()
    for i in range(tab_count):
        tab = page.locator("[role=tab]:visible").nth(i)
        if tab.count():
            tab.click()
            settle(page)
    found = {key: kind for key, kind in page.evaluate(FIND_CONTROLS) if not SKIPPED.match(key)}
    order = sorted(found)
    rng.shuffle(order)
    exercised = 0
    for key in order[:budget]:
        if page.locator(f".st-key-{key}").count() == 0:
            continue  # an earlier action hid it
        try:
            done = exercise(page, key, found[key])
        except PlaywrightTimeout:  # the control went away under an earlier action (a rerun replaced it)
            done = 0
        settle(page)
        check(page, f"{where} after {key}")
        exercised += done > 0
    if mode == "lecture":
        check_projector_layout(page, where)
    if path == "train" and mode == "normal" and lang == "en":
        check_replay(page, context, f"{server}/{path}?{query}")
    problems = check_layouts(page, where, LAYOUTS[mode, lang])
    if mode == "lecture":  # the projector theme, still on from the start of the visit
        page.set_viewport_size(viewport)
        set_sidebar(page, True)
        check(page, f"{where}/projector")
        check_accessible(page, f"{where}/projector")
        problems += check_layouts(page, f"{where}/projector", [("projector", True)])
    assert not problems, "\n".join(problems)
    CRAWL_COVERAGE[where] = (len(found), exercised, tab_count)
    context.close()


WARNINGS = re.compile(
    r"(deprecat\w*|will be removed|created with a default value but also had its value set via the Session State API"
    r"|missing i18n key)",
    re.IGNORECASE,
)
"""What the server must never log while the crawler drives it: a Streamlit or Keras deprecation (an upgrade would
switch something off), a widget given a default and a Session State value, a missing UI string."""


def test_the_server_log_has_no_deprecation_or_widget_warning(server):
    """Read after the crawl (the same server, every page in both languages and modes): the walk-through saw
    Streamlit's warning that ``st.components.v1.html`` "will be removed after 2026-06-01" at every sign-in, the
    ``conv_h`` default/Session State warning and missing ``custom.preset_`` strings."""
    log = server.log.read_text(errors="replace")
    assert "You can now view your Streamlit app" in log or "Local URL" in log, log[-2000:]
    found = sorted({line.strip()[:200] for line in log.splitlines() if WARNINGS.search(line)})
    assert not found, "\n".join(found)
