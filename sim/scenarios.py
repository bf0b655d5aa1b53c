"""Scenarios: TOML files under experiments/scenarios/ that set only what differs from the defaults.

A scenario file holds a one-line ``description`` and a ``[parameters]`` table::

    description = "Twice the AI Basic Plan budget"
    [parameters]
    budget_total_jpy_bn = 2000
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.params import ParameterError, checked, resolve
from sim.tomlfiles import read_toml

#: The scenario without public programmes, the counterfactual of a run with policy.
NO_POLICY = "no_policy"
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"


def list_scenarios() -> dict[str, str]:
    """Return the shipped scenarios' names and one-line descriptions."""
    return {path.stem: read_scenario(path)[0] for path in sorted(SCENARIO_DIR.glob("*.toml"))}


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (``baseline``) or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist")
        return path
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if not candidate.is_file():
        names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
        raise ScenarioError(f"unknown scenario {str(name_or_path)!r}; scenarios: {names}")
    return candidate


def read_scenario(path: Path) -> tuple[str, dict[str, Any]]:
    """Read and check a scenario file; return its description and its parameter overrides.

    Raises:
        ScenarioError: malformed TOML, unexpected keys, or bad parameters (with file and line).

    """
    data, overrides = _read(Path(path), allowed=("description", "parameters"))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f'{path}: description = {description!r} must be text in quotes, e.g. "Twice the budget"')
    return description, overrides


def read_params_file(path: Path) -> tuple[int | None, str, dict[str, Any]]:
    """Read a run's ``params.toml``; return its seed (None if absent), scenario name and parameters.

    Raises:
        ScenarioError: as :func:`read_scenario`, or a seed that is not a whole number.

    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"parameter file {str(path)!r} does not exist")
    data, overrides = _read(path, allowed=("description", "parameters", "seed", "scenario"))
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ScenarioError(
            f"{path}:{_line_of(path.read_text(encoding='utf-8'), 'seed')}: seed {seed!r} must be a whole number ≥ 0"
        )
    return seed, str(data.get("scenario", path.stem)), overrides


def _read(path: Path, allowed: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    text, data = read_toml(path, ScenarioError, "scenario file")
    extra = set(data) - set(allowed)
    if extra:
        key = sorted(extra)[0]
        raise ScenarioError(
            f"{path}:{_line_of(text, key)}: unexpected key {key!r}; allowed here: " + ", ".join(allowed)
        )
    overrides = data.get("parameters", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}:{_line_of(text, 'parameters')}: 'parameters' must be a table")
    try:
        overrides = checked(overrides, where=lambda name: f"{path}:{_line_of(text, name)}: ")
        resolve(overrides, where=f"{path}: ")
    except ParameterError as err:
        raise ScenarioError(str(err)) from None
    return data, overrides


def load_scenario(name_or_path: str | Path) -> dict[str, Any]:
    """Return a scenario's parameter overrides (checked), by name or path."""
    return read_scenario(scenario_path(name_or_path))[1]


def _line_of(text: str, key: str) -> int:
    """Line number where ``key`` is set (1 when it cannot be found)."""
    pattern = re.compile(rf"^\s*\[?\s*{re.escape(key)}\s*[=\]]")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1
