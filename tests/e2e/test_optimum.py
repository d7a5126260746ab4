"""Beyond the notebook in a real browser: a run with Adam on deskewed images, the best softmax
regression as dashed lines beside its curves, its gap, and its templates on Weights; Weights on a
phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    box_clear_of_header,
    chart,
    expect_no_exception,
    main,
    open_from_sidebar,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120_000


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`."""
    main(page).get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_adam_on_deskewed_images_trains_beside_the_dashed_optimum(app: Page, shoot):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    choose(page, "Update rule", "Adam")
    page.get_by_role("spinbutton", name="Learning rate").fill("0.001")
    page.get_by_role("spinbutton", name="Epochs").fill("2")
    main(page).get_by_text("Deskew the images").click()
    page.get_by_role("button", name="▶️ Start training").click()
    expect(page.get_by_role("heading", name="Result of Run 1")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_for_app_run(page)
    expect_no_exception(page)
    # The dashed line and its label on both result charts.
    for key in ("result_loss", "result_acc"):
        figure = chart(page, key)
        expect(figure.locator(".shapelayer path[style*='stroke-dasharray']")).not_to_have_count(0)
        expect(figure.get_by_text(re.compile("^training optimum"))).to_be_visible()
    expect(main(page).get_by_text(re.compile("^Against the training optimum"))).to_be_visible()
    # The runs table names the choices.
    shoot(page, "train_adam_deskew_optimum")
    # Weights: the run's templates next to the optimum's (the deskewed one, shipped).
    open_from_sidebar(page, "Weights", "weights", "🧩 Weights")
    wait_for_app_run(page)
    main(page).get_by_text("Compare with the best softmax regression").click()
    wait_for_app_run(page)
    expect(page.locator(".st-key-weights_optimum_templates .digit-grid figure")).to_have_count(10)
    expect(main(page).get_by_text(re.compile("correlate .* on average"))).to_be_visible()
    expect_no_exception(page)


def test_weights_on_a_phone_has_readable_templates(browser: Browser, app_url: str, shoot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/weights")
        wait_for_app_run(page)
        tiles = page.locator(".st-key-weights_templates .digit-grid figure")
        expect(tiles).to_have_count(10, timeout=60_000)  # a first visit loads the dataset
        boxes = tiles.evaluate_all(
            "figs => figs.map(f => { const i = f.querySelector('img').getBoundingClientRect();"
            " const c = f.querySelector('figcaption').getBoundingClientRect();"
            " return [i.width, i.bottom, c.top]; })"
        )
        for width, picture_bottom, caption_top in boxes:
            assert width >= 60, f"a template {width:.0f} px wide"
            assert caption_top >= picture_bottom - 0.5, "a label overlaps its picture"
        shoot(page, "weights_phone")
    finally:
        context.close()


def test_a_clicked_confusion_cell_stays_outlined_with_its_images(app: Page):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    matrix = chart(page, "confusion")
    # A first visit scores the 10,000 test images: give a busy machine time.
    expect(matrix.locator(".main-svg").first).to_be_visible(timeout=60_000)
    cells = matrix.locator(".nsewdrag").first
    box = box_clear_of_header(cells)
    # The cell in row "true 4", column "predicted 9" of the 10 x 10 matrix.
    page.mouse.click(box["x"] + box["width"] * 9.5 / 10, box["y"] + box["height"] * 4.5 / 10)
    heading = page.get_by_text(re.compile(r"^\d+ test images of 4 predicted as 9"))
    expect(heading).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    page.wait_for_timeout(1000)  # a redraw that dropped the selection would have happened now
    expect(heading).to_be_visible()
    # The cells' markers are invisible except the selected one: its orange frame stays drawn.
    opacities = matrix.locator(".scatterlayer .point").evaluate_all(
        "points => points.map(p => getComputedStyle(p).opacity)"
    )
    assert len(opacities) == 100 and [o for o in opacities if o != "0"] == ["1"], opacities
    expect_no_exception(page)
