"""A short training run through the buttons, live, in a real browser; then its model."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    chart,
    choose_model,
    current_model,
    expect_chart_rendered,
    expect_image_grid_shown,
    expect_no_exception,
    image_grid,
    main,
    metric,
    open_from_sidebar,
    sidebar,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e

# 8 epochs of batch 2: 240,000 steps, about 60 s at the ~4,000 steps/s a batch-2 run makes here
# (more on a busy CI runner, or while the page redraws). Batch 128 would finish 8 epochs in under
# 2 s: too fast to pause, resume and switch pages while it runs.
EPOCHS, BATCH_SIZE = 8, 2
RUN_TIMEOUT = 120_000
STEP = re.compile(r"step ([\d,]+) of")


def progress(page: Page) -> Locator:
    """The live run's progress bar on the Train page (the sidebar's has no text)."""
    return main(page).get_by_test_id("stProgress")


def step_of(text: str) -> int:
    found = STEP.search(text)
    assert found, f"no step count in {text!r}"
    return int(found.group(1).replace(",", ""))


def expect_progress_beyond(page: Page, step: int) -> int:
    """Wait until the progress text shows a step past `step`; return the new step."""
    expect(progress(page)).to_contain_text(STEP)
    expect(progress(page)).not_to_contain_text(re.compile(rf"step {step:,} of"))
    now = step_of(progress(page).inner_text())
    assert now > step, f"progress went from step {step} to {now}"
    return now


def line_path(page: Page, key: str) -> Locator:
    return chart(page, key).locator(".scatterlayer .trace path.js-line").first


def test_a_short_training_run_live_with_pause_resume_and_page_switch(app: Page, shoot):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    page.get_by_role("spinbutton", name="Epochs").fill(str(EPOCHS))
    page.get_by_role("spinbutton", name="Batch size").fill(str(BATCH_SIZE))
    page.get_by_role("button", name="▶️ Start training").click()

    # Live: the progress text and the loss chart move, the speed shows.
    expect(progress(page)).to_contain_text(
        re.compile(rf"Running · epoch \d+ of {EPOCHS} · step [\d,]+ of 240,000"), timeout=30_000
    )
    first = step_of(progress(page).inner_text())
    # While it runs, nothing below the live panel is left over from before the Start (the
    # shipped model's confusion matrix was there), and Streamlit's own "Running... Stop", whose
    # Stop would only freeze this view, is hidden.
    expect(page.get_by_role("heading", name="Where it goes wrong")).to_have_count(0)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()
    expect(metric(page, "Steps per second")).to_be_visible()
    loss = line_path(page, "live_loss")
    expect(loss).to_be_attached()
    loss_before = loss.get_attribute("d")
    later = expect_progress_beyond(page, first)
    expect(loss).not_to_have_attribute("d", loss_before or "")
    shoot(page, "train_live")

    # Pause: "Paused" shows and the step count stands still.
    page.get_by_role("button", name="⏸️ Pause").click()
    expect(progress(page)).to_contain_text("Paused ·")
    expect(page.get_by_role("button", name="⏯️ Resume")).to_be_visible()
    # The trainer stops within one step of the click; give it a fragment tick, then make sure
    # the count stays put over a few more ticks (0.75 s each). Waiting is the assertion here.
    page.wait_for_timeout(1_000)
    paused_at = step_of(progress(page).inner_text())
    assert paused_at >= later
    page.wait_for_timeout(2_500)
    expect(progress(page)).to_contain_text("Paused · epoch")
    assert step_of(progress(page).inner_text()) == paused_at, "the run moved while paused"
    shoot(page, "train_paused")

    # Resume: it moves again.
    page.get_by_role("button", name="⏯️ Resume").click()
    expect(progress(page)).to_contain_text("Running ·")
    resumed = expect_progress_beyond(page, paused_at)
    expect(page.get_by_role("button", name="⏯️ Resume")).to_be_disabled()

    # Live view off (the first click counts): the page stands still and says so while the run
    # goes on; on again, it catches up.
    live_view = main(page).get_by_text("📡 Live view")
    frozen_note = page.get_by_text(re.compile(r"^📷 Live view is off"))
    live_view.click()
    expect(frozen_note).to_be_visible(timeout=5_000)
    frozen = step_of(progress(page).inner_text())
    page.wait_for_timeout(2_000)
    assert step_of(progress(page).inner_text()) == frozen, "the page moved with Live view off"
    live_view.click()
    expect(frozen_note).to_have_count(0, timeout=5_000)
    resumed = expect_progress_beyond(page, frozen)

    # Another page while it runs: the sidebar keeps reporting it; back on Train it has moved on.
    open_from_sidebar(page, "Weights", "weights", "🧩 Weights")
    expect(sidebar(page)).to_contain_text(re.compile(rf"Run 1: running, epoch \d+/{EPOCHS}"))
    expect(page.get_by_text("Model: Shipped default")).to_be_visible()
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    result = page.get_by_role("heading", name="Result of Run 1")
    expect(progress(page).or_(result)).to_be_visible()
    if progress(page).count():  # still running (the usual case): it went on meanwhile
        expect_progress_beyond(page, resumed)

    # The end: the results, and the run's model becomes the current one.
    expect(result).to_be_visible(timeout=RUN_TIMEOUT)
    expect(progress(page)).to_have_count(0)
    test_acc = metric(page, "Test accuracy")
    expect(test_acc).to_have_count(1)
    expect(test_acc).to_contain_text(re.compile(r"\d+\.\d\d%"))
    expect(test_acc).to_contain_text("pts vs notebook")
    expect_chart_rendered(chart(page, "result_loss"))
    expect_chart_rendered(chart(page, "confusion"))
    expect(current_model(page)).to_have_value(re.compile(r"^Run 1 \(MNIST, \d+\.\d\d%\)"))
    expect(sidebar(page)).to_contain_text("Trained here · MNIST")
    wait_for_app_run(page)
    expect_no_exception(page)
    shoot(page, "train_finished")

    # Its templates on the Weights page, with the per-epoch snapshots. The sidebar's choice is
    # lost on a page switch (see test_pages.py::test_the_current_model_survives_a_page_switch),
    # so pick the run's model again, as a visitor would have to.
    open_from_sidebar(page, "Weights", "weights", "🧩 Weights")
    wait_for_app_run(page)
    choose_model(page, "Run 1")
    expect(page.get_by_text(re.compile(r"^Model: Run 1 \(MNIST"))).to_be_visible()
    expect_image_grid_shown(image_grid(page, "weights_templates"), 10)
    snapshot_slider = page.get_by_test_id("stSlider").filter(has_text="After epoch")
    expect(snapshot_slider.get_by_role("slider")).to_be_visible()
    expect(page.get_by_text(f"The templates after epoch {EPOCHS} of {EPOCHS}")).to_be_visible()
    expect_image_grid_shown(image_grid(page, "weights_snapshot_templates"), 10)
    expect_no_exception(page)
    shoot(page, "weights_trained")


def test_the_live_view_needs_no_browser_timer(app: Page):
    """The server pushes the live view. A `run_every` fragment needs a browser timer, which
    Streamlit can lose under load (see ui.training.follow_live_run); here the page cannot start
    any timer at all once it has loaded, and the run must still be followed to its results."""
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    page.evaluate("() => { window.setInterval = () => 0; }")
    page.get_by_role("spinbutton", name="Epochs").fill("2")
    page.get_by_role("spinbutton", name="Batch size").fill(str(BATCH_SIZE))
    page.get_by_role("button", name="▶️ Start training").click()
    expect(progress(page)).to_contain_text(re.compile(r"Running · epoch \d of 2"), timeout=30_000)
    step = step_of(progress(page).inner_text())
    for _ in range(3):
        step = expect_progress_beyond(page, step)
    expect(page.get_by_role("heading", name="Result of Run 1")).to_be_visible(timeout=RUN_TIMEOUT)
    expect(metric(page, "Test accuracy")).to_contain_text(re.compile(r"\d+\.\d\d%"))
    expect_no_exception(page)


def test_with_live_view_off_the_sidebar_follows_and_the_results_arrive(app: Page):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    main(page).get_by_text("📡 Live view").click()
    wait_for_app_run(page)
    page.get_by_role("spinbutton", name="Epochs").fill("4")
    page.get_by_role("spinbutton", name="Batch size").fill(str(BATCH_SIZE))
    page.get_by_role("button", name="▶️ Start training").click()
    expect(page.get_by_text(re.compile(r"^📷 Live view is off"))).to_be_visible()
    frozen = step_of(progress(page).inner_text())
    # The page stands still; the sidebar's status moves on.
    status = sidebar(page).get_by_text(re.compile(r"^Run 1: running, epoch (\d)/4"))
    expect(status).to_be_visible()
    first = status.inner_text()
    expect(status).not_to_have_text(first, timeout=30_000)
    assert step_of(progress(page).inner_text()) == frozen, "the page moved with Live view off"
    # No click: the results come in when the run ends.
    expect(page.get_by_role("heading", name="Result of Run 1")).to_be_visible(timeout=RUN_TIMEOUT)
    expect(progress(page)).to_have_count(0)
    expect_no_exception(page)


def test_a_double_click_on_start_starts_one_run(app: Page):
    page = app
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)
    page.get_by_role("button", name="▶️ Start training").dblclick()  # the notebook's settings
    expect(page.get_by_role("heading", name="Result of Run 1")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_for_app_run(page)
    expect(main(page).get_by_text("Run 2")).to_have_count(0)
    expect(current_model(page)).to_have_value(re.compile(r"^Run 1 \(MNIST"))
    expect_no_exception(page)
