"""The model's agents, one module per kind: government, developers, foreign providers, data centres, users."""

from agents.datacentre import DataCentre
from agents.developer import DomesticDeveloper
from agents.foreign import ForeignProvider
from agents.government import Government
from agents.user import UserAgent, UserPopulation

__all__ = ["DataCentre", "DomesticDeveloper", "ForeignProvider", "Government", "UserAgent", "UserPopulation"]
