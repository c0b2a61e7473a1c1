"""Split answers into sentences, and find fast the few that may ask for T/TA.

A request sentence names something asked for (training, guidance...) and
how it is asked (need, would welcome...); the cue lists of ``[requests]``
in ``data/taxonomy.toml`` say which words those are.  Most sentences hold
no such pair of words, so :func:`candidate_sentences` finds the words in
all answers at once and splits into sentences only the answers that hold
both; :mod:`needsassess.requests` applies the rules to what is left.

Examples
--------
>>> t = "We met Dr. Lee. Staff need help.\\n- Item two"
>>> [t[a:b] for a, b in sentence_spans(t)]
['We met Dr. Lee.', 'Staff need help.', 'Item two']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from .match import trie_pattern, word_forms
from .taxonomy import Taxonomy, load_taxonomy

_WORD = re.compile(r"\w+")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")
_LEAD = re.compile(r"\s*(?:[•▪◦·*\-]\s+|\d{1,2}[.)]\s+)?")


# ---------------------------------------------------------------- sentences
class _Splitter(NamedTuple):
    boundary: re.Pattern[str]
    abbreviations: frozenset[str]  # lowercase
    tails: frozenset[str] | None   # their last three characters (None: some are shorter)


@lru_cache(maxsize=8)
def _splitter(taxonomy: Taxonomy) -> _Splitter:
    bullet = r"(?:[•▪◦·*\-]\s+|\d{1,2}[.)]\s+)?"
    # End punctuation (and closing quotes; group "end" marks where they stop)
    # before a space or a line break, or a line break alone.  The pattern
    # starts with a plain character class so the engine skips from one such
    # character to the next in C (about three times faster).
    boundary = re.compile(r"[.!?\r\n](?:(?<=[.!?])[.!?]*[\"'”’)\]]*(?P<end>)(?:[ \t]*[\r\n]+\s*" + bullet
                          + r"|\s+)(?=\S)|(?<=[\r\n])[\r\n]*\s*" + bullet + ")")
    abbreviations = frozenset(a.lower() for a in taxonomy.cues["abbreviations"])
    tails = frozenset(a[-3:] for a in abbreviations) if all(len(a) >= 3 for a in abbreviations) else None
    return _Splitter(boundary, abbreviations, tails)


def sentence_spans(text: str, taxonomy: Taxonomy | None = None) -> list[tuple[int, int]]:
    """Start and end offsets of the sentences (and list items) of ``text``.

    A sentence ends at ``.``, ``!`` or ``?`` (and closing quotes) before a
    space, except after an abbreviation of the taxonomy or initials; a line
    break ends one too.  List bullets and numbers are not part of it.
    """
    return _split(text, *_splitter(load_taxonomy(taxonomy)))


def _split(text: str, boundary: re.Pattern[str], abbreviations: frozenset[str], tails: frozenset[str] | None
           ) -> list[tuple[int, int]]:
    spans = []
    start = _LEAD.match(text).end()  # type: ignore[union-attr]  # all optional: it always matches
    for m in boundary.finditer(text, start):
        cut = m.end(1)  # group "end"; -1: the line-break branch, which has no end punctuation
        if cut < 0:
            cut = start + len(text[start:m.start()].rstrip())
        elif text[m.start()] == ".":
            # A quick test first (inline: this runs for most sentences): an abbreviation ends in one
            # of its tails; initials in a letter and a period after a space, a line break, another
            # period or the sentence start.  Most sentence ends are neither.
            tail = text[cut - 3:cut] if cut >= 3 else text[:cut]
            if tails is None or not tail.isascii() or tail.lower() in tails or (
                    tail[-1:] == "." and tail[-2:-1].isalpha()
                    and (len(tail) < 3 or cut - 2 <= start or tail[0] in " \n.")):
                word_start = max(text.rfind(" ", start, cut), text.rfind("\n", start, cut)) + 1
                last = text[max(word_start, start):cut]
                if last.lower() in abbreviations or _INITIALS.match(last):
                    continue  # "Dr." or "J.K.": the sentence goes on
        if cut > start and not text[start:cut].isspace():
            spans.append((start, cut))
        start = m.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


# ---------------------------------------------------------------- the gate
# Words too common to tell sentences apart; a gate word is taken among the others when it can be.
_COMMON = frozenset("a an and are be can could for from in is it of on or our that the state this to us we would "
                    "will with need needs help use".split())
# every byte that is not an ASCII word character (and "?", which stands for any other character) -> space
_NON_WORD = bytes(b if chr(b).isascii() and (chr(b).isalnum() or b == 95) else 32 for b in range(256))


def gate_words(phrases: Sequence[str]) -> frozenset[str] | None:
    """Words of which a sentence must hold one to contain any of ``phrases``.

    For each phrase one of its words (with its plural): the longest that is
    not very common.  Any word of a phrase must be present for the phrase to
    match, so the test only saves work and never changes a result.  None
    when a phrase has only wildcard words.

    Examples
    --------
    >>> sorted(gate_words(["technical assistance", "help us"]))
    ['assistance', 'assistances', 'help', 'helps']
    """
    words: set[str] = set()
    for phrase in phrases:
        parts = [w for w in re.split(r"[\s\-/]+", phrase.lower()) if w and not w.endswith("*")]
        tokens = [t for w in parts for t in _WORD.findall(w)]
        if not tokens:
            return None
        best = max(tokens, key=lambda t: (t not in _COMMON, len(t)))
        words.update(word_forms(best))
    return frozenset(words)


class _Gate(NamedTuple):
    """Finds the words of which a request sentence holds one object and one ask."""

    pattern: re.Pattern[Any]   # group 1: a word, whole, in the lowercased text
    kinds: Mapping[Any, int]   # word -> 1 (object), 2 (ask) or 3 (both)
    ascii: bool                # the pattern runs over ASCII bytes, every non-word byte a space


@lru_cache(maxsize=8)
def _gate(taxonomy: Taxonomy) -> _Gate | None:
    c = taxonomy.cues
    objects = gate_words([*c["strong_objects"], *c["weak_objects"], *c["direct_asks"], *c["imperatives"]])
    asks = gate_words([*c["strong_asks"], *c["weak_asks"], *c["third_party_asks"], *c["passive_asks"],
                       *c["direct_asks"], *c["imperatives"]])
    if objects is None or asks is None:
        return None
    kinds = {w: int(w in objects) + 2 * int(w in asks) for w in objects | asks}
    if all(w.isascii() and re.fullmatch(r"\w+", w) for w in kinds):
        # A space, then a word, then a space: over bytes in which every other
        # character is a space, the engine runs from space to space.
        pattern = re.compile(b" (" + trie_pattern(sorted(kinds)).encode("ascii") + b")(?![^ ])")
        return _Gate(pattern, {w.encode("ascii"): k for w, k in kinds.items()}, True)
    return _Gate(re.compile(r"(?<!\w)(" + trie_pattern(sorted(kinds)) + r")(?!\w)"), kinds, False)


def compile_cues(taxonomy: Taxonomy) -> None:
    """Compile the sentence splitter and the word gate of ``taxonomy`` now, not on first use."""
    _splitter(taxonomy)
    _gate(taxonomy)


def candidate_sentences(answers: Sequence[str], taxonomy: Taxonomy
                        ) -> list[tuple[int, list[tuple[int, int]], int]]:
    """(answer, its sentence spans, sentence) of each sentence that may ask for T/TA, in order.

    A sentence may ask when it holds a gate word of the T/TA objects and one
    of the asks (see :func:`gate_words`).  One pass of one regex over all
    the answers finds those words; only answers holding both kinds are split
    into sentences, and the words are placed in sentences with numpy.
    """
    splitter = _splitter(taxonomy)
    gate = _gate(taxonomy)
    if gate is None:  # no word test possible: read every sentence
        out = []
        for k, answer in enumerate(answers):
            spans = _split(answer, *splitter)
            out.extend((k, spans, n) for n in range(len(spans)))
        return out
    at, kind, bounds, unsure = _gate_hits(answers, gate)
    owner = np.searchsorted(bounds, at, side="right") - 1
    is_object, is_ask = (kind & 1) > 0, (kind & 2) > 0
    both = (np.bincount(owner[is_object], minlength=len(answers)) > 0) \
        & (np.bincount(owner[is_ask], minlength=len(answers)) > 0)
    todo = sorted(set(np.flatnonzero(both).tolist()) | unsure)
    whole: list[tuple[int, list[tuple[int, int]], int]] = []  # every sentence of the unsure answers
    found: list[tuple[int, list[tuple[int, int]], int]] = []  # every sentence of the others...
    starts, ends = [], []                                     # ... and where they lie in the joined text
    for k in todo:
        spans = _split(answers[k], *splitter)
        if k in unsure:
            whole.extend((k, spans, n) for n in range(len(spans)))
            continue
        base = int(bounds[k])
        for n, (a, b) in enumerate(spans):
            found.append((k, spans, n))
            starts.append(base + a)
            ends.append(base + b)
    sentence_start, sentence_end = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)

    def holding(words: np.ndarray) -> np.ndarray:
        """Which sentences hold one of the words starting at ``words``."""
        where = np.searchsorted(sentence_start, words, side="right") - 1
        inside = where >= 0
        inside[inside] = words[inside] < sentence_end[where[inside]]
        out = np.zeros(len(found), dtype=bool)
        out[where[inside]] = True
        return out

    picked = np.flatnonzero(holding(at[is_object]) & holding(at[is_ask])).tolist()
    return sorted([found[i] for i in picked] + whole, key=lambda c: (c[0], c[2])) if whole else \
        [found[i] for i in picked]


def _gate_hits(answers: Sequence[str], gate: _Gate) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    """Where the gate words are in the answers joined by line breaks, and their kinds.

    Returns the offsets and kinds (1 object, 2 ask, 3 both), where each
    answer starts, and the answers whose lowercase has another length (a
    rare character like "İ"): offsets there would drift, so they are left
    out here and every sentence of theirs is read.
    """
    joined = "\n".join(answers)
    low, unsure = joined.lower(), set()
    if len(low) != len(joined):
        parts = [a.lower() for a in answers]
        unsure = {k for k, (a, part) in enumerate(zip(answers, parts)) if len(part) != len(a)}
        low = "\n".join(" " * len(answers[k]) if k in unsure else part for k, part in enumerate(parts))
    text: Any = b" " + low.encode("ascii", "replace").translate(_NON_WORD) if gate.ascii else low
    hits = [(m.start(1), m.group(1)) for m in gate.pattern.finditer(text)]
    at, words = zip(*hits) if hits else ((), ())
    step = np.fromiter(map(len, answers), dtype=np.int64, count=len(answers)) + 1  # an answer and its line break
    bounds = np.cumsum(step) - step
    return (np.asarray(at, dtype=np.int64) - (1 if gate.ascii else 0),
            np.asarray(list(map(gate.kinds.__getitem__, words)), dtype=np.int8), bounds, unsure)
