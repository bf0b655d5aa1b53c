"""Fixtures for the experiment tests: experiment files in tmp_path and quick in-process sweeps."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # worker processes inherit it, so they can import sweep_toys

ISHIGAMI = """
[experiment]
name = "{name}"
design = "{design}"
samples = {samples}
replications = {replications}
seed = 11
outputs = {outputs}
{extra}
[parameters.x1]
low = -3.14159
high = 3.14159
[parameters.x2]
low = -3.14159
high = 3.14159
[parameters.x3]
low = -3.14159
high = 3.14159
"""


@pytest.fixture
def write(tmp_path):
    """Write an experiment file (dedented) under tmp_path and return its path."""

    def _write(text: str, name: str = "exp.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def ishigami_file(write):
    """An Ishigami experiment file; keyword arguments fill the template."""

    def _make(
        name: str = "ish",
        design: str = "lhs",
        samples: int = 40,
        replications: int = 1,
        outputs: str = '["y", "noise"]',
        extra: str = "",
        file: str = "ish.toml",
    ) -> Path:
        return write(
            ISHIGAMI.format(
                name=name, design=design, samples=samples, replications=replications, outputs=outputs, extra=extra
            ),
            file,
        )

    return _make


@pytest.fixture
def sweep(tmp_path):
    """Run a sweep in this process (no Dask) with quiet output; returns the summary."""
    from experiments.sweep import SweepOptions, run_sweep

    def _sweep(path: Path, out: str | Path = "out", **options):
        options.setdefault("workers", 1)
        options.setdefault("echo", lambda message: None)
        options.setdefault("progress", False)
        return run_sweep(path, SweepOptions(out=tmp_path / out, **options))

    return _sweep
