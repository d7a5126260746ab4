"""Drawing digits on the canvas, with the mouse and with a finger, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import (
    Stroke,
    canvas,
    chart,
    draw_with_mouse,
    draw_with_touch,
    ellipse,
    expect_chart_rendered,
    expect_no_exception,
    expect_prediction,
    expect_preprocessing_steps,
    headline,
    image_grid,
    open_from_sidebar,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e

HINT = "Draw a digit on the black square"

# Digits in MNIST-like proportions unless the case says otherwise: about 70% of the canvas
# height, drawn with the default brush (20 of 280 px). Points are fractions of the canvas.
DIGITS: dict[str, tuple[str, list[Stroke]]] = {
    "zero": ("0", [ellipse(0.5, 0.5, 0.22, 0.34)]),
    "one": ("1", [[(0.52, 0.15), (0.48, 0.85)]]),
    "seven": ("7", [[(0.3, 0.18), (0.7, 0.18)], [(0.7, 0.18), (0.45, 0.85)]]),
    # Small, in the bottom-right corner: cropping and scaling make it a normal MNIST digit.
    "small_seven_in_a_corner": (
        "7",
        [[(0.68, 0.62), (0.9, 0.62)], [(0.9, 0.62), (0.77, 0.95)]],
    ),
    # Large: nearly the whole canvas.
    "large_zero": ("0", [ellipse(0.5, 0.5, 0.4, 0.46, start=0.5)]),
}


@pytest.fixture
def draw_page(app: Page) -> Page:
    open_from_sidebar(app, "Draw a digit", "draw", "✏️ Draw a digit")
    wait_for_app_run(app)
    expect(canvas(app)).to_be_visible()
    expect(app.get_by_text(HINT)).to_be_visible()
    return app


@pytest.mark.parametrize("case", list(DIGITS))
def test_a_drawn_digit_is_recognised_with_its_preprocessing_shown(draw_page: Page, case, shoot):
    page = draw_page
    digit, strokes = DIGITS[case]
    draw_with_mouse(page, strokes)
    expect_prediction(page, digit)
    expect_preprocessing_steps(page)
    expect_chart_rendered(chart(page, "probabilities"))
    expect(page.get_by_text(HINT)).to_have_count(0)
    wait_for_app_run(page)
    expect_no_exception(page)
    shoot(page, f"draw_{case}")


def test_a_click_on_the_canvas_is_called_a_dot_not_a_digit(draw_page: Page):
    page = draw_page
    target = canvas(page)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_text("That is a dot, not a digit")).to_be_visible(timeout=15_000)
    expect(headline(page)).to_have_count(0)
    expect_chart_rendered(chart(page, "probabilities"))
    wait_for_app_run(page)
    expect_no_exception(page)


def test_clearing_the_canvas_brings_the_hint_back(draw_page: Page):
    page = draw_page
    draw_with_mouse(page, DIGITS["one"][1])
    expect_prediction(page, "1")
    page.get_by_role("button", name="🧹 Clear the canvas").click()
    expect(page.get_by_text(HINT)).to_be_visible()
    expect(headline(page)).to_have_count(0)
    expect(image_grid(page, "preprocessing_steps")).to_have_count(0)
    expect(canvas(page)).to_be_visible()
    wait_for_app_run(page)
    expect_no_exception(page)


def test_a_digit_drawn_with_a_finger_on_a_phone(phone: BrowserContext, app_url: str, shoot):
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{app_url}/draw")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="✏️ Draw a digit", level=1)).to_be_visible()
    expect(page.get_by_text(HINT)).to_be_visible()
    cdp = phone.new_cdp_session(page)
    draw_with_touch(page, cdp, DIGITS["seven"][1])
    expect_prediction(page, "7")
    expect_preprocessing_steps(page)
    wait_for_app_run(page)
    expect_no_exception(page)
    shoot(page, "draw_phone")


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_whole_canvas_can_be_drawn_on_laptop_screens(draw_page: Page, width: int):
    page = draw_page
    page.set_viewport_size({"width": width, "height": 800})
    expect(canvas(page)).to_be_visible()
    # The canvas's right edge is not cut off or covered: the topmost element there is the canvas.
    right_edge_is_canvas = canvas(page).evaluate(
        """(c) => {
            const r = c.getBoundingClientRect();
            return r.width >= 280
                && c.getRootNode().elementFromPoint(r.right - 3, r.top + 0.75 * r.height) === c;
        }"""
    )
    assert right_edge_is_canvas, f"part of the canvas cannot be drawn on at {width} px"
