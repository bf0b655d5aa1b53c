"""sovai: the open simulator for national AI strategy (Japan's sovereign-AI ecosystem on Mesa).

The front door: ``import sovai`` for the public API, ``python -m sovai`` or ``sovai`` for the
command line. The parts below it never import it: data and imports flow one way, model (``sim``,
``agents``) -> ``experiments`` -> ``analysis`` -> ``sovai``.

Example:
    >>> import sovai
    >>> result = sovai.run(sovai.load_scenario("baseline"), seed=1, quarters=4)
    >>> round(result["adoption_rate_final"], 3)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from experiments import load, load_timeseries
    from experiments.interop import salib_run
    from sim.model import SovereignAIModel
    from sim.params import PARAMS, ParameterError
    from sim.scenarios import list_scenarios, load_scenario
    from sim.single_run import run

__all__ = [
    "PARAMS",
    "ParameterError",
    "SovereignAIModel",
    "list_scenarios",
    "load",
    "load_scenario",
    "load_timeseries",
    "run",
    "salib_run",
]
__version__ = "0.1.0"

#: Public name -> module that defines it. Imported on first use so `sovai --help` stays fast.
_EXPORTS: dict[str, str] = {
    "PARAMS": "sim.params",
    "ParameterError": "sim.params",
    "SovereignAIModel": "sim.model",
    "list_scenarios": "sim.scenarios",
    "load_scenario": "sim.scenarios",
    "run": "sim.single_run",
    "load": "experiments",
    "load_timeseries": "experiments",
    "salib_run": "experiments.interop",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sovai' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
