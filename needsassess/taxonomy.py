"""T/TA topics, request cues and T/TA modes, as data, and classifying texts to topics.

The knowledge lives in ``data/taxonomy.toml`` (topics and their terms, the
capacity-to-topic map, request cues, T/TA modes).  This module loads and
checks it and classifies texts to topics with the term matcher of
:mod:`needsassess.match`.  The scoring settings (``data/scoring.toml``) are
loaded by :mod:`needsassess.settings`; their names are importable from here
as well.

Examples
--------
>>> tax = load_taxonomy()
>>> found = classify(["Staff need training on vaping prevention."], taxonomy=tax)
>>> found[["topic", "terms"]].values.tolist()
[['substance_use', 'vaping']]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .match import Match, PhraseMatcher, word_forms
from .problems import TemplateError
from .settings import (
    LEVELS, RANKING_METHODS, SPENDING_MEASURES, Settings, default_data_path, load_settings, read_toml,
)
from .template import AREAS, Template, load_template

__all__ = [
    "ALL_AREAS", "CLASSIFY_COLUMNS", "COMPLEXITIES", "CUE_LISTS", "LEVELS", "Match", "Mode", "PhraseMatcher",
    "RANKING_METHODS", "SPENDING_MEASURES", "Settings", "Taxonomy", "Topic", "check_taxonomy", "classify",
    "default_data_path", "load_settings", "load_taxonomy", "topic_matches", "word_forms",
]

ALL_AREAS = "*"
COMPLEXITIES = ("low", "medium", "high")
CUE_LISTS = (
    "strong_objects", "weak_objects", "not_objects", "strong_asks", "weak_asks", "third_party_asks",
    "passive_asks", "copulas", "direct_asks", "imperatives", "requesters", "non_requesters",
    "negations", "conditionals", "breakers", "provider_verbs", "infinitive_markers",
    "beneficiary_markers", "verb_markers", "abbreviations",
)


@dataclass(frozen=True)
class Topic:
    key: str
    area: str  # an area key, or "*" for cross-cutting
    label: str
    complexity: str
    terms: tuple[str, ...]
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    timing: str
    min_leas: int
    max_leas: int  # 0: no upper limit
    levels: tuple[str, ...]
    complexity: tuple[str, ...]
    best_for: str
    consider: str

    def fits(self, n_leas: int, level: str | None = None, complexity: str | None = None) -> bool:
        """Whether the mode suits an audience of ``n_leas`` at ``level`` and ``complexity``."""
        return (self.min_leas <= n_leas and (self.max_leas == 0 or n_leas <= self.max_leas)
                and (level is None or level in self.levels)
                and (complexity is None or complexity in self.complexity))


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """A loaded, checked taxonomy.  See ``data/taxonomy.toml``."""

    source: str
    name: str
    topics: tuple[Topic, ...]
    capacity_topics: Mapping[str, str]
    cues: Mapping[str, Any]
    modes: tuple[Mode, ...]
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @cached_property
    def by_key(self) -> dict[str, Topic]:
        return {t.key: t for t in self.topics}

    @cached_property
    def matcher(self) -> PhraseMatcher:
        """One matcher for every topic's terms; a match's keys are topic keys."""
        return PhraseMatcher({t.key: t.terms for t in self.topics})

    @cached_property
    def cue_matcher(self) -> PhraseMatcher:
        """One matcher for the request cues; a match's keys are cue list names."""
        skip = ("abbreviations", "imperatives")  # imperatives count only at a sentence start
        return PhraseMatcher({name: self.cues[name] for name in CUE_LISTS if name not in skip})

    @cached_property
    def indicator_topics(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for t in self.topics:
            for ind in t.indicators:
                out.setdefault(ind, []).append(t.key)
        return {k: tuple(v) for k, v in out.items()}


def load_taxonomy(source: str | Path | Taxonomy | None = None) -> Taxonomy:
    """Load and check a taxonomy.

    Parameters
    ----------
    source : path, Taxonomy or None
        A TOML file in the form of the shipped ``taxonomy.toml``; None loads
        the shipped default; a Taxonomy is returned as it is.

    Raises
    ------
    TemplateError
        When the file cannot be read or parsed, or is not consistent.
    """
    if isinstance(source, Taxonomy):
        return source
    if source is None:
        return _default_taxonomy()
    path = Path(source)
    return _build_taxonomy(read_toml(path, "taxonomy"), str(path))


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return _build_taxonomy(read_toml(default_data_path("taxonomy.toml"), "taxonomy"), "taxonomy.toml (shipped)")


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise TemplateError(f"{what} must be a list of strings")
    return tuple(str(v) for v in value)


def _build_taxonomy(raw: Mapping[str, Any], source: str) -> Taxonomy:
    try:
        topics = tuple(
            Topic(t["key"], t.get("area", ALL_AREAS), t.get("label", t["key"]), t.get("complexity", "medium"),
                  _strings(t.get("terms", []), f"topic {t['key']!r} terms"),
                  _strings(t.get("indicators", []), f"topic {t['key']!r} indicators"))
            for t in raw["topics"])
        modes = tuple(
            Mode(m["key"], m.get("label", m["key"]), m.get("timing", ""), int(m.get("min_leas", 1)),
                 int(m.get("max_leas", 0)), _strings(m.get("levels", list(LEVELS)), f"mode {m['key']!r} levels"),
                 _strings(m.get("complexity", list(COMPLEXITIES)), f"mode {m['key']!r} complexity"),
                 m.get("best_for", ""), m.get("consider", ""))
            for m in raw["modes"])
        req = raw["requests"]
        cues: dict[str, Any] = {name: _strings(req.get(name, []), f"requests.{name}") for name in CUE_LISTS}
        for name in ("window", "passive_window", "negation_window"):
            cues[name] = int(req[name])
        capacity_topics = {str(k): str(v) for k, v in raw.get("capacity_topics", {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TemplateError):
            raise TemplateError(f"taxonomy {source}: {exc}") from exc
        detail = f"missing required entry {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise TemplateError(f"taxonomy {source}: {detail}") from exc
    errors = _structure_errors(topics, modes, capacity_topics, cues)
    if errors:
        raise TemplateError(f"taxonomy {source}: " + "; ".join(errors))
    return Taxonomy(source, str(raw.get("meta", {}).get("name", source)), topics, capacity_topics, cues, modes, raw)


def _structure_errors(topics: Sequence[Topic], modes: Sequence[Mode], capacity_topics: Mapping[str, str],
                      cues: Mapping[str, Any]) -> list[str]:
    errors = []
    keys = [t.key for t in topics]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        errors.append(f"topic keys used twice: {', '.join(dupes)}")
    for t in topics:
        if t.area not in (*AREAS, ALL_AREAS):
            errors.append(f"topic {t.key!r} has unknown area {t.area!r}")
        if t.complexity not in COMPLEXITIES:
            errors.append(f"topic {t.key!r}: complexity must be one of {', '.join(COMPLEXITIES)}")
    for cap, topic in capacity_topics.items():
        if topic not in keys:
            errors.append(f"capacity {cap!r} maps to unknown topic {topic!r}")
    for m in modes:
        bad = [x for x in m.levels if x not in LEVELS] + [x for x in m.complexity if x not in COMPLEXITIES]
        if bad:
            errors.append(f"mode {m.key!r} names unknown levels or complexities: {', '.join(bad)}")
        if m.min_leas < 1 or (m.max_leas and m.max_leas < m.min_leas):
            errors.append(f"mode {m.key!r}: min_leas must be 1 or more and max_leas 0 or at least min_leas")
    covered = 0  # audiences of 1..covered LEAs have a mode
    for m in sorted(modes, key=lambda m: m.min_leas):
        if m.min_leas > covered + 1:
            break
        covered = math.inf if m.max_leas == 0 else max(covered, m.max_leas)
    if covered != math.inf:
        errors.append(f"the modes must cover every audience size; none fits {int(covered) + 1} LEA(s)")
    if not cues["strong_objects"] and not cues["weak_objects"]:
        errors.append("requests: no T/TA objects")
    return errors


def check_taxonomy(taxonomy: Taxonomy | None = None, *, template: Template | str | Path | None = None,
                   settings: "Settings | None" = None) -> list[str]:
    """Cross-checks of a taxonomy against a template and settings.

    Returns plain messages (empty when all is well): template capacity keys
    no topic takes, indicators the template does not know, spending rules
    naming unknown topics.  The shipped files pass with no message.
    """
    tax = load_taxonomy(taxonomy)
    tpl = load_template(template)
    messages = []
    cap_keys = {c.key for c in tpl.capacities}
    for key in sorted(cap_keys - set(tax.capacity_topics)):
        messages.append(f"template capacity {key!r} is mapped to no topic in [capacity_topics]")
    for key in sorted(set(tax.capacity_topics) - cap_keys):
        messages.append(f"[capacity_topics] names {key!r}, which is not a capacity of the template")
    ind_keys = {i.key for i in tpl.indicators}
    for t in tax.topics:
        for ind in t.indicators:
            if ind not in ind_keys:
                messages.append(f"topic {t.key!r} names indicator {ind!r}, which the template does not have")
    if settings is not None:
        for name, rule in settings.get("spending.rules").items():
            if rule.get("topic") not in tax.by_key:
                messages.append(f"spending rule {name!r} names unknown topic {rule.get('topic')!r}")
    return messages


# ---------------------------------------------------------------- classifying
CLASSIFY_COLUMNS = ["item", "topic", "terms", "first"]


def topic_matches(text: str, taxonomy: Taxonomy, area: str | None = None) -> dict[str, tuple[int, list[str]]]:
    """Topics named in ``text``: topic -> (offset of its first term, terms in order).

    With ``area``, topics of that area and cross-cutting ones are kept when
    any is named; otherwise every topic named is kept (a need filed under
    the wrong area still finds its topic).
    """
    return _topics_of(((m.start, m.phrase, m.keys) for m in taxonomy.matcher.finditer(text)), taxonomy, area)


def _topics_of(matches: Iterable[tuple[int, str, tuple[str, ...]]], taxonomy: Taxonomy, area: str | None
               ) -> dict[str, tuple[int, list[str]]]:
    """:func:`topic_matches` from (start, phrase, keys) of each match."""
    found: dict[str, tuple[int, list[str]]] = {}
    for start, phrase, keys in matches:
        for key in keys:
            entry = found.get(key)
            if entry is None:
                found[key] = (start, [phrase])
            elif phrase not in entry[1]:
                entry[1].append(phrase)
    if area and found:
        local = {k: v for k, v in found.items() if taxonomy.by_key[k].area in (area, ALL_AREAS)}
        if local:
            return local
    return found


def classify(texts: Sequence[object] | pd.Series, *, taxonomy: Taxonomy | str | Path | None = None,
             areas: Sequence[object] | pd.Series | None = None) -> pd.DataFrame:
    """Topics of each text, with the terms that matched.

    Parameters
    ----------
    texts : sequence of str
        Missing values read as empty text.
    taxonomy : Taxonomy, path or None
    areas : sequence of area keys, optional
        Area of each text; see :func:`topic_matches`.

    Returns
    -------
    DataFrame
        One row per text and topic: ``item`` (position in ``texts``),
        ``topic``, ``terms`` ("; "-joined, in order of appearance) and
        ``first`` (offset of the first term).  Ordered by item, then by
        where the topic first appears, then by topic key.
    """
    texts = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    return classify_joined([(_as_text(text),) for text in texts], taxonomy=taxonomy, areas=areas)


def classify_joined(rows: Sequence[Sequence[str]], *, taxonomy: Taxonomy | str | Path | None = None,
                    areas: Sequence[object] | pd.Series | None = None) -> pd.DataFrame:
    """:func:`classify` of texts made of parts: each row's non-empty parts joined by ". ".

    Each distinct part is matched once, all in one pass of the matcher:
    texts repeat part by part (the same need in many LEAs, each with its
    own outcome), and no phrase runs across the ". " (unless a term holds a
    period: then the joined texts are matched).

    Examples
    --------
    >>> out = classify_joined([("Reduce vaping", "Fewer suspensions"), ("", "Reduce vaping")])
    >>> out[["item", "topic", "first"]].values.tolist()
    [[0, 'substance_use', 7], [0, 'exclusionary_discipline', 21], [1, 'substance_use', 7]]
    """
    tax = load_taxonomy(taxonomy)
    area_list = (areas.tolist() if isinstance(areas, pd.Series) else list(areas)) if areas is not None \
        else [None] * len(rows)
    if any("." in term for topic in tax.topics for term in topic.terms):
        rows = [(". ".join(filter(None, parts)),) for parts in rows]
    number: dict[str, int] = {}
    items = [(tuple(number.setdefault(p, len(number)) for p in parts if p), area if isinstance(area, str) and area
              else None) for parts, area in zip(rows, area_list)]
    parts = list(number)
    # every distinct part's matches as (start, phrase, keys), in one pass
    matches = [[(m.start, m.phrase, m.keys) for m in found] for found in tax.matcher.matches_in(parts)]
    out: list[tuple[int, str, str, int]] = []
    seen: dict[tuple[tuple[int, ...], str | None], list[tuple[int, str, str]]] = {}
    for i, key in enumerate(items):
        hits = seen.get(key)
        if hits is None:
            found = _topics_of(_shifted(key[0], matches, parts), tax, key[1])
            hits = seen[key] = sorted((first, topic, "; ".join(terms)) for topic, (first, terms) in found.items())
        out.extend((i, topic, terms, first) for first, topic, terms in hits)
    return pd.DataFrame(out, columns=CLASSIFY_COLUMNS).astype({"item": "int64", "first": "int64"})


def _shifted(numbers: tuple[int, ...], matches: list[list[tuple[int, str, tuple[str, ...]]]], parts: list[str]
             ) -> list[tuple[int, str, tuple[str, ...]]]:
    """The matches of the parts ``numbers`` at their offsets in the parts joined by ". "."""
    if len(numbers) == 1:
        return matches[numbers[0]]
    out, at = [], 0
    for k in numbers:
        out += [(start + at, phrase, keys) for start, phrase, keys in matches[k]]
        at += len(parts[k]) + 2
    return out


def _as_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)
