"""Every page on a phone (390 x 844) and a projector (1920 x 1080): nothing scrolls sideways or
sticks out of the window, and what the issue 15 trial found cut is whole: the Train page's pace
buttons, the captions of the most confident mistakes, the Weights and live Train templates on a
phone (at least 60 px wide), and the Draw bars' class names, which the canvas toolbar covered.
One session per size walks all the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    CANVAS,
    draw_with_mouse,
    expect_no_exception,
    image_grid,
    main,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e

SIZES = {"phone": (390, 844), "projector": (1920, 1080)}
# (address, heading) of every page.
PAGES = [
    ("", "🔢 MNIST Softmax Lab"),
    ("explore", "🔍 Explore the data"),
    ("train", "🏋️ Train"),
    ("weights", "🧩 Weights"),
    ("draw", "✏️ Draw a digit"),
    ("confidence", "🎯 Confidence"),
    ("experiments", "🧪 Experiments"),
]
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
# How far things stick out, in px: the window's own and that of every element in the page.
OVERFLOW = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const out = [...main.querySelectorAll('button, p, h1, h2, h3, img, figcaption, input')]
        .filter(e => e.getClientRects().length)
        .map(e => [e.tagName + ' ' + e.textContent.slice(0, 30),
                   e.getBoundingClientRect().right - innerWidth])
        .filter(([, px]) => px > 1);
    return {page: document.documentElement.scrollWidth - innerWidth,
            main: main.scrollWidth - main.clientWidth, elements: out};
}"""


def expect_nothing_sticks_out(page: Page, where: str) -> None:
    overflow = page.evaluate(OVERFLOW)
    assert overflow == {"page": 0, "main": 0, "elements": []}, f"{where}: {overflow}"


def boxes(page: Page, selector: str) -> list[dict]:
    return page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,"
        " cut: e.scrollWidth > e.clientWidth + 1}; })"
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def check_train(page: Page, width: int) -> None:
    """The three pace buttons lie wholly inside their group and the window; a run stepped by
    hand shows its ten templates at least 60 px wide, and nothing of the live view sticks out."""
    group = page.locator(".st-key-train_pace_input [role=radiogroup]")
    expect(group.get_by_role("radio")).to_have_count(3)
    (edge,) = boxes(page, ".st-key-train_pace_input [role=radiogroup]")
    for button in boxes(page, ".st-key-train_pace_input [role=radiogroup] button"):
        assert button["right"] <= min(edge["right"], width) + 0.5, (button, edge)
    group.get_by_role("radio", name="Step by step").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="▶️ Start training").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="⏭️ One step").click()
    expect(main(page).get_by_text("The ten templates after step 1")).to_be_visible()
    wait_for_app_run(page)
    expect_min_width(page.locator(".st-key-live_templates img"), 60)
    expect_nothing_sticks_out(page, f"train stepped by hand at {width} px")
    page.get_by_role("button", name="⏹️ Stop").click()
    wait_for_app_run(page)


def expect_min_width(pictures, px: int) -> None:
    expect(pictures).to_have_count(10)
    widths = pictures.evaluate_all("imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert min(widths) >= px, widths


def check_weights(page: Page, width: int) -> None:
    expect_min_width(image_grid(page, "weights_templates").locator("img"), 60)


def check_confidence(page: Page, width: int) -> None:
    captions = image_grid(page, "confident_mistakes").locator("figcaption")
    expect(captions.first).to_contain_text("said")
    cut = [b for b in boxes(page, ".st-key-confident_mistakes figcaption") if b["cut"]]
    assert not cut, f"{len(cut)} captions cut"


def check_draw(page: Page, width: int) -> None:
    """After a stroke the canvas's toolbar (over the canvas's top edge) covers no bar's name."""
    draw_with_mouse(page, [SEVEN])
    expect(page.locator(".st-key-probabilities .prob-bars .top")).to_have_count(1, timeout=30_000)
    wait_for_app_run(page)
    canvas_box = page.locator(CANVAS).bounding_box()
    page.mouse.move(canvas_box["x"] + 20, canvas_box["y"] + 20)  # the toolbar shows on hover
    toolbar = boxes(page, "[class*='st-key-canvas_'] button")
    names = boxes(page, ".st-key-probabilities .prob-bars .name")
    assert len(toolbar) >= 3 and len(names) == 10
    hidden = [n for n in names for t in toolbar if overlap(n, t)]
    assert not hidden, f"the canvas toolbar covers {len(hidden)} class names"


CHECKS = {
    "train": check_train,
    "weights": check_weights,
    "draw": check_draw,
    "confidence": check_confidence,
}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_the_window(browser: Browser, app_url: str, errors, shoot, size: str):
    width, height = SIZES[size]
    context = errors.watch(browser.new_context(viewport={"width": width, "height": height}))
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        for address, heading in PAGES:
            page.goto(f"{app_url}/{address}")
            wait_for_app_run(page)
            expect(main(page).get_by_role("heading", name=heading, level=1)).to_be_visible()
            expect_no_exception(page)
            if address in CHECKS:
                CHECKS[address](page, width)
            expect_nothing_sticks_out(page, f"{address or 'home'} at {width}x{height}")
        shoot(page, f"layout_{size}_draw_last")
    finally:
        context.close()
