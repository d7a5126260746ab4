"""Load test: N real browser sessions train at once against one `streamlit run app.py` server.

    .venv/bin/python bench/load_test.py --sessions 1 5 10 --epochs 3
    .venv/bin/python bench/load_test.py --sessions 5 --url http://127.0.0.1:8501 --pid PID
    .venv/bin/python bench/load_test.py --pace watchable --sessions 30 --epochs 3

With ``--pace watchable`` every session picks the Train page's watchable pace (one epoch every
5 s, ui/pace.py) before Start: a class following along. Paced runs take a turn only for the
steps that are due, so thirty of them share the server's slots instead of queueing: the table's
"wall s/epoch" stays near 5 s while the server keeps up, and "saw Queued" near 0.

Each session is a Playwright page (one headless Chromium, one browser context per session so
each page is its own Streamlit session). It opens /train, sets Epochs, presses Start and waits
for the run's results (its Time metric) and reads Time and Test accuracy from the page. Without
--url the script starts its own server on a free loopback port (and stops it at the end), so it
can also read the server's memory from /proc/<pid>/status: VmRSS sampled every 0.25 s (peak and
at the end) and VmHWM (the kernel's high-water mark). With --url give --pid to get memory.

Reported per N: sessions that finished, their test accuracy (min-max), seconds per epoch under
load (the run's own computing time / epochs: waits for a turn excluded), wall time from the
first click to the last result, server RSS before the sessions, peak RSS and VmHWM. The runs
take turns (ui/scheduler.py), at most MNIST_LAB_MAX_CONCURRENT_RUNS (default one per core) at
the same moment, so s/epoch stays near the single-run figure while the wall time grows with
N / cap. The scheduler's own scenarios (a newcomer beside paused and training long runs, thirty
visitors at once) are measured in-process by bench/fair_share.py.

Bounded: every wait has a time limit (--timeout per N), every loop a count; traffic goes only to
127.0.0.1. Prints a markdown table. A measurement, not a test: no asserts, exit code 1 if a
session did not finish.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
# The pace control's choices, as its buttons read.
PACE_NAMES = {"full": "Full speed", "watchable": "Watchable"}
CHROMIUM = "/usr/bin/chromium"
# Tested flags (see the shared recipes), also used by tests/e2e: no sandbox in containers, no
# GPU, and no background networking (otherwise Chromium keeps calling Google services on a
# closed network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    # Hidden background pages must keep their websocket and timers going.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of `pid` in kB (empty if it is gone)."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (all its threads) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`streamlit run app.py` (or another `script`) on a free loopback port, from the repository
    (so with its .streamlit/config.toml), stopped on exit."""

    def __init__(
        self,
        env: dict | None = None,
        port: int | None = None,
        script: str = "app.py",
        log: Path | None = None,
    ):
        self.script = script
        self.log = log  # the server's output goes there (else nowhere)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [
            sys.executable,  # the interpreter running this script, with its Streamlit
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            "--server.headless=true",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ]
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.log:
            output.close()  # the child has its own descriptor
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r,
            ):
                if r.status == 200:
                    return self
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("streamlit did not become healthy within 60 s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # only the group this script started
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class MemorySampler(threading.Thread):
    """Samples VmRSS of `pid` every `interval` s until stopped (bounded by `limit` samples)."""

    def __init__(self, pid: int, interval: float = 0.25, limit: int = 20_000):
        super().__init__(daemon=True)
        self.pid, self.interval, self.limit = pid, interval, limit
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        for _ in range(self.limit):
            rss = proc_status(self.pid).get("VmRSS", 0)
            self.peak_kb = max(self.peak_kb, rss)
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


def launch_browser(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )


def open_train_page(browser, url: str, timeout_ms: int = 90_000):
    """A new context (= a new Streamlit session) showing the Train page, settled."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{url}/train", wait_until="domcontentloaded")
    page.get_by_role("button", name=re.compile("Start training")).wait_for()
    return context, page


def choose_pace(page, pace: str) -> None:
    """Pick the Train page's pace ("full" is the default: nothing to click)."""
    if pace == "full":
        return
    button = page.get_by_role("radio", name=re.compile(PACE_NAMES[pace]))
    button.click()
    button.and_(page.locator('[aria-checked="true"]')).wait_for()
    # The click's script run must be over before the form is filled in, or it redraws the form.
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached"
    )


def start_training(page, epochs: int, batch_size: int | None = None) -> None:
    fields = {"Epochs": epochs, "Batch size": batch_size}
    for label, value in fields.items():
        if value is None:
            continue
        box = page.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    page.get_by_role("button", name=re.compile("Start training")).click()


def metric_value(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


@dataclass
class SessionResult:
    finished: bool = False
    seconds: float | None = None
    test_acc: float | None = None
    saw_queued: bool = False
    error: str = ""
    done_at: float | None = None
    clicked_at: float = 0.0  # its Start click, seconds after the round's first


@dataclass
class Round:
    n: int
    results: list[SessionResult] = field(default_factory=list)
    wall: float = 0.0
    rss_before_kb: int = 0
    rss_end_kb: int = 0
    rss_peak_kb: int = 0
    hwm_kb: int = 0
    server_cpu: float | None = None  # CPU seconds the server used during the round


def run_round(
    browser,
    url: str,
    n: int,
    epochs: int,
    timeout: float,
    pid: int | None,
    debug_dir=None,
    pace: str = "full",
) -> Round:
    rnd = Round(n)
    if pid:
        rnd.rss_before_kb = proc_status(pid).get("VmRSS", 0)
    sampler = MemorySampler(pid) if pid else None
    if sampler:
        sampler.start()
    sessions = []
    try:
        for _ in range(n):
            sessions.append(open_train_page(browser, url))
            choose_pace(sessions[-1][1], pace)
        started = time.monotonic()
        cpu_at_start = cpu_seconds(pid) if pid else None
        rnd.results = [SessionResult() for _ in sessions]
        for (_, page), result in zip(sessions, rnd.results, strict=True):
            start_training(page, epochs)
            result.clicked_at = time.monotonic() - started
        deadline = started + timeout
        pending = set(range(n))
        while pending and time.monotonic() < deadline:
            for i in sorted(pending):
                page = sessions[i][1]
                try:
                    if page.get_by_text(re.compile(r"Queued:")).count():
                        rnd.results[i].saw_queued = True
                    # The results block: its "Time" metric (the live panel has none). Its
                    # "Result of Run 1" heading is not waited for: under load the browser
                    # sometimes did not show it although the metrics below it were there.
                    time_card = page.locator('[data-testid="stMetric"]').filter(
                        has_text="Computing time"
                    )
                    if time_card.count():
                        res = rnd.results[i]
                        res.done_at = time.monotonic() - started
                        res.seconds = float(metric_value(page, "Computing time").rstrip(" s"))
                        res.test_acc = float(metric_value(page, "Test accuracy").rstrip("%")) / 100
                        res.finished = True
                        pending.discard(i)
                except Exception as err:  # noqa: BLE001 - a measurement: record and go on
                    rnd.results[i].error = str(err).splitlines()[0][:120]
            time.sleep(0.5)
        rnd.wall = time.monotonic() - started
        if cpu_at_start is not None:
            rnd.server_cpu = cpu_seconds(pid) - cpu_at_start
        if debug_dir:
            for i in pending:
                shot = Path(debug_dir) / f"n{n}-session{i}.png"
                sessions[i][1].screenshot(path=str(shot), full_page=True)
                rnd.results[i].error += f" (screenshot {shot})"
    finally:
        if sampler:
            sampler.stop()
            rnd.rss_peak_kb = sampler.peak_kb
        if pid:
            status = proc_status(pid)
            rnd.rss_end_kb, rnd.hwm_kb = status.get("VmRSS", 0), status.get("VmHWM", 0)
        for context, _ in sessions:
            with contextlib.suppress(Exception):
                context.close()
    return rnd


def cpu_text(r: Round) -> str:
    """The server's CPU during a round, as seconds and as a share of the machine's cores."""
    if r.server_cpu is None or not r.wall:
        return "–"
    share = r.server_cpu / (r.wall * (os.cpu_count() or 1))
    return f"{r.server_cpu:.0f} s ({share:.0%} of {os.cpu_count()} cores)"


def table(rounds: list[Round], epochs: int, cap: str, pace: str = "full") -> str:
    lines = [
        f"Training {epochs} epochs (batch 128) in every session at once, pace: {pace}; at most "
        f"{cap} runs compute at the same moment.",
        "",
        "| sessions | finished | test accuracy | computing s/epoch (median, max) "
        "| wall s/epoch (median, max) | saw Queued "
        "| wall time | server CPU | server RSS before → end | RSS peak (sampled) | VmHWM |",
        "|---:|---:|---|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in rounds:
        done = [x for x in r.results if x.finished]
        accs = [x.test_acc for x in done]
        per_epoch = sorted(x.seconds / epochs for x in done)
        acc = f"{min(accs):.2%}–{max(accs):.2%}" if accs else "–"
        if len(accs) == 1 or (accs and min(accs) == max(accs)):
            acc = f"{accs[0]:.2%}"
        spe = f"{per_epoch[len(per_epoch) // 2]:.2f} s, {per_epoch[-1]:.2f} s" if per_epoch else "–"
        # From the session's Start click to its result seen (start-up and the end's redraw
        # included): the pace a visitor sees.
        walls = sorted((x.done_at - x.clicked_at) / epochs for x in done)
        wall = f"{walls[len(walls) // 2]:.1f} s, {walls[-1]:.1f} s" if walls else "–"
        mb = lambda kb: f"{kb / 1024:.0f} MB" if kb else "–"  # noqa: E731
        lines.append(
            f"| {r.n} | {len(done)}/{r.n} | {acc} | {spe} | {wall} | "
            f"{sum(x.saw_queued for x in r.results)} | {r.wall:.0f} s | {cpu_text(r)} | "
            f"{mb(r.rss_before_kb)} → {mb(r.rss_end_kb)} | {mb(r.rss_peak_kb)} | {mb(r.hwm_kb)} |"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def _server(args) -> Iterator[tuple[str, int | None]]:
    """(url, pid) of the server to load: the one given by --url, else a new one for the block."""
    if args.url:
        yield args.url, args.pid
        return
    log = None
    if args.debug_dir:
        Path(args.debug_dir).mkdir(parents=True, exist_ok=True)
        log = Path(args.debug_dir) / "server.log"
    with Server(log=log) as server:
        yield server.url, server.pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per round")
    parser.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for memory")
    parser.add_argument(
        "--debug-dir",
        help="save screenshots of sessions that did not finish, and the server's log",
    )
    parser.add_argument(
        "--pace", choices=sorted(PACE_NAMES), default="full", help="the Train page's pace"
    )
    parser.add_argument(
        "--fresh-server",
        action="store_true",
        help="start a new server for every N (VmHWM then belongs to that round alone)",
    )
    args = parser.parse_args(argv)
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be on 127.0.0.1: this script only talks to the loopback")
    if not 1 <= args.epochs <= 100 or not all(1 <= n <= 50 for n in args.sessions):
        parser.error("epochs must be 1..100 and sessions 1..50")
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    cap = os.environ.get("MNIST_LAB_MAX_CONCURRENT_RUNS") or f"{os.cpu_count()} (one per core)"
    # Rounds that share a server: all of them, or each alone with --fresh-server (then a
    # round's VmHWM is its own).
    groups = [[n] for n in args.sessions] if args.fresh_server else [args.sessions]
    rounds = []
    with sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            for group in groups:
                with _server(args) as (url, pid):
                    for n in group:
                        rounds.append(
                            run_round(
                                browser,
                                url,
                                n,
                                args.epochs,
                                args.timeout,
                                pid,
                                args.debug_dir,
                                args.pace,
                            )
                        )
        finally:
            browser.close()
    for r in rounds:
        for i, x in enumerate(r.results):
            if not x.finished:
                print(f"N={r.n} session {i}: did not finish {x.error}", file=sys.stderr)
    print(table(rounds, args.epochs, cap, args.pace))
    if args.debug_dir and not args.url:
        log = Path(args.debug_dir) / "server.log"
        errors = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
        print(f"\nserver log: {log} ({errors} tracebacks)")
    return 0 if all(x.finished for r in rounds for x in r.results) else 1


if __name__ == "__main__":
    sys.exit(main())
