"""A sheet's cells, indexed once, and label matching on them.

:class:`Grid` wraps the row lists calamine returns (from A1, empty areas
kept) with the merged ranges, and lists every text cell with its normalized
form, so extractors find labels by look-up instead of rescanning.
:class:`Labels` matches a cell's text against the template's label lists.

A batch reads the same tool many times over: the same labels at the same
places.  So the text cells, their normal forms and the label look-ups are
remembered across workbooks (bounded caches; answers, which never recur,
fall out), and :func:`fold` normalizes text without a regular expression
per word.  ``tests/test_reader_fast_paths.py`` checks every short cut
against the plain definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import Any, Iterable, Mapping, Sequence, TypeVar

from .template import _PREFIX, normalize

#: Text cells longer than this are content (answers), never labels or
#: questions; they are not normalized, which keeps indexing cheap.
LABEL_MAX_CHARS = 400
#: Labels recur in every workbook of a batch: remember their normal forms (this many at most).
_MEMO_MAX = 65536
#: A merged range taller than this is no answer box (a whole-sheet merge).
TALL_MERGE = 4096
#: Up to this many merged ranges are searched in turn rather than indexed by row.
FEW_MERGES = 24
_LONG = ("", 0)
_MISS = object()


#: Every byte that is not a lower-case ASCII letter or digit becomes a space.
_WORD_BYTES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))


def fold(text: str) -> str:
    """:func:`~needsassess.template.normalize` of a text, without a regular expression per word.

    The same result for every string (the tests check it against
    ``normalize``), several times faster on long texts such as answers:
    after lower-casing, every character that is not an ASCII letter or
    digit is a separator, so the words are found by one byte translation
    and a split.

    Examples
    --------
    >>> fold("4a. Analyze  WRE Needs"), fold("Safe & Healthy Students:")
    ('analyze wre needs', 'safe and healthy students')
    """
    s = text.replace("&", " and ").lower()
    first = s[:1]
    if first.isspace() or first.isdigit():  # a number prefix ("4a.", "5 -") can only start so
        s = _PREFIX.sub("", s, count=1)
    # non-ASCII characters (after lower-casing) are never word characters: "?" stands for them
    return " ".join(s.encode("ascii", "replace").translate(_WORD_BYTES).decode("ascii").split())


@lru_cache(maxsize=8192)
def folded(text: str) -> str:
    """:func:`fold`, remembered (labels and questions recur in every workbook of a batch)."""
    return fold(text)


@lru_cache(maxsize=65536)
def _fold(text: str) -> tuple[str, int]:
    """Normal form of a cell text and its word count (remembered: labels recur in every workbook)."""
    norm = folded(text)  # shared with the question matcher, which folds the same answers
    return norm, (norm.count(" ") + 1 if norm else 0)


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
    key = (row, col)
    found = _A1.get(key)
    if found is None:
        if len(_A1) >= _MEMO_MAX:
            _A1.clear()
        found = _A1[key] = f"{column_letters(col)}{row + 1}"
    return found


#: Addresses recur in every workbook of a batch.
_A1: dict[tuple[int, int], str] = {}


@dataclass(frozen=True, slots=True)
class Text:
    """A text cell: position, trimmed text, normalized form ("" if long) and its word count."""

    row: int
    col: int
    text: str
    norm: str
    words: int = 0


#: Text cells by (row, column, value): a tab of the tool holds the same
#: labels at the same places in every workbook of a batch.
_TEXTS: dict[tuple[int, int, str], Text] = {}
_TEXTS_MAX = 8192


def _text(key: tuple[int, int, str]) -> Text | None:
    """The :class:`Text` of a cell value (None when it is only spaces), remembered."""
    row, col, value = key
    text = value.strip()
    if not text:
        return None
    norm, words = _fold(text) if len(text) <= LABEL_MAX_CHARS else _LONG
    found = Text(row, col, text, norm, words)
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()  # answers never recur; the labels are back after one workbook
    _TEXTS[key] = found
    return found


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

    Notes
    -----
    Built once per loaded tab, so it does only what every extractor needs:
    the text cells in reading order, each with its normal form (looked up in
    a cache shared by the batch: labels recur in every workbook).  Empty
    cells are skipped at C speed; the cell index, the normal-form index, the
    non-blank cells of a row and the merged areas by row are made when first
    asked for.
    """

    __slots__ = ("name", "rows", "nrows", "ncols", "merged", "width", "texts",
                 "_text_at", "_by_norm", "_owner", "_filled", "_few")

    def __init__(self, name: str, rows: list[list[Any]],
                 merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()) -> None:
        self.name = name
        self.rows = rows
        self.nrows = len(rows)
        self.ncols = max(map(len, rows), default=0)
        self.merged: dict[tuple[int, int], tuple[int, int]] = {
            (r1, c1): (r2, c2) for (r1, c1), (r2, c2) in merged}
        self._owner: dict[int, list[tuple[int, int, int]]] | None = None
        self._few: object = _MISS
        self._text_at: dict[tuple[int, int], Text] | None = None
        self._by_norm: dict[str, list[tuple[int, int]]] | None = None
        self._filled: dict[int, list[tuple[int, Any]]] = {}
        texts: list[Text] = []
        append = texts.append
        known = _TEXTS
        for r, row in enumerate(rows):
            # only truthy cells: the empty strings that fill the used range are skipped in C
            for c in compress(range(len(row)), row):
                value = row[c]
                if value.__class__ is not str:
                    continue
                key = (r, c, value)
                t = known.get(key)
                if t is None:
                    t = _text(key)
                    if t is None:
                        continue
                append(t)
        self.texts: list[Text] = texts
        # merged boxes may reach past the last column holding a value
        self.width = max([self.ncols, *(c2 + 1 for _, c2 in self.merged.values())])

    @property
    def text_at(self) -> dict[tuple[int, int], Text]:
        """Text cells by (row, column)."""
        if self._text_at is None:
            self._text_at = {(t.row, t.col): t for t in self.texts}
        return self._text_at

    @property
    def by_norm(self) -> dict[str, list[tuple[int, int]]]:
        """Cells of each normal form (texts of at most :data:`LABEL_MAX_CHARS` characters)."""
        if self._by_norm is None:
            by_norm: dict[str, list[tuple[int, int]]] = {}
            for t in self.texts:
                if t.norm:
                    by_norm.setdefault(t.norm, []).append((t.row, t.col))
            self._by_norm = by_norm
        return self._by_norm

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
                if r2 - r1 > TALL_MERGE:
                    continue  # a whole-sheet merge is not an answer box
                for r in range(r1, r2 + 1):
                    by_row.setdefault(r, []).append((c1, c2, r1))
            self._owner = by_row
        return self._owner

    @property
    def _spans(self) -> list[tuple[int, int, int, int]] | None:
        """The merged ranges as (first row, last row, first column, last column), when they are few.

        A few ranges are searched in turn; many are indexed by row (:attr:`_merged_rows`).
        """
        if self._few is _MISS:
            self._few = None if len(self.merged) > FEW_MERGES else [
                (r1, r2, c1, c2) for (r1, c1), (r2, c2) in self.merged.items() if r2 - r1 <= TALL_MERGE]
        return self._few  # type: ignore[return-value]

    def boxes_from(self, row: int) -> list[tuple[int, int]]:
        """(first column, last column) of the merged areas whose top row is ``row``."""
        spans = self._spans
        if spans is not None:
            return [(c1, c2) for r1, _r2, c1, c2 in spans if r1 == row]
        return [(c1, c2) for c1, c2, r1 in self._merged_rows.get(row, ()) if r1 == row]

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        """The cell holding the value of (row, col): itself or its merged area's top-left."""
        spans = self._spans
        if spans is not None:
            for r1, r2, c1, c2 in spans:
                if r1 <= row <= r2 and c1 <= col <= c2:
                    return (r1, c1)
            return (row, col)
        for c1, c2, r1 in self._merged_rows.get(row, ()):
            if c1 <= col <= c2:
                return (r1, c1)
        return (row, col)

    def row_values(self, row: int) -> list[tuple[int, Any]]:
        """Non-blank (column, value) pairs of a row, left to right (made once per row)."""
        found = self._filled.get(row)
        if found is None:
            found = []
            if 0 <= row < self.nrows:
                found = [(c, v) for c, v in enumerate(self.rows[row])
                         if not (v == "" or v is None or (v.__class__ is str and not v.strip()))]
            self._filled[row] = found
        return found

    def row_blank(self, row: int) -> bool:
        return not self.row_values(row)

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
        # answers by how, misses included: the same labels recur in every workbook of a batch
        self._memo: dict[str, dict[str, str | None]] = {"prefix": {}, "contains": {}}

    def match(self, norm: str, *, how: str = "contains") -> str | None:
        """Key for a normalized text; ``how`` is "exact", "prefix" or "contains"."""
        if how == "exact":
            return self.exact.get(norm) if norm else None
        memo = self._memo[how]
        key = memo.get(norm, _MISS)
        if key is not _MISS:
            return key  # type: ignore[return-value]
        if not norm:
            return None
        key = self.exact.get(norm)
        if key is None:
            key = self._search(norm, how)
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[norm] = key
        return key

    def hits(self, texts: Iterable[Text], how: str, max_words: int) -> list[tuple[Text, str]]:
        """``(text, key)`` of the texts of at most ``max_words`` words that match, in order.

        The same as calling :meth:`match` on each, with the memo consulted inline.
        """
        memo = self._memo[how] if how != "exact" else {}
        out = []
        for t in texts:
            if 0 < t.words <= max_words:
                key = memo.get(t.norm, _MISS)
                if key is _MISS:
                    key = self.match(t.norm, how=how)
                if key is not None:
                    out.append((t, key))
        return out

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


T = TypeVar("T")


def closest(words: frozenset[str], bags: Iterable[tuple[frozenset[str], T]], min_overlap: float) -> T | None:
    """The item whose word bag overlaps ``words`` most (the first on a tie), if by ``min_overlap`` at least.

    Examples
    --------
    >>> closest(frozenset({"family", "engagement"}), [(frozenset({"family"}), "a"),
    ...                                               (frozenset({"family", "engagement"}), "b")], 0.5)
    'b'
    """
    best, score = None, 0.0
    for bag, item in bags:
        s = overlap(words, bag)
        if s > score:
            best, score = item, s
    return best if score >= min_overlap else None
