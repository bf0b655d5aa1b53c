"""Service delivered: which AI work was served, where it ran, and what was left unserved.

Users' demand is booked to the provider they chose; whether it is served depends on where the
provider runs. Work on domestic models and on foreign open-weight models run in Japan needs
GPU-hours from domestic operators; foreign models in a Japan region need the hyperscalers' Japan
capacity; foreign models abroad always run (unless disrupted). What a Japanese pool cannot serve
goes back to the user: general and free sensitive work goes to a foreign model abroad (counted
abroad, whatever the contract said), work the sovereignty rule binds to Japan is left unmet, as is
anything when no foreign model is reachable. Providers earn only for what they serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import NamedTuple

import numpy as np

from agents.user import ABROAD, DOMESTIC, IN_JAPAN, OPEN_DOMESTIC, SENSITIVE_BOUND

#: Which pool of GPU-hours serves each hosting mode (None: abroad, outside Japan's pools).
POOL_OF_HOSTING = {DOMESTIC: "domestic", OPEN_DOMESTIC: "domestic", IN_JAPAN: "japan_region", ABROAD: None}
#: Hosting modes whose work runs in Japan.
RUNS_IN_JAPAN = (DOMESTIC, OPEN_DOMESTIC, IN_JAPAN)
#: Hosting modes whose work runs on domestic operators' GPU-hours.
DOMESTIC_INFRA = tuple(h for h, pool in POOL_OF_HOSTING.items() if pool == "domestic")


def hosted(hosting: np.ndarray, modes: tuple[int, ...]) -> np.ndarray:
    """Mask of the providers whose hosting mode is one of ``modes``.

    The same as ``np.isin(hosting, modes)``, without its general machinery, on a handful of providers.
    """
    mask = np.zeros(len(hosting), dtype=bool)
    for mode in modes:
        mask |= hosting == mode
    return mask


class Delivery(NamedTuple):
    """Where a quarter's AI spend went, each array shaped (sectors, slices, providers) in ¥bn.

    Read them, never write into them: in a quarter when everything was served, ``served`` is the
    quarter's spend array itself and ``rerouted`` and ``unmet`` share one read-only array of zeros.

    Attributes:
        served: Spend served by the chosen provider (its revenue).
        rerouted: Spend the chosen provider could not serve that a foreign model abroad served instead,
            booked under the chosen provider's column.
        unmet: Spend nobody served.
    """

    served: np.ndarray
    rerouted: np.ndarray
    unmet: np.ndarray

    def abroad(self, hosting: np.ndarray) -> np.ndarray:
        """Spend on work that ran abroad: served by providers abroad, plus all rerouted work."""
        return self.served[..., hosting == ABROAD].sum(axis=-1) + self.rerouted.sum(axis=-1)

    def in_japan(self, hosting: np.ndarray) -> np.ndarray:
        """Spend on work that ran in Japan, shaped (sectors, slices)."""
        return self.served[..., hosted(hosting, RUNS_IN_JAPAN)].sum(axis=-1)


@cache
def read_only_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only array of zeros of ``shape``: as nobody may write it, one serves every quarter of every run."""
    zeros = np.zeros(shape)
    zeros.flags.writeable = False
    return zeros


def all_served(fills: Mapping[str, float]) -> bool:
    """Whether every pool served all it was asked (``fills``: each pool's share of inference served)."""
    return min(fills.values()) >= 1.0


def pool_fill(hosting: np.ndarray, fills: dict[str, float]) -> np.ndarray:
    """Share of each provider's demand its pool served (1 for providers abroad)."""
    pools = [POOL_OF_HOSTING[h] for h in hosting.tolist()]  # Python ints: NumPy's hash slowly as dict keys
    return np.array([1.0 if pool is None else fills[pool] for pool in pools])


def deliver(spend: np.ndarray, hosting: np.ndarray, fills: Mapping[str, float], abroad_open: bool) -> Delivery:
    """Split ``spend`` (sectors, slices, providers) into served, rerouted abroad and unmet.

    Args:
        spend: Demand booked to each provider, ¥bn.
        hosting: Hosting mode of each provider.
        fills: Share of its inference demand each pool served, by pool.
        abroad_open: Whether a foreign model abroad is on offer to take overflow.

    Returns:
        The split; when every pool served all it was asked, ``served`` is ``spend`` itself.
    """
    if all_served(fills):  # most quarters: all served as booked
        nothing = read_only_zeros(spend.shape)  # one array stands for both, so neither may be written
        return Delivery(spend, nothing, nothing)  # (served, rerouted, unmet): by position, a third cheaper
    served = spend * pool_fill(hosting, fills)
    short = spend - served
    rerouted = np.zeros_like(spend)
    if abroad_open:
        rerouted[:, :SENSITIVE_BOUND] = short[:, :SENSITIVE_BOUND]
    return Delivery(served=served, rerouted=rerouted, unmet=short - rerouted)
