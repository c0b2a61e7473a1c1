"""Small helpers for working on whole columns rather than row by row.

The scorer's tables have one block of rows per LEA (a workbook's rows come
together), and most text columns hold few distinct values.  These helpers
use both facts to number keys and map values without hashing every row,
which is what ``groupby`` and ``factorize`` spend most of their time on
with text keys.

Examples
--------
>>> import numpy as np
>>> codes, keys = key_codes(np.array(["a", "a", "b", "a"], dtype=object), np.array(["1", "1", "2", "1"], dtype=object))
>>> codes.tolist(), keys
([0, 0, 1, 0], [('a', '1'), ('b', '2')])
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd


def missing(value: Any) -> bool:
    """Whether ``value`` is a missing value (None, NaN or ``pd.NA``)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def array(values: pd.Series | np.ndarray | list[Any]) -> np.ndarray:
    """The values as an object array (the column's own when it is one)."""
    return values.to_numpy(object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)


def objects(values: pd.Series | np.ndarray | list[Any]) -> np.ndarray:
    """The values as an object array in which every missing value is None."""
    out = array(values)
    gone = pd.isna(out)
    if gone.any():
        out = out.copy()
        out[gone] = None
    return out


def key_codes(*columns: np.ndarray) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Number the rows' keys (a value from each column) in order of first appearance.

    Equivalent to ``pd.factorize`` of the key tuples, missing values all
    alike (and None in the keys returned), but only rows where the key
    changes are looked up, so a table in blocks of equal keys costs a
    comparison per row.

    Parameters
    ----------
    *columns : object arrays of the same length

    Returns
    -------
    codes, keys
        An int64 code per row, and the key of each code.
    """
    n = len(columns[0])
    change = np.zeros(n, dtype=bool)
    change[:1] = True
    try:
        for col in columns:
            change[1:] |= col[1:] != col[:-1]  # a missing value (NaN) always "changes": its run is looked up
    except TypeError:  # pd.NA cannot say whether it equals anything
        return key_codes(*(objects(col) for col in columns))
    starts = np.flatnonzero(change)
    firsts = []  # each run's first value, every missing one as None
    for col in columns:
        first = col[starts]
        gone = pd.isna(first)
        if gone.any():
            first = first.copy()
            first[gone] = None
        firsts.append(first.tolist())
    code_of: dict[tuple[Any, ...], int] = {}
    run_codes = [code_of.setdefault(key, len(code_of)) for key in zip(*firsts)]
    lengths = np.diff(np.append(starts, n))
    return np.repeat(np.asarray(run_codes, dtype=np.int64), lengths), list(code_of)


def group_ids(*columns: np.ndarray, sort: bool = True) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Keys for ``groupby`` that group the rows exactly as the columns themselves would, but faster.

    ``values.groupby(ids)`` makes the same groups, numbered the same way
    (sorted keys, or first appearance with ``sort=False``), and leaves out
    the same rows (any missing value), as ``groupby`` by the text columns:
    so pandas takes the same path and its sums and means agree to the last
    bit.  Only it need not hash the text of every row.

    Parameters
    ----------
    *columns : object arrays of the same length
    sort : bool
        As ``groupby``'s ``sort``.

    Returns
    -------
    ids, keys
        A float per row (NaN: left out), and the key of each id 0, 1, ...

    Examples
    --------
    >>> import numpy as np
    >>> ids, keys = group_ids(np.array(["b", "a", None, "b"], dtype=object))
    >>> ids.tolist(), keys
    ([1.0, 0.0, nan, 1.0], [('a',), ('b',)])
    """
    codes, keys = key_codes(*columns)
    complete = [k for k, key in enumerate(keys) if None not in key]
    if sort:
        try:
            complete.sort(key=keys.__getitem__)
        except TypeError:  # values of different kinds: an order all the same
            complete.sort(key=lambda k: tuple((type(v).__name__, v) for v in keys[k]))
    number = np.full(len(keys), np.nan)
    number[complete] = np.arange(len(complete))
    return number[codes], [keys[k] for k in complete]


def map_values(values: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``fn`` of each value, computed once per distinct value (a column of few distinct values).

    Faster than ``pd.factorize`` for text: a dict lookup per value.
    """
    done = {v: fn(v) for v in dict.fromkeys(values)}
    return [done[v] for v in values]


def sort_rank(uniques: np.ndarray | list[Any]) -> np.ndarray:
    """Each value's place in sorted order, missing values last (as ``sort_values`` places them)."""
    values = list(uniques)
    present = [k for k, v in enumerate(values) if not missing(v)]
    rank = np.full(len(values), len(present), dtype=np.int64)
    rank[sorted(present, key=values.__getitem__)] = np.arange(len(present))
    return rank


def lists(frame: pd.DataFrame, *names: str) -> list[list[Any]]:
    """Columns as plain lists, for fast row loops."""
    return [frame[n].tolist() for n in names]


def texts(values: Iterable[Any]) -> list[str]:
    """Each value stripped, or "" when it is not text."""
    values = values.tolist() if isinstance(values, pd.Series) else values  # iterating a Series is slow
    return [v.strip() if isinstance(v, str) else "" for v in values]
