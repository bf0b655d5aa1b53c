"""Many-objective robust search: ``sovai optimise FILE``.

Which setting of the levers performs acceptably across all plausible futures? Each candidate policy
(a setting of the levers) is run in the same ensemble of futures — uncertainties drawn once by a
Latin hypercube from their distributions, and future k always run with seed
``SeedSequence(seed, spawn_key=(k,))``, so every policy meets the same futures with the same random
numbers (common random numbers). Each objective turns a policy's outcomes across the futures into
one number (its robustness metric); optuna's NSGA-II sampler searches for the Pareto set.

Robustness metrics (McPhail et al. 2018, Earth's Future 6; Kwakkel, Eker & Pruyt 2016):

* ``mean``: the mean over futures (minimised or maximised as the objective says);
* ``percentile``: a percentile over futures (e.g. the 90th of a cost: a bad case);
* ``regret``: per future, the distance to the best outcome any evaluated policy reached in that
  future; summarised by ``percentile`` (100, the default, is Savage's maximum regret). Minimised;
* ``satisficing``: the share of futures in which the outcome meets ``threshold`` (≤ for min, ≥
  for max). Maximised.

Regret depends on the other policies. During the search a policy's regret is measured against every
policy evaluated up to the end of its own generation (so it is fixed when told to the sampler and the
same after a resume); the Pareto table recomputes every regret against all policies evaluated.

Resume: the search runs generation by generation through optuna's ask-and-tell interface with its
SQLite storage (``DIR/study.db``). A generation's policies are asked first, each with a sampler
seeded by ``SeedSequence(seed, spawn_key=(generation, index))``; every finished evaluation is stored
in its trial at once; the generation is told when all of it is done. A run killed at any moment
keeps every finished evaluation, and the same command carries on with the same policies, so the
final front equals that of an uninterrupted run with the same seed.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.errors import ExperimentError
from experiments.models import BUILTIN_MODEL
from experiments.pools import RunOptions
from experiments.spec import Experiment, ParameterSpec, _BuiltinChecker, _parameter
from experiments.validate import TomlFile
from sim.errors import UserError, suggest
from sim.outputs import OUTPUT_NAMES
from sim.tomlfiles import read_toml

ROBUSTNESS = ("mean", "percentile", "regret", "satisficing")
DIRECTIONS = ("min", "max")
STUDY_FILE = "study.db"
STUDY_NAME = "sovai-optimise"
#: Trial user attribute holding a policy's outcomes in every future.
OUTCOMES_ATTR = "outcomes"
_HEAD_KEYS = (
    "name",
    "description",
    "model",
    "scenario",
    "futures",
    "evaluations",
    "population",
    "seed",
    "confidence",
    "normalise_shares",
)
_OBJECTIVE_KEYS = ("outcome", "direction", "robustness", "percentile", "threshold")
_TABLES = ("optimise", "levers", "uncertainties", "objectives", "constants", "cluster")
#: The result files a search writes (the folder's other names are optuna's storage and the lock).
_OUTPUTS = tuple(n for n in OUTPUT_NAMES["optimise"] if n.endswith((".csv", ".png", ".md", ".html")))
#: Study attribute holding the scenario's own policy's outcomes in every future (built-in model).
REFERENCE_ATTR = "reference_outcomes"


class OptimiseError(UserError, ValueError):
    """A bad optimise file or option, or a results folder that holds another search."""


@dataclass(frozen=True)
class Objective:
    """One objective: an outcome, its direction and how it is summarised across futures.

    Attributes:
        name: The objective's name (the [objectives.NAME] table).
        outcome: The model outcome.
        direction: "min" or "max" for the outcome itself.
        robustness: One of :data:`ROBUSTNESS`.
        percentile: The percentile for "percentile" and "regret" (0–100).
        threshold: The threshold for "satisficing".
    """

    name: str
    outcome: str
    direction: str
    robustness: str
    percentile: float | None = None
    threshold: float | None = None

    @property
    def sense(self) -> str:
        """Whether the metric is minimised or maximised ("min" or "max")."""
        if self.robustness == "regret":
            return "min"
        if self.robustness == "satisficing":
            return "max"
        return self.direction

    @property
    def label(self) -> str:
        """The metric as a reader sees it, e.g. "mean of digital_deficit_ai_cum_jpy_bn (min)"."""
        if self.robustness == "mean":
            metric = "mean"
        elif self.robustness == "percentile":
            metric = f"p{self.percentile:g}"
        elif self.robustness == "regret":
            metric = f"p{self.percentile:g} regret"
        else:
            metric = f"share {'≤' if self.direction == 'min' else '≥'} {self.threshold:g}"
        return f"{metric} of {self.outcome} ({self.sense})"


@dataclass(frozen=True)
class Problem:
    """A checked optimise file.

    Attributes:
        path: The file.
        text: Its text.
        name: Search name.
        description: Free text.
        model: "sovai" or "module:function".
        base: Parameters of every run (scenario overrides and constants).
        levers: The searched levers (ranges or value lists).
        uncertainties: The uncertainties and their distributions.
        objectives: The objectives.
        futures: Futures per evaluation.
        evaluations: Budget of policy evaluations (rounded up to whole generations).
        population: Policies per generation.
        seed: Master seed.
        confidence: Confidence level of the intervals.
        normalise_shares: Scale the programme shares of each policy to sum to 1 (built-in model).
        cluster: The [cluster] table (for --slurm/--pbs).
        exp: The file as an experiment over the uncertainties (for the futures' design).
        scenario: The built-in model's scenario (None for other models).
    """

    path: Path
    text: str
    name: str
    description: str
    model: str
    base: dict[str, Any]
    levers: tuple[ParameterSpec, ...]
    uncertainties: tuple[ParameterSpec, ...]
    objectives: tuple[Objective, ...]
    futures: int
    evaluations: int
    population: int
    seed: int
    confidence: float
    normalise_shares: bool
    cluster: dict[str, Any]
    exp: Experiment
    scenario: str | None = None

    @property
    def generations(self) -> int:
        """Generations needed for the budget."""
        return math.ceil(self.evaluations / self.population)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every outcome the objectives need."""
        return tuple(dict.fromkeys(o.outcome for o in self.objectives))

    def identity(self) -> dict[str, Any]:
        """Everything that decides which policies are tried and how they score (not the budget)."""
        from experiments.spec import _spec_dict

        return {
            "model": self.model,
            "base": self.base,
            "levers": [_spec_dict(p) for p in self.levers],
            "uncertainties": [_spec_dict(p) for p in self.uncertainties],
            "objectives": [vars(o) for o in self.objectives],
            "futures": self.futures,
            "population": self.population,
            "seed": self.seed,
            "normalise_shares": self.normalise_shares,
        }


# --- reading the file ----------------------------------------------------------------------------------


class _SectionWhere(TomlFile):
    """Error positions for the experiment-file helpers, with their table names mapped to this file's."""

    def __init__(self, path: Path, text: str, section: str) -> None:
        super().__init__(path, text, {}, ExperimentError)
        self.section = section

    def _map(self, table: str) -> str:
        if table == "parameters" or table.startswith("parameters."):
            return self.section + table.removeprefix("parameters")
        return "optimise" if table == "experiment" else table

    def line(self, table: str, key: str | None = None) -> int:
        """Line of ``key`` in the mapped table."""
        return super().line(self._map(table), key)

    def error(self, table: str, key: str | None, message: str) -> UserError:
        """An error pointing at the mapped table."""
        return super().error(self._map(table), key, message)


def load_problem(path: str | Path, *, model: str | None = None, evaluations: int | None = None) -> Problem:
    """Read and check an optimise file.

    Args:
        path: The TOML file.
        model: "module:function" overriding the file's model (``--model``).
        evaluations: Overrides the file's budget.

    Raises:
        OptimiseError, ExperimentError: a missing, malformed or invalid file.
    """
    from experiments.shipped import find_file

    path = find_file(path, kind="optimise", error=OptimiseError)  # a path, or a shipped file's name
    text, data = read_toml(path, OptimiseError, "optimise file")
    where = _SectionWhere(path, text, "levers")
    if "optimise" not in data:
        kind = "an experiment file for `sovai sweep`" if "experiment" in data else "not an optimise file"
        raise where.error("optimise", None, f"missing; this is {kind} (see experiments/robust_split.toml)")
    for table in data:
        if table not in _TABLES:
            raise where.error(table, None, f"unknown table; {suggest(table, _TABLES)}")
        if not isinstance(data[table], dict):
            raise where.error(table, None, "must be a table")
    head = data["optimise"]
    for key in head:
        if key not in _HEAD_KEYS:
            raise where.error("optimise", key, f"unknown field; {suggest(key, _HEAD_KEYS)}")
    model = model or _field(where, head, "model", str, BUILTIN_MODEL)
    builtin = model == BUILTIN_MODEL
    if builtin:
        checker = _BuiltinChecker(where)
        constants = checker.constants(dict(data.get("constants", {})))
        scenario = _field(where, head, "scenario", str, "baseline")
        base = checker.base(scenario, constants)
    else:
        checker, scenario = None, None
        if "scenario" in head:
            raise where.error("optimise", "scenario", f"scenarios are for the built-in model, not {model!r}")
        base = dict(data.get("constants", {}))
    levers = _specs(path, text, "levers", data.get("levers", {}), checker)
    if not levers:
        raise where.error("levers", None, "no levers to search; add a [levers.NAME] table")
    for spec in levers:
        if spec.dist != "unif":
            raise _SectionWhere(path, text, "levers").error(
                f"parameters.{spec.name}", "dist", "levers are searched between low and high; dist is for uncertainties"
            )
    uncertainties = _specs(path, text, "uncertainties", data.get("uncertainties", {}), checker)
    names = [p.name for p in (*levers, *uncertainties)]
    for name in names:
        if names.count(name) > 1:
            raise where.error(f"uncertainties.{name}", None, "is also a lever; a name is either searched or uncertain")
        if name in data.get("constants", {}):
            raise where.error("constants", name, "is also a lever or an uncertainty; keep one of them")
    objectives = _objectives(where, data.get("objectives", {}))
    futures = _int(where, head, "futures", 10, 1)
    budget = evaluations if evaluations is not None else _int(where, head, "evaluations", 200, 2)
    if budget < 2:
        raise OptimiseError(f"--evaluations {budget}: must be at least 2")
    population = _int(where, head, "population", 20, 2)
    seed = _int(where, head, "seed", 42, 0)
    confidence = _field(where, head, "confidence", float, 0.95)
    if not 0.5 <= confidence < 1:
        raise where.error("optimise", "confidence", f"{confidence!r} must lie between 0.5 and 1")
    normalise = _field(where, head, "normalise_shares", bool, True)
    name = _field(where, head, "name", str, path.stem)
    exp = Experiment(
        path=path,
        text=text,
        name=name,
        description=_field(where, head, "description", str, ""),
        model=model,
        scenario=None,
        design="lhs",
        samples=futures,
        samples_requested=futures,
        replications=1,
        seed=seed,
        seed_mode="common",
        outputs=None,
        timeseries=(),
        options={},
        normalise_shares=normalise,
        constants={},
        base=base,
        parameters=uncertainties,
    )
    return Problem(
        path=path,
        text=text,
        name=name,
        description=exp.description,
        model=model,
        base=base,
        levers=levers,
        uncertainties=uncertainties,
        objectives=objectives,
        futures=futures,
        evaluations=budget,
        population=population,
        seed=seed,
        confidence=float(confidence),
        normalise_shares=normalise,
        cluster=dict(data.get("cluster", {})),
        scenario=scenario,
        exp=exp,
    )


def _field(where: TomlFile, table: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = table.get(key, default)
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        what = {str: "a string", float: "a number", bool: "true or false"}[kind]
        raise where.error("optimise", key, f"{value!r} must be {what}")
    return value


def _int(where: TomlFile, table: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise where.error("optimise", key, f"{value!r} must be a whole number ≥ {minimum}")
    return value


def _specs(
    path: Path, text: str, section: str, tables: dict[str, Any], checker: _BuiltinChecker | None
) -> tuple[ParameterSpec, ...]:
    """The [levers.NAME] or [uncertainties.NAME] tables, checked like a sweep's parameters."""
    where = _SectionWhere(path, text, section)
    if checker is not None:
        checker = _BuiltinChecker(where)
    return tuple(_parameter(where, name, raw, "lhs", checker) for name, raw in tables.items())


def _objectives(where: TomlFile, tables: dict[str, Any]) -> tuple[Objective, ...]:
    if not tables:
        raise where.error("objectives", None, "no objectives; add an [objectives.NAME] table with an outcome")
    out = []
    for name, raw in tables.items():
        table = f"objectives.{name}"
        if not isinstance(raw, dict):
            raise where.error("objectives", name, "must be a table with outcome, direction and robustness")
        for key in raw:
            if key not in _OBJECTIVE_KEYS:
                raise where.error(table, key, f"unknown field; {suggest(key, _OBJECTIVE_KEYS)}")
        outcome = raw.get("outcome", name)
        direction = raw.get("direction")
        robustness = raw.get("robustness", "mean")
        if not isinstance(outcome, str):
            raise where.error(table, "outcome", f"{outcome!r} must be an outcome name")
        if direction not in DIRECTIONS:
            raise where.error(table, "direction", f"{direction!r}: say whether to minimise or maximise: min or max")
        if robustness not in ROBUSTNESS:
            raise where.error(
                table, "robustness", f"{robustness!r} is not allowed; {suggest(str(robustness), ROBUSTNESS)}"
            )
        percentile = raw.get("percentile", 100.0 if robustness == "regret" else None)
        threshold = raw.get("threshold")
        if robustness in ("percentile", "regret"):
            if not isinstance(percentile, (int, float)) or isinstance(percentile, bool) or not 0 <= percentile <= 100:
                raise where.error(table, "percentile", f"{percentile!r} must be a number from 0 to 100")
            percentile = float(percentile)
        elif "percentile" in raw:
            raise where.error(table, "percentile", f"is for robustness = 'percentile' or 'regret', not {robustness!r}")
        if robustness == "satisficing":
            if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not math.isfinite(threshold):
                raise where.error(table, "threshold", f"{threshold!r}: satisficing needs a number to meet")
            threshold = float(threshold)
        elif "threshold" in raw:
            raise where.error(table, "threshold", f"is for robustness = 'satisficing', not {robustness!r}")
        out.append(Objective(name, outcome, direction, robustness, percentile, threshold))
    return tuple(out)


# --- robustness metrics ---------------------------------------------------------------------------------


def best_per_future(outcomes: np.ndarray, direction: str) -> np.ndarray:
    """Best outcome in each future over policies: ``outcomes`` has shape (policies, futures)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a future where every run failed: NaN
        return np.nanmin(outcomes, axis=0) if direction == "min" else np.nanmax(outcomes, axis=0)


def per_future(values: np.ndarray, objective: Objective, best: np.ndarray | None) -> np.ndarray:
    """What the metric summarises in each future: the outcome, its regret, or whether it meets the threshold."""
    values = np.asarray(values, dtype=float)
    if objective.robustness == "regret":
        if best is None:
            raise ValueError("regret needs the best outcome per future")
        return np.abs(best - values)
    if objective.robustness == "satisficing":
        meets = values <= objective.threshold if objective.direction == "min" else values >= objective.threshold
        return np.where(np.isfinite(values), meets, False).astype(float)  # a failed run does not satisfice
    return values


def summarise(values: np.ndarray, objective: Objective) -> float:
    """The metric of per-future values (from :func:`per_future`); NaN when no future has a value."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan
    if objective.robustness in ("percentile", "regret"):
        return float(np.percentile(finite, objective.percentile))
    return float(finite.mean())


def robustness(values: np.ndarray, objective: Objective, best: np.ndarray | None = None) -> float:
    """A policy's metric for one objective from its outcomes in every future."""
    return summarise(per_future(values, objective, best), objective)


def interval(
    values: np.ndarray, objective: Objective, best: np.ndarray | None, confidence: float, seed: int
) -> tuple[float, float]:
    """Confidence interval of the metric over the sample of futures.

    Means: a t interval; shares meeting a threshold: Wilson's interval (scipy.stats.binomtest);
    percentiles and regret: a bootstrap percentile interval over futures (scipy.stats.bootstrap).
    NaN when fewer than two futures have a value.
    """
    from scipy import stats

    from analysis.stats import mean_ci

    data = per_future(values, objective, best)
    data = data[np.isfinite(data)]
    if data.size < 2:
        return math.nan, math.nan
    if objective.robustness == "mean":
        _, low, high, _ = mean_ci(data, confidence)
        return low, high
    if objective.robustness == "satisficing":
        ci = stats.binomtest(int(round(data.sum())), int(data.size)).proportion_ci(confidence, method="wilson")
        return float(ci.low), float(ci.high)
    if np.ptp(data) == 0:
        return float(data[0]), float(data[0])
    res = stats.bootstrap(
        (data,),
        lambda d, axis: np.percentile(d, objective.percentile, axis=axis),
        confidence_level=confidence,
        n_resamples=999,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def dominating(values: np.ndarray, point: np.ndarray, senses: Sequence[str]) -> np.ndarray:
    """Which rows of ``values`` (policies × objectives) dominate ``point``: as good on every objective, better on one.

    A row or a point with a NaN dominates nothing and is dominated by nothing.
    """
    sign = np.array([1.0 if s == "min" else -1.0 for s in senses])
    theirs, ours = np.asarray(values, dtype=float) * sign, np.asarray(point, dtype=float) * sign
    return np.all(theirs <= ours, axis=1) & np.any(theirs < ours, axis=1)


def pareto_mask(values: np.ndarray, senses: Sequence[str]) -> np.ndarray:
    """Which rows of ``values`` (policies × objectives) no other row dominates; NaN rows are dominated."""
    values = np.asarray(values, dtype=float)
    finite = np.all(np.isfinite(values), axis=1)
    mask = finite.copy()
    for i in np.flatnonzero(finite):
        mask[i] = not dominating(values[finite], values[i], senses).any()
    return mask


# --- the search -----------------------------------------------------------------------------------------


@dataclass
class OptimiseOptions(RunOptions):
    """How and where to run a search (the command-line options).

    The shared options are :class:`~experiments.pools.RunOptions`'s (``fresh`` discards the
    evaluations already in ``out``). Besides them:

    Attributes:
        evaluations: Overrides the file's budget.
    """

    evaluations: int | None = None


@dataclass
class Result:
    """A finished (or budget-limited) search.

    Attributes:
        problem: The checked file.
        out: Results folder.
        futures: The futures (one row per future: its seed and uncertainty values).
        evaluations: One row per evaluated policy: trial number, generation, levers as run, metrics.
        pareto: The non-dominated rows of ``evaluations`` with each metric's confidence interval.
        outcomes: Trial number → outcome → values in every future.
        kept: Evaluations found in the folder when this session started.
        ran: Evaluations this session ran.
        seconds: Wall time of this session.
        notes: Messages for the user.
        reference: The scenario's own policy scored like a member, with ``dominated_by`` (built-in model;
            None otherwise).
    """

    problem: Problem
    out: Path
    futures: pd.DataFrame
    evaluations: pd.DataFrame
    pareto: pd.DataFrame
    outcomes: dict[int, dict[str, np.ndarray]]
    kept: int = 0
    ran: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    reference: pd.DataFrame | None = None


def future_seed(master_seed: int, k: int) -> int:
    """Seed of future k, shared by every policy (the sweep rule with common seeds)."""
    from experiments.seeds import run_seed

    return run_seed(master_seed, k, replications=10**9, mode="common")


def make_futures(problem: Problem) -> pd.DataFrame:
    """The futures: ``future``, ``seed`` and the uncertainties (a Latin hypercube over their distributions)."""
    from experiments.design import build_design

    if problem.uncertainties:
        values = build_design(problem.exp).points.reset_index(drop=True)
    else:
        values = pd.DataFrame(index=range(problem.futures))
    frame = pd.DataFrame(
        {
            "future": np.arange(problem.futures, dtype=np.int64),
            "seed": [future_seed(problem.seed, k) for k in range(problem.futures)],
        }
    )
    return pd.concat([frame, values], axis=1)


def lever_distributions(problem: Problem) -> dict[str, Any]:
    """The levers as optuna distributions."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for spec in problem.levers:
        if spec.values is not None:
            out[spec.name] = CategoricalDistribution(list(spec.values))
        elif spec.kind == "int":
            out[spec.name] = IntDistribution(int(spec.low), int(spec.high))
        else:
            out[spec.name] = FloatDistribution(float(spec.low), float(spec.high))
    return out


def levers_as_run(problem: Problem, params: dict[str, Any]) -> dict[str, Any]:
    """A policy's levers as run: programme shares scaled to sum to 1 when the built-in model normalises them."""
    if problem.model != BUILTIN_MODEL or not problem.normalise_shares:
        return dict(params)
    from dataclasses import replace

    from experiments.design import _apply_share_constraint

    exp = replace(problem.exp, parameters=problem.levers)
    row = _apply_share_constraint(exp, pd.DataFrame([params]))
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].to_dict().items()}


def _sampler(problem: Problem, generation: int, index: int) -> Any:
    """The NSGA-II sampler for one ask: seeded by (generation, index), so a resume asks the same policy."""
    from optuna.samplers import NSGAIISampler
    from optuna.samplers.nsgaii import PolynomialMutation, SBXCrossover

    seed = int(np.random.SeedSequence(problem.seed, spawn_key=(generation, index)).generate_state(1)[0])
    # SBX crossover with polynomial mutation: the textbook NSGA-II operators (Deb et al. 2002) for real levers.
    return NSGAIISampler(
        population_size=problem.population, crossover=SBXCrossover(), mutation=PolynomialMutation(), seed=seed
    )


def _generation_key() -> str:
    from optuna.samplers import NSGAIISampler

    return NSGAIISampler._get_generation_key()


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            yield
        finally:
            optuna.logging.set_verbosity(level)


def _open_study(out: Path, problem: Problem, fresh: bool, echo: Callable[[str], None]) -> Any:
    """Create or load the study in DIR/study.db; refuse a folder that holds another search."""
    import json

    import optuna

    from experiments.sweep import _jsonable

    db = out / STUDY_FILE
    if fresh:
        for path in (db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")):
            path.unlink(missing_ok=True)
    directions = ["minimize" if o.sense == "min" else "maximize" for o in problem.objectives]
    identity = _jsonable(problem.identity())
    study = optuna.create_study(storage=_storage(db), study_name=STUDY_NAME, directions=directions, load_if_exists=True)
    old = study.user_attrs.get("identity")
    if old is None:
        study.set_user_attr("identity", identity)
    elif old != identity:
        changed = [k for k in identity if old.get(k) != identity[k]]
        raise OptimiseError(
            f"{out} holds a search of a different problem (the file differs in {', '.join(changed)}); run again with "
            f"--fresh to discard its {len(study.trials)} evaluations, or choose another --out"
        )
    code = json.dumps(_code_version(problem), sort_keys=True)
    if study.user_attrs.get("code") not in (None, code):
        echo("note: the model's source changed since this search started; earlier evaluations are kept as they were")
    study.set_user_attr("code", code)
    return study


def _storage(db: Path) -> Any:
    """Optuna RDB storage on SQLite, in write-ahead-log mode.

    WAL with ``synchronous=NORMAL`` keeps every committed evaluation when the process is killed
    (only a power cut may lose the last commits) and is about four times faster than the default
    rollback journal, which syncs the disk on every one of the dozen commits an evaluation makes.
    """
    import optuna
    from sqlalchemy import event

    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(storage.engine, "connect", pragmas)
    storage.engine.dispose()  # connections opened before the listener reconnect with the pragmas
    return storage


def _code_version(problem: Problem) -> dict[str, str]:
    from experiments.models import code_version

    return code_version(problem.model)


def _evaluated(trial: Any) -> dict[str, np.ndarray] | None:
    return _arrays(trial.user_attrs.get(OUTCOMES_ATTR))


def _arrays(raw: dict[str, list[float | None]] | None) -> dict[str, np.ndarray] | None:
    """Stored outcomes (lists with None for a failed run) as arrays with NaN."""
    if raw is None:
        return None
    return {k: np.array([np.nan if v is None else v for v in vals], dtype=float) for k, vals in raw.items()}


def reference_levers(problem: Problem) -> dict[str, Any] | None:
    """The levers as the file's scenario sets them (built-in model only: other models have no defaults here)."""
    if problem.model != BUILTIN_MODEL:
        return None
    from sim.params import resolve

    values = resolve(problem.base)
    return {name: values[name] for name in _lever_columns(problem)}


class _Evaluator:
    """Runs policies in every future on a pool and stores each finished policy in its trial."""

    def __init__(self, problem: Problem, futures: pd.DataFrame, pool: Any, study: Any) -> None:
        from experiments.runner import RunConfig

        self.problem, self.futures, self.pool, self.study = problem, futures, pool, study
        self.config = RunConfig(
            model=problem.model,
            base=problem.base,
            master_seed=problem.seed,
            replications=problem.futures,  # run_id = trial * F + k, so run k of every policy gets future k's seed
            seed_mode="common",
            outputs=None,
        )
        self.uncertainty_values = {spec.name: futures[spec.name].tolist() for spec in problem.uncertainties}
        self.checked = False

    def _submit(self, levers: dict[str, Any], first_run_id: int) -> None:
        """Run one policy in every future; its runs are ``first_run_id`` + k (future k's seed for any multiple of F)."""
        from experiments.runner import Batch

        f = self.problem.futures
        params = {name: [value] * f for name, value in levers.items()}
        params.update(self.uncertainty_values)
        self.pool.submit(self.config, Batch(run_ids=[first_run_id + k for k in range(f)], params=params))

    def _next(self) -> tuple[int, dict[str, list[float | None]], str | None]:
        """The next finished policy: its first run id, its outcomes in every future and its first error."""
        from experiments.pools import WorkerDied
        from experiments.runner import failed_result

        batch, outcome = self.pool.next_done()
        if isinstance(outcome, WorkerDied):
            outcome = failed_result(batch, self.config, outcome.message)
        self._check(outcome)
        scalars = outcome.scalars.sort_values("run_id")
        f = self.problem.futures
        values: dict[str, list[float | None]] = {
            name: [None if not np.isfinite(v) else float(v) for v in scalars.get(name, pd.Series([np.nan] * f))]
            for name in self.problem.outcomes
        }
        values["failed"] = [float(s != "ok") for s in scalars["status"]]
        errors = scalars.loc[scalars["status"] != "ok", "error"]
        return batch.run_ids[0], values, str(errors.iloc[0]) if len(errors) else None

    def run(self, trials: list[Any], on_done: Callable[[], None]) -> None:
        """Evaluate ``trials`` (each in every future) and store their outcomes as they finish."""
        f = self.problem.futures
        by_first = {t.number * f: t for t in trials}
        for first, trial in by_first.items():
            self._submit(levers_as_run(self.problem, trial.params), first)
        for _ in range(len(trials)):
            first, values, error = self._next()
            trial = by_first[first]
            self.study._storage.set_trial_user_attr(trial._trial_id, OUTCOMES_ATTR, values)
            if error is not None:
                self.study._storage.set_trial_user_attr(trial._trial_id, "first_error", error)
            on_done()

    def reference(self, levers: dict[str, Any]) -> dict[str, list[float | None]]:
        """Run the scenario's own policy in every future with the same seeds, once (kept in the study)."""
        kept = self.study.user_attrs.get(REFERENCE_ATTR)
        if kept is None:
            self._submit(levers, 0)
            _, kept, _ = self._next()
            self.study.set_user_attr(REFERENCE_ATTR, kept)
        return kept

    def _check(self, outcome: Any) -> None:
        """On the first result that names them, check that the model returns every objective's outcome."""
        import difflib

        if self.checked or outcome.outcome_names is None:
            return
        self.checked = True
        for objective in self.problem.objectives:
            if objective.outcome not in outcome.outcome_names:
                near = difflib.get_close_matches(objective.outcome, outcome.outcome_names, n=3, cutoff=0.5)
                hint = (
                    f"did you mean {', '.join(near)}?"
                    if near
                    else f"it returns {', '.join(sorted(outcome.outcome_names)[:8])}..."
                )
                raise OptimiseError(
                    f"{self.problem.path}: [objectives.{objective.name}] outcome: the model returns no outcome "
                    f"{objective.outcome!r}; {hint}"
                )


def _members(study: Any, generation: int, names: set[str]) -> list[Any]:
    """The trials of ``generation`` asked so far (complete or running), after failing half-asked ones."""
    from optuna.trial import TrialState

    key = _generation_key()
    members = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.RUNNING and set(trial.params) != names:
            study.tell(trial.number, state=TrialState.FAIL)  # killed while it was being asked: ask again
            continue
        if trial.state in (TrialState.RUNNING, TrialState.COMPLETE) and trial.system_attrs.get(key) == generation:
            members.append(trial)
    return members


def _bests(
    problem: Problem, outcomes: dict[int, dict[str, np.ndarray]], pool: Sequence[int]
) -> dict[str, np.ndarray | None]:
    """Each objective's best outcome per future among the policies ``pool`` (regret objectives; None otherwise)."""
    return {
        o.name: best_per_future(np.vstack([outcomes[n][o.outcome] for n in pool]), o.direction)
        if o.robustness == "regret"
        else None
        for o in problem.objectives
    }


def _metric_values(
    problem: Problem, outcomes: dict[int, dict[str, np.ndarray]], numbers: Sequence[int], pool: Sequence[int]
) -> dict[int, list[float]]:
    """Metrics of the trials ``numbers``, regret measured against the policies ``pool``."""
    values: dict[int, list[float]] = {n: [] for n in numbers}
    bests = _bests(problem, outcomes, pool)
    for objective in problem.objectives:
        best = bests[objective.name]
        for n in numbers:
            values[n].append(robustness(outcomes[n][objective.outcome], objective, best))
    return values


def _tell(study: Any, problem: Problem, members: list[Any]) -> None:
    """Tell the sampler the metrics of a fully evaluated generation (regret against everything so far)."""
    from optuna.trial import TrialState

    trials = [t for t in study.get_trials(deepcopy=False) if _evaluated(t) is not None]
    outcomes = {t.number: _evaluated(t) for t in trials}
    running = sorted(
        t.number for t in study.get_trials(deepcopy=False, states=[TrialState.RUNNING]) if t.number in outcomes
    )
    metrics = _metric_values(problem, outcomes, running, [t.number for t in trials])
    worst = [math.inf if o.sense == "min" else -math.inf for o in problem.objectives]
    for number in running:
        told = [w if not math.isfinite(v) else v for v, w in zip(metrics[number], worst, strict=True)]
        study.tell(number, told)


def search(problem: Problem, study: Any, evaluator: _Evaluator, echo: Callable[[str], None]) -> int:
    """Run generations until the budget is spent; return the evaluations run in this session."""
    from optuna.trial import TrialState

    distributions = lever_distributions(problem)
    names = set(distributions)
    ran = 0
    started = time.monotonic()
    while True:
        complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
        generation = len(complete) // problem.population
        if generation >= problem.generations:
            return ran
        members = _members(study, generation, names)
        while len(members) < problem.population:
            study.sampler = _sampler(problem, generation, len(members))
            members.append(study.ask(distributions))
        members = _members(study, generation, names)  # as stored (frozen), with what each holds
        todo = [t for t in members if t.state == TrialState.RUNNING and _evaluated(t) is None]

        def done() -> None:
            nonlocal ran
            ran += 1

        evaluator.run(todo, done)
        _tell(study, problem, members)
        elapsed = time.monotonic() - started
        echo(
            f"generation {generation + 1}/{problem.generations}: {(generation + 1) * problem.population} evaluations "
            f"done ({ran} this session, {elapsed:.0f} s)"
        )


# --- results --------------------------------------------------------------------------------------------


def collect(problem: Problem, study: Any, futures: pd.DataFrame, out: Path) -> Result:
    """Every evaluated policy with its metrics (regret against all of them) and the Pareto set with intervals.

    When the study holds the scenario's own policy (:meth:`_Evaluator.reference`), it is scored the same
    way — its regret against the evaluated policies, which it does not join — with the members that
    dominate it.
    """
    from optuna.trial import TrialState

    key = _generation_key()
    trials = [t for t in study.get_trials(deepcopy=False, states=[TrialState.COMPLETE]) if _evaluated(t) is not None]
    outcomes = {t.number: _evaluated(t) for t in trials}
    numbers = [t.number for t in trials]
    metrics = _metric_values(problem, outcomes, numbers, numbers) if trials else {}
    rows = []
    for trial in trials:
        row: dict[str, Any] = {"member": trial.number, "generation": trial.system_attrs.get(key)}
        row.update(levers_as_run(problem, trial.params))
        for objective, value in zip(problem.objectives, metrics[trial.number], strict=True):
            row[objective.name] = value
        row["failed_runs"] = int(np.nansum(outcomes[trial.number]["failed"]))
        rows.append(row)
    columns = ["member", "generation", *_lever_columns(problem), *(o.name for o in problem.objectives), "failed_runs"]
    evaluations = pd.DataFrame(rows, columns=list(dict.fromkeys(columns)))
    senses = [o.sense for o in problem.objectives]
    mask = pareto_mask(evaluations[[o.name for o in problem.objectives]].to_numpy(float), senses) if rows else []
    pareto = evaluations[np.asarray(mask, dtype=bool)].copy() if rows else evaluations.copy()
    # NSGA-II may propose a policy it has already evaluated; list each policy once (its first member).
    pareto = pareto.drop_duplicates(subset=_lever_columns(problem), keep="first")
    bests = _bests(problem, outcomes, numbers) if trials else dict.fromkeys(o.name for o in problem.objectives)
    for objective in problem.objectives:
        best = bests[objective.name]
        bounds = [
            interval(outcomes[n][objective.outcome], objective, best, problem.confidence, problem.seed)
            for n in pareto["member"]
        ]
        position = pareto.columns.get_loc(objective.name) + 1
        pareto.insert(position, f"{objective.name}_low", [b[0] for b in bounds])
        pareto.insert(position + 1, f"{objective.name}_high", [b[1] for b in bounds])
    first = problem.objectives[0]
    pareto = pareto.sort_values(first.name, ascending=first.sense == "min", kind="stable").reset_index(drop=True)
    reference = _reference_row(problem, study, bests, evaluations)
    notes = []
    failed = int(evaluations["failed_runs"].sum()) if rows else 0
    if failed:
        notes.append(f"{failed} of {len(evaluations) * problem.futures} runs failed; metrics use the futures that ran")
    if problem.evaluations % problem.population:
        notes.append(
            f"evaluations = {problem.evaluations} rounded up to {problem.generations * problem.population} "
            f"(whole generations of {problem.population})"
        )
    return Result(problem, out, futures, evaluations, pareto, outcomes, notes=notes, reference=reference)


def _reference_row(
    problem: Problem,
    study: Any,
    bests: dict[str, np.ndarray | None],
    evaluations: pd.DataFrame,
) -> pd.DataFrame | None:
    """The scenario's own policy scored like a member, with its intervals and the members that dominate it."""
    kept = _arrays(study.user_attrs.get(REFERENCE_ATTR))
    levers = reference_levers(problem)
    if kept is None or levers is None or not len(evaluations):
        return None
    row: dict[str, Any] = {"member": "reference", **levers}
    for objective in problem.objectives:
        best = bests[objective.name]
        row[objective.name] = robustness(kept[objective.outcome], objective, best)
        row[f"{objective.name}_low"], row[f"{objective.name}_high"] = interval(
            kept[objective.outcome], objective, best, problem.confidence, problem.seed
        )
    row["failed_runs"] = int(np.nansum(kept["failed"]))
    names, senses = [o.name for o in problem.objectives], [o.sense for o in problem.objectives]
    better = dominating(evaluations[names].to_numpy(float), [row[n] for n in names], senses)
    members = evaluations.loc[better].drop_duplicates(subset=_lever_columns(problem), keep="first")["member"]
    row["dominated_by"] = " ".join(str(int(m)) for m in members)
    return pd.DataFrame([row])


def _lever_columns(problem: Problem) -> list[str]:
    names = [p.name for p in problem.levers]
    if problem.model == BUILTIN_MODEL and problem.normalise_shares:
        from sim.params import SHARE_NAMES

        if set(SHARE_NAMES) & set(names):
            names += [n for n in SHARE_NAMES if n not in names]  # every share is recorded as run
    return names


def _num(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if value != 0 and (abs(value) >= 100_000 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def pareto_rows(result: Result, *, with_levers: bool = True) -> tuple[list[str], list[list[str]]]:
    """The Pareto set as text: member, levers (unless ``with_levers`` is false), each metric with its interval."""
    problem = result.problem
    level = f"{problem.confidence:.0%} CI"
    levers = _lever_columns(problem) if with_levers else []
    header = ["member", *levers, *(f"{o.label} [{level}]" for o in problem.objectives)]
    rows = []
    for r in result.pareto.to_dict("records"):
        cells = [str(int(r["member"]))]
        cells += [_num(r[n]) if isinstance(r[n], float) else str(r[n]) for n in levers]
        cells += [
            f"{_num(r[o.name])} [{_num(r[f'{o.name}_low'])}, {_num(r[f'{o.name}_high'])}]" for o in problem.objectives
        ]
        rows.append(cells)
    return header, rows


def summary_text(result: Result) -> str:
    """What ``sovai optimise`` prints."""
    from analysis.compare import format_table

    problem = result.problem
    lines = [
        f"sovai optimise: {problem.name}: {len(result.evaluations)} policies evaluated in {problem.futures} futures "
        f"each ({result.kept} kept from earlier sessions, {result.ran} run now in {result.seconds:.0f} s); "
        f"{len(result.pareto)} on the Pareto front",
        "",
        format_table(*pareto_rows(result, with_levers=len(_lever_columns(problem)) <= 4)),
        "",
        *reference_lines(result),
        "levers of each member: pareto.csv and report.md",
        f"wrote {result.out}/ ({', '.join(_outputs(result))}; evaluations kept in {STUDY_FILE})",
    ]
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _outputs(result: Result) -> list[str]:
    return [f for f in _OUTPUTS if f != "reference.csv" or result.reference is not None]


def reference_lines(result: Result) -> list[str]:
    """The scenario's own policy against the search: its metrics and the members that dominate it."""
    if result.reference is None:
        return []
    problem, r = result.problem, result.reference.iloc[0]
    level = f"{problem.confidence:.0%} CI"
    scores = "; ".join(
        f"{o.label} {_num(r[o.name])} [{level} {_num(r[f'{o.name}_low'])}, {_num(r[f'{o.name}_high'])}]"
        for o in problem.objectives
    )
    members = r["dominated_by"].split()
    verdict = (
        f"{len(members)} evaluated policies are at least as good on every objective and better on one: "
        f"members {', '.join(members)}"
        if members
        else "no evaluated policy is at least as good on every objective and better on one"
    )
    return [f"the scenario's own policy ({problem.scenario}): {scores}", verdict, ""]


def parallel_coordinates(result: Result) -> Any:
    """The Pareto set on parallel axes (EMA Workbench's ParallelAxes), every axis oriented so up is better."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.discovery import _quiet_ema

    problem = result.problem
    names = [o.name for o in problem.objectives]
    levers = [c for c in _lever_columns(problem) if pd.api.types.is_numeric_dtype(result.evaluations[c])]
    data = result.pareto[[*names, *levers]].astype(float)
    with _quiet_ema():
        from ema_workbench.analysis import parcoords

        limits = parcoords.get_limits(result.evaluations[[*names, *levers]].astype(float))
        axes = parcoords.ParallelAxes(limits, rot=60, fontsize=8)
        colours = plt.cm.viridis(np.linspace(0, 1, max(len(data), 1)))
        for colour, (_, row) in zip(colours, data.iterrows(), strict=False):
            axes.plot(row.to_frame().T, color=colour, lw=1.2)
        for objective in problem.objectives:
            if objective.sense == "min":
                axes.invert_axis(objective.name)
    fig = axes.fig
    fig.set_size_inches(max(8, 1.1 * (len(names) + len(levers))), 5)
    fig.suptitle(
        f"{problem.name}: Pareto set ({len(data)} policies); objectives first, oriented so up is better", fontsize=10
    )
    return fig


def report_markdown(result: Result) -> str:
    """The search as a Markdown page."""
    from analysis import pages

    problem = result.problem
    lines = [f"# Robust search: {problem.name}", ""]
    if problem.description:
        lines += [problem.description, ""]
    lines += [
        f"- file `{problem.path}`; model `{problem.model}`; {len(result.evaluations)} policies evaluated "
        f"(NSGA-II, population {problem.population}, {problem.generations} generations, seed {problem.seed})",
        f"- each policy runs in the same {problem.futures} futures with the same seeds (common random numbers); "
        "futures are a Latin hypercube over the uncertainties below",
        f"- intervals: {problem.confidence:.0%} confidence over the sample of futures (t interval for means, Wilson "
        "for shares, bootstrap for percentiles and regret); regret is measured against every policy evaluated",
        "",
        "Objectives:",
        "",
    ]
    for o in problem.objectives:
        lines.append(f"- **{o.name}**: {o.label}")
    lines += ["", "Levers searched:", ""]
    lines += [f"- `{p.name}`: {_range_text(p)}" for p in problem.levers]
    if problem.uncertainties:
        lines += ["", "Uncertainties:", ""]
        lines += [f"- `{p.name}`: {_range_text(p)}" for p in problem.uncertainties]
    lines += [""]
    lines += [f"- note: {note}" for note in result.notes]
    header, rows = pareto_rows(result)
    lines += [
        "## Pareto set",
        "",
        pages.table(header, rows),
        "",
        "![parallel coordinates](parallel_coordinates.png)",
        "",
        *(
            [
                "## The scenario's own policy",
                "",
                "The levers as the file's scenario sets them, run in the same futures with the same seeds and scored "
                "the same way (regret against the evaluated policies, which it does not join); `reference.csv`.",
                "",
                *reference_lines(result),
            ]
            if result.reference is not None
            else []
        ),
        "Use a member as a mix in `sovai compare` with a table `[mixes.NAME]` holding "
        f'`pareto = "{result.out / "pareto.csv"}"` and `member = N`.',
        "",
        "Files: "
        + ", ".join(f"`{f}`" for f in _outputs(result) if f.endswith(".csv"))
        + f", `{STUDY_FILE}` (optuna's SQLite storage).",
        "",
    ]
    return "\n".join(lines)


def _range_text(p: ParameterSpec) -> str:
    if p.values is not None:
        return "one of " + ", ".join(map(str, p.values))
    if p.dist in ("norm", "lognorm"):
        return f"{p.dist}(mean {p.mean:g}, sd {p.sd:g})"
    extra = f", mode {p.mode:g}" if p.mode is not None else ""
    extra += f", mean {p.mean:g}, sd {p.sd:g}" if p.dist == "truncnorm" else ""
    return f"{p.dist} {p.low:g} to {p.high:g}{extra}"


def write_result(result: Result) -> None:
    """Write the tables, the figure and the report into the results folder (each file atomically)."""
    import matplotlib.pyplot as plt

    from analysis import pages
    from experiments.store import _atomic_write

    out = result.out
    tables = [("pareto.csv", result.pareto), ("evaluations.csv", result.evaluations), ("futures.csv", result.futures)]
    if result.reference is not None:
        tables.append(("reference.csv", result.reference))
    for name, frame in tables:
        _atomic_write(out / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
    if len(result.pareto):
        fig = parallel_coordinates(result)
        _atomic_write(out / "parallel_coordinates.png", lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
    pages.write_page(out, "report", report_markdown(result), title=f"Robust search: {result.problem.name}")


def optimise(path: str | Path, options: OptimiseOptions | None = None) -> Result:
    """Run (or resume) the search an optimise file describes and write its results.

    Raises:
        OptimiseError, ExperimentError: a bad file or option, or a folder holding another search.
        StoreError: another process is writing to the folder.
        ClusterError: the Dask cluster cannot be reached or lost every worker.
    """
    from experiments.models import model_modules, resolve_model
    from experiments.pools import check_cluster_settings, open_pool, require_submit_command
    from experiments.store import Store
    from sim.outputs import prepare_output_dir

    options = options or OptimiseOptions()
    problem = load_problem(path, model=options.model, evaluations=options.evaluations)
    resolve_model(problem.model)  # a bad --model fails here, not on every worker
    if options.jobqueue:
        check_cluster_settings(options.jobqueue, problem.cluster, str(problem.path))
        require_submit_command(options.jobqueue)
    futures = make_futures(problem)
    out = prepare_output_dir(options.out or Path("results") / problem.name, kind="optimise", label="--out")
    start = time.monotonic()
    with Store(out).lock(kind="optimise"), _quiet_optuna():
        study = _open_study(out, problem, options.fresh, options.echo)
        kept = sum(_evaluated(t) is not None for t in study.get_trials(deepcopy=False))
        if kept:
            options.echo(f"resuming {out}: {kept} evaluations kept")
        with open_pool(
            **options.pool_settings(), cluster_settings=problem.cluster, preload=model_modules(problem.model)
        ) as pool:
            evaluator = _Evaluator(problem, futures, pool, study)
            ran = search(problem, study, evaluator, options.echo)
            if (levers := reference_levers(problem)) is not None:
                evaluator.reference(levers)
        result = collect(problem, study, futures, out)
        result.kept, result.ran, result.seconds = kept, ran, time.monotonic() - start
        write_result(result)
    return result
