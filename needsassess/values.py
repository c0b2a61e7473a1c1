"""Cell values: from what an LEA typed to numbers, dates, ids and flags.

Pure functions.  Each parser takes the raw cell value as calamine gives it
(str, float, int, bool, date, datetime or ``""``) and returns a
:class:`Parsed`: the value, the raw text kept for the record, and a status:

``ok``
    understood;
``empty``
    the cell is blank;
``missing``
    a "no value" entry of the template (``N/A``, ``*``, ``<5``): value empty,
    raw text kept, not a problem;
``invalid``
    text that is not what the cell should hold: value empty, raw kept, the
    caller reports a problem.

The spellings (missing markers, yes/no words, rating words, evidence
levels) come from the template.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Any, Iterable, NamedTuple, Sequence

from .sheets import folded
from .template import Template, normalize

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial day numbers Excel dates plausibly take (1950 .. 2100).
_SERIAL_RANGE = (18264, 73051)
_MONEY_STRIP = re.compile(r"[\s$,]|usd", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6}
_YEAR_SPAN = re.compile(r"((?:19|20)\d\d)\s*(?:-|–|—|/|to|through)\s*((?:19|20)?\d\d)\b")
_ONE_YEAR = re.compile(r"^\s*(?:sy|fy|school year)?\s*((?:19|20)\d\d)\s*$", re.IGNORECASE)
_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%Y/%m/%d", "%m-%d-%Y", "%m.%d.%Y", "%d.%m.%Y",
                 "%B %d, %Y", "%B %d %Y", "%b %d, %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%dT%H:%M:%S")
_RANK = re.compile(r"^\s*(?:#|no\.?|priority)?\s*(\d{1,3})\s*(?:st|nd|rd|th|\.)?\s*$", re.IGNORECASE)


class Parsed(NamedTuple):
    """A parsed cell: value, the raw text, and ok / empty / missing / invalid."""

    value: Any
    raw: str
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


EMPTY = Parsed(None, "", "empty")


def raw_text(value: Any) -> str:
    """The cell as text: numbers without a trailing ``.0``, dates as ISO.

    Examples
    --------
    >>> raw_text(12500.0), raw_text(0.125), raw_text(" N/A "), raw_text(True)
    ('12500', '0.125', 'N/A', 'TRUE')
    """
    if value.__class__ is float:
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: Any) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


@lru_cache(maxsize=8)
def _missing_set(template: Template) -> frozenset[str]:
    return frozenset(s.strip().lower() for s in template.missing_values)


def is_missing(text: str, template: Template) -> bool:
    """True when ``text`` is a template "no value" marker (``N/A``, ``*``, ``<5``)."""
    t = text.strip().lower()
    if t in _missing_set(template):
        return True
    return any(t.startswith(p) for p in template.suppressed_prefixes if p)


def _plain_number(text: str) -> float | None:
    t = text.strip()
    return float(t) if _NUMBER.match(t) else None


def _number_text(value: Any, template: Template) -> Parsed | str:
    """What the number parsers do first: the result for a blank cell, a typed
    number, a flag or a missing-data marker; else the cell's text, to parse."""
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, bool):
        return Parsed(None, raw, "invalid")
    if isinstance(value, (int, float)):
        return Parsed(float(value), raw, "ok") if math.isfinite(value) else Parsed(None, raw, "invalid")
    if is_missing(raw, template):
        return Parsed(None, raw, "missing")
    return raw


def parse_number(value: Any, template: Template) -> Parsed:
    """A plain number ("1,250", 3, "2.5").

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> parse_number("1,250", t), parse_number("N/A", t).status, parse_number("lots", t).status
    (Parsed(value=1250.0, raw='1,250', status='ok'), 'missing', 'invalid')
    """
    if value.__class__ is float and math.isfinite(value):
        return Parsed(value, raw_text(value), "ok")
    raw = _number_text(value, template)
    if raw.__class__ is not str:
        return raw  # type: ignore[return-value]
    number = _plain_number(raw.replace(",", "").replace(" ", ""))
    return Parsed(number, raw, "ok") if number is not None else Parsed(None, raw, "invalid")


def parse_money(value: Any, template: Template) -> Parsed:
    """A dollar amount typed as 12500, "$12,500.00", "(1,000)" or "12.5k".

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> [parse_money(v, t).value for v in (12500, "$12,500.00", "(1,000)", "$12.5K", " 7 500 ")]
    [12500.0, 12500.0, -1000.0, 12500.0, 7500.0]
    >>> parse_money("twelve thousand", t).status
    'invalid'
    """
    raw = _number_text(value, template)
    if raw.__class__ is not str:
        return raw  # type: ignore[return-value]
    text = raw
    sign = 1.0
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1.0, text[1:-1]
    text = _MONEY_STRIP.sub("", text)
    if text.startswith("-"):
        sign, text = -sign, text[1:]
    scale = 1.0
    if text[-1:].lower() in _SCALE:
        scale, text = _SCALE[text[-1].lower()], text[:-1]
    number = _plain_number(text)
    if number is None:
        return Parsed(None, raw, "invalid")
    return Parsed(sign * number * scale, raw, "ok")


class Percent(NamedTuple):
    """A number read from a percent cell, before the unit is settled."""

    value: float
    explicit: bool  # typed with a "%" sign: already in percentage points


def parse_percent(value: Any, template: Template) -> tuple[Parsed, Percent | None]:
    """Read a cell of a percent indicator; the unit is settled by :func:`to_points`.

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> parse_percent("12%", t)[1], parse_percent(0.12, t)[1]
    (Percent(value=12.0, explicit=True), Percent(value=0.12, explicit=False))
    """
    text = value.strip() if isinstance(value, str) else None
    if text and text.endswith("%"):
        parsed = parse_number(text[:-1], template)
        if parsed.ok:
            return Parsed(parsed.value, text, "ok"), Percent(parsed.value, True)
        return Parsed(None, text, "invalid"), None
    parsed = parse_number(value, template)
    return parsed, (Percent(parsed.value, False) if parsed.ok else None)


def to_points(cells: Sequence[Percent | None]) -> list[float | None]:
    """Settle the unit of one indicator row and return percentage points (0-100).

    The rule, applied to one indicator row (its district, school and State
    values together):

    1. A value typed with "%" is in points.  So is a plain value above 1.
    2. When the row has no such value, plain values (all within -1..1) are
       fractions: 0.12 is 12 percent.
    3. Otherwise a plain value within -1..1 is a fraction when it is less
       than a tenth of the median of the row's points values (that is,
       when 100 times it lies nearer that median on a log scale than the
       value itself); else it is a small rate in points.  So
       ``0.12, 15, 11`` reads as 12, 15 and 11, while ``0.5, 3.2, 1.1``
       keeps 0.5 (percent) next to larger rates.

    Examples
    --------
    >>> to_points([Percent(0.12, False), Percent(15.0, True), None])
    [12.0, 15.0, None]
    >>> to_points([Percent(0.5, False), Percent(3.2, False), Percent(1.1, False)])
    [0.5, 3.2, 1.1]
    >>> to_points([Percent(0.2, False), Percent(0.35, False)])
    [20.0, 35.0]
    """
    return _points([None if c is None else (c.value, c.explicit) for c in cells])


def _points(cells: Sequence[tuple[float, bool] | None]) -> list[float | None]:
    """:func:`to_points` on ``(value, explicit)`` pairs."""
    points = sorted(c[0] for c in cells if c is not None and (c[1] or abs(c[0]) > 1.0))
    reference = points[len(points) // 2] if points else None
    out: list[float | None] = []
    for c in cells:
        if c is None:
            out.append(None)
            continue
        value, explicit = c
        if explicit or abs(value) > 1.0:
            out.append(value)
        elif reference is None or abs(value) * 10.0 < abs(reference):
            out.append(round(value * 100.0, 10))
        else:
            out.append(value)
    return out


def read_row(values: Sequence[Any], unit: str, template: Template) -> list[tuple[Any, str, str]]:
    """One indicator row's cells read at once: ``(value, raw, status)`` per cell.

    The same as :func:`parse_percent` on each cell and :func:`to_points` on
    the row for a ``"percent"`` unit, :func:`parse_number` for ``"ratio"``
    and ``"count"``, and the parsed percent cells kept as typed for an
    unknown indicator (``""``).  The value is None unless the status is ok.
    Finite numbers, most cells, are read without the general parsers.

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> read_row([0.12, "15%", "N/A", 11.0], "percent", load_template())
    [(12.0, '0.12', 'ok'), (15.0, '15%', 'ok'), (None, 'N/A', 'missing'), (11.0, '11', 'ok')]
    """
    percent = unit in ("percent", "")
    read: list[tuple[Any, str, str]] = []
    pairs: list[tuple[float, bool] | None] = []
    for value in values:
        if value.__class__ is float and math.isfinite(value):
            read.append((value, raw_text(value), "ok"))
            pairs.append((value, False))
        elif percent:
            parsed, pct = parse_percent(value, template)
            read.append(parsed)
            pairs.append(None if pct is None else (pct.value, pct.explicit))
        else:
            read.append(parse_number(value, template))
    if unit == "percent":
        return [(v, raw, status) for v, (_, raw, status) in zip(_points(pairs), read)]
    return [(v if status == "ok" else None, raw, status) for v, raw, status in read]


def parse_id(value: Any, digits: int | None = None) -> Parsed:
    """An identifier kept as text; numbers lose ``.0`` and get leading zeros back.

    Examples
    --------
    >>> parse_id(612345.0, 7).value, parse_id("0612345", 7).value, parse_id(" LEA-042 ").value
    ('0612345', '0612345', 'LEA-042')
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, float) and not (math.isfinite(value) and value == int(value)):
        return Parsed(None, raw, "invalid")
    text = raw
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(int(value))
    if digits and text.isdigit() and len(text) < digits:
        text = text.zfill(digits)
    return Parsed(text, raw, "ok")


def parse_date(value: Any) -> Parsed:
    """A date from a date cell, an Excel serial number or text in a common form.

    Examples
    --------
    >>> [parse_date(v).value.isoformat() for v in (46096, "3/15/2026", "2026-03-15", "March 15, 2026")]
    ['2026-03-15', '2026-03-15', '2026-03-15', '2026-03-15']
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, dt.datetime):
        return Parsed(value.date(), raw, "ok")
    if isinstance(value, dt.date):
        return Parsed(value, raw, "ok")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return Parsed(EXCEL_EPOCH + dt.timedelta(days=int(value)), raw, "ok")
        return Parsed(None, raw, "invalid")
    text = re.sub(r"\s+", " ", raw.replace(",", ", ")).replace(" ,", ",").strip()
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    for fmt in _DATE_FORMATS:
        try:
            return Parsed(dt.datetime.strptime(text.replace(",,", ","), fmt).date(), raw, "ok")
        except ValueError:
            continue
    number = _plain_number(raw)
    if number is not None and _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return Parsed(EXCEL_EPOCH + dt.timedelta(days=int(number)), raw, "ok")
    return Parsed(None, raw, "invalid")


def parse_school_year(value: Any) -> Parsed:
    """A school year as "YYYY-YY" ("2025-26", "2025-2026", "SY 2025/26").

    A single year (2025 or "2025") is kept as that year, since States
    differ on whether it names the fall or the spring.

    Examples
    --------
    >>> [parse_school_year(v).value for v in ("2025-26", "2025-2026", "SY 2025/26", 2025.0)]
    ['2025-26', '2025-26', '2025-26', '2025']
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return Parsed(str(value.year), raw, "ok")
    span = _YEAR_SPAN.search(raw)
    if span:
        start, end = int(span.group(1)), span.group(2)
        return Parsed(f"{start}-{end[-2:]}", raw, "ok")
    one = _ONE_YEAR.match(raw)
    if one:
        return Parsed(one.group(1), raw, "ok")
    return Parsed(None, raw, "invalid")


#: Normal forms of short cell texts (yes / no words, rating words, evidence levels) recur.
_normal = folded


@lru_cache(maxsize=8)
def _levels(template: Template) -> list[int]:
    return sorted(template.capacity_scale) or [1, 2, 3, 4]


@lru_cache(maxsize=8)
def _yes_no(template: Template) -> dict[str, bool]:
    table = {normalize(v): False for v in template.no_values}
    table.update({normalize(v): True for v in template.yes_values})
    return table


def parse_yes_no(value: Any, template: Template) -> Parsed:
    """True / False from the template's yes and no spellings.

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> parse_yes_no("Yes", t).value, parse_yes_no("n", t).value, parse_yes_no(True, t).value
    (True, False, True)
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, bool):
        return Parsed(value, raw, "ok")
    norm = _normal(raw)
    found = _yes_no(template).get(norm)
    if found is None and " " in norm:
        # "Yes, coaching on data" / "No - not this year": the first word decides
        found = _yes_no(template).get(norm.split(" ", 1)[0])
    if found is None:
        return Parsed(None, raw, "missing" if is_missing(raw, template) else "invalid")
    return Parsed(found, raw, "ok")


@lru_cache(maxsize=8)
def _scale(template: Template) -> dict[str, int]:
    return {normalize(word): level for level, words in template.capacity_scale.items() for word in words}


def scale_level(text: Any, template: Template) -> int | None:
    """The rating level a scale word or header names ("Proficient" -> 3), or None."""
    return _scale(template).get(_normal(text) if text.__class__ is str else normalize(text))


def parse_rating(value: Any, template: Template) -> Parsed:
    """A capacity rating 1-4 typed as a number, "3 - Proficient" or a scale word.

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> [parse_rating(v, t).value for v in (3.0, "2", "4 - Advanced", "developing", "Proficient (3)")]
    [3, 2, 4, 2, 3]
    >>> parse_rating(7, t).status
    'invalid'
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    levels = _levels(template)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == int(value) and int(value) in levels:
            return Parsed(int(value), raw, "ok")
        return Parsed(None, raw, "invalid")
    word = scale_level(raw, template)
    if word is not None:
        return Parsed(word, raw, "ok")
    number = _plain_number(raw)
    if number is not None:
        ok = number == int(number) and int(number) in levels
        return Parsed(int(number), raw, "ok") if ok else Parsed(None, raw, "invalid")
    tokens = re.findall(r"[a-z]+|\d+(?:\.\d+)?", raw.lower())
    found = {lvl for token in tokens if (lvl := _token_level(token, template)) is not None}
    if any("." in token for token in tokens):
        return Parsed(None, raw, "invalid")
    if len(found) == 1:
        return Parsed(found.pop(), raw, "ok")
    return Parsed(None, raw, "missing" if is_missing(raw, template) else "invalid")


def _token_level(token: str, template: Template) -> int | None:
    if token.isdigit():
        n = int(token)
        return n if n in template.capacity_scale else None
    return scale_level(token, template)


def parse_rank(value: Any) -> Parsed:
    """A priority rank: 1, 2.0, "3", "#4", "5th".

    Examples
    --------
    >>> [parse_rank(v).value for v in (1, 2.0, "3", "#4", "5th")]
    [1, 2, 3, 4, 5]
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Parsed(int(value), raw, "ok") if value == int(value) and value > 0 else Parsed(None, raw, "invalid")
    match = _RANK.match(raw)
    return Parsed(int(match.group(1)), raw, "ok") if match else Parsed(None, raw, "invalid")


def parse_evidence(value: Any, template: Template) -> Parsed:
    """An ESSA evidence level key (strong, moderate, promising, rationale).

    Exact spellings of the template first, then the longest spelling found
    as words inside the text ("Tier 2 - Moderate evidence").

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> t = load_template()
    >>> [parse_evidence(v, t).value for v in ("Strong", "Tier II", "Level 3 (promising)", 4)]
    ['strong', 'moderate', 'promising', 'rationale']
    """
    if is_blank(value):
        return EMPTY
    raw = raw_text(value)
    exact = template.evidence_level_of(raw)
    if exact:
        return Parsed(exact, raw, "ok")
    padded = f" {_normal(raw)} "
    for spelling, level in _evidence_longest_first(template):
        if f" {spelling} " in padded:
            return Parsed(level, raw, "ok")
    return Parsed(None, raw, "missing" if is_missing(raw, template) else "invalid")


@lru_cache(maxsize=8)
def _evidence_longest_first(template: Template) -> list[tuple[str, str]]:
    pairs = {normalize(s): level for level, spellings in template.evidence_levels.items()
             for s in (level, *spellings)}
    # bare digits inside longer text ("2 schools") say nothing about evidence
    return sorted(((s, lvl) for s, lvl in pairs.items() if s and not s.isdigit()), key=lambda p: -len(p[0]))


def text_value(value: Any) -> str:
    """A text cell's content, trimmed; numbers and dates as :func:`raw_text`."""
    if isinstance(value, str):
        return value.strip()
    return raw_text(value)


def first_present(values: Iterable[Any]) -> Any:
    """The first value that is not blank, or ``""``."""
    for v in values:
        if not is_blank(v):
            return v
    return ""
