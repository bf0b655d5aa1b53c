"""Reading the TOML files users give (scenarios, run parameters, experiment and compare files).

One reader for all of them, so every kind of bad file gets the same one-line error: missing, not
text, malformed, nested too deeply for the parser, or too big to be such a file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.errors import UserError

#: Largest file read (bytes): an input file is a few kilobytes; anything this big is a wrong path.
MAX_BYTES = 16 * 2**20


def read_toml(path: str | Path, error: type[UserError], what: str = "file") -> tuple[str, dict[str, Any]]:
    """The text and the parsed table of a TOML file.

    Args:
        path: The file.
        error: The :class:`UserError` subclass to raise (so each loader keeps its own kind of error).
        what: What the file is, for the message ("scenario file", "experiment file").

    Raises:
        error: the file is missing, not a regular file, too big, not UTF-8 text or not valid TOML.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise error(f"{what} {str(path)!r} does not exist (or is not a regular file)")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(f"{path}: {size:,} bytes is too big for a {what} (at most {MAX_BYTES:,}); wrong file?")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise error(f"{path}: not a text file (byte {err.start} is not UTF-8); give a TOML {what}") from None
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: malformed TOML: {err}") from None
    except RecursionError:
        raise error(f"{path}: malformed TOML: arrays or tables nested too deeply") from None
