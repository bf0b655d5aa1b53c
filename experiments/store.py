"""The results folder of a sweep: manifest, design, and results written in batches.

Layout::

    DIR/manifest.json                      what was run (experiment, SALib problem, seeds, code version)
    DIR/design.parquet                     run_id, point, replicate, parameter values as run
    DIR/sample.parquet                     point, the sample matrix as sampled (SALib's X)
    DIR/scalars/batch-NNNNNN.parquet       run_id, seed, status, error, elapsed_s, outcomes
    DIR/timeseries/batch-NNNNNN.parquet    run_id, step, quarter, kept series

Every file is written under a temporary name and renamed into place, so a file either exists whole
or not at all. A scalars file commits its runs: the timeseries file of the same batch is written
first, and one without its scalars partner (the driver died between the two) is deleted on resume.
The runs done are exactly the run_ids in the scalars files, so a resume runs the rest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.errors import StoreError

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
SAMPLE = "sample.parquet"
SCALARS = "scalars"
TIMESERIES = "timeseries"
LOCK = ".lock"
_BATCH_RE = re.compile(r"^batch-(\d{6,})\.parquet$")
#: Bumped when the layout changes incompatibly.
FORMAT_VERSION = 1


class Store:
    """A sweep's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # --- paths and presence ------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        """DIR/manifest.json."""
        return self.root / MANIFEST

    def exists(self) -> bool:
        """Whether the folder holds a sweep (has a manifest)."""
        return self.manifest_path.is_file()

    def require(self) -> None:
        """Raise :class:`StoreError` unless the folder holds a sweep."""
        if not self.exists():
            raise StoreError(f"{self.root} is not a sweep results folder (no {MANIFEST})")

    def batch_files(self, kind: str = SCALARS) -> list[Path]:
        """The committed batch files of ``kind`` ("scalars" or "timeseries"), in batch order."""
        folder = self.root / kind
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if _BATCH_RE.match(p.name))

    # --- writing -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (released when the process ends, however it ends)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise StoreError(
                    f"{self.root} is in use by a running sweep ({holder}); wait for it or choose another --out"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {os.uname().nodename}")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def reset(self) -> None:
        """Delete this store's files (only those; other files in the folder are left alone)."""
        for kind in (SCALARS, TIMESERIES):
            folder = self.root / kind
            if folder.is_dir():
                for path in folder.iterdir():
                    if _BATCH_RE.match(path.name) or path.name.endswith(".tmp"):
                        path.unlink()
                with contextlib.suppress(OSError):
                    folder.rmdir()
        for name in (MANIFEST, DESIGN, SAMPLE):
            (self.root / name).unlink(missing_ok=True)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = json.dumps(manifest, indent=2, sort_keys=False, default=_json_default) + "\n"
        _atomic_write(self.manifest_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_design(self, runs: pd.DataFrame, sample: pd.DataFrame) -> None:
        """Write design.parquet (one row per run) and sample.parquet (one row per point)."""
        self.root.mkdir(parents=True, exist_ok=True)
        _write_parquet(sample, self.root / SAMPLE)
        _write_parquet(runs, self.root / DESIGN)

    def cleanup(self) -> None:
        """Remove what a killed writer left: temporary files and timeseries files without their scalars."""
        committed = {p.name for p in self.batch_files(SCALARS)}
        for kind in (SCALARS, TIMESERIES):
            folder = self.root / kind
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.endswith(".tmp") or (
                    kind == TIMESERIES and _BATCH_RE.match(path.name) and path.name not in committed
                ):
                    path.unlink()

    def next_batch_number(self) -> int:
        """One more than the highest batch number written so far."""
        numbers = [
            int(_BATCH_RE.match(p.name).group(1)) for kind in (SCALARS, TIMESERIES) for p in self.batch_files(kind)
        ]
        return max(numbers, default=-1) + 1

    def write_batch(
        self, number: int, scalars: pd.DataFrame, timeseries: pd.DataFrame | None, outputs: list[str], series: list[str]
    ) -> None:
        """Write one batch: its timeseries (if any), then its scalars, which commit it."""
        name = f"batch-{number:06d}.parquet"
        if timeseries is not None and len(timeseries):
            _write_parquet(timeseries, self.root / TIMESERIES / name, schema=timeseries_schema(timeseries, series))
        _write_parquet(scalars, self.root / SCALARS / name, schema=scalars_schema(outputs))

    # --- reading -----------------------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any]:
        """The manifest as a dict."""
        self.require()
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def read_design(self) -> pd.DataFrame:
        """design.parquet: one row per run, values as run."""
        self.require()
        return pd.read_parquet(self.root / DESIGN)

    def read_sample(self) -> pd.DataFrame:
        """sample.parquet: the sample matrix as sampled, one row per point."""
        self.require()
        return pd.read_parquet(self.root / SAMPLE)

    def done_run_ids(self) -> np.ndarray:
        """The run_ids committed so far (ok or failed)."""
        return self._column("run_id").astype(np.int64)

    def status_counts(self) -> dict[str, int]:
        """Runs committed so far, by status."""
        table = self._read(SCALARS, columns=["status"])
        if table is None:
            return {}
        return {str(k): int(v) for k, v in table["status"].value_counts().items()}

    def read_scalars(self) -> pd.DataFrame:
        """Every committed scalars row (one per run)."""
        manifest = self.read_manifest()
        table = self._read(SCALARS, schema=scalars_schema(manifest.get("outputs") or []))
        return table if table is not None else pd.DataFrame(columns=list(scalars_schema([]).names))

    def read_columns(self, columns: list[str]) -> pd.DataFrame:
        """Some columns of every committed scalars row (cheaper than :meth:`read_scalars` for big sweeps)."""
        table = self._read(SCALARS, columns=columns)
        return table if table is not None else pd.DataFrame(columns=columns)

    def read_timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every committed timeseries row."""
        table = self._read(TIMESERIES, columns=columns)
        return table if table is not None else pd.DataFrame(columns=["run_id", "step"])

    def _column(self, name: str) -> np.ndarray:
        table = self._read(SCALARS, columns=[name])
        return np.array([], dtype=np.int64) if table is None else table[name].to_numpy()

    def _read(self, kind: str, columns: list[str] | None = None, schema: Any = None) -> pd.DataFrame | None:
        """The batch files of ``kind`` as one DataFrame (None when there are none)."""
        import pyarrow.dataset as ds

        files = self.batch_files(kind)
        if not files:
            return None
        dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
        return dataset.to_table(columns=columns).to_pandas()


def scalars_schema(outputs: list[str]) -> Any:
    """The Arrow schema of a scalars file (fixed, so every batch file reads as one table)."""
    import pyarrow as pa

    fields = [
        ("run_id", pa.int64()),
        ("seed", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("elapsed_s", pa.float64()),
    ]
    return pa.schema(fields + [(name, pa.float64()) for name in outputs])


def timeseries_schema(frame: pd.DataFrame, series: list[str]) -> Any:
    """The Arrow schema of a timeseries file."""
    import pyarrow as pa

    fields = [("run_id", pa.int64()), ("step", pa.int32())]
    if "quarter" in frame.columns and "quarter" not in series:
        fields.append(("quarter", pa.string()))
    return pa.schema(fields + [(name, pa.float64()) for name in series])


def _write_parquet(frame: pd.DataFrame, path: Path, schema: Any = None) -> None:
    """Write ``frame`` to ``path`` through a temporary file and an atomic rename."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if schema is not None:
        frame = frame.reindex(columns=schema.names)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, flush it to disk, and rename it to ``path``."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _json_default(value: Any) -> Any:
    """JSON for numpy scalars; text for anything else JSON lacks (paths, TOML dates)."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
