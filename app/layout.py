"""The students' page: move the levers, press Step, watch Japan's AI ecosystem change, see what changed.

Start it with ``sovai ui`` (or ``solara run app.layout``). The sidebar holds the run's controls
(Reset, Step, Play, quarters per Step, pin this run, which comparison runs to show), the notes and
the levers; the main area holds the charts (drawn in the browser, see :mod:`app.charts`), the run's
events and, on demand, the networks.

Every piece of state lives in the page's own hooks, so each browser tab (each student) has its own
run, levers and pinned runs; nothing is kept at module level. When a tab closes, Solara closes its
session and all of this goes with it.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import solara

from app.charts import Chart, NetworkView, Runs, chart_specs, model_events, page_record, provider_series
from app.levers import (
    DEFAULT_SCENARIO,
    LeverPanel,
    Settings,
    StudentModel,
    changed_settings,
    quarter_text,
    run_name,
    settings_for_scenario,
)
from sim.environment import quarter_label

#: Pause between quarters while playing: ▶ runs the 40 quarters in about 40 x (this + one update).
PLAY_INTERVAL_S = 0.1
#: Seconds after a session closes before the server hands freed memory back to the system.
TRIM_DELAY_S = 2.0
#: How many runs a student can pin.
MAX_PINS = 3
PREVIOUS = "previous run"
NO_POLICY = "no policy (same seed)"

Records = Sequence[Mapping[str, Any]]


def no_policy_records(model: StudentModel) -> list[dict[str, Any]] | None:
    """The no-policy run of the model's seed and world, whole (None when the run has no policy to remove)."""
    from analysis.report import counterfactual_run
    from sim.params import resolve

    ts = counterfactual_run(resolve(model.params), model.seed, model.settings.scenario)
    if ts is None:
        return None
    users, domestic = [f"users_{n}" for n in model.provider_names], model.domestic_providers()
    return [page_record(row, users, domestic) for row in ts.to_dict("records")]


def pin(pins: tuple[tuple[str, Records], ...], name: str, records: Records) -> tuple[tuple[str, Records], ...]:
    """Add a run to the pinned ones (at most :data:`MAX_PINS`; the oldest goes), under a unique name."""
    taken = {n for n, _ in pins}
    unique, i = name, 2
    while unique in taken:
        unique, i = f"{name} ({i})", i + 1
    return (*pins, (unique, list(records)))[-MAX_PINS:]


def comparison_runs(
    previous: tuple[str, Records] | None,
    show_previous: bool,
    no_policy: Records | None,
    show_no_policy: bool,
    pins: Sequence[tuple[str, Records]],
) -> list[tuple[str, Records]]:
    """The runs drawn beside the current one, named as the legends show them."""
    runs: list[tuple[str, Records]] = []
    if show_previous and previous is not None:
        runs.append((f"{PREVIOUS}: {previous[0]}", previous[1]))
    if show_no_policy and no_policy:
        runs.append((NO_POLICY, no_policy))
    runs += [(f"pinned: {name}", records) for name, records in pins]
    return runs


@solara.component
def QuarterStatus(model: StudentModel, tick: int) -> None:
    """The current fiscal quarter, in the app bar."""
    del tick  # only there to redraw after every step
    solara.Text(quarter_text(model), classes=["sovai-quarter"], style={"font-size": "1.1rem", "margin": "0 1rem"})


@solara.component
def RunNotes(model: StudentModel, settings: solara.Reactive[Settings], tick: int) -> None:
    """What Reset will change, what was clamped, and why a run stopped early."""
    del tick  # only there to redraw after every step
    changed = changed_settings(model.settings, settings.value)
    with solara.Column(gap="6px", classes=["sovai-notes"]):
        if changed:
            solara.Warning(
                f"Changed since this run started: {', '.join(changed)}. Press Reset to start a new "
                "run from FY2026Q1 with them.",
                dense=True,
                classes=["sovai-pending"],
            )
        for note in model.notes:
            solara.Info(note, dense=True, classes=["sovai-note"])
        if model.error:
            solara.Error(model.error, dense=True, classes=["sovai-error"])
        elif not model.running and model.steps > 0:
            solara.Success(f"The run reached {model.record['quarter']}. Press Reset to start again.", dense=True)


@solara.component
def RunCharts(
    model: StudentModel,
    tick: int,
    compare: Runs,
    show_network: bool,
) -> None:
    """Every chart of the run, the events so far and (when asked for) the networks."""
    del tick  # only there to redraw after every step
    specs = solara.use_memo(
        lambda: chart_specs(provider_series(model.provider_names, model.provider_labels(), model.domestic_providers())),
        [model],
    )
    events = tuple(model_events(model, model.records))
    with solara.Div(classes=["sovai-charts"]):
        for spec in specs:
            Chart(spec, model, model.steps, compare, events)
    with solara.Card("Events so far", margin=0, classes=["sovai-events"]):
        if events:
            with solara.Column(gap="0px"):
                for e in events:
                    solara.Text(f"{quarter_label(e.quarter)}: {e.label}", style={"font-size": "0.85rem"})
        else:
            solara.Text("None yet: events are marked on the charts' time axis as dashed lines.")
    if show_network:
        NetworkView(model, model.steps)


@solara.component
def RunButtons(
    model: StudentModel,
    tick: int,
    playing: solara.Reactive[bool],
    advance: Any,
    reset: Any,
    per_step: int,
) -> None:
    """Reset, Step and Play/Pause (the only controls redrawn after every step)."""
    del tick  # only there to redraw after every step
    done = model.steps >= int(model.p["quarters"]) or model.error is not None
    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        solara.Button("Reset", on_click=reset, outlined=True, classes=["sovai-reset"])
        solara.Button("Step", on_click=lambda: advance(per_step), disabled=done, classes=["sovai-step"])
        solara.Button(
            "❚❚ Pause" if playing.value else "▶ Play",
            on_click=lambda: playing.set(not playing.value),
            disabled=done,
            classes=["sovai-play"],
        )


@solara.component
def PinButton(model: StudentModel, tick: int, pins: solara.Reactive[tuple[tuple[str, Records], ...]]) -> None:
    """Pin this run (there is something to pin once a quarter has run)."""
    del tick  # only there to redraw after every step
    solara.Button(
        f"Pin this run ({len(pins.value)} of {MAX_PINS} pinned)",
        on_click=lambda: pins.set(pin(pins.value, run_name(model.settings), model.records)),
        disabled=not model.records,
        small=True,
        classes=["sovai-pin"],
    )


@solara.component
def Controls(
    model: solara.Reactive[StudentModel],
    settings: solara.Reactive[Settings],
    version: solara.Reactive[int],
    tick: int,
    previous: solara.Reactive[tuple[str, Records] | None],
    pins: solara.Reactive[tuple[tuple[str, Records], ...]],
    show: solara.Reactive[dict[str, bool]],
) -> None:
    """Reset, Step, Play, quarters per Step, pin this run, and which runs to compare."""
    playing = solara.use_reactive(False)
    per_step = solara.use_reactive(1)
    m = model.value
    quarters = int(m.p["quarters"])
    n = min(max(1, int(per_step.value)), quarters)

    def advance(count: int) -> bool:
        """Run ``count`` quarters; False once the run cannot go on."""
        current = model.value
        for _ in range(count):
            current.step()
            if current.steps >= quarters or current.error is not None:
                break
        version.value += 1
        return current.steps < quarters and current.error is None

    def reset() -> None:
        playing.value = False
        old = model.value
        if old.records:
            previous.value = (run_name(old.settings), list(old.records))
        model.value = StudentModel(settings=settings.value)
        version.value += 1

    def play() -> None:
        # A thread of this session: it ends when the student pauses, the run ends or the tab closes.
        while playing.value:
            time.sleep(PLAY_INTERVAL_S)
            if not playing.value or not advance(min(max(1, int(per_step.value)), quarters)):
                playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    with solara.Card("Run", margin=0, classes=["sovai-controls"]):
        RunButtons(m, tick, playing, advance, reset, n)
        with solara.Div(classes=["sovai-per-step"]):
            solara.SliderInt(
                f"Quarters per Step: {n}", value=n, min=1, max=quarters, on_value=per_step.set, thumb_label=False
            )
        solara.Text(
            "Step runs this many quarters; ▶ runs them again and again until you pause or the run ends.",
            style={"font-size": "0.8rem", "color": "#555"},
        )
    with solara.Card("What changed?", margin=0, classes=["sovai-compare"]):
        flags = show.value

        def toggle(key: str, value: bool) -> None:
            show.value = {**show.value, key: value}

        for key, label in (
            ("previous", f"Show the {PREVIOUS} (faint dashed line)"),
            ("no_policy", "Show the no-policy run of the same seed"),
            ("network", "Show the networks (drawn on the server: slower)"),
        ):
            solara.Checkbox(label=label, value=flags[key], on_value=lambda v, k=key: toggle(k, v))
        PinButton(m, tick, pins)
        if len(pins.value) == MAX_PINS:
            solara.Text("Pinning another drops the oldest pin.", style={"font-size": "0.8rem", "color": "#555"})
        for i, (name, _records) in enumerate(pins.value):
            with solara.Row(gap="4px", classes=["sovai-pinned"], style={"align-items": "center"}):
                solara.Button(
                    "✕",
                    small=True,
                    text=True,
                    on_click=lambda i=i: pins.set(tuple(p for j, p in enumerate(pins.value) if j != i)),
                )
                solara.Text(name, style={"font-size": "0.85rem"})


CSS = """
.sovai-quarter { font-weight: 600; }
.sovai-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; }
.sovai-chart-box { background: white; padding: 6px; border: 1px solid #eee; border-radius: 4px; min-width: 0; }
.sovai-events { margin-top: 12px; }
"""


@solara.component
def Page() -> None:
    """The page: controls and levers in the sidebar, charts, events and networks in the main area."""
    settings = solara.use_reactive(solara.use_memo(lambda: settings_for_scenario(DEFAULT_SCENARIO), []))
    first = solara.use_memo(lambda: StudentModel(settings=settings.value), [])
    model = solara.use_reactive(first)
    version = solara.use_reactive(0)
    previous = solara.use_reactive(None)
    pins = solara.use_reactive(())
    show = solara.use_reactive({"previous": True, "no_policy": False, "network": False})
    m = model.value
    tick = version.value  # the one place that follows the steps: one redraw per step, not one per component
    flags = show.value
    no_policy = solara.lab.use_task(
        lambda: no_policy_records(m) if flags["no_policy"] else None,
        dependencies=[m, flags["no_policy"]],
        prefer_threaded=True,
    )
    compare = Runs(comparison_runs(previous.value, flags["previous"], no_policy.value, flags["no_policy"], pins.value))
    solara.Style(CSS)
    solara.Title("sovai: Japan's sovereign-AI ecosystem")
    with solara.AppBar():
        solara.AppBarTitle("sovai: Japan's sovereign-AI ecosystem")
        QuarterStatus(m, tick)
    with solara.Sidebar():
        with solara.Column(gap="12px", style={"padding": "12px"}):
            Controls(model, settings, version, tick, previous, pins, show)
            RunNotes(m, settings, tick)
            LeverPanel(settings)
    with solara.Column(gap="12px", style={"padding": "12px"}):
        if flags["no_policy"] and no_policy.finished and no_policy.value is None:
            solara.Info("This run has no policy (no budget, no tax credit): there is no no-policy run to add.")
        RunCharts(m, tick, compare, flags["network"])


page = Page


# --- memory -----------------------------------------------------------------------------------------------
# Solara closes a student's session when their tab closes (or 60 s after their connection is lost, see
# app.cli), and its objects are freed. Python keeps freed memory for reuse, so after a class leaves the
# server would stay at its largest size; a moment after sessions close, the server collects what is left
# and returns the free heap to the system (glibc's malloc_trim; elsewhere only the collection runs).
_trim_lock = threading.Lock()
_trim_timer: threading.Timer | None = None


def _trim_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _session_closed() -> None:
    """Return the memory of closed sessions soon (once for a burst of closes)."""
    global _trim_timer
    with _trim_lock:
        if _trim_timer is None or not _trim_timer.is_alive():
            _trim_timer = threading.Timer(TRIM_DELAY_S, _trim_memory)
            _trim_timer.daemon = True
            _trim_timer.start()


solara.lab.on_kernel_start(lambda: _session_closed)
