"""The whole-column helpers agree with the pandas operations they stand in for, to the last bit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from needsassess.columns import group_ids, key_codes, map_values, missing, objects, sort_rank

KEYS = st.sampled_from(["a.xlsx", "b.xlsx", "c.xlsx", None])
IDS = st.sampled_from(["1", "2", None])
# values that make pandas take each of its ways of adding up: few or many, with and without NaN
VALUES = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan), st.sampled_from([0.1, 0.2, 0.3]))


def frame_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["file", "lea_id", "value"]).astype({"file": "str", "lea_id": "str"})


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, IDS), max_size=40))
def test_key_codes_number_keys_like_factorize(keys):
    files = objects(np.array([f for f, _ in keys], dtype=object))
    ids = objects(np.array([i for _, i in keys], dtype=object))
    codes, found = key_codes(files, ids)
    expected = {}
    for key in keys:
        expected.setdefault(key, len(expected))
    assert codes.tolist() == [expected[k] for k in keys]
    assert found == list(expected)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(KEYS, IDS, VALUES), max_size=60), st.booleans(), st.booleans())
def test_grouping_by_ids_adds_up_exactly_as_grouping_by_the_keys(rows, sort, in_blocks):
    if in_blocks:  # the reader's order: an LEA's rows together (pandas then adds up another way)
        rows = sorted(rows, key=lambda r: (str(r[0]), str(r[1])))
    df = frame_of(rows)
    expected = df.groupby(["file", "lea_id"], sort=sort)["value"]
    ids, keys = group_ids(objects(df["file"]), objects(df["lea_id"]), sort=sort)
    got = df["value"].groupby(ids, sort=sort)
    for how in ("sum", "mean", "size"):
        want, have = getattr(expected, how)(), getattr(got, how)()
        assert [tuple(k) for k in want.index] == keys
        assert want.to_numpy().tobytes() == have.to_numpy().tobytes(), how  # the same bits, NaN included


def test_group_ids_leave_out_rows_with_a_missing_key():
    ids, keys = group_ids(np.array(["b", None, "a", "b"], dtype=object), np.array(["1", "1", None, "1"], dtype=object))
    assert keys == [("b", "1")]
    assert ids[0] == ids[3] == 0 and math.isnan(ids[1]) and math.isnan(ids[2])


@given(st.lists(st.one_of(st.text(max_size=3), st.none(), st.just(math.nan)), max_size=30))
def test_sort_rank_sorts_like_pandas(values):
    uniques = list(dict.fromkeys(v for v in values if not missing(v))) + ([None] if any(map(missing, values)) else [])
    rank = sort_rank(np.array(uniques, dtype=object))
    order = pd.Series(uniques, dtype=object).sort_values(kind="stable", na_position="last").index.tolist()
    assert sorted(range(len(uniques)), key=lambda k: rank[k]) == order


def test_map_values_calls_once_per_distinct_value():
    calls = []
    out = map_values(["x", "y", "x", math.nan, "x"], lambda v: calls.append(v) or str(v).upper())
    assert out == ["X", "Y", "X", "NAN", "X"] and calls[:2] == ["x", "y"] and len(calls) == 3


def test_objects_turns_every_missing_value_into_none():
    out = objects(pd.Series(["a", None, math.nan], dtype="str"))
    assert out.tolist() == ["a", None, None]
    assert objects(pd.Series([pd.NA, "b"], dtype="string")).tolist() == [None, "b"]


def test_key_codes_take_any_missing_value_as_one():
    column = np.array(["a", pd.NA, math.nan, None, "a", math.nan], dtype=object)
    codes, keys = key_codes(column)
    assert codes.tolist() == [0, 1, 1, 1, 0, 1] and keys == [("a",), (None,)]
