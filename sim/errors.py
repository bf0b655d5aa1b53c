"""Errors that reach the user as one clear message (never a traceback)."""


class UserError(Exception):
    """Bad input from the user: the CLI prints the message and exits with code 2."""


class ScenarioError(UserError, ValueError):
    """A scenario file that is missing, malformed or sets an unknown or invalid parameter."""
