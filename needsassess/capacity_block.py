"""The capacity self-rating block: where it is, which capacity a label names, what a row holds.

A header row holds a capacity column and either a rating column or one
column per scale level (marked with an X); a T/TA column is optional.  The
columns may come in any order.  One row per capacity follows.
:mod:`needsassess.extract_capacity` reads the block row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .extract_common import Context, at, quoted
from .sheets import Grid, Labels, closest, folded
from .template import CapacitySpec, Template, normalize
from .values import is_blank, parse_rating, parse_yes_no, raw_text, text_value

#: Header cells longer than this many words are sentences, not column labels.
HEADER_MAX_WORDS = 8


@dataclass
class CapacityBlock:
    """Where the block sits: its header row and last row (0-based)."""

    header_row: int
    last_row: int
    columns: dict[str, int]
    scale_columns: dict[int, int]


@lru_cache(maxsize=8)
def _columns(template: Template) -> Labels:
    return Labels(template.capacity_columns)


@lru_cache(maxsize=32)
def _capacity_index(template: Template, area: str) -> tuple[dict[str, CapacitySpec],
                                                             list[tuple[frozenset[str], CapacitySpec]]]:
    exact: dict[str, CapacitySpec] = {}
    bags = []
    for spec in template.capacities_for(area):
        for text in (spec.label, *spec.aliases):
            exact.setdefault(normalize(text), spec)
            bags.append((content_words(text), spec))
    return exact, bags


@lru_cache(maxsize=8)
def _scale_words(template: Template) -> dict[str, int]:
    return {normalize(word): level for level, words in template.capacity_scale.items() for word in words}


def content_words(text: str) -> frozenset[str]:
    """Words of four letters or more: a cheap stand-in for content words."""
    return frozenset(w for w in folded(text).split() if len(w) >= 4)


@lru_cache(maxsize=16384)
def match_capacity(text: str, area: str, template: Template, *, min_overlap: float = 0.5) -> CapacitySpec | None:
    """The template capacity a label names: exactly, else by shared words."""
    exact, bags = _capacity_index(template, area)
    spec = exact.get(folded(text))
    if spec is not None:
        return spec
    return closest(content_words(text), bags, min_overlap)


def find_block(grid: Grid, template: Template) -> CapacityBlock | None:
    """The first header row with a capacity column and a rating (or scale) column."""
    labels = _columns(template)
    scale = _scale_words(template)
    rows: dict[int, dict[str, int]] = {}
    scales: dict[int, dict[int, int]] = {}
    matched = labels.hits(grid.texts, "contains", HEADER_MAX_WORDS)
    for t, key in matched:
        rows.setdefault(t.row, {}).setdefault(key, t.col)
    if scale:
        labelled = {id(t) for t, _ in matched}
        for t in grid.texts:
            if 0 < t.words <= HEADER_MAX_WORDS and id(t) not in labelled:
                level = scale.get(t.norm)
                if level is not None:
                    scales.setdefault(t.row, {}).setdefault(level, t.col)
    for r in sorted(rows):
        cols = rows[r]
        if "capacity" not in cols:
            continue
        scale = _numeric_scale(grid, r, template) | scales.get(r, {}) if "rating" not in cols else {}
        if "rating" in cols or len(scale) >= 3:
            return CapacityBlock(r, r, cols, scale)
    return None


def _numeric_scale(grid: Grid, row: int, template: Template) -> dict[int, int]:
    """Header cells holding a bare level number (1, 2, 3, 4)."""
    out: dict[int, int] = {}
    for c, v in grid.row_values(row):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == int(v) and int(v) in template.capacity_scale:
            out.setdefault(int(v), c)
    return out


# ---------------------------------------------------------------- one row
def row_label(grid: Grid, r: int, col: int) -> str:
    """The label row r shows in a column ("" when empty or covered by a merged area begun above)."""
    cell = grid.top_left(r, col)
    return text_value(grid.value(*cell)) if cell[0] == r else ""


def has_answer(grid: Grid, r: int, block: CapacityBlock, template: Template) -> bool:
    """True when row r holds a valid rating or T/TA answer (read without reporting problems)."""
    rating, _, _, tta = read_row(grid, r, block, template, None)
    return rating is not None or tta is not None


def read_row(grid: Grid, r: int, block: CapacityBlock, template: Template, ctx: Context | None
              ) -> tuple[int | None, str, tuple[int, int], bool | None]:
    """Rating, its raw text, its cell and the T/TA answer of a row; problems reported to ``ctx`` if given."""
    rating, raw, cell = _rating(grid, r, block.columns.get("rating"), block.scale_columns, template, ctx)
    tta = None
    tta_col = block.columns.get("tta_wanted")
    if tta_col is not None:
        parsed = parse_yes_no(grid.value(r, tta_col), template)
        if parsed.status == "invalid" and ctx is not None:
            ctx.problem("tta-invalid", grid, (r, tta_col),
                        f"{at(grid, (r, tta_col))}: T/TA wanted {quoted(parsed.raw)} is not yes or no")
        tta = parsed.value if parsed.ok else None
    return rating, raw, cell, tta


def _rating(grid: Grid, r: int, rating_col: int | None, scale_columns: dict[int, int], template: Template,
            ctx: Context | None) -> tuple[int | None, str, tuple[int, int]]:
    if rating_col is not None:
        cell = (r, rating_col)
        parsed = parse_rating(grid.value(*cell), template)
        if parsed.status == "invalid" and ctx is not None:
            ctx.problem("rating-invalid", grid, cell,
                        f"{at(grid, cell)}: rating {quoted(parsed.raw)} is not a number from 1 to 4")
        return (parsed.value if parsed.ok else None), parsed.raw, cell
    marked = [(level, c) for level, c in sorted(scale_columns.items()) if not is_blank(grid.value(r, c))]
    if not marked:
        first = min(scale_columns.values())
        return None, "", (r, first)
    level, c = marked[0]
    if len(marked) > 1 and ctx is not None:
        ctx.problem("rating-invalid", grid, (r, c),
                    f"{at(grid, (r, c))}: more than one rating is marked; the lowest, {level}, was kept")
    return level, raw_text(grid.value(r, c)), (r, c)
