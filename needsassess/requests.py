"""Find the sentences in which an LEA asks for training or technical assistance.

The cues (what is asked for, how it is asked, who asks, what cancels an
ask) are declared in the ``[requests]`` section of ``data/taxonomy.toml``;
the rules that combine them are described there and in ``docs/method.md``.

Examples
--------
>>> request_cue("Our staff need support with restorative practices.").rule
'ask'
>>> request_cue("Students need support with reading.") is None
True
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import pandas as pd

from .match import Match, PhraseMatcher
from .sentences import candidate_sentences, sentence_spans
from .tables import SCORE_TABLES
from .taxonomy import ALL_AREAS, Taxonomy, load_taxonomy

__all__ = ["Cue", "REQUEST_COLUMNS", "find_requests", "request_cue", "request_topics", "sentence_spans", "topic_hits"]

REQUEST_COLUMNS = SCORE_TABLES["tta_requests"]

_WORD = re.compile(r"\w+")
_OBJECTS = frozenset({"strong_objects", "weak_objects"})
_ASKS = frozenset({"strong_asks", "weak_asks"})
_ASKED_BY_COPULA = frozenset({"copulas", *_OBJECTS})
_BREAKERS = frozenset({"breakers"})
_STOP_THIRD_PARTY = frozenset({"breakers", "negations"})
_STOP = frozenset({"breakers", "negations", "provider_verbs"})


class Cue(NamedTuple):
    """Why a sentence reads as a T/TA request.

    ``rule`` is "ask", "third_party", "passive", "direct" or "imperative";
    ``text`` the words that made it; ``anchor`` the offset after the thing
    asked for, where the request's topic is looked for first.
    """

    rule: str
    text: str
    anchor: int


# ---------------------------------------------------------------- the rules
class _Helpers(NamedTuple):
    imperative: re.Pattern[str]
    beneficiary_after: re.Pattern[str]


@lru_cache(maxsize=8)
def _helpers(taxonomy: Taxonomy) -> _Helpers:
    c = taxonomy.cues
    imperative = PhraseMatcher({"imperative": c["imperatives"]}).pattern
    beneficiary = PhraseMatcher({"b": c["non_requesters"]}).pattern.pattern
    markers = PhraseMatcher({"m": c["beneficiary_markers"]}).pattern.pattern
    # a beneficiary right after a weak object: "support (needed) for (our) students"
    after = re.compile(r"\W+(?:\w+\W+){0,1}?" + markers + r"\W+(?:\w+\W+)?" + beneficiary, re.IGNORECASE)
    return _Helpers(imperative, after)


class _Sentence:
    """One sentence's cue matches, with word counting between offsets."""

    def __init__(self, text: str, start: int, end: int, matches: Sequence[Match], words: Sequence[int],
                 taxonomy: Taxonomy) -> None:
        self.text, self.start, self.end, self.ms, self.words = text, start, end, matches, words
        self.cues = taxonomy.cues
        self.after = _helpers(taxonomy).beneficiary_after

    def nwords(self, a: int, b: int) -> int:
        return bisect_left(self.words, b) - bisect_left(self.words, a)

    def previous(self, i: int) -> Match | None:
        """The match right before match ``i`` when no word stands between them."""
        if i == 0:
            return None
        prev, here = self.ms[i - 1], self.ms[i]
        # one character between two whole-word matches is never a word: skip the count
        if prev.end + 1 == here.start or self.nwords(prev.end, here.start) == 0:
            return prev
        return None

    def between(self, i: int, j: int, names: frozenset[str]) -> bool:
        return any(not names.isdisjoint(m.kinds) for m in self.ms[i + 1:j])

    def negated(self, i: int) -> bool:
        """A negation within the negation window before match ``i``."""
        window = self.cues["negation_window"]
        return any("negations" in m.kinds and self.nwords(m.end, self.ms[i].start) < window
                   for m in self.ms[:i])

    def clause_start(self, i: int) -> int:
        return max(self.start, *(self.text.rfind(ch, self.start, self.ms[i].start) + 1 for ch in ",;:(—–"))

    def conditional(self, i: int) -> bool:
        lo = self.clause_start(i)
        return any("conditionals" in m.kinds for m in self.ms[:i] if m.start >= lo)

    def subject(self, i: int) -> str:
        """'non' (a beneficiary), 'req' (the LEA or its staff) or '' (none stated) before match ``i``."""
        lo = self.clause_start(i)
        for m in reversed(self.ms[:i]):
            if m.start < lo:
                break
            if "non_requesters" in m.kinds:
                return "non"
            if "requesters" in m.kinds:
                return "req"
        return ""

    def valid_object(self, j: int) -> bool:
        m = self.ms[j]
        if _OBJECTS.isdisjoint(m.kinds):
            return False
        if "strong_objects" in m.kinds:
            return True
        prev = self.previous(j)
        if prev is not None and "verb_markers" in prev.kinds:  # "to support", "will help"
            return False
        return self.after.match(self.text, m.end, self.end) is None  # "support for students"

    def ask(self, i: int, third_party: bool) -> Cue | None:
        a = self.ms[i]
        stop = _STOP_THIRD_PARTY if third_party else _STOP
        for j in range(i + 1, len(self.ms)):
            o = self.ms[j]
            if self.nwords(a.end, o.start) > self.cues["window"] or self.between(i, j, stop):
                return None
            if not self.valid_object(j):
                continue
            if self.negated(i) or self.conditional(i):
                return None
            if third_party:
                return Cue("third_party", self.text[a.start:o.end], o.end)
            who = self.subject(i)
            weak = "strong_asks" not in a.kinds and "strong_objects" not in o.kinds
            if who == "non" or (who == "" and weak):
                return None
            return Cue("ask", self.text[a.start:o.end], o.end)
        return None

    def passive(self, i: int) -> Cue | None:
        p = self.ms[i]
        prev = self.previous(i)
        if prev is None or _ASKED_BY_COPULA.isdisjoint(prev.kinds):
            return None
        for j in range(i - 1, -1, -1):
            o = self.ms[j]
            if self.nwords(o.end, p.start) > self.cues["passive_window"] or self.between(j, i, _BREAKERS):
                return None
            if not self.valid_object(j):
                continue
            if self.negated(j):  # "no additional support is needed"; "is not needed" has no copula next to it
                return None
            return Cue("passive", self.text[o.start:p.end], o.end)
        return None

    def direct(self, i: int) -> Cue | None:
        if self.negated(i) or self.conditional(i) or self.subject(i) == "non":
            return None
        a = self.ms[i]
        return Cue("direct", self.text[a.start:a.end], a.end)

    def cue(self) -> Cue | None:
        for i, m in enumerate(self.ms):
            keys = m.kinds
            found = None
            if "direct_asks" in keys:
                found = self.direct(i)
            if found is None and "third_party_asks" in keys:
                found = self.ask(i, third_party=True)
            if found is None and not _ASKS.isdisjoint(keys):
                prev = self.previous(i)
                if prev is None or "infinitive_markers" not in prev.kinds:  # "encouraged to seek help"
                    found = self.ask(i, third_party=False)
            if found is None and "passive_asks" in keys:
                found = self.passive(i)
            if found is not None:
                return found
        return None


def _cue_in(text: str, start: int, end: int, matches: Sequence[Match], taxonomy: Taxonomy) -> Cue | None:
    """The cue of the sentence ``text[start:end]``, given the cue matches inside it."""
    imperative = _helpers(taxonomy).imperative.match(text, start, end)
    if imperative:
        return Cue("imperative", imperative.group(), imperative.end())
    if not matches:
        return None
    words = [m.start() for m in _WORD.finditer(text, start, end)]
    return _Sentence(text, start, end, matches, words, taxonomy).cue()


def request_cue(sentence: str, taxonomy: Taxonomy | str | Path | None = None) -> Cue | None:
    """Why ``sentence`` asks for T/TA, or None when it does not."""
    tax = load_taxonomy(taxonomy)
    return _cue_in(sentence, 0, len(sentence), list(tax.cue_matcher.finditer(sentence)), tax)


# ---------------------------------------------------------------- topics
def topic_hits(text: str, taxonomy: Taxonomy, start: int = 0, end: int | None = None, *,
               lowered: str | None = None) -> list[tuple[int, str, str]]:
    """(offset, topic, term) of every topic term in ``text[start:end]``."""
    return [(m.start, k, m.phrase) for m in taxonomy.matcher.finditer(text, start, end, lowered=lowered)
            for k in m.keys]


def request_topics(hits: Sequence[tuple[int, str, str]], anchor: int, taxonomy: Taxonomy,
                   area: str | None = None) -> list[tuple[str, list[str]]]:
    """Topics of a request sentence from its :func:`topic_hits`, the one asked about first.

    The first topic named after ``anchor`` (the end of the thing asked for)
    leads; if none follows it, the nearest one before it.  Topics of
    ``area`` and cross-cutting ones are preferred, as in
    :func:`~needsassess.taxonomy.topic_matches`.
    """
    if area:
        local = [h for h in hits if taxonomy.by_key[h[1]].area in (area, ALL_AREAS)]
        hits = local or hits
    if not hits:
        return []
    after = [h for h in hits if h[0] >= anchor]
    lead = after[0][1] if after else [h for h in hits if h[0] < anchor][-1][1]
    out: dict[str, list[str]] = {lead: []}
    for _, key, phrase in hits:
        terms = out.setdefault(key, [])
        if phrase not in terms:
            terms.append(phrase)
    return list(out.items())


# ---------------------------------------------------------------- the table
def find_requests(responses: pd.DataFrame, *, taxonomy: Taxonomy | str | Path | None = None,
                  leas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``tta_requests`` table: one row per sentence that asks for T/TA.

    Parameters
    ----------
    responses : DataFrame
        The reader's ``responses`` table (file, lea_id, area, answer, sheet,
        cell, placeholder).  Placeholder answers are skipped.
    taxonomy : Taxonomy, path or None
    leas : DataFrame, optional
        The reader's ``leas`` table, for the LEA names.

    Returns
    -------
    DataFrame
        Columns of ``SCORE_TABLES["tta_requests"]``: ``topic`` is the topic
        asked about ("" when the sentence names none, nor does the sentence
        before it), ``terms`` the terms that named it, ``topics`` every
        topic named ("; "-joined, the asked-about one first), ``cue`` the
        words that make the sentence a request.  Rows keep the order of
        ``responses``.
    """
    tax = load_taxonomy(taxonomy)
    rows: list[tuple] = []
    if responses is not None and len(responses):
        cols = [c if c in responses.columns else None for c in ("file", "lea_id", "area", "answer", "sheet", "cell")]
        file, lea_id, area, answer, sheet, cell = (responses[c].tolist() if c else [""] * len(responses)
                                                   for c in cols)
        area = [a if isinstance(a, str) else "" for a in area]
        placeholder = (responses["placeholder"].tolist() if "placeholder" in responses.columns
                       else [False] * len(responses))
        keep = [n for n, (a, ph) in enumerate(zip(answer, placeholder)) if isinstance(a, str) and ph is not True]
        for k, found in _scan([answer[n] for n in keep], [area[n] for n in keep], tax):
            n = keep[k]
            rows.append((file[n], lea_id[n], area[n], *found, sheet[n], cell[n]))
    out = pd.DataFrame(rows, columns=["file", "lea_id", "area", "topic", "sentence", "terms", "topics", "cue",
                                      "sheet", "cell"])
    out["lea_name"] = _names(out, leas)
    return out[REQUEST_COLUMNS].astype({c: "str" for c in REQUEST_COLUMNS})


def _scan(answers: Sequence[str], areas: Sequence[str], tax: Taxonomy
          ) -> list[tuple[int, tuple[str, str, str, str, str]]]:
    """(answer index, (topic, sentence, terms, topics, cue)) for every request sentence.

    Sentences repeat across LEAs (boilerplate, shared phrasing), so each
    distinct sentence is read once, and each (sentence, area) judged once:
    the results are remembered for the rest of the call.
    """
    read: dict[str, tuple[Cue | None, list[tuple[int, str, str]]]] = {}
    judged: dict[tuple[str, str], tuple[str, str, str, str, str] | None] = {}  # None: no topic of its own
    hits_of: dict[str, list[tuple[int, str, str]]] = {}  # topic terms of sentences before a request
    out = []
    for k, spans, n in candidate_sentences(answers, tax):
        a, b = spans[n]
        sentence = answers[k][a:b]
        found = judged.get((sentence, areas[k]), False)
        if found is False:
            found = judged[(sentence, areas[k])] = _judge(sentence, areas[k], tax, read)
        if found is None:  # a request naming no topic: "Chronic absence doubled. We would welcome help with this."
            topics: list[tuple[str, list[str]]] = []
            if n:
                pa, pb = spans[n - 1]
                before = answers[k][pa:pb]
                if before not in hits_of:
                    hits_of[before] = topic_hits(before, tax)
                topics = request_topics(hits_of[before], pb - pa, tax, areas[k])
            lead_terms = "previous sentence: " + "; ".join(topics[0][1]) if topics else ""
            found = (topics[0][0] if topics else "", sentence.strip(), lead_terms,
                     "; ".join(key for key, _ in topics), read[sentence][0].text)  # type: ignore[union-attr]
        if found:
            out.append((k, found))
    return out


def _judge(sentence: str, area: str, tax: Taxonomy, read: dict[str, tuple[Cue | None, list[tuple[int, str, str]]]]
           ) -> tuple[str, str, str, str, str] | tuple[()] | None:
    """The request row of ``sentence`` in ``area``: () when it asks for nothing, None when it names no topic."""
    known = read.get(sentence)
    if known is None:
        cue = _cue_in(sentence, 0, len(sentence), list(tax.cue_matcher.finditer(sentence)), tax)
        known = read[sentence] = (cue, topic_hits(sentence, tax) if cue is not None else [])
    cue, hits = known
    if cue is None:
        return ()
    topics = request_topics(hits, cue.anchor, tax, area)
    if not topics:
        return None
    return (topics[0][0], sentence.strip(), "; ".join(topics[0][1]), "; ".join(key for key, _ in topics), cue.text)


def _names(frame: pd.DataFrame, leas: pd.DataFrame | None) -> list[str]:
    """LEA names for the rows of ``frame``, looked up by (file, lea_id)."""
    if leas is None or not len(leas) or "lea_name" not in leas.columns or not len(frame):
        return [""] * len(frame)
    names = {(f, i): n for f, i, n in zip(leas["file"].tolist(), leas["lea_id"].tolist(), leas["lea_name"].tolist())
             if isinstance(n, str)}
    return [names.get((f, i), "") for f, i in zip(frame["file"].tolist(), frame["lea_id"].tolist())]
