"""Sizes the machine can hold: refuse a job whose tables cannot fit in memory, before allocating them."""

from __future__ import annotations

from sim.errors import UserError

#: Bytes per table cell (a float64), times the copies made while a table is built, sorted and written.
BYTES_PER_CELL = 8 * 6


def check_fits_in_memory(
    rows: int,
    columns: int,
    *,
    what: str,
    hint: str,
    error: type[UserError],
    rows_name: str = "runs",
    available_bytes: int | None = None,
) -> None:
    """Raise ``error`` when a table of ``rows`` x ``columns`` numbers would not fit in this machine's memory.

    Args:
        rows: Rows of the table (runs).
        columns: Numbers per row.
        what: What the table is, for the message ("the lhs design of exp.toml").
        hint: What to lower ("lower samples").
        error: The :class:`UserError` subclass to raise.
        rows_name: What a row is, for the message.
        available_bytes: Memory to compare with (default: the machine's total memory).
    """
    if available_bytes is None:
        import psutil

        available_bytes = psutil.virtual_memory().total
    need = rows * columns * BYTES_PER_CELL
    if need > available_bytes:
        raise error(
            f"{what} has {rows:.3g} {rows_name}; its table alone would need about {need / 2**30:,.0f} GiB of memory "
            f"and this machine has {available_bytes / 2**30:,.0f} GiB; {hint}"
        )
