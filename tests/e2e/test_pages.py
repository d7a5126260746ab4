"""Every page opened from the sidebar, and the sidebar's model upload, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import REPO
from tests.e2e.helpers import (
    box_clear_of_header,
    canvas,
    chart,
    current_model,
    expect_chart_rendered,
    expect_image_grid_shown,
    expect_no_exception,
    image_grid,
    open_from_sidebar,
    sidebar,
    sidebar_link,
    tiles_in_first_row,
    wait_for_app_run,
)
from ui.dataset_stats import HIST_BINS

pytestmark = pytest.mark.e2e

MODEL_FILE = REPO / "models" / "default" / "model.npz"


def test_every_page_opens_from_the_sidebar_with_its_content(app: Page, shoot):
    page = app
    expect(sidebar_link(page, "Home")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_contain_text("softmax(Z)")
    expect(current_model(page)).to_have_value(re.compile("^Shipped default"))
    shoot(page, "page_home")

    open_from_sidebar(page, "Explore the data", "explore", "🔍 Explore the data")
    wait_for_app_run(page)
    expect_image_grid_shown(image_grid(page, "explore_grid"), 50)
    assert tiles_in_first_row(image_grid(page, "explore_grid")) == 10
    expect_image_grid_shown(image_grid(page, "explore_means"), 10)
    # The class shares and the histogram are HTML bars, the PCA a picture: no Plotly chart.
    expect(page.locator(".st-key-explore_distribution .split-bars .col")).to_have_count(10)
    expect(page.locator(".st-key-explore_histogram .histogram .col")).to_have_count(HIST_BINS)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    # The PCA is a picture; its toggle brings the interactive chart.
    expect(page.locator(".st-key-explore_pca_picture img")).to_be_visible()
    expect_no_exception(page)
    shoot(page, "page_explore")
    page.get_by_text("Interactive: hover a point for its image number").click()
    expect_chart_rendered(chart(page, "explore_pca"))
    expect(page.locator(".st-key-explore_pca_picture")).to_have_count(0)
    wait_for_app_run(page)

    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    expect(page.get_by_role("button", name="▶️ Start training")).to_be_enabled()
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value("20")
    # No run yet in this session, but the shipped model's confusion matrix is shown.
    expect_chart_rendered(chart(page, "confusion"))
    expect_no_exception(page)
    shoot(page, "page_train")

    open_from_sidebar(page, "Weights", "weights", "🧩 Weights")
    wait_for_app_run(page)
    expect(page.get_by_text("Model: Shipped default")).to_be_visible()
    # The ten templates are pictures (PNG tiles), one per class over its name, not a chart.
    templates = image_grid(page, "weights_templates")
    expect_image_grid_shown(templates, 10)
    expect(templates.locator("figcaption")).to_have_text([str(k) for k in range(10)])
    # The biases are HTML bars, one column per class; no view on this page is a Plotly chart.
    expect(page.locator(".st-key-weights_bias .value-bars .col")).to_have_count(10)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    expect_no_exception(page)
    shoot(page, "page_weights")

    open_from_sidebar(page, "Draw a digit", "draw", "✏️ Draw a digit")
    wait_for_app_run(page)
    expect(canvas(page)).to_be_visible()
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()
    expect(page.get_by_role("button", name="🧹 Clear the canvas")).to_be_visible()
    expect_no_exception(page)
    shoot(page, "page_draw")

    open_from_sidebar(page, "Home", "", "🔢 MNIST Softmax Lab")


def test_a_junk_model_upload_shows_an_error_and_keeps_the_model(app: Page, shoot):
    page = app
    bar = sidebar(page)
    bar.get_by_text("Upload a model").click()
    bar.locator("input[type=file]").set_input_files(
        files=[{"name": "junk.npz", "mimeType": "application/octet-stream", "buffer": b"junk"}]
    )
    error = bar.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("Not loaded, the current model stays. junk.npz")
    expect(current_model(page)).to_have_value(re.compile("^Shipped default"))
    expect_no_exception(page)
    shoot(page, "upload_error")


def test_the_current_model_survives_a_page_switch(app: Page):
    page = app
    sidebar(page).get_by_text("Upload a model").click()
    sidebar(page).locator("input[type=file]").set_input_files(MODEL_FILE)
    expect(current_model(page)).to_have_value("Uploaded: model.npz")
    open_from_sidebar(page, "Weights", "weights", "🧩 Weights")
    wait_for_app_run(page)
    expect(page.get_by_text("Model: Uploaded: model.npz")).to_be_visible()
    expect(current_model(page)).to_have_value("Uploaded: model.npz", timeout=2_000)


def overflows_sideways(locator) -> bool:
    return locator.evaluate("e => e.scrollWidth > e.clientWidth + 1")


def test_on_a_phone_image_grids_reflow_and_the_code_fits(
    phone: BrowserContext, app_url: str, shoot
):
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    wait_for_app_run(page)
    code = page.get_by_test_id("stCode").locator("pre").first
    expect(code).to_contain_text("b -= lr * G.sum(axis=0)")
    assert not overflows_sideways(code), "the model's code needs sideways scrolling"

    page.goto(f"{app_url}/explore")
    wait_for_app_run(page)
    # The grid reflows: rows of 5 legible tiles (10 on a laptop), nothing to scroll sideways.
    tiles = image_grid(page, "explore_grid")
    expect_image_grid_shown(tiles, 50)
    assert tiles_in_first_row(tiles) == 5
    assert tiles.first.bounding_box()["width"] >= 56
    assert not overflows_sideways(page.get_by_test_id("stMain"))
    expect(page.locator(".st-key-explore_distribution .split-bars .col")).to_have_count(10)
    expect_no_exception(page)
    shoot(page, "explore_phone")

    # Plotly's toolbar would sit over the titles and legends on a touch screen: hidden there.
    page.goto(f"{app_url}/train")
    wait_for_app_run(page)
    matrix = chart(page, "confusion")
    expect_chart_rendered(matrix)
    toolbar = matrix.locator(".modebar")
    expect(toolbar).to_be_attached()
    assert not toolbar.evaluate("e => e.checkVisibility({opacityProperty: true})")


def test_a_confusion_cell_shows_its_test_images(app: Page):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    matrix = chart(page, "confusion")
    expect_chart_rendered(matrix)
    cells = matrix.locator(".nsewdrag").first
    box = box_clear_of_header(cells)
    # The cell in row "true 4", column "predicted 9" of the 10 x 10 matrix.
    page.mouse.click(box["x"] + box["width"] * 9.5 / 10, box["y"] + box["height"] * 4.5 / 10)
    heading = page.get_by_text(re.compile(r"^\d+ test images of 4 predicted as 9"))
    expect(heading).to_be_visible()
    count = int(heading.inner_text().split()[0])
    expect_image_grid_shown(image_grid(page, "confusion_examples"), min(count, 40))
    wait_for_app_run(page)
    expect_no_exception(page)
