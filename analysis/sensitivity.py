"""Global sensitivity analysis of a finished sweep: SALib indices, convergence, time-resolved indices.

The numbers all come from SALib's ``analyze`` functions; this module only feeds them the sweep's
sample matrix ``X`` (``DIR/sample.parquet``, as sampled) and outcomes ``Y`` (one value per design
point: the mean over the point's successful replicates), and arranges what comes back:

* ``sobol`` (Saltelli/Sobol' designs): S1, ST and S2 with confidence intervals (SALib.analyze.sobol);
* ``morris`` (Morris designs): μ, μ*, its confidence interval, σ (SALib.analyze.morris);
* ``fast`` (eFAST designs): S1, ST (SALib.analyze.fast);
* ``delta`` and ``pawn`` (any sampled design): Borgonovo's δ with S1, and PAWN's KS statistics
  (SALib.analyze.delta, SALib.analyze.pawn).

Parameter groups declared in the experiment (e.g. all programme shares as one "allocation" group)
are analysed as groups: SALib reports one row per group.

Failed runs are dropped and counted. A Sobol or FAST analysis needs every design point (the
estimators use the Saltelli block structure / the Fourier search curves), so one with a point
that has no successful run is refused with a clear message; Morris drops whole trajectories;
delta and PAWN use the points they have.

The convergence check repeats the analysis on the first N/4 and N/2 of the base samples — whole
Saltelli blocks, whole Morris trajectories — so the user sees whether the indices have settled.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import mean_ci
from sim.errors import UserError

#: Methods and the SALib function behind each.
METHODS: dict[str, str] = {
    "sobol": "SALib.analyze.sobol (S1, ST, S2; Saltelli/Sobol' designs only)",
    "morris": "SALib.analyze.morris (mu, mu_star, sigma; Morris designs only)",
    "fast": "SALib.analyze.fast (S1, ST; eFAST designs only)",
    "delta": "SALib.analyze.delta (Borgonovo delta and S1; any sampled design)",
    "pawn": "SALib.analyze.pawn (KS-based PAWN statistics; any sampled design)",
}
#: The method used when none is asked for, by design.
DEFAULT_METHOD: dict[str, str] = {"sobol": "sobol", "morris": "morris", "fast": "fast"}
#: Methods that need the design of the same name.
DESIGN_BOUND = ("sobol", "morris", "fast")
#: Columns of every indices table, whatever the method (NaN where a method has no such index).
BASE_COLUMNS = ("outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf")
#: Method-specific columns, after the base ones.
METHOD_COLUMNS: dict[str, tuple[str, ...]] = {
    "sobol": (),
    "fast": (),
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
    "delta": ("delta", "delta_conf"),
    "pawn": ("pawn_median", "pawn_mean", "pawn_minimum", "pawn_maximum", "pawn_cv"),
}
#: The index that ranks parameters, by method.
RANK_BY: dict[str, str] = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "delta": "delta", "pawn": "pawn_median"}
#: Default bootstrap resamples, by method (delta's bootstrap is slow in SALib 1.6).
DEFAULT_RESAMPLES: dict[str, int] = {"sobol": 100, "morris": 100, "fast": 100, "delta": 20, "pawn": 0}
#: Fractions of the base sample used by the convergence check.
CONVERGENCE_FRACTIONS: tuple[float, ...] = (0.25, 0.5, 1.0)


class SensitivityError(UserError, ValueError):
    """A sweep that cannot be analysed as asked: the message says why and what to do instead."""


@dataclass(frozen=True)
class Options:
    """Settings of one analysis.

    Attributes:
        method: One of :data:`METHODS`.
        calc_second_order: Whether the Sobol design has the second-order (BA) rows.
        num_levels: Morris grid levels (as sampled).
        M: eFAST interference parameter (as sampled).
        conf_level: Confidence level of the intervals.
        num_resamples: Bootstrap resamples for the intervals (None: the method's default).
        seed: Seed of the bootstrap, so the intervals are reproducible.
        pawn_slices: Conditioning intervals of PAWN.
    """

    method: str
    calc_second_order: bool = True
    num_levels: int = 4
    M: int = 4
    conf_level: float = 0.95
    num_resamples: int | None = None
    seed: int = 1
    pawn_slices: int = 10

    @property
    def resamples(self) -> int:
        """Bootstrap resamples actually used."""
        return self.num_resamples if self.num_resamples is not None else DEFAULT_RESAMPLES[self.method]


@dataclass
class Indices:
    """Indices of one outcome.

    Attributes:
        table: One row per parameter (or group): :data:`BASE_COLUMNS` without ``outcome`` and the
            method's columns.
        s2: Second-order Sobol indices, one row per pair (parameter, other, S2, S2_conf), or None.
        n: Base sample size used (Saltelli N, Morris trajectories, or points).
        notes: What the user should know (dropped points, constant outcome).
    """

    table: pd.DataFrame
    s2: pd.DataFrame | None = None
    n: int = 0
    notes: list[str] = field(default_factory=list)


# --- problem and design structure ------------------------------------------------------------------


def factor_names(problem: dict[str, Any]) -> list[str]:
    """Names SALib reports indices for: the groups (in first-appearance order) or the parameters."""
    groups = problem.get("groups")
    if not groups:
        return list(problem["names"])
    return list(dict.fromkeys(groups))


def sobol_step(problem: dict[str, Any], calc_second_order: bool) -> int:
    """Rows per Saltelli block: 2D+2 with second order, D+2 without (D = factors or groups)."""
    d = len(factor_names(problem))
    return 2 * d + 2 if calc_second_order else d + 2


def morris_step(problem: dict[str, Any]) -> int:
    """Rows per Morris trajectory: D+1 (D = factors or groups)."""
    return len(factor_names(problem)) + 1


def block_size(method: str, problem: dict[str, Any], options: Options) -> int:
    """Rows of the design that belong together (a Saltelli block, a Morris trajectory, or 1)."""
    if method == "sobol":
        return sobol_step(problem, options.calc_second_order)
    if method == "morris":
        return morris_step(problem)
    return 1


def check_method(method: str, design: str) -> None:
    """Refuse a method that the design cannot support.

    Raises:
        SensitivityError: unknown method, or a design-bound method on another design.
    """
    if method not in METHODS:
        raise SensitivityError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method in DESIGN_BOUND and design != method:
        others = "delta or pawn" + (f" (or {DEFAULT_METHOD[design]})" if design in DEFAULT_METHOD else "")
        raise SensitivityError(
            f"--method {method} needs a {method!r} design (the estimator relies on its structure), but this "
            f"sweep's design is {design!r}; use --method {others}, which work on any sampled design"
        )
    if method in ("delta", "pawn") and design == "grid":
        pass  # allowed: the grid's values are the sample


def check_complete(method: str, present: np.ndarray, problem: dict[str, Any], options: Options) -> None:
    """Refuse a Sobol or FAST analysis when a design point has no successful run.

    Args:
        method: The analysis method.
        present: Boolean per design point: whether it has at least one successful run.
        problem: SALib problem.
        options: Analysis options.

    Raises:
        SensitivityError: the design is incomplete or its size does not fit the method's structure.
    """
    n_points = len(present)
    if method == "sobol":
        step = sobol_step(problem, options.calc_second_order)
        if n_points % step:
            raise SensitivityError(
                f"the design has {n_points} points, which is not a whole number of Saltelli blocks of {step} "
                f"rows (2D+2 = {step} for D = {len(factor_names(problem))} factors"
                f"{' with' if options.calc_second_order else ' without'} second order); was it a Sobol design?"
            )
    missing = np.flatnonzero(~present)
    if method in ("sobol", "fast") and missing.size:
        shown = ", ".join(map(str, missing[:8])) + (", ..." if missing.size > 8 else "")
        raise SensitivityError(
            f"cannot compute {method} indices on an incomplete design: {missing.size} of {n_points} design points "
            f"have no successful run (points {shown}). The {method} estimator needs every point of the design. "
            "Finish the sweep (run the same `sovai sweep` command again), fix the failing runs, or use "
            "--method delta or --method pawn, which work on the points that ran"
        )


def mean_by_point(point: np.ndarray, values: np.ndarray, n_points: int) -> np.ndarray:
    """Mean of ``values`` per design point over its replicates, ignoring NaN (NaN where none)."""
    point = np.asarray(point, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    sums = np.bincount(point[ok], weights=values[ok], minlength=n_points)
    counts = np.bincount(point[ok], minlength=n_points)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


# --- SALib calls -----------------------------------------------------------------------------------


def _problem_copy(problem: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(problem)  # SALib adds keys to the dict it is given


def sobol_indices(problem: dict[str, Any], Y: np.ndarray, options: Options) -> Indices:
    """Sobol S1, ST (and S2) with confidence intervals from ``SALib.analyze.sobol``.

    Args:
        problem: SALib problem (with groups when the design had them).
        Y: One value per design row, in design order (whole Saltelli blocks).
        options: Analysis options.
    """
    from SALib.analyze import sobol

    names = factor_names(problem)
    step = sobol_step(problem, options.calc_second_order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = sobol.analyze(
            _problem_copy(problem),
            np.asarray(Y, dtype=float),
            calc_second_order=options.calc_second_order,
            num_resamples=options.resamples,
            conf_level=options.conf_level,
            seed=options.seed,
        )
    table = pd.DataFrame(
        {"parameter": names, "S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]}
    )
    s2 = None
    if options.calc_second_order:
        rows = [
            {"parameter": names[j], "other": names[k], "S2": si["S2"][j, k], "S2_conf": si["S2_conf"][j, k]}
            for j in range(len(names))
            for k in range(j + 1, len(names))
        ]
        s2 = pd.DataFrame(rows, columns=["parameter", "other", "S2", "S2_conf"])
    return Indices(table=table, s2=s2, n=len(Y) // step)


def morris_indices(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, options: Options) -> Indices:
    """Morris μ, μ* (with its confidence interval) and σ from ``SALib.analyze.morris``."""
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = morris.analyze(
            _problem_copy(problem),
            np.asarray(X, dtype=float),
            np.asarray(Y, dtype=float),
            num_resamples=options.resamples,
            conf_level=options.conf_level,
            num_levels=options.num_levels,
            seed=options.seed,
        )
    table = pd.DataFrame(
        {
            "parameter": factor_names(problem),
            "mu": np.asarray(si["mu"], dtype=float),
            "mu_star": np.asarray(si["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(si["mu_star_conf"], dtype=float),
            "sigma": np.asarray(si["sigma"], dtype=float),
        }
    )
    return Indices(table=table, n=len(Y) // morris_step(problem))


def fast_indices(problem: dict[str, Any], Y: np.ndarray, options: Options) -> Indices:
    """Extended FAST S1 and ST from ``SALib.analyze.fast``."""
    from SALib.analyze import fast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib: FAST bootstrap intervals are indicative only
        si = fast.analyze(
            _problem_copy(problem),
            np.asarray(Y, dtype=float),
            M=options.M,
            num_resamples=options.resamples,
            conf_level=options.conf_level,
            seed=options.seed,
        )
    table = pd.DataFrame(
        {
            "parameter": list(problem["names"]),
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )
    return Indices(table=table, n=len(Y) // problem["num_vars"])


def _ungrouped(problem: dict[str, Any]) -> dict[str, Any]:
    """The problem without groups, parameters renamed p0..pk-1 (delta refuses some name suffixes)."""
    return {
        "num_vars": problem["num_vars"],
        "names": [f"p{j}" for j in range(problem["num_vars"])],
        "bounds": copy.deepcopy(problem["bounds"]),
    }


def delta_indices(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, options: Options) -> Indices:
    """Borgonovo's δ and the given-data S1 from ``SALib.analyze.delta`` (one row per parameter)."""
    from SALib.analyze import delta

    with warnings.catch_warnings(record=True):  # SALib resets the filters; its notices are in si["notes"]
        warnings.simplefilter("ignore")
        si = delta.analyze(
            _ungrouped(problem),
            np.asarray(X, dtype=float),
            np.asarray(Y, dtype=float),
            num_resamples=max(options.resamples, 2),
            conf_level=options.conf_level,
            seed=options.seed,
            method="all",
        )
    table = pd.DataFrame(
        {
            "parameter": list(problem["names"]),
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "delta": si["delta_raw"],
            "delta_conf": si["delta_raw_conf"],
        }
    )
    notes = [f"{name}: {note}" for name, note in zip(problem["names"], si.get("notes", []), strict=False) if note]
    return Indices(table=table, n=len(Y), notes=notes)


def pawn_indices(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, options: Options) -> Indices:
    """PAWN statistics (KS distance of conditional to unconditional CDFs) from ``SALib.analyze.pawn``."""
    from SALib.analyze import pawn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = pawn.analyze(
            _ungrouped(problem),
            np.asarray(X, dtype=float),
            np.asarray(Y, dtype=float),
            S=options.pawn_slices,
            seed=options.seed,
        )
    table = pd.DataFrame(
        {
            "parameter": list(problem["names"]),
            "pawn_median": si["median"],
            "pawn_mean": si["mean"],
            "pawn_minimum": si["minimum"],
            "pawn_maximum": si["maximum"],
            "pawn_cv": si["CV"],
        }
    )
    return Indices(table=table, n=len(Y))


def _full_table(method: str, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every base and method column (NaN where the method has none), in order."""
    columns = [c for c in BASE_COLUMNS if c != "outcome"] + list(METHOD_COLUMNS[method])
    out = table.reindex(columns=columns)
    for column in columns[1:]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def indices(method: str, problem: dict[str, Any], X: np.ndarray | None, Y: np.ndarray, options: Options) -> Indices:
    """Indices of one outcome by ``method``.

    Args:
        method: One of :data:`METHODS`.
        problem: SALib problem.
        X: Sample matrix (one row per design row; not needed by sobol and fast).
        Y: Outcome, one value per design row, NaN where the point has no successful run.
        options: Analysis options.

    Returns:
        The indices; a constant outcome gives NaN indices and a note (variance-based indices are
        undefined when nothing varies).

    Raises:
        SensitivityError: the design is incomplete for a method that needs all of it.
    """
    Y = np.asarray(Y, dtype=float)
    present = np.isfinite(Y)
    check_complete(method, present, problem, options)
    notes: list[str] = []
    if method == "morris":
        X, Y, dropped = _complete_trajectories(np.asarray(X), Y, morris_step(problem))
        if dropped:
            notes.append(f"dropped {dropped} Morris trajectories with a design point that has no successful run")
    elif method in ("delta", "pawn"):
        X, Y = np.asarray(X)[present], Y[present]
    if Y.size == 0:
        raise SensitivityError("no design point has a successful run with this outcome; nothing to analyse")
    if np.nanstd(Y) <= 1e-12 * max(1.0, float(np.nanmax(np.abs(Y)))):
        names = factor_names(problem) if method in DESIGN_BOUND else list(problem["names"])
        result = Indices(table=_full_table(method, pd.DataFrame({"parameter": names})), n=0)
        result.notes = [*notes, f"the outcome is constant ({Y[0]:g}) across the design: indices are undefined"]
        return result
    if method == "sobol":
        result = sobol_indices(problem, Y, options)
    elif method == "fast":
        result = fast_indices(problem, Y, options)
    elif method == "morris":
        result = morris_indices(problem, X, Y, options)
    elif method == "delta":
        result = delta_indices(problem, X, Y, options)
    else:
        result = pawn_indices(problem, X, Y, options)
    result.table = _full_table(method, result.table)
    result.notes = [*notes, *result.notes]
    return result


def _complete_trajectories(X: np.ndarray, Y: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Keep the Morris trajectories whose every point has an outcome; return X, Y and how many were dropped."""
    n_traj = len(Y) // step
    whole = np.isfinite(Y[: n_traj * step]).reshape(n_traj, step).all(axis=1)
    keep = np.repeat(whole, step)
    if not whole.any():
        raise SensitivityError(
            "every Morris trajectory has a design point without a successful run; "
            "nothing to analyse (re-run the sweep or fix the failing runs)"
        )
    return X[: n_traj * step][keep], Y[: n_traj * step][keep], int((~whole).sum())


# --- convergence ------------------------------------------------------------------------------------


def subsample(
    method: str, problem: dict[str, Any], X: np.ndarray | None, Y: np.ndarray, fraction: float, options: Options
) -> tuple[np.ndarray | None, np.ndarray]:
    """The first ``fraction`` of the design in whole units (Saltelli blocks, Morris trajectories, rows).

    The first N/2^k points of a Sobol' sequence are themselves a balanced Sobol' sequence, so the
    leading Saltelli blocks are a valid smaller design; Morris trajectories are independent.

    Raises:
        SensitivityError: eFAST designs cannot be subsampled (the search curves need all their points).
    """
    if fraction >= 1:
        return X, Y
    if method == "fast":
        raise SensitivityError("eFAST designs cannot be subsampled for the convergence check")
    unit = block_size(method, problem, options)
    units = len(Y) // unit
    if int(units * fraction) < 2:
        raise SensitivityError(f"{fraction:g} of {units} blocks is too few for an estimate")
    keep = int(units * fraction) * unit
    return (None if X is None else X[:keep]), Y[:keep]


def convergence(
    method: str,
    problem: dict[str, Any],
    X: np.ndarray | None,
    Y: np.ndarray,
    options: Options,
    fractions: Sequence[float] = CONVERGENCE_FRACTIONS,
) -> pd.DataFrame:
    """Indices at N/4, N/2 and N side by side (long format: a ``N`` column and the index columns).

    Returns:
        One row per (N, parameter). Empty for eFAST (it cannot be subsampled).
    """
    if method == "fast":
        return pd.DataFrame()
    frames = []
    for fraction in fractions:
        try:
            Xs, Ys = subsample(method, problem, X, Y, fraction, options)
            result = indices(method, problem, Xs, Ys, options)
        except (SensitivityError, ValueError, RuntimeError, ZeroDivisionError):
            continue  # too small a subsample for the method (e.g. delta needs a few dozen points)
        frame = result.table.copy()
        frame.insert(0, "N", result.n)
        frame.insert(1, "fraction", fraction)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def ranked(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """``table`` sorted by the method's ranking index, largest first (NaN last)."""
    key = RANK_BY[method]
    return table.sort_values(key, ascending=False, na_position="last", kind="stable").reset_index(drop=True)


# --- time-resolved indices ---------------------------------------------------------------------------


def fiscal_year(quarter: pd.Series | None, step: pd.Series) -> pd.Series:
    """Fiscal year of each row: from labels such as "FY2026Q1", else ``step // 4`` (year 0, 1, ...)."""
    if quarter is not None:
        years = quarter.astype(str).str.extract(r"FY(\d{4})", expand=False)
        if years.notna().all():
            return years.astype(int)
    return (step.astype(int) // 4).astype(int)


def yearly_outcomes(series: pd.DataFrame, column: str, point_of_run: pd.Series, n_points: int) -> pd.DataFrame:
    """Per design point and fiscal year: the year's mean of ``column``, averaged over the point's replicates.

    Args:
        series: Long time series: run_id, step, optionally quarter, and ``column``.
        column: The series to summarise.
        point_of_run: Design point of each successful run, indexed by run_id.
        n_points: Number of design points.

    Returns:
        A (n_points × years) frame, columns the fiscal years; NaN where a point has no run.
    """
    frame = series[series["run_id"].isin(point_of_run.index)]
    year = fiscal_year(frame["quarter"] if "quarter" in frame.columns else None, frame["step"])
    per_run = frame.assign(year=year.to_numpy()).groupby(["run_id", "year"])[column].mean().unstack("year")
    points = point_of_run.reindex(per_run.index).to_numpy()
    out = {int(y): mean_by_point(points, per_run[y].to_numpy(), n_points) for y in per_run.columns}
    return pd.DataFrame(out, index=pd.RangeIndex(n_points, name="point"))


def time_resolved(
    method: str, problem: dict[str, Any], X: np.ndarray | None, yearly: pd.DataFrame, options: Options
) -> pd.DataFrame:
    """Indices per fiscal year (long format: a ``year`` column and the index columns).

    Years in which the outcome is constant (e.g. before a policy acts) get NaN indices.
    """
    frames = []
    for year in yearly.columns:
        result = indices(method, problem, X, yearly[year].to_numpy(), options)
        frame = result.table.copy()
        frame.insert(0, "year", int(year))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --- a sweep's results ------------------------------------------------------------------------------


@dataclass
class Sweep:
    """A finished (or partly finished) sweep, as the analysis needs it.

    Attributes:
        root: The results folder.
        manifest: Its manifest.json.
        runs: ``experiments.load(root)``: one row per run done (ok or failed).
        sample: The sample matrix as sampled, (n_points × num_vars), in the problem's column order.
    """

    root: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    sample: np.ndarray

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem the design was sampled from."""
        return self.manifest["problem"]

    @property
    def design(self) -> str:
        """Design name (sobol, morris, fast, lhs, latin, grid)."""
        return str(self.manifest["design"])

    @property
    def n_points(self) -> int:
        """Design points."""
        return int(self.manifest["n_points"])

    @property
    def n_runs(self) -> int:
        """Runs in the design (points × replications)."""
        return int(self.manifest["n_runs"])

    @property
    def outputs(self) -> list[str]:
        """Scalar outcomes stored."""
        outputs = self.manifest.get("outputs")
        if outputs:
            return list(outputs)
        skip = {"run_id", "point", "replicate", "seed", "status", "error", "elapsed_s", *self.problem["names"]}
        return [c for c in self.runs.columns if c not in skip and pd.api.types.is_numeric_dtype(self.runs[c])]

    @property
    def timeseries(self) -> list[str]:
        """Time-series columns stored."""
        return list(self.manifest.get("timeseries") or [])

    def options(self, method: str, **overrides: Any) -> Options:
        """Analysis options with the design's own settings (second order, levels, M)."""
        design_options = self.manifest.get("design_options") or {}
        settings: dict[str, Any] = {"method": method}
        if self.design == "sobol":
            settings["calc_second_order"] = bool(design_options.get("calc_second_order", True))
        if self.design == "morris":
            settings["num_levels"] = int(design_options.get("num_levels", 4))
        if self.design == "fast":
            settings["M"] = int(design_options.get("M", 4))
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return Options(**settings)

    def ok_runs(self) -> pd.DataFrame:
        """The runs that succeeded."""
        return self.runs[self.runs["status"] == "ok"]

    def counts(self) -> dict[str, int]:
        """Runs in the design, done, ok, failed and not yet run."""
        status = self.runs["status"].astype(str)
        ok = int((status == "ok").sum())
        failed = int((status == "failed").sum())
        return {"runs": self.n_runs, "ok": ok, "failed": failed, "pending": self.n_runs - ok - failed}

    def point_values(self, outcome: str) -> np.ndarray:
        """The outcome per design point: mean over the point's successful replicates (NaN where none)."""
        ok = self.ok_runs()
        return mean_by_point(ok["point"].to_numpy(), ok[outcome].to_numpy(dtype=float), self.n_points)


def load_sweep(root: str | Path) -> Sweep:
    """Read a sweep's results folder.

    Raises:
        SensitivityError: the folder holds no sweep or misses its sample matrix.
    """
    import experiments
    from experiments.store import Store

    root = Path(root)
    if not (root / "manifest.json").is_file():
        hint = " (it looks like a `sovai run` folder: use `sovai report`)" if (root / "params.toml").is_file() else ""
        raise SensitivityError(
            f"{root} is not a sweep results folder (no manifest.json){hint}; run `sovai sweep FILE --out DIR` first"
        )
    try:
        manifest = experiments.load_manifest(root)
        runs = experiments.load(root)
        sample_frame = Store(root).read_sample()
    except (OSError, ValueError, KeyError) as err:
        raise SensitivityError(f"{root}: cannot read the sweep's results: {err}") from None
    names = manifest["problem"]["names"]
    sample_frame = sample_frame.sort_values("point", kind="stable")
    sample = sample_frame[names].to_numpy(dtype=float)
    if len(sample) != int(manifest["n_points"]):
        raise SensitivityError(
            f"{root}: sample.parquet has {len(sample)} points but the manifest says "
            f"{manifest['n_points']}; the folder is damaged: run the sweep with --fresh"
        )
    return Sweep(root=root, manifest=manifest, runs=runs, sample=sample)


@dataclass
class Analysis:
    """Everything ``sovai sensitivity`` computes for a sweep.

    Attributes:
        method: The method used.
        options: Its options.
        indices: Long table: :data:`BASE_COLUMNS` and the method's columns, one row per (outcome, parameter).
        s2: Second-order indices (outcome, parameter, other, S2, S2_conf), or empty.
        convergence: Indices at N/4, N/2, N (outcome, N, fraction, parameter, index columns), or empty.
        time_resolved: Indices per fiscal year of the kept series (outcome, year, parameter, ...), or empty.
        counts: Runs in the design, ok, failed, not yet run.
        n: Base sample size per outcome.
        notes: Messages for the user (dropped runs, constant outcomes...).
        skipped: Outcomes that could not be analysed, with the reason.
        response: Grid designs: mean outcome with a t interval per value of each swept parameter
            (outcome, parameter, value, mean, low, high, n), averaged over the other parameters and
            the replicates; empty otherwise.
    """

    method: str
    options: Options
    indices: pd.DataFrame
    s2: pd.DataFrame
    convergence: pd.DataFrame
    time_resolved: pd.DataFrame
    counts: dict[str, int]
    n: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    response: pd.DataFrame = field(default_factory=pd.DataFrame)


def _with_outcome(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    frame = frame.copy()
    frame.insert(0, "outcome", outcome)
    return frame


def analyse_sweep(
    sweep: Sweep,
    method: str | None = None,
    *,
    outputs: Sequence[str] | None = None,
    with_convergence: bool = True,
    with_time_resolved: bool = True,
    **option_overrides: Any,
) -> Analysis:
    """Sensitivity indices of every (or the chosen) outcome of a sweep.

    Args:
        sweep: The sweep (see :func:`load_sweep`).
        method: One of :data:`METHODS`; default: the design's own method, else delta.
        outputs: Outcomes to analyse (scalar outcomes or kept time series); default: all stored.
        with_convergence: Also compute indices at N/4 and N/2.
        with_time_resolved: Also compute indices per fiscal year for the kept time series.
        **option_overrides: conf_level, num_resamples, seed, pawn_slices.

    Raises:
        SensitivityError: wrong method for the design, unknown outcome, or an incomplete design for
            Sobol/FAST.
    """
    one_factor_grid = sweep.design == "grid" and sweep.problem["num_vars"] == 1
    method = method or ("response" if one_factor_grid else DEFAULT_METHOD.get(sweep.design, "delta"))
    if method != "response":
        check_method(method, sweep.design)
    options = sweep.options(method if method != "response" else "delta", **option_overrides)
    problem = sweep.problem
    counts = sweep.counts()
    notes: list[str] = []
    if counts["pending"] and method in ("sobol", "fast"):
        raise SensitivityError(
            f"the sweep in {sweep.root} is not finished ({counts['ok'] + counts['failed']} of {counts['runs']} runs "
            f"done); {method} indices need every design point: run the same `sovai sweep` command again to finish it"
        )
    if counts["pending"]:
        notes.append(
            f"the sweep is not finished: {counts['pending']} of {counts['runs']} runs have not run yet; "
            "analysed the runs done"
        )
    if counts["failed"]:
        notes.append(
            f"dropped {counts['failed']} failed runs of {counts['runs']} (status 'failed'; see the "
            "'error' column of experiments.load)"
        )
    scalars, series = _choose_outputs(sweep, outputs)
    X = sweep.sample
    tables, s2s, convs = [], [], []
    n: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for outcome in scalars if method != "response" else []:
        Y = sweep.point_values(outcome)
        missing = int(np.count_nonzero(~np.isfinite(Y)))
        if missing == len(Y):
            skipped[outcome] = "no successful run has a value (NaN everywhere)"
            continue
        result = indices(method, problem, X, Y, options)
        if missing and method not in ("sobol", "fast"):
            result.notes.insert(0, f"{missing} of {len(Y)} design points have no value and were left out")
        notes += [f"{outcome}: {note}" for note in result.notes]
        n[outcome] = result.n
        tables.append(_with_outcome(result.table, outcome))
        if result.s2 is not None:
            s2s.append(_with_outcome(result.s2, outcome))
        if with_convergence and result.n:
            conv = convergence(method, problem, X, Y, options)
            if len(conv):
                convs.append(_with_outcome(conv, outcome))
    timeres = []
    if with_time_resolved and series and method != "response":
        timeres = _time_resolved_all(sweep, method, options, series)
    if method == "response":
        notes.append(
            "a grid over one parameter: variance-based indices say nothing here (that parameter explains "
            "all the variance there is); see the response of each outcome to it"
        )
    return Analysis(
        method=method,
        options=options,
        indices=pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(BASE_COLUMNS)),
        s2=pd.concat(s2s, ignore_index=True) if s2s else pd.DataFrame(),
        convergence=pd.concat(convs, ignore_index=True) if convs else pd.DataFrame(),
        time_resolved=pd.concat(timeres, ignore_index=True) if timeres else pd.DataFrame(),
        counts=counts,
        n=n,
        notes=notes,
        skipped=skipped,
        response=response_table(sweep, scalars, options.conf_level) if sweep.design == "grid" else pd.DataFrame(),
    )


def response_table(sweep: Sweep, outcomes: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean of each outcome per value of each swept parameter, with a t interval (grid designs).

    Values are the values as run; means are over every successful run with that value (the other
    parameters and the replicates averaged out). For a grid over one parameter run with common
    seeds, ``change`` is the mean paired difference from the first value (replicate r against
    replicate r, the same seed), with its t interval: much tighter than the levels' intervals,
    because the seed-to-seed spread cancels.
    """
    ok = sweep.ok_runs()
    names = sweep.problem["names"]
    seeds = (sweep.manifest.get("seeds") or {}).get("mode")
    paired = len(names) == 1 and seeds == "common" and "replicate" in ok.columns
    rows = []
    for outcome in outcomes:
        for parameter in names:
            by_rep = ok.pivot_table(index="replicate", columns=parameter, values=outcome) if paired else None
            for value, part in ok.groupby(parameter, sort=True):
                mean, low, high, n = mean_ci(part[outcome].to_numpy(dtype=float), confidence)
                row = {
                    "outcome": outcome,
                    "parameter": parameter,
                    "value": value,
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "n": n,
                    "change": np.nan,
                    "change_low": np.nan,
                    "change_high": np.nan,
                }
                if by_rep is not None and value in by_rep.columns:
                    diff = by_rep[value].to_numpy(dtype=float) - by_rep.iloc[:, 0].to_numpy(dtype=float)
                    row["change"], row["change_low"], row["change_high"], _ = mean_ci(diff, confidence)
                rows.append(row)
    columns = ["outcome", "parameter", "value", "mean", "low", "high", "n", "change", "change_low", "change_high"]
    return pd.DataFrame(rows, columns=columns)


def _choose_outputs(sweep: Sweep, outputs: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Split the wanted outcomes into stored scalar outcomes and kept time series (all by default)."""
    if not outputs:
        return sweep.outputs, sweep.timeseries
    from experiments.validate import suggest

    scalars, series = [], []
    known = sweep.outputs + sweep.timeseries
    for name in outputs:
        if name in sweep.outputs:
            scalars.append(name)
        elif name in sweep.timeseries:
            series.append(name)
        else:
            hint = suggest(name, known, f"stored: {', '.join(known[:12])}")
            raise SensitivityError(f"--outputs: the sweep stored no outcome {name!r}; {hint}")
    return scalars, series


def _time_resolved_all(sweep: Sweep, method: str, options: Options, series: Sequence[str]) -> list[pd.DataFrame]:
    """Time-resolved indices of each kept series."""
    import experiments

    ok = sweep.ok_runs()
    point_of_run = pd.Series(ok["point"].to_numpy(), index=ok["run_id"].to_numpy())
    ts = experiments.load_timeseries(sweep.root)
    frames = []
    for column in series:
        yearly = yearly_outcomes(ts, column, point_of_run, sweep.n_points)
        frame = time_resolved(method, sweep.problem, sweep.sample, yearly, options)
        if len(frame):
            frames.append(_with_outcome(frame, column))
    return frames


def ranked_table(analysis: Analysis, *, top: int | None = None) -> str:
    """The indices of each outcome as a ranked plain-text table (for the terminal)."""
    method = analysis.method
    if method == "response":
        return response_text(analysis.response)
    key = RANK_BY[method]
    show = {
        "sobol": [("S1", "S1_conf"), ("ST", "ST_conf")],
        "fast": [("S1", "S1_conf"), ("ST", "ST_conf")],
        "morris": [("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None)],
        "delta": [("delta", "delta_conf"), ("S1", "S1_conf")],
        "pawn": [("pawn_median", None), ("pawn_minimum", None), ("pawn_maximum", None)],
    }[method]
    blocks = []
    for outcome, table in analysis.indices.groupby("outcome", sort=False):
        table = ranked(table, method)
        if top:
            table = table.head(top)
        header = ["rank", "parameter", *[name + (" ± conf" if conf else "") for name, conf in show]]
        rows = []
        for rank, row in enumerate(table.itertuples(index=False), start=1):
            cells = [str(rank), str(row.parameter)]
            for name, conf in show:
                value = getattr(row, name)
                text = _fmt(value)
                if conf:
                    text += f" ± {_fmt(getattr(row, conf))}"
                cells.append(text)
            rows.append(cells)
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

        def line(cells: list[str], widths: list[int] = widths) -> str:
            return "  ".join(
                c.ljust(w) if k == 1 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        n = analysis.n.get(str(outcome), 0)
        title = f"{outcome}  ({method}, N = {n}, ranked by {key})"
        blocks.append("\n".join([title, line(header), "  ".join("-" * w for w in widths), *map(line, rows)]))
    return "\n\n".join(blocks)


def response_text(response: pd.DataFrame) -> str:
    """The response table of a grid as plain text, one block per outcome."""
    blocks = []
    for (outcome, parameter), part in response.groupby(["outcome", "parameter"], sort=False):
        paired = part["change"].notna().any()
        first = part["value"].iloc[0]
        header = [str(parameter), "mean", "95% CI", "runs"] + ([f"change from {first}", "95% CI"] if paired else [])
        rows = [
            [str(r.value), _fmt(r.mean), f"[{_fmt(r.low)}, {_fmt(r.high)}]", str(r.n)]
            + ([_fmt(r.change), f"[{_fmt(r.change_low)}, {_fmt(r.change_high)}]"] if paired else [])
            for r in part.itertuples(index=False)
        ]
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
        lines = [
            f"{outcome} by {parameter}",
            "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _fmt(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "nan"
    if abs(value) >= 1e7 or (value != 0 and abs(value) < 0.001):
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.3f}"
