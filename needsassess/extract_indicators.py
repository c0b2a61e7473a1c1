"""Indicator grids: the data tabs, and the summary at the top of analysis tabs.

A header row holds an indicator column and at least one of the district,
State or selected-schools columns; columns after the district column and
before the State column are schools, named by their header cell.  One row
per indicator follows, down to two blank rows or the next section.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from .capacity_block import content_words
from .extract_common import Context, at, quoted
from .sheets import Grid, Labels, a1, closest, folded
from .template import IndicatorSpec, Template
from .values import read_row, text_value

HEADER_MAX_WORDS = 8
_COLUMN = itemgetter(0)
_LEVEL_KEYS = ("district", "selected", "state")


@dataclass
class IndicatorGrid:
    header_row: int
    last_row: int
    indicator_col: int
    levels: list[tuple[int, str, str]]  # (column, level, school name)


@lru_cache(maxsize=8)
def _columns(template: Template) -> Labels:
    return Labels(template.data_columns)


@lru_cache(maxsize=32)
def _indicator_index(template: Template, area: str) -> tuple[Labels, dict[str, IndicatorSpec],
                                                              list[tuple[frozenset[str], IndicatorSpec]]]:
    specs = template.indicators_for(area) if area else list(template.indicators)
    by_key = {s.key: s for s in specs}
    labels = Labels({s.key: (s.label, *s.aliases) for s in specs}, min_words=2)
    bags = [(content_words(text), s) for s in specs for text in (s.label, *s.aliases)]
    return labels, by_key, bags


@lru_cache(maxsize=16384)
def match_indicator(text: str, area: str, template: Template, *, min_overlap: float = 0.6) -> IndicatorSpec | None:
    """The template indicator a row label names, within the area first."""
    norm = folded(text)
    for scope in ((area, "") if area else ("",)):
        labels, by_key, bags = _indicator_index(template, scope)
        key = labels.match(norm, how="prefix")
        if key is not None:
            return by_key[key]
    labels, by_key, bags = _indicator_index(template, area)
    return closest(content_words(text), bags, min_overlap)


def find_grid(grid: Grid, template: Template) -> IndicatorGrid | None:
    """The first indicator header row of a sheet, with its level columns."""
    rows: dict[int, dict[str, int]] = {}
    for t, key in _columns(template).hits(grid.texts, "prefix", HEADER_MAX_WORDS):
        rows.setdefault(t.row, {}).setdefault(key, t.col)
    for r in sorted(rows):
        cols = rows[r]
        if "indicator" not in cols or not any(k in cols for k in _LEVEL_KEYS):
            continue
        return IndicatorGrid(r, r, cols["indicator"], _levels(grid, r, cols))
    return None


def _levels(grid: Grid, r: int, cols: dict[str, int]) -> list[tuple[int, str, str]]:
    named = set(cols.values())
    levels = []
    district = cols.get("district")
    state = cols.get("state")
    if district is not None:
        levels.append((district, "district", ""))
        end = state if state is not None and state > district else grid.ncols
        for c, v in grid.row_values(r):
            if district < c < end and c not in named:
                levels.append((c, "school", text_value(v)))
    if "selected" in cols:
        levels.append((cols["selected"], "school", text_value(grid.value(r, cols["selected"]))))
    if state is not None:
        levels.append((state, "state", ""))
    return sorted(levels)


def extract_indicators(grid: Grid, area: str, ctx: Context, *, check_formulas: bool = False,
                       stop_rows: frozenset[int] = frozenset(), values: bool = True
                       ) -> tuple[list[tuple[Any, ...]], IndicatorGrid | None]:
    """Indicator values of one grid.

    An empty value cell in a column that holds values in other rows (a
    hole) may be a formula without a saved value or an error value, both
    of which calamine reads as empty: such cells are reported
    (``formula-no-value``, ``cell-error``).  Columns left empty throughout,
    such as unused school columns, are not looked at.  A row holding
    numbers but no indicator label is reported (``row-label-missing``).

    Parameters
    ----------
    grid : Grid
    area : str
        The area of the tab ("" when unknown: indicators of every area match).
    ctx : Context
    check_formulas : bool
        Also report rows whose values are all formulas without saved values
        (used for the analysis-tab summary, which is made of formulas).
    stop_rows : frozenset of int
        Rows (section titles) where the grid ends at the latest.  It also
        ends at two blank rows, or at a blank row followed by a label that
        is no template indicator.
    values : bool
        False only locates the grid (its extent), reading no values.

    Returns
    -------
    rows : list of tuples
        ``(area, indicator, level, school, value, raw, sheet, cell,
        indicator_key, direction, unit)``.
    block : IndicatorGrid or None
    """
    template = ctx.template
    block = find_grid(grid, template)
    if block is None:
        return [], None
    out: list[tuple[Any, ...]] = []
    gappy: list[int] = []  # rows missing a value ...
    fills: list[list[tuple[int, str, str, Any]]] = []  # ... and the values they have
    full = False
    unlabelled: list[int] = []
    blank_run = 0
    rows = grid.rows
    ic = block.indicator_col
    levels = block.levels
    n_levels = len(levels)
    for r in range(block.header_row + 1, grid.nrows):
        if r in stop_rows:
            break
        row = rows[r]
        width = len(row)
        value = row[ic] if ic < width else ""
        label = value.strip() if value.__class__ is str else text_value(value)
        if not label:
            blank_run = blank_run + 1 if grid.row_blank(r) else 0
            if blank_run >= 2:
                break
            if not blank_run and values:
                unlabelled.append(r)  # something, but no label: looked at once the grid is known
            continue
        spec = match_indicator(label, area, template)
        if blank_run and spec is None:
            break
        blank_run = 0
        block.last_row = r
        if not values:
            continue
        filled = [(c, level, school, v) for c, level, school in levels
                  if not ((v := row[c] if 0 <= c < width else "") == "" or v is None
                          or (v.__class__ is str and not v.strip()))]
        if len(filled) < n_levels:
            gappy.append(r)
            fills.append(filled)
        else:
            full = True
        if not filled:
            continue
        if spec is None:
            ctx.problem("indicator-unknown", grid, (r, block.indicator_col),
                        f"{at(grid, (r, block.indicator_col))}: indicator {quoted(label)} is not in the template; "
                        "kept under its own label")
        out.extend(_row_values(grid, r, label, spec, area, filled, ctx))
    if gappy:
        _report_holes(grid, block, gappy, fills, full, check_formulas, ctx)
    if unlabelled:
        _report_unlabelled(grid, block, unlabelled, ctx)
    return out, block


def _report_holes(grid: Grid, block: IndicatorGrid, rows: list[int], fills: list[list[tuple[int, str, str, Any]]],
                  full: bool, check_formulas: bool, ctx: Context) -> None:
    """Report the empty value cells that are formulas without saved values or error values.

    A cell is looked at when its column holds a value in another row (every
    column does when one row is full), or, with ``check_formulas``, when its
    whole row is empty.  The sheet is scanned only when there is such a cell.
    """
    # a row filling as many columns as all rows together has no hole: the usual case (unused school columns)
    used = None if full else set(map(_COLUMN, chain.from_iterable(fills)))
    need = len(block.levels) if used is None else len(used)
    least = min(map(len, fills))
    if least == need or (least == 0 and need == 0 and not check_formulas):
        return
    holes: list[tuple[int, int]] = []
    for r, filled in zip(rows, fills):
        whole = check_formulas and not filled
        if len(filled) == need and not whole:
            continue
        have = set(map(_COLUMN, filled))
        holes.extend((r, c) for c, *_ in block.levels
                     if c not in have and (whole or used is None or c in used))
    if not holes:
        return
    ctx.report_empty(grid, holes, "an indicator value",
                     label=lambda cell: text_value(grid.value(cell[0], block.indicator_col)))


def _report_unlabelled(grid: Grid, block: IndicatorGrid, rows: list[int], ctx: Context) -> None:
    """Report rows of the grid holding numbers but no indicator label, values in the message.

    Only rows inside the grid count (above its last labelled row, or right
    below it with no blank row between): below, the grid may have ended.
    """
    ic = block.indicator_col
    nxt = block.last_row + 1
    for r in rows:
        if r == nxt:
            nxt += 1
        elif r > block.last_row:
            break
        cells = [(level, school, grid.value(r, c)) for c, level, school in block.levels]
        read = read_row([v for *_, v in cells], "", ctx.template)
        if not any(status == "ok" for *_, status in read):
            continue  # no number: a note or a sub-header, not a lost indicator row
        shown = ", ".join(f"{school or level} {quoted(raw)}" for (level, school, _), (_, raw, _) in zip(cells, read)
                          if raw)
        code, why = ctx.why_no_label(grid, (r, ic))
        ctx.problem(code, grid, (r, ic),
                    f"{at(grid, (r, ic))}: the indicator label {why}; the row's values were left out: {shown}")


def grid_area(grid: Grid, template: Template) -> str:
    """The area most of a grid's indicator rows belong to ("" when none match)."""
    block = find_grid(grid, template)
    if block is None:
        return ""
    counts: dict[str, int] = {}
    for r in range(block.header_row + 1, min(grid.nrows, block.header_row + 60)):
        label = text_value(grid.value(r, block.indicator_col))
        spec = match_indicator(label, "", template) if label else None
        if spec is not None:
            counts[spec.area] = counts.get(spec.area, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else ""


def _row_values(grid: Grid, r: int, label: str, spec: IndicatorSpec | None, area: str,
                filled: list[tuple[int, str, str, Any]], ctx: Context) -> list[tuple[Any, ...]]:
    unit = spec.unit if spec else ""
    read = read_row([value for *_, value in filled], unit, ctx.template)
    name = spec.key if spec else label
    key, direction = (spec.key, spec.direction) if spec else ("", "")
    row_area = area or (spec.area if spec else "")
    sheet = grid.name
    out = []
    for (c, level, school, _), (value, raw, status) in zip(filled, read):
        if status == "invalid":
            ctx.problem("number-invalid", grid, (r, c), f"{at(grid, (r, c))}: {label} {quoted(raw)} is not a number")
        out.append((row_area, name, level, school, value, raw, sheet, a1(r, c), key, direction, unit))
    return out
