"""Page speed as a visitor feels it: real Chromium against `streamlit run app.py`.

    .venv/bin/python bench/page_speed.py                 # browser timings, 5 rounds
    .venv/bin/python bench/page_speed.py --rounds 7 --server-side
    .venv/bin/python bench/page_speed.py --floor     # and the floor: three minimal pages

Pages are those the app's sidebar navigation lists (read from the page, not hard-coded).

- first visit: on a fresh server (a new one per round), each page opened once by its address in
  a new browser session, in navigation order; the time from the request to the page settled.
  The first page also pays the dataset load; later ones their own first computations.
- warm switch: one session clicks through every page in the sidebar, round after round; the
  first round (each page's first visit in the session) is left out, the rest are warm.
- settled: the new page's heading is shown, the script run has ended (Streamlit's own
  data-test-script-state) and every Plotly chart has drawn its SVG; timed inside the browser
  with performance.now().

--server-side adds where the time goes on the server: one warm rerun of each page through
streamlit.testing (median of --rounds), and the number and JSON size of its Plotly figures
(every figure is sent to the browser and drawn there on each switch).

Bounded waits, traffic only to 127.0.0.1. Prints markdown tables (median, min-max in ms). A
measurement, not a test. Draw's stroke timings are measured by bench/ scripts of the Draw page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_test import Server, launch_browser  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
SETTLE_TIMEOUT_MS = 120_000

# Resolves when the page is settled: its h1 contains `title`, the script is idle and every
# Plotly chart has its SVG. Polled once per animation frame.
SETTLED_JS = """
async ([title, t0, limit]) => {
  const settled = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    if (!app || !h1 || !h1.innerText.includes(title)) return false;
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.every(c => c.querySelector('.main-svg'));
  };
  while (!settled()) {
    if (performance.now() - t0 > limit) throw new Error('not settled: ' + title);
    await new Promise(r => requestAnimationFrame(r));
  }
  return performance.now() - t0;
}
"""
CLICK_AND_TIME_JS = """
async ([href, title, limit]) => {
  const link = [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
    .find(a => a.href === href);
  const t0 = performance.now();
  link.click();
  return await (SETTLED)([title, t0, limit]);
}
""".replace("(SETTLED)", f"({SETTLED_JS.strip()})")
FIRST_RUN_DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMain"] h1');
}"""
# A page whose heading is not its navigation title (Home shows the app's name).
HEADING_OF = {"Home": "MNIST Softmax Lab"}
FLOOR_APP = "bench/floor_pages_app.py"


def nav_pages(page) -> list[tuple[str, str]]:
    """(address, heading text) of every page the sidebar navigation lists."""
    # After the first run: until st.navigation arrives, Streamlit lists the files in pages/.
    page.wait_for_function(FIRST_RUN_DONE_JS, timeout=SETTLE_TIMEOUT_MS)
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.first.wait_for(timeout=SETTLE_TIMEOUT_MS)
    found = links.evaluate_all("as => as.map(a => [a.href, a.innerText.trim()])")
    pages = []
    for href, text in found:
        title = text.strip().splitlines()[-1].strip()  # the line after the icon
        pages.append((href, HEADING_OF.get(title, title)))
    return pages


def open_settled(page, address: str, title: str) -> float:
    """Open `address` in `page`; ms from the request (navigation start) to settled."""
    page.goto(address, wait_until="commit", timeout=SETTLE_TIMEOUT_MS)
    return page.evaluate(SETTLED_JS, [title, 0, SETTLE_TIMEOUT_MS])


def first_visits(
    browser, pages: list[tuple[str, str]], rounds: int, script: str = "app.py"
) -> dict[str, list[float]]:
    """Each round on a new server: each page's first visit there, in a new session."""
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        with Server(script=script) as server:
            for address, title in pages:
                context = browser.new_context(viewport=VIEWPORT)
                path = urlparse(address).path
                ms = open_settled(context.new_page(), server.url + path, title)
                times.setdefault(title, []).append(ms)
                context.close()
    return times


def _opened(context, url: str):
    page = context.new_page()
    page.goto(url, timeout=SETTLE_TIMEOUT_MS)
    return page


def warm_switches(browser, url: str, rounds: int) -> tuple[list, dict[str, list[float]]]:
    """The pages the navigation lists, and the warm switch times to each."""
    context = browser.new_context(viewport=VIEWPORT)
    page = _opened(context, url)
    pages = nav_pages(page)
    open_settled(page, *pages[0])
    times: dict[str, list[float]] = {}
    for round_number in range(rounds + 1):
        # From the last page to the first, so every switch (Home too) is a real page change.
        for address, title in pages[1:] + pages[:1]:
            ms = page.evaluate(CLICK_AND_TIME_JS, [address, title, SETTLE_TIMEOUT_MS])
            if round_number > 0:  # round 0: each page's first visit in this session
                times.setdefault(title, []).append(ms)
    context.close()
    return pages, times


def server_side(rounds: int) -> list[tuple[str, list[float], int, int]]:
    """(page, warm rerun seconds, Plotly figures, their JSON bytes) through streamlit.testing."""
    from streamlit.testing.v1 import AppTest

    from ui.nav import PAGES

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    rows = []
    for info in PAGES:
        at.switch_page(info.path).run()  # the first visit computes and caches
        seconds = []
        for _ in range(rounds):
            start = time.perf_counter()
            at.switch_page(info.path).run()
            seconds.append(time.perf_counter() - start)
        figures = at.get("plotly_chart")
        size = sum(len(f.proto.spec) for f in figures)
        rows.append((info.path, seconds, len(figures), size))
    return rows


def ms_cell(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def browser_table(first: dict, warm: dict, rounds: int) -> str:
    """Markdown: each page's warm switch, and its first visit where `first` has them."""
    if not first:
        lines = [f"| page | warm switch (n={rounds}) |", "|---|---:|"]
        lines += [f"| {title} | {ms_cell(times)} |" for title, times in warm.items()]
    else:
        lines = [
            f"| page | first visit, fresh server (n={rounds}) | warm switch (n={rounds}) |",
            "|---|---:|---:|",
        ]
        for title in warm:
            lines.append(f"| {title} | {ms_cell(first[title])} | {ms_cell(warm[title])} |")
    median = statistics.median(statistics.median(v) for v in warm.values())
    worst = f" worst {max(max(v) for v in first.values()):.0f} |" if first else ""
    lines.append(f"| **median over pages** |{worst} **{median:.0f}** |")
    return "\n".join(lines)


def server_table(rows) -> str:
    lines = [
        "| page script | warm rerun on the server, ms | Plotly figures | their JSON, kB |",
        "|---|---:|---:|---:|",
    ]
    for path, seconds, count, size in rows:
        lines.append(
            f"| {path} | {ms_cell([s * 1000 for s in seconds])} | {count} | {size / 1000:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="at least 5 for a median")
    parser.add_argument("--server-side", action="store_true", help="add the server-side table")
    parser.add_argument("--skip-first-visits", action="store_true")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also bench/floor_pages_app.py (three minimal pages), measured the same way",
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        with Server() as server:
            pages, warm = warm_switches(browser, server.url, args.rounds)
        first = {} if args.skip_first_visits else first_visits(browser, pages, args.rounds)
        if args.floor:
            with Server(script=FLOOR_APP) as server:
                floor_pages, floor = warm_switches(browser, server.url, args.rounds)
            floor_first = (
                {}
                if args.skip_first_visits
                else first_visits(browser, floor_pages, args.rounds, FLOOR_APP)
            )
        browser.close()
    print(browser_table(first, warm, args.rounds))
    if args.floor:
        print("\nThe floor: bench/floor_pages_app.py (three minimal pages), measured alike.\n")
        print(browser_table(floor_first, floor, args.rounds))
    if args.server_side:
        print()
        print(server_table(server_side(args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
