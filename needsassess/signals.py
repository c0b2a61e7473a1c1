"""Per-LEA, per-topic evidence: the five signals a gap is made of.

Each signal function turns one of the reader's tables (or the T/TA
requests and spending checks found from them) into rows
``(file, lea_id, topic, value, terms)``;
:func:`~needsassess.gaps.combine_signals` weighs them into the
``lea_topics`` table.  Every threshold comes from ``data/scoring.toml``
(see ``docs/method.md``).

Examples
--------
>>> from needsassess.tables import frame
>>> needs = frame("needs", [{"file": "a.xlsx", "lea_id": "1", "priority": 1, "area": "SHS",
...                          "need": "Reduce vaping among students"}])
>>> rows, unclassified = priority_signal(needs)
>>> rows
[('a.xlsx', '1', 'substance_use', 1.0, 'vaping')]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .columns import array, key_codes, lists, map_values, texts
from .spending import floats
from .taxonomy import Settings, Taxonomy, classify, classify_joined, load_settings, load_taxonomy
from .template import load_template

TaxonomyLike = Taxonomy | str | Path | None
SettingsLike = Settings | Mapping[str, Any] | str | Path | None


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


# ---------------------------------------------------------------- signals
# Each signal function returns rows (file, lea_id, topic, value, terms).

def priority_signal(needs: pd.DataFrame, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None
                    ) -> tuple[list[tuple], list[tuple]]:
    """Borda points of each LEA's prioritized needs, per topic.

    The need ranked r among an LEA's n needs earns (n - r + 1) / n points
    (tied ranks share the average; a missing rank counts as last).  A topic
    named by several needs keeps the highest points.

    Returns
    -------
    rows, unclassified
        ``(file, lea_id, topic, points, terms)`` rows, and
        ``(file, lea_id, "need", text, sheet, row)`` for needs naming no topic.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    if not len(needs):
        return [], []
    nd = needs.reset_index(drop=True)
    prio = floats(nd["priority"])
    lea = key_codes(array(nd["file"].fillna("")), array(nd["lea_id"].fillna("")))[0]
    pos = prio.groupby(lea).rank(method="average", na_option="bottom").to_numpy()
    n = np.bincount(lea)[lea]
    points = (n - pos + 1) / n

    def parts(fields: list[str]) -> list[tuple[str, ...]]:
        """Each need's fields, stripped; read as joined by ". "."""
        return list(zip(*(texts(nd[f]) if f in nd.columns else [""] * len(nd) for f in fields)))
    areas = nd["area"].tolist()
    found = classify_joined(parts(st.get("classify.need_fields")), taxonomy=tax, areas=areas)
    left = sorted(set(range(len(nd))) - set(found["item"]))
    fallback = parts(st.get("classify.fallback_fields"))
    extra = classify_joined([fallback[i] for i in left], taxonomy=tax, areas=[areas[i] for i in left])
    extra["item"] = np.asarray([left[i] for i in extra["item"]], dtype=np.int64)
    found = pd.concat([found, extra], ignore_index=True).astype({"item": np.int64})
    files, ids = nd["file"].tolist(), nd["lea_id"].tolist()
    rows = [(files[i], ids[i], topic, float(points[i]), terms)
            for i, topic, terms in zip(*lists(found, "item", "topic", "terms"))]
    still = sorted(set(left) - set(extra["item"]))
    described = [". ".join(filter(None, p)) for p in parts(["need", "outcome", "activity"])]
    sheets = nd["sheet"].tolist()
    where = nd["row"].tolist() if "row" in nd.columns else [""] * len(nd)
    unclassified = [(files[i], ids[i], "need", described[i], sheets[i], "" if where[i] is None else str(where[i]))
                    for i in still if described[i]]
    return rows, unclassified


def capacity_signal(ratings: pd.DataFrame, *, taxonomy: TaxonomyLike = None) -> tuple[list[tuple], list[tuple]]:
    """Capacity gaps (4 - rating) / 3 and "T/TA wanted" answers, per topic.

    A rating's topic comes from its template capacity key through
    ``[capacity_topics]``; failing a key, from its label's terms.

    Returns
    -------
    gaps, wanted
        ``(file, lea_id, topic, gap, rating, label)`` per valid rating and
        ``(file, lea_id, topic, 1.0, terms)`` per capacity marked "T/TA wanted".
    """
    tax = load_taxonomy(taxonomy)
    if not len(ratings):
        return [], []
    rt = ratings.reset_index(drop=True)
    keys = texts(rt["capacity_key"])
    labels = texts(rt["capacity"])
    topics = [tax.capacity_topics.get(k, "") for k in keys]
    unknown = [i for i, t in enumerate(topics) if not t]
    if unknown:
        by_label = classify([labels[i] for i in unknown], taxonomy=tax, areas=[rt["area"][i] for i in unknown])
        first = by_label.drop_duplicates("item")
        for item, topic in zip(*lists(first, "item", "topic")):
            topics[unknown[item]] = topic
    rating = floats(rt["rating"])
    rating = rating.where(rating.between(1, 4)).tolist()
    wanted = rt["tta_wanted"].tolist()
    gaps, asks = [], []
    for f, i, topic, r, w, label in zip(*lists(rt, "file", "lea_id"), topics, rating, wanted, labels):
        if not topic:
            continue
        if r == r:
            gaps.append((f, i, topic, (4.0 - r) / 3.0, float(r), label))
        if w is True or (isinstance(w, str) and w.strip().lower() in ("true", "yes", "y")):
            asks.append((f, i, topic, 1.0, f"T/TA wanted: {label}"))
    return gaps, asks


def indicator_signal(indicators: pd.DataFrame, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None
                     ) -> list[tuple]:
    """How far each LEA's selected schools trail, per topic, scaled across LEAs.

    For each LEA and indicator the selected schools' average is compared
    with each reference level (district, State), direction aware; the larger
    shortfall counts (with no school values, the district is compared with
    the State).  Each indicator's shortfalls are divided by the largest one
    among all LEAs, so the LEA furthest behind scores 1 and LEAs not behind
    score 0.  A topic's signal is the mean over its indicators.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    if not len(indicators):
        return []
    topics_of = tax.indicator_topics
    known = list(topics_of)
    number = {k: n for n, k in enumerate(known)}
    key = np.array(map_values(indicators["indicator_key"].tolist(), lambda k: number.get(k, -1)), dtype=np.int64)
    by_label = np.flatnonzero(key < 0)  # no known key: perhaps the label is one
    if len(by_label):
        key[by_label] = map_values(indicators["indicator"].to_numpy(object)[by_label].tolist(),
                                   lambda k: number.get(k, -1))
    value = floats(indicators["value"]).to_numpy()
    rows = np.flatnonzero((key >= 0) & ~np.isnan(value))
    if not len(rows):
        return []
    key, value = key[rows], value[rows]
    school_levels = {s.lower() for s in st.get("indicators.school_levels")}
    references = [r.lower() for r in st.get("indicators.references")]
    levels = list(dict.fromkeys(["school", "district", *references]))
    code_of = {lv: n for n, lv in enumerate(levels)}
    level = np.array(map_values(indicators["level"].to_numpy(object)[rows].tolist(), lambda v: code_of.get(
        "school" if _lower(v) in school_levels else _lower(v), -1)), dtype=np.int64)
    # integer codes for (LEA, indicator) so the averaging is a bincount, not a groupby
    files, ids = indicators["file"].to_numpy(object)[rows], indicators["lea_id"].to_numpy(object)[rows]
    lea = key_codes(files, ids)[0]
    group, g_uni = pd.factorize(lea * len(known) + key)
    ok = level >= 0
    n_groups, n_levels = len(g_uni), len(levels)
    cell = group[ok] * n_levels + level[ok]
    total = np.bincount(cell, weights=value[ok], minlength=n_groups * n_levels)
    count = np.bincount(cell, minlength=n_groups * n_levels)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total / count).reshape(n_groups, n_levels)
    # codes count up from 0 in order of first appearance: a group starts where the running maximum grows
    first_row = np.flatnonzero(group > np.maximum.accumulate(np.concatenate(([-1], group[:-1]))))
    group_key = key[first_row]
    template_dir = {i.key: i.direction for i in load_template().indicators}
    direction = np.array(map_values(indicators["direction"].to_numpy(object)[rows].tolist(),
                                    lambda v: {"": -1, "lower": 1}.get(_lower(v), 0)), dtype=np.int8)
    has = direction >= 0
    stated_groups, first = np.unique(group[has], return_index=True)
    lower = np.array([template_dir.get(k, "higher") == "lower" for k in known])[group_key]
    lower[stated_groups] = direction[has][first] == 1
    sign = np.where(lower, -1.0, 1.0)
    school = mean[:, 0]
    subject = np.where(np.isnan(school), mean[:, 1], school)  # no school values: the district itself
    shortfall = np.full(n_groups, np.nan)
    for ref in references:
        ref_value = mean[:, code_of[ref]]
        if ref == "district":  # the district is a reference only for the schools
            ref_value = np.where(np.isnan(school), np.nan, ref_value)
        shortfall = np.fmax(shortfall, sign * (ref_value - subject))
    return _per_topic(np.clip(shortfall, 0, None), group_key, files[first_row], ids[first_row], lea[first_row],
                      [topics_of[k] for k in known], known)


def _per_topic(shortfall: np.ndarray, key: np.ndarray, files: np.ndarray, ids: np.ndarray, lea: np.ndarray,
               topics: list[tuple[str, ...]], names: list[str]) -> list[tuple]:
    """Each indicator's shortfalls scaled by the largest, then averaged per LEA and topic.

    One entry per (LEA, indicator): its ``shortfall`` (NaN: no comparison),
    indicator ``key`` (into ``topics`` and ``names``), and the LEA's file,
    ID and code.  Returns ``(file, lea_id, topic, mean, terms)`` rows in
    order of first appearance.
    """
    valid = np.flatnonzero(~np.isnan(shortfall))
    raw, key, lea = shortfall[valid], key[valid], lea[valid]
    top = np.zeros(len(names))
    np.maximum.at(top, key, raw)
    top = top[key]
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(top > 0, raw / np.where(top > 0, top, 1.0), 0.0)
    # one row per (LEA, indicator) and topic of the indicator, in that order
    width = np.array([len(t) for t in topics], dtype=np.int64)[key]
    source = np.repeat(np.arange(len(valid)), width)
    within = np.arange(len(source)) - np.repeat(np.cumsum(width) - width, width)
    topic_names = sorted({t for ts in topics for t in ts})
    topic_code = {t: n for n, t in enumerate(topic_names)}
    table = np.full((len(topics), max(width.max(initial=0), 1)), -1, dtype=np.int64)
    for k, ts in enumerate(topics):
        table[k, :len(ts)] = [topic_code[t] for t in ts]
    topic = table[key[source], within]
    cell, cell_uni = pd.factorize(lea[source] * max(len(topic_names), 1) + topic)
    n = len(cell_uni)
    sums = np.bincount(cell, weights=scaled[source], minlength=n)
    counts = np.bincount(cell, minlength=n)
    terms: list[list[str]] = [[] for _ in range(n)]
    behind = {g: f"{names[k]} {r:g} behind" for g, (k, r) in enumerate(zip(key.tolist(), raw.tolist())) if r > 0}
    for c, g in zip(cell.tolist(), source.tolist()):
        if g in behind:
            terms[c].append(behind[g])
    first = np.flatnonzero(cell > np.maximum.accumulate(np.concatenate(([-1], cell[:-1]))))
    where = valid[source[first]]
    return [(f, i, topic_names[t], s / m, "; ".join(w)) for f, i, t, s, m, w in
            zip(files[where].tolist(), ids[where].tolist(), topic[first].tolist(), sums.tolist(), counts.tolist(),
                terms)]


def request_signal(tta_requests: pd.DataFrame) -> list[tuple]:
    """1 for each topic an LEA asked T/TA on in its open-ended answers."""
    rows = []
    for f, i, topics, cue in zip(*lists(tta_requests, "file", "lea_id", "topics", "cue")):
        for topic in (t for t in str(topics).split("; ") if t):
            rows.append((f, i, topic, 1.0, f'asked: "{cue}"'))
    return rows


def spending_signal(spending: pd.DataFrame) -> list[tuple]:
    """1 for each topic raised by a failed spending check."""
    failed = spending[spending["passed"].eq(False).fillna(False).astype(bool)]
    return [(f, i, t, 1.0, f"spending check {c} failed")
            for f, i, t, c in zip(*lists(failed, "file", "lea_id", "topic", "check"))]
