"""Equal-cost instrument comparison: ``sovai compare FILE``.

The same total budget is spent through each programme alone and through named mixes of
programmes; every option is run against the no-policy counterfactual with common random numbers
(replicate r of every option and of the counterfactual shares one seed), over replications. For
each option and outcome the paired differences (option − counterfactual) give a mean with a
t-based confidence interval, and cost-effectiveness is computed per replicate as effect / public
cost (budget spent plus tax revenue forgone, relative to the counterfactual):

* deficit avoided per ¥bn = (counterfactual − option) cumulative AI digital deficit / cost;
* capability gained per ¥bn = (option − counterfactual) best domestic capability / cost.

Compare file (TOML; ``experiments/instrument_comparison.toml`` is the shipped example)::

    [compare]
    name = "instrument-comparison"      # default: the file's stem
    description = "..."
    model = "sovai"                     # or MODULE:FUNCTION, f(*, seed, **params) -> dict
    scenario = "baseline"               # base parameters (built-in model only)
    counterfactual = "no_policy"        # scenario whose parameters make the counterfactual (built-in model)
    budget_total_jpy_bn = 1000          # the same budget for every option
    replications = 20                   # seeds per option (common to every option and the counterfactual)
    seed = 20260401                     # master seed
    quarters = 40
    programmes = ["compute_capex", "rnd"]   # programmes run alone (default: all seven; [] for none)
    outcomes = ["digital_deficit_ai_cum_jpy_bn", "domestic_share_fy2030"]   # differences reported
    deficit_outcome = "digital_deficit_ai_cum_jpy_bn"       # for "deficit avoided per ¥bn"
    capability_outcome = "best_domestic_capability_fy2030"  # for "capability gained per ¥bn"
    cost_outcomes = ["budget_spent_jpy_bn_final", "tax_expenditure_jpy_bn_final"]   # summed: public cost
    confidence = 0.95

    [constants]                         # parameters of every run, counterfactual included
    n_user_agents = 2000

    [counterfactual_parameters]         # extra counterfactual overrides (for other models: budget 0 is implied)

    [mixes.ai_basic_plan]               # named mixes: programme shares (missing ones are 0; scaled to sum to 1)
    share_compute_grants = 0.3
    share_rnd = 0.2

Run seeds follow the sweep rule with common seeds: replicate r gets
``int(SeedSequence(seed, spawn_key=(r,)).generate_state(1)[0])`` whatever the option, and runs are
executed by the sweep runner's pools (in-process with ``--workers 1``, else a local Dask cluster),
so a run that raises is recorded as failed and its pair is left out of that option's statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import mean_ci
from experiments.validate import TomlFile, suggest
from sim.errors import UserError
from sim.params import PROGRAMMES, SHARE_NAMES

COUNTERFACTUAL = "counterfactual"
BUILTIN_MODEL = "sovai"
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "digital_deficit_ai_cum_jpy_bn",
    "digital_deficit_ai_jpy_bn_fy2030",
    "best_domestic_capability_fy2030",
    "capability_gap_fy2030",
    "domestic_share_fy2030",
    "domestic_share_final",
    "adoption_rate_final",
    "domestic_ai_revenue_cum_jpy_bn",
    "domestic_compute_eflops_fy2030",
)
DEFAULT_DEFICIT = "digital_deficit_ai_cum_jpy_bn"
DEFAULT_CAPABILITY = "best_domestic_capability_fy2030"
DEFAULT_COST: tuple[str, ...] = ("budget_spent_jpy_bn_final", "tax_expenditure_jpy_bn_final")
_COMPARE_KEYS = (
    "name",
    "description",
    "model",
    "scenario",
    "counterfactual",
    "budget_total_jpy_bn",
    "replications",
    "seed",
    "quarters",
    "programmes",
    "outcomes",
    "deficit_outcome",
    "capability_outcome",
    "cost_outcomes",
    "confidence",
)
_TABLES = ("compare", "constants", "counterfactual_parameters", "mixes")


class CompareError(UserError, ValueError):
    """A bad compare file or option: the message names the file, the field and what is allowed."""


@dataclass(frozen=True)
class Option:
    """One way of spending the budget.

    Attributes:
        name: Option name ("compute_capex" for a programme alone, or the mix's name).
        kind: "programme" or "mix".
        shares: The seven programme shares (sum 1).
    """

    name: str
    kind: str
    shares: dict[str, float]


@dataclass(frozen=True)
class Comparison:
    """A checked compare file.

    Attributes:
        path: The file.
        name: Comparison name.
        description: Free text.
        model: "sovai" or "module:function".
        base: Parameters of every run (scenario overrides and constants).
        counterfactual: Parameters of the counterfactual runs (base plus the counterfactual overrides).
        budget: The budget of every option, ¥bn.
        replications: Seeds per option.
        seed: Master seed.
        quarters: Quarters per run.
        options: The options, programmes first.
        outcomes: Outcomes whose differences are reported.
        deficit_outcome: Outcome for deficit avoided per ¥bn.
        capability_outcome: Outcome for capability gained per ¥bn.
        cost_outcomes: Outcomes summed into the public cost.
        confidence: Confidence level of the intervals.
        notes: Messages for the user.
    """

    path: Path
    name: str
    description: str
    model: str
    base: dict[str, Any]
    counterfactual: dict[str, Any]
    budget: float
    replications: int
    seed: int
    quarters: int
    options: tuple[Option, ...]
    outcomes: tuple[str, ...]
    deficit_outcome: str
    capability_outcome: str
    cost_outcomes: tuple[str, ...]
    confidence: float = 0.95
    notes: tuple[str, ...] = ()

    @property
    def builtin(self) -> bool:
        """Whether the comparison runs the built-in model."""
        return self.model == BUILTIN_MODEL

    @property
    def wanted(self) -> tuple[str, ...]:
        """Every outcome the runs must return."""
        names = [*self.outcomes, self.deficit_outcome, self.capability_outcome, *self.cost_outcomes]
        return tuple(dict.fromkeys(names))

    def option_params(self, option: Option) -> dict[str, Any]:
        """Parameters of an option's runs."""
        return {**self.base, "budget_total_jpy_bn": self.budget, **option.shares}


# --- reading the file --------------------------------------------------------------------------------


def load_comparison(
    path: str | Path, *, model: str | None = None, replications: int | None = None, quarters: int | None = None
) -> Comparison:
    """Read and check a compare file.

    Args:
        path: The TOML file.
        model: Overrides the file's model (``--model``).
        replications: Overrides the file's replications.
        quarters: Overrides the file's quarters.

    Raises:
        CompareError: a missing, malformed or invalid file.
    """
    from experiments.shipped import find_file

    f = TomlFile.read(find_file(path, kind="compare", error=CompareError), kind="compare", error=CompareError)
    path, data = f.path, f.data
    if "experiment" in data and "compare" not in data:
        raise f.error(
            "experiment",
            None,
            "this is an experiment file for `sovai sweep`; `sovai compare` needs a "
            "compare file with a [compare] table (see experiments/instrument_comparison.toml)",
        )
    f.check_tables(_TABLES)
    head = f.table("compare", required=True, hint="the file needs a [compare] table (see docs/analysis.md)")
    f.check_keys("compare", head, _COMPARE_KEYS)
    model = model or f.string("compare", head, "model", BUILTIN_MODEL)
    builtin = model == BUILTIN_MODEL
    if not builtin:
        from experiments.models import resolve_model

        resolve_model(model)  # a bad MODULE:FUNCTION fails now, with one message
    notes: list[str] = []
    budget = f.number("compare", head, "budget_total_jpy_bn", None, low=0.0, open_low=True)
    reps = replications if replications is not None else f.integer("compare", head, "replications", 10, minimum=2)
    if reps < 2:
        raise f.error("compare", "replications", f"{reps} is too few: confidence intervals need at least 2")
    seed = f.integer("compare", head, "seed", 42, minimum=0)
    n_quarters = quarters if quarters is not None else f.integer("compare", head, "quarters", 40, minimum=1)
    confidence = f.number("compare", head, "confidence", 0.95, low=0.5, high=0.999)
    constants = data.get("constants", {})
    cf_overrides = data.get("counterfactual_parameters", {})
    for table, value in (("constants", constants), ("counterfactual_parameters", cf_overrides)):
        if not isinstance(value, dict):
            raise f.error(table, None, "must be a table of parameter = value")
    base, counterfactual = _base_parameters(f, head, builtin, constants, cf_overrides, n_quarters)
    options = _options(f, head, data.get("mixes", {}), notes)
    outcomes = f.names("compare", head, "outcomes", DEFAULT_OUTCOMES)
    cost = f.names("compare", head, "cost_outcomes", DEFAULT_COST)
    return Comparison(
        path=path,
        name=f.string("compare", head, "name", path.stem),
        description=f.string("compare", head, "description", ""),
        model=model,
        base=base,
        counterfactual=counterfactual,
        budget=budget,
        replications=reps,
        seed=seed,
        quarters=n_quarters,
        options=options,
        outcomes=outcomes,
        deficit_outcome=f.string("compare", head, "deficit_outcome", DEFAULT_DEFICIT),
        capability_outcome=f.string("compare", head, "capability_outcome", DEFAULT_CAPABILITY),
        cost_outcomes=cost,
        confidence=confidence,
        notes=tuple(notes),
    )


def _base_parameters(
    f: TomlFile,
    head: dict[str, Any],
    builtin: bool,
    constants: dict[str, Any],
    cf_overrides: dict[str, Any],
    quarters: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameters of every run and of the counterfactual runs (checked for the built-in model)."""
    if not builtin:
        for key in ("scenario", "counterfactual"):
            if key in head:
                raise f.error(
                    "compare",
                    key,
                    "scenarios are for the built-in model; use [constants] and "
                    "[counterfactual_parameters] with another model",
                )
        base = dict(constants)
        return base, {**base, "budget_total_jpy_bn": 0.0, **cf_overrides}
    from sim.params import ParameterError, resolve
    from sim.scenarios import load_scenario

    try:
        scenario = load_scenario(f.string("compare", head, "scenario", "baseline"))
        cf_scenario = load_scenario(f.string("compare", head, "counterfactual", "no_policy"))
    except UserError as err:
        raise f.error("compare", "scenario", str(err)) from None
    for key in ("budget_total_jpy_bn", *SHARE_NAMES, "quarters"):
        if key in constants:
            raise f.error(
                "constants",
                key,
                "is set by the comparison itself (budget_total_jpy_bn, quarters and shares in [compare] and [mixes])",
            )
    base = {**scenario, **constants, "quarters": quarters}
    counterfactual = {**base, **cf_scenario, **cf_overrides}
    try:
        resolve(base)
        resolve(counterfactual)
    except ParameterError as err:
        raise f.error("constants", None, str(err)) from None
    return base, counterfactual


def _options(f: TomlFile, head: dict[str, Any], mixes: Any, notes: list[str]) -> tuple[Option, ...]:
    """Programmes alone, then the named mixes."""
    programmes = head.get("programmes", list(PROGRAMMES))
    if not isinstance(programmes, list) or not all(isinstance(p, str) for p in programmes):
        raise f.error("compare", "programmes", f"{programmes!r} must be a list of programme names")
    options = []
    for programme in programmes:
        name = programme.removeprefix("share_")
        if name not in PROGRAMMES:
            raise f.error("compare", "programmes", f"unknown programme {programme!r}; {suggest(name, PROGRAMMES)}")
        options.append(
            Option(name=name, kind="programme", shares={s: float(s == f"share_{name}") for s in SHARE_NAMES})
        )
    if not isinstance(mixes, dict):
        raise f.error("mixes", None, "must hold tables [mixes.NAME] of programme shares")
    for mix, shares in mixes.items():
        options.append(_mix(f, mix, shares, notes))
    names = [o.name for o in options]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise f.error(f"mixes.{duplicate}", None, "has the name of a programme already compared alone; rename it")
    if not options:
        raise f.error("compare", "programmes", "nothing to compare: list programmes or add [mixes.NAME] tables")
    return tuple(options)


def _mix(f: TomlFile, mix: str, shares: Any, notes: list[str]) -> Option:
    where = f"mixes.{mix}"
    if isinstance(shares, dict) and "pareto" in shares:
        shares = pareto_member_shares(f, where, shares, notes)
    if not isinstance(shares, dict) or not shares:
        raise f.error(where, None, "must be a table of programme shares, e.g. share_rnd = 0.5")
    values = {}
    for key, value in shares.items():
        name = key if key.startswith("share_") else f"share_{key}"
        if name not in SHARE_NAMES:
            raise f.error(where, key, f"not a programme share; {suggest(name, SHARE_NAMES)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise f.error(where, key, f"{value!r} must be a number ≥ 0")
        values[name] = float(value)
    total = sum(values.values())
    if total <= 0:
        raise f.error(where, None, "the shares sum to 0; give at least one positive share")
    if abs(total - 1) > 1e-6:
        notes.append(f"[{where}]: shares sum to {total:g}; scaled to sum to 1")
    return Option(name=mix, kind="mix", shares={s: values.get(s, 0.0) / total for s in SHARE_NAMES})


def pareto_member_shares(f: TomlFile, where: str, table: dict[str, Any], notes: list[str]) -> dict[str, float]:
    """The programme shares of a member of a ``sovai optimise`` Pareto set (``pareto = FILE``, ``member = N``).

    ``FILE`` is the search's pareto.csv or its results folder, relative to the working directory or
    to the compare file.
    """
    extra = sorted(set(table) - {"pareto", "member"})
    if extra:
        raise f.error(where, extra[0], "a mix taken from a Pareto set has only pareto and member")
    raw, member = table["pareto"], table.get("member")
    if not isinstance(raw, str):
        raise f.error(where, "pareto", f"{raw!r} must be the path of a pareto.csv written by `sovai optimise`")
    if not isinstance(member, int) or isinstance(member, bool):
        raise f.error(where, "member", f"{member!r} must be the member number of a row of the Pareto set")
    candidates = [Path(raw), f.path.parent / raw]
    found = next((c / "pareto.csv" if c.is_dir() else c for c in candidates if c.exists()), None)
    if found is None or not found.is_file():
        raise f.error(where, "pareto", f"{raw!r} does not exist; give the pareto.csv of a `sovai optimise` run")
    frame = pd.read_csv(found)
    if "member" not in frame.columns:
        raise f.error(where, "pareto", f"{str(found)!r} is not a Pareto set of `sovai optimise` (no member column)")
    rows = frame[frame["member"] == member]
    if rows.empty:
        members = ", ".join(map(str, frame["member"].tolist()[:12]))
        raise f.error(where, "member", f"{member} is not in {found}; its members are {members}")
    shares = {name: float(rows.iloc[0][name]) for name in SHARE_NAMES if name in frame.columns}
    if not shares:
        raise f.error(where, "pareto", f"the Pareto set in {found} searched no programme shares")
    levers = [c for c in frame.columns if c in _OTHER_LEVERS]
    if levers:
        notes.append(
            f"[{where}]: member {member} of {found} also set {', '.join(levers)}; only its programme shares are "
            "compared (every option shares the comparison's other parameters)"
        )
    return shares


def _other_levers() -> tuple[str, ...]:
    from sim.params import PARAMS_LIST

    return tuple(p.name for p in PARAMS_LIST if p.group == "lever" and p.name not in SHARE_NAMES)


_OTHER_LEVERS = _other_levers()


# --- running --------------------------------------------------------------------------------------------


def replicate_seed(master_seed: int, replicate: int) -> int:
    """Seed of replicate r, the same for every option (the sweep's rule with common seeds)."""
    return int(np.random.SeedSequence(master_seed, spawn_key=(replicate,)).generate_state(1)[0])


def run_comparison(comp: Comparison, *, workers: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Run the counterfactual and every option over the replications.

    Returns:
        One row per run: option, kind, replicate, seed, status, error and the outcomes.
    """
    from sim.limits import check_fits_in_memory

    labels = [(COUNTERFACTUAL, "counterfactual", comp.counterfactual)]
    labels += [(o.name, o.kind, comp.option_params(o)) for o in comp.options]
    check_fits_in_memory(
        len(labels) * comp.replications,
        len(comp.wanted) + 8,
        what=f"comparison {comp.name!r}",
        hint="lower replications",
        error=CompareError,
    )
    runs = run_common_seeds(
        [params for _, _, params in labels],
        model=comp.model,
        master_seed=comp.seed,
        replications=comp.replications,
        outputs=comp.wanted,
        workers=workers,
        progress=progress,
        desc="compare",
    )
    index = runs.pop("set").to_numpy()
    runs.insert(1, "option", [labels[i][0] for i in index])
    runs.insert(2, "kind", [labels[i][1] for i in index])
    return runs


def run_common_seeds(
    parameter_sets: list[dict[str, Any]],
    *,
    model: str,
    master_seed: int,
    replications: int,
    outputs: tuple[str, ...] | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    desc: str = "runs",
) -> pd.DataFrame:
    """Run every parameter set over the same replicate seeds (common random numbers), on the sweep's pools.

    Replicate r of every set gets :func:`replicate_seed` (master_seed, r), so differences between sets
    are paired on seeds. A run that raises is recorded as failed, not raised.

    Args:
        parameter_sets: Parameters of each set's runs.
        model: Model spec (see :mod:`experiments.models`).
        master_seed: Master seed.
        replications: Seeds per set.
        outputs: Scalar outcomes to keep (None: every number the model returns; missing ones are NaN).
        workers: Worker processes (None: one per core; 1: in this process).
        progress: Show a progress bar (default: when stderr is a terminal).
        desc: Label of the progress bar.

    Returns:
        One row per run, ordered by run_id: run_id, set (index into ``parameter_sets``), replicate,
        seed, status, error, elapsed_s and the outcomes.
    """
    import sys

    from experiments.models import model_modules
    from experiments.pools import WorkerDied, open_pool
    from experiments.runner import Batch, RunConfig, failed_result

    reps = replications
    configs, batches = [], []
    for index, params in enumerate(parameter_sets):
        # run_id = index * reps + r; with seed mode "common" every set's replicate r gets the same seed.
        configs.append(
            RunConfig(
                model=model,
                base=params,
                master_seed=master_seed,
                replications=reps,
                seed_mode="common",
                outputs=outputs,
            )
        )
        batches.append(Batch(run_ids=[index * reps + r for r in range(reps)], params={}))
    results = []
    show = sys.stderr.isatty() if progress is None else progress
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=len(parameter_sets) * reps, unit="run", desc=desc, file=sys.stderr)
    with open_pool(workers=workers, preload=model_modules(model)) as pool:
        pending = 0
        for config, batch in zip(configs, batches, strict=True):
            for single in batch.split() if workers != 1 else [batch]:
                pool.submit(config, single)
                pending += 1
        while pending:
            batch, outcome = pool.next_done()
            pending -= 1
            if isinstance(outcome, WorkerDied):
                outcome = failed_result(batch, configs[batch.run_ids[0] // reps], outcome.message)
            results.append(outcome.scalars)
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    runs = pd.concat(results, ignore_index=True).sort_values("run_id", kind="stable").reset_index(drop=True)
    runs.insert(1, "set", runs["run_id"].to_numpy() // reps)
    runs.insert(2, "replicate", runs["run_id"].to_numpy() % reps)
    for name in outputs or ():
        if name not in runs:
            runs[name] = np.nan
    return runs


# --- statistics -------------------------------------------------------------------------------------------


def paired(
    runs: pd.DataFrame, option: Any, outcome: str, *, base: Any = COUNTERFACTUAL, by: str = "option"
) -> np.ndarray:
    """Per-replicate differences option − base of ``outcome`` (NaN where either run failed).

    ``by`` names the column that labels the runs (``option`` here; ``set`` for :func:`run_common_seeds`).
    """
    ok = runs[runs["status"] == "ok"]
    cf = ok[ok[by] == base].set_index("replicate")[outcome]
    opt = ok[ok[by] == option].set_index("replicate")[outcome]
    reps = np.arange(int(runs["replicate"].max()) + 1)
    return (opt.reindex(reps) - cf.reindex(reps)).to_numpy(dtype=float)


def differences(runs: pd.DataFrame, comp: Comparison) -> pd.DataFrame:
    """Option − counterfactual for every option and outcome, with confidence intervals.

    Returns:
        Columns option, kind, outcome, option_mean, counterfactual_mean, difference, low, high, n.
    """
    ok = runs[runs["status"] == "ok"]
    rows = []
    for option in comp.options:
        for outcome in comp.outcomes:
            diff = paired(runs, option.name, outcome)
            mean, low, high, n = mean_ci(diff, comp.confidence)
            pair = np.isfinite(diff)
            opt = ok[ok["option"] == option.name].set_index("replicate")[outcome]
            cf = ok[ok["option"] == COUNTERFACTUAL].set_index("replicate")[outcome]
            reps = np.flatnonzero(pair)
            rows.append(
                {
                    "option": option.name,
                    "kind": option.kind,
                    "outcome": outcome,
                    "option_mean": float(opt.reindex(reps).mean()) if n else math.nan,
                    "counterfactual_mean": float(cf.reindex(reps).mean()) if n else math.nan,
                    "difference": mean,
                    "low": low,
                    "high": high,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)


def cost_effectiveness(runs: pd.DataFrame, comp: Comparison) -> pd.DataFrame:
    """Public cost, deficit avoided and capability gained per option, in total and per ¥bn of cost.

    Per replicate: cost = Σ cost outcomes (option − counterfactual); deficit avoided = −Δ deficit;
    capability gained = Δ capability; the ratios are per replicate, then averaged with a t interval.
    Replicates with zero cost give NaN ratios (and are left out of the ratio's mean).
    """
    rows = []
    for option in comp.options:
        cost = sum(paired(runs, option.name, c) for c in comp.cost_outcomes)
        avoided = -paired(runs, option.name, comp.deficit_outcome)
        gained = paired(runs, option.name, comp.capability_outcome)
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = np.where(cost > 0, cost, np.nan)
            per_deficit = avoided / positive
            per_capability = gained / positive
        row: dict[str, Any] = {"option": option.name, "kind": option.kind}
        for label, values in (
            ("cost_jpy_bn", cost),
            ("deficit_avoided_jpy_bn", avoided),
            ("capability_gained", gained),
            ("deficit_avoided_per_jpy_bn", per_deficit),
            ("capability_gained_per_jpy_bn", per_capability),
        ):
            mean, low, high, n = mean_ci(values, comp.confidence)
            row[label], row[f"{label}_low"], row[f"{label}_high"] = mean, low, high
        row["n"] = int(np.isfinite(avoided).sum())
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Result:
    """A finished comparison.

    Attributes:
        comparison: The checked file.
        runs: One row per run.
        differences: See :func:`differences`.
        cost_effectiveness: See :func:`cost_effectiveness`.
        notes: Messages for the user.
    """

    comparison: Comparison
    runs: pd.DataFrame
    differences: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def compare(comp: Comparison, *, workers: int | None = None, progress: bool | None = None) -> Result:
    """Run a comparison and compute its tables.

    Raises:
        CompareError: the model does not return a wanted outcome, or every counterfactual run failed.
    """
    runs = run_comparison(comp, workers=workers, progress=progress)
    notes = list(comp.notes)
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        first = failed.iloc[0]
        missing = [n for n in comp.wanted if f"returned no outcome '{n}'" in str(first["error"])]
        if missing:
            raise CompareError(
                f"{comp.path}: the model returns no outcome {missing[0]!r}; fix outcomes, "
                "deficit_outcome, capability_outcome or cost_outcomes"
            )
        if (failed["option"] == COUNTERFACTUAL).sum() == comp.replications:
            raise CompareError(f"every counterfactual run failed; the first error: {first['error']}")
        notes.append(
            f"{len(failed)} of {len(runs)} runs failed and their pairs were left out "
            f"(first: {first['option']} replicate {first['replicate']}: {first['error']})"
        )
    return Result(
        comparison=comp,
        runs=runs,
        differences=differences(runs, comp),
        cost_effectiveness=cost_effectiveness(runs, comp),
        notes=notes,
    )


# --- output -----------------------------------------------------------------------------------------------


def _num(value: float, digits: int = 3) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if value != 0 and (abs(value) >= 10_000 or abs(value) < 10**-(digits)):
        return f"{value:.{digits}g}"
    return f"{value:,.{digits}f}" if abs(value) < 10 else f"{value:,.1f}"


def _interval(mean: float, low: float, high: float, digits: int = 3) -> str:
    if not np.isfinite(low):
        return _num(mean, digits)
    return f"{_num(mean, digits)} [{_num(low, digits)}, {_num(high, digits)}]"


def effectiveness_rows(result: Result) -> tuple[list[str], list[list[str]]]:
    """The cost-effectiveness table, best deficit avoided per ¥bn first: header and rows of text."""
    comp = result.comparison
    level = f"{comp.confidence:.0%} CI"
    header = [
        "option",
        "kind",
        "cost ¥bn",
        f"deficit avoided ¥bn [{level}]",
        f"deficit avoided per ¥bn [{level}]",
        f"capability gained, points [{level}]",
        f"capability gained per ¥bn [{level}]",
        "n",
    ]
    table = result.cost_effectiveness.sort_values("deficit_avoided_per_jpy_bn", ascending=False, na_position="last")
    rows = []
    for r in table.itertuples(index=False):
        rows.append(
            [
                r.option,
                r.kind,
                _num(r.cost_jpy_bn, 1),
                _interval(r.deficit_avoided_jpy_bn, r.deficit_avoided_jpy_bn_low, r.deficit_avoided_jpy_bn_high, 1),
                _interval(
                    r.deficit_avoided_per_jpy_bn, r.deficit_avoided_per_jpy_bn_low, r.deficit_avoided_per_jpy_bn_high
                ),
                _interval(r.capability_gained, r.capability_gained_low, r.capability_gained_high, 2),
                _interval(
                    r.capability_gained_per_jpy_bn,
                    r.capability_gained_per_jpy_bn_low,
                    r.capability_gained_per_jpy_bn_high,
                    4,
                ),
                str(r.n),
            ]
        )
    return header, rows


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first columns left-aligned, numbers right-aligned."""
    widths = [max(len(str(row[k])) for row in [header, *rows]) for k in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            str(v).ljust(w) if k < 2 else str(v).rjust(w) for k, (v, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def summary_text(result: Result) -> str:
    """What ``sovai compare`` prints."""
    comp = result.comparison
    title = (
        f"sovai compare: {comp.name}: ¥{comp.budget:,.0f}bn through each option vs the counterfactual, "
        f"{comp.replications} common-seed replications, {comp.quarters} quarters"
    )
    text = [
        title,
        "",
        format_table(*effectiveness_rows(result)),
        "",
        f"deficit: {comp.deficit_outcome} (avoided = counterfactual − option); capability: "
        f"{comp.capability_outcome}; cost: {' + '.join(comp.cost_outcomes)} (option − counterfactual)",
    ]
    text += [f"note: {n}" for n in result.notes]
    return "\n".join(text)


def figure(result: Result) -> Any:
    """Two panels: deficit avoided per ¥bn and capability gained per ¥bn by option, with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comp = result.comparison
    table = result.cost_effectiveness.sort_values("deficit_avoided_per_jpy_bn", na_position="first")
    y = np.arange(len(table))
    colours = ["C0" if k == "programme" else "C1" for k in table["kind"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 1.8 + 0.45 * len(table)), sharey=True, layout="constrained")
    panels = (
        ("deficit_avoided_per_jpy_bn", "AI digital deficit avoided per ¥ of public cost\n(¥ per ¥; > 0: less deficit)"),
        ("capability_gained_per_jpy_bn", "capability gained per ¥bn of public cost\n(points per ¥bn)"),
    )
    for ax, (column, label) in zip(axes, panels, strict=True):
        mean = table[column].to_numpy(dtype=float)
        low = table[f"{column}_low"].to_numpy(dtype=float)
        high = table[f"{column}_high"].to_numpy(dtype=float)
        err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
        ax.barh(y, np.nan_to_num(mean), xerr=err, color=colours, capsize=3, error_kw={"elinewidth": 1})
        ax.axvline(0, color="black", linewidth=0.7)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, table["option"])
    fig.suptitle(
        f"Equal-cost comparison: ¥{comp.budget:,.0f}bn through each option vs the counterfactual "
        f"({comp.replications} common seeds; bars: {comp.confidence:.0%} CI; blue: one programme, "
        "orange: mixes)",
        fontsize=10,
    )
    return fig


def report_markdown(result: Result) -> str:
    """The comparison as a Markdown page (table, figure, differences by outcome)."""
    from analysis import pages

    comp = result.comparison
    lines = [f"# Equal-cost comparison: {comp.name}", ""]
    if comp.description:
        lines += [comp.description, ""]
    lines += [
        f"- file: `{comp.path}`; model `{comp.model}`; budget ¥{comp.budget:,.0f}bn for every option; "
        f"{comp.quarters} quarters",
        f"- {comp.replications} replications with common random numbers (replicate r of every option and of the "
        f"counterfactual uses the same seed; master seed {comp.seed}); intervals are {comp.confidence:.0%} t intervals "
        "of the paired differences",
        f"- cost = {' + '.join(f'`{c}`' for c in comp.cost_outcomes)} (option − counterfactual); deficit avoided = "
        f"counterfactual − option `{comp.deficit_outcome}`; capability gained = option − counterfactual "
        f"`{comp.capability_outcome}`; ratios are computed per replicate, then averaged",
        "",
    ]
    mixes = [o for o in comp.options if o.kind == "mix"]
    if mixes:
        lines += ["Mixes:", ""]
        lines += [
            f"- **{o.name}**: " + ", ".join(f"{s.removeprefix('share_')} {v:.0%}" for s, v in o.shares.items() if v > 0)
            for o in mixes
        ]
        lines.append("")
    lines += [f"- note: {n}" for n in result.notes]
    header, rows = effectiveness_rows(result)
    lines += [
        "## Cost-effectiveness",
        "",
        pages.table(header, rows),
        "",
        "![comparison](comparison.png)",
        "",
        "## Differences from the counterfactual",
        "",
    ]
    for outcome, part in result.differences.groupby("outcome", sort=False):
        lines += [f"### `{outcome}`", ""]
        rows = [
            [
                r.option,
                _num(r.option_mean),
                _num(r.counterfactual_mean),
                _interval(r.difference, r.low, r.high),
                str(r.n),
            ]
            for r in part.itertuples(index=False)
        ]
        lines += [
            pages.table(
                ["option", "option mean", "counterfactual mean", f"difference [{comp.confidence:.0%} CI]", "n"], rows
            ),
            "",
        ]
    lines += ["Files: `cost_effectiveness.csv`, `differences.csv`, `runs.csv`, `comparison.png`.", ""]
    return "\n".join(lines)


def write_result(result: Result, out: Path) -> Path:
    """Write the tables (CSV), the figure and the report (Markdown and HTML) into ``out``, atomically."""
    import matplotlib.pyplot as plt

    from analysis import pages
    from sim.outputs import write_atomically

    def fill(folder: Path) -> None:
        result.runs.to_csv(folder / "runs.csv", index=False)
        result.differences.to_csv(folder / "differences.csv", index=False)
        result.cost_effectiveness.to_csv(folder / "cost_effectiveness.csv", index=False)
        fig = figure(result)
        fig.savefig(folder / "comparison.png", dpi=110)
        plt.close(fig)
        pages.write_page(
            folder, "report", report_markdown(result), title=f"Equal-cost comparison: {result.comparison.name}"
        )

    write_atomically(out, fill, kind="compare", label="--out")
    return out
