"""What text a cell of the summary workbook can hold, and how much room it takes.

Excel's limits (characters in a cell, counted in UTF-16 units; links on a
sheet), the leading characters that make typed text a formula, the text a
value shows as (lists and mappings joined, characters XML cannot carry
replaced), and the lines a text takes when wrapped.  Used by
:mod:`needsassess.write_cells` for every cell, and by the CSV writer.
"""

from __future__ import annotations

from typing import Mapping

from .figures import is_blank

#: Leading characters that make Excel treat typed text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limits: characters in a cell, hyperlinks on a sheet.
MAX_CELL_CHARS = 32_767
MAX_LINKS = 65_530
#: Characters of 10-point text per unit of column width, for row heights.
CHARS_PER_WIDTH = 1.2


def count_lines(s: str, per_line: float) -> int:
    """Lines text ``s`` takes when wrapped at ``per_line`` characters."""
    if "\n" in s:
        return sum(1 + int(len(part) / per_line) for part in s.split("\n"))
    return 1 + int(len(s) / per_line)


def clean_text(value: object) -> str:
    """``value`` as a string that can be stored in a workbook.

    Lists read as "a; b", mappings as "key: value; ...".  Characters XML
    cannot carry (lone surrogates from undecodable file names, U+FFFE and
    U+FFFF) become U+FFFD.
    """
    if isinstance(value, str):
        s = value
    elif isinstance(value, Mapping):
        s = "; ".join(f"{k}: {clean_text(v)}" for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        s = "; ".join(clean_text(v) for v in value if not is_blank(v))
    else:
        s = str(value)
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in s)
    if "\ufffe" in s or "\uffff" in s:
        s = s.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    return s


def utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def utf16_truncate(s: str, limit: int) -> str:
    if utf16_len(s) <= limit:
        return s
    n = 0
    for i, ch in enumerate(s):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > limit:
            return s[:i]
    return s
