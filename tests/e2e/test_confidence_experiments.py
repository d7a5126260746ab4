"""The Experiments and Confidence pages in a real browser: run one short experiment to its end
and see the comparison; see the reliability diagram and the expected calibration error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    chart,
    expect_chart_rendered,
    expect_image_grid_shown,
    expect_no_exception,
    image_grid,
    main,
    open_from_sidebar,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e


def test_an_experiment_runs_to_its_comparison(app: Page, shoot):
    page = app
    open_from_sidebar(page, "Experiments", "experiments", "🧪 Experiments")
    wait_for_app_run(page)
    main(page).get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Initial weights: zero, small, large").click()
    expect(main(page)).to_contain_text("init 0.01 (the notebook's)")
    page.get_by_role("button", name="Run this experiment").click()
    expect(page.get_by_role("button", name="Cancel the experiment")).to_be_visible()
    expect(main(page)).to_contain_text(re.compile(r"Run [123] of 3"))
    # Three runs of 3 epochs, one after another: the page moves itself on.
    expect(main(page)).to_contain_text("All 3 runs ended.", timeout=240_000)
    expect(page.get_by_role("button", name="Run this experiment")).to_be_visible()
    expect(main(page)).to_contain_text("What to look at")
    for key in ("experiment_loss", "experiment_acc", "experiment_templates_2"):
        expect_chart_rendered(chart(page, key))
    expect(main(page).get_by_test_id("stDataFrame")).to_be_visible()
    expect_no_exception(page)
    shoot(page, "page_experiments")


def test_the_confidence_page_shows_the_diagram_and_ece(app: Page, shoot):
    page = app
    open_from_sidebar(page, "Confidence", "confidence", "🎯 Confidence")
    wait_for_app_run(page)
    # The first visit computes the calibration (a few seconds on a busy machine).
    expect(main(page).get_by_test_id("stMetric").first).to_contain_text("accuracy", timeout=60_000)
    ece = main(page).get_by_test_id("stMetric").filter(has_text="expected calibration error")
    expect(ece).to_contain_text(re.compile(r"\d+\.\d\d%"))
    # Three reliability diagrams in HTML (no Plotly chart to run), each with its diagonal.
    for key in ("reliability", "reliability_before", "reliability_after"):
        expect(page.locator(f".st-key-{key} .reliability img.diagonal")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    expect_image_grid_shown(image_grid(page, "confident_mistakes"), 20)
    expect_no_exception(page)
    shoot(page, "page_confidence")
