"""Find many phrases in text in one pass: the term matcher behind topics and request cues.

The matching rules (whole words, case ignored except for phrases in
capitals, spaces / hyphens / slashes interchangeable, plurals, ``*`` for
any ending) are those described in ``data/taxonomy.toml``; this module
knows no phrases of its own.

Examples
--------
>>> m = PhraseMatcher({"arts": ["music", "visual arts"]})
>>> [(x.phrase, x.keys) for x in m.finditer("Music and Visual-Arts classes")]
[('music', ('arts',)), ('visual arts', ('arts',))]
"""

from __future__ import annotations

import re
from functools import cached_property
from itertools import accumulate
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Sequence


class Match(NamedTuple):
    """One phrase found in a text: where, which phrase, and the keys it stands for."""

    start: int
    end: int
    phrase: str
    keys: tuple[str, ...]  # in the order the keys were given
    kinds: frozenset[str]  # the same keys, for quick membership and set tests


_SEP, _WILD = "\x00", "\x01"
_JOIN = "\x02"  # neither a word character nor a separator: no phrase spans it
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


def trie_pattern(strings: Iterable[str], guard: str = "") -> str:
    """One regex alternation for many strings, factored as a character trie.

    A trie keeps the regex engine from trying every alternative at every
    position; it is what makes one pass over thousands of answers cheap.
    ``guard`` is inserted after the first character of each phrase.

    Examples
    --------
    >>> trie_pattern(["help", "helps", "held"])
    'hel(?:d|p(?:s)?)'
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


def _whole_words(alternatives: str) -> str:
    """A regex of ``alternatives`` matched as whole words."""
    return r"(?<!\w)(?:{})(?!\w)".format(alternatives)


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
        # Case-insensitive phrases run without re.IGNORECASE over lowercased
        # text (about twice as fast); phrases in capitals over the text itself.
        self._lower = re.compile(_whole_words(trie_pattern(insensitive))) if insensitive else None
        # Phrases in capitals start with one of few letters: testing that letter
        # first (and the word boundary after it) lets the engine skip ahead fast.
        self._caps = re.compile(trie_pattern(sensitive, guard=r"(?<!\w.)") + r"(?!\w)") if sensitive else None
        self._sensitive, self._insensitive = sensitive, insensitive
        # matched texts repeat: remember what each stands for (within bounds)
        self._memo: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """All phrases in one case-insensitive regex (for texts whose lowercase changes length).

        Compiled when first needed: few texts need it, and compiling it
        costs as much as the two regexes used for the others.
        """
        sensitive, insensitive = self._sensitive, self._insensitive
        alts = (["(?-i:" + trie_pattern(sensitive) + ")"] if sensitive else []) + \
            ([trie_pattern(insensitive)] if insensitive else [])
        return re.compile(_whole_words("|".join(alts) if alts else r"(?!x)x"), re.IGNORECASE)

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

    def matches_in(self, texts: Sequence[str]) -> list[list[Match]]:
        """The matches of :meth:`finditer` in each of ``texts``, offsets within each text.

        One regex pass over the texts joined by a character no phrase can
        span, rather than one call per text: for many short texts (needs,
        sentences) the calls cost more than the matching.

        Examples
        --------
        >>> m = PhraseMatcher({"arts": ["music"]})
        >>> [[x.start for x in found] for found in m.matches_in(["Music", "no", "more music"])]
        [[0], [], [5]]
        """
        out: list[list[Match]] = [[] for _ in texts]
        parts, alone = texts, []  # alone: texts whose lowercase has another length, each matched by itself
        joined = _JOIN.join(parts)
        low = joined.lower()
        if len(low) != len(joined):
            alone = [k for k, t in enumerate(texts) if len(t.lower()) != len(t)]
            parts = ["" if len(t.lower()) != len(t) else t for t in texts]
            joined = _JOIN.join(parts)
            low = joined.lower()
        bounds = list(accumulate((len(p) + 1 for p in parts), initial=0))  # where each text starts
        k, lookup = 0, self._lookup
        for a, b, caps in self.spans(joined, lowered=low):
            while a >= bounds[k + 1]:
                k += 1
            base = bounds[k]
            out[k].extend(Match(a - base, b - base, phrase, keys, kinds)
                          for phrase, keys, kinds in lookup(caps, joined[a:b]))
        for k in alone:
            out[k] = list(self.finditer(texts[k]))
        return out

    def search(self, text: str) -> bool:
        """Whether any phrase occurs in ``text``."""
        return bool(self.spans(text))
