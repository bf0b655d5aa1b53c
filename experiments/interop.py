"""The model as other tools call models: SALib's ``ProblemSpec.evaluate`` (EMA Workbench needs no adapter).

EMA Workbench calls ``function(**parameters)``, which :func:`sim.run` accepts as it is (see
docs/interop.md). SALib calls ``func(X, *args, **kwargs)`` with the sample matrix and wants an array
back; :func:`salib_run` is that function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from experiments.seeds import run_seed

__all__ = ["salib_run"]


def salib_run(
    X: np.ndarray,
    problem: Mapping[str, Any],
    *,
    outputs: Sequence[str] | None = None,
    seed: int = 42,
    quarters: int = 40,
    constants: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Run the model once per row of a SALib sample and return the chosen outcomes.

    Use it with ``ProblemSpec.evaluate``, passing the spec itself for the parameter names::

        sp.sample_sobol(64).evaluate(sovai.salib_run, sp, outputs=["domestic_share_fy2030"])

    Every row runs with the same seed, ``SeedSequence(seed, spawn_key=(0,))`` (common random
    numbers, as ``seeds = "common"`` in an experiment file): differences between rows come from the
    parameters alone, and results do not depend on how ``evaluate(..., nprocs=N)`` splits the rows.

    Args:
        X: The sample, one row per run, one column per name in ``problem["names"]``.
        problem: The SALib problem (a ``ProblemSpec`` or dict) naming the columns of ``X``.
        outputs: Outcome names of :func:`sim.run` (e.g. ``domestic_share_fy2030``); default the
            problem's ``outputs``.
        seed: Master seed.
        quarters: Quarters to simulate.
        constants: Parameters held fixed in every run.

    Returns:
        Array of shape (rows,) for one output, (rows, outputs) for several.

    Raises:
        ParameterError: a name in the problem or ``constants`` is not a parameter, or a value is out
            of range. Whole-number and true/false parameters are rounded from the sample.
        KeyError: an output is not an outcome of the model.
    """
    import sim
    from sim.params import PARAMS, ParameterError, unknown_name_message

    names = list(problem["names"])
    outputs = list(outputs if outputs is not None else problem.get("outputs") or [])
    if not outputs:
        raise ValueError("salib_run: name the outcomes, e.g. outputs=['domestic_share_fy2030']")
    for name in names:
        if name not in PARAMS:
            raise ParameterError(f"salib_run: {unknown_name_message(name)}")
    rounded = [PARAMS[name].kind in (int, bool) for name in names]
    run_seed_ = run_seed(seed, 0, mode="common")
    X = np.atleast_2d(np.asarray(X, dtype=float))
    Y = np.empty((len(X), len(outputs)))
    for i, row in enumerate(X):
        values = {name: round(v) if r else v for name, v, r in zip(names, row.tolist(), rounded, strict=True)}
        result = sim.run({**(constants or {}), **values}, seed=run_seed_, quarters=quarters)
        missing = [o for o in outputs if o not in result]
        if missing:
            raise KeyError(f"salib_run: the model has no outcome {missing[0]!r} (e.g. domestic_share_fy2030)")
        Y[i] = [result[o] for o in outputs]
    return Y[:, 0] if len(outputs) == 1 else Y
