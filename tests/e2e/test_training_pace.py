"""Training a class can follow, in a real browser: the watchable pace advances in visible steps
with progress, loss, accuracy and templates in view on a laptop screen (the form folded into one
line); step by step moves one minibatch per click; each default run takes the next seed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ErrorLog
from tests.e2e.helpers import expect_no_exception, main, open_from_sidebar, wait_for_app_run
from tests.e2e.test_training import RUN_TIMEOUT, progress, step_of

pytestmark = pytest.mark.e2e

LAPTOPS = [{"width": 1366, "height": 768}, {"width": 1400, "height": 900}]
# What moves while a run is live: its boxes must be in the viewport.
LIVE_PARTS = ("live_loss", "live_acc", "live_templates")


def open_train(page: Page) -> None:
    open_from_sidebar(page, "Train", "train", "🏋️ Train")
    wait_for_app_run(page)


def choose_pace(page: Page, name: str, settle: bool = True) -> None:
    """Click a pace; `settle`: wait for the page's script run to end (not while a run is
    followed live: that script run lasts as long as the run)."""
    pace = page.get_by_role("radio", name=re.compile(name))
    pace.click(timeout=60_000)
    expect(pace).to_have_attribute("aria-checked", "true")
    if settle:
        wait_for_app_run(page)


def start(page: Page) -> None:
    page.get_by_role("button", name="▶️ Start training").click()


def expect_in_viewport(page: Page, what: str, box: dict | None) -> None:
    viewport = page.viewport_size
    assert box is not None, f"{what} is not on the page"
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
        f"{what} at y {box['y']:.0f}-{box['y'] + box['height']:.0f} is outside the "
        f"{viewport['width']}x{viewport['height']} viewport"
    )


@pytest.mark.parametrize("viewport", LAPTOPS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_a_watchable_run_moves_in_visible_steps_with_all_that_moves_in_view(
    app: Page, shoot, viewport
):
    watch_a_run(app, viewport, shoot, f"train_watchable_{viewport['width']}x{viewport['height']}")


def test_a_watchable_run_sharing_the_server_keeps_all_that_moves_in_view(
    app: Page, browser: Browser, app_url: str, errors: ErrorLog, shoot
):
    """Another visitor's long run trains meanwhile: the sharing note is beside the metrics, not
    a line that pushes the templates below a 1366x768 screen."""
    other = errors.watch(browser.new_context(viewport=LAPTOPS[0])).new_page()
    other.goto(app_url)
    wait_for_app_run(other)
    open_train(other)
    other.get_by_role("spinbutton", name="Epochs").fill("100")
    start(other)
    expect(progress(other)).to_contain_text("Running · epoch", timeout=30_000)
    try:
        watch_a_run(app, LAPTOPS[0], shoot, "train_watchable_sharing_1366x768", sharing=True)
    finally:
        other.get_by_role("button", name="⏹️ Stop").click()
        expect(other.get_by_role("button", name="▶️ Start training")).to_be_visible(
            timeout=RUN_TIMEOUT
        )
        other.context.close()


def watch_a_run(page: Page, viewport: dict, shoot, shot: str, sharing: bool = False) -> None:
    """Start a watchable run at `viewport`; check it moves in visible steps with all that moves
    (and, if `sharing`, the note that it shares the server with one other run) in view, then
    stop it."""
    page.set_viewport_size(viewport)
    open_train(page)
    choose_pace(page, "Watchable")
    start(page)
    # The form folds into one line with the run's settings; the explanations fold away.
    expect(
        main(page).get_by_text(re.compile(r"Learning rate 0\.1 · batch 128 · 20 epochs · seed \d+"))
    ).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="▶️ Start training")).to_have_count(0)
    expect(page.get_by_text("The maths of one SGD step, with shapes")).to_have_count(0)
    # Visible steps: the page shows several step counts within one epoch (5 s at this pace; at
    # full speed an epoch takes about 0.4 s, less than one redraw).
    expect(progress(page)).to_contain_text(re.compile(r"Running · epoch \d+ of 20"), timeout=30_000)
    seen: dict[int, set[int]] = {}
    for _ in range(30):
        found = re.search(r"epoch (\d+) of 20", progress(page).inner_text())
        if found:
            seen.setdefault(int(found.group(1)), set()).add(step_of(progress(page).inner_text()))
        page.wait_for_timeout(250)
    assert max(len(steps) for steps in seen.values()) >= 3, f"steps seen per epoch: {seen}"
    # After an epoch the templates are there too; what moves is all in view without scrolling.
    expect(page.locator(".st-key-live_templates img").first).to_be_visible(timeout=30_000)
    expect_in_viewport(page, "the progress bar", progress(page).bounding_box())
    if sharing:
        note = page.get_by_text(re.compile(r"^🤝 Sharing the server with 1 other run: "))
        expect(note).to_be_visible()
        expect_in_viewport(page, "the sharing note", note.bounding_box())
    for part in LIVE_PARTS:
        expect_in_viewport(page, part, page.locator(f".st-key-{part}").bounding_box())
    shoot(page, shot)
    # Stop unfolds the form again.
    page.get_by_role("button", name="⏹️ Stop").click()
    expect(page.get_by_role("button", name="▶️ Start training")).to_be_visible(timeout=RUN_TIMEOUT)
    expect_no_exception(page)


def test_step_by_step_advances_one_step_per_click(app: Page):
    page = app
    open_train(page)
    choose_pace(page, "Step by step")
    start(page)
    expect(progress(page)).to_contain_text(
        "Paused · epoch 1 of 20 · step 0 of 9,380", timeout=30_000
    )
    one_step = page.get_by_role("button", name="⏭️ One step")
    for expected in (1, 2, 3):
        one_step.click()
        expect(progress(page)).to_contain_text(f"step {expected} of 9,380", timeout=30_000)
    page.wait_for_timeout(1_500)  # nothing moves between clicks
    assert step_of(progress(page).inner_text()) == 3
    expect(page.get_by_role("button", name="⏯️ Resume")).to_be_disabled()
    # Back to full speed: it goes on by itself.
    choose_pace(page, "Full speed", settle=False)
    expect(progress(page)).not_to_contain_text("step 3 of 9,380", timeout=30_000)
    expect_no_exception(page)


def test_two_default_runs_take_different_seeds_shown_before_start_and_in_the_runs_table(
    app: Page,
):
    page = app
    open_train(page)
    seed_box = page.get_by_role("spinbutton", name="Seed")
    seeds = [1, 2]  # the seed rule's first two (the shipped model is seed 0)
    for run, seed in enumerate(seeds, start=1):
        expect(seed_box).to_have_value(str(seed), timeout=30_000)  # shown before Start
        # One epoch of the notebook's other settings, to keep the test short.
        page.get_by_role("spinbutton", name="Epochs").fill("1")
        start(page)
        expect(page.get_by_role("heading", name=f"Result of Run {run}")).to_be_visible(
            timeout=RUN_TIMEOUT
        )
        wait_for_app_run(page)
    expect(seed_box).to_have_value("3")  # the next run's
    # The runs table: its grid's (off-screen, for screen readers) seed column holds both seeds.
    table = page.get_by_test_id("stDataFrame")
    expect(table.locator("th", has_text="seed")).to_have_count(1)
    headers = [h.strip() for h in table.locator("th").all_text_contents()]
    column = headers.index("seed")
    shown = [table.get_by_test_id(f"glide-cell-{column}-{row}") for row in range(len(seeds))]
    assert [int(cell.text_content()) for cell in shown] == seeds
    expect_no_exception(page)
