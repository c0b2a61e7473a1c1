"""Each LEA's gap on each topic: the signals weighed into the ``lea_topics`` table.

The gap is the weighted mean of the signals of :mod:`needsassess.signals`
an LEA gave evidence for (``gap.weights`` in ``data/scoring.toml``; see
``docs/method.md``).  The work is done on whole columns: one integer per
(LEA, topic) cell, numpy for the maxima and means, so a thousand LEAs
take a few hundredths of a second.

Examples
--------
>>> import pandas as pd
>>> leas = pd.DataFrame({"file": ["a.xlsx"], "lea_id": ["1"], "lea_name": ["Alder"]})
>>> table = combine_signals({"priority": [("a.xlsx", "1", "substance_use", 1.0, "vaping")]},
...                         [("a.xlsx", "1", "substance_use", 2 / 3, 2.0, "Prevent substance use")], leas)
>>> row = table.iloc[0]  # (0.35 x 1 + 0.30 x 2/3) / (0.35 + 0.30): the weights of the signals present
>>> row["topic"], round(float(row["gap"]), 4), row["terms"]
('substance_use', 0.8462, 'vaping; rated 2: Prevent substance use')
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from .columns import array, key_codes, lists, objects, sort_rank
from .requests import find_requests
from .signals import (
    SettingsLike, TaxonomyLike, capacity_signal, indicator_signal, priority_signal, request_signal, spending_signal,
)
from .spending import check_spending
from .tables import READER_TABLES, SCORE_TABLES
from .taxonomy import Settings, Taxonomy, load_settings, load_taxonomy

SIGNALS = ("priority", "capacity", "request", "indicator", "spending")
LEA_TOPIC_COLUMNS = SCORE_TABLES["lea_topics"]
_KEYS = ["file", "lea_id"]


# ---------------------------------------------------------------- inputs
def as_tables(tables: Any) -> dict[str, pd.DataFrame]:
    """The reader's tables from an object with attributes or a mapping.

    A missing table is empty, a missing column is added empty, so every
    stage can rely on the declared columns.
    """
    out = {}
    for name, cols in READER_TABLES.items():
        df = tables.get(name) if isinstance(tables, Mapping) else getattr(tables, name, None)
        df = pd.DataFrame(columns=cols) if df is None else df
        absent = [c for c in cols if c not in df.columns]
        out[name] = df.assign(**{c: pd.Series(dtype=object, index=df.index) for c in absent}) if absent else df
    return out


def lea_list(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every LEA in the tables (file, lea_id, lea_name), in file order."""
    seen: set[tuple[Any, Any]] = set()
    parts = [_first_rows(tables["leas"].reindex(columns=[*_KEYS, "lea_name"]), seen)]
    parts += [_first_rows(tables[n][_KEYS], seen) for n in ("responses", "ratings", "needs", "indicators")
              if len(tables[n])]
    leas = pd.concat(parts, ignore_index=True)
    leas = leas[leas["file"].notna() | leas["lea_id"].notna()]
    leas["lea_name"] = leas["lea_name"].where(leas["lea_name"].notna(), "")
    return leas.sort_values(_KEYS, kind="stable").reset_index(drop=True)


def _first_rows(frame: pd.DataFrame, seen: set[tuple[Any, Any]]) -> pd.DataFrame:
    """The rows of ``frame`` whose (file, lea_id) is not in ``seen`` nor on an earlier row; adds them to ``seen``."""
    codes, keys = key_codes(array(frame["file"]), array(frame["lea_id"]))
    # codes count up from 0 in order of first appearance: a key first appears where the running maximum grows
    firsts = np.flatnonzero(codes > np.maximum.accumulate(np.concatenate(([-1], codes[:-1]))))
    keep = [row for row, key in zip(firsts.tolist(), keys) if key not in seen]
    seen.update(keys)
    return frame.take(keep)


# ---------------------------------------------------------------- gaps
def combine_signals(signals: Mapping[str, list[tuple]], ratings: list[tuple], leas: pd.DataFrame, *,
                    taxonomy: TaxonomyLike = None, settings: SettingsLike = None,
                    spoke: Mapping[str, set[tuple[str, str]]] | None = None) -> pd.DataFrame:
    """The ``lea_topics`` table from signal rows.

    The gap is the weighted mean of the signals present for the LEA and
    topic (``gap.weights``).  A signal the LEA gave no evidence for at all
    is left out, not counted as 0; but where ``spoke[signal]`` holds the LEA
    (it listed needs, or answered the questions) and it said nothing of
    this topic, that silence counts as 0: an LEA's own priorities and asks
    weigh against what only its ratings or indicators suggest.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    rows = _gather(signals, ratings, tax.by_key)
    # one integer per (file, lea_id, topic) cell, numbered in order of first appearance
    lea_of_row, lea_keys = key_codes(array(rows.files), array(rows.ids))
    t_code, t_uni = pd.factorize(np.array(rows.topics, dtype=object), use_na_sentinel=False)
    n_t = max(len(t_uni), 1)
    cell, cell_uni = pd.factorize(lea_of_row * n_t + t_code)
    n, ns = len(cell_uni), rows.n_signal
    cell_lea, cell_t = cell_uni // n_t, cell_uni % n_t
    lea_file = np.array([f for f, _ in lea_keys], dtype=object)
    lea_id = np.array([i for _, i in lea_keys], dtype=object)
    # each signal: the largest value; capacity and rating: the mean over the ratings (added up in row order)
    table = np.full((n, len(SIGNALS)), np.nan)
    np.fmax.at(table, (cell[:ns], np.asarray(rows.kinds, dtype=np.int64)), np.asarray(rows.values, dtype=float))
    by_rating = cell[ns:]
    count = np.bincount(by_rating, minlength=n)
    has = count > 0
    table[has, SIGNALS.index("capacity")] = np.bincount(by_rating, rows.gaps, n)[has] / count[has]
    rating = np.full(n, np.nan)
    rating[has] = np.bincount(by_rating, rows.ratings, n)[has] / count[has]
    for name, keys in (spoke or {}).items():
        # one workbook holds one LEA, so the file alone identifies it
        files = {f for f, _ in keys}
        spoken = np.array([f in files for f in lea_file], dtype=bool)
        column = table[:, SIGNALS.index(name)]
        column[np.isnan(column) & spoken[cell_lea]] = 0.0
    weights = np.array([float(st.get(f"gap.weights.{s}")) for s in SIGNALS])
    den = (~np.isnan(table) * weights).sum(axis=1)
    gap = np.divide(np.nansum(table * weights, axis=1), den, out=np.zeros(n), where=den > 0)
    sig = dict(zip(SIGNALS, table.T))
    with np.errstate(invalid="ignore"):
        need = ((sig["priority"] > 0) | (sig["request"] == 1) | (sig["spending"] == 1)
                | (rating <= float(st.get("need.max_rating")))
                | (sig["indicator"] >= float(st.get("need.min_indicator"))))
    area_of = {t.key: t.area for t in tax.topics}
    names = dict(zip(zip(objects(leas["file"]).tolist(), objects(leas["lea_id"]).tolist()), leas["lea_name"].tolist()))
    lea_names = np.array([names.get(key, "") for key in lea_keys], dtype=object)
    order = np.lexsort((sort_rank(t_uni)[cell_t], -gap, sort_rank(lea_id)[cell_lea], sort_rank(lea_file)[cell_lea]))
    columns = {"file": lea_file[cell_lea], "lea_id": lea_id[cell_lea], "topic": t_uni[cell_t],
               "area": np.array([area_of.get(t, np.nan) for t in t_uni], dtype=object)[cell_t],
               "gap": gap, "lea_name": lea_names[cell_lea], **sig, "rating": rating, "need": need,
               "terms": np.array(_cell_terms(cell, rows.terms, ns, n), dtype=object)}
    return pd.DataFrame({c: columns[c][order] for c in LEA_TOPIC_COLUMNS})


class _Rows(NamedTuple):
    """Every signal row (topics the taxonomy knows), then every rating, as columns."""

    files: list[Any]
    ids: list[Any]
    topics: list[Any]
    kinds: list[int]      # per signal row: its place in SIGNALS
    values: list[float]   # per signal row
    terms: list[Any]      # per row, the signal rows' first: the order a cell lists its terms in
    n_signal: int
    gaps: np.ndarray      # per rating
    ratings: np.ndarray   # per rating


def _gather(signals: Mapping[str, list[tuple]], ratings: list[tuple], known: Mapping[str, Any]) -> _Rows:
    files: list[Any] = []
    ids: list[Any] = []
    topics: list[Any] = []
    kinds: list[int] = []
    values: list[float] = []
    terms: list[Any] = []
    for s, name in enumerate(SIGNALS):
        rows = [r for r in signals.get(name, ()) if r[2] in known]
        if rows:
            f, i, t, v, w = zip(*rows)
            files += f
            ids += i
            topics += t
            values += v
            terms += w
            kinds += [s] * len(rows)
    n_signal = len(files)
    rated = list(zip(*ratings)) if ratings else [()] * 6
    said = {p: f"rated {p[0]:g}: {p[1]}" for p in set(zip(rated[4], rated[5]))}  # few distinct pairs
    return _Rows(files + list(rated[0]), ids + list(rated[1]), topics + list(rated[2]), kinds, values,
                 terms + [said[p] for p in zip(rated[4], rated[5])], n_signal,
                 np.asarray(rated[3], dtype=float), np.asarray(rated[4], dtype=float))


def _cell_terms(cell: np.ndarray, terms: list[Any], n_signal: int, n: int) -> list[str]:
    """Each cell's terms, "; "-joined: its signals' (once each), then every rating's."""
    found: list[list[str]] = [[] for _ in range(n)]
    for c, w in zip(cell[:n_signal].tolist(), terms[:n_signal]):
        if w and w not in found[c]:
            found[c].append(w)
    for c, w in zip(cell[n_signal:].tolist(), terms[n_signal:]):
        found[c].append(w)
    return ["; ".join(x) for x in found]


def lea_gaps(tables: Any, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None,
             requests: pd.DataFrame | None = None, spending: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``lea_topics`` table: each LEA's gap on each topic it shows a signal for.

    Parameters
    ----------
    tables : object or mapping
        The reader's tables (see :func:`as_tables`).
    requests, spending : DataFrame, optional
        Already computed ``tta_requests`` and ``spending`` tables; found from
        ``tables`` when not given.
    """
    return gaps_and_unclassified(as_tables(tables), load_taxonomy(taxonomy), load_settings(settings), requests,
                                 spending)[0]


def gaps_and_unclassified(t: Mapping[str, pd.DataFrame], tax: Taxonomy, st: Settings,
                          requests: pd.DataFrame | None, spending: pd.DataFrame | None,
                          leas: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[tuple]]:
    """The ``lea_topics`` table, and the needs and requests that named no topic (see :func:`lea_gaps`).

    ``t`` as from :func:`as_tables`; ``leas`` as from :func:`lea_list`, found when not given.
    """
    if requests is None:
        requests = find_requests(t["responses"], taxonomy=tax, leas=t["leas"])
    if spending is None:
        spending = check_spending(t["leas"], t["needs"], settings=st)
    priority, unclassified = priority_signal(t["needs"], taxonomy=tax, settings=st)
    ratings, wanted = capacity_signal(t["ratings"], taxonomy=tax)
    signals = {"priority": priority, "request": request_signal(requests) + wanted,
               "indicator": indicator_signal(t["indicators"], taxonomy=tax, settings=st),
               "spending": spending_signal(spending)}
    unclassified += [(f, i, "request", s, sh, c) for f, i, s, sh, c, topic in
                     zip(*lists(requests, "file", "lea_id", "sentence", "sheet", "cell", "topic")) if not topic]
    leas = lea_list(t) if leas is None else leas
    return combine_signals(signals, ratings, leas, taxonomy=tax, settings=st, spoke=_spoke(t)), unclassified


def _spoke(t: Mapping[str, pd.DataFrame]) -> dict[str, set[tuple[str, str]]]:
    """The LEAs that gave each kind of self-reported evidence at all."""
    answered = t["responses"]
    if "placeholder" in answered:
        answered = answered[~answered["placeholder"].fillna(False).astype(bool)]
    asked = t["ratings"][t["ratings"]["tta_wanted"].notna()] if "tta_wanted" in t["ratings"] else t["ratings"].iloc[:0]
    return {"priority": set(zip(*lists(t["needs"], "file", "lea_id"))),
            "request": set(zip(*lists(answered, "file", "lea_id"))) | set(zip(*lists(asked, "file", "lea_id")))}
