"""The shipped data tables, as pandas copies, named-tuple rows and shared NumPy columns."""

import numpy as np
import pytest

from sim import data


@pytest.mark.parametrize("name", data.TABLES)
def test_columns_are_the_table_read_only(name):
    frame, cols = data.table(name), data.columns(name)
    assert list(cols) == list(frame.columns)
    for column, values in cols.items():
        assert values.dtype == frame[column].to_numpy().dtype  # text columns as object arrays of str
        assert values.tolist() == frame[column].tolist()
        with pytest.raises(ValueError, match="read-only"):
            values[0] = values[1]
    with pytest.raises(TypeError):
        cols["extra"] = np.zeros(1)  # shared by every run: the mapping cannot change either
    assert data.columns(name) is cols  # read once a process


def test_unknown_table():
    with pytest.raises(KeyError, match="no data table"):
        data.columns("nope")
