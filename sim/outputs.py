"""Writing a run's outputs: time series (Parquet, CSV), resolved parameters (TOML) and figures.

Everything is written into a fresh temporary folder beside the destination and moved into place
only when complete, so a failed run never leaves a half-written folder or spoils an earlier one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def params_toml(params: Mapping[str, Any], *, seed: int, scenario: str) -> str:
    """The fully resolved parameters of a run, readable by ``sovai run --params``."""
    import tomli_w

    head = "# Fully resolved parameters of a sovai run. Reproduce it with: sovai run --params params.toml\n"
    return head + tomli_w.dumps(
        {
            "seed": int(seed),
            "scenario": scenario,
            "description": f"{scenario} with seed {seed}, all parameters resolved",
            "parameters": dict(params),
        }
    )


def write_atomically(out: Path, fill: Callable[[Path], None]) -> None:
    """Let ``fill`` write into a temporary folder, then move it to ``out`` (replacing an old ``out``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        fill(tmp)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(
    out: Path,
    ts: pd.DataFrame,
    params: Mapping[str, Any],
    *,
    seed: int,
    scenario: str,
    figures: Callable[[pd.DataFrame, Path], Any] | None = None,
) -> None:
    """Write ``timeseries.parquet``, ``timeseries.csv``, ``params.toml`` and ``figures/`` into ``out``."""

    def fill(folder: Path) -> None:
        ts.to_parquet(folder / "timeseries.parquet", index=False)
        ts.to_csv(folder / "timeseries.csv", index=False)
        (folder / "params.toml").write_text(params_toml(params, seed=seed, scenario=scenario), encoding="utf-8")
        if figures is not None:
            figures(ts, folder / "figures")

    write_atomically(out, fill)
