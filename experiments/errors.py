"""Errors of the experiment machinery that reach the user as one line (exit code 2)."""

from __future__ import annotations

from sim.errors import UserError


class ExperimentError(UserError, ValueError):
    """A bad experiment file or option: the message names the file, the field, the value and what is allowed."""


class StoreError(UserError):
    """A results folder that cannot be used: not a sweep, another sweep's, or locked by a running sweep."""


class ClusterError(UserError):
    """The Dask cluster cannot run the sweep (every worker gone, scheduler unreachable); results so far are kept.

    Not the user's input but their environment, so the command exits with status 1.
    """

    exit_code = 1
