"""The results folder of a sweep: manifest, design, and results written in batches.

Layout::

    DIR/manifest.json                      what was run (experiment, SALib problem, seeds, code version)
    DIR/design.parquet                     run_id, point, replicate, parameter values as run
    DIR/sample.parquet                     point, the sample matrix as sampled (SALib's X)
    DIR/scalars/batch-NNNNNN.parquet       run_id, seed, status, error, elapsed_s, outcomes
    DIR/timeseries/batch-NNNNNN.parquet    run_id, step, quarter, kept series
    DIR/damaged/                           batch files that could not be read, set aside by a resume

Every file is written under a temporary name and renamed into place, so a file either exists whole
or not at all. A scalars file commits its runs: the timeseries file of the same batch is written
first, and one without its scalars partner (the driver died between the two) is deleted on resume.
The runs done are exactly the run_ids in the scalars files, so a resume runs the rest.

Batch files carry page checksums. A batch file that cannot be read whole (truncated, overwritten,
bit flips) is named by every reader; a resume moves it, and the other file of its batch, into
``damaged/``, so its runs count as not done and are run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import warnings
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
DAMAGED = "damaged"
LOCK = ".lock"
#: What readers do with a damaged batch file: stop with an error naming it, or leave it out with a warning.
ON_DAMAGED = ("raise", "skip")
_BATCH_RE = re.compile(r"^batch-(\d{6,})\.parquet$")
#: The temporary files :func:`_atomic_write` makes beside the folder's own files (``manifest.json.<pid>.tmp``):
#: a writer killed mid-write leaves one, which only these exact names mark as ours to delete.
_ROOT_TMP_RE = re.compile(rf"^({'|'.join(re.escape(name) for name in (MANIFEST, DESIGN, SAMPLE))})\.\d+\.tmp$")
#: Bumped when the layout changes incompatibly.
FORMAT_VERSION = 1


class Store:
    """A sweep's results folder."""

    def __init__(self, root: str | Path, *, damaged: str = "raise") -> None:
        """A store at ``root``; ``damaged`` says what readers do with a damaged batch file (:data:`ON_DAMAGED`)."""
        if damaged not in ON_DAMAGED:
            raise ValueError(f"damaged={damaged!r}: one of {', '.join(map(repr, ON_DAMAGED))}")
        self.root = Path(root)
        self.on_damaged = damaged

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
    def lock(self, kind: str = "sweep") -> Iterator[None]:
        """Hold an exclusive lock on the folder (released when the process ends, however it ends).

        Args:
            kind: The kind of output the folder holds (``sovai optimise`` locks its folder too).

        Raises:
            OutputError: the folder is not one a sweep may write (a file, the current folder, a
                folder of the user's or of another kind of output); nothing is written.
        """
        from sim.outputs import prepare_output_dir

        prepare_output_dir(self.root, kind=kind, label="--out")
        with open(self.root / LOCK, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise StoreError(
                    f"{self.root} is in use by a running {kind} ({holder}); wait for it or choose another --out"
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
        self._remove_root_temporaries()

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
        self._remove_root_temporaries()
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

    def _remove_root_temporaries(self) -> None:
        """Delete the manifest's, design's and sample's temporary files a killed writer left in the folder."""
        if self.root.is_dir():
            for path in self.root.iterdir():
                if _ROOT_TMP_RE.match(path.name):
                    path.unlink()

    def damaged_batches(self) -> dict[Path, str]:
        """Batch files that cannot be read whole, with the reason (nothing is moved)."""
        damaged = {}
        for kind in (SCALARS, TIMESERIES):
            for path in self.batch_files(kind):
                reason = _check_batch_file(path, kind)
                if reason is not None:
                    damaged[path] = reason
        return damaged

    def set_aside_damaged(self) -> list[Path]:
        """Move damaged batch files, and the other file of each such batch, into DIR/damaged/.

        Their runs then count as not done, so a resume runs them again. Returns where the damaged
        files went.
        """
        damaged = self.damaged_batches()
        moved = []
        for name in sorted({p.name for p in damaged}):
            for kind in (SCALARS, TIMESERIES):
                path = self.root / kind / name
                if not path.exists():
                    continue
                target = self.root / DAMAGED / f"{kind}-{name}"
                while target.exists():  # never overwrite an earlier damaged file
                    target = target.with_name(f"{target.stem}.again{target.suffix}")
                target.parent.mkdir(exist_ok=True)
                os.replace(path, target)
                if path in damaged:
                    moved.append(target)
        return moved

    def set_aside_files(self) -> list[Path]:
        """Files set aside in DIR/damaged/ by earlier resumes."""
        folder = self.root / DAMAGED
        return sorted(folder.iterdir()) if folder.is_dir() else []

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
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise StoreError(
                f"{self.manifest_path} is damaged ({err}); the results cannot be matched to their experiment: "
                "restore it from a backup, or run the sweep with --fresh to start over"
            ) from None
        if not isinstance(manifest, dict) or "n_runs" not in manifest:
            raise StoreError(f"{self.manifest_path} is damaged (not a sweep manifest); restore it or use --fresh")
        return manifest

    def read_design(self) -> pd.DataFrame:
        """design.parquet: one row per run, values as run."""
        self.require()
        return _read_whole(self.root / DESIGN, "design")

    def read_sample(self) -> pd.DataFrame:
        """sample.parquet: the sample matrix as sampled, one row per point."""
        self.require()
        return _read_whole(self.root / SAMPLE, "sample")

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
        import pyarrow as pa
        import pyarrow.dataset as ds

        tables, damaged = [], {}
        for path in self.batch_files(kind):
            try:
                table = ds.dataset(str(path), format=_parquet_format(), schema=schema).to_table(columns=columns)
            except PermissionError:  # the machine's fault, not the file's: never set aside for it
                raise
            except _read_errors() as err:
                damaged[path] = _reason(err)
                continue
            problem = _table_problem(table, ("run_id",) if "run_id" in table.column_names else ())
            if problem:
                damaged[path] = problem
                continue
            tables.append(table)
        if damaged and self.on_damaged == "raise":
            path, reason = next(iter(damaged.items()))
            more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
            raise StoreError(
                f"{path} is damaged ({reason}){more}; run the same `sovai sweep` command to set it aside and "
                "run its runs again, or read the rest with experiments.load(..., damaged='skip')"
            )
        if damaged:
            warnings.warn(
                f"left out {len(damaged)} damaged batch file(s) of {self.root}: "
                + ", ".join(p.name for p in damaged)
                + "; run the same `sovai sweep` command to run their runs again",
                stacklevel=3,
            )
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default").to_pandas()


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
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp, write_page_checksum=True))


def _read_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged Parquet file raises (a function: pyarrow loads only when used)."""
    import pyarrow as pa

    return (pa.ArrowException, OSError, ValueError)


def _reason(err: BaseException) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__


def _parquet_format() -> Any:
    """Parquet reading that verifies page checksums (so bit flips are caught, not read as numbers)."""
    import pyarrow.dataset as ds

    return ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    )


#: Columns a readable batch file of each kind must have.
_REQUIRED = {SCALARS: ("run_id", "status"), TIMESERIES: ("run_id", "step")}


def _check_batch_file(path: Path, kind: str) -> str | None:
    """Why the batch file cannot be used (None when it reads whole and has its key columns)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except PermissionError:
        raise
    except _read_errors() as err:
        return _reason(err)
    return _table_problem(table, _REQUIRED[kind])


def _table_problem(table: Any, required: tuple[str, ...]) -> str | None:
    """What is wrong with a batch table that read without error (a missing key column, empty run_ids)."""
    missing = [c for c in required if c not in table.column_names]
    if missing:
        return f"no {missing[0]!r} column"
    if "run_id" in required and table.column("run_id").null_count:
        return "run_id has empty values"
    return None


def _read_whole(path: Path, what: str) -> pd.DataFrame:
    """A Parquet file of the store; a damaged one is a StoreError naming it."""
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, page_checksum_verification=True).to_pandas()
    except _read_errors() as err:
        raise StoreError(
            f"{path} (the sweep's {what}) is damaged ({_reason(err)}); "
            "run the same `sovai sweep` command to rebuild it, or use --fresh"
        ) from None


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
