"""Drawing digits on the canvas, with the mouse and with a finger, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.helpers import (
    PREDICTION_TIMEOUT,
    Stroke,
    box_clear_of_header,
    canvas,
    draw_with_mouse,
    draw_with_touch,
    ellipse,
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


def draw_and_read(page: Page, case: str) -> None:
    """Draw DIGITS[case] with the mouse and wait until the page reads it as its digit."""
    digit, strokes = DIGITS[case]
    draw_with_mouse(page, strokes)
    expect_prediction(page, digit)


def bars(page: Page) -> Locator:
    """The ten probability bars (each a figure with its number above)."""
    return page.locator(".st-key-probabilities .prob-bars figure")


def in_viewport(locator: Locator) -> bool:
    """The element lies wholly inside the window, without scrolling."""
    return locator.evaluate(
        """(e) => {
            const r = e.getBoundingClientRect();
            return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight
                && r.right <= window.innerWidth && r.height > 0;
        }"""
    )


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
    draw_and_read(page, case)
    expect_preprocessing_steps(page)
    expect(bars(page)).to_have_count(10)
    expect(page.get_by_text(HINT)).to_have_count(0)
    wait_for_app_run(page)
    expect_no_exception(page)
    shoot(page, f"draw_{case}")


def test_a_click_on_the_canvas_is_called_a_dot_not_a_digit(draw_page: Page):
    page = draw_page
    target = canvas(page)
    box = box_clear_of_header(target)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_text("That is a dot, not a digit")).to_be_visible(timeout=15_000)
    expect(headline(page)).to_have_count(0)
    expect(bars(page).locator(".bar").first).to_be_attached()
    wait_for_app_run(page)
    expect_no_exception(page)


def test_clearing_the_canvas_brings_the_hint_back(draw_page: Page):
    page = draw_page
    draw_and_read(page, "one")
    page.get_by_role("button", name="🧹 Clear the canvas").click()
    expect(page.get_by_text(HINT)).to_be_visible(timeout=PREDICTION_TIMEOUT)
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


def test_on_a_390_by_844_phone_the_verdict_and_bars_are_in_view_after_a_stroke(
    browser: Browser, app_url: str, errors, shoot
):
    context = errors.watch(
        browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{app_url}/draw")
    wait_for_app_run(page)
    expect(page.get_by_text(HINT)).to_be_visible()
    draw_with_touch(page, context.new_cdp_session(page), DIGITS["seven"][1])
    expect_prediction(page, "7")
    wait_for_app_run(page)
    assert in_viewport(headline(page)), "the verdict is off screen after drawing"
    assert in_viewport(page.locator(".st-key-probabilities .prob-bars")), "the bars are off screen"
    expect_no_exception(page)
    shoot(page, "draw_phone_390x844")
    context.close()


def test_a_labelled_drawing_joins_the_grid_of_your_own_test_set(draw_page: Page, shoot):
    page = draw_page
    draw_and_read(page, "seven")
    page.locator(".st-key-label_as_7 button").click()
    expect(page.get_by_text("Added as a 7: your set has 1 digit.")).to_be_visible()
    grid = image_grid(page, "personal_set_grid")
    expect(grid).to_have_count(1)
    expect(grid.first.locator("figcaption")).to_have_text("✅ 7→7")
    expect(page.get_by_text("Accuracy on your 1 digit")).to_be_visible()
    # The canvas is clean for the next digit (a new one, key canvas_1), and the next one joins too.
    expect(headline(page)).to_have_count(0)
    expect(page.locator(".st-key-canvas_1 canvas.upper-canvas")).to_be_visible()
    wait_for_app_run(page)
    draw_and_read(page, "one")
    page.locator(".st-key-label_as_1 button").click()
    expect(grid).to_have_count(2)
    wait_for_app_run(page)
    expect_no_exception(page)
    shoot(page, "draw_personal_set")


def test_the_nudge_slider_changes_the_nudged_picture_s_verdict(draw_page: Page):
    page = draw_page
    draw_and_read(page, "seven")
    nudged = page.get_by_text(re.compile(r"^It reads as "))
    expect(nudged).to_have_count(0)  # its expander is closed: the panel does not even run
    page.get_by_text("What would make it another digit?").click()
    expect(nudged).to_have_text(re.compile(r"^It reads as 7 "))
    slider = page.get_by_role("slider", name="ε")
    slider.focus()
    slider.press("End")  # eps at its maximum: far past the flip of this 7
    expect(nudged).not_to_have_text(re.compile(r"^It reads as 7 "), timeout=15_000)
    expect(page.get_by_text(re.compile(r"it first reads as \d at ε = "))).to_be_visible()
    expect_prediction(page, "7")  # the drawing itself is still read as a 7
    wait_for_app_run(page)
    expect_no_exception(page)


def test_the_stroke_switch_shows_the_plain_recipe(draw_page: Page):
    page = draw_page
    draw_and_read(page, "one")
    steps = image_grid(page, "preprocessing_steps")
    expect(steps.nth(2).locator("figcaption")).to_contain_text("stroke")
    page.get_by_text("Normalise the stroke width").click()
    expect(steps.nth(2).locator("figcaption")).to_contain_text("stroke width step off")
    expect_prediction(page, "1")
    wait_for_app_run(page)
    expect_no_exception(page)
