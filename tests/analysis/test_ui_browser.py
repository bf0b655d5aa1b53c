"""The students' page tested as a person would use it: `sovai ui` serves it, headless Chromium drives it.

One test walks through a student's session on one server and one browser (so under pytest-xdist the
page is served once): the page loads, sliders move, Reset applies them, Step advances the quarter and
the charts change, Play runs and pauses, extreme values and a bad seed are explained on the page, and
the browser console stays free of errors. It saves test-artifacts/ui.png; with
SOVAI_UPDATE_DOCS_SCREENSHOT=1 (or when the file is missing) also docs/img/ui.png for the README.

Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it). When it is missing, the fixture
tries to install it (root with apt-get only); only if that is impossible does the test skip, loudly.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
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
ARTIFACT = ROOT / "test-artifacts" / "ui.png"
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "ui.png"
SERVER_START_TIMEOUT = 180.0
UPDATE_TIMEOUT_MS = 60_000  # one page update (a quarter and six charts); seconds on a busy 2-core machine
QUARTER = ".sovai-quarter"


# --- chromium ---------------------------------------------------------------------------------------------
def _install_chromium() -> str | None:
    """Make /usr/bin/chromium exist; return None when it does, else why it cannot be installed."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "there is no apt-get on this machine"
    if os.geteuid() != 0:
        return "installing it needs root (run: sudo apt-get install -y chromium)"
    with open("/tmp/sovai-chromium-install.lock", "w") as lock:  # one installer at a time under xdist
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists():
            return None
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env, check=False)
            if done.returncode != 0:
                return f"`{' '.join(cmd)}` failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None if CHROMIUM.exists() else "apt-get installed chromium but /usr/bin/chromium is still missing"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium through Playwright."""
    reason = _install_chromium()
    if reason:
        message = f"BROWSER TESTS SKIPPED: /usr/bin/chromium is missing and cannot be installed: {reason}"
        warnings.warn(message, stacklevel=1)
        print(f"\n*** {message} ***", file=sys.stderr)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- the server -------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
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


def _start(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sovai", "ui", "--port", str(port), "--host", "localhost", "--no-open"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> bool:
    """True once the page answers; False if the server exited (e.g. its port was taken meanwhile)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    _stop(proc)
    pytest.fail(
        f"`sovai ui` did not answer at {url} within {SERVER_START_TIMEOUT:.0f} s; its log:\n"
        f"{log.read_text(errors='replace')[-3000:]}"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sovai ui` on a free localhost port (unique per xdist worker); stopped whatever happens."""
    log = tmp_path_factory.mktemp("sovai-ui") / "server.log"
    for _attempt in range(3):
        port = _free_port()
        url = f"http://localhost:{port}/"
        proc = _start(port, log)
        try:
            if _wait_ready(proc, url, log):
                break
        except BaseException:
            _stop(proc)
            raise
    else:
        pytest.fail(f"`sovai ui` exited before serving the page; its log:\n{log.read_text(errors='replace')[-3000:]}")
    try:
        _check_assets(url)
        yield url
    finally:
        _stop(proc)


def _check_assets(url: str) -> None:
    """Fail clearly when the page's JavaScript and CSS cannot be served without the internet.

    Solara serves them from its CDN cache, which the ``solara-assets`` package fills; this machine
    cannot fetch them.
    """
    with urllib.request.urlopen(url, timeout=30) as response:
        html = response.read().decode("utf-8", errors="replace")
    missing = []
    for path in sorted(set(re.findall(r'["\'](/_solara/cdn/[^"\'?#]+)', html))):
        try:
            with urllib.request.urlopen(url.rstrip("/") + path, timeout=60) as response:
                response.read(1)
        except OSError as err:
            missing.append(f"{path} ({err})")
    if missing:
        pytest.fail(
            "the page's assets cannot be served offline: " + "; ".join(missing) + ". Install "
            "solara-assets and ipyvuetify<2 (the UI extra), which ship them."
        )


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


def _wait_quarters_done(page, n: int) -> str:
    page.wait_for_function(
        "([sel, n]) => { const m = /\\((\\d+) of/.exec(document.querySelector(sel).innerText);"
        " return m && Number(m[1]) >= n; }",
        arg=[QUARTER, n],
        timeout=UPDATE_TIMEOUT_MS,
    )
    return _quarter(page)


def _slider(page, name: str):
    return page.locator(f".sovai-slider-{name}")


def _press(page, name: str, key: str) -> str:
    """Move one of the page's sliders with a key, as a person can; return its label once the server
    has taken the change. A key press made while the server is busy can be lost: press again."""
    thumb = _slider(page, name).locator("[role=slider]")
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


def _set_mesa_slider(page, label: str, key: str, done) -> int:
    """Press ``key`` on one of Mesa's sliders, one press at a time, until ``done(value)``; return the value
    once it has held for a second (so the server has it too)."""
    thumb = _mesa_slider(page, label)
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        value = int(float(thumb.get_attribute("aria-valuenow")))
        if done(value):
            time.sleep(1.0)
            if int(float(thumb.get_attribute("aria-valuenow"))) == value:
                return value
            continue
        thumb.focus()
        thumb.press(key)
        time.sleep(0.4)
    pytest.fail(f"Mesa's {label} slider did not reach the wanted value")


def _label(page, name: str) -> str:
    return _slider(page, name).locator(".sovai-slider-label").inner_text()


def _mesa_slider(page, label: str):
    return page.locator(".v-input", has_text=label).locator("[role=slider]")


def _button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def _chart(page, index: int):
    return page.locator(".vue-grid-item img").nth(index)


def _wait_changed(locator, before: bytes) -> bytes:
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        now = locator.screenshot()
        if now != before:
            return now
        time.sleep(0.3)
    pytest.fail("the chart did not change")


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


# --- the session ------------------------------------------------------------------------------------------
def test_student_session_in_chromium(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1560})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    try:
        _session(page, server)
    finally:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACT))
        context.close()
    assert not errors, "errors in the browser:\n" + "\n".join(errors)


def _session(page, url: str) -> None:
    # 1. The page loads: title, quarter, six charts, the levers.
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(QUARTER, timeout=UPDATE_TIMEOUT_MS)
    assert _quarter(page) == "Quarter: start of FY2026Q1 (0 of 40 done)"
    page.wait_for_function("document.querySelectorAll('.vue-grid-item img').length >= 6", timeout=UPDATE_TIMEOUT_MS)
    assert "sovereign-AI" in page.title() + page.inner_text("header")
    assert "¥1,000bn" in _label(page, "budget_total_jpy_bn")
    assert page.locator(".sovai-share-total").inner_text() == "Shares add up to 100%."

    # 2. Sliders move (some to their extremes), the seed box gets nonsense; the shares still add up to
    #    100 % and the page says Reset will apply the changes.
    assert re.search(r"¥1,0[1-9]0bn", _press(page, "budget_total_jpy_bn", "ArrowRight"))
    assert re.search(r"R&D grants: \d+% = ¥[\d,]+bn", _press(page, "share_rnd", "End"))
    assert page.locator(".sovai-share-total").inner_text() == "Shares add up to 100%."
    assert "¥250 per $" in _press(page, "fx_jpy_per_usd", "End")
    assert ": 0 H100-eq" in _press(page, "gpu_supply_japan_h100eq_per_year", "Home")
    _press(page, "electricity_price_jpy_per_kwh", "End")
    _press(page, "foreign_price_decline_per_year", "End")
    seed = page.get_by_label("Seed (a whole number: same seed, same run)")
    seed.fill("not a seed")
    seed.press("Enter")
    pending = page.locator(".sovai-pending")
    pending.filter(has_text="seed").wait_for(timeout=UPDATE_TIMEOUT_MS)
    for words in ("Public AI budget", "programme shares", "Yen rate", "GPU supply"):
        assert words in pending.inner_text()

    # 3. Reset applies them and explains the seed it could not use; Step advances the quarter, the
    #    charts change, nothing breaks.
    _button(page, "Reset").click()
    pending.wait_for(state="detached", timeout=UPDATE_TIMEOUT_MS)
    note = page.locator(".sovai-note", has_text="not a whole number")
    note.wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert "using 42" in note.inner_text()
    adoption = _chart(page, 0)
    before = adoption.screenshot()
    _button(page, "Step").click()
    assert _wait_quarter(page, r"FY2026Q1 \(1 of 40") == "Quarter: FY2026Q1 (1 of 40 done)"
    _wait_changed(adoption, before)
    assert page.locator(".sovai-error").count() == 0
    assert "Traceback" not in page.inner_text("body")

    # 4. A scenario sets the sliders; back to the baseline, run to about FY2030Q3 in one go (Mesa's
    #    Render Interval runs 1, 3, 5, ... quarters per Step): the README picture.
    seed.fill("42")
    seed.press("Enter")
    for scenario, yen in (("weak_yen", "¥180"), ("baseline", "¥150")):
        page.locator(".sovai-levers .v-select").click()
        page.locator(".v-menu__content .v-list-item", has_text=re.compile(f"^{scenario}$")).click()
        page.wait_for_function(
            "(y) => document.querySelector('.sovai-slider-fx_jpy_per_usd').innerText.includes(y)",
            arg=yen,
            timeout=UPDATE_TIMEOUT_MS,
        )
    _button(page, "Reset").click()
    _wait_quarter(page, r"start of FY2026Q1")
    quarters = _set_mesa_slider(page, "Render Interval", "ArrowRight", lambda v: v >= 17)
    _button(page, "Step").click()
    _wait_quarter(page, rf"\({quarters} of 40")
    page.locator(".sovai-pending").wait_for(state="detached", timeout=UPDATE_TIMEOUT_MS)
    time.sleep(1.0)  # let the browser paint the new images
    if os.environ.get("SOVAI_UPDATE_DOCS_SCREENSHOT") == "1" or not DOCS_SCREENSHOT.exists():
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))

    # 5. Play runs on and pause stops it (one quarter per update); Play at the largest Render Interval
    #    runs to the end of the horizon, where the page says so and offers neither Play nor Step.
    _set_mesa_slider(page, "Render Interval", "Home", lambda v: v == 1)
    _button(page, "▶").click()
    _wait_quarters_done(page, quarters + 2)
    _button(page, "❚❚").click()
    _button(page, "▶").wait_for(timeout=UPDATE_TIMEOUT_MS)
    paused = _wait_settled(page)  # an update already under way may finish, then nothing more
    assert "FY2035Q4" not in paused
    _set_mesa_slider(page, "Render Interval", "End", lambda v: v >= 40)
    _button(page, "▶").click()
    assert _wait_quarter(page, r"40 of 40") == "Quarter: FY2035Q4 (40 of 40 done)"
    page.locator(".sovai-notes", has_text="The run reached FY2035Q4").wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert _button(page, "Step").is_disabled()
    assert page.locator("button", has_text=re.compile("^(▶|❚❚)$")).is_disabled()
    assert page.locator(".sovai-error").count() == 0

    # 6. The network view switches to a neighbourhood of the firms' peer network.
    network = page.locator(".sovai-network img")
    before = network.screenshot()
    page.get_by_role("button", name="Peer network").click()
    _wait_changed(network, before)
