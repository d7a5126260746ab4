"""What the end-to-end tests do as a visitor would: navigate, wait, read, draw."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from typing import NoReturn

import pytest
from playwright.sync_api import CDPSession, Locator, Page, expect

Point = tuple[float, float]  # (x, y) as fractions of the canvas box
Stroke = Sequence[Point]

# A drawn stroke reaches Python about 4 s after the page loads: wait generously for results.
PREDICTION_TIMEOUT = 30_000
CANVAS = "[class*='st-key-canvas_'] canvas.upper-canvas"


def wait_for_app_run(page: Page, timeout: float = 30_000) -> None:
    """Wait until the app is connected and its script is idle (Streamlit's own e2e approach).

    Not for the Train page while a run is live: its script run follows the run until it ends,
    so the script state stays "running"; rely on expect(...) retries there.
    """
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    # Streamlit draws each element through a lazily loaded component, a grey skeleton until its
    # code is in: on a busy machine the widgets arrive seconds after the script run has ended.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def expect_no_exception(page: Page) -> None:
    """No Python exception box on the page (the app redacts details but shows the box)."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def sidebar_link(page: Page, title: str) -> Locator:
    return sidebar(page).get_by_role("navigation").get_by_role("link", name=title, exact=True)


def open_from_sidebar(page: Page, title: str, url_path: str, heading: str) -> None:
    """Click a page's link in the sidebar navigation and wait for its title (the address may
    carry the view's link parameters, e.g. the Train form's settings)."""
    sidebar_link(page, title).click()
    expect(page).to_have_url(re.compile(rf"/{re.escape(url_path)}(\?[^/]*)?$"))
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def chart(page: Page, key: str) -> Locator:
    """The Plotly chart of an st.plotly_chart(..., key=key)."""
    return page.locator(f".st-key-{key}").get_by_test_id("stPlotlyChart")


def image_grid(page: Page, key: str) -> Locator:
    """The tiles of an image grid (ui.images.image_grid_html) drawn in st.container(key=key)."""
    return page.locator(f".st-key-{key} .digit-grid figure")


def expect_image_grid_shown(tiles: Locator, count: int) -> None:
    """`count` tiles, each a loaded 28 x 28 picture drawn bigger than that, with a caption."""
    expect(tiles).to_have_count(count)
    sizes = tiles.locator("img").evaluate_all(
        "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().width])"
    )
    assert all(done and natural == 28 and shown > 28 for done, natural, shown in sizes), sizes
    for caption in tiles.locator("figcaption").all_inner_texts():
        assert caption.strip(), "a tile without its caption"


def tiles_in_first_row(tiles: Locator) -> int:
    tops = tiles.evaluate_all("figs => figs.map(f => Math.round(f.getBoundingClientRect().top))")
    return tops.count(tops[0])


# Streamlit loads Plotly's script (several MB) only when a page first shows a chart, after the
# script run has ended: on a busy machine the first chart of a page load is drawn seconds later.
CHART_TIMEOUT = 20_000


def expect_chart_rendered(chart_locator: Locator) -> None:
    """Plotly has drawn the chart (its SVG exists), not just Streamlit's placeholder."""
    expect(chart_locator.locator(".main-svg").first).to_be_visible(timeout=CHART_TIMEOUT)


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").filter(has_text=label)
    )


# -- drawing -------------------------------------------------------------------------------------


def ellipse(cx: float, cy: float, rx: float, ry: float, start: float = 0.0) -> list[Point]:
    """A closed loop, anticlockwise from `start` (0 = top, 0.5 = bottom, in turns), slightly
    overlapping its start as a hand-drawn 0 does."""
    n = 36
    angles = [2 * math.pi * (start - i / n) for i in range(n + 3)]
    return [(cx + rx * math.sin(a), cy - ry * math.cos(a)) for a in angles]


def canvas(page: Page) -> Locator:
    return page.locator(CANVAS)


def _points(box: dict, stroke: Stroke) -> list[Point]:
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]


def _interpolate(points: list[Point], max_px: float = 8.0) -> list[Point]:
    """Intermediate points at most `max_px` apart, like a real pointer's move events."""
    out = [points[0]]
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        steps = max(1, math.ceil(math.hypot(xb - xa, yb - ya) / max_px))
        out.extend(
            (xa + (xb - xa) * i / steps, ya + (yb - ya) * i / steps) for i in range(1, steps + 1)
        )
    return out


_SCROLL_CLEAR_OF_HEADER = """(e) => {
    const r = e.getBoundingClientRect();
    const header = document.querySelector("[data-testid='stHeader']");
    const top = header ? header.getBoundingClientRect().bottom : 0;
    if (r.top < top || r.bottom > window.innerHeight) e.scrollIntoView({block: "center"});
}"""


def box_clear_of_header(target: Locator) -> dict:
    """The bounding box of `target`, scrolled to the middle of the window first if part of it is
    out of view or under Streamlit's header (which would take the pointer's events)."""
    expect(target).to_be_visible()
    target.evaluate(_SCROLL_CLEAR_OF_HEADER)
    box = target.bounding_box()
    assert box is not None
    return box


def draw_with_mouse(page: Page, strokes: Sequence[Stroke]) -> None:
    """Draw each stroke with mouse down, moves, up (points are fractions of the canvas).

    The mouse acts at window coordinates: a canvas partly out of view or under Streamlit's
    header (where clicking a button below it may have scrolled it) is scrolled to the middle of
    the window first, or the header takes the mouse-down. The canvas's own Undo button is
    enabled once a stroke is in its history: the check that the canvas took the drawing. What
    the app makes of it is the caller's to check.
    """
    box = box_clear_of_header(canvas(page))
    for stroke in strokes:
        points = _interpolate(_points(box, stroke))
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()
    undo = page.locator("[class*='st-key-canvas_']").get_by_role("button", name="Undo")
    expect(undo, "the canvas took no stroke").to_be_enabled(timeout=10_000)


def draw_with_touch(page: Page, cdp: CDPSession, strokes: Sequence[Stroke]) -> None:
    """Draw each stroke with a finger: CDP touchStart, touchMoves, touchEnd."""
    box = box_clear_of_header(canvas(page))
    for stroke in strokes:
        points = _interpolate(_points(box, stroke))
        touch = "Input.dispatchTouchEvent"
        x, y = points[0]
        cdp.send(touch, {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for x, y in points[1:]:
            cdp.send(touch, {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send(touch, {"type": "touchEnd", "touchPoints": []})


def headline(page: Page) -> Locator:
    return page.get_by_role("heading", name=re.compile(r"^It's an? "))


def expect_prediction(page: Page, digit: str) -> None:
    """The headline reads "It's a **<digit>** — probability xx.x%" ("an" for an 8; ">99.9%" when all
    but certain), the digit in bold."""
    title = headline(page)
    expect(title).to_have_text(
        re.compile(rf"It's an? {digit} — probability >?\d+(\.\d)?%$"), timeout=PREDICTION_TIMEOUT
    )
    expect(title.locator("strong")).to_have_text(digit)


def expect_preprocessing_steps(page: Page) -> None:
    """Five pictures from canvas to MNIST digit, each with its caption, in one row."""
    steps = image_grid(page, "preprocessing_steps")
    expect(steps).to_have_count(5)
    for i, start in enumerate(["canvas", "cropped", "stroke", "longer side to 20 px", "28×28"]):
        expect(steps.nth(i).locator("figcaption")).to_contain_text(start)
        expect(steps.nth(i).locator("img")).to_be_visible()
    assert tiles_in_first_row(steps) == 5


def current_model(page: Page) -> Locator:
    """The sidebar's "Current model" select box (its value is the model's name)."""
    return sidebar(page).get_by_role("combobox", name="Current model")


def choose_model(page: Page, name_start: str) -> None:
    """Pick a model in the sidebar's "Current model" select box."""
    box = current_model(page)
    box.click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name_start)}")).click()
    expect(box).to_have_value(re.compile(rf"^{re.escape(name_start)}"))
    wait_for_app_run(page)


def missing_in_ci(what: str, message: str) -> NoReturn:
    """A tool the browser tests need is missing: skip with the hint, but fail under CI (`CI`
    set), where every test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so {what} must run. {message}")
    pytest.skip(message)
