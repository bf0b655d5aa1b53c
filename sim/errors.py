"""Errors that reach the user as one clear message (never a traceback), and the hint they carry."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """Bad input from the user: the CLI prints the message and exits with :attr:`exit_code`.

    Subclasses for a failing environment rather than bad input (a lost cluster) set it to 1.
    """

    exit_code = 2


class ScenarioError(UserError, ValueError):
    """A scenario file that is missing, malformed or sets an unknown or invalid parameter."""


def suggest(name: str, allowed: Iterable[str], otherwise: str | None = None) -> str:
    """The hint for an unknown ``name``: the nearest allowed names, else ``otherwise`` (default: all of them).

    Example:
        >>> suggest("desing", ["design", "samples"])
        'did you mean design?'
    """
    allowed = list(allowed)
    near = difflib.get_close_matches(name, allowed, n=3, cutoff=0.5)
    if near:
        return f"did you mean {', '.join(near)}?"
    return otherwise if otherwise is not None else f"allowed: {', '.join(allowed)}"
