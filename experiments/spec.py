"""Experiment files: read a TOML file, check every field, and return an :class:`Experiment`.

An experiment file has an ``[experiment]`` table (design, sample size, seed, outputs...), one
``[parameters.NAME]`` table per swept parameter, an optional ``[constants]`` table of fixed values
and an optional ``[cluster]`` table for ``--slurm``/``--pbs``. docs/experiments.md describes every
field. All problems are reported as one :class:`ExperimentError` naming the file, the line, the
field, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.errors import ExperimentError
from experiments.models import BUILTIN_MODEL
from experiments.validate import TomlFile, is_number, suggest

#: Designs and the library function behind each.
DESIGNS: dict[str, str] = {
    "grid": "every combination of the listed values (itertools.product)",
    "lhs": "Latin hypercube, scipy.stats.qmc.LatinHypercube",
    "latin": "Latin hypercube, SALib.sample.latin (for delta/PAWN analysis)",
    "sobol": "Saltelli/Sobol' sequence, SALib.sample.sobol (for Sobol indices)",
    "morris": "Morris trajectories, SALib.sample.morris (for elementary effects)",
    "fast": "eFAST, SALib.sample.fast_sampler (for FAST indices)",
}
#: Designs whose SALib sampler accepts parameter groups.
GROUP_DESIGNS = ("sobol", "morris", "latin")
#: Design-specific options of the [experiment] table, with their defaults.
DESIGN_OPTIONS: dict[str, dict[str, Any]] = {
    "sobol": {"calc_second_order": True},
    "morris": {"num_levels": 4, "optimal_trajectories": None},
    "fast": {"M": 4},
}
#: Distributions (SALib names) and the keys each needs.
DISTS: dict[str, tuple[str, ...]] = {
    "unif": ("low", "high"),
    "logunif": ("low", "high"),
    "triang": ("low", "high", "mode"),
    "norm": ("mean", "sd"),
    "truncnorm": ("low", "high", "mean", "sd"),
    "lognorm": ("mean", "sd"),
}
#: Distributions that put mass on the whole real line (Morris's edge levels would be infinite).
UNBOUNDED_DISTS = ("norm", "lognorm")
SEED_MODES = ("per_run", "common")

_EXPERIMENT_KEYS = (
    "name",
    "description",
    "model",
    "scenario",
    "design",
    "samples",
    "replications",
    "seed",
    "seeds",
    "outputs",
    "timeseries",
    "normalise_shares",
    "run_timeout_s",
    *sorted({k for opts in DESIGN_OPTIONS.values() for k in opts}),
)
_PARAMETER_KEYS = ("low", "high", "values", "levels", "dist", "mean", "sd", "mode", "group")
_TABLES = ("experiment", "parameters", "constants", "cluster")
_DEFAULT_SEED = 42


@dataclass(frozen=True)
class ParameterSpec:
    """One swept parameter, as the file gives it (after checking).

    Attributes:
        name: Parameter name.
        kind: "float", "int" or "categorical" (a finite list of values, numbers or not).
        low: Lower bound (unif, logunif, triang, truncnorm).
        high: Upper bound (same).
        dist: SALib distribution name; "unif" unless given.
        mean: Mean (norm, truncnorm; in log space for lognorm).
        sd: Standard deviation (norm, truncnorm, lognorm).
        mode: Peak of a triangular distribution, in the parameter's units.
        values: The allowed values of a categorical parameter, or the grid values.
        group: SALib group name, or None.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    dist: str = "unif"
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    values: tuple[Any, ...] | None = None
    group: str | None = None

    def bounds(self) -> list[float]:
        """SALib ``bounds`` entry for this parameter (its meaning depends on ``dist``)."""
        if self.values is not None and self.kind != "categorical":
            return [float(min(self.values)), float(max(self.values))]  # a numeric grid: informative only
        if self.values is not None:
            # A categorical factor is sampled as a number in [0, k) and mapped to values[floor(x)].
            return [0.0, float(len(self.values))]
        if self.dist in ("unif", "logunif"):
            if self.kind == "int" and self.dist == "unif":
                # Widen by half a step so that rounding makes every integer equally likely.
                return [self.low - 0.5, self.high + 0.5]
            return [self.low, self.high]
        if self.dist == "triang":
            return [self.low, self.high, (self.mode - self.low) / (self.high - self.low)]
        if self.dist == "truncnorm":
            return [self.low, self.high, self.mean, self.sd]
        return [self.mean, self.sd]  # norm, lognorm


@dataclass(frozen=True)
class Experiment:
    """A checked experiment file.

    Attributes:
        path: The file.
        text: Its text, kept in the manifest.
        name: Experiment name (default: the file's stem).
        description: Free text.
        model: "sovai" (the built-in model) or "module:function".
        scenario: Scenario whose parameters are the base (built-in model only).
        design: One of :data:`DESIGNS`.
        samples: N as used (after rounding a Sobol N up to a power of two); None for grids.
        samples_requested: N as written in the file.
        replications: Runs per design point, each with its own seed.
        seed: Master seed.
        seed_mode: "per_run" (every run its own seed) or "common" (replicate r of every point shares a seed).
        outputs: Scalar outcomes to keep; None keeps every number the model returns.
        timeseries: Time-series columns to keep.
        options: Design options (calc_second_order, num_levels, optimal_trajectories, M).
        normalise_shares: Scale the programme shares of each point to sum to 1 (built-in model).
        constants: Fixed parameter values for every run.
        base: Parameters given to every run before the swept ones: scenario overrides and constants.
        parameters: The swept parameters, in file order.
        cluster: The [cluster] table (settings for dask-jobqueue).
        notes: Messages for the user that are not errors (e.g. N rounded up).
        run_timeout_s: Longest a run may take before it is recorded as failed (None: the default;
            where the runs happen, not what they compute, so not part of :meth:`identity`).
    """

    path: Path
    text: str
    name: str
    description: str
    model: str
    scenario: str | None
    design: str
    samples: int | None
    samples_requested: int | None
    replications: int
    seed: int
    seed_mode: str
    outputs: tuple[str, ...] | None
    timeseries: tuple[str, ...]
    options: dict[str, Any]
    normalise_shares: bool
    constants: dict[str, Any]
    base: dict[str, Any]
    parameters: tuple[ParameterSpec, ...]
    cluster: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    run_timeout_s: float | None = None

    @property
    def builtin(self) -> bool:
        """Whether the sweep runs the built-in sovai model."""
        return self.model == BUILTIN_MODEL

    @property
    def names(self) -> list[str]:
        """Swept parameter names, in file order."""
        return [p.name for p in self.parameters]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict: num_vars, names, bounds, and dists/groups when used."""
        problem: dict[str, Any] = {
            "num_vars": len(self.parameters),
            "names": self.names,
            "bounds": [p.bounds() for p in self.parameters],
        }
        if any(p.dist != "unif" for p in self.parameters):
            problem["dists"] = [p.dist for p in self.parameters]
        if any(p.group for p in self.parameters):
            problem["groups"] = [p.group or p.name for p in self.parameters]
        return problem

    def identity(self) -> dict[str, Any]:
        """Everything that decides what is run; a resume must match it exactly.

        The [cluster] table and comments are left out: they change where the runs happen, not what
        they compute.
        """
        return {
            "model": self.model,
            "scenario": self.scenario,
            "design": self.design,
            "samples": self.samples,
            "replications": self.replications,
            "seed": self.seed,
            "seeds": self.seed_mode,
            "outputs": list(self.outputs) if self.outputs is not None else None,
            "timeseries": list(self.timeseries),
            "options": self.options,
            "normalise_shares": self.normalise_shares,
            "base": self.base,
            "parameters": [_spec_dict(p) for p in self.parameters],
        }

    def identity_hash(self) -> str:
        """SHA-256 of :meth:`identity` as canonical JSON."""
        return sha256_json(self.identity())


def sha256_json(obj: Any) -> str:
    """SHA-256 of ``obj`` serialised as canonical JSON."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _spec_dict(p: ParameterSpec) -> dict[str, Any]:
    """A parameter spec as a plain dict without unset fields (for manifests and hashes)."""
    out = {k: getattr(p, k) for k in ("name", "kind", "low", "high", "dist", "mean", "sd", "mode", "group")}
    out["values"] = list(p.values) if p.values is not None else None
    return {k: v for k, v in out.items() if v is not None}


def spec_dicts(exp: Experiment) -> list[dict[str, Any]]:
    """The swept parameters as plain dicts (for the manifest)."""
    return [_spec_dict(p) for p in exp.parameters]


# --- reading ---------------------------------------------------------------------------------------


def load_experiment(
    path: str | Path,
    *,
    model: str | None = None,
    samples: int | None = None,
    replications: int | None = None,
) -> Experiment:
    """Read and check an experiment file.

    Args:
        path: The TOML file, or the name of a shipped one (``levers_lhs``; see experiments.shipped).
        model: "module:function" overriding the file's ``model`` (from ``--model``).
        samples: N overriding the file's ``samples`` (``--samples``, to try a design small first).
        replications: Overrides the file's ``replications`` (``--replications``).

    Raises:
        ExperimentError: the file is missing, malformed or has a bad field.
    """
    from experiments.shipped import find_file

    where = TomlFile.read(
        find_file(path, kind="experiment", error=ExperimentError), kind="experiment", error=ExperimentError
    )
    path, text, data = where.path, where.text, where.data
    if "compare" in data:
        raise where.error("compare", None, "this is an instrument-comparison file: run it with `sovai compare`")
    where.check_tables(_TABLES, tables=_TABLES)
    exp_table = dict(data.get("experiment", {}))
    where.check_keys("experiment", exp_table, _EXPERIMENT_KEYS)
    for key, value in (("samples", samples), ("replications", replications)):
        if value is not None:
            exp_table[key] = value  # checked below with the file's own rules (e.g. Sobol' powers of two)
    return _build(path, text, where, exp_table, data, model)


def _build(
    path: Path, text: str, where: TomlFile, table: dict[str, Any], data: dict[str, Any], model_override: str | None
) -> Experiment:
    """Check the [experiment] fields and the parameter tables; assemble the Experiment."""
    notes: list[str] = []
    model = model_override or where.string("experiment", table, "model", BUILTIN_MODEL)
    builtin = model == BUILTIN_MODEL
    design = where.string("experiment", table, "design", None)
    if design is None:
        raise where.error("experiment", "design", f"missing; choose one of {', '.join(DESIGNS)}")
    if design not in DESIGNS:
        raise where.error("experiment", "design", f"unknown design {design!r}; {suggest(design, list(DESIGNS))}")
    options = _design_options(where, table, design)
    samples_requested, samples = _samples(where, table, design, options, notes)
    replications = where.integer("experiment", table, "replications", 1, minimum=1)
    seed = where.integer("experiment", table, "seed", _DEFAULT_SEED, minimum=0)
    seed_mode = where.string("experiment", table, "seeds", "per_run")
    if seed_mode not in SEED_MODES:
        raise where.error("experiment", "seeds", f"{seed_mode!r} is not allowed; one of {', '.join(SEED_MODES)}")
    outputs = where.names("experiment", table, "outputs")
    timeseries = where.names("experiment", table, "timeseries") or ()
    run_timeout = table.get("run_timeout_s")
    if run_timeout is not None and (
        isinstance(run_timeout, bool) or not isinstance(run_timeout, int | float) or not 0 < run_timeout < 1e9
    ):
        raise where.error("experiment", "run_timeout_s", f"{run_timeout!r} must be a number of seconds > 0")
    normalise = table.get("normalise_shares", True)
    if not isinstance(normalise, bool):
        raise where.error("experiment", "normalise_shares", f"{normalise!r} must be true or false")

    scenario = _scenario(where, table, model)
    constants = dict(data.get("constants", {}))
    raw_params = data.get("parameters", {})
    if not raw_params:
        raise where.error("parameters", None, "no parameters to sweep; add a [parameters.NAME] table")
    checker = _BuiltinChecker(where) if builtin else None
    if checker:
        constants = checker.constants(constants)
    specs = tuple(_parameter(where, name, raw, design, checker) for name, raw in raw_params.items())
    for spec in specs:
        if spec.name in constants:
            raise where.error("constants", spec.name, "is also swept in [parameters]; keep one of them")
    _check_groups(where, specs, design)
    base = checker.base(scenario, constants) if checker else constants
    return Experiment(
        path=path,
        text=text,
        name=where.string("experiment", table, "name", path.stem),
        description=where.string("experiment", table, "description", ""),
        model=model,
        scenario=scenario,
        design=design,
        samples=samples,
        samples_requested=samples_requested,
        replications=replications,
        seed=seed,
        seed_mode=seed_mode,
        outputs=outputs,
        timeseries=timeseries,
        options=options,
        normalise_shares=normalise,
        constants=constants,
        base=base,
        parameters=specs,
        cluster=dict(data.get("cluster", {})),
        notes=tuple(notes),
        run_timeout_s=float(run_timeout) if run_timeout is not None else None,
    )


def _scenario(where: TomlFile, table: Mapping[str, Any], model: str) -> str | None:
    """The scenario giving the base parameters: "baseline" unless named; none for other models."""
    scenario = where.string("experiment", table, "scenario", None)
    if model != BUILTIN_MODEL:
        if scenario is not None:
            raise where.error("experiment", "scenario", f"scenarios are for the built-in model, not {model!r}")
        return None
    return scenario or "baseline"


def _design_options(where: TomlFile, table: Mapping[str, Any], design: str) -> dict[str, Any]:
    """The design's options (defaults filled in); options of other designs are errors."""
    options = dict(DESIGN_OPTIONS.get(design, {}))
    for other, defaults in DESIGN_OPTIONS.items():
        for key in defaults:
            if key in table and other != design:
                raise where.error("experiment", key, f"is an option of the {other!r} design, not {design!r}")
    if design == "sobol":
        value = table.get("calc_second_order", True)
        if not isinstance(value, bool):
            raise where.error("experiment", "calc_second_order", f"{value!r} must be true or false")
        options["calc_second_order"] = value
    elif design == "morris":
        options["num_levels"] = where.integer("experiment", table, "num_levels", 4, minimum=2)
        if options["num_levels"] % 2:
            raise where.error("experiment", "num_levels", f"{options['num_levels']} must be even (SALib)")
        options["optimal_trajectories"] = where.integer("experiment", table, "optimal_trajectories", None, minimum=2)
    elif design == "fast":
        options["M"] = where.integer("experiment", table, "M", 4, minimum=1)
    return options


def _samples(
    where: TomlFile, table: Mapping[str, Any], design: str, options: Mapping[str, Any], notes: list[str]
) -> tuple[int | None, int | None]:
    """N as written and as used; checks the design's rules on N."""
    requested = where.integer("experiment", table, "samples", None, minimum=1)
    if design == "grid":
        if requested is not None:
            notes.append(
                f"{where.path}: samples = {requested} is not used by a grid design "
                "(it runs every combination of the listed values)"
            )
        return requested, None
    if requested is None:
        raise where.error("experiment", "samples", f"missing; the {design!r} design needs N (see docs/experiments.md)")
    samples = requested
    if design == "sobol" and requested & (requested - 1):
        samples = 1 << (requested - 1).bit_length()
        notes.append(
            f"{where.path}: samples = {requested} rounded up to {samples}: Sobol' sequences need a power of two"
        )
    if design == "fast" and samples <= 4 * options["M"] ** 2:
        raise where.error(
            "experiment",
            "samples",
            f"{samples} is too small for FAST with M = {options['M']}; it must exceed 4·M² = {4 * options['M'] ** 2}",
        )
    traj = options.get("optimal_trajectories")
    if design == "morris" and traj is not None and traj > samples:
        raise where.error(
            "experiment",
            "optimal_trajectories",
            f"{traj} must not exceed samples = {samples} (the pool of trajectories)",
        )
    return requested, samples


def _check_groups(where: TomlFile, specs: Sequence[ParameterSpec], design: str) -> None:
    if any(p.group for p in specs) and design not in GROUP_DESIGNS:
        grouped = next(p for p in specs if p.group)
        raise where.error(
            f"parameters.{grouped.name}",
            "group",
            f"groups work with the {', '.join(GROUP_DESIGNS)} designs, not {design!r}",
        )


def _parameter(where: TomlFile, name: str, raw: Any, design: str, checker: _BuiltinChecker | None) -> ParameterSpec:
    """Check one [parameters.NAME] table and return its spec."""
    table = f"parameters.{name}"
    if checker:
        checker.known(name, table)
    if not isinstance(raw, dict):
        raise where.error("parameters", name, "must be a table, e.g. [parameters.NAME] with low and high")
    for key in raw:
        if key not in _PARAMETER_KEYS:
            raise where.error(table, key, f"unknown field; {suggest(key, _PARAMETER_KEYS)}")
    group = raw.get("group")
    if group is not None and not isinstance(group, str):
        raise where.error(table, "group", f"{group!r} must be a string")
    kind = checker.kind(name) if checker else "float"
    values = raw.get("values")
    if values is None and "levels" not in raw and not ({"low", "high", "mean"} & set(raw)) and checker:
        values = checker.all_values(name)  # booleans and choices: every value; numbers: the full range
        if values is None:
            raw = {**raw, **checker.full_range(name)}
    if values is not None:
        return _categorical(where, table, name, raw, values, design, checker, group)
    if kind == "categorical":
        raise where.error(table, "low", f"{name!r} takes {checker.allowed(name)}; list them in values")
    if "levels" in raw:
        return _levels(where, table, name, raw, kind, design, checker, group)
    if design == "grid":
        raise where.error(table, None, "a grid design needs values = [...] (or levels with low and high)")
    return _continuous(where, table, name, raw, kind, design, checker, group)


def _categorical(
    where: TomlFile,
    table: str,
    name: str,
    raw: Mapping[str, Any],
    values: Any,
    design: str,
    checker: _BuiltinChecker | None,
    group: str | None,
) -> ParameterSpec:
    """A parameter with a list of values: the grid's values, or a discrete factor in sampled designs."""
    extra = sorted(set(raw) & {"low", "high", "levels", "dist", "mean", "sd", "mode"})
    if extra:
        raise where.error(table, extra[0], "give either values or a range (low/high), not both")
    if not isinstance(values, list) or not values:
        raise where.error(table, "values", f"{values!r} must be a non-empty list")
    if checker:
        values = [checker.coerce(name, v, table, "values") for v in values]
    if len({json.dumps(v) for v in values}) != len(values):
        raise where.error(table, "values", f"{values!r} lists a value twice")
    numeric = all(is_number(v) for v in values)
    if not checker and not numeric and not all(isinstance(v, (str, bool)) for v in values):
        raise where.error(table, "values", f"{values!r} must all be numbers, or all strings/booleans")
    kind = "categorical"
    if design == "grid" and numeric:
        # Grid values are run as they are: whole numbers stay whole for models without a registry.
        kind = checker.kind(name) if checker else "int" if all(isinstance(v, int) for v in values) else "float"
    return ParameterSpec(name=name, kind=kind, values=tuple(values), group=group)


def _levels(
    where: TomlFile,
    table: str,
    name: str,
    raw: Mapping[str, Any],
    kind: str,
    design: str,
    checker: _BuiltinChecker | None,
    group: str | None,
) -> ParameterSpec:
    """``levels = n`` with low and high: n evenly spaced grid values."""
    if design != "grid":
        raise where.error(table, "levels", f"levels is for grid designs; the {design!r} design samples low..high")
    levels = raw["levels"]
    if not isinstance(levels, int) or isinstance(levels, bool) or levels < 2:
        raise where.error(table, "levels", f"{levels!r} must be a whole number ≥ 2")
    low, high = _range(where, table, name, raw, checker)
    step = (high - low) / (levels - 1)
    values = [low + i * step for i in range(levels)]
    if kind == "int":
        values = sorted({round(v) for v in values})
        if len(values) < levels:
            raise where.error(table, "levels", f"{levels} levels between {low:g} and {high:g} repeat whole numbers")
    return ParameterSpec(name=name, kind=kind, values=tuple(values), group=group)


def _range(
    where: TomlFile, table: str, name: str, raw: Mapping[str, Any], checker: _BuiltinChecker | None
) -> tuple[float, float]:
    """Checked (low, high)."""
    for key in ("low", "high"):
        if key not in raw:
            raise where.error(table, key, "missing")
        if not is_number(raw[key]):
            raise where.error(table, key, f"{raw[key]!r} must be a number")
        if checker:
            checker.coerce(name, raw[key], table, key)
    low, high = raw["low"], raw["high"]
    if low >= high:
        raise where.error(table, "low", f"low = {low!r} must be less than high = {high!r}")
    return float(low), float(high)


def _continuous(
    where: TomlFile,
    table: str,
    name: str,
    raw: Mapping[str, Any],
    kind: str,
    design: str,
    checker: _BuiltinChecker | None,
    group: str | None,
) -> ParameterSpec:
    """A parameter sampled from a distribution over a range."""
    dist = raw.get("dist", "unif")
    if not isinstance(dist, str) or dist not in DISTS:
        raise where.error(table, "dist", f"unknown distribution {dist!r}; {suggest(str(dist), list(DISTS))}")
    needed = DISTS[dist]
    for key in ("low", "high", "mean", "sd", "mode"):
        if key in raw and key not in needed:
            hint = "; use truncnorm for a bounded normal" if dist == "norm" and key in ("low", "high") else ""
            raise where.error(table, key, f"is not used by dist = {dist!r} (it takes {', '.join(needed)}){hint}")
        if key in needed and key not in raw:
            raise where.error(table, key, f"missing; dist = {dist!r} needs {', '.join(needed)}")
        if key in raw and not is_number(raw[key]):
            raise where.error(table, key, f"{raw[key]!r} must be a number")
    if dist in UNBOUNDED_DISTS and design == "morris":
        raise where.error(
            table,
            "dist",
            f"{dist!r} is unbounded and Morris samples the edges of the range; use truncnorm or a bounded distribution",
        )
    low, high = _range(where, table, name, raw, checker) if "low" in needed else (None, None)
    if dist == "logunif" and low <= 0:
        raise where.error(table, "low", f"low = {low!r} must be > 0 for a log-uniform distribution")
    if "sd" in raw and raw["sd"] <= 0:
        raise where.error(table, "sd", f"sd = {raw['sd']!r} must be > 0")
    if dist == "triang" and not low <= raw["mode"] < high:
        raise where.error(table, "mode", f"mode = {raw['mode']!r} must lie in [low, high) = [{low:g}, {high:g})")
    return ParameterSpec(
        name=name,
        kind=kind,
        low=low,
        high=high,
        dist=dist,
        mean=raw.get("mean"),
        sd=raw.get("sd"),
        mode=raw.get("mode"),
        group=group,
    )


class _BuiltinChecker:
    """Checks against the built-in model's parameter registry (sim.params)."""

    def __init__(self, where: TomlFile) -> None:
        from sim import params as registry

        self.where = where
        self.registry = registry

    def known(self, name: str, table: str, key: str | None = None) -> None:
        if name not in self.registry.PARAMS:
            field_name = f"[{table}] " if key else ""  # a [parameters.NAME] header already names it
            prefix = f"{self.where.path}:{self.where.line(table, key)}: {field_name}"
            raise ExperimentError(self.registry.unknown_name_message(name, prefix))

    def kind(self, name: str) -> str:
        param = self.registry.PARAMS[name]
        if param.kind in (bool, str):
            return "categorical"
        return "int" if param.kind is int else "float"

    def allowed(self, name: str) -> str:
        return self.registry.PARAMS[name].allowed

    def all_values(self, name: str) -> list[Any] | None:
        param = self.registry.PARAMS[name]
        if param.kind is bool:
            return [False, True]
        return list(param.choices) if param.choices else None

    def full_range(self, name: str) -> dict[str, float]:
        param = self.registry.PARAMS[name]
        return {"low": param.low, "high": param.high}

    def coerce(self, name: str, value: Any, table: str, key: str) -> Any:
        try:
            return self.registry.PARAMS[name].coerce(value)
        except self.registry.ParameterError as err:
            raise self.where.error(table, key, str(err)) from None

    def constants(self, constants: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in constants.items():
            self.known(name, "constants", name)
            out[name] = self.coerce(name, value, "constants", name)
        return out

    def base(self, scenario: str, constants: Mapping[str, Any]) -> dict[str, Any]:
        """Scenario overrides updated with the constants, checked as a whole."""
        from sim.errors import UserError
        from sim.scenarios import load_scenario

        try:
            base = {**load_scenario(scenario), **constants}
        except UserError as err:
            raise self.where.error("experiment", "scenario", str(err)) from None
        try:
            self.registry.resolve(base)
        except self.registry.ParameterError as err:
            raise self.where.error("constants", None, f"with scenario {scenario!r}: {err}") from None
        return base
