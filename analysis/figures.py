"""Figures of one run's time series (matplotlib; labelled axes with units).

Legends sit below the plot, where they cover no line; a line on a second axis says which axis in its
label; the y range leaves room above the highest line.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.params import PROGRAMMES  # noqa: E402

#: Head room above the highest line, as a share of it, so no line runs along the frame.
HEADROOM = 0.06


def _axes(title: str, ylabel: str, ts: pd.DataFrame) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("fiscal quarter")
    step = max(1, len(ts) // 10)
    ax.set_xticks(range(0, len(ts), step), ts["quarter"].iloc[::step], rotation=45, ha="right")
    ax.grid(alpha=0.3)
    return fig, ax


def _legend_below(fig: plt.Figure, handles: list | None = None, ncols: int = 3) -> None:
    """One legend for the figure, below the plot (outside it, so it covers no line)."""
    if handles is None:
        handles = [h for ax in fig.axes for h in ax.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False)


def _headroom(ax: plt.Axes, top: float) -> None:
    """Start the y axis at 0 and end it a little above ``top``."""
    ax.set_ylim(0, top * (1 + HEADROOM) if top > 0 else 1)


def adoption_by_provider(ts: pd.DataFrame) -> plt.Figure:
    """Share of enterprises using each provider for their general AI work (stacked)."""
    cols = [c for c in ts.columns if c.startswith("users_")]
    fig, ax = _axes("AI adoption by provider", "share of enterprises", ts)
    ax.stackplot(range(len(ts)), *(ts[c] for c in cols), labels=[c.removeprefix("users_") for c in cols])
    _headroom(ax, float(ts[cols].sum(axis=1).max()))
    _legend_below(fig, ncols=4)
    return fig


def _lines(ts: pd.DataFrame, title: str, ylabel: str, lines: dict[str, str]) -> plt.Figure:
    """A figure with one labelled line per column."""
    fig, ax = _axes(title, ylabel, ts)
    for column, label in lines.items():
        ax.plot(ts[column], label=label)
    _headroom(ax, float(ts[list(lines)].max().max()))
    _legend_below(fig)
    return fig


def digital_deficit(ts: pd.DataFrame) -> plt.Figure:
    """The digital deficit: AI part and total."""
    return _lines(
        ts,
        "Digital deficit",
        "¥bn a year",
        {"digital_deficit_total_jpy_bn": "total (non-AI base + AI)", "digital_deficit_ai_jpy_bn": "AI part"},
    )


def compute_and_power(ts: pd.DataFrame) -> plt.Figure:
    """Installed compute (left axis, blue) and data-centre power (right axis, orange)."""
    fig, ax = _axes("Compute and power in Japan", "AI compute, EFLOPS (dense BF16) — left axis", ts)
    ax.plot(ts["domestic_compute_eflops"], color="C0", label="compute, EFLOPS (left axis)")
    right = ax.twinx()
    right.plot(ts["dc_power_mw"], color="C1", label="built capacity, MW (right axis)")
    right.plot(ts["dc_power_draw_mw"], color="C1", linestyle="--", label="average draw, MW (right axis)")
    right.set_ylabel("data-centre power, MW — right axis")
    for axis, colour in ((ax, "C0"), (right, "C1")):
        axis.yaxis.label.set_color(colour)
        axis.tick_params(axis="y", colors=colour)
    _headroom(ax, float(ts["domestic_compute_eflops"].max()))
    _headroom(right, float(ts[["dc_power_mw", "dc_power_draw_mw"]].max().max()))
    _legend_below(fig)
    return fig


def capability(ts: pd.DataFrame) -> plt.Figure:
    """Best domestic model against the global frontier."""
    return _lines(
        ts,
        "Capability: best domestic model vs frontier",
        "capability (10 points = 10x effective compute)",
        {"frontier_capability": "global frontier", "best_domestic_capability": "best domestic model"},
    )


def budget_by_programme(ts: pd.DataFrame) -> plt.Figure:
    """Cumulative budget spent, stacked by programme."""
    fig, ax = _axes("Public AI budget spent by programme", "¥bn (cumulative)", ts)
    cols = [f"spent_{p}_jpy_bn" for p in PROGRAMMES]
    ax.stackplot(range(len(ts)), *(ts[c] for c in cols), labels=[p.replace("_", " ") for p in PROGRAMMES])
    ax.plot(ts["budget_appropriated_jpy_bn"], color="black", linestyle=":", label="appropriated")
    _headroom(ax, max(float(ts[cols].sum(axis=1).max()), float(ts["budget_appropriated_jpy_bn"].max())))
    _legend_below(fig, ncols=4)
    return fig


RUN_FIGURES = {
    "adoption_by_provider": adoption_by_provider,
    "digital_deficit": digital_deficit,
    "compute_and_power": compute_and_power,
    "capability_vs_frontier": capability,
    "budget_by_programme": budget_by_programme,
}


def write_run_figures(ts: pd.DataFrame, folder: Path) -> list[Path]:
    """Write every run figure as PNG into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in RUN_FIGURES.items():
        fig = make(ts)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
