"""Seeds: every number a sweep draws derives from one master seed, by run index.

The design's sampler uses the master ``SeedSequence``'s own state; run ``i`` uses its child
``SeedSequence(master_seed, spawn_key=(i,))``. A run's seed therefore depends only on the master
seed and its index, never on the worker count, the batch size or the order runs finish in.
"""

from __future__ import annotations

import numpy as np


def design_seed(master_seed: int) -> int:
    """Seed of the design's sampler: the master SeedSequence's own state (runs use its children)."""
    return int(np.random.SeedSequence(master_seed).generate_state(1)[0])


def run_seed(master_seed: int, run_id: int, *, replications: int = 1, mode: str = "per_run") -> int:
    """Seed of one run: ``SeedSequence(master_seed, spawn_key=(k,)).generate_state(1)[0]``.

    ``k`` is the run's index (mode "per_run") or its replicate number (mode "common": replicate r
    of every point shares a seed, i.e. common random numbers across points).
    """
    key = run_id % replications if mode == "common" else run_id
    return int(np.random.SeedSequence(master_seed, spawn_key=(key,)).generate_state(1)[0])
