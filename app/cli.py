"""``sovai ui``: serve the students' page (Mesa SolaraViz) on this machine.

Imports stay light here: Solara and Mesa's visualisation load only when the command runs.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import socket

from sim.errors import UserError

DEFAULT_PORT = 8765
APP = "analysis.ui"
#: The page works offline: no usage statistics sent, no version check, no hot reload.
SOLARA_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sovai ui [--port N] [--host H] [--no-open]``."""
    parser = subparsers.add_parser(
        "ui",
        help="serve the interactive page for students (levers, Step/Play/Reset, live charts)",
        description="Serve the interactive page (Mesa SolaraViz) and open it in a browser. Stop with Ctrl+C.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    parser.add_argument("--host", default="localhost", help="address to listen on (default localhost)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser; just print the address")
    parser.set_defaults(func=run_ui)


def check_port(host: str, port: int) -> None:
    """Raise :class:`UserError` unless ``port`` is valid and free on ``host``."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port} is not a port number; use 1 to 65535 (default {DEFAULT_PORT})")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except socket.gaierror:
            raise UserError(f"--host {host!r} is not an address this machine can listen on") from None
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} is already in use (is the page already running?); "
                    f"try another, e.g. `sovai ui --port {port + 1}`"
                ) from None
            raise UserError(f"cannot listen on {host}:{port}: {err.strerror}") from None


def run_ui(args: argparse.Namespace) -> int:
    """Serve the page until interrupted; return the exit code."""
    check_port(args.host, args.port)
    for key, value in SOLARA_ENV.items():
        os.environ.setdefault(key, value)  # read by Solara's settings when it is first imported
    for module in ("solara", "mesa.visualization"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            raise UserError(
                f"the page needs {err.name!r}, which is not installed; install the UI extra: pip install -e '.[ui]'"
            ) from None
    from solara.__main__ import cli

    print(f"sovai: serving the students' page at http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    argv = [
        "run",
        APP,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-check-version",
        "--no-open" if args.no_open else "--open",
    ]
    cli.main(args=argv, prog_name="solara", standalone_mode=False)
    return 0
