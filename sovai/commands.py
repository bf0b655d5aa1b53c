"""``sovai run``, ``sovai scenarios`` and ``sovai params``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.params import PARAMS_LIST, parse_sets, resolve
from sim.scenarios import NO_POLICY, list_scenarios, load_scenario, read_params_file

DEFAULT_SEED = 42


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run``, ``scenarios`` and ``params`` subcommands."""
    run = sub.add_parser(
        "run",
        help="run one scenario and write its outputs",
        description="Run the model once, print a summary and write time series, parameters and figures.",
    )
    run.add_argument("--scenario", default="baseline", help="scenario name or TOML file (default: baseline)")
    run.add_argument("--params", type=Path, help="a params.toml from an earlier run (reproduces it exactly)")
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable)",
    )
    run.add_argument("--seed", type=int, help=f"random seed (default {DEFAULT_SEED}, or the params file's)")
    run.add_argument("--quarters", type=int, help="quarters to simulate (default 40: FY2026Q1–FY2035Q4)")
    run.add_argument(
        "--out",
        type=Path,
        help="output folder: new, empty, or an earlier run's (default results/<scenario>-<seed>[-<changes>]/)",
    )
    run.add_argument("--no-figures", action="store_true", help="skip the figures")
    run.set_defaults(func=cmd_run)
    scen = sub.add_parser("scenarios", help="list the scenarios")
    scen.set_defaults(func=cmd_scenarios)
    par = sub.add_parser("params", help="list every parameter with unit, default, range, meaning and source")
    par.add_argument("--format", choices=("text", "markdown"), default="text")
    par.set_defaults(func=cmd_params)


def resolve_run(args: argparse.Namespace) -> tuple[str, int, dict[str, Any]]:
    """Scenario name, seed and fully resolved parameters of a ``sovai run`` (nothing is run or written)."""
    seed = args.seed
    if args.params is not None:
        file_seed, scenario, overrides = read_params_file(args.params)
        seed = file_seed if seed is None else seed
    else:
        scenario = Path(args.scenario).stem
        overrides = load_scenario(args.scenario)
    overrides |= parse_sets(args.sets)
    if args.quarters is not None:
        overrides["quarters"] = args.quarters
    seed = DEFAULT_SEED if seed is None else seed
    if seed < 0:
        raise UserError(f"--seed {seed}: the seed must be a whole number ≥ 0")
    return scenario, seed, resolve(overrides)


def cmd_run(args: argparse.Namespace) -> int:
    """``sovai run``."""
    from analysis.figures import write_run_figures
    from sim.outputs import check_output_dir, default_run_folder, write_run

    scenario, seed, params = resolve_run(args)
    out = args.out or default_run_folder(scenario, seed, params, source=scenario if args.params else args.scenario)
    label = "--out" if args.out else "output folder"
    check_output_dir(out, kind="run", label=label)  # before running, so a refused folder costs nothing
    started = time.perf_counter()
    ts = simulate(params, seed, label=scenario)
    counterfactual = None
    if scenario != NO_POLICY and (
        params["budget_total_jpy_bn"] > 0
        or params["investment_tax_credit_rate"] > 0
        or params["champion_award_total_jpy_bn"] > 0
    ):
        counterfactual = simulate(resolve(params | load_scenario(NO_POLICY)), seed, label=NO_POLICY)
    write_run(
        out,
        ts,
        params,
        seed=seed,
        scenario=scenario,
        figures=None if args.no_figures else write_run_figures,
        label=label,
    )
    print(summary_table(ts, counterfactual, scenario=scenario, seed=seed))
    print(events_list(ts))
    print(
        f"\nwrote {out}/ (timeseries.parquet, timeseries.csv, params.toml"
        f"{'' if args.no_figures else ', figures/'}) in {time.perf_counter() - started:.1f} s"
    )
    return 0


def simulate(params: dict[str, Any], seed: int, *, label: str) -> Any:
    """Run the model, with a progress bar on a terminal when it takes more than a second."""
    from tqdm import tqdm

    from sim.model import SovereignAIModel

    model = SovereignAIModel(rng=seed, **params)
    with tqdm(
        total=params["quarters"],
        desc=label,
        unit="quarter",
        delay=1.0,
        leave=False,
        disable=not sys.stderr.isatty(),
    ) as bar:
        for _ in range(params["quarters"]):
            model.step()
            bar.update()
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def summary_table(ts: Any, counterfactual: Any = None, *, scenario: str, seed: int) -> str:
    """The key outcomes at the end of FY2030 and of the run, with the no-policy run beside them."""
    from analysis.report import summary_rows

    header, rows = summary_rows(ts, counterfactual)
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]

    def line(row: list[str]) -> str:  # labels left, numbers right
        return "  ".join(
            str(v).ljust(w) if k < 2 else str(v).rjust(w) for k, (v, w) in enumerate(zip(row, widths, strict=False))
        )

    title = f"sovai run: scenario {scenario}, seed {seed}"
    return "\n".join([title, line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def events_list(ts: Any) -> str:
    """What happened in the run, quarter by quarter (the ``events`` column)."""
    lines = [f"  {q}  {e}" for q, e in zip(ts["quarter"], ts["events"], strict=True) if e]
    return "\n".join(["", f"events ({len(lines)} quarters with events):", *lines]) if lines else "\nno events"


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``sovai scenarios``."""
    scenarios = list_scenarios()
    width = max(map(len, scenarios))
    for name, description in scenarios.items():
        print(f"{name.ljust(width)}  {description}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``sovai params``."""
    if args.format == "markdown":
        from analysis.provenance import parameters_markdown

        sys.stdout.write(parameters_markdown())
        return 0
    for p in PARAMS_LIST:
        default = p.default if not isinstance(p.default, float) else f"{p.default:g}"
        print(f"{p.name} = {default}  [{p.unit}; {p.allowed}]\n    {p.meaning}\n    source: {p.source}")
    return 0
