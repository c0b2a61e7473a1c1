"""A sheet's cells, indexed once, and label matching on them.

:class:`Grid` wraps the row lists calamine returns (from A1, empty areas
kept) with the merged ranges, and indexes every text cell by its normalized
form, so extractors find labels by look-up instead of rescanning.
:class:`Labels` matches a cell's text against the template's label lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .template import normalize

#: Text cells longer than this are content (answers), never labels or
#: questions; they are not normalized, which keeps indexing cheap.
LABEL_MAX_CHARS = 400
#: Labels recur in every workbook of a batch: remember their normal forms.
_normalize = lru_cache(maxsize=65536)(normalize)
_MEMO_MAX = 65536


@lru_cache(maxsize=1024)
def column_letters(col: int) -> str:
    """Spreadsheet column letters of a 0-based column index.

    Examples
    --------
    >>> column_letters(0), column_letters(25), column_letters(26), column_letters(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """A1 address of a 0-based (row, column).

    Examples
    --------
    >>> a1(13, 2)
    'C14'
    """
    return f"{column_letters(col)}{row + 1}"


@dataclass(slots=True)
class Text:
    """A text cell: position, trimmed text, normalized form ("" if long) and its word count."""

    row: int
    col: int
    text: str
    norm: str
    words: int = 0


class Grid:
    """One sheet's values with its merged areas and an index of text cells.

    Parameters
    ----------
    name : str
        The sheet's real name (for provenance).
    rows : list of lists
        Cell values from A1, as ``CalamineSheet.to_python(skip_empty_area=False)``.
    merged : list of ((r1, c1), (r2, c2))
        Merged ranges, 0-based and inclusive.
    """

    def __init__(self, name: str, rows: list[list[Any]],
                 merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()) -> None:
        self.name = name
        self.rows = rows
        self.nrows = len(rows)
        self.ncols = max((len(r) for r in rows), default=0)
        self.merged: dict[tuple[int, int], tuple[int, int]] = {
            (r1, c1): (r2, c2) for (r1, c1), (r2, c2) in merged}
        self._owner: dict[int, list[tuple[int, int, int]]] | None = None
        self.texts: list[Text] = []
        self.by_norm: dict[str, list[tuple[int, int]]] = {}
        texts = self.texts
        by_norm = self.by_norm
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value.__class__ is not str or not value:
                    continue
                text = value.strip()
                if not text:
                    continue
                norm = _normalize(text) if len(text) <= LABEL_MAX_CHARS else ""
                texts.append(Text(r, c, text, norm, norm.count(" ") + 1 if norm else 0))
                if norm:
                    if norm in by_norm:
                        by_norm[norm].append((r, c))
                    else:
                        by_norm[norm] = [(r, c)]
        self.text_at: dict[tuple[int, int], Text] = {(t.row, t.col): t for t in self.texts}
        # merged boxes may reach past the last column holding a value
        self.width = max([self.ncols, *(c2 + 1 for _, c2 in self.merged.values())])

    def value(self, row: int, col: int) -> Any:
        """The cell's value ("" outside the data or for an empty cell)."""
        if 0 <= row < self.nrows:
            cells = self.rows[row]
            if 0 <= col < len(cells):
                return cells[col]
        return ""

    def blank(self, row: int, col: int) -> bool:
        v = self.value(row, col)
        return v == "" or v is None or (v.__class__ is str and not v.strip())

    def extent(self, row: int, col: int) -> tuple[int, int]:
        """Bottom-right (row, col) of the merged area starting here, else the cell."""
        return self.merged.get((row, col), (row, col))

    @property
    def _merged_rows(self) -> dict[int, list[tuple[int, int, int]]]:
        """Row -> merged ranges crossing it, as (first column, last column, first row)."""
        if self._owner is None:
            by_row: dict[int, list[tuple[int, int, int]]] = {}
            for (r1, c1), (r2, c2) in self.merged.items():
                if r2 - r1 > 4096:
                    continue  # a whole-sheet merge is not an answer box
                for r in range(r1, r2 + 1):
                    by_row.setdefault(r, []).append((c1, c2, r1))
            self._owner = by_row
        return self._owner

    def boxes_from(self, row: int) -> list[tuple[int, int]]:
        """(first column, last column) of the merged areas whose top row is ``row``."""
        return [(c1, c2) for c1, c2, r1 in self._merged_rows.get(row, ()) if r1 == row]

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        """The cell holding the value of (row, col): itself or its merged area's top-left."""
        for c1, c2, r1 in self._merged_rows.get(row, ()):
            if c1 <= col <= c2:
                return (r1, c1)
        return (row, col)

    def row_values(self, row: int) -> Iterator[tuple[int, Any]]:
        """Non-blank (column, value) pairs of a row, left to right."""
        if 0 <= row < self.nrows:
            for c, v in enumerate(self.rows[row]):
                if not (v == "" or v is None or (v.__class__ is str and not v.strip())):
                    yield c, v

    def row_blank(self, row: int) -> bool:
        return next(self.row_values(row), None) is None

    def first_right(self, row: int, col: int, *, stop: Iterable[tuple[int, int]] = ()) -> tuple[int, int] | None:
        """First non-blank cell right of (row, col) in its row, skipping its merged area.

        Returns None when the row has nothing further right, or when the
        first thing found is one of ``stop`` (another label).
        """
        _, c2 = self.extent(row, col)
        stops = set(stop)
        if 0 <= row < self.nrows:
            cells = self.rows[row]
            for c in range(c2 + 1, len(cells)):
                v = cells[c]
                if v == "" or v is None or (v.__class__ is str and not v.strip()):
                    continue
                return None if (row, c) in stops else (row, c)
        return None


class Labels:
    """Matches normalized cell text to keys of a ``{key: [labels]}`` table.

    Exact matches win; otherwise the label with the most words found as
    whole words inside the text (``contains``) or at its start (``prefix``)
    decides.

    Examples
    --------
    >>> cols = Labels({"amount": ["Amount"], "infrastructure_amount": ["Technology infrastructure"]})
    >>> cols.match("technology infrastructure amount"), cols.match("title iv a amount")
    ('infrastructure_amount', 'amount')
    """

    def __init__(self, table: Mapping[str, Iterable[str]], *, min_words: int = 1) -> None:
        self.exact: dict[str, str] = {}
        for key, labels in table.items():
            for label in labels:
                self.exact.setdefault(normalize(label), key)
        # labels allowed inside longer text, looked up by word n-grams
        self._partial = {lab: key for lab, key in self.exact.items() if lab and len(lab.split()) >= min_words}
        self._max_words = max((len(lab.split()) for lab in self._partial), default=0)
        self._memo: dict[tuple[str, str], str | None] = {}

    def match(self, norm: str, *, how: str = "contains") -> str | None:
        """Key for a normalized text; ``how`` is "exact", "prefix" or "contains"."""
        if not norm:
            return None
        key = self.exact.get(norm)
        if key is not None or how == "exact":
            return key
        memo = self._memo
        if (norm, how) in memo:
            return memo[(norm, how)]
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        key = memo[(norm, how)] = self._search(norm, how)
        return key

    def all_inside(self, norm: str) -> list[str]:
        """Keys of every label found as whole words inside the text, longest label first."""
        words = norm.split()
        n = len(words)
        found = {lab for k in range(min(n, self._max_words), 0, -1) for i in range(n - k + 1)
                 if (lab := " ".join(words[i:i + k])) in self._partial}
        return [self._partial[lab] for lab in sorted(found, key=len, reverse=True)]

    def _search(self, norm: str, how: str) -> str | None:
        words = norm.split()
        n = len(words)
        partial = self._partial
        for k in range(min(n, self._max_words), 0, -1):
            if how == "prefix":
                key = partial.get(" ".join(words[:k]))
                if key is not None:
                    return key
                continue
            found = [lab for i in range(n - k + 1) if (lab := " ".join(words[i:i + k])) in partial]
            if found:
                return partial[max(found, key=len)]
        return None


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two word sets (0 when either is empty).

    Examples
    --------
    >>> overlap(frozenset("a b c".split()), frozenset("b c d".split()))
    0.6666666666666666
    """
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))
