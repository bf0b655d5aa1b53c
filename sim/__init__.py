"""sovai: the open simulator for national AI strategy (Japan's sovereign-AI ecosystem on Mesa)."""

from sim.model import SovereignAIModel
from sim.params import PARAMS, ParameterError
from sim.run import run
from sim.scenarios import list_scenarios, load_scenario

__all__ = ["PARAMS", "ParameterError", "SovereignAIModel", "list_scenarios", "load_scenario", "run"]
__version__ = "0.1.0"
