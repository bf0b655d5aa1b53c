"""Scenario discovery on a finished sweep: ``sovai discover SWEEP_DIR --where "EXPR"``.

Which combinations of the swept inputs make a condition true (the plan misses a goal)? The runs
where ``EXPR`` holds are the cases of interest; the swept parameters are the inputs. Every number
comes from EMA Workbench's ``ema_workbench.analysis`` (Kwakkel 2017, Environmental Modelling &
Software 96):

* PRIM (Friedman & Fisher 1999, as adapted for scenario discovery by Bryant & Lempert 2010):
  boxes with their coverage and density, the whole peeling trajectory, the restricted inputs with
  their ranges and quasi-p values (one-sided binomial tests of each restriction);
* CART (scikit-learn's decision tree wrapped by ``ema_workbench.analysis.cart``): the tree and its
  leaves as boxes;
* feature scores from extra trees (``ema_workbench.analysis.feature_scoring``).

The only choice made here is which box of each peeling trajectory to report: the densest box whose
coverage is at least ``min_coverage`` (ties: the one with more coverage), the usual compromise
between "explains most failures" and "is mostly failures". The whole trajectory is in the report so
a reader can pick another.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError

#: Files a discovery folder holds.
OUTPUT_FILES = ("boxes.csv", "trajectory.csv", "cart_leaves.csv", "feature_scores.csv", "report.md", "report.html")
#: Kind of output folder (sim.outputs.OUTPUT_NAMES lists what it may hold).
OUTPUT_KIND = "discovery"


class DiscoveryError(UserError, ValueError):
    """A sweep or an expression that discovery cannot use: the message says why and what to do."""


@dataclass(frozen=True)
class Cases:
    """The inputs and the cases of interest of a sweep.

    Attributes:
        folder: The sweep's results folder.
        name: The sweep's name.
        where: The condition that marks a case of interest.
        x: One row per successful run, one column per input (the values as run).
        y: Whether each run is a case of interest.
        notes: What the user should know (dropped runs).
    """

    folder: Path
    name: str
    where: str
    x: pd.DataFrame
    y: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass
class Box:
    """One PRIM box: the chosen point of a peeling trajectory.

    Attributes:
        number: 1 for the first box PRIM found, 2 for the next (found among the runs left), ...
        chosen: Index of the chosen box on the trajectory.
        coverage: Share of all cases of interest inside the box.
        density: Share of the runs inside the box that are cases of interest.
        mass: Share of all runs inside the box.
        n: Runs inside the box.
        limits: One row per restricted input: input, low, high, full_low, full_high, qp_low, qp_high
            (quasi-p values of the lower and upper restriction; NaN where that side is not restricted).
        trajectory: The peeling and pasting trajectory (coverage, density, mass, res_dim, n, id).
    """

    number: int
    chosen: int
    coverage: float
    density: float
    mass: float
    n: int
    limits: pd.DataFrame
    trajectory: pd.DataFrame


@dataclass
class Discovery:
    """Everything ``sovai discover`` found.

    Attributes:
        cases: The cases analysed.
        boxes: The PRIM boxes.
        cart_leaves: CART's leaves that predict cases of interest, as boxes (coverage, density, mass,
            rule).
        cart_text: The whole tree as text.
        feature_scores: Input and score (extra trees), highest first.
        settings: The PRIM and CART settings used.
        prim: EMA Workbench's Prim object (for figures).
        prim_boxes: EMA Workbench's PrimBox objects, with the chosen box selected.
        cart: EMA Workbench's CART object (for the tree figure).
        notes: Messages for the user.
    """

    cases: Cases
    boxes: list[Box]
    cart_leaves: pd.DataFrame
    cart_text: str
    feature_scores: pd.DataFrame
    settings: dict[str, Any]
    prim: Any = None
    prim_boxes: list[Any] = field(default_factory=list)
    cart: Any = None
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _quiet_ema() -> Iterator[None]:
    """Hide EMA Workbench's import notices (optional parallel back-ends) and progress logs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logger = logging.getLogger("EMA")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            logger.setLevel(level)


def _suggest(name: str, allowed: Sequence[str]) -> str:
    near = difflib.get_close_matches(name, list(allowed), n=3, cutoff=0.5)
    if near:
        return f"did you mean {', '.join(near)}?"
    shown = ", ".join(sorted(allowed)[:12])
    return f"available: {shown}{', ...' if len(allowed) > 12 else ''}"


def load_cases(folder: str | Path, where: str, *, inputs: Sequence[str] | None = None) -> Cases:
    """Read a sweep and mark the runs where ``where`` holds.

    Args:
        folder: The sweep's results folder.
        where: A pandas expression on the run table (``DataFrame.eval``), e.g. ``"capability_gap_fy2030 > 30"``.
        inputs: Inputs to explain with (default: every swept parameter).

    Raises:
        DiscoveryError: an expression that does not parse, names no column, or is not a condition; an
            unknown input; a sweep without successful runs, or where every run (or none) is a case.
        StoreError: ``folder`` is not a sweep results folder.
    """
    import experiments

    folder = Path(folder)
    manifest = experiments.load_manifest(folder)
    frame = experiments.load(folder)
    swept = [p["name"] for p in manifest.get("parameters", [])]
    names = list(inputs) if inputs else swept
    if not names:
        raise DiscoveryError(f"{folder}: the sweep swept no parameters; there is nothing to explain the outcome with")
    for name in names:
        if name not in swept:
            raise DiscoveryError(f"--inputs: {name!r} is not a swept parameter of {folder}; {_suggest(name, swept)}")
    notes = []
    ok = frame[frame["status"] == "ok"].reset_index(drop=True)
    if len(ok) < len(frame):
        notes.append(f"{len(frame) - len(ok)} failed runs left out")
    if ok.empty:
        raise DiscoveryError(f"{folder}: no successful run to analyse (run `sovai sweep status {folder}`)")
    ok = with_quarter_columns(folder, ok, where, list(manifest.get("timeseries") or []))
    y = evaluate_where(ok, where, outcomes=list(manifest.get("outputs") or []))
    n_cases = int(y.sum())
    if n_cases == 0 or n_cases == len(y):
        which = "no run" if n_cases == 0 else f"every one of the {len(y)} runs"
        raise DiscoveryError(
            f"--where {where!r}: {which} meets the condition, so there is nothing to tell apart; "
            "choose a threshold that some runs meet and others miss"
        )
    x = ok[names].copy()
    for column in x.columns:
        if x[column].dtype == bool or x[column].dtype == object:
            x[column] = x[column].astype(str)  # EMA Workbench treats non-numeric inputs as categories
    return Cases(folder=folder, name=str(manifest.get("name", folder.name)), where=where, x=x, y=y, notes=tuple(notes))


#: A kept time series at one quarter, as a name in --where: ``domestic_compute_eflops_FY2027Q4``.
QUARTER_NAME = re.compile(r"\b([A-Za-z_]\w*?)_(FY\d{4}Q[1-4])\b")


def with_quarter_columns(folder: Path, runs: pd.DataFrame, where: str, series: Sequence[str]) -> pd.DataFrame:
    """``runs`` with a column ``NAME_FYyyyyQq`` for every such name in ``where`` whose series the sweep kept.

    The run table has outcomes at the end of FY2030 and of the run; goals dated otherwise (60 EFLOPS
    by the end of FY2027) read the kept time series at that quarter.

    Raises:
        DiscoveryError: the series was kept but the run has no such quarter.
    """
    wanted = {(m.group(1), m.group(2)) for m in QUARTER_NAME.finditer(where) if m.group(1) in series}
    wanted = {(name, quarter) for name, quarter in wanted if f"{name}_{quarter}" not in runs.columns}
    if not wanted:
        return runs
    import experiments

    ts = experiments.load_timeseries(folder, columns=sorted({name for name, _ in wanted}) + ["quarter"])
    runs = runs.copy()
    for name, quarter in sorted(wanted):
        at = ts[ts["quarter"] == quarter]
        if at.empty:
            shown = f"{ts['quarter'].iloc[0]} to {ts['quarter'].iloc[-1]}" if len(ts) else "none"
            raise DiscoveryError(f"--where: {name}_{quarter}: the runs have no quarter {quarter} (they cover {shown})")
        runs[f"{name}_{quarter}"] = runs["run_id"].map(at.set_index("run_id")[name])
    return runs


def evaluate_where(frame: pd.DataFrame, where: str, *, outcomes: Sequence[str] = ()) -> np.ndarray:
    """The condition ``where`` evaluated on every row of ``frame``, as booleans.

    Raises:
        DiscoveryError: the expression does not parse, names a column the table lacks, or is not a
            true/false condition.
    """
    from pandas.errors import UndefinedVariableError

    if not where.strip():
        raise DiscoveryError("--where is empty; give a condition such as 'capability_gap_fy2030 > 30'")
    try:
        result = frame.eval(where, engine="python")
    except UndefinedVariableError as err:
        match = re.search(r"'([^']+)'", str(err))
        name = match.group(1) if match else str(err)
        columns = list(outcomes) or [c for c in frame.columns if c not in ("status", "error")]
        dated = QUARTER_NAME.fullmatch(name)
        if dated:
            raise DiscoveryError(
                f"--where {where!r}: {name!r} reads the series {dated.group(1)!r} at {dated.group(2)}, which this "
                f"sweep did not keep; add it to timeseries in the experiment file and run the sweep again"
            ) from None
        raise DiscoveryError(
            f"--where {where!r}: the sweep has no column {name!r}; {_suggest(name, columns)}"
        ) from None
    except (SyntaxError, ValueError, TypeError, KeyError, AttributeError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DiscoveryError(
            f"--where {where!r} does not parse as a condition on the run table ({message}); "
            "write e.g. 'capability_gap_fy2030 > 30 and domestic_share_fy2030 < 0.1'"
        ) from None
    if not isinstance(result, pd.Series) or len(result) != len(frame) or result.dtype != bool:
        raise DiscoveryError(
            f"--where {where!r} is not a true/false condition for each run; compare an outcome with a "
            "threshold, e.g. 'capability_gap_fy2030 > 30'"
        )
    return result.to_numpy(dtype=bool)


def choose_box(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """Index of the densest box on ``trajectory`` with coverage ≥ ``min_coverage`` (ties: more coverage)."""
    candidates = trajectory[trajectory["coverage"] >= min_coverage]
    if candidates.empty:
        return 0
    best = candidates.sort_values(["density", "coverage"], ascending=[False, False], kind="stable")
    return int(best.index[0])


def _limits(prim_box: Any, prim: Any, i: int) -> pd.DataFrame:
    """The restricted inputs of box ``i`` with their ranges and quasi-p values (EMA's inspect data)."""
    stats, box_lim = prim_box.inspect(i, style="data")[0]
    init = prim.box_init
    rows = []
    for name in box_lim.index:
        low, high, qp_low, qp_high = box_lim.loc[name].tolist()
        categorical = isinstance(low, (set, frozenset))
        rows.append(
            {
                "input": name,
                "low": sorted(map(str, low)) if categorical else float(low),
                "high": sorted(map(str, high)) if categorical else float(high),
                "full_low": init.loc[0, name] if not categorical else sorted(map(str, init.loc[0, name])),
                "full_high": init.loc[1, name] if not categorical else sorted(map(str, init.loc[1, name])),
                "qp_low": float(qp_low) if qp_low is not None else math.nan,
                "qp_high": float(qp_high) if qp_high is not None else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["input", "low", "high", "full_low", "full_high", "qp_low", "qp_high"])


def discover(
    cases: Cases,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
    max_boxes: int = 1,
    seed: int = 1,
) -> Discovery:
    """Run PRIM, CART and the feature scores on the cases.

    Args:
        cases: From :func:`load_cases`.
        peel_alpha: Share of the runs in the box that one peel removes.
        paste_alpha: Share added back by one paste.
        mass_min: Smallest share of all runs a PRIM box or CART leaf may hold.
        min_coverage: Lowest coverage of the box chosen from each trajectory.
        max_boxes: Boxes to find (each later one among the runs outside the earlier ones).
        seed: Seed of CART's tie-breaking and of the extra trees.

    Raises:
        DiscoveryError: a setting out of range.
    """
    for label, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha), ("mass_min", mass_min)):
        if not 0 < value < 1:
            raise DiscoveryError(f"--{label.replace('_', '-')} {value}: must lie between 0 and 1")
    if not 0 <= min_coverage <= 1:
        raise DiscoveryError(f"--min-coverage {min_coverage}: must lie between 0 and 1")
    if max_boxes < 1:
        raise DiscoveryError(f"--boxes {max_boxes}: must be at least 1")
    with _quiet_ema():
        from ema_workbench.analysis import cart as ema_cart
        from ema_workbench.analysis import feature_scoring
        from ema_workbench.analysis import prim as ema_prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

        prim = ema_prim.Prim(cases.x, cases.y.copy(), peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        boxes, prim_boxes, notes = [], [], []
        for number in range(1, max_boxes + 1):
            prim_box = prim.find_box()
            if prim_box is None:
                break
            trajectory = prim_box.peeling_trajectory.copy()
            chosen = choose_box(trajectory, min_coverage)
            prim_box.select(chosen)
            row = trajectory.loc[chosen]
            boxes.append(
                Box(
                    number=number,
                    chosen=chosen,
                    coverage=float(row["coverage"]),
                    density=float(row["density"]),
                    mass=float(row["mass"]),
                    n=int(row["n"]),
                    limits=_limits(prim_box, prim, chosen),
                    trajectory=trajectory[["id", "coverage", "density", "mass", "res_dim", "n"]],
                )
            )
            prim_boxes.append(prim_box)
        cart = ema_cart.CART(cases.x, cases.y, mass_min=mass_min)
        state = np.random.get_state()
        np.random.seed(seed)  # scikit-learn's tree breaks ties between equal splits with the global generator
        try:
            cart.build_tree()
        finally:
            np.random.set_state(state)
        scores, _ = feature_scoring.get_ex_feature_scores(
            cases.x, cases.y, mode=RuleInductionType.CLASSIFICATION, random_state=seed
        )
    leaves = _cart_leaves(cart)
    from sklearn.tree import export_text

    cart_text = export_text(cart.clf, feature_names=list(cart.feature_names), class_names=["no", "yes"])
    feature = pd.DataFrame({"input": scores.index.astype(str), "score": scores.iloc[:, 0].to_numpy(dtype=float)})
    if boxes and boxes[0].limits.empty:
        notes.append(
            "PRIM found no box narrower than the whole input space with this coverage; the cases of interest "
            "are spread over every input (see the feature scores), or the coverage floor is too high"
        )
    return Discovery(
        cases=cases,
        boxes=boxes,
        cart_leaves=leaves,
        cart_text=cart_text,
        feature_scores=feature,
        settings={
            "peel_alpha": peel_alpha,
            "paste_alpha": paste_alpha,
            "mass_min": mass_min,
            "min_coverage": min_coverage,
            "max_boxes": max_boxes,
            "seed": seed,
        },
        prim=prim,
        prim_boxes=prim_boxes,
        cart=cart,
        notes=[*cases.notes, *notes],
    )


def _cart_leaves(cart: Any) -> pd.DataFrame:
    """CART's leaves whose majority are cases of interest, as rules, most coverage first."""
    numeric = cart.x.select_dtypes("number")
    x_min, x_max = numeric.min(), numeric.max()
    rows = []
    for box, stats in zip(cart.boxes, cart.stats, strict=True):
        if stats["density"] < 0.5:
            continue
        rule = []
        for name in box.columns:
            low, high = box.loc[0, name], box.loc[1, name]
            if isinstance(low, (set, frozenset)):
                if set(map(str, low)) != set(map(str, cart.x[name].unique())):
                    rule.append(f"{name} in {{{', '.join(sorted(map(str, low)))}}}")
                continue
            above, below = low > x_min[name], high < x_max[name]
            if above and below:
                rule.append(f"{low:.4g} < {name} ≤ {high:.4g}")
            elif above:
                rule.append(f"{name} > {low:.4g}")
            elif below:
                rule.append(f"{name} ≤ {high:.4g}")
        rows.append(
            {
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "rule": " and ".join(rule) or "(everywhere)",
            }
        )
    frame = pd.DataFrame(rows, columns=["coverage", "density", "mass", "rule"])
    return frame.sort_values("coverage", ascending=False, kind="stable").reset_index(drop=True)


# --- output -----------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "{" + ", ".join(value) + "}"
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4g}"


def limits_rows(box: Box) -> list[list[str]]:
    """The restricted inputs of a box as rows of text: input, box range, full range, qp values."""
    return [
        [
            f"`{r.input}`",
            f"{_fmt(r.low)} – {_fmt(r.high)}",
            f"{_fmt(r.full_low)} – {_fmt(r.full_high)}",
            _fmt(r.qp_low),
            _fmt(r.qp_high),
        ]
        for r in box.limits.itertuples(index=False)
    ]


def summary_text(result: Discovery) -> str:
    """What ``sovai discover`` prints."""
    cases = result.cases
    n, k = len(cases.y), int(cases.y.sum())
    lines = [f"sovai discover: {cases.name}: {k} of {n} runs meet {cases.where!r} ({k / n:.0%})", ""]
    from analysis.compare import format_table

    for box in result.boxes:
        lines.append(
            f"PRIM box {box.number} (trajectory point {box.chosen}): coverage {box.coverage:.2f}, density "
            f"{box.density:.2f}, mass {box.mass:.2f} ({box.n} runs)"
        )
        if box.limits.empty:
            lines.append("  restricts no input")
        else:
            header = ["input", "box range", "full range", "qp lower", "qp upper"]
            rows = [[c.strip("`") for c in row] for row in limits_rows(box)]
            lines += ["  " + line for line in format_table(header, rows).splitlines()]
        lines.append("")
    if not result.cart_leaves.empty:
        best = result.cart_leaves.iloc[0]
        lines.append(
            f"CART: {len(result.cart_leaves)} leaves predict the condition; the largest covers "
            f"{best.coverage:.2f} with density {best.density:.2f}: {best.rule}"
        )
    top = ", ".join(f"{r.input} {r.score:.2f}" for r in result.feature_scores.head(5).itertuples())
    lines.append(f"feature scores (extra trees): {top}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def figures(result: Discovery, folder: Path) -> list[tuple[str, str]]:
    """Draw the figures into ``folder``; return (file name, caption) pairs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    drawn: list[tuple[str, str]] = []

    def save(fig: Any, name: str, caption: str) -> None:
        fig.savefig(folder / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
        drawn.append((f"figures/{name}", caption))

    with _quiet_ema():
        for box, prim_box in zip(result.boxes, result.prim_boxes, strict=True):
            fig = prim_box.show_tradeoff(annotated=False)
            ax = fig.axes[0]
            ax.scatter([box.coverage], [box.density], s=160, facecolors="none", edgecolors="red", linewidths=1.5)
            ax.set_title(f"PRIM box {box.number}: peeling trajectory (red circle: reported box)")
            save(fig, f"prim_box{box.number}_trajectory.png", f"PRIM box {box.number}: coverage against density")
            if not box.limits.empty:
                fig = prim_box.inspect(box.chosen, style="graph")[0]
                fig = fig if hasattr(fig, "savefig") else plt.gcf()
                fig.suptitle(f"PRIM box {box.number}: restricted inputs (ranges scaled to the full range)")
                save(fig, f"prim_box{box.number}_limits.png", f"PRIM box {box.number}: the restricted inputs")
                dims = [str(d) for d in box.limits["input"]][:4]
                if len(dims) >= 2:
                    grid = prim_box.show_pairs_scatter(box.chosen, dims=dims, diag="cdf", lower="scatter")
                    save(grid.figure, f"prim_box{box.number}_pairs.png", f"PRIM box {box.number}: runs and box")
    from sklearn.tree import plot_tree

    depth = int(result.cart.clf.get_depth())
    fig, ax = plt.subplots(figsize=(min(4 + 2.2 * depth, 22), 2 + 1.6 * depth), layout="constrained")
    plot_tree(
        result.cart.clf,
        feature_names=list(result.cart.feature_names),
        class_names=["no", "yes"],
        filled=True,
        impurity=False,
        proportion=True,
        fontsize=7,
        ax=ax,
    )
    ax.set_title(f"CART tree for {result.cases.where!r} (value: shares of runs no/yes)")
    save(fig, "cart_tree.png", "CART tree")
    scores = result.feature_scores.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.32 * len(scores)), layout="constrained")
    ax.barh(scores["input"], scores["score"], color="C0")
    ax.set_xlabel("feature score (extra trees, share of impurity reduction)")
    ax.set_title(f"Which inputs tell runs with {result.cases.where!r} apart")
    ax.grid(axis="x", alpha=0.3)
    save(fig, "feature_scores.png", "Feature scores")
    return drawn


def report_markdown(result: Discovery, drawn: Sequence[tuple[str, str]]) -> str:
    """The discovery as a Markdown page."""
    from analysis import pages

    cases = result.cases
    n, k = len(cases.y), int(cases.y.sum())
    s = result.settings
    lines = [
        f"# Scenario discovery: {cases.name}",
        "",
        f"- sweep `{cases.folder}`; cases of interest: runs where `{cases.where}`: **{k} of {n}** ({k / n:.1%})",
        f"- inputs: {', '.join(f'`{c}`' for c in cases.x.columns)}",
        f"- PRIM (EMA Workbench): peel α {s['peel_alpha']}, paste α {s['paste_alpha']}, minimum mass "
        f"{s['mass_min']}; the reported box is the densest on the trajectory with coverage ≥ {s['min_coverage']}",
        "- coverage: share of all cases of interest inside the box; density: share of the runs in the box that "
        "are cases of interest; qp: quasi-p value of a restriction (one-sided binomial test, Bryant & Lempert "
        "2010); a restriction with qp above 0.05 may be chance",
        "",
    ]
    lines += [f"- note: {note}" for note in result.notes]
    figure_for = dict(drawn)
    for box in result.boxes:
        lines += [
            f"## PRIM box {box.number}",
            "",
            f"Coverage **{box.coverage:.2f}**, density **{box.density:.2f}**, mass {box.mass:.2f} ({box.n} runs); "
            f"point {box.chosen} of the peeling trajectory.",
            "",
        ]
        if box.limits.empty:
            lines += ["The box restricts no input.", ""]
        else:
            header = ["input", "box range", "full range", "qp lower", "qp upper"]
            lines += [pages.table(header, limits_rows(box)), ""]
        for suffix in ("trajectory", "limits", "pairs"):
            name = f"figures/prim_box{box.number}_{suffix}.png"
            if name in figure_for:
                lines += [f"![{figure_for[name]}]({name})", ""]
        traj = box.trajectory
        rows = [
            [int(r.id), f"{r.coverage:.3f}", f"{r.density:.3f}", f"{r.mass:.3f}", int(r.res_dim), int(r.n)]
            for r in traj.itertuples(index=False)
        ]
        lines += [
            "Peeling trajectory:",
            "",
            pages.table(["point", "coverage", "density", "mass", "restricted inputs", "runs"], rows),
            "",
        ]
    lines += ["## CART", "", "Leaves where most runs are cases of interest:", ""]
    leaves = [
        [f"{r.coverage:.3f}", f"{r.density:.3f}", f"{r.mass:.3f}", r.rule]
        for r in result.cart_leaves.itertuples(index=False)
    ]
    lines += [pages.table(["coverage", "density", "mass", "rule"], leaves) if leaves else "None.", ""]
    lines += ["![CART tree](cart_tree.png)", "", "```", result.cart_text.rstrip(), "```", ""]
    lines += ["## Feature scores", ""]
    lines += [
        pages.table(
            ["input", "score"], [[f"`{r.input}`", f"{r.score:.3f}"] for r in result.feature_scores.itertuples()]
        ),
        "",
        *(["![feature scores](figures/feature_scores.png)", ""] if "figures/feature_scores.png" in figure_for else []),
        "Files: " + ", ".join(f"`{f}`" for f in OUTPUT_FILES[:4]) + ", `figures/`.",
        "",
    ]
    return "\n".join(lines)


#: Operators spelt out in folder names, longest first, so "x > 30" and "x < 30" get different folders.
SLUG_OPERATORS = (
    ("<=", "le"), (">=", "ge"), ("==", "eq"), ("!=", "ne"), ("<", "lt"), (">", "gt"), ("**", "pow"),
    ("+", "plus"), ("-", "minus"), ("*", "times"), ("/", "over"), ("%", "mod"), ("~", "not"), ("&", "and"),
    ("|", "or"),
)  # fmt: skip
#: Longest folder name made from an expression (a hash of the expression replaces the rest).
SLUG_MAX = 80


def default_out(folder: Path, where: str) -> Path:
    """DIR/discovery/<the expression as a file name>.

    Comparison and arithmetic operators are spelt out (``capability_gap_fy2030 > 30`` becomes
    ``capability_gap_fy2030_gt_30``) so that a goal and its opposite do not share a folder; when the
    name would still lose something (parentheses, quotes, a name longer than :data:`SLUG_MAX`), eight
    hex digits of a hash of the expression keep two different expressions apart.
    """
    import hashlib

    text = where.strip()
    for operator, word in SLUG_OPERATORS:
        text = text.replace(operator, f" {word} ")
    words = text.split()
    slug = "_".join(words)
    lossy = any(re.search(r"[^A-Za-z0-9_.]", w) for w in words) or len(slug) > SLUG_MAX
    slug = re.sub(r"_*[^A-Za-z0-9_.]+_*", "_", slug).strip("_.") or "where"
    if lossy:
        digest = hashlib.sha256(" ".join(where.split()).encode()).hexdigest()[:8]
        slug = f"{slug[: SLUG_MAX - 9].rstrip('_.')}_{digest}"
    return Path(folder) / "discovery" / slug


def write_result(result: Discovery, out: Path, *, with_figures: bool = True) -> Path:
    """Write the tables (CSV), the figures and the report (Markdown and HTML) into ``out``, atomically."""
    from analysis import pages
    from sim.outputs import write_atomically

    def fill(folder: Path) -> None:
        boxes = [
            box.limits.assign(
                box=box.number, coverage=box.coverage, density=box.density, mass=box.mass, trajectory_point=box.chosen
            )
            for box in result.boxes
        ]
        pd.concat(boxes, ignore_index=True).to_csv(folder / "boxes.csv", index=False)
        pd.concat([b.trajectory.assign(box=b.number) for b in result.boxes], ignore_index=True).to_csv(
            folder / "trajectory.csv", index=False
        )
        result.cart_leaves.to_csv(folder / "cart_leaves.csv", index=False)
        result.feature_scores.to_csv(folder / "feature_scores.csv", index=False)
        drawn = figures(result, folder / "figures") if with_figures else []
        pages.write_page(
            folder, "report", report_markdown(result, drawn), title=f"Scenario discovery: {result.cases.name}"
        )

    write_atomically(out, fill, kind="discovery", label="--out")
    return out
