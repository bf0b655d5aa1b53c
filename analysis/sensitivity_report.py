"""Writing a sensitivity analysis: ``DIR/analysis/`` with CSV tables, figures and report.md/.html.

Layout::

    DIR/analysis/indices.csv         outcome, parameter, S1, S1_conf, ST, ST_conf, method columns
    DIR/analysis/s2.csv              outcome, parameter, other, S2, S2_conf (Sobol with second order)
    DIR/analysis/convergence.csv     outcome, N, fraction, parameter, index columns (N/4, N/2, N)
    DIR/analysis/time_resolved.csv   outcome (a kept series), year, parameter, index columns
    DIR/analysis/figures/*.png       overview heatmap, bars per outcome, S2 heatmaps, convergence, stacked areas
    DIR/analysis/report.md, .html    the report

The folder is written whole into a temporary folder and moved into place, replacing an earlier analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import pages
from analysis.sensitivity import METHODS, RANK_BY, Analysis, Sweep, ranked

READING: dict[str, str] = {
    "sobol": "S1 is the share of the outcome's variance that a factor explains on its own; ST adds every "
    "interaction it takes part in (ST − S1 large: the factor works through interactions). ΣS1 < 1 leaves room "
    "for interactions and, for a stochastic model, run-to-run noise not removed by averaging replicates. "
    "S2 is the share due to a pair's interaction alone. ± is the half-width of the 95% bootstrap interval.",
    "fast": "S1 is the share of the outcome's variance that a factor explains on its own; ST adds its "
    "interactions (eFAST estimates). ± is the half-width of the 95% bootstrap interval, which SALib warns is "
    "unreliable for eFAST: treat it as indicative.",
    "morris": "μ* is the mean absolute elementary effect (outcome units per sampled range of the factor): a "
    "screening measure that ranks factors. σ large compared with μ* means non-linear effects or interactions; "
    "μ much smaller than μ* means effects of both signs. ± is the 95% bootstrap half-width of μ*.",
    "delta": "δ (Borgonovo) measures how much the whole output distribution shifts when a factor is known "
    "(0: not at all); S1 is a given-data estimate of the first-order Sobol index. ± is the 95% bootstrap "
    "half-width.",
    "pawn": "PAWN is the Kolmogorov–Smirnov distance between the output distribution and the output "
    "distribution conditional on a factor lying in one of its slices; the median over slices ranks factors "
    "(0: no influence).",
}


#: An outcome whose range across the design is below this share of its mean "hardly varies".
FLAT_SPREAD = 0.05
#: Below these base sample sizes the indices are rough (a warning says so), by method. Sobol/FAST: a
#: few hundred base samples are the usual minimum for stable total-order indices; Morris: 20
#: trajectories or more; given-data methods: a few hundred points.
SMALL_N: dict[str, int] = {"sobol": 256, "fast": 256, "morris": 20, "delta": 300, "pawn": 300}


def outcome_spread(values: np.ndarray) -> tuple[str, bool]:
    """How much an outcome varied across the design's points, in words, and whether it hardly varied."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return "", False
    low, high, mean = float(values.min()), float(values.max()), float(values.mean())
    relative = (high - low) / abs(mean) if mean else (0.0 if high == low else np.inf)
    text = f"over the design it ranged {_number(low)} to {_number(high)} (mean {_number(mean)})"
    return text, bool(relative < FLAT_SPREAD)


def _spread(sweep: Sweep, outcome: str) -> tuple[str, bool]:
    """:func:`outcome_spread` of a stored outcome of the sweep (nothing for one it does not store)."""
    if outcome not in sweep.runs.columns:
        return "", False
    return outcome_spread(sweep.point_values(outcome))


def outcome_warnings(method: str, n: int, flat: bool, spread: str) -> list[str]:
    """Warnings to print beside an outcome's indices: a flat outcome, a small sample."""
    warnings = []
    if flat:
        warnings.append(
            f"**Warning:** this outcome hardly varies across the design ({spread}, a range under "
            f"{FLAT_SPREAD:.0%} of its mean): its indices share out a tiny spread, so a large index here "
            "means a small effect in the outcome's own units."
        )
    if method in SMALL_N and 0 < n < SMALL_N[method]:
        warnings.append(
            f"**Warning:** N = {n} is small for {method} (fewer than {SMALL_N[method]}): the indices and their "
            "intervals are rough; check the convergence table or run the sweep with a larger N."
        )
    return warnings


def _fmt(value: Any, conf: Any = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    text = _number(value)
    if conf is not None and np.isfinite(conf):
        text += f" ± {_number(conf)}"
    return text


def _number(value: float) -> str:
    if abs(value) >= 1e7 or (value != 0 and abs(value) < 0.001):
        return f"{value:.3g}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"


def _columns(method: str) -> list[tuple[str, str | None, str]]:
    return {
        "sobol": [("S1", "S1_conf", "S1"), ("ST", "ST_conf", "ST")],
        "fast": [("S1", "S1_conf", "S1"), ("ST", "ST_conf", "ST")],
        "morris": [("mu_star", "mu_star_conf", "μ*"), ("mu", None, "μ"), ("sigma", None, "σ")],
        "delta": [("delta", "delta_conf", "δ"), ("S1", "S1_conf", "S1")],
        "pawn": [("pawn_median", None, "median"), ("pawn_minimum", None, "min"), ("pawn_maximum", None, "max")],
    }[method]


def outcome_table(table: pd.DataFrame, method: str) -> str:
    """One outcome's indices as a ranked Markdown table."""
    columns = _columns(method)
    rows = []
    for rank, row in enumerate(ranked(table, method).itertuples(index=False), start=1):
        rows.append(
            [
                rank,
                f"`{row.parameter}`",
                *[_fmt(getattr(row, c), getattr(row, conf) if conf else None) for c, conf, _ in columns],
            ]
        )
    return pages.table(["rank", "factor", *[label for *_, label in columns]], rows)


def convergence_table(conv: pd.DataFrame, method: str) -> str:
    """The ranking index at N/4, N/2 and N side by side (Markdown)."""
    key = RANK_BY[method]
    conf = {"ST": "ST_conf", "mu_star": "mu_star_conf", "delta": "delta_conf"}.get(key)
    sizes = sorted(conv["N"].unique())
    rows = []
    for parameter, part in conv.groupby("parameter", sort=False):
        by_n = part.set_index("N")
        rows.append(
            [
                f"`{parameter}`",
                *[_fmt(by_n.at[n, key], by_n.at[n, conf] if conf else None) if n in by_n.index else "–" for n in sizes],
            ]
        )
    return pages.table(["factor", *[f"{key} at N = {int(n)}" for n in sizes]], rows)


def _seeds(manifest: dict[str, Any]) -> str:
    mode = (manifest.get("seeds") or {}).get("mode")
    if mode == "common":
        return " (common seeds: replicate r of every point shares a seed)"
    return " (a seed per run)" if mode == "per_run" else ""


def report_markdown(sweep: Sweep, analysis: Analysis, figures: dict[str, list[Path]], folder: Path) -> str:
    """The report of a sensitivity analysis as Markdown (figure paths relative to ``folder``)."""
    m = sweep.manifest
    method = analysis.method
    counts = analysis.counts

    def rel(path: Path) -> str:
        return path.relative_to(folder).as_posix()

    lines = [f"# Sensitivity analysis: {m.get('name', sweep.root.name)}", ""]
    if m.get("description"):
        lines += [str(m["description"]), ""]
    design = f"{m['design']} design"
    if m.get("N"):
        design += f", N = {m['N']}"
    lines += [
        f"- sweep: `{sweep.root}` (experiment file `{m.get('experiment_file', '?')}`, model `{m.get('model', '?')}`"
        + (f", scenario `{m['scenario']}`" if m.get("scenario") else "")
        + ")",
        f"- design: {design}, {m['n_points']} points × {m['replications']} "
        f"replication{'s' if m['replications'] != 1 else ''} = {counts['runs']} runs{_seeds(m)}; "
        f"{counts['ok']} ok, {counts['failed']} failed (dropped), {counts['pending']} not run",
        f"- method: **{method}** — {METHODS[method]}; confidence level {analysis.options.conf_level:.0%}, "
        f"{analysis.options.resamples} bootstrap resamples, seed {analysis.options.seed}"
        if method in METHODS
        else "- method: the response of each outcome to the swept parameter (a grid over one parameter)",
        "- outcome per design point: the mean over the point's successful replicates",
    ]
    groups = sweep.problem.get("groups")
    if groups:
        members: dict[str, list[str]] = {}
        for name, group in zip(sweep.problem["names"], groups, strict=True):
            members.setdefault(group, []).append(name)
        grouped = [
            f"**{g}** = {', '.join(f'`{n}`' for n in names)}"
            for g, names in members.items()
            if len(names) > 1 or names[0] != g
        ]
        if grouped:
            scope = (
                "indices are per group"
                if method in ("sobol", "morris")
                else "delta and PAWN are computed per parameter"
            )
            lines.append(f"- groups ({scope}): " + "; ".join(grouped))
    if m.get("normalised_shares"):
        lines.append(
            "- programme shares were sampled independently and then scaled to sum to 1 at every point; "
            "the indices refer to the sampled (unscaled) weights"
        )
    if method in READING:
        lines += ["", f"How to read it: {READING[method]}", ""]
    else:
        lines.append("")
    if analysis.notes or analysis.skipped:
        lines += ["## Notes", ""]
        lines += [f"- {note}" for note in analysis.notes]
        lines += [f"- {name}: not analysed: {why}" for name, why in analysis.skipped.items()]
        lines.append("")
    if figures.get("overview"):
        lines += ["## Overview", "", f"![overview]({rel(figures['overview'][0])})", ""]
    by_name = {
        kind: {p.stem.split("_", 1)[1]: p for p in paths} for kind, paths in figures.items() if kind != "overview"
    }
    from analysis.sensitivity_plots import slug

    for outcome, table in analysis.indices.groupby("outcome", sort=False):
        outcome = str(outcome)
        key = slug(outcome)
        n = analysis.n.get(outcome, 0)
        spread, flat = _spread(sweep, outcome)
        lines += [f"## {outcome}", "", f"N = {n}" + (f"; {spread}." if spread else "."), ""]
        lines += [w + "\n" for w in outcome_warnings(method, n, flat, spread)]
        lines += [outcome_table(table, method), ""]
        for kind, alt in (("bars", "indices"), ("s2", "second-order indices")):
            if key in by_name.get(kind, {}):
                lines += [f"![{alt}]({rel(by_name[kind][key])})", ""]
        if len(analysis.convergence):
            conv = analysis.convergence[analysis.convergence["outcome"] == outcome]
            if conv["N"].nunique() > 1:
                lines += [
                    "Convergence (the same analysis on the first quarter and half of the base sample):",
                    "",
                    convergence_table(conv, method),
                    "",
                ]
                if key in by_name.get("convergence", {}):
                    lines += [f"![convergence]({rel(by_name['convergence'][key])})", ""]
    if len(analysis.time_resolved):
        lines += [
            "## Time-resolved indices",
            "",
            "Indices of each kept time series, computed per fiscal year on the year's mean: which lever "
            "dominates when.",
            "",
        ]
        for outcome in dict.fromkeys(analysis.time_resolved["outcome"]):
            key = slug(str(outcome))
            if key in by_name.get("time_resolved", {}):
                lines += [f"### {outcome}", "", f"![time-resolved {outcome}]({rel(by_name['time_resolved'][key])})", ""]
    if len(analysis.response):
        lines += [
            "## Response to the swept parameters",
            "",
            "Mean of each outcome over every successful run with a given value (other swept parameters and "
            "replicates averaged out), with a 95% t interval.",
            "",
        ]
        for (outcome, parameter), part in analysis.response.groupby(["outcome", "parameter"], sort=False):
            key = slug(str(outcome))
            paired = part["change"].notna().any()
            rows = [
                [str(r.value), _fmt(r.mean), f"[{_fmt(r.low)}, {_fmt(r.high)}]", r.n]
                + ([_fmt(r.change, None), f"[{_fmt(r.change_low)}, {_fmt(r.change_high)}]"] if paired else [])
                for r in part.itertuples(index=False)
            ]
            extra = [f"change from {part['value'].iloc[0]} (same seeds)", "95% CI"] if paired else []
            lines += [
                f"### {outcome} by `{parameter}`",
                "",
                pages.table([str(parameter), "mean", "95% CI", "runs", *extra], rows),
                "",
            ]
            if key in by_name.get("response", {}) and parameter == analysis.response["parameter"].iloc[0]:
                lines += [f"![response {outcome}]({rel(by_name['response'][key])})", ""]
    lines += [
        "## Files",
        "",
        "- `indices.csv`: outcome, parameter, S1, S1_conf, ST, ST_conf and the method's own columns",
        "- `s2.csv`, `convergence.csv`, `time_resolved.csv`, `response.csv` when computed; `figures/`",
        "",
    ]
    return "\n".join(lines)


def write_analysis(sweep: Sweep, analysis: Analysis, out: Path | None = None, *, figures: bool = True) -> Path:
    """Write the analysis into ``out`` (default ``DIR/analysis``) and return the folder.

    Everything goes into a temporary folder first and replaces ``out`` only when complete.
    """
    from analysis.sensitivity_plots import write_figures
    from sim.outputs import write_atomically

    out = Path(out) if out is not None else Path(sweep.root) / "analysis"

    def fill(folder: Path) -> None:
        analysis.indices.to_csv(folder / "indices.csv", index=False)
        for name, frame in (
            ("s2", analysis.s2),
            ("convergence", analysis.convergence),
            ("time_resolved", analysis.time_resolved),
            ("response", analysis.response),
        ):
            if len(frame):
                frame.to_csv(folder / f"{name}.csv", index=False)
        spreads = {str(o): _spread(sweep, str(o))[0] for o in dict.fromkeys(analysis.indices["outcome"])}
        made = write_figures(analysis, folder / "figures", spreads=spreads) if figures else {}
        markdown = report_markdown(sweep, analysis, made, folder)
        pages.write_page(folder, "report", markdown, title=f"Sensitivity analysis: {sweep.manifest.get('name', '')}")

    write_atomically(out, fill, kind="sensitivity", label="--out")
    return out
