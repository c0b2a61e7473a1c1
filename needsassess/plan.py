"""Turn the ranked topics into a T/TA plan, and group LEAs into peer cohorts.

Delivery (group / cohort / individual), level (beginning / intermediate /
advanced) and T/TA modes follow the T4PA Center's guide; the thresholds
are in ``data/scoring.toml``, the modes in ``data/taxonomy.toml``.

Examples
--------
>>> level_of(1.5), level_of(2.5), level_of(3.2)
('beginning', 'intermediate', 'advanced')
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .columns import array, group_ids
from .settings import Settings, load_settings
from .tables import SCORE_TABLES
from .taxonomy import Mode, Taxonomy, load_taxonomy

PLAN_COLUMNS = SCORE_TABLES["tta_plan"]
COHORT_COLUMNS = SCORE_TABLES["cohorts"]
DELIVERIES = ("group", "cohort", "individual")

TaxonomyLike = Taxonomy | str | Path | None
SettingsLike = Settings | Mapping[str, Any] | str | Path | None


def _display(names: Sequence[Any], ids: Sequence[Any], files: Sequence[Any]) -> list[str]:
    """What to call each LEA: its name, else its ID, else its file."""
    return [n if isinstance(n, str) and n else i if isinstance(i, str) and i else str(f)
            for n, i, f in zip(names, ids, files)]


# ---------------------------------------------------------------- pieces
def lea_totals(lea_topics: pd.DataFrame) -> pd.Series:
    """Each LEA's overall need: the sum of its gaps over the topics it has a need on."""
    need = lea_topics["gap"].where(lea_topics["need"].astype(bool), 0.0)
    ids, keys = group_ids(array(lea_topics["file"]), array(lea_topics["lea_id"]))
    index = pd.MultiIndex.from_arrays([pd.Index([key[n] for key in keys], dtype=lea_topics[c].dtype)
                                       for n, c in enumerate(("file", "lea_id"))], names=["file", "lea_id"])
    return pd.Series(need.groupby(ids).sum().to_numpy(), index=index, name="gap")


def _by_lea(values: pd.Series, frame: pd.DataFrame, how: str) -> dict[tuple[Any, Any], float]:
    """``values`` (rows of ``frame``) aggregated per LEA (``how``: a groupby method)."""
    ids, keys = group_ids(array(frame["file"]), array(frame["lea_id"]))
    return dict(zip(keys, getattr(values.groupby(ids), how)().tolist()))


def high_need_leas(lea_topics: pd.DataFrame, *, settings: SettingsLike = None) -> set[tuple[str, str]]:
    """LEAs whose overall need is far above the rest.

    Far above: a total gap above Q3 + ``delivery.outlier_iqr`` x IQR of all
    LEAs' totals and at least ``delivery.outlier_min_ratio`` x their median;
    never among fewer than ``delivery.outlier_min_leas`` LEAs.
    """
    st = load_settings(settings)
    totals = lea_totals(lea_topics)
    if len(totals) < int(st.get("delivery.outlier_min_leas")):
        return set()
    q1, median, q3 = np.percentile(totals.to_numpy(float), [25, 50, 75])
    fence = q3 + float(st.get("delivery.outlier_iqr")) * (q3 - q1)
    far = (totals > fence) & (totals >= float(st.get("delivery.outlier_min_ratio")) * median) & (totals > 0)
    return set(totals.index[far.to_numpy()])


def delivery_for(n_leas: int, *, settings: SettingsLike = None) -> str:
    """group, cohort or individual for a need ``n_leas`` LEAs share."""
    st = load_settings(settings)
    if n_leas >= int(st.get("delivery.group_min_leas")):
        return "group"
    if n_leas >= int(st.get("delivery.cohort_min_leas")):
        return "cohort"
    return "individual"


def level_of(mean_rating: float, *, settings: SettingsLike = None) -> str:
    """The content level for LEAs whose mean capacity rating (1-4) is ``mean_rating``."""
    st = load_settings(settings)
    if mean_rating != mean_rating:
        return str(st.get("level.without_ratings"))
    if mean_rating < float(st.get("level.intermediate_from")):
        return "beginning"
    if mean_rating < float(st.get("level.advanced_from")):
        return "intermediate"
    return "advanced"


def choose_modes(n_leas: int, level: str, complexity: str, *, taxonomy: TaxonomyLike = None,
                 settings: SettingsLike = None) -> tuple[list[Mode], str]:
    """The T/TA modes that suit an audience, in the taxonomy's order of preference.

    Returns the modes (at most ``modes.max_modes``) and what had to be
    relaxed to find one ("" when all of audience, level and complexity fit).
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    tries = [((level, complexity), ""), ((level, None), "complexity"), ((None, None), "level and complexity")]
    for (lv, cx), relaxed in tries:
        fits = [m for m in tax.modes if m.fits(n_leas, lv, cx)]
        if fits:
            return fits[:int(st.get("modes.max_modes"))], relaxed
    closest = min(tax.modes, key=lambda m: m.min_leas - n_leas if n_leas < m.min_leas else n_leas - m.max_leas)
    return [closest], "audience size, level and complexity"


# ---------------------------------------------------------------- the plan
def plan_tta(topics: pd.DataFrame, lea_topics: pd.DataFrame, *, taxonomy: TaxonomyLike = None,
             settings: SettingsLike = None) -> pd.DataFrame:
    """The ``tta_plan`` table: how to deliver T/TA on each topic some LEA needs.

    One row per topic and delivery, in the topics' rank order.  The LEAs
    with the need get group T/TA when ``delivery.group_min_leas`` or more
    share it, a cohort from ``delivery.cohort_min_leas``, individual T/TA
    below that.  LEAs whose overall need is far above the rest (see
    :func:`high_need_leas`) get their own individual row on each of their
    topics.  ``leas`` lists them by name, largest gap first.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    need = lea_topics[lea_topics["need"].astype(bool)]
    if not len(need) or not len(topics):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    high = high_need_leas(lea_topics, settings=st)
    rated = lea_topics[lea_topics["rating"].notna()]
    overall_rating = _by_lea(rated["rating"], rated, "mean")
    files, ids, names = need["file"].tolist(), need["lea_id"].tolist(), need["lea_name"].tolist()
    members_of: dict[str, list[_Member]] = {}
    for f, i, who, topic, gap, rating in zip(files, ids, _display(names, ids, files), need["topic"].tolist(),
                                             need["gap"].tolist(), need["rating"].tolist()):
        members_of.setdefault(topic, []).append(_Member(f, i, who, gap, rating, (f, i) in high))
    rows = []
    for topic, rank in zip(topics["topic"].tolist(), topics["rank"].tolist()):
        if topic not in members_of:
            continue
        members = sorted(members_of[topic], key=lambda m: (-m.gap, m.who))
        rest = [m for m in members if not m.far]
        far = [m for m in members if m.far]
        spec = tax.by_key[topic]
        parts = []
        if rest:
            delivery = delivery_for(len(rest), settings=st)
            if delivery == "individual" and far:
                parts.append(("individual", rest + far,
                              _why_delivery("individual", len(rest), st) + " " + _why_far(far, st)))
            else:
                parts.append((delivery, rest, _why_delivery(delivery, len(rest), st)))
                if far:
                    parts.append(("individual", far, _why_far(far, st)))
        else:
            parts.append(("individual", far, _why_far(far, st)))
        for delivery, group, why in parts:
            level, mean_rating, why_level = _level(group, overall_rating, st)
            modes, relaxed = choose_modes(len(group), level, spec.complexity, taxonomy=tax, settings=st)
            why_modes = " ".join(f"{m.label}: {m.best_for}." for m in modes)
            if relaxed:
                why_modes += f" (No mode fits every condition; {relaxed} relaxed.)"
            rows.append((topic, spec.area, delivery, level, "; ".join(m.label for m in modes), len(group),
                         "; ".join(m.who for m in group), spec.label, f"{why} {why_level} {why_modes}",
                         int(rank), spec.complexity, mean_rating, "; ".join(str(m.lea_id) for m in group)))
    out = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    out["order"] = out["delivery"].map({d: i for i, d in enumerate(DELIVERIES)})
    return out.sort_values(["rank", "order"], kind="stable").drop(columns="order").reset_index(drop=True)


class _Member(NamedTuple):
    """An LEA with the need, in a plan row."""

    file: str
    lea_id: str
    who: str
    gap: float
    rating: float
    far: bool  # its overall need is far above the rest


def _why_delivery(delivery: str, n: int, st: Settings) -> str:
    group, cohort = int(st.get("delivery.group_min_leas")), int(st.get("delivery.cohort_min_leas"))
    if delivery == "group":
        return f"{n} LEAs share this need: group T/TA ({group} LEAs or more)."
    if delivery == "cohort":
        return f"{n} LEAs share this need: a cohort ({cohort} to {group - 1} LEAs)."
    return f"{n} LEA{'s' if n > 1 else ''} with this need, fewer than a cohort ({cohort}): individual T/TA."


def _why_far(members: Sequence[_Member], st: Settings) -> str:
    names = ", ".join(m.who for m in members)
    return (f"{names}: overall need far above the rest of the State (total gap above Q3 + "
            f"{st.get('delivery.outlier_iqr')} x IQR and at least {st.get('delivery.outlier_min_ratio')} x "
            f"the median): individual T/TA.")


def _level(members: Sequence[_Member], overall: Mapping[tuple[str, str], float], st: Settings
           ) -> tuple[str, float, str]:
    ratings = [m.rating for m in members if m.rating == m.rating]
    if ratings:
        mean = sum(ratings) / len(ratings)
        return level_of(mean, settings=st), mean, \
            f"Level {level_of(mean, settings=st)}: mean capacity rating {mean:.2f} of {len(ratings)} rated LEA(s)."
    others = [overall[(m.file, m.lea_id)] for m in members if (m.file, m.lea_id) in overall]
    if others:
        mean = sum(others) / len(others)
        return level_of(mean, settings=st), mean, (f"Level {level_of(mean, settings=st)}: no rating for this "
                                                   f"topic; mean of the LEAs' other capacity ratings {mean:.2f}.")
    level = str(st.get("level.without_ratings"))
    return level, math.nan, f"Level {level}: no capacity ratings (the default)."


# ---------------------------------------------------------------- cohorts
def jaccard_matrix(profiles: np.ndarray) -> np.ndarray:
    """Jaccard similarity between the rows of a 0/1 matrix (LEAs x topics).

    Examples
    --------
    >>> round(float(jaccard_matrix(np.array([[1, 1, 0], [1, 0, 1]]))[0, 1]), 4)
    0.3333
    """
    x = profiles.astype(np.float32)  # small whole counts: exact in float32, and half the memory
    inter = _intersections(profiles.astype(bool)) if hasattr(np, "bitwise_count") else x @ x.T
    size = x.sum(axis=1)
    union = np.add.outer(size, size)  # n x n: worked in place, it is the largest thing scoring makes
    union -= inter
    np.maximum(union, 1, out=union)  # a zero union has a zero intersection: similarity 0
    return np.divide(inter, union, out=inter)


def _intersections(x: np.ndarray) -> np.ndarray:
    """``x @ x.T`` for a 0/1 matrix, as float32, by counting the bits two rows share.

    Each row becomes a few 64-bit words; a shared bit count per pair of
    words is cheaper than a matrix product and needs no BLAS threads (which
    cost more than they save on a busy machine).  The counts are exact, as
    the product's are.
    """
    n = x.shape[0]
    packed = np.packbits(x, axis=1, bitorder="little")
    packed = np.pad(packed, ((0, 0), (0, (-packed.shape[1]) % 8)))
    words = np.ascontiguousarray(packed).view(np.uint64)
    inter = np.zeros((n, n), dtype=np.float32)
    for k in range(words.shape[1]):
        word = words[:, k]
        inter += np.bitwise_count(np.bitwise_and.outer(word, word))
    return inter


def find_cohorts(lea_topics: pd.DataFrame, *, settings: SettingsLike = None) -> pd.DataFrame:
    """The ``cohorts`` table: groups of LEAs with similar sets of needs, for peer learning.

    Greedy and deterministic: the LEA with the most similar peers (Jaccard
    similarity of their need topics at least ``cohorts.min_similarity``)
    starts a cohort; its peers join, most similar first, while each stays at
    least that similar to every member and the cohort is below
    ``cohorts.max_leas``.  Repeat with the LEAs left.  A cohort's ``topics``
    are those at least ``cohorts.topic_share`` of its members have.
    """
    st = load_settings(settings)
    need = lea_topics[lea_topics["need"].astype(bool)]
    if not len(need):
        return pd.DataFrame(columns=COHORT_COLUMNS)
    files, ids, names, topics = (need[c].tolist() for c in ("file", "lea_id", "lea_name", "topic"))
    keys = list(zip(files, ids))
    lea_keys, topic_keys = sorted(set(keys)), sorted(set(topics))
    li = {k: n for n, k in enumerate(lea_keys)}
    ti = {k: n for n, k in enumerate(topic_keys)}
    x = np.zeros((len(lea_keys), len(topic_keys)), dtype=np.int8)
    x[[li[k] for k in keys], [ti[t] for t in topics]] = 1
    who = dict(zip(keys, _display(names, ids, files)))
    sim = jaccard_matrix(x)
    threshold = float(st.get("cohorts.min_similarity"))
    biggest, smallest = int(st.get("cohorts.max_leas")), int(st.get("cohorts.min_leas"))
    share = float(st.get("cohorts.topic_share"))
    linked = sim >= threshold
    np.fill_diagonal(linked, False)
    free = np.ones(len(lea_keys), dtype=bool)
    degree = linked.sum(axis=1).astype(np.int64)
    cohorts = []
    while True:
        candidates = np.where(free & (degree > 0))[0]
        if not len(candidates):
            break
        center = candidates[np.argmax(degree[candidates])]  # argmax keeps the first: ties by LEA order
        peers = np.where(free & linked[center])[0]
        peers = peers[np.lexsort((peers, -sim[center, peers]))]
        members, allowed = [center], free & linked[center]  # allowed: similar to every member so far
        while len(members) < biggest:
            left = peers[allowed[peers]]
            if not len(left):
                break
            members.append(left[0])
            allowed &= linked[left[0]]
        free[members] = False
        degree -= linked[members].sum(axis=0)  # linked is symmetric: rows are faster to gather than columns
        if len(members) >= smallest:
            cohorts.append(members)
    rows = []
    upper = {n: np.triu_indices(n, 1) for n in {len(m) for m in cohorts}}
    for members in cohorts:
        members = sorted(members, key=lambda m: lea_keys[m])
        pair = sim[np.ix_(members, members)][upper[len(members)]].astype(np.float64)
        counts = x[members].sum(axis=0).tolist()
        common = sorted((t for t, c in enumerate(counts) if c >= share * len(members)),
                        key=lambda t: (-counts[t], topic_keys[t]))
        rows.append((len(members), "; ".join(who[lea_keys[m]] for m in members),
                     "; ".join(topic_keys[t] for t in common), float(pair.mean()), float(pair.min()),
                     "; ".join(str(lea_keys[m][1]) for m in members)))
    rows.sort(key=lambda r: (-r[0], -r[3], r[5]))
    out = pd.DataFrame([(n + 1, *r) for n, r in enumerate(rows)], columns=COHORT_COLUMNS)
    return out.astype({"cohort": int, "n_leas": int}) if len(out) else pd.DataFrame(columns=COHORT_COLUMNS)
