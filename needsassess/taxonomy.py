"""T/TA topics, request cues, T/TA modes and scoring settings, as data.

The knowledge lives in ``data/taxonomy.toml`` (topics and their terms, the
capacity-to-topic map, request cues, T/TA modes) and ``data/scoring.toml``
(every weight, threshold and spending rule).  This module loads and checks
both, matches terms in text, and classifies texts to topics.

Examples
--------
>>> tax = load_taxonomy()
>>> found = classify(["Staff need training on vaping prevention."], taxonomy=tax)
>>> found[["topic", "terms"]].values.tolist()
[['substance_use', 'vaping']]
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

import pandas as pd

from .problems import TemplateError
from .template import AREAS, Template, load_template

ALL_AREAS = "*"
LEVELS = ("beginning", "intermediate", "advanced")
COMPLEXITIES = ("low", "medium", "high")
CUE_LISTS = (
    "strong_objects", "weak_objects", "not_objects", "strong_asks", "weak_asks", "third_party_asks",
    "passive_asks", "copulas", "direct_asks", "imperatives", "requesters", "non_requesters",
    "negations", "conditionals", "breakers", "provider_verbs", "infinitive_markers",
    "beneficiary_markers", "verb_markers", "abbreviations",
)


# ---------------------------------------------------------------- matching
class Match(NamedTuple):
    """One phrase found in a text: where, which phrase, and the keys it stands for."""

    start: int
    end: int
    phrase: str
    keys: tuple[str, ...]  # in the order the keys were given
    kinds: frozenset[str]  # the same keys, for quick membership and set tests


_SEP, _WILD = "\x00", "\x01"
_SEP_RE = r"[\s\-/]+"
_SPLIT = re.compile(_SEP_RE)


def word_forms(word: str) -> list[str]:
    """The word and its plural (only words of 3+ letters written in the singular).

    Examples
    --------
    >>> word_forms("policy"), word_forms("class"), word_forms("resources"), word_forms("TA")
    (['policy', 'policies'], ['class', 'classes'], ['resources'], ['TA'])
    """
    if word.endswith("*"):
        return [word[:-1] + _WILD]
    low = word.lower()
    if len(word) < 3 or not word.isalpha() or (low.endswith("s") and not low.endswith("ss")):
        return [word]
    if low.endswith("y") and low[-2] not in "aeiou":
        return [word, word[:-1] + "ies"]
    if low.endswith(("ss", "x", "z", "ch", "sh")):
        return [word, word + "es"]
    return [word, word + "s"]


def _variants(phrase: str) -> list[str]:
    words = [w for w in _SPLIT.split(phrase.strip()) if w]
    out = [""]
    for i, word in enumerate(words):
        out = [v + (_SEP if i else "") + f for v in out for f in word_forms(word)]
    return out


def _is_caps(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _trie_pattern(strings: Iterable[str], guard: str = "") -> str:
    """One regex alternation for many strings, factored as a character trie.

    A trie keeps the regex engine from trying every alternative at every
    position; it is what makes one pass over thousands of answers cheap.
    ``guard`` is inserted after the first character of each phrase.
    """
    trie: dict[str, dict] = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict], top: bool = False) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            unit = _SEP_RE if ch == _SEP else r"\w*" if ch == _WILD else re.escape(ch)
            alts.append(unit + (guard if top else "") + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie, top=True)


class PhraseMatcher:
    """Find many phrases in text in one pass of a precompiled, trie-shaped regex.

    (Phrases in capitals have a small regex of their own.)  One pass for all
    topics, rather than a regex per topic, is what keeps classifying
    thousands of needs and answers fast.

    Matching follows the rules in ``data/taxonomy.toml``: whole words, case
    ignored except for phrases in capitals, spaces / hyphens / slashes
    interchangeable, plurals of singular words, ``*`` for any ending.  The
    longest phrase wins where two start at the same place.

    Parameters
    ----------
    phrases : mapping of key to phrases
        A phrase listed under several keys yields all of them.

    Examples
    --------
    >>> m = PhraseMatcher({"stem": ["STEM", "computer science"], "mh": ["counsel*"]})
    >>> [(x.phrase, x.keys) for x in m.finditer("STEM and Computer-Science counselors")]
    [('STEM', ('stem',)), ('computer science', ('stem',)), ('counsel*', ('mh',))]
    >>> m.search("this will stem from")
    False
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        exact: dict[tuple[bool, str], dict[str, list[str]]] = {}
        wild: dict[tuple[bool, str], dict[str, list[str]]] = {}
        for key, items in phrases.items():
            for phrase in items:
                phrase = str(phrase).strip()
                if not phrase:
                    continue
                caps = _is_caps(phrase)
                for v in _variants(phrase):
                    v = v if caps else v.lower()
                    entry = (wild if _WILD in v else exact).setdefault((caps, v), {})
                    if any(key in keys for keys in entry.values()):
                        continue  # "evidence-based" and "evidence based": one phrase is enough
                    entry.setdefault(phrase, []).append(key)

        def pairs(found: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
            return tuple((phrase, tuple(keys), frozenset(keys)) for phrase, keys in found.items())

        self._exact = {(caps, v.replace(_SEP, " ")): pairs(p) for (caps, v), p in exact.items()}
        self._wild = [
            (re.compile(_SEP_RE.join(re.escape(w).replace(_WILD, r"\w*") for w in v.split(_SEP)),
                        0 if caps else re.I), pairs(p))
            for (caps, v), p in wild.items()
        ]
        sensitive = [v for caps, v in (*exact, *wild) if caps]
        insensitive = [v for caps, v in (*exact, *wild) if not caps]
        bound = r"(?<!\w)(?:{})(?!\w)".format
        # Case-insensitive phrases run without re.IGNORECASE over lowercased
        # text (about twice as fast); phrases in capitals over the text itself.
        self._lower = re.compile(bound(_trie_pattern(insensitive))) if insensitive else None
        # Phrases in capitals start with one of few letters: testing that letter
        # first (and the word boundary after it) lets the engine skip ahead fast.
        self._caps = re.compile(_trie_pattern(sensitive, guard=r"(?<!\w.)") + r"(?!\w)") if sensitive else None
        alts = (["(?-i:" + _trie_pattern(sensitive) + ")"] if sensitive else []) + \
            ([_trie_pattern(insensitive)] if insensitive else [])
        #: All phrases in one case-insensitive regex (for texts whose lowercase changes length).
        self.pattern = re.compile(bound("|".join(alts) if alts else r"(?!x)x"), re.IGNORECASE)
        # matched texts repeat: remember what each stands for (within bounds)
        self._memo: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

    def _lookup(self, caps: bool, text: str) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
        """(phrase, keys, kinds) a matched text stands for."""
        memo = self._memo[caps]
        found = memo.get(text)
        if found is None:
            found = self._resolve(caps, text)
            if len(memo) < 100_000:
                memo[text] = found
        return found

    def _resolve(self, caps: bool, text: str) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
        canon = _SPLIT.sub(" ", text)
        found = self._exact.get((caps, canon if caps else canon.lower()))
        if found is None and not caps:  # only when the one-regex fallback matched
            found = self._exact.get((True, canon))
        if found:
            return found
        for rx, p in self._wild:
            if rx.fullmatch(text):
                return p
        return ()

    def spans(self, text: str, start: int = 0, end: int | None = None, *, lowered: str | None = None
              ) -> list[tuple[int, int, bool]]:
        """(start, end, in capitals) of each phrase in ``text[start:end]``, left to right, no overlaps.

        ``lowered`` is ``text.lower()`` when the caller has it already.  The
        text before ``start`` still counts for word boundaries.
        """
        end = len(text) if end is None else end
        low = text.lower() if lowered is None else lowered
        if len(low) != len(text):  # a character whose lowercase is longer: offsets would drift
            return [(m.start(), m.end(), False) for m in self.pattern.finditer(text, start, end)]
        found = [(m.start(), m.end(), False) for m in self._lower.finditer(low, start, end)] if self._lower else []
        if self._caps is not None:
            caps = [(m.start(), m.end(), True) for m in self._caps.finditer(text, start, end)]
            if caps:
                found = sorted(found + caps, key=lambda x: (x[0], -x[1]))
                kept, last = [], -1
                for span in found:
                    if span[0] >= last:
                        kept.append(span)
                        last = span[1]
                found = kept
        return found

    def finditer(self, text: str, start: int = 0, end: int | None = None, *, lowered: str | None = None
                 ) -> Iterator[Match]:
        """Every phrase found in ``text[start:end]``, left to right, without overlaps."""
        for a, b, caps in self.spans(text, start, end, lowered=lowered):
            for phrase, keys, kinds in self._lookup(caps, text[a:b]):
                yield Match(a, b, phrase, keys, kinds)

    def search(self, text: str) -> bool:
        """Whether any phrase occurs in ``text``."""
        return bool(self.spans(text))


# ---------------------------------------------------------------- taxonomy
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


def default_data_path(name: str) -> Path:
    """Path of a data file shipped inside the package."""
    return Path(str(resources.files("needsassess") / "data" / name))


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise TemplateError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{what} {path} is not valid TOML: {exc}") from exc


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
    return _build_taxonomy(_read_toml(path, "taxonomy"), str(path))


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return _build_taxonomy(_read_toml(default_data_path("taxonomy.toml"), "taxonomy"), "taxonomy.toml (shipped)")


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
    found: dict[str, tuple[int, list[str]]] = {}
    for m in taxonomy.matcher.finditer(text):
        for key in m.keys:
            first, terms = found.setdefault(key, (m.start, []))
            if m.phrase not in terms:
                terms.append(m.phrase)
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
    tax = load_taxonomy(taxonomy)
    texts = list(texts)
    area_list = list(areas) if areas is not None else [None] * len(texts)
    rows: list[tuple[int, str, str, int]] = []
    seen: dict[tuple[str, str | None], list[tuple[int, str, str]]] = {}
    for i, (text, area) in enumerate(zip(texts, area_list)):
        text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
        area = area if isinstance(area, str) and area else None
        hits = seen.get((text, area))
        if hits is None:
            found = topic_matches(text, tax, area) if text else {}
            hits = sorted(((first, key, "; ".join(terms)) for key, (first, terms) in found.items()))
            seen[(text, area)] = hits
        rows.extend((i, key, terms, first) for first, key, terms in hits)
    return pd.DataFrame(rows, columns=CLASSIFY_COLUMNS).astype({"item": "int64", "first": "int64"})


# ---------------------------------------------------------------- settings
@dataclass(frozen=True, eq=False)
class Settings:
    """The weights, thresholds and rules in force.  See ``data/scoring.toml``.

    Examples
    --------
    >>> s = load_settings({"delivery.group_min_leas": 6})
    >>> s.get("delivery.group_min_leas"), s.get("delivery.cohort_min_leas")
    (6, 2)
    """

    source: str
    raw: Mapping[str, Any] = field(repr=False)

    def get(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            node = node[part]
        return node

    def flat(self) -> dict[str, Any]:
        """Every setting under its dotted key, for printing (lists joined by ", ")."""
        out: dict[str, Any] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, Mapping):
                for k, v in node.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
            else:
                out[prefix] = ", ".join(map(str, node)) if isinstance(node, list) else node

        walk("", {k: v for k, v in self.raw.items() if k != "meta"})
        return out


SPENDING_MEASURES = ("area_share", "area_amount", "areas_funded", "infrastructure_of_area",
                     "infrastructure_of_allocation")
RANKING_METHODS = ("prevalence_x_severity", "borda", "borich", "requests")


def load_settings(source: str | Path | Settings | Mapping[str, Any] | None = None) -> Settings:
    """Load the scoring settings.

    Parameters
    ----------
    source : path, Settings, mapping or None
        None: the shipped ``scoring.toml``.  A path: a TOML file whose values
        replace the shipped ones (it may hold only a few).  A mapping:
        overrides on top of the shipped values, nested or with dotted keys
        (``{"delivery.group_min_leas": 6}``).

    Raises
    ------
    TemplateError
        For an unknown key, a value of the wrong kind or an inconsistent rule.
    """
    if isinstance(source, Settings):
        return source
    default = _default_settings()
    if source is None:
        return default
    if isinstance(source, Mapping):
        raw, name = _merge(default.raw, _nest(source), ""), f"{default.source} + overrides"
    else:
        path = Path(source)
        raw, name = _merge(default.raw, _read_toml(path, "settings"), ""), str(path)
    _check_settings(raw, name)
    return Settings(name, raw)


@lru_cache(maxsize=1)
def _default_settings() -> Settings:
    raw = _read_toml(default_data_path("scoring.toml"), "settings")
    _check_settings(raw, "scoring.toml (shipped)")
    return Settings("scoring.toml (shipped)", raw)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = str(key).split(".")
        for p in parents:
            node = node.setdefault(p, {})
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last].update(_nest(value))
        else:
            node[last] = _nest(value) if isinstance(value, Mapping) else value
    return out


def _merge(base: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in new.items():
        where = f"{prefix}{key}"
        if where == "spending.rules":  # a State may add or replace whole rules
            if not isinstance(value, Mapping):
                raise TemplateError("settings: spending.rules must be a table of rules")
            out[key] = {**base.get(key, {}),
                        **{k: _merge(base.get(key, {}).get(k, {}), v, f"{where}.{k}.") for k, v in value.items()}}
            continue
        if prefix.startswith("spending.rules.") or where == "meta" or prefix == "meta.":
            out[key] = value
            continue
        if key not in base:
            raise TemplateError(f"settings: unknown key {where!r}")
        old = base[key]
        if isinstance(old, Mapping):
            if not isinstance(value, Mapping):
                raise TemplateError(f"settings: {where!r} must be a table")
            out[key] = _merge(old, value, where + ".")
        else:
            out[key] = _coerce(old, value, where)
    return out


def _coerce(old: Any, value: Any, where: str) -> Any:
    if isinstance(old, bool) or isinstance(value, bool):
        if not isinstance(value, bool) or not isinstance(old, bool):
            raise TemplateError(f"settings: {where!r} must be {type(old).__name__}, not {value!r}")
        return value
    if isinstance(old, (int, float)):
        if not isinstance(value, (int, float)):
            raise TemplateError(f"settings: {where!r} must be a number, not {value!r}")
        return value
    if isinstance(old, list):
        if not isinstance(value, (list, tuple)):
            raise TemplateError(f"settings: {where!r} must be a list, not {value!r}")
        return list(value)
    if not isinstance(value, str):
        raise TemplateError(f"settings: {where!r} must be text, not {value!r}")
    return value


def _check_settings(raw: Mapping[str, Any], name: str) -> None:
    errors = []
    try:
        for signal, w in raw["gap"]["weights"].items():
            if not isinstance(w, (int, float)) or w < 0:
                errors.append(f"gap.weights.{signal} must be a number of 0 or more")
        rk = raw["ranking"]
        unknown = [m for m in rk["methods"] if m not in RANKING_METHODS]
        if unknown:
            errors.append(f"ranking.methods: unknown {', '.join(unknown)} (known: {', '.join(RANKING_METHODS)})")
        if rk["default"] not in rk["methods"]:
            errors.append("ranking.default must be one of ranking.methods")
        if not 0 < rk["confidence"] < 1:
            errors.append("ranking.confidence must lie between 0 and 1")
        lv = raw["level"]
        if not 1 <= lv["intermediate_from"] <= lv["advanced_from"] <= 4:
            errors.append("level: 1 <= intermediate_from <= advanced_from <= 4 must hold")
        if lv["without_ratings"] not in LEVELS:
            errors.append(f"level.without_ratings must be one of {', '.join(LEVELS)}")
        dv = raw["delivery"]
        if not 1 <= dv["cohort_min_leas"] <= dv["group_min_leas"]:
            errors.append("delivery: 1 <= cohort_min_leas <= group_min_leas must hold")
        if not 0 <= raw["cohorts"]["min_similarity"] <= 1:
            errors.append("cohorts.min_similarity must lie between 0 and 1")
        for rule_name, rule in raw["spending"]["rules"].items():
            where = f"spending.rules.{rule_name}"
            if rule.get("measure") not in SPENDING_MEASURES:
                errors.append(f"{where}.measure must be one of {', '.join(SPENDING_MEASURES)}")
            ops = [op for op in ("at_least", "more_than", "at_most") if op in rule]
            if len(ops) != 1 or not isinstance(rule[ops[0]], (int, float)):
                errors.append(f"{where} needs exactly one number: at_least, more_than or at_most")
            if rule.get("applies", "all") not in ("all", "large", "small"):
                errors.append(f"{where}.applies must be all, large or small")
            if rule.get("measure") in ("area_share", "area_amount", "infrastructure_of_area") \
                    and rule.get("area") not in AREAS:
                errors.append(f"{where}.area must be one of {', '.join(AREAS)}")
            if not rule.get("topic"):
                errors.append(f"{where}.topic is missing")
    except (KeyError, TypeError) as exc:
        errors.append(f"missing or malformed entry {exc}")
    if errors:
        raise TemplateError(f"settings {name}: " + "; ".join(errors))
