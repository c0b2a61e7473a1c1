"""The capacity self-rating block of an analysis tab.

A header row holds a capacity column and either a rating column or one
column per scale level (marked with an X); a T/TA column is optional.  The
columns may come in any order.  One row per capacity follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .extract_common import Context, at, quoted
from .sheets import Grid, Labels, a1, folded, overlap
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
    words = content_words(text)
    best, score = None, 0.0
    for bag, candidate in bags:
        s = overlap(words, bag)
        if s > score:
            best, score = candidate, s
    return best if score >= min_overlap else None


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


def extract_capacity(grid: Grid, area: str, ctx: Context, *, stop_rows: frozenset[int] = frozenset()
                     ) -> tuple[list[tuple[Any, ...]], CapacityBlock | None]:
    """Capacity ratings of an analysis tab.

    Returns
    -------
    rows : list of tuples
        ``(area, capacity, rating, tta_wanted, sheet, cell, capacity_key, raw)``.
    block : CapacityBlock or None
        The block's extent (so the question finder leaves it alone).
    """
    template = ctx.template
    block = find_block(grid, template)
    if block is None:
        return [], None
    cap_col = block.columns["capacity"]
    rating_col = block.columns.get("rating")
    tta_col = block.columns.get("tta_wanted")
    out: list[tuple[Any, ...]] = []
    blank_run = 0
    top_left, value = grid.top_left, grid.value
    for r in range(block.header_row + 1, grid.nrows):
        if r in stop_rows:
            break
        cap_cell = top_left(r, cap_col)
        if cap_cell[0] == r:
            v = value(*cap_cell)
            label = v.strip() if v.__class__ is str else text_value(v)
        else:
            label = ""
        if not label:
            blank_run = blank_run + 1 if grid.row_blank(r) else 0
            if blank_run >= 2:
                break
            continue
        if label.endswith("?") and len(label.split()) > HEADER_MAX_WORDS:
            break  # a question: the block is over
        blank_run = 0
        block.last_row = r
        rating, raw, cell = _rating(grid, r, rating_col, block.scale_columns, ctx)
        tta = None
        if tta_col is not None:
            parsed = parse_yes_no(grid.value(r, tta_col), template)
            if parsed.status == "invalid":
                ctx.problem("tta-invalid", grid, (r, tta_col),
                            f"{at(grid, (r, tta_col))}: T/TA wanted {quoted(parsed.raw)} is not yes or no")
            tta = parsed.value if parsed.ok else None
        if rating is None and tta is None and not raw:
            continue
        spec = match_capacity(label, area, template)
        out.append((area, label, rating, tta, grid.name, a1(*cell), spec.key if spec else "", raw))
    return out, block


def _rating(grid: Grid, r: int, rating_col: int | None, scale_columns: dict[int, int], ctx: Context
            ) -> tuple[int | None, str, tuple[int, int]]:
    template = ctx.template
    if rating_col is not None:
        cell = (r, rating_col)
        parsed = parse_rating(grid.value(*cell), template)
        if parsed.status == "invalid":
            ctx.problem("rating-invalid", grid, cell,
                        f"{at(grid, cell)}: rating {quoted(parsed.raw)} is not a number from 1 to 4")
        return (parsed.value if parsed.ok else None), parsed.raw, cell
    marked = [(level, c) for level, c in sorted(scale_columns.items()) if not is_blank(grid.value(r, c))]
    if not marked:
        first = min(scale_columns.values())
        return None, "", (r, first)
    level, c = marked[0]
    if len(marked) > 1:
        ctx.problem("rating-invalid", grid, (r, c),
                    f"{at(grid, (r, c))}: more than one rating is marked; the lowest, {level}, was kept")
    return level, raw_text(grid.value(r, c)), (r, c)
