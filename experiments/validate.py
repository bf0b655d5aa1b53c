"""Checking the TOML files users write (experiment, compare and optimise files) with one set of rules.

Every error is one line naming the file, the line, the field, the value and what is allowed, e.g.
``exp.toml:4: [experiment] desing: unknown field; did you mean design?``. Loaders read a file with
:meth:`TomlFile.read`, check its tables and keys, and take typed fields through the readers here, so
the three file kinds answer a typo or a wrong type in the same words.

Example:
    >>> f = TomlFile.read("my.toml", kind="compare", error=CompareError)  # doctest: +SKIP
    >>> f.check_tables(("compare", "constants"))  # doctest: +SKIP
    >>> head = f.table("compare", required=True)  # doctest: +SKIP
    >>> f.check_keys("compare", head, ("name", "replications"))  # doctest: +SKIP
    >>> reps = f.integer("compare", head, "replications", 10, minimum=2)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import UserError, suggest
from sim.tomlfiles import read_toml

__all__ = ["TomlFile", "is_number", "suggest"]


def is_number(value: Any) -> bool:
    """True for a finite int or float (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class TomlFile:
    """A user's TOML file, parsed, with errors that point at the line of the field at fault.

    Args:
        path: The file (as the user named it; shown in messages).
        text: Its text.
        data: The parsed TOML.
        error: The :class:`UserError` subclass raised for a bad field.
    """

    def __init__(self, path: Path, text: str, data: dict[str, Any], error: type[UserError]) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.error_type = error
        self.lines = text.splitlines()

    @classmethod
    def read(cls, path: str | Path, *, kind: str, error: type[UserError]) -> TomlFile:
        """Read and parse ``path``.

        Args:
            path: The file.
            kind: What the file is, for the message when it is missing ("experiment", "compare", ...).
            error: The error type to raise.

        Raises:
            UserError: (of type ``error``) the file is missing, not UTF-8 or not valid TOML.
        """
        path = Path(path)
        text, data = read_toml(path, error, f"{kind} file")  # one reader: size, encoding, nesting checked
        return cls(path, text, data, error)

    # --- where ---------------------------------------------------------------------------------------

    def line(self, table: str, key: str | None = None) -> int:
        """Line of ``key`` in ``[table]`` (or of the table's header); 1 when not found."""
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=") if key else None
        in_table, header_line = False, 0
        for number, text in enumerate(self.lines, start=1):
            if re.match(r"^\s*\[", text):
                in_table = bool(header.match(text))
                if in_table and not header_line:
                    header_line = number
                    if key_re is None:
                        return number
            elif in_table and key_re and key_re.match(text):
                return number
        if not header_line and "." in table:
            # An inline table (``name = {low = 0, high = 1}``) inside its parent table.
            parent, _, child = table.rpartition(".")
            return self.line(parent, child)
        return header_line or 1

    def error(self, table: str, key: str | None, message: str) -> UserError:
        """The error for ``[table] key`` (or the whole table when ``key`` is None) saying ``message``."""
        field_name = f"[{table}] {key}" if key else f"[{table}]"
        return self.error_type(f"{self.path}:{self.line(table, key)}: {field_name}: {message}")

    # --- structure -----------------------------------------------------------------------------------

    def check_tables(self, allowed: Sequence[str], *, tables: Iterable[str] = ()) -> None:
        """Refuse top-level tables not in ``allowed``, and require ``tables`` among them to be tables."""
        for name in self.data:
            if name not in allowed:
                raise self.error(name, None, f"unknown table; {suggest(name, allowed)}")
        for name in tables:
            if name in self.data and not isinstance(self.data[name], dict):
                raise self.error(name, None, "must be a table")

    def table(self, name: str, *, required: bool = False, hint: str = "") -> dict[str, Any]:
        """The top-level table ``name`` (empty when absent and not ``required``)."""
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.error(name, None, f"missing{'; ' + hint if hint else ''}")
            return {}
        if not isinstance(value, dict):
            raise self.error(name, None, "must be a table")
        return value

    def check_keys(self, table: str, mapping: Mapping[str, Any], allowed: Sequence[str]) -> None:
        """Refuse keys of ``[table]`` not in ``allowed``, suggesting the nearest."""
        for key in mapping:
            if key not in allowed:
                raise self.error(table, key, f"unknown field; {suggest(key, allowed)}")

    # --- typed fields --------------------------------------------------------------------------------

    def string(self, table: str, mapping: Mapping[str, Any], key: str, default: str | None) -> str | None:
        """A string field (``default`` when absent; None only if the default is None)."""
        value = mapping.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.error(table, key, f"{value!r} must be a string")
        return value

    def integer(
        self, table: str, mapping: Mapping[str, Any], key: str, default: int | None, *, minimum: int
    ) -> int | None:
        """A whole-number field of at least ``minimum`` (``default`` when absent)."""
        value = mapping.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(table, key, f"{value!r} must be a whole number ≥ {minimum}")
        return value

    def number(
        self,
        table: str,
        mapping: Mapping[str, Any],
        key: str,
        default: float | None,
        *,
        low: float = -math.inf,
        high: float = math.inf,
        open_low: bool = False,
        required: bool = True,
    ) -> float | None:
        """A finite number in ``[low, high]`` (``(low, high]`` with ``open_low``); ``default`` when absent."""
        value = mapping.get(key, default)
        if value is None:
            if required:
                raise self.error(table, key, "missing")
            return None
        if not is_number(value) or value < low or value > high or (open_low and value == low):
            if open_low:
                bound = f"> {low:g}"
            elif math.isfinite(high) and math.isfinite(low):
                bound = f"between {low:g} and {high:g}"
            elif math.isfinite(low):
                bound = f"≥ {low:g}"
            else:
                bound = "" if not math.isfinite(high) else f"≤ {high:g}"
            raise self.error(table, key, f"{value!r} must be a number {bound}".rstrip())
        return float(value)

    def names(
        self, table: str, mapping: Mapping[str, Any], key: str, default: Sequence[str] | None = None
    ) -> tuple[str, ...] | None:
        """A non-empty list of names without repeats (``default`` when absent)."""
        value = mapping.get(key)
        if value is None:
            return None if default is None else tuple(default)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.error(table, key, f"{value!r} must be a non-empty list of names")
        if len(set(value)) != len(value):
            raise self.error(table, key, "lists a name twice")
        return tuple(value)
