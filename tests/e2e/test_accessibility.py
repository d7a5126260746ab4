"""WCAG 2.1 A/AA in a real browser: axe-core on every page the navigation lists, and every
control reachable with the Tab key.

axe-core (the npm package) is fetched by scripts/test.sh into .cache/ and found through the
AXE_CORE_JS environment variable. Without it the test skips with that hint, except under CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.helpers import missing_in_ci, sidebar, wait_for_app_run

pytestmark = pytest.mark.e2e

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
FIRST_VISIT_TIMEOUT = 120_000  # ms
# Where the canvas lives: drawing needs a pointer; the test-image index is its keyboard path.
CANVAS_EXEMPT = "[class*='st-key-canvas_']"
# What a keyboard visitor must be able to reach: Streamlit's controls in the page and sidebar.
# Of a radio group or a tab list only one member takes Tab focus (arrows move within it).
CONTROLS = (
    "button, a[href], input:not([type=hidden]):not([type=radio]):not([type=file]), "
    "textarea, select, [role=slider], [role=tab][aria-selected=true], input[type=radio]:checked, "
    "[role=radio][aria-checked=true]"
)
# Not a control of its own: a member of a radio group other than the checked one, or a pointer
# shortcut a widget takes out of the tab order because its input has the keyboard equivalent
# (a select box's "Open" arrow: arrow keys; a number input's -/+: arrow up and down).
GROUP_MEMBER = "[role=radio]:not([aria-checked=true]), [tabindex='-1']"


@pytest.fixture(scope="session")
def axe_source() -> str:
    found = os.environ.get("AXE_CORE_JS") or ""
    if not Path(found).is_file():
        message = (
            f"No axe-core at AXE_CORE_JS={found!r}: run `bash scripts/test.sh` (it fetches the "
            "npm package axe-core) or point AXE_CORE_JS at an axe.min.js."
        )
        missing_in_ci("the accessibility test", message)
    return Path(found).read_text()


def page_addresses(page: Page) -> list[str]:
    """Every page the app's navigation lists (read from the sidebar, not hard-coded)."""
    links = sidebar(page).get_by_test_id("stSidebarNav").get_by_role("link")
    addresses = links.evaluate_all("links => links.map(a => a.href)")
    assert len(addresses) >= 5, addresses
    return addresses


def open_settled(page: Page, address: str) -> None:
    page.goto(address)
    # A first visit computes and caches (Explore's PCA): slow on a busy test machine.
    wait_for_app_run(page, timeout=FIRST_VISIT_TIMEOUT)
    # Code highlighting arrives as a script of its own, Plotly draws after the script run ends:
    # axe must see the page as a visitor does.
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        """() => [...document.querySelectorAll('pre code[class*="language-"]')]
            .every(code => code.querySelector('.token'))"""
    )
    charts = page.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(state="attached")


def serious_violations(page: Page, axe: str) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})""", WCAG_21_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: "
        f"{node.get('failureSummary', '')[:160]}"
        for v in result["violations"]
        if v["impact"] in FAILING_IMPACTS
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_axe_violation_on_any_page(app: Page, axe_source: str, scheme: str):
    """The app's theme is light whatever the system's; both system settings are audited."""
    page = app
    page.emulate_media(color_scheme=scheme)
    found = {}
    for address in page_addresses(page):
        open_settled(page, address)
        found[address] = serious_violations(page, axe_source)
    report = [f"{where}: {v}" for where, violations in found.items() for v in violations]
    assert not report, f"{len(report)} serious/critical axe violations:\n" + "\n".join(report)


def unreached_controls(page: Page, max_presses: int = 400) -> list[str]:
    """Tab from the top of the page until focus comes back round; return the visible controls
    (outside the canvas) that focus never reached, described by role and name."""
    page.evaluate("document.activeElement?.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    seen = []
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        here = page.evaluate(
            """() => { const e = document.activeElement;
                if (!e || e === document.body) return null;
                e.dataset.tabReached = '1'; return e.outerHTML.slice(0, 80); }"""
        )
        if here is not None and seen and here == seen[0]:
            break
        seen.append(here)
    return page.evaluate(
        """([selector, exempt, member]) => [...document.querySelectorAll(selector)]
            .filter(e => e.checkVisibility({visibilityProperty: true, opacityProperty: true})
                     && !e.closest(exempt) && !e.matches(member) && !e.disabled)
            .filter(e => !e.dataset.tabReached && !e.querySelector('[data-tab-reached]'))
            .map(e => `${e.tagName.toLowerCase()} ${e.getAttribute('role') || ''} `
                      + `"${(e.getAttribute('aria-label') || e.innerText || '').slice(0, 40)}"`)""",
        [CONTROLS, CANVAS_EXEMPT, GROUP_MEMBER],
    )


def test_every_control_is_reached_with_the_tab_key(app: Page):
    page = app
    missed = {}
    for address in page_addresses(page):
        open_settled(page, address)
        unreached = unreached_controls(page)
        if unreached:
            missed[address] = unreached
    assert not missed, f"Controls the Tab key never reaches: {missed}"
