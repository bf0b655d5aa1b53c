"""The students' page tested as people would use it: `sovai ui` serves it, headless Chromium drives it.

- One student's session: the page loads, levers move, Reset applies them, Step draws a quarter on every
  chart, the README's first exercise lands where it says, the previous run stays as a ghost, a pinned
  run and the no-policy run are drawn beside the current one, Play runs and pauses, the end of the run
  is said, and the browser console stays free of errors. It saves test-artifacts/ui.png; with
  SOVAI_UPDATE_DOCS_SCREENSHOT=1 (or when the file is missing) also docs/img/ui.png for the README.
- A classroom: several browser contexts on one server move different levers and never see each
  other's runs.
- A long day: 32 sessions opened and closed leave the server's memory within 1.2x of what one left,
  and SIGTERM stops the server within 2 s, with a session open.

The server and browser helpers are the page benchmark's (benchmarks/ui_bench.py). Needs Debian's chromium
at /usr/bin/chromium (`.ci/run` installs it); when it is missing the fixture tries to install it (root
with apt-get only); only if that is impossible do the tests skip, loudly.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("sovai_ui_bench", ROOT / "benchmarks" / "ui_bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

ARTIFACT = ROOT / "test-artifacts" / "ui.png"
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "ui.png"
UPDATE_TIMEOUT_MS = 60_000  # one page update; seconds on a busy 2-core machine
QUARTER = ".sovai-quarter"
#: Sessions opened and closed in the memory test (issue 10's reliability table), in batches. Measured with
#: 80: the server's memory rises about 7% with the first batch (the high-water mark of 4 sessions at once)
#: and then creeps under 0.2 MB a session, settling at 1.10x after 80; 32 sessions (8 batches) show the same
#: plateau in under half the time; a leak of about 1 MB a session (0.4 MB with 80) still breaks 1.2x.
SESSIONS, BATCH = 32, 4


# --- chromium ---------------------------------------------------------------------------------------------
def _install_chromium() -> str | None:
    """Make /usr/bin/chromium exist; return None when it does, else why it cannot be installed."""
    if bench.CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "there is no apt-get on this machine"
    if os.geteuid() != 0:
        return "installing it needs root (run: sudo apt-get install -y chromium)"
    with open("/tmp/sovai-chromium-install.lock", "w") as lock:  # one installer at a time under xdist
        fcntl.flock(lock, fcntl.LOCK_EX)
        if bench.CHROMIUM.exists():
            return None
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env, check=False)
            if done.returncode != 0:
                return f"`{' '.join(cmd)}` failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None if bench.CHROMIUM.exists() else "apt-get installed chromium but /usr/bin/chromium is still missing"


def skip_without_chromium() -> None:
    """Skip loudly when Chromium is missing and cannot be installed."""
    reason = _install_chromium()
    if reason:
        message = f"BROWSER TESTS SKIPPED: /usr/bin/chromium is missing and cannot be installed: {reason}"
        warnings.warn(message, stacklevel=1)
        print(f"\n*** {message} ***", file=sys.stderr)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium through Playwright."""
    skip_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(bench.CHROMIUM), args=bench.CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sovai ui` on a free 127.0.0.1 port (unique per xdist worker); stopped whatever happens."""
    log = tmp_path_factory.mktemp("sovai-ui") / "server.log"
    try:
        with bench.served(log) as (url, _proc):
            yield url
    except RuntimeError as err:
        pytest.fail(str(err))


# --- helpers ----------------------------------------------------------------------------------------------
def _quarter(page) -> str:
    return page.inner_text(QUARTER)


def _wait_quarter(page, pattern: str) -> str:
    page.wait_for_function(
        "([sel, pat]) => new RegExp(pat).test(document.querySelector(sel).innerText)",
        arg=[QUARTER, pattern],
        timeout=UPDATE_TIMEOUT_MS,
    )
    return _quarter(page)


def _wait_drawn(page, quarters: int) -> None:
    """Every chart has drawn ``quarters`` quarters."""
    page.wait_for_function(bench.DRAWN_JS, arg=quarters, timeout=UPDATE_TIMEOUT_MS)


def _wait_runs(page, runs: int) -> None:
    """Every chart draws ``runs`` comparison runs beside the current one."""
    page.wait_for_function(
        "(n) => { const c = document.querySelectorAll('.sovai-chart');"
        " return c.length && [...c].every((e) => Number(e.dataset.runs) === n); }",
        arg=runs,
        timeout=UPDATE_TIMEOUT_MS,
    )


def _label(page, name: str) -> str:
    return page.locator(f".sovai-slider-{name}").locator(".sovai-slider-label").inner_text()


def _press(page, name: str, key: str) -> str:
    """Move one of the levers with a key, as a person can; return its label once the server has taken the
    change. A key press made while the server is busy can be lost: press again."""
    thumb = page.locator(f".sovai-slider-{name}").locator("[role=slider]")
    before = _label(page, name)
    for _attempt in range(3):
        thumb.focus()
        thumb.press(key)
        deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 3000
        while time.monotonic() < deadline:
            if _label(page, name) != before:
                return _label(page, name)
            time.sleep(0.2)
    pytest.fail(f"the {name} slider did not move with {key} (label still {before!r})")


def _quarters_per_step(page, n: int) -> None:
    """Set "Quarters per Step" to ``n`` with the keyboard and wait until its label says so."""
    thumb = page.locator(".sovai-per-step [role=slider]")
    label = page.locator(".sovai-per-step .v-label")
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        shown = int(re.search(r"(\d+)$", label.inner_text()).group(1))
        if shown == n:
            return
        thumb.focus()
        thumb.press("ArrowRight" if shown < n else "ArrowLeft")
        time.sleep(0.15)
    pytest.fail(f"Quarters per Step did not reach {n}")


def _button(page, css: str):
    return page.locator(css)


def _pick_scenario(page, scenario: str) -> None:
    page.locator(".sovai-levers .v-select").click()
    page.locator(".v-menu__content .v-list-item", has_text=re.compile(f"^{scenario}$")).click()


def _wait_settled(page, quiet: float = 2.0) -> str:
    """Wait until the quarter has not changed for ``quiet`` seconds (fail if it keeps changing)."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    last, since = _quarter(page), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _quarter(page)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    pytest.fail(f"the run went on after pause (now {last})")


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    return errors


# --- one student ------------------------------------------------------------------------------------------
def test_student_session_in_chromium(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1500})
    page = context.new_page()
    errors = _watch_errors(page)
    try:
        _session(page, server)
    finally:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACT))
        context.close()
    assert not errors, "errors in the browser:\n" + "\n".join(errors)


def _session(page, url: str) -> None:
    # 1. The page loads: title, quarter, seven charts drawn in the browser, the levers; no test scenarios.
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(QUARTER, timeout=UPDATE_TIMEOUT_MS)
    assert _quarter(page) == "Quarter: start of FY2026Q1 (0 of 40 done)"
    _wait_drawn(page, 0)
    assert "sovereign-AI" in page.title() + page.inner_text("header")
    assert "¥1,000bn" in _label(page, "budget_total_jpy_bn")
    assert page.locator(".sovai-share-total").inner_text() == "Shares add up to 100%."
    page.locator(".sovai-levers .v-select").click()
    offered = page.locator(".v-menu__content .v-list-item").all_inner_texts()
    assert "baseline" in offered and "double_budget" in offered and "bass_check" not in offered
    page.keyboard.press("Escape")
    for hidden in ("PAGE 0", "Use Threads", "Render Interval", "Time:"):
        assert hidden not in page.inner_text("body")

    # 2. Levers move (some to their extremes), the seed box gets nonsense; the shares still add up to
    #    100 % and the page says Reset will apply the changes.
    assert re.search(r"¥1,0[1-9]0bn", _press(page, "budget_total_jpy_bn", "ArrowRight"))
    assert re.search(r"R&D grants: \d+% = ¥[\d,]+bn", _press(page, "share_rnd", "End"))
    assert page.locator(".sovai-share-total").inner_text() == "Shares add up to 100%."
    assert "¥250 per $" in _press(page, "fx_jpy_per_usd", "End")
    assert ": 0 H100-eq" in _press(page, "gpu_supply_japan_h100eq_per_year", "Home")
    seed = page.get_by_label("Seed (a whole number: same seed, same run)")
    seed.fill("not a seed")
    seed.press("Enter")
    pending = page.locator(".sovai-pending")
    pending.filter(has_text="seed").wait_for(timeout=UPDATE_TIMEOUT_MS)
    for words in ("Public AI budget", "programme shares", "Yen rate", "GPU supply"):
        assert words in pending.inner_text()

    # 3. Reset applies them and explains the seed it could not use; Step draws a quarter on every chart.
    _button(page, ".sovai-reset").click()
    pending.wait_for(state="detached", timeout=UPDATE_TIMEOUT_MS)
    note = page.locator(".sovai-note", has_text="not a whole number")
    note.wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert "using 42" in note.inner_text()
    _button(page, ".sovai-step").click()
    assert _wait_quarter(page, r"\(1 of 40") == "Quarter: FY2026Q1 (1 of 40 done)"
    _wait_drawn(page, 1)
    assert page.locator(".sovai-error").count() == 0

    # 4. The README's first exercise: the baseline to FY2030Q4 with 20 quarters per Step; pin it.
    seed.fill("42")
    seed.press("Enter")
    for scenario, yen in (("weak_yen", "¥180"), ("baseline", "¥150")):  # picking a scenario sets its levers
        _pick_scenario(page, scenario)
        page.wait_for_function(
            "(y) => document.querySelector('.sovai-slider-fx_jpy_per_usd').innerText.includes(y)",
            arg=yen,
            timeout=UPDATE_TIMEOUT_MS,
        )
    _button(page, ".sovai-reset").click()
    _wait_quarter(page, r"start of FY2026Q1")
    _wait_runs(page, 1)  # the one-quarter run just replaced is the ghost
    _quarters_per_step(page, 20)
    _button(page, ".sovai-step").click()
    assert _wait_quarter(page, r"\(20 of 40") == "Quarter: FY2030Q4 (20 of 40 done)"
    _wait_drawn(page, 20)
    page.locator(".sovai-pin").click()
    page.locator(".sovai-pinned", has_text="baseline").wait_for(timeout=UPDATE_TIMEOUT_MS)

    # 5. What changed: double the budget, Reset, run again: the baseline is the ghost and the pin; add the
    #    no-policy run of the same seed.
    _pick_scenario(page, "double_budget")
    page.wait_for_function(
        "() => document.querySelector('.sovai-slider-budget_total_jpy_bn').innerText.includes('¥2,000bn')",
        timeout=UPDATE_TIMEOUT_MS,
    )
    _button(page, ".sovai-reset").click()
    _wait_quarter(page, r"start of FY2026Q1")
    _button(page, ".sovai-step").click()
    _wait_quarter(page, r"\(20 of 40")
    _wait_drawn(page, 20)
    _wait_runs(page, 2)
    page.get_by_text("Show the no-policy run of the same seed").click()
    _wait_runs(page, 3)
    page.wait_for_timeout(500)  # let the canvas paint
    if os.environ.get("SOVAI_UPDATE_DOCS_SCREENSHOT") == "1" or not DOCS_SCREENSHOT.exists():
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))

    # 6. Play runs on and pause stops it; Play with 10 quarters per Step runs to the end of the horizon,
    #    where the page says so and offers neither Play nor Step.
    _quarters_per_step(page, 1)
    _button(page, ".sovai-play").click()
    _wait_quarter(page, r"\(2[2-9] of 40|\(3\d of 40")
    _button(page, ".sovai-play").click()
    page.locator(".sovai-play", has_text="Play").wait_for(timeout=UPDATE_TIMEOUT_MS)
    paused = _wait_settled(page)
    assert "40 of 40" not in paused
    _quarters_per_step(page, 10)
    _button(page, ".sovai-play").click()
    assert _wait_quarter(page, r"40 of 40") == "Quarter: FY2035Q4 (40 of 40 done)"
    _wait_drawn(page, 40)
    page.locator(".sovai-notes", has_text="The run reached FY2035Q4").wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert _button(page, ".sovai-step").is_disabled() and _button(page, ".sovai-play").is_disabled()
    events = page.inner_text(".sovai-events")
    assert "FY2026Q1: FY2026 plan budget appropriated: ¥" in events  # the model's own event records
    assert page.locator(".sovai-error").count() == 0


# --- a classroom ------------------------------------------------------------------------------------------
def test_classroom_sessions_never_share_state(browser, server):
    students = []
    try:
        for _ in range(3):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            students.append((context, page, _watch_errors(page)))
            page.goto(server, wait_until="domcontentloaded")
            _wait_drawn(page, 0)
        levers = [("budget_total_jpy_bn", "End", "¥10,000bn"), ("fx_jpy_per_usd", "Home", "¥80 per $"), None]
        for i, (_context, page, _errors) in enumerate(students):
            if levers[i]:
                name, key, shown = levers[i]
                assert shown in _press(page, name, key)
                _button(page, ".sovai-reset").click()
                page.locator(".sovai-pending").wait_for(state="detached", timeout=UPDATE_TIMEOUT_MS)
            for n in range(1, i + 2):
                _button(page, ".sovai-step").click()
                _wait_quarter(page, rf"\({n} of 40")
        for i, (_context, page, errors) in enumerate(students):
            assert f"({i + 1} of 40 done)" in _quarter(page)
            _wait_drawn(page, i + 1)
            assert ("¥10,000bn" in _label(page, "budget_total_jpy_bn")) == (i == 0)
            assert ("¥80 per $" in _label(page, "fx_jpy_per_usd")) == (i == 1)
            assert page.locator(".sovai-pending").count() == 0
            assert not errors, "errors in the browser:\n" + "\n".join(errors)
    finally:
        for context, _page, _errors in students:
            context.close()


# --- a long day -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_closed_sessions_release_memory_and_sigterm_stops_the_server(browser, tmp_path):
    psutil = pytest.importorskip("psutil", reason="psutil (installed with dask's distributed) measures memory")
    # Sessions whose tab is gone are closed 1 s after their connection drops (the page's default is 60 s).
    with bench.served(tmp_path / "server.log", env={"SOLARA_KERNEL_CULL_TIMEOUT": "1s"}) as (url, proc):
        server = psutil.Process(proc.pid)
        context = browser.new_context()
        # the charts' scripts are not needed to open a session; skipping them spares the test's CPU
        context.route(re.compile(r".*/_solara/cdn/vega.*"), lambda route: route.abort())

        def open_and_close(n: int) -> None:
            pages = [context.new_page() for _ in range(n)]
            for page in pages:
                page.goto(url, wait_until="commit")
            for page in pages:
                page.wait_for_selector(QUARTER, timeout=120_000)
            for page in pages:
                page.close()

        def settled_rss() -> float:
            time.sleep(4)  # sessions culled (1 s), their memory collected
            return server.memory_info().rss / 2**20

        open_and_close(1)
        after_one = settled_rss()
        for _ in range(0, SESSIONS, BATCH):
            open_and_close(BATCH)
        after_many = settled_rss()
        assert after_many <= 1.2 * after_one, (
            f"server memory {after_one:.0f} MB after 1 session, {after_many:.0f} MB after {SESSIONS}"
        )

        # SIGTERM with a student's session open stops the server within 2 s.
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(QUARTER, timeout=120_000)
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pytest.fail("`sovai ui` was still running 2 s after SIGTERM")
        stopped = time.monotonic() - start
        context.close()
    assert stopped < 2.0
