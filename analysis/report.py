"""``sovai report RUN_DIR``: one page (Markdown and HTML) for a single ``sovai run`` output folder.

The page holds the run's summary table (key outcomes at the end of FY2030 and of the horizon, with
the no-policy run of the same seed beside them), the parameters that differ from the defaults, the
levers as run, and the run's figures. It reads ``timeseries.parquet`` (or ``timeseries.csv``) and
``params.toml``; figures missing from ``figures/`` are drawn first (with analysis.figures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis import pages
from sim.errors import UserError
from sim.params import PARAMS, PARAMS_LIST

#: Levers always shown: every policy lever in the registry, then the run's size.
LEVERS: tuple[str, ...] = (*(p.name for p in PARAMS_LIST if p.group == "lever"), "n_user_agents", "quarters")


class ReportError(UserError, ValueError):
    """A folder that is not a ``sovai run`` output folder, or one that cannot be read."""


def read_run(folder: Path) -> tuple[pd.DataFrame, int, str, dict[str, Any]]:
    """The time series, seed, scenario and resolved parameters of a run folder.

    Raises:
        ReportError: missing or unreadable files.
    """
    from sim.params import resolve
    from sim.scenarios import read_params_file

    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder; give the output folder of `sovai run` (e.g. results/baseline-42)")
    if (folder / "manifest.json").is_file():
        raise ReportError(f"{folder} is a sweep results folder; use `sovai sensitivity {folder}` for sweeps")
    params_path = folder / "params.toml"
    if not params_path.is_file():
        raise ReportError(f"{folder} has no params.toml: it is not a `sovai run` output folder")
    try:
        if (folder / "timeseries.parquet").is_file():
            ts = pd.read_parquet(folder / "timeseries.parquet")
        elif (folder / "timeseries.csv").is_file():
            ts = pd.read_csv(folder / "timeseries.csv")
        else:
            raise ReportError(f"{folder} has no timeseries.parquet or timeseries.csv")
    except (OSError, ValueError) as err:
        raise ReportError(f"{folder}: cannot read the time series: {err}") from None
    seed, scenario, overrides = read_params_file(params_path)
    params = resolve(overrides)
    missing = [c for c in ("quarter", "digital_deficit_ai_jpy_bn", "budget_spent_jpy_bn") if c not in ts.columns]
    if missing or ts.empty:
        raise ReportError(
            f"{folder}: the time series lacks column {missing[0]!r}"
            if missing
            else f"{folder}: the time series is empty"
        )
    return ts, (seed if seed is not None else 42), scenario, params


def summary_rows(ts: pd.DataFrame, counterfactual: pd.DataFrame | None) -> tuple[list[str], list[list[str]]]:
    """The run summary (as ``sovai run`` prints it) as a header and rows of text."""
    from sim.model import FY2030_LAST_QUARTER
    from sim.outcomes import SUMMARY

    at = sorted({i for i in (FY2030_LAST_QUARTER, len(ts) - 1) if i < len(ts)})
    heads = [str(ts["quarter"].iloc[i]) for i in at]
    header = ["outcome", "unit", *heads]
    if counterfactual is not None:
        header += [f"no policy {h}" for h in heads]
    rows = []
    for column, label, unit, fmt in SUMMARY:
        if column not in ts.columns:
            continue
        values = [fmt.format(ts[column].iloc[i]) for i in at]
        if counterfactual is not None:
            values += [fmt.format(counterfactual[column].iloc[i]) for i in at]
        rows.append([label, unit, *values])
    return header, rows


def changed_parameters(params: dict[str, Any]) -> list[list[str]]:
    """Rows (parameter, value, default, unit) for the parameters that differ from their defaults."""
    rows = []
    for name, value in params.items():
        param = PARAMS.get(name)
        if param is not None and value != param.default:
            rows.append([f"`{name}`", _value(value), _value(param.default), param.unit])
    return rows


def _value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def counterfactual_run(params: dict[str, Any], seed: int, scenario: str) -> pd.DataFrame | None:
    """The no-policy run with the same seed (None when the run has no policy to compare)."""
    import sim
    from sim.params import resolve
    from sim.scenarios import NO_POLICY

    if scenario == NO_POLICY or (params["budget_total_jpy_bn"] <= 0 and params["investment_tax_credit_rate"] <= 0):
        return None
    cf = resolve(params | sim.load_scenario(NO_POLICY))
    return sim.run(cf, seed=seed, quarters=int(cf["quarters"]))["timeseries"]


def report_markdown(
    folder: Path,
    ts: pd.DataFrame,
    seed: int,
    scenario: str,
    params: dict[str, Any],
    counterfactual: pd.DataFrame | None,
    figures: list[Path],
    page_dir: Path,
) -> str:
    """The page as Markdown (figure links relative to ``page_dir``)."""
    import os

    from analysis.figures import RUN_FIGURES

    first, last = str(ts["quarter"].iloc[0]), str(ts["quarter"].iloc[-1])
    lines = [
        f"# sovai run: scenario {scenario}, seed {seed}",
        "",
        f"Run folder `{folder}`: {len(ts)} quarters, {first}–{last}. Reproduce it with "
        f"`sovai run --params {folder / 'params.toml'}`.",
        "",
    ]
    header, rows = summary_rows(ts, counterfactual)
    lines += [
        "## Summary",
        "",
        "Key outcomes at the end of FY2030 and of the run"
        + (
            ", beside the no-policy run with the same seed (no budget, no tax credit)."
            if counterfactual is not None
            else "."
        ),
        "",
        pages.table(header, rows),
        "",
    ]
    lever_rows = [[f"`{n}`", _value(params[n]), PARAMS[n].unit] for n in LEVERS if n in params]
    lines += ["## Levers as run", "", pages.table(["parameter", "value", "unit"], lever_rows), ""]
    changed = changed_parameters(params)
    lines += ["## Parameters that differ from the defaults", ""]
    lines += [pages.table(["parameter", "value", "default", "unit"], changed) if changed else "None: all defaults.", ""]
    if figures:
        lines += ["## Figures", ""]
        for path in figures:
            make = RUN_FIGURES.get(path.stem)
            caption = (make.__doc__ or "").strip().splitlines()[0] if make else path.stem.replace("_", " ")
            rel = Path(os.path.relpath(path, page_dir)).as_posix()
            lines += [f"**{caption}**", "", f"![{path.stem}]({rel})", ""]
    return "\n".join(lines)


def write_report(folder: Path, out: Path | None = None, *, with_counterfactual: bool = True) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` for a run folder (into ``out``, default the run folder).

    Returns:
        The Markdown and HTML paths.
    """
    from analysis.figures import RUN_FIGURES, write_run_figures
    from sim.outputs import prepare_output_dir

    folder = Path(folder)
    ts, seed, scenario, params = read_run(folder)
    # The page goes into a run folder (the default) or a folder of its own; never among the user's files.
    if out is None:
        page_dir = prepare_output_dir(folder, kind="run", label="RUN_DIR")
    else:
        page_dir = prepare_output_dir(out, kind="report", label="--out")
    expected = [folder / "figures" / f"{name}.png" for name in RUN_FIGURES]
    if not all(p.is_file() for p in expected):
        expected = [page_dir / "figures" / f"{name}.png" for name in RUN_FIGURES]
        write_run_figures(ts, page_dir / "figures")
    figures = [p for p in expected if p.is_file()]
    counterfactual = counterfactual_run(params, seed, scenario) if with_counterfactual else None
    markdown = report_markdown(folder, ts, seed, scenario, params, counterfactual, figures, page_dir)
    return pages.write_page(page_dir, "report", markdown, title=f"sovai run: {scenario}, seed {seed}")
