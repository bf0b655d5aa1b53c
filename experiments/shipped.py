"""The experiment and compare files shipped with sovai, found by name wherever sovai is installed.

``sovai sweep levers_lhs`` and ``sovai compare instrument_comparison`` name a shipped file; so does
the path the docs show (``experiments/levers_lhs.toml``) when it is not in the working directory,
as after ``pip install`` of the wheel. A file that exists where the user points always wins.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sim.errors import UserError, suggest

#: The folder of the shipped files (package data of ``experiments``).
SHIPPED_DIR = Path(__file__).resolve().parent


#: A shipped file's main table and the command that runs it.
FILE_KINDS = {"experiment": "sweep", "compare": "compare", "optimise": "optimise"}


def shipped_files() -> dict[str, tuple[str, str]]:
    """Name -> (command that runs it, one-line description) of every shipped file, by name."""
    out = {}
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        # Which command reads a file follows from its main table.
        command, table = next(
            ((command, data[key]) for key, command in FILE_KINDS.items() if isinstance(data.get(key), dict)),
            ("?", {}),
        )
        out[path.stem] = (command, table.get("description", ""))
    return out


def find_file(name_or_path: str | Path, *, kind: str, error: type[UserError]) -> Path:
    """The file a user named: their own file if it exists, else the shipped file of that name.

    Args:
        name_or_path: A path, a shipped name (``levers_lhs``) or the path the docs show
            (``experiments/levers_lhs.toml``).
        kind: "experiment" or "compare", for the message.
        error: The error type to raise.

    Raises:
        UserError: (of type ``error``) neither exists; the message suggests the nearest shipped names.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SHIPPED_DIR / f"{path.stem}.toml"
    looks_shipped = path.parent in (Path("."), Path("experiments")) and path.suffix in ("", ".toml")
    if looks_shipped and shipped.is_file():
        return shipped
    names = list(shipped_files())
    raise error(
        f"{kind} file {str(name_or_path)!r} does not exist and is not a shipped one; "
        f"{suggest(path.stem, names, 'shipped: ' + ', '.join(names))} (`sovai experiments` lists them)"
    )
