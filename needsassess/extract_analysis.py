"""The purple analysis tabs: open-ended questions and their answers.

Questions are found by structure, never by address:

* a text that is one of the template's questions (text or alias, ignoring a
  number prefix such as "Q2.") or shares most of its words with one;
* inside the questions section, a text whose first line ends with "?";
* inside the questions section, a numbered prompt ("3. Describe ...", or a
  prompt with its number in the cell to its left);
* inside the questions section, a one-line text that opens like a prompt
  ("Describe ...", "What factors ..."; the opening words are the
  template's ``prompt_starts``), with or without a "?".

Where each answer is, is :mod:`.extract_answers`' business.  The capacity
block and the indicator summary are located first and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from .capacity_block import content_words
from .extract_answers import answer_positions, answer_text, looks_like_question, right_box, skip_labels
from .extract_capacity import extract_capacity
from .extract_common import NUMBER_PREFIX, Context, norm_question, strip_number
from .extract_indicators import extract_indicators, match_indicator
from .sheets import Grid, Labels, Text, a1
from .template import QuestionSpec, Template, normalize

#: Longest answer Excel keeps in a cell; an answer this long was cut.
EXCEL_CELL_LIMIT = 32767
#: Word overlap (Dice, words of 4+ letters) for a text to count as a
#: template question without ending in "?", and to name the template
#: question a "?" text paraphrases.
MATCH_OVERLAP = 0.6
NAME_OVERLAP = 0.4
MIN_SHARED = 3
#: Answers longer than this carry content, whatever words they start with.
PLACEHOLDER_MAX_CHARS = 60
SECTION_MAX_WORDS = 8
#: A prompt without "?" ("Describe the policies that ...") has this many words.
PROMPT_WORDS = (4, 40)


@dataclass
class Analysis:
    """What one analysis tab yielded."""

    responses: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)
    n_questions: int = 0
    has_capacity: bool = False


@dataclass(frozen=True)
class _Question:
    row: int
    col: int
    text: str
    strong: bool
    spec: QuestionSpec | None
    number: int | None


@lru_cache(maxsize=8)
def _sections(template: Template) -> Labels:
    return Labels({"questions": template.questions_section, "summary": template.summary_section,
                   "capacity": template.capacity_section})


@lru_cache(maxsize=8)
def _placeholders(template: Template) -> frozenset[str]:
    return frozenset(normalize(s) for s in template.placeholder_answers)


@lru_cache(maxsize=8)
def _prompt_starts(template: Template) -> tuple[str, ...]:
    return tuple(f"{w} " for s in template.prompt_starts if (w := normalize(s)))


def is_prompt(t: Text, template: Template) -> bool:
    """True for a one-line text that opens like a prompt ("Describe ...", "What factors ...")."""
    low, high = PROMPT_WORDS
    if not t.norm or not low <= t.words <= high or "\n" in t.text:
        return False
    starts = _prompt_starts(template)
    opens = t.norm.startswith(starts) or (NUMBER_PREFIX.match(t.text) is not None
                                          and norm_question(t.text).startswith(starts))
    return opens and not _title_case(t.text)


def _asks(grid: Grid, t: Text, template: Template) -> bool:
    """True for a text worded as a question: a "?", a number, or a prompt's opening word."""
    return looks_like_question(t) or _number_of(grid, t) is not None or is_prompt(t, template)


def _title_case(text: str) -> bool:
    """A heading ("Reflect On Your Data"): every longer word capitalised, no closing full stop."""
    long = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    return bool(long) and all(w[0].isupper() for w in long) and not text.rstrip().endswith(".")


@lru_cache(maxsize=8)
def _area_words(template: Template) -> frozenset[str]:
    return frozenset(w for area in template.areas.values() for text in (area.name, *area.aliases)
                     for w in normalize(text).split())


def question_words(text: str, template: Template) -> frozenset[str]:
    """Content words of a question: 4+ letters, without its number and the area names."""
    return content_words(strip_number(text)) - _area_words(template)


@dataclass(frozen=True)
class _QuestionIndex:
    """The template questions of one area, for look-ups.

    ``exact`` maps every normalized wording to its question; ``bags`` holds
    the content words of each wording; ``postings`` maps a content word to
    the bags holding it, so a text is scored against the bags it shares a
    word with, not against all of them.  ``area_words`` are the area names'
    words of four letters or more (the others are no content words anyway).
    """

    exact: dict[str, QuestionSpec]
    bags: list[tuple[frozenset[str], QuestionSpec]]
    postings: dict[str, tuple[int, ...]]
    vocabulary: frozenset[str]
    area_words: frozenset[str]


@lru_cache(maxsize=32)
def _question_index(template: Template, area: str) -> _QuestionIndex:
    exact: dict[str, QuestionSpec] = {}
    own = template.questions_for(area) if area else list(template.questions)
    for spec in [*own, *template.questions]:  # the tab's own area wins a shared wording
        for text in (spec.text, *spec.aliases):
            exact.setdefault(norm_question(text), spec)
    bags = [(question_words(text, template), spec) for spec in own for text in (spec.text, *spec.aliases)]
    postings: dict[str, list[int]] = {}
    for i, (bag, _spec) in enumerate(bags):
        for word in bag:
            postings.setdefault(word, []).append(i)
    return _QuestionIndex(exact, bags, {w: tuple(ids) for w, ids in postings.items()}, frozenset(postings),
                          frozenset(w for w in _area_words(template) if len(w) >= 4))


#: True for a word too short to be a content word (fewer than four letters).
_SHORT = (4).__gt__


@lru_cache(maxsize=65536)
def match_question(text: str, area: str, template: Template) -> tuple[QuestionSpec | None, float, int]:
    """The template question a text is or most resembles.

    Returns the question, the score (1.0 for an exact match, else the Dice
    overlap of content words, :func:`question_words`, with the closest
    wording) and the number of content words shared.  Ties go to the first
    wording of the template.
    """
    index = _question_index(template, area)
    norm = norm_question(text)
    spec = index.exact.get(norm)
    if spec is not None:
        return spec, 1.0, 99
    # the content words are counted, not built: answers are long, and only
    # the few words that template questions use are looked up
    distinct = set(norm.split())
    n = len(distinct) - sum(map(_SHORT, map(len, distinct))) - len(distinct & index.area_words)
    shared_with: dict[int, int] = {}
    postings = index.postings
    for word in distinct & index.vocabulary:
        for i in postings[word]:
            shared_with[i] = shared_with.get(i, 0) + 1
    best, score, shared = None, 0.0, 0
    bags = index.bags
    for i in sorted(shared_with):
        common = shared_with[i]
        bag, candidate = bags[i]
        s = 2.0 * common / (n + len(bag))  # :func:`overlap`, with the intersection counted
        if s > score:
            best, score, shared = candidate, s, common
    return best, score, shared


def is_strong_question(text: str, area: str, template: Template) -> bool:
    """True when ``text`` is a template question, or shares most of its words with one."""
    _spec, score, shared = match_question(text, area, template)
    return _strong(score, shared, text)


def questions_area(grid: Grid, template: Template) -> str:
    """The area whose template questions a tab asks most ("" when it asks none)."""
    counts: dict[str, int] = {}
    for t in grid.texts:
        if t.norm:
            spec, score, shared = match_question(t.text, "", template)
            if spec is not None and _strong(score, shared, t.text):
                counts[spec.area] = counts.get(spec.area, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else ""


def _strong(score: float, shared: int, text: str) -> bool:
    return score >= 1.0 or (score >= MATCH_OVERLAP and shared >= MIN_SHARED and "\n" not in text)


def extract_analysis(grid: Grid, area: str, ctx: Context) -> Analysis:
    """Answers and capacity ratings of one analysis tab (its indicator summary is only located)."""
    template = ctx.template
    result = Analysis()
    section_rows = _section_rows(grid, template)
    stops = frozenset(r for rows in section_rows.values() for r in rows)
    result.ratings, block = extract_capacity(grid, area, ctx, stop_rows=stops)
    result.has_capacity = block is not None
    # the indicator summary is only located here; it is read when the data tab gave nothing
    _, summary = extract_indicators(grid, area, ctx, stop_rows=stops, values=False)
    excluded: set[int] = set()
    for span in (block, summary):
        if span is not None:
            excluded.update(range(span.header_row, span.last_row + 1))
    boundaries = sorted(stops | {b.header_row for b in (block, summary) if b is not None})
    in_section = _question_rows(section_rows, boundaries, grid.nrows)
    questions = _find_questions(grid, area, template, excluded | stops, in_section)
    result.n_questions = len(questions)
    if not questions:
        ctx.problem("questions-missing", grid, None, f"no open-ended questions were found on {grid.name!r}")
        return result
    expected = len(template.questions_for(area))
    if in_section is None and len(questions) < expected:
        # without the section title, a question worded in a way the template does not know is invisible
        ctx.problem("questions-fewer", grid, None,
                    f"{len(questions)} of the {expected} questions the template lists for {area} were found on "
                    f"{grid.name!r}, which has no questions section title; a question may be worded so that "
                    "the reader does not recognise it")
    q_cells = {(q.row, q.col) for q in questions}
    placeholders = _placeholders(template)
    for number, (q, nxt) in enumerate(zip(questions, [*questions[1:], None]), start=1):
        limit = min([b for b in boundaries if b > q.row] + ([nxt.row] if nxt and nxt.row > q.row else [])
                    + [grid.nrows])
        answer, cell = answer_text(grid, (q.row, q.col), limit, q_cells, template)
        question = q.text
        if not answer:
            ctx.problem("answer-missing", grid, (q.row, q.col),
                        f"cell {a1(q.row, q.col)} on {grid.name!r}: question {number} has no answer")
            continue
        if len(answer) >= EXCEL_CELL_LIMIT:
            ctx.problem("answer-truncated", grid, cell,
                        f"cell {a1(*cell)} on {grid.name!r}: the answer to question {number} fills the cell "
                        f"({EXCEL_CELL_LIMIT:,} characters) and was probably cut")
        placeholder = len(answer) <= PLACEHOLDER_MAX_CHARS and normalize(answer) in placeholders
        result.responses.append((area, number, question, answer, grid.name, a1(*cell),
                                 placeholder, q.spec.text if q.spec else ""))
    return result


def _section_rows(grid: Grid, template: Template) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for t, kind in _sections(template).hits(grid.texts, "prefix", SECTION_MAX_WORDS):
        if not t.text.endswith("?"):
            out.setdefault(kind, []).append(t.row)
    return out


def _question_rows(section_rows: dict[str, list[int]], boundaries: list[int], nrows: int) -> set[int] | None:
    """Rows of the questions section(s), or None when the tab has no such title."""
    starts = section_rows.get("questions")
    if not starts:
        return None
    rows: set[int] = set()
    for start in starts:
        end = min([b for b in boundaries if b > start] + [nrows])
        rows.update(range(start + 1, end))
    return rows


def _number_of(grid: Grid, t: Text) -> int | None:
    """The number of a numbered prompt: in the text itself or the cell to its left."""
    m = NUMBER_PREFIX.match(t.text)
    if m:
        digits = "".join(ch for ch in m.group(0) if ch.isdigit())
        if digits:
            return int(digits)
        letter = m.group(0).strip(" ().").lower()
        return ord(letter) - 96 if len(letter) == 1 and letter.isalpha() else None
    left = grid.value(t.row, t.col - 1) if t.col else ""
    if isinstance(left, (int, float)) and not isinstance(left, bool) and left == int(left) and 0 < left < 50:
        return int(left)
    if isinstance(left, str):
        m = NUMBER_PREFIX.match(left.strip() + " ")
        if m and m.group(0).strip() == left.strip():
            digits = "".join(ch for ch in left if ch.isdigit())
            return int(digits) if digits else None
    return None


def _find_questions(grid: Grid, area: str, template: Template, excluded: set[int],
                    in_section: set[int] | None) -> list[_Question]:
    """Questions of a tab, in reading order.

    Candidates come in three tiers: a template question word for word
    (always a question), a text sharing most words with one, and a "?" text,
    numbered prompt or prompt opening in the questions section.  Read top to
    bottom, a candidate of the lower tiers that sits where the previous
    question's answer is, is that answer ("The selected schools need the most
    support, but much of the need is district-wide." answers the question it
    echoes), unless it carries the next number of a numbered list of
    questions, or is worded as a question in a column whose questions are
    answered beside them.
    """
    skip = skip_labels(template)
    candidates: list[tuple[_Question, int]] = []
    worded: set[tuple[int, int]] = set()  # candidates of the lower tiers worded as questions or prompts
    for t in grid.texts:
        if not t.norm or t.row in excluded or t.norm in skip:
            continue
        spec, score, shared = match_question(t.text, area, template)
        if _strong(score, shared, t.text):
            if score < 1.0:
                if _asks(grid, t, template):
                    worded.add((t.row, t.col))
                elif match_indicator(t.text, area, template) is not None:
                    continue  # "Students in online courses" names an indicator; it asks nothing
            candidates.append((_Question(t.row, t.col, t.text, True, spec, None), 0 if score >= 1.0 else 1))
            continue
        if in_section is not None and t.row not in in_section:
            continue
        number = _number_of(grid, t)
        named = spec if score >= NAME_OVERLAP else None
        prompt = number is not None and len(strip_number(t.text).split()) >= 3 and "\n" not in t.text
        if looks_like_question(t) or prompt or is_prompt(t, template):
            candidates.append((_Question(t.row, t.col, t.text, False, named, number), 2))
            worded.add((t.row, t.col))
    if all(tier == 0 for _, tier in candidates):
        return [q for q, _ in candidates]
    # the numbers of the template questions too: the next number after one is a question, not its answer
    candidates = [(replace(q, number=_number_of(grid, grid.text_at[(q.row, q.col)])) if q.strong else q, tier)
                  for q, tier in candidates]
    certain = [q for q, tier in candidates if tier == 0]
    certain_cells = {(q.row, q.col) for q in certain}
    maybe = frozenset((q.row, q.col) for q, tier in candidates if tier)
    # where questions have answers beside them, a question-worded text under a question is the next one
    cells = {(q.row, q.col) for q, _ in candidates}
    beside = {q.col for q, _ in candidates
              if (box := right_box(grid, (q.row, q.col), cells, template)) is not None and not grid.blank(*box)}
    asking = frozenset(cell for cell in maybe if cell in worded and cell[1] in beside)
    accepted: list[_Question] = []
    taken: set[tuple[int, int]] = set()
    last_number: int | None = None
    for q, tier in candidates:
        follows = q.number is not None and last_number is not None and q.number == last_number + 1
        if tier and not follows and ((q.row, q.col) in taken or grid.top_left(q.row, q.col) in taken):
            continue
        accepted.append(q)
        last_number = q.number
        limit = min([c.row for c in certain if c.row > q.row] + [grid.nrows])
        taken.update(answer_positions(grid, (q.row, q.col), limit, certain_cells | {(q.row, q.col)}, template,
                                      maybe, asking))
    return accepted
