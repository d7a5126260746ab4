"""Draw as a visitor feels it: mouse-up of a stroke -> prediction shown, and -> page settled.

    .venv/bin/python bench/draw_speed.py              # 7 strokes each, after one to warm up
    .venv/bin/python bench/draw_speed.py --strokes 11

Real Chromium against `streamlit run app.py` (the Draw page) and against
bench/canvas_floor_app.py (the canvas component alone with the shipped model's answer: the
floor, since the component waits about 200 ms after the last change before sending). Each round
clears the canvas, draws a 1 or a 7 with mouse moves, and times inside the browser with
performance.now() from mouse-up to (a) a headline starting "It's" and (b) the script idle with
no stale element, no skeleton and every Plotly chart drawn. Prints medians (min-max) in ms
and what the lab adds on top of the floor.
A measurement, not a test; traffic only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_test import Server, launch_browser  # noqa: E402

STROKES = ([(0.52, 0.15), (0.48, 0.85)], [(0.3, 0.18), (0.7, 0.18), (0.45, 0.85)])
HEADLINE_JS = """() => [...document.querySelectorAll('h3')]
    .some(h => h.textContent.startsWith("It's") && !h.closest('[data-stale=true]'))"""
# Settled: the script idle, nothing stale, no skeleton, and every Plotly chart drawn (a chart
# renders after the script's end arrives, so the script state alone would stop the clock early).
SETTLED_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale=true], [data-testid=stSkeleton]')
        && [...document.querySelectorAll("[data-testid=stPlotlyChart]")]
            .every(chart => chart.querySelector('.main-svg'));
}"""
NO_HEADLINE_JS = """() => ![...document.querySelectorAll('h3')]
    .some(h => h.textContent.startsWith("It's"))"""


def clear(page, lab: bool) -> None:
    if lab:
        page.get_by_role("button", name="🧹 Clear the canvas").click()
    else:  # the floor app's canvas is cleared by its own toolbar button
        page.get_by_role("button", name="Reset canvas & history").click(force=True)
    page.wait_for_function(NO_HEADLINE_JS, polling="raf", timeout=60_000)
    page.wait_for_function(SETTLED_JS, polling="raf", timeout=60_000)
    page.wait_for_timeout(600)


def stroke(page, points) -> None:
    box = page.locator("canvas.upper-canvas").first.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for (xa, ya), (xb, yb) in zip(xy, xy[1:], strict=False):
        for k in range(1, 21):
            page.mouse.move(xa + (xb - xa) * k / 20, ya + (yb - ya) * k / 20)
    page.evaluate("window.__up = performance.now()")
    page.mouse.up()


def measure(browser, url: str, lab: bool, strokes: int) -> tuple[list[float], list[float]]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url, timeout=120_000)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=120_000)
    page.wait_for_function(SETTLED_JS, polling="raf", timeout=120_000)
    page.wait_for_timeout(1500)
    shown, settled = [], []
    for i in range(strokes + 1):
        if i:
            clear(page, lab)
        stroke(page, STROKES[i % 2])
        page.wait_for_function(HEADLINE_JS, polling="raf", timeout=60_000)
        t_shown = page.evaluate("performance.now() - window.__up")
        page.wait_for_function(SETTLED_JS, polling="raf", timeout=60_000)
        t_settled = page.evaluate("performance.now() - window.__up")
        if i:  # the first stroke warms up
            shown.append(t_shown)
            settled.append(t_settled)
    page.close()
    return shown, settled


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        for name, script, path, lab in (
            ("canvas alone (the floor)", "bench/canvas_floor_app.py", "", False),
            ("Draw page", "app.py", "/draw", True),
        ):
            with Server(script=script) as server:
                results[name] = measure(browser, server.url + path, lab, args.strokes)
        browser.close()
    header = f"| {args.strokes} strokes each, ms | mouse-up → prediction shown |"
    print(header + " mouse-up → page settled |")
    print("|---|---:|---:|")
    for name, (shown, settled) in results.items():
        print(f"| {name} | {summary(shown)} | {summary(settled)} |")
    floor, lab = results["canvas alone (the floor)"], results["Draw page"]
    added = statistics.median(lab[0]) - statistics.median(floor[0])
    print(f"\nThe Draw page adds {added:.0f} ms to the floor's median before the prediction shows.")


if __name__ == "__main__":
    main()
