"""The model: parameters, environment, networks and the Mesa model (the public front door is ``sovai``)."""

from typing import TYPE_CHECKING, Any

from sim.params import PARAMS, ParameterError
from sim.scenarios import list_scenarios, load_scenario

if TYPE_CHECKING:
    from sim.model import SovereignAIModel
    from sim.single_run import run

__all__ = ["PARAMS", "ParameterError", "SovereignAIModel", "list_scenarios", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    # The model is imported on first use, so `import agents` (which needs sim.environment) works first too.
    if name == "SovereignAIModel":
        from sim.model import SovereignAIModel

        return SovereignAIModel
    if name == "run":
        from sim.single_run import run

        return run
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
