"""Students' page benchmark: how long a Step takes to reach every chart, alone and in a classroom.

    python benchmarks/ui_bench.py            # 40 steps alone, ▶ to FY2035Q4, 40 steps in each of 10 sessions
    python benchmarks/ui_bench.py --tiny     # 3 steps, 2 sessions: checks that the benchmark still runs

It serves the page with ``sovai ui`` on a free port and drives headless Chromium (Debian's
/usr/bin/chromium through Playwright), as a student would:

1. **One session**: press Step 40 times; each latency runs from the click to the moment every chart
   in the page has drawn the new quarter (each chart says so in its ``data-quarters`` attribute),
   timed inside the browser. Median and 95th percentile (target: Step ≤ 150 ms).
2. **Play**: press ▶ at one quarter per Step and time until every chart shows FY2035Q4 (target ≤ 8 s).
3. **A classroom**: 10 sessions (separate browser contexts) press Step 40 times each, all at once;
   the same latency, pooled over every session (median and 95th percentile).

The machine's load average is printed before each measurement: other work on the machine slows all of it.
The browser-side helpers here are also used by the browser tests (tests/app/test_page_browser.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The page has this many charts (app.charts.chart_specs).
N_CHARTS = 7

#: Press Step and wait until every chart shows ``n`` quarters; return the milliseconds, timed in the page.
STEP_JS = """async (n) => {
    const t0 = performance.now();
    document.querySelector('.sovai-step button, button.sovai-step').click();
    await new Promise((resolve) => {
        const check = () => {
            const charts = document.querySelectorAll('.sovai-chart');
            if (charts.length && [...charts].every((c) => Number(c.dataset.quarters) >= n)) resolve();
            else requestAnimationFrame(check);
        };
        check();
    });
    return performance.now() - t0;
}"""
#: True once every chart is drawn with ``n`` quarters.
DRAWN_JS = (
    "(n) => { const c = document.querySelectorAll('.sovai-chart');"
    f" return c.length >= {N_CHARTS} && [...c].every((e) => Number(e.dataset.quarters) === n); }}"
)
#: True once every chart is drawn with ``n`` quarters or more (a playing run goes on).
REACHED_JS = DRAWN_JS.replace("=== n", ">= n")


# --- the server -----------------------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``sovai ui`` on ``port`` in its own process group, its output in ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sovai", "ui", "--port", str(port), "--no-open"],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_ready(proc: subprocess.Popen, url: str, timeout: float = 180.0) -> bool:
    """True once the page answers; False if the server exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server's whole process group: politely, then for sure."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=15)


@contextmanager
def served(log: Path, env: dict[str, str] | None = None, attempts: int = 3) -> Iterator[tuple[str, subprocess.Popen]]:
    """``sovai ui`` on a free port for the duration of the block: yields its URL and process.

    Raises:
        RuntimeError: the server did not start (the log's tail is in the message).
    """
    for _ in range(attempts):  # a free port can be taken by someone else before the server binds it
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        proc = start_server(port, log, env)
        try:
            if wait_ready(proc, url):
                break
        except BaseException:
            stop_server(proc)
            raise
        stop_server(proc)
    else:
        raise RuntimeError(f"`sovai ui` did not start; its log:\n{log.read_text(errors='replace')[-3000:]}")
    try:
        yield url, proc
    finally:
        stop_server(proc)


# --- measurements ---------------------------------------------------------------------------------------
def load() -> str:
    """The one-minute load average, as text."""
    return f"{os.getloadavg()[0]:.2f}"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


async def open_session(browser: object, url: str) -> object:
    """A new browser context on the page, once every chart is drawn (0 quarters)."""
    context = await browser.new_context(viewport={"width": 1440, "height": 1200})
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_function(DRAWN_JS, arg=0, timeout=180_000)
    return page


async def step_times(page: object, steps: int) -> list[float]:
    """Press Step ``steps`` times; the milliseconds each took to reach every chart."""
    return [await page.evaluate(STEP_JS, n) for n in range(1, steps + 1)]


async def play_time(page: object, quarters: int) -> float:
    """Reset, press ▶ and return the seconds until every chart shows ``quarters`` quarters."""
    await page.click(".sovai-reset")
    await page.wait_for_function(DRAWN_JS, arg=0, timeout=60_000)
    start = time.perf_counter()
    await page.click(".sovai-play")
    await page.wait_for_function(REACHED_JS, arg=quarters, timeout=300_000, polling=20)
    return time.perf_counter() - start


async def measure(url: str, steps: int, sessions: int) -> list[tuple[str, str, str, str, str]]:
    """Run the three measurements; return the table's rows."""
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await open_session(browser, url)
        await step_times(page, 1)  # warm up: the first Step also loads what the server imports lazily
        await page.click(".sovai-reset")
        await page.wait_for_function(DRAWN_JS, arg=0, timeout=60_000)
        before = load()
        alone = await step_times(page, steps)
        rows.append(_row(f"Step, 1 session, {steps} steps", alone, before))
        before = load()
        played = await play_time(page, steps)
        rows.append((f"▶ to quarter {steps}, 1 session", f"{played:.2f} s", "", str(steps), before))
        await page.context.close()
        pages = await asyncio.gather(*(open_session(browser, url) for _ in range(sessions)))
        before = load()
        times = await asyncio.gather(*(step_times(p, steps) for p in pages))
        pooled = [t for ts in times for t in ts]
        rows.append(_row(f"Step, {sessions} sessions at once, {steps} steps each", pooled, before))
        await browser.close()
    return rows


def _row(label: str, times: list[float], before: str) -> tuple[str, str, str, str, str]:
    return (label, f"{statistics.median(times):.0f} ms", f"{percentile(times, 95):.0f} ms", str(len(times)), before)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="Steps per session (default 40)")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions (default 10)")
    parser.add_argument("--tiny", action="store_true", help="3 steps and 2 sessions: a quick check that it runs")
    args = parser.parse_args(argv)
    steps, sessions = (3, 2) if args.tiny else (args.steps, args.sessions)
    if not CHROMIUM.exists():
        print(f"ui_bench: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"sovai-ui-bench-{os.getpid()}.log"
    with served(log) as (url, _proc):
        rows = asyncio.run(measure(url, steps, sessions))
    print("| measurement | median | 95th percentile | samples | load avg |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
