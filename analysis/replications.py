"""How many replications (seeds) the default outcomes need for a given confidence-interval width.

Runs a scenario over many seeds, measures the spread of each key outcome across seeds, and from it
the number of replications ``n`` for which the 95% confidence interval of the mean has a half-width
of 1%, 2% or 5% of the mean: the smallest ``n`` with ``t(0.975, n−1)·sd/√n ≤ h``. It does the same
for the policy effect (baseline minus no-policy with the same seed, i.e. common random numbers),
which is what most experiments report. Writes the figure docs/img/replications.png and prints the
Markdown table used in docs/replications.md::

    python -m analysis.replications --seeds 40 --out docs/img/replications.png
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import sim

#: Outcomes reported (scalar names from :func:`sim.run`), with labels and units.
OUTCOMES: dict[str, tuple[str, str]] = {
    "adoption_rate_fy2030": ("enterprises using AI, FY2030", "share"),
    "domestic_share_fy2030": ("AI spend on domestic providers, FY2030", "share"),
    "sovereign_share_regulated_fy2030": ("regulated AI spend hosted in Japan, FY2030", "share"),
    "digital_deficit_ai_jpy_bn_fy2030": ("digital deficit, AI part, FY2030", "¥bn/yr"),
    "digital_deficit_total_cum_jpy_bn": ("digital deficit, total, FY2026–FY2035", "¥bn"),
    "domestic_compute_eflops_fy2030": ("AI compute in Japan, FY2030", "EFLOPS"),
    "capability_gap_fy2030": ("capability gap to the frontier, FY2030", "points"),
    "domestic_ai_revenue_cum_jpy_bn": ("domestic AI revenue, FY2026–FY2035", "¥bn"),
    "electricity_cum_gwh": ("AI data-centre electricity, FY2026–FY2035", "GWh"),
    "adoption_rate_final": ("enterprises using AI, FY2035", "share"),
}
#: Policy effects: the scenario minus no-policy with the same seed (positive = the policy raises it).
EFFECTS: dict[str, str] = {
    "domestic_share_fy2030": "effect on domestic AI spend share, FY2030",
    "digital_deficit_ai_cum_jpy_bn": "effect on AI deficit, FY2026–FY2035 (+ = more deficit)",
    "capability_gap_fy2030": "effect on capability gap, FY2030",
}
RELATIVE_WIDTHS = (0.01, 0.02, 0.05)


def replications_needed(sd: float, half_width: float, n_max: int = 100_000) -> int:
    """Smallest n ≥ 2 with ``t(0.975, n−1)·sd/√n ≤ half_width`` (2 when the outcome does not vary)."""
    if sd <= 0:
        return 2
    if half_width <= 0:
        return n_max
    n = max(2, math.ceil((1.96 * sd / half_width) ** 2))
    while n < n_max and stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) > half_width:
        n += 1
    return n


def collect(scenario: str, seeds: int, n_user_agents: int | None = None, with_effects: bool = True) -> pd.DataFrame:
    """Scalar outcomes of ``seeds`` runs of ``scenario`` (and, per seed, of no-policy for the effects)."""
    params = sim.load_scenario(scenario)
    if n_user_agents:
        params["n_user_agents"] = n_user_agents
    rows = []
    for seed in range(1, seeds + 1):
        run = sim.run(params, seed=seed)
        row = {k: run[k] for k in OUTCOMES}
        if with_effects:
            none = sim.run({**params, **sim.load_scenario("no_policy")}, seed=seed)
            for k in EFFECTS:
                row[f"effect:{k}"] = run[k] - none[k]
        rows.append(row)
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame, widths: Sequence[float] = RELATIVE_WIDTHS) -> pd.DataFrame:
    """Mean, sd, coefficient of variation and replications needed per outcome and relative width."""
    rows = []
    for col in runs.columns:
        values = runs[col].to_numpy(float)
        mean, sd = float(values.mean()), float(values.std(ddof=1))
        label = EFFECTS[col.removeprefix("effect:")] if col.startswith("effect:") else OUTCOMES[col][0]
        row = {"outcome": label, "column": col, "mean": mean, "sd": sd, "cv": sd / abs(mean) if mean else np.nan}
        for w in widths:
            row[f"n_{w:.0%}"] = replications_needed(sd, w * abs(mean))
        rows.append(row)
    return pd.DataFrame(rows)


def figure(summary: pd.DataFrame, seeds: int, path: Path, *, scenario: str) -> None:
    """Plot the 95% CI half-width (% of the mean) against replications, one line per outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.arange(2, 201)
    fig, ax = plt.subplots(figsize=(12, 5.5), layout="constrained")
    for _, row in summary.iterrows():
        if not np.isfinite(row["cv"]) or row["cv"] <= 0:
            continue
        half = stats.t.ppf(0.975, n - 1) * row["cv"] / np.sqrt(n) * 100
        style = "--" if row["column"].startswith("effect:") else "-"
        ax.plot(n, half, style, label=f"{row['outcome']} (cv {row['cv']:.2%})")
    for w in RELATIVE_WIDTHS:
        ax.axhline(w * 100, color="grey", lw=0.8, ls=":")
        ax.text(n[-1], w * 100, f" ±{w:.0%}", va="center", fontsize=8, color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("replications (seeds)")
    ax.set_ylabel("95% CI half-width of the mean, % of the mean")
    ax.set_title(
        f"Replications needed for a given precision: scenario {scenario!r}, spread measured over "
        f"{seeds} seeds\n(solid: outcome; dashed: effect against no-policy with the same seed)"
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="outcome (coefficient of variation)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table."""
    head = ["outcome", "mean", "sd", "cv"] + [f"n for ±{w:.0%}" for w in RELATIVE_WIDTHS]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for _, r in summary.iterrows():
        cells = [r["outcome"], f"{r['mean']:.4g}", f"{r['sd']:.3g}", f"{r['cv']:.2%}"]
        cells += [str(r[f"n_{w:.0%}"]) for w in RELATIVE_WIDTHS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the seeds, write the figure, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--n-user-agents", type=int, default=None, help="default: the scenario's (5,000)")
    ap.add_argument("--out", type=Path, default=Path("docs/img/replications.png"))
    args = ap.parse_args(argv)
    runs = collect(args.scenario, args.seeds, args.n_user_agents)
    summary = summarise(runs)
    figure(summary, args.seeds, args.out, scenario=args.scenario)
    print(markdown(summary))
    print(f"\nfigure: {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
