"""The ``sovai`` command line.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func``; this module only assembles them and turns user errors into one line and
exit code 2 (errors of the machine, such as a full disk, exit code 1).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sim.errors import UserError, environment_message

#: Modules that contribute subcommands, in the order ``sovai --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "sovai.commands",
    "experiments.cli",
    "analysis.cli",
    "app.cli",
    "analysis.calibration_cli",
    "analysis.decision_cli",
    "analysis.validation_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every available subcommand."""
    from sovai import __version__

    parser = argparse.ArgumentParser(
        prog="sovai",
        description="The open simulator for national AI strategy (Japan's sovereign-AI ecosystem).",
    )
    parser.add_argument("--version", action="version", version=f"sovai {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # the module exists but something it needs is missing
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sovai`` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that has gone away is noticed here, not at interpreter exit
        return code
    except BrokenPipeError:
        # `sovai params | head`: the reader closed the pipe. Stop quietly; point stdout at devnull so
        # the interpreter's last flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UserError as err:
        print(f"sovai: error: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:  # the machine, not the input: disk full, read-only, permissions
        print(f"sovai: error: {environment_message(err)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("sovai: error: out of memory; use a smaller size (fewer agents, samples or runs)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sovai: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
