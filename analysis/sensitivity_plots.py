"""Figures of a sensitivity analysis (matplotlib, Agg backend).

Bars with confidence intervals, overview and S2 heatmaps, convergence, stacked areas of
time-resolved indices, and response curves of grid designs.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: Longest parameter label before it is shortened on an axis.
MAX_LABEL = 34
#: Most factors drawn in a bar chart or the overview (the strongest; the CSV has them all).
MAX_FACTORS = 25
#: Most factors drawn in a convergence plot or a stacked area (the rest are summed as "other factors").
MAX_LINES = 8
#: Index plotted as "how much this factor matters", by method, with its label.
PRIMARY: dict[str, tuple[str, str]] = {
    "sobol": ("ST", "total-order index ST"),
    "fast": ("ST", "total-order index ST"),
    "morris": ("mu_star", "μ* (mean |elementary effect|), scaled to the largest"),
    "delta": ("delta", "Borgonovo δ"),
    "pawn": ("pawn_median", "PAWN (median KS statistic)"),
}


def slug(name: str) -> str:
    """A file-name-safe version of an outcome name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "outcome"


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _err(table: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if column is None or column not in table or table[column].isna().all():
        return None
    return np.nan_to_num(table[column].to_numpy(dtype=float))


def bar_chart(table: pd.DataFrame, method: str, outcome: str, n: int, spread: str = "") -> plt.Figure:
    """Horizontal bars of one outcome's indices with their confidence intervals, most important on top.

    ``spread`` (how much the outcome varied across the design) goes under the title, so an index of an
    outcome that hardly varies is not read as a large effect.

    Sobol/FAST: S1 and ST; delta: δ and S1; Morris: μ* with its interval and σ; PAWN: the median
    with whiskers from the minimum to the maximum over the conditioning slices.
    """
    series = {
        "sobol": [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total order ST")],
        "fast": [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total order ST")],
        "delta": [("S1", "S1_conf", "first order S1"), ("delta", "delta_conf", "δ")],
        "morris": [("sigma", None, "σ (interactions, non-linearity)"), ("mu_star", "mu_star_conf", "μ*")],
        "pawn": [("pawn_median", None, "PAWN median")],
    }[method]
    key = PRIMARY[method][0]
    total = len(table)
    table = table.sort_values(key, ascending=False, na_position="last", kind="stable").head(MAX_FACTORS)
    table = table.iloc[::-1]
    k = len(table)
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.38 * k * max(1, len(series) / 1.5)), layout="constrained")
    height = 0.8 / len(series)
    y = np.arange(k)
    for i, (column, conf, label) in enumerate(series):
        values = np.nan_to_num(table[column].to_numpy(dtype=float))
        xerr = _err(table, conf)
        if method == "pawn":
            lo = values - np.nan_to_num(table["pawn_minimum"].to_numpy(dtype=float))
            hi = np.nan_to_num(table["pawn_maximum"].to_numpy(dtype=float)) - values
            xerr = np.vstack([np.maximum(lo, 0), np.maximum(hi, 0)])
        ax.barh(
            y + (i - (len(series) - 1) / 2) * height,
            values,
            height=height,
            xerr=xerr,
            capsize=3,
            label=label,
            color=f"C{i}",
            error_kw={"elinewidth": 1},
        )
    ax.set_yticks(y, [_label(p) for p in table["parameter"]])
    ax.axvline(0, color="black", linewidth=0.6)
    unit = "index (share of output variance)" if method in ("sobol", "fast") else "index"
    if method == "morris":
        unit = "elementary effect (outcome units per unit range)"
    ax.set_xlabel(unit + ("; bars: 95% confidence intervals" if method != "pawn" else "; whiskers: min–max"))
    shown = f" (the {k} strongest of {total} factors)" if k < total else ""
    ax.set_title(f"{outcome}\n{method} indices, N = {n}{shown}" + (f"\n{spread}" if spread else ""), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def overview_heatmap(indices: pd.DataFrame, method: str) -> plt.Figure:
    """Parameters × outcomes heatmap of the method's main index (the one-glance summary).

    Morris μ* is scaled to the largest factor of each outcome, since outcomes have different units.
    """
    key, label = PRIMARY[method]
    grid = indices.pivot_table(index="parameter", columns="outcome", values=key, sort=False)
    if method == "morris":
        grid = grid / grid.max(axis=0).replace(0, np.nan)
    total = len(grid)
    order = grid.mean(axis=1).sort_values(ascending=False).index[:MAX_FACTORS]
    grid = grid.loc[order]
    fig, ax = plt.subplots(
        figsize=(2.2 + 0.75 * grid.shape[1] + 0.06 * MAX_LABEL, 1.6 + 0.42 * grid.shape[0]), layout="constrained"
    )
    values = grid.to_numpy(dtype=float)
    vmax = max(1e-9, float(np.nanmax(values))) if np.isfinite(values).any() else 1.0
    image = ax.imshow(
        np.clip(values, 0, None),
        cmap="viridis",
        vmin=0,
        vmax=vmax if method != "sobol" else max(vmax, 1e-9),
        aspect="auto",
    )
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value < 0.6 * vmax else "black",
            )
    ax.set_xticks(
        range(grid.shape[1]),
        [_label(c) for c in grid.columns],
        rotation=35,
        ha="right",
        rotation_mode="anchor",
        fontsize=8,
    )
    ax.set_yticks(range(grid.shape[0]), [_label(p) for p in grid.index], fontsize=9)
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    shown = f"; the {len(grid)} strongest of {total} factors" if len(grid) < total else ""
    ax.set_title(f"Which levers move which outcomes ({method}{shown})", fontsize=11)
    return fig


def s2_heatmap(s2: pd.DataFrame, outcome: str, n: int) -> plt.Figure:
    """Second-order Sobol indices of one outcome as a symmetric heatmap (upper triangle annotated with ± conf)."""
    names = list(dict.fromkeys([*s2["parameter"], *s2["other"]]))
    k = len(names)
    matrix = np.full((k, k), np.nan)
    conf = np.full((k, k), np.nan)
    where = {name: i for i, name in enumerate(names)}
    for row in s2.itertuples(index=False):
        i, j = where[row.parameter], where[row.other]
        matrix[i, j] = matrix[j, i] = row.S2
        conf[i, j] = conf[j, i] = row.S2_conf
    longest = max((len(_label(n)) for n in names), default=0)
    # rotated tick labels need room below and to the left: size the figure by the longest one
    fig, ax = plt.subplots(
        figsize=(3.0 + 0.7 * k + 0.07 * longest, 2.2 + 0.6 * k + 0.06 * longest), layout="constrained"
    )
    bound = max(0.05, float(np.nanmax(np.abs(matrix)))) if np.isfinite(matrix).any() else 0.05
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-bound, vmax=bound)
    for i in range(k):
        for j in range(i + 1, k):
            if np.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.2f}\n±{conf[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(k), [_label(n) for n in names], rotation=35, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(range(k), [_label(n) for n in names], fontsize=8)
    fig.colorbar(image, ax=ax, label="second-order index S2", shrink=0.8)
    ax.set_title(f"{outcome}\npairwise interactions S2 (N = {n}); ± 95% CI", fontsize=10)
    return fig


def convergence_plot(conv: pd.DataFrame, method: str, outcome: str) -> plt.Figure:
    """Each factor's indices (with CIs) at N/4, N/2 and N: flat lines mean N was enough.

    Sobol: S1 and ST side by side; other methods: their ranking index.
    """
    panels = [("S1", "S1_conf", "first-order index S1"), ("ST", "ST_conf", "total-order index ST")]
    if method != "sobol":
        key, label = PRIMARY[method]
        panels = [(key, {"mu_star": "mu_star_conf", "delta": "delta_conf"}.get(key), label)]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False, layout="constrained")
    sizes = sorted(conv["N"].unique())
    rank_key = PRIMARY[method][0]
    largest = conv[conv["N"] == max(sizes)].sort_values(rank_key, ascending=False)["parameter"].head(MAX_LINES)
    conv = conv[conv["parameter"].isin(set(largest))]
    k = conv["parameter"].nunique()
    for ax, (key, conf, label) in zip(axes[0], panels, strict=True):
        for i, (parameter, rows) in enumerate(conv.groupby("parameter", sort=False)):
            rows = rows.sort_values("N")
            offset = 1 + 0.015 * (i - k / 2)
            ax.errorbar(
                rows["N"] * offset,
                rows[key],
                yerr=_err(rows, conf),
                marker="o",
                capsize=3,
                label=_label(str(parameter)),
                color=f"C{i % 10}",
                linestyle="-" if i < 10 else "--",
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(int(s)) for s in sizes])
        unit = {"sobol": " (Saltelli blocks)", "morris": " (trajectories)"}.get(method, " (points)")
        ax.set_xlabel("base sample size N" + unit)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, ncols=2, loc="best")
    fig.suptitle(f"{outcome}: convergence (N/4, N/2, N; bars: 95% CI)", fontsize=10)
    return fig


def stacked_area(frame: pd.DataFrame, method: str, outcome: str) -> plt.Figure:
    """Which lever dominates when: the time-resolved indices of one series, stacked by factor.

    Sobol/FAST: first-order S1 (clipped at 0) stacked, the rest up to 1 drawn as "interactions and
    noise". Estimates of S1 can sum past 1 when N is small; such years are scaled so the stack ends
    at 1 (the title says how many and by how much), since shares of a variance cannot exceed it.
    Other methods: each factor's share of the year's summed main index.
    """
    key = "S1" if method in ("sobol", "fast") else PRIMARY[method][0]
    grid = frame.pivot_table(index="year", columns="parameter", values=key, sort=False).sort_index()
    order = grid.mean(axis=0).sort_values(ascending=False).index
    grid = grid[order].clip(lower=0).fillna(0.0)
    if grid.shape[1] > MAX_LINES:
        other = grid.iloc[:, MAX_LINES - 1 :].sum(axis=1)
        grid = grid.iloc[:, : MAX_LINES - 1].assign(**{"other factors": other})
    fig, ax = plt.subplots(figsize=(8.5, 4.5), layout="constrained")
    years = grid.index.to_numpy()
    scaled = ""
    if method in ("sobol", "fast"):
        total = grid.sum(axis=1)
        over = total > 1
        if over.any():
            grid = grid.div(total.where(over, 1.0), axis=0)
            scaled = f"\n{int(over.sum())} of {len(total)} years had ΣS1 > 1 (up to {total.max():.2f}): scaled to 1"
        rest = np.clip(1 - grid.sum(axis=1).to_numpy(), 0, None)
        ax.stackplot(
            years,
            *(grid[c] for c in grid.columns),
            rest,
            labels=[*[_label(str(c)) for c in grid.columns], "interactions and noise (1 − ΣS1)"],
            colors=[*[f"C{i % 10}" for i in range(grid.shape[1])], "0.85"],
        )
        ax.set_ylabel("share of output variance:\neach factor's S1, stacked (sums to 1)")
        ax.set_ylim(0, 1)
    else:
        total = grid.sum(axis=1).replace(0, np.nan)
        shares = grid.div(total, axis=0).fillna(0.0)
        ax.stackplot(years, *(shares[c] for c in shares.columns), labels=[_label(str(c)) for c in shares.columns])
        ax.set_ylabel(f"share of the year's summed {key}")
        ax.set_ylim(0, 1)
    ax.set_xlabel("fiscal year" if years.min() > 1900 else "year of the run")
    ax.set_xticks(years, [f"FY{y}" if y > 1900 else str(y) for y in years], rotation=45, ha="right")
    ax.set_title(f"{outcome}: which lever dominates when ({method}, yearly means){scaled}", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def response_plot(response: pd.DataFrame, outcome: str) -> plt.Figure:
    """Mean outcome (with its confidence band) against each swept parameter of a grid, one panel each.

    For a one-parameter grid with common seeds, a second panel shows the paired change from the
    first value with its (much narrower) confidence band.
    """
    parameters = list(dict.fromkeys(response["parameter"]))[:4]
    paired = len(parameters) == 1 and response["change"].notna().any()
    panels = [(p, "mean", "low", "high") for p in parameters]
    if paired:
        panels.append((parameters[0], "change", "change_low", "change_high"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels) + 1, 4), squeeze=False, layout="constrained")
    for ax, (parameter, mid, low, high) in zip(axes[0], panels, strict=True):
        part = response[response["parameter"] == parameter]
        numeric = pd.to_numeric(part["value"], errors="coerce")
        x = numeric.to_numpy(dtype=float) if numeric.notna().all() else np.arange(len(part))
        colour = "C0" if mid == "mean" else "C1"
        ax.plot(x, part[mid], marker="o", color=colour, label="mean" if mid == "mean" else "change (same seeds)")
        ax.fill_between(x, part[low], part[high], color=colour, alpha=0.25, label="95% CI")
        if numeric.isna().any():
            ax.set_xticks(x, [str(v) for v in part["value"]], rotation=30, ha="right")
        ax.set_xlabel(_label(str(parameter)))
        first = part["value"].iloc[0]
        ax.set_ylabel(_label(outcome) if mid == "mean" else f"change from {parameter} = {first}")
        if mid != "mean":
            ax.axhline(0, color="black", linewidth=0.6)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{outcome}: response to the swept parameters (bands: 95% CI)", fontsize=10)
    return fig


def write_figures(
    analysis: object, folder: Path, *, max_outcomes: int = 24, spreads: dict[str, str] | None = None
) -> dict[str, list[Path]]:
    """Write every figure of an :class:`analysis.sensitivity.Analysis` into ``folder``.

    ``spreads`` gives, by outcome, a line on how much it varied across the design (for the bar charts).

    Returns:
        Paths by kind: "overview", "bars", "s2", "convergence", "time_resolved", "response".
    """
    method = analysis.method
    out: dict[str, list[Path]] = {
        "overview": [],
        "bars": [],
        "s2": [],
        "convergence": [],
        "time_resolved": [],
        "response": [],
    }
    if len(analysis.response):
        for outcome in list(dict.fromkeys(analysis.response["outcome"]))[:max_outcomes]:
            part = analysis.response[analysis.response["outcome"] == outcome]
            out["response"].append(_save(response_plot(part, str(outcome)), folder / f"response_{slug(outcome)}.png"))
    if method not in PRIMARY:
        return out
    table = analysis.indices
    if len(table) and table[PRIMARY[method][0]].notna().any():
        out["overview"].append(_save(overview_heatmap(table, method), folder / "overview.png"))
    outcomes = list(dict.fromkeys(table["outcome"]))[:max_outcomes]
    for outcome in outcomes:
        rows = table[table["outcome"] == outcome]
        if rows[PRIMARY[method][0]].isna().all():
            continue
        n = analysis.n.get(outcome, 0)
        spread = (spreads or {}).get(outcome, "")
        out["bars"].append(_save(bar_chart(rows, method, outcome, n, spread), folder / f"indices_{slug(outcome)}.png"))
        if len(analysis.s2):
            s2 = analysis.s2[analysis.s2["outcome"] == outcome]
            if len(s2) and s2["S2"].notna().any():
                out["s2"].append(_save(s2_heatmap(s2, outcome, n), folder / f"s2_{slug(outcome)}.png"))
        if len(analysis.convergence):
            conv = analysis.convergence[analysis.convergence["outcome"] == outcome]
            if conv["N"].nunique() > 1:
                out["convergence"].append(
                    _save(convergence_plot(conv, method, outcome), folder / f"convergence_{slug(outcome)}.png")
                )
    if len(analysis.time_resolved):
        for outcome, frame in analysis.time_resolved.groupby("outcome", sort=False):
            out["time_resolved"].append(
                _save(stacked_area(frame, method, str(outcome)), folder / f"time_{slug(str(outcome))}.png")
            )
    return out
