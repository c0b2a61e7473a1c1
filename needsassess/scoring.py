"""The statewide ranking of T/TA topics, and :func:`score`, the whole scoring stage.

Pure functions over the reader's tables: :mod:`needsassess.signals` and
:mod:`needsassess.gaps` turn them into per-LEA gaps, this module ranks the
topics across LEAs and :mod:`needsassess.plan` plans the T/TA.  Every
weight and threshold comes from ``data/scoring.toml`` (see
``docs/method.md``).

Examples
--------
>>> from needsassess.tables import frame
>>> tables = {
...     "leas": frame("leas", [{"file": "a.xlsx", "lea_id": "1", "lea_name": "Alder"}]),
...     "needs": frame("needs", [{"file": "a.xlsx", "lea_id": "1", "priority": 1, "area": "SHS",
...                               "need": "Reduce vaping among students"}]),
... }
>>> result = score(tables)
>>> first = result.topics.iloc[0]
>>> first["topic"], int(first["n_leas"]), int(first["rank"])
('substance_use', 1, 1)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .columns import array, group_ids
from .plan import find_cohorts, plan_tta
from .requests import find_requests
from .gaps import SIGNALS, as_tables, gaps_and_unclassified, lea_gaps, lea_list
from .memory import collector_paused
from .signals import SettingsLike, TaxonomyLike
from .spending import check_spending
from .tables import write_csv_tables, SCORE_TABLES
from .taxonomy import RANKING_METHODS, Settings, Taxonomy, load_settings, load_taxonomy

__all__ = [  # the signals' entry points stay importable from here
    "SIGNALS", "Scores", "as_tables", "kendall_tau_b", "lea_gaps", "lea_list", "method_agreement", "rank_topics",
    "score", "wilson_interval",
]

TOPIC_COLUMNS = SCORE_TABLES["topics"]
AGREEMENT_COLUMNS = ["method_a", "method_b", "tau", "n_topics"]
UNCLASSIFIED_COLUMNS = ["file", "lea_id", "source", "text", "sheet", "cell"]


# ---------------------------------------------------------------- ranking
def wilson_interval(k: Any, n: Any, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k / n (NaN where n is 0).

    Examples
    --------
    >>> low, high = wilson_interval(5, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2366, 0.7634)
    """
    k, n = np.asarray(k, float), np.asarray(n, float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def kendall_tau_b(x: Any, y: Any) -> float:
    """Kendall's tau-b between two score lists, ties allowed; pairs with a NaN are left out.

    Examples
    --------
    >>> kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4])
    0.6666666666666666
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return math.nan
    i, j = np.triu_indices(len(x), 1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    den = math.sqrt(np.abs(sx).sum() * np.abs(sy).sum())
    return float((sx * sy).sum() / den) if den else math.nan


def _rank(values: np.ndarray, topics: list[str]) -> np.ndarray:
    """1 = highest value; missing values last; ties by topic key."""
    filled = np.where(np.isnan(values), -np.inf, values)
    order = sorted(range(len(topics)), key=lambda k: (-filled[k], topics[k]))
    rank = np.empty(len(topics), dtype=np.int64)
    rank[order] = np.arange(1, len(topics) + 1)
    return rank


def _per_topic(values: pd.Series, ids: np.ndarray, how: str, place: np.ndarray) -> np.ndarray:
    """``values`` aggregated per topic (``how``: a groupby method), for the taxonomy's topics.

    ``ids`` are the rows' topics as from :func:`~needsassess.columns.group_ids`
    (grouped as by the names, so pandas' sums and means are the same to the
    last bit, without hashing every row's text); ``place`` is each taxonomy
    topic's id (NaN: no row).  NaN for a topic without rows.
    """
    return getattr(values.groupby(ids), how)().reindex(place).to_numpy(float)


def rank_topics(lea_topics: pd.DataFrame, *, n_leas: int, taxonomy: TaxonomyLike = None,
                settings: SettingsLike = None) -> pd.DataFrame:
    """The ``topics`` table: every topic of the taxonomy, best rank first.

    Parameters
    ----------
    lea_topics : DataFrame
        From :func:`lea_gaps`.
    n_leas : int
        Number of LEAs read (the denominator of prevalence).  With none, the
        table is empty.

    Returns
    -------
    DataFrame
        ``n_leas`` LEAs with the need; ``prevalence`` n_leas / all LEAs and
        its Wilson interval; ``severity`` their mean gap (0 when none);
        ``score`` and ``rank`` by the default method (``ranking.default``);
        then each method's value and rank, ``top_methods`` (in how many of
        ``ranking.methods`` the topic is in the top ``ranking.top_n``) and
        ``consensus`` (in the top N under more than ``consensus_share`` of
        them).
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    cols = TOPIC_COLUMNS
    if not n_leas:
        return pd.DataFrame({c: pd.Series(dtype=float if c not in ("topic", "area", "label") else str)
                             for c in cols})
    lt = lea_topics
    keys = [t.key for t in tax.topics]
    n = len(keys)
    ids, names = group_ids(array(lt["topic"]))
    id_of = {name: i for i, (name,) in enumerate(names)}
    place = np.array([id_of.get(k, np.nan) for k in keys], dtype=float)
    # each row's topic by its place in the taxonomy; topics it does not have (and none) as n, counted nowhere
    index_of = np.array([keys.index(t) if t in keys else n for (t,) in names] + [n], dtype=np.int64)
    code = index_of[np.where(np.isnan(ids), len(names), ids).astype(np.int64)]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(code[mask], minlength=n + 1)[:n]

    need = lt["need"].astype(bool).to_numpy()
    rated = lt["rating"].notna().to_numpy()
    target = float(st.get("ranking.borich_target"))
    importance = 1 + 3 * lt.loc[rated, ["priority", "request"]].max(axis=1).fillna(0.0)
    discrepancy = (target - lt.loc[rated, "rating"]).clip(lower=0)
    topics = pd.DataFrame({"topic": keys, "area": [t.area for t in tax.topics],
                           "label": [t.label for t in tax.topics]})
    topics["n_leas"] = count(need)
    topics["prevalence"] = topics["n_leas"] / n_leas
    low, high = wilson_interval(topics["n_leas"], n_leas, confidence=float(st.get("ranking.confidence")))
    topics["prevalence_low"], topics["prevalence_high"] = low, high
    topics["severity"] = np.nan_to_num(_per_topic(lt.loc[need, "gap"], ids[need], "mean", place), nan=0.0)
    topics["prevalence_x_severity"] = topics["prevalence"] * topics["severity"]
    topics["borda"] = np.nan_to_num(_per_topic(lt["priority"], ids, "sum", place), nan=0.0)
    topics["borich"] = (_per_topic(discrepancy, ids[rated], "mean", place)
                        * _per_topic(importance, ids[rated], "mean", place))
    topics["requests"] = count((lt["request"] == 1).to_numpy())
    topics["n_rated"] = count(rated)
    topics["mean_rating"] = _per_topic(lt.loc[rated, "rating"], ids[rated], "mean", place)
    top_n = int(st.get("ranking.top_n"))
    methods = list(st.get("ranking.methods"))
    in_top = np.zeros(n, dtype=np.int64)
    for m in RANKING_METHODS:
        value = topics[m].to_numpy(float)
        topics[f"rank_{m}"] = rank = _rank(value, keys)
        if m in methods:
            in_top += (rank <= top_n) & (value > 0)
    topics["top_methods"] = in_top
    topics["consensus"] = in_top > float(st.get("ranking.consensus_share")) * len(methods)
    default = st.get("ranking.default")
    topics["score"] = topics[default].astype(float)
    topics["rank"] = topics[f"rank_{default}"]
    return topics.sort_values("rank").reset_index(drop=True)[cols]


def method_agreement(topics: pd.DataFrame, *, settings: SettingsLike = None) -> pd.DataFrame:
    """Kendall's tau-b between each pair of ranking methods.

    Only topics that some LEA has (a non-zero value under either method)
    take part, so the many topics nobody has do not inflate agreement.
    """
    methods = list(load_settings(settings).get("ranking.methods"))
    rows = []
    for a_i, a in enumerate(methods):
        for b in methods[a_i + 1:]:
            x, y = topics[a].astype(float), topics[b].astype(float)
            used = (x.fillna(0) > 0) | (y.fillna(0) > 0)
            n = int((used & x.notna() & y.notna()).sum())
            rows.append((a, b, kendall_tau_b(x[used], y[used]), n))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS).astype({"tau": float, "n_topics": int})


# ---------------------------------------------------------------- the whole
@dataclass(frozen=True, eq=False)
class Scores:
    """What :func:`score` returns: the scoring and planning tables.

    Attributes
    ----------
    topics, lea_topics, tta_plan, cohorts, tta_requests, spending : DataFrame
        The tables of ``SCORE_TABLES``.
    agreement : DataFrame
        Kendall's tau-b between ranking methods.
    unclassified : DataFrame
        Needs and T/TA requests that named no topic: where to extend the taxonomy.
    settings : dict
        Every setting in force under its dotted key, plus the taxonomy and
        settings sources.
    tables : dict
        All the tables above by name, in writing order.
    """

    topics: pd.DataFrame
    lea_topics: pd.DataFrame
    tta_plan: pd.DataFrame
    cohorts: pd.DataFrame
    tta_requests: pd.DataFrame
    spending: pd.DataFrame
    agreement: pd.DataFrame
    unclassified: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def to_csv(self, outdir: str | Path) -> list[Path]:
        """Write each table as ``<name>.csv`` into ``outdir`` (:func:`~needsassess.tables.write_csv_tables`).

        Raises
        ------
        OutputError
            When the folder or a file cannot be written.
        """
        return write_csv_tables(self.tables, outdir)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}: {len(v)} rows" for k, v in self.tables.items())
        return f"Scores({counts})"

    def _repr_html_(self) -> str:
        top = self.topics.head(10)[["rank", "topic", "label", "n_leas", "prevalence", "severity", "score"]]
        plan = self.tta_plan.head(10)[["topic", "delivery", "level", "modes", "n_leas"]]
        counts = "".join(f"<li>{html.escape(k)}: {len(v)} rows</li>" for k, v in self.tables.items())
        return (f"<div><strong>needsassess scores</strong><ul>{counts}</ul>"
                f"<p>Top topics</p>{top.to_html(index=False)}<p>T/TA plan</p>{plan.to_html(index=False)}</div>")


def score(tables: Any, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None) -> Scores:
    """Score every LEA's needs, rank topics statewide and plan T/TA.

    Parameters
    ----------
    tables : object or mapping
        The reader's tables as attributes (``leas``, ``responses``,
        ``ratings``, ``needs``, ``indicators``) or a mapping of those names.
    taxonomy : path, Taxonomy or None
        The topics, request cues and T/TA modes; None for the shipped ones.
    settings : path, Settings, mapping or None
        Weights, thresholds and rules; a mapping overrides the shipped ones.

    Returns
    -------
    Scores
    """
    with collector_paused():
        return _score(as_tables(tables), load_taxonomy(taxonomy), load_settings(settings))


def compile_taxonomy(taxonomy: TaxonomyLike = None) -> Taxonomy:
    """The taxonomy, loaded, with the patterns scoring matches text with compiled.

    Scoring compiles them on first use (a tenth of a second or more for the
    shipped taxonomy); a caller with time to spare, such as the summary
    command while the reader processes work, has it done ahead.
    """
    from .sentences import compile_cues

    tax = load_taxonomy(taxonomy)
    _ = tax.matcher, tax.cue_matcher  # cached on the taxonomy
    compile_cues(tax)
    return tax


def _score(t: Mapping[str, pd.DataFrame], tax: Taxonomy, st: Settings) -> Scores:
    requests = find_requests(t["responses"], taxonomy=tax, leas=t["leas"])
    spending = check_spending(t["leas"], t["needs"], settings=st)
    leas = lea_list(t)
    lea_topics, unclassified = gaps_and_unclassified(t, tax, st, requests, spending, leas)
    topics = rank_topics(lea_topics, n_leas=len(leas), taxonomy=tax, settings=st)
    agreement = method_agreement(topics, settings=st)
    plan = plan_tta(topics, lea_topics, taxonomy=tax, settings=st)
    cohorts = find_cohorts(lea_topics, settings=st)
    unclassified_frame = pd.DataFrame(unclassified, columns=UNCLASSIFIED_COLUMNS)
    named = {"topics": topics, "lea_topics": lea_topics, "tta_plan": plan, "cohorts": cohorts,
             "tta_requests": requests, "spending": spending, "method_agreement": agreement,
             "unclassified": unclassified_frame}
    in_force = {"taxonomy": tax.source, "settings": st.source, **st.flat()}
    return Scores(topics, lea_topics, plan, cohorts, requests, spending, agreement, unclassified_frame,
                  in_force, named)
