"""Errors that reach the user as one clear message (never a traceback), and the hint they carry."""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable

#: Errors of the machine rather than of the input: the CLI reports them in one line with exit code 1.
_ENVIRONMENT_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the filesystem is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
}


class UserError(Exception):
    """Bad input from the user: the CLI prints the message and exits with :attr:`exit_code`.

    Subclasses for a failing environment rather than bad input (a lost cluster) set it to 1.
    """

    exit_code = 2


class ScenarioError(UserError, ValueError):
    """A scenario file that is missing, malformed or sets an unknown or invalid parameter."""


def environment_message(err: OSError) -> str:
    """One line for an error of the machine (disk full, read-only, permissions), naming the path."""
    what = _ENVIRONMENT_HINTS.get(err.errno or 0) or err.strerror or str(err)
    where = f" {err.filename}" if err.filename else ""
    return f"cannot write{where}: {what}; nothing half-written was left, earlier outputs are kept"


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
