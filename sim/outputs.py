"""Output folders: which paths sovai may write to, and writing a run's outputs.

Every command that writes a folder (``sovai run``, ``sweep``, ``sensitivity``, ``compare``,
``report``) asks :func:`check_output_dir` first. A folder may be written only when it is absent,
empty, or was written before by sovai for the same kind of output: such a folder carries a marker
file, :data:`MARKER`, so a folder holding anything else (the user's files, the source tree, the
current directory) is refused before anything is run, and nothing the user made is deleted.

:func:`write_atomically` fills a temporary sibling folder and renames it into place, so a failed or
killed write never leaves a half-written folder, and an earlier output is replaced only once the
new one is complete. Folders are created with the user's umask.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sim.errors import UserError

#: The file that marks a folder as written by sovai; it records the kind of output.
MARKER = ".sovai-output.json"
#: Infix of the temporary siblings :func:`write_atomically` uses (so leftovers of a killed write are known).
_TMP_INFIX = ".sovai-tmp-"
_OLD_INFIX = ".sovai-old-"
#: Characters kept in a default folder name; anything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")
#: Longest default folder name (well under every filesystem's limit of 255 bytes).
_MAX_DEFAULT_NAME = 100


#: What each kind of output folder holds: the names sovai writes there, and (first) the file that
#: identifies such a folder written before markers existed. A folder holding any other name is refused,
#: so files a user put in an old output folder are never deleted with it.
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "run": ("params.toml", "timeseries.parquet", "timeseries.csv", "figures", "report.md", "report.html"),
    "report": ("report.md", "report.html", "figures"),
    "sensitivity": (
        "indices.csv",
        "s2.csv",
        "convergence.csv",
        "time_resolved.csv",
        "response.csv",
        "figures",
        "report.md",
        "report.html",
    ),
    "compare": (
        "runs.csv",
        "differences.csv",
        "cost_effectiveness.csv",
        "comparison.png",
        "report.md",
        "report.html",
    ),
    "sweep": (
        "manifest.json",
        "design.parquet",
        "sample.parquet",
        "scalars",
        "timeseries",
        ".lock",
        "analysis",
        "discovery",
        "damaged",
    ),
    "discovery": (
        "boxes.csv",
        "trajectory.csv",
        "cart_leaves.csv",
        "feature_scores.csv",
        "figures",
        "report.md",
        "report.html",
    ),
    "optimise": (
        "study.db",
        "study.db-wal",
        "study.db-shm",
        "study.db-journal",
        ".lock",
        "pareto.csv",
        "evaluations.csv",
        "futures.csv",
        "reference.csv",
        "parallel_coordinates.png",
        "report.md",
        "report.html",
    ),
}


class OutputError(UserError):
    """An output path sovai will not write to (the CLI prints it as one line, exit code 2)."""


def marker_kind(folder: Path) -> str | None:
    """The kind of output recorded in ``folder``'s marker, or None when it has no readable marker."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


def package_version() -> str:
    """The installed sovai's version ("unknown" when run from a tree that was never installed).

    Read from the package metadata because the model layer does not import the ``sovai`` front door.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovai")
    except PackageNotFoundError:
        return "unknown"


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as a sovai output of ``kind`` (what :func:`check_output_dir` recognises)."""
    record = {
        "written_by": "sovai",
        "kind": kind,
        "sovai_version": package_version(),
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": os.uname().nodename,  # the writer, so a killed write's leftovers are known (see _remove_leftovers)
        "pid": os.getpid(),
    }
    (Path(folder) / MARKER).write_text(json.dumps(record) + "\n", encoding="utf-8")


def check_output_dir(out: str | Path, *, kind: str, label: str = "output folder") -> Path:
    """Refuse an output path sovai must not write to; return it (as given) when it is safe.

    Safe means: absent (its existing ancestors all folders), an empty folder, or a folder holding an
    earlier sovai output of the same ``kind`` (its marker says so, or, for folders written before
    markers, its identifying file) and nothing else (no name outside :data:`OUTPUT_NAMES`).

    Args:
        out: The path the user gave (or the default).
        kind: The kind of output to be written, a key of :data:`OUTPUT_NAMES`.
        label: How the message names the path (e.g. "--out").

    Raises:
        OutputError: the path is a file, a device, a link, the current folder or one of its parents,
            a name too long for the filesystem, or a folder holding anything sovai did not write.
    """
    out = Path(out)
    shown = f"{label} {str(out)!r}"
    full = out.resolve() if out.name in ("", ".", "..") else out.parent.resolve() / out.name
    cwd = Path.cwd().resolve()
    if full == cwd or full in cwd.parents:
        where = "the current folder" if full == cwd else "a parent of the current folder"
        raise OutputError(f"{shown} is {where}; sovai writes only into a new or empty folder, e.g. results/NAME")
    _check_name_lengths(full, label)
    for ancestor in reversed(full.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise OutputError(f"{shown}: {ancestor} is a file, not a folder; choose another path")
    try:
        info = full.lstat()
    except FileNotFoundError:
        return out
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{shown} is a symbolic link; give the folder it points to, or a new folder")
    if not stat.S_ISDIR(info.st_mode):
        what = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a file"
        raise OutputError(f"{shown} is {what}, not a folder; sovai never replaces it; choose a new folder")
    entries = sorted(p.name for p in full.iterdir() if p.name != MARKER)
    found = marker_kind(full)
    if not entries and found in (None, kind):
        return out
    names = OUTPUT_NAMES[kind]
    if found is not None and found != kind:
        raise OutputError(
            f"{shown} holds a sovai {found} output, not a {kind} output; choose another folder "
            f"(sovai replaces only an earlier output of the same kind)"
        )
    foreign = [e for e in entries if e not in names and not e.endswith(".tmp")]
    if found is None and names[0] not in entries:
        foreign = foreign or entries
    if foreign:
        listed = ", ".join(repr(e) for e in foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OutputError(
            f"{shown} holds files sovai did not write ({listed}); nothing was changed; "
            "choose a new or empty folder, or move those files away"
        )
    return out


def _check_name_lengths(full: Path, label: str) -> None:
    """Refuse a path whose name, or whole length, the filesystem cannot hold."""
    existing = Path("/")
    for candidate in reversed(full.parents):  # the deepest ancestor that exists (stat fails on a too-long name)
        try:
            if not candidate.is_dir():
                break
        except OSError:
            break
        existing = candidate
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        path_max = os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    for part in full.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            raise OutputError(
                f"{label}: a folder name of {size} bytes ({part[:20]}...) is too long; at most {name_max} per name"
            )
    if len(os.fsencode(str(full))) >= path_max:
        raise OutputError(f"{label}: the path is too long; at most {path_max - 1} bytes")


def prepare_output_dir(out: str | Path, *, kind: str, label: str = "output folder") -> Path:
    """Check ``out`` (see :func:`check_output_dir`), create it if absent and mark it; for writers that work in place.

    Returns:
        The folder.
    """
    out = check_output_dir(out, kind=kind, label=label)
    out.mkdir(parents=True, exist_ok=True)
    if marker_kind(out) is None:
        write_marker(out, kind)
    return out


def write_atomically(out: str | Path, fill: Callable[[Path], None], *, kind: str, label: str = "output folder") -> Path:
    """Let ``fill`` write into a temporary sibling of ``out``, then move it to ``out``.

    ``out`` must pass :func:`check_output_dir`; an earlier output there is replaced only when the new
    one is complete. Whatever happens, no temporary folder is left beside ``out`` (a killed process
    leaves one, which the next write to ``out`` removes).

    Returns:
        ``out``.

    Raises:
        OutputError: ``out`` is not a folder sovai may write (nothing is written).
        OSError: the disk is full or read-only (nothing is left behind and an earlier output is kept).
    """
    out = check_output_dir(out, kind=kind, label=label)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = out.parent / f".{out.name}{_TMP_INFIX}{os.getpid()}-{os.urandom(3).hex()}"
    os.mkdir(tmp)  # not tempfile.mkdtemp: that makes 0700 folders whatever the user's umask
    try:
        write_marker(tmp, kind)  # first, so a leftover of a killed write is recognisably ours
        fill(tmp)
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing non-empty ``out`` is set aside first and removed after."""
    try:
        os.rename(tmp, out)  # replaces an absent or empty folder in one step
        return
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    old = out.parent / f".{out.name}{_OLD_INFIX}{os.getpid()}-{os.urandom(3).hex()}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)  # put the earlier output back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(out: Path) -> None:
    """Delete temporary siblings of ``out`` left by killed writes: marked, and their writer on this host is gone."""
    prefix = f".{out.name}"
    host = os.uname().nodename
    with contextlib.suppress(OSError):
        for sibling in out.parent.iterdir():
            rest = sibling.name.removeprefix(prefix)
            if rest == sibling.name or not rest.startswith((_TMP_INFIX, _OLD_INFIX)):
                continue
            try:
                record = json.loads((sibling / MARKER).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not ours
            pid = record.get("pid") if isinstance(record, dict) else None
            if record.get("host") == host and isinstance(pid, int) and not _alive(pid):
                shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_file_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary sibling and a rename (never a half-written file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{_TMP_INFIX}{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def default_run_folder(scenario: str, seed: int, params: Mapping[str, Any], *, source: str | Path) -> Path:
    """``results/<scenario>-<seed>`` plus the parameters that differ from the scenario (:func:`default_run_name`).

    Args:
        scenario: The run's scenario name.
        seed: The run's seed.
        params: The run's resolved parameters.
        source: The scenario's name or file, whose parameters are the reference.
    """
    from sim.params import resolve
    from sim.scenarios import load_scenario

    try:
        reference = resolve(load_scenario(source))
    except UserError:  # a params file whose scenario is not a shipped one: name every change from the defaults
        reference = resolve()
    changed = {k: v for k, v in params.items() if reference.get(k) != v}
    return Path("results") / default_run_name(scenario, seed, changed)


def default_run_name(scenario: str, seed: int, changed: Mapping[str, Any]) -> str:
    """The default folder name of a run: ``SCENARIO-SEED``, plus what differs from the scenario.

    A run that only reproduces its scenario gets ``baseline-42``; ``--set sovereignty_rule=1`` gets
    ``baseline-42-sovereignty_rule=1``, so it never replaces the plain run. Long lists of changes
    are shortened to their count and a hash of them.
    """
    import hashlib

    base = f"{scenario}-{seed}"
    if not changed:
        return _safe_name(base)
    items = [f"{k}={_short(v)}" for k, v in sorted(changed.items())]
    name = _safe_name("-".join([base, *items]))
    if len(name) <= _MAX_DEFAULT_NAME:
        return name
    digest = hashlib.sha256(json.dumps(sorted(items)).encode()).hexdigest()[:10]
    return _safe_name(f"{base}-{len(items)}changes-{digest}")


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "run"


def params_toml(params: Mapping[str, Any], *, seed: int, scenario: str) -> str:
    """The fully resolved parameters of a run, readable by ``sovai run --params``."""
    import tomli_w

    head = "# Fully resolved parameters of a sovai run. Reproduce it with: sovai run --params params.toml\n"
    return head + tomli_w.dumps(
        {
            "seed": int(seed),
            "scenario": scenario,
            "description": f"{scenario} with seed {seed}, all parameters resolved",
            "parameters": dict(params),
        }
    )


def write_run(
    out: Path,
    ts: Any,
    params: Mapping[str, Any],
    *,
    seed: int,
    scenario: str,
    figures: Callable[[Any, Path], Any] | None = None,
    label: str = "--out",
) -> None:
    """Write ``timeseries.parquet``, ``timeseries.csv``, ``params.toml`` and ``figures/`` into ``out``."""

    def fill(folder: Path) -> None:
        ts.to_parquet(folder / "timeseries.parquet", index=False)
        ts.to_csv(folder / "timeseries.csv", index=False)
        (folder / "params.toml").write_text(params_toml(params, seed=seed, scenario=scenario), encoding="utf-8")
        if figures is not None:
            figures(ts, folder / "figures")

    write_atomically(out, fill, kind="run", label=label)
