"""The notebook's two files, selected together in the sidebar's uploader, in a real browser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import current_model, expect_no_exception, sidebar
from tests.e2e.test_accessibility import axe_source as axe_source  # the fixture
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.e2e


def npy_file(name: str, array: np.ndarray) -> dict:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return {"name": name, "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}


def test_w_and_b_selected_together_load_and_say_so_in_view(app: Page, axe_source: str):
    page = app
    rng = np.random.default_rng(3)
    weights = npy_file("W.npy", rng.standard_normal((784, 10)).astype(np.float32))
    bias = npy_file("b.npy", np.zeros((1, 10), np.float32))
    bar = sidebar(page)
    bar.get_by_text("Upload a model").click()
    uploader = bar.locator("input[type=file]")

    # One of them alone: the app asks for the other, next to the uploader.
    uploader.set_input_files(files=[weights])
    warning = bar.get_by_test_id("stAlertContentWarning")
    expect(warning).to_contain_text("select it together with b.npy")
    expect(warning).to_be_in_viewport()
    expect(current_model(page)).to_have_value("Shipped default")
    assert not serious_violations(page, axe_source)  # the warning's colours too

    # Both at once: a model, named after both files, with a message in view.
    bar.locator("input[type=file]").set_input_files(files=[weights, bias])
    expect(current_model(page)).to_have_value("Uploaded: W.npy + b.npy")
    success = bar.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text("Loaded W.npy + b.npy: now the current model")
    expect(success).to_be_in_viewport()
    expect(bar.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    assert not serious_violations(page, axe_source)
    expect_no_exception(page)
