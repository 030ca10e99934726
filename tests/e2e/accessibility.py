"""Accessibility and layout checks that ride on the crawler's page visits (no page is loaded for them alone).

- ``axe_violations``: axe-core 4 (bundled by ``axe-playwright-python``, injected into the page) with its WCAG 2.0/2.1
  A and AA rules and best practices; a violation counts when it is critical or serious, or one of ``ALWAYS_COUNTED``,
  and is not in ``ALLOWLIST``.
- ``layout_problems``: text cut off (formulas, buttons, labels, select values, metrics, tables, placeholders), a page
  that scrolls sideways, and on a phone-sized viewport controls smaller than 24 x 24 px (WCAG 2.2 target size).
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python

AXE_SOURCE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text(encoding="utf-8")
ALWAYS_COUNTED = {"image-alt", "heading-order", "empty-table-header", "color-contrast", "label", "button-name"}
"""Rules that count whatever impact axe gives them (heading order is only "moderate" to axe)."""
ALLOWLIST: dict[str, str] = {}
"""The only violations allowed, each with the reason it cannot be fixed from the app: rule id -> why. Empty: the one
Streamlit brought (its sidebar navigation's list markup: ``list``, ``listitem``) is worked around by drawing the
page menu with ``st.page_link`` (``ui/accessibility.py``)."""
VIEWPORTS = {"projector": (1280, 720), "desktop": (1400, 1000), "phone": (390, 844)}

RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ').slice(-80) + ' | ' + n.html.slice(0, 120) + ' | ' + (n.failureSummary || '').slice(0, 160)),
  }));
}"""


def axe_violations(page) -> list[str]:
    """The counted violations on the page as it is now, one line each (rule, impact, nodes)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    found = page.evaluate(RUN_AXE)
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}"
        for v in found
        if v["id"] not in ALLOWLIST and (v["impact"] in ("critical", "serious") or v["id"] in ALWAYS_COUNTED)
    ]


LAYOUT = """(phone) => {
  const visible = e => e.offsetParent !== null && e.getClientRects().length > 0 &&
    !e.closest('[data-testid=stSidebar][data-collapsed=true]');
  const text = e => (e.innerText || e.value || e.placeholder || e.getAttribute('aria-label') || '').trim().slice(0, 40);
  const problems = [];
  const cut = '.katex-display, [data-testid=stMarkdownContainer] p:has(> .katex), button p, [data-testid=stWidgetLabel] p, [data-baseweb=select] div, ' +
    '[data-testid=stTable] table, [data-testid=stMetricLabel] p, [data-testid=stMetricValue] div, ' +
    '[data-testid=stMarkdownContainer] code, [data-baseweb=tab] p, [data-testid=stCaptionContainer], ' +
    '[data-testid=stPageLink] p, [data-testid=stMetricValue] *';
  for (const e of document.querySelectorAll(cut)) {
    if (visible(e) && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'auto') {
      problems.push(`cut: ${text(e)}`);
    }
  }
  const canvas = document.createElement('canvas').getContext('2d');
  for (const e of document.querySelectorAll('input[type=text], input[type=number], input:not([type]), textarea')) {
    if (!visible(e) || e.value) continue;
    const style = getComputedStyle(e);
    canvas.font = `${style.fontSize} ${style.fontFamily}`;
    const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (e.placeholder && canvas.measureText(e.placeholder).width > room + 1) problems.push(`placeholder cut: ${e.placeholder.slice(0, 40)}`);
  }
  const main = document.querySelector('[data-testid=stMain]') || document.scrollingElement;
  for (const e of [document.scrollingElement, main]) {
    if (e.scrollWidth > e.clientWidth + 1) problems.push(`scrolls sideways by ${e.scrollWidth - e.clientWidth} px`);
  }
  if (phone) {
    const targets = 'button, [role=tab], [role=slider], [role=switch], [role=checkbox], [role=radio], ' +
      '[data-testid=stTooltipHoverTarget], [data-baseweb=select], input, textarea, [data-testid=stPageLink] a';
    for (const e of document.querySelectorAll(targets)) {
      if (e.matches('input[aria-autocomplete]')) continue;  // a select's text field: the select is the target
      const hidden = e.parentElement && getComputedStyle(e.parentElement).clipPath === 'inset(50%)';
      const target = hidden || e.matches('input[type=checkbox], input[type=radio]') ? e.closest('label') || e.parentElement.parentElement : e;
      if (!visible(target)) continue;
      const box = target.getBoundingClientRect();
      if (box.width > 0 && (box.width < 23.5 || box.height < 23.5)) {
        problems.push(`target ${Math.round(box.width)}x${Math.round(box.height)} px: ${text(target)} ${target.outerHTML.slice(0, 80)}`);
      }
    }
  }
  return [...new Set(problems)];
}"""


CHARTS_WITHOUT_ALTERNATIVE = """() => [...document.querySelectorAll(
    '[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart], [data-testid=stGraphVizChart]')]
  .filter(c => c.offsetParent !== null)
  .filter(c => {
    const box = c.closest('[data-testid=stElementContainer], .stElementContainer') || c;
    const next = box.nextElementSibling;
    return !(next && (next.matches('[class*="st-key-chart_alt_"]') || next.querySelector('[class*="st-key-chart_alt_"]')));
  }).map(c => c.dataset.testid)"""


def charts_without_alternative(page) -> list[str]:
    """Charts on the page with no text alternative beside them (``ui.accessibility.show_chart`` draws one)."""
    return page.evaluate(CHARTS_WITHOUT_ALTERNATIVE)


def layout_problems(page, phone: bool = False) -> list[str]:
    return page.evaluate(LAYOUT, phone)


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const name = (e.getAttribute('aria-label') || e.innerText || e.value || e.tagName).trim().slice(0, 30);
  return [ring, name, e.getBoundingClientRect().width > 0];
}"""


def focus_problems(page, presses: int = 6) -> list[str]:
    """Tab through ``presses`` stops from the top of the page (the skip link, the sidebar) and as many from the top
    of the page's own content: each must show a focus ring (WCAG 2.4.7), and the keyboard must reach controls in
    both (2.1.1)."""
    problems = []
    starts = {
        "the top": "() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }",
        "the content": "() => { const m = document.querySelector('[data-testid=stMainBlockContainer]');"
        " m.setAttribute('tabindex', '-1'); m.focus(); }",
    }
    for where, start in starts.items():
        page.evaluate(start)
        reached = 0
        for _ in range(presses):
            page.keyboard.press("Tab")
            found = page.evaluate(FOCUSED)
            if found is None:
                continue
            ring, name, shown = found
            reached += 1
            if shown and not ring:
                problems.append(f"no focus ring on {name!r}")
        if reached == 0:
            problems.append(f"the keyboard reaches no control from {where}")
    return problems


def set_sidebar(page, open_: bool) -> None:
    """Open or close the sidebar with its own buttons (as a person would)."""
    sidebar = page.locator("[data-testid=stSidebar]")
    if sidebar.count() == 0 or (sidebar.get_attribute("data-collapsed") == "false") == open_:
        return  # no sidebar (a hidden navigation and no sidebar content) or already as asked
    if open_:
        page.locator("[data-testid=stExpandSidebarButton]").first.click()
    else:
        page.locator("[data-testid=stSidebar]").hover()
        page.locator("[data-testid=stSidebarCollapseButton] button").first.click()
    page.wait_for_timeout(350)  # the sidebar slides in or out (0.3 s)


def check_layouts(page, where: str, states: list[tuple[str, bool]]) -> list[str]:
    """Each (viewport, sidebar open) state in turn; returns every problem found, prefixed with where it was."""
    problems = []
    for viewport, sidebar in states:
        width, height = VIEWPORTS[viewport]
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(250)  # reflow (charts resize on a timer; a narrow window may fold the sidebar)
        set_sidebar(page, sidebar and viewport != "phone")
        state = f"{where} at {width}x{height}, sidebar {'open' if sidebar else 'closed'}"
        problems += [f"{state}: {p}" for p in settled_layout_problems(page, phone=viewport == "phone")]
    return problems


def settled_layout_problems(page, phone: bool, patience_ms: int = 2_000) -> list[str]:
    """:func:`layout_problems` once the layout has settled: a chart still at its width from before the sidebar slid
    in overflows for a moment on a loaded machine (Plotly resizes on a timer); what is still there after
    ``patience_ms`` is what a person sees."""
    problems = layout_problems(page, phone)
    for _ in range(patience_ms // 250):
        if not problems:
            break
        page.wait_for_timeout(250)
        problems = layout_problems(page, phone)
    return problems
