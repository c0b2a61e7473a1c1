"""The capacity self-rating block of an analysis tab, read row by row.

The block is found, and each row read, by :mod:`needsassess.capacity_block`;
here every row with a rating or T/TA answer becomes a rating, an empty one
is looked up in the sheet XML (a formula without a saved value, an error
value), and a row showing no capacity label is kept or reported
(:func:`settle_unlabelled`).
"""

from __future__ import annotations

from typing import Any

from .capacity_block import (HEADER_MAX_WORDS, CapacityBlock, find_block, has_answer, match_capacity, read_row,
                             row_label)
from .extract_common import Context, at, quoted
from .sheets import Grid, a1
from .template import CapacitySpec, Template
from .values import text_value


def extract_capacity(grid: Grid, area: str, ctx: Context, *, stop_rows: frozenset[int] = frozenset()
                     ) -> tuple[list[tuple[Any, ...]], CapacityBlock | None]:
    """Capacity ratings of an analysis tab.

    An empty rating or T/TA cell that is a formula without a saved value or
    holds an error value is reported (``formula-no-value``, ``cell-error``);
    a row holding a rating but no visible capacity label is settled by
    :func:`settle_unlabelled`, never dropped unsaid.

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
    out: list[tuple[Any, ...]] = []
    out_rows: list[int] = []  # the sheet row of each rating, to place recovered rows among them
    unlabelled: list[int] = []
    unrated: list[tuple[int, int]] = []
    untold: list[tuple[int, int]] = []
    tta_col = block.columns.get("tta_wanted")
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
            if not blank_run:
                unlabelled.append(r)  # something, but no label: settled once the whole block is known
            continue
        if label.endswith("?") and len(label.split()) > HEADER_MAX_WORDS:
            break  # a question: the block is over
        blank_run = 0
        block.last_row = r
        rating, raw, cell, tta = read_row(grid, r, block, template, ctx)
        if not raw and rating_col is not None:
            unrated.append(cell)
        if tta is None and tta_col is not None and grid.blank(r, tta_col):
            untold.append((r, tta_col))
        if rating is None and tta is None and not raw:
            continue
        spec = match_capacity(label, area, template)
        out.append((area, label, rating, tta, grid.name, a1(*cell), spec.key if spec else "", raw))
        out_rows.append(r)
    # an empty rating or T/TA answer may be a formula Excel never calculated, or an error value such as
    # #REF! (looked up only now, when one is empty: the sheet XML is scanned)
    def capacity(cell: tuple[int, int]) -> str:
        return row_label(grid, cell[0], cap_col)

    if unrated:
        ctx.report_empty(grid, unrated, "the capacity rating", label=capacity)
    if untold:
        ctx.report_empty(grid, untold, "the T/TA answer", label=capacity)
    if unlabelled:
        out = settle_unlabelled(grid, area, ctx, block, unlabelled, list(zip(out_rows, out)))
    return out, block


def settle_unlabelled(grid: Grid, area: str, ctx: Context, block: CapacityBlock, rows: list[int],
                      placed: list[tuple[int, tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Keep or report the rows of a block that hold a rating but show no capacity label.

    The label cell may be empty, hold an error value (``#REF!``, which
    calamine reads as empty), a formula without a saved value, or lie under
    a merged area.  The capacity the row rates is told, in this order, by

    1. the cell's own text when a merged area covers it (LibreOffice keeps
       what Excel hides);
    2. the merged area's label, when the row at the top of that area has no
       rating of its own (a label merged down over the rated row);
    3. the template's order of capacities: when the block's labelled rows
       follow that order and exactly as many template capacities fit
       between a row's labelled neighbours (or the block's ends) as there
       are unlabelled rated rows between them, each of those rows rates the
       capacity at its place.

    A row so told is kept; any other is left out of the ratings.  Either way
    one problem at the label cell says what was read and what was done,
    rating included: ``formula-no-value`` when the label is a formula
    without a saved value, else ``row-label-missing``.

    Parameters
    ----------
    grid, area, ctx
        As for :func:`extract_capacity`.
    block : CapacityBlock
        The block; its ``last_row`` grows to the last rated row.
    rows : list of int
        Rows with content but no visible label, in order.
    placed : list of (int, tuple)
        The block's rating rows so far, with their sheet rows.

    Returns
    -------
    list of tuples
        The block's rating rows in sheet order, kept rows among them.
    """
    template = ctx.template
    cap_col = block.columns["capacity"]
    rated = [r for r in rows if has_answer(grid, r, block, template)]
    if not rated:
        return [row for _, row in placed]
    known: dict[int, CapacitySpec | None] = {}
    for r in range(block.header_row + 1, max(block.last_row, rated[-1]) + 1):
        label = row_label(grid, r, cap_col)
        if label:
            known[r] = match_capacity(label, area, template)
    told = _told_by_merges(grid, area, block, rated, known, template)
    known.update((r, spec) for r, (_, spec, _) in told.items())
    for r, spec in _told_by_order(rated, known, told, template.capacities_for(area)).items():
        told[r] = (spec.label, spec, "order")
    kept = list(placed)
    for r in rated:
        block.last_row = max(block.last_row, r)
        row = _settle_row(grid, r, area, ctx, block, told.get(r))
        if row is not None:
            kept.append((r, row))
    kept.sort(key=lambda pair: pair[0])
    return [row for _, row in kept]


def _told_by_merges(grid: Grid, area: str, block: CapacityBlock, rated: list[int],
                    known: dict[int, CapacitySpec | None], template: Template
                    ) -> dict[int, tuple[str, CapacitySpec | None, str]]:
    """Labels of rated rows whose label cell a merged area covers: its own hidden text, else the area's."""
    cap_col = block.columns["capacity"]
    told: dict[int, tuple[str, CapacitySpec | None, str]] = {}
    taken: set[tuple[int, int]] = set()
    for r in rated:
        top = grid.top_left(r, cap_col)
        if top[0] == r:
            continue  # not covered from above: the cell is empty or holds an error value
        own = text_value(grid.value(r, cap_col))
        if own:
            told[r] = (own, match_capacity(own, area, template), "hidden")
            continue
        label = text_value(grid.value(*top))
        if label and top[0] > block.header_row and top not in taken \
                and not has_answer(grid, top[0], block, template):
            taken.add(top)
            known.pop(top[0], None)  # the label belongs to this row, not to the unrated row above
            told[r] = (label, match_capacity(label, area, template), "merged")
    return told


def _told_by_order(rated: list[int], known: dict[int, CapacitySpec | None],
                   told: dict[int, tuple[str, CapacitySpec | None, str]], items: list[CapacitySpec]
                   ) -> dict[int, CapacitySpec]:
    """Capacities of the rated rows still unlabelled, from the template's order (see settle_unlabelled)."""
    place = {spec.key: i for i, spec in enumerate(items)}
    rows = sorted(known)
    order = [None if spec is None else place.get(spec.key) for spec in (known[r] for r in rows)]
    if None in order or any(a >= b for a, b in zip(order, order[1:])):
        return {}  # a label the template does not list, or labels out of its order: places tell nothing
    gaps: dict[tuple[int, int], list[int]] = {}
    for r in rated:
        if r in told:
            continue
        before = max((i for i, k in enumerate(rows) if k < r), default=-1)
        low = order[before] if before >= 0 else -1
        high = order[before + 1] if before + 1 < len(rows) else len(items)
        gaps.setdefault((low, high), []).append(r)
    found: dict[int, CapacitySpec] = {}
    for (low, high), gap in gaps.items():
        if high - low - 1 == len(gap):
            found.update((r, items[low + 1 + k]) for k, r in enumerate(gap))
    return found


def _settle_row(grid: Grid, r: int, area: str, ctx: Context, block: CapacityBlock,
                told: tuple[str, CapacitySpec | None, str] | None) -> tuple[Any, ...] | None:
    """Report one unlabelled rated row; its rating row when the capacity was told."""
    cap_col = block.columns["capacity"]
    rating, raw, cell, tta = read_row(grid, r, block, ctx.template, ctx)
    answer = _answer_text(raw, tta)
    where = at(grid, (r, cap_col))
    top = grid.top_left(r, cap_col)
    area_text = f"{a1(*top)}:{a1(*grid.extent(*top))}" if top[0] != r else ""
    code, why = ctx.why_no_label(grid, (r, cap_col))
    if told is None:
        ctx.problem(code, grid, (r, cap_col),
                    f"{where}: the capacity label {why}, and the block does not tell which capacity the row "
                    f"rates; its {answer} was left out of the ratings")
        return None
    label, spec, how = told
    if how == "hidden":
        message = (f"{where}: the capacity label lies under the merged area {area_text}, where Excel does not "
                   f"show it; its own text {quoted(label)} was read with the row's {answer}")
    elif how == "merged":
        message = (f"{where}: the row has no capacity label of its own, only the merged area {area_text}; "
                   f"its {answer} was kept under that area's label {quoted(label)}")
    else:
        message = (f"{where}: the capacity label {why}; its {answer} was kept under {quoted(label)}, "
                   "the capacity the template lists at this place in the block")
    ctx.problem(code, grid, (r, cap_col), message)
    return (area, label, rating, tta, grid.name, a1(*cell), spec.key if spec else "", raw)


def _answer_text(raw: str, tta: bool | None) -> str:
    """What a row answers, for a message: 'rating "2" (T/TA wanted: yes)'."""
    said = "" if tta is None else ("yes" if tta else "no")
    if not raw:
        return f'answer "{said}" to T/TA wanted (no rating)'
    return f"rating {quoted(raw)}" + (f" (T/TA wanted: {said})" if said else "")
