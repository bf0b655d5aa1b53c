"""``sovai ui``: serve the students' page on this machine (or to a classroom with ``--host``).

The page is a Solara app (:mod:`app.layout`) served by uvicorn, started here rather than through
``solara run`` so that the server listens on 127.0.0.1 unless told otherwise, releases a student's
session soon after their tab closes, and stops within a second or two of SIGTERM or Ctrl+C.

Imports stay light here: Solara loads only when the command runs.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import socket
import threading

from sim.errors import UserError

DEFAULT_PORT = 8765
APP = "app.layout"
DEFAULT_HOST = "127.0.0.1"
#: Seconds the server waits for open pages when asked to stop, before it closes them.
SHUTDOWN_GRACE_S = 1
#: The page works offline (no usage statistics sent); a session whose tab has gone (closed without
#: saying so, or a lost connection) is closed after this long, which frees its memory. Either can be
#: set in the environment instead.
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_KERNEL_CULL_TIMEOUT": "60s",
    # Reacton's tree walk that skips unchanged parts of the page: halves the server's time per Step.
    "REACTON_FAST": "1",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sovai ui [--port N] [--host H] [--no-open]``."""
    parser = subparsers.add_parser(
        "ui",
        help="serve the interactive page for students (levers, Step/Play/Reset, live charts)",
        description="Serve the interactive page (Mesa SolaraViz) and open it in a browser. Stop with Ctrl+C.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0 serves a classroom)",
    )
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
    for module in ("solara", "uvicorn"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            raise UserError(
                f"the page needs {err.name!r}, which is not installed; install the UI extra: pip install -e '.[ui]'"
            ) from None
    import solara.server.settings
    import uvicorn

    os.environ["SOLARA_APP"] = APP
    solara.server.settings.main.mode = "production"
    url = f"http://{args.host}:{args.port}"
    print(f"sovai: serving the students' page at {url} (Ctrl+C stops it)", flush=True)
    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    server = uvicorn.Server(config)
    if not args.no_open:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run()
    return 0


def _open_when_started(server: object, url: str) -> None:
    """Open the page in the user's browser once the server answers."""
    import time
    import webbrowser

    for _ in range(600):
        if getattr(server, "started", False):
            webbrowser.open(url)
            return
        time.sleep(0.1)
