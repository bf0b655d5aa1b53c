"""Designs: the sample matrix (from SALib or scipy.stats.qmc), the values as run, and run seeds.

A design has ``n_points`` points; each point is run ``replications`` times, so run ``run_id`` is
replicate ``run_id % replications`` of point ``run_id // replications``. The sample matrix is kept
as sampled (what SALib's ``analyze`` functions take as ``X``); the values as run differ from it where
integers are rounded, discrete factors are mapped to their values, and programme shares are
normalised to sum to 1.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.errors import ExperimentError
from experiments.seeds import design_seed, run_seed
from experiments.spec import Experiment, ParameterSpec

__all__ = ["Design", "build_design", "design_seed", "frame_hash", "run_seed"]

#: Columns of design.parquet that are not parameters.
RUN_COLUMNS = ("run_id", "point", "replicate")


@dataclass(frozen=True)
class Design:
    """A design, ready to run.

    Attributes:
        problem: The SALib problem dict (num_vars, names, bounds, and dists/groups when used).
        sample: The sample matrix as sampled, shape (n_points, num_vars), in ``problem`` units.
        points: One row per point: the parameter values as run.
    """

    problem: dict[str, Any]
    sample: np.ndarray
    points: pd.DataFrame

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.points)

    def runs(self, replications: int) -> pd.DataFrame:
        """One row per run: run_id, point, replicate and the values as run."""
        n = self.n_points
        values = self.points.iloc[np.repeat(np.arange(n), replications)].reset_index(drop=True)
        ids = pd.DataFrame(
            {
                "run_id": np.arange(n * replications, dtype=np.int64),
                "point": np.repeat(np.arange(n, dtype=np.int64), replications),
                "replicate": np.tile(np.arange(replications, dtype=np.int64), n),
            }
        )
        return pd.concat([ids, values], axis=1)

    def sample_frame(self) -> pd.DataFrame:
        """The sample matrix as a DataFrame: ``point`` and one column per problem name."""
        frame = pd.DataFrame(self.sample, columns=self.problem["names"])
        frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
        return frame


def build_design(exp: Experiment) -> Design:
    """Sample the experiment's design and compute the values as run.

    Raises:
        ExperimentError: sampled values outside a built-in parameter's allowed range, or programme
            shares that do not sum to 1 when normalisation is off.
    """
    problem = exp.problem()
    sample = _sample(exp, problem)
    points = pd.DataFrame({p.name: _as_run(p, sample[:, j]) for j, p in enumerate(exp.parameters)})
    if exp.builtin:
        points = _snap_to_bounds(exp, points)
        _check_ranges(exp, points)
        points = _apply_share_constraint(exp, points)
    return Design(problem=problem, sample=sample, points=points)


def _sample(exp: Experiment, problem: dict[str, Any]) -> np.ndarray:
    """The sample matrix from the design's library function."""
    if exp.design == "grid":
        return _grid(exp.parameters)
    seed = design_seed(exp.seed)
    problem = copy.deepcopy(problem)  # SALib adds keys to the dict it is given
    n, opts = exp.samples, exp.options
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if exp.design == "lhs":
            from SALib.util import scale_samples
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=problem["num_vars"], rng=np.random.default_rng(seed)).random(n)
            return scale_samples(unit, problem)
        if exp.design == "latin":
            from SALib.sample import latin

            return latin.sample(problem, n, seed=seed)
        if exp.design == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, n, calc_second_order=opts["calc_second_order"], seed=seed)
        if exp.design == "morris":
            from SALib.sample import morris

            return morris.sample(
                problem, n, num_levels=opts["num_levels"], optimal_trajectories=opts["optimal_trajectories"], seed=seed
            )
        from SALib.sample import fast_sampler

        return fast_sampler.sample(problem, n, M=opts["M"], seed=seed)


def _grid(specs: tuple[ParameterSpec, ...]) -> np.ndarray:
    """Every combination of the parameters' values (numbers as they are, other values by index)."""
    axes = [list(p.values) if p.kind != "categorical" else list(range(len(p.values))) for p in specs]
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(specs))


def _as_run(spec: ParameterSpec, x: np.ndarray) -> np.ndarray:
    """Values as run from one column of the sample matrix."""
    if spec.kind == "categorical":
        index = np.clip(np.floor(x), 0, len(spec.values) - 1).astype(np.int64)
        types = {type(v) for v in spec.values}
        mixed = len(types) > 1 and not types <= {int, float}  # numpy would turn them all into strings
        return np.asarray(spec.values, dtype=object if mixed else None)[index]
    if spec.kind == "int":
        rounded = np.rint(x)
        if spec.low is not None and spec.dist == "unif":
            # Morris's edge levels sit on the widened bounds (low - 0.5, high + 0.5); keep them in range.
            rounded = np.clip(rounded, spec.low, spec.high)
        return rounded.astype(np.int64)
    return x.astype(float)


def _snap_to_bounds(exp: Experiment, points: pd.DataFrame) -> pd.DataFrame:
    """Put values that miss a parameter's bound by floating-point rounding back on the bound.

    Samplers compute ``low + u·(high − low)``, which can land a few ulps past ``high``
    (0.30000000000000004 for a range ending at 0.3).
    """
    from sim.params import PARAMS

    points = points.copy()
    for spec in exp.parameters:
        param = PARAMS[spec.name]
        if spec.kind == "categorical" or param.low is None:
            continue
        tol = 1e-9 * max(abs(param.high - param.low), 1.0)
        column = points[spec.name]
        points[spec.name] = column.mask((column > param.high) & (column <= param.high + tol), param.high).mask(
            (column < param.low) & (column >= param.low - tol), param.low
        )
    return points


def _check_ranges(exp: Experiment, points: pd.DataFrame) -> None:
    """Refuse designs whose distributions put values outside a parameter's allowed range."""
    from sim.params import PARAMS

    for spec in exp.parameters:
        param = PARAMS[spec.name]
        if spec.kind == "categorical" or param.low is None:
            continue
        column = points[spec.name].to_numpy(float)
        outside = int(np.count_nonzero((column < param.low) | (column > param.high) | ~np.isfinite(column)))
        if outside:
            raise ExperimentError(
                f"{exp.path}: [parameters.{spec.name}] dist = {spec.dist!r}: {outside} of {len(column)} sampled "
                f"values lie outside the allowed range {param.allowed} ({param.unit}); narrow the distribution "
                "or use truncnorm with low and high"
            )


def _apply_share_constraint(exp: Experiment, points: pd.DataFrame) -> pd.DataFrame:
    """Normalise the programme shares of every point to sum to 1, and record all of them as run."""
    from sim.params import PARAMS, SHARE_NAMES, check_shares, normalise_shares

    swept = [n for n in SHARE_NAMES if n in points.columns]
    if not swept:
        return points
    fixed = {n: float(exp.base.get(n, PARAMS[n].default)) for n in SHARE_NAMES if n not in swept}
    rows = [
        {**fixed, **dict(zip(swept, values, strict=True))}
        for values in points[swept].itertuples(index=False, name=None)
    ]
    if not exp.normalise_shares:
        for number, row in enumerate(rows):
            try:
                check_shares(row)
            except ValueError as err:
                raise ExperimentError(
                    f"{exp.path}: point {number}: {err}; set normalise_shares = true in "
                    "[experiment] to scale each point's shares to sum to 1"
                ) from None
        return points
    normalised = pd.DataFrame([normalise_shares(row) for row in rows], columns=list(SHARE_NAMES))
    out = points.copy()
    for name in SHARE_NAMES:  # every share may change, so every share is recorded as run
        out[name] = normalised[name].to_numpy()
    return out


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's column names and values (stable across a Parquet round trip)."""
    digest = hashlib.sha256()
    for name in frame.columns:
        values = frame[name].to_numpy()
        digest.update(f"\x1e{name}\x1f{values.dtype.kind if values.dtype.kind in 'biuf' else 'O'}".encode())
        if values.dtype.kind == "b":
            digest.update(values.astype(np.uint8).tobytes())
        elif values.dtype.kind in "iu":
            digest.update(values.astype(np.int64).tobytes())
        elif values.dtype.kind == "f":
            digest.update(values.astype(np.float64).tobytes())
        else:
            digest.update("\x1f".join(map(repr, values.tolist())).encode())
    return digest.hexdigest()
