"""The prioritized-needs tab(s): one row per need under a header row.

Columns are found by their header labels in any order; a tab may hold one
table or several (one per area, each under its own header row).  The area
of a need comes from the tab (one tab per area), else from an area column,
else from a title just above the table.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .extract_common import Context, at, quoted
from .sheets import Grid, Labels, Text
from .template import Template, normalize
from .values import parse_evidence, parse_money, parse_rank, raw_text, text_value

#: Header cells longer than this many words are sentences, not column labels.
HEADER_MAX_WORDS = 8
#: How many rows above a header row are searched for an area title.
TITLE_ROWS = 3

_TEXT_COLUMNS = ("baseline", "target", "measure", "schools", "timeline", "person")


@lru_cache(maxsize=8)
def _columns(template: Template) -> Labels:
    return Labels(template.needs_columns)


@lru_cache(maxsize=8)
def _symbols(template: Template) -> dict[str, str]:
    """Labels made of symbols only ("#"), which normalizing would erase."""
    return {label.strip(): key for key, spellings in template.needs_columns.items()
            for label in spellings if label.strip() and not normalize(label)}


def _header_key(t: Text, labels: Labels, symbols: dict[str, str], how: str) -> str | None:
    if not t.norm:
        return symbols.get(t.text)
    return labels.match(t.norm, how=how) if t.words <= HEADER_MAX_WORDS else None


def header_rows(grid: Grid, template: Template) -> list[tuple[int, dict[str, int]]]:
    """Rows that hold at least three needs column labels, one a content column.

    Labels matched exactly or at the start of the cell are tried first; a
    label found anywhere inside a short cell counts only when no row
    qualifies that way (so a need that mentions "goal" and "strategy" does
    not pass for a header).
    """
    labels = _columns(template)
    symbols = _symbols(template)
    content = set(template.needs_content_columns)
    for how in ("prefix", "contains"):
        rows: dict[int, dict[str, int]] = {}
        for t in grid.texts:
            key = _header_key(t, labels, symbols, how)
            if key is not None:
                rows.setdefault(t.row, {}).setdefault(key, t.col)
        found = [(r, cols) for r, cols in sorted(rows.items()) if len(cols) >= 3 and content & cols.keys()]
        if found:
            # a later table on the tab repeats the header; a need row that happens to hold
            # a few label words ("Need", "Outcome") has far fewer of them
            first = len(found[0][1])
            found = [found[0]] + [(r, cols) for r, cols in found[1:] if 4 * len(cols) >= 3 * first]
            return [(r, _sub_header(grid, r, _complete(grid, r, cols, labels), labels, content))
                    for r, cols in found]
    return []


def _sub_header(grid: Grid, r: int, cols: dict[str, int], labels: Labels, content: set[str]) -> dict[str, int]:
    """Read a second header row: group labels ("Budget") over sub-labels ("Infrastructure", "Amount").

    The row below the header is a sub-header when it holds column labels,
    only short texts, and no need, outcome or activity.  A sub-label names
    its column, whatever the group label above it said.
    """
    sub: dict[int, str] = {}
    for c, _ in grid.row_values(r + 1):
        t = grid.text_at.get((r + 1, c))
        if t is None or not t.norm or t.words > HEADER_MAX_WORDS:
            return cols  # a number or a sentence: the first need, not a sub-header
        key = labels.match(t.norm, how="prefix") or labels.match(t.norm)
        if key is not None:
            sub[c] = key
    if not sub or any(k in content and c not in sub and not grid.blank(r + 1, c) for k, c in cols.items()):
        return cols
    out: dict[str, int] = {}
    for c, key in sorted(sub.items()):
        out.setdefault(key, c)
    for key, c in cols.items():
        if key not in out and c not in sub:
            out[key] = c
    return out


def _complete(grid: Grid, r: int, cols: dict[str, int], labels: Labels) -> dict[str, int]:
    """Map the header row's other cells by a label found inside them ("Estimated cost")."""
    taken = set(cols.values())
    out = dict(cols)
    for t in grid.texts:
        if t.row == r and t.col not in taken and t.norm and t.words <= HEADER_MAX_WORDS:
            key = labels.match(t.norm, how="exact") or next(
                (k for k in labels.all_inside(t.norm) if k not in out), None)
            if key is not None and key not in out:
                out[key] = t.col
    return out


def extract_needs(grid: Grid, tab_area: str, ctx: Context) -> tuple[list[tuple[Any, ...]], bool]:
    """Needs of one prioritized-needs tab.

    Parameters
    ----------
    grid : Grid
    tab_area : str
        The tab's area when it is one tab per area, else "".
    ctx : Context

    Returns
    -------
    rows : list of tuples
        ``(priority, area, need, outcome, activity, evidence_level, amount,
        infrastructure_amount, sheet, row, baseline, target, measure,
        schools, timeline, person, raw_evidence_level)``.
    found : bool
        Whether a header row was found (False means the tab could not be read).
    """
    template = ctx.template
    headers = header_rows(grid, template)
    if not headers:
        ctx.problem("needs-header-missing", grid, None,
                    f"no header row with the needs columns ({', '.join(template.needs_columns['need'][:1])}, "
                    f"{template.needs_columns['outcome'][0]}, {template.needs_columns['activity'][0]} ...) "
                    f"was found on {grid.name!r}")
        return [], False
    out: list[tuple[Any, ...]] = []
    for i, (header, cols) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else grid.nrows
        block_area = tab_area or _title_area(grid, header, template)
        out.extend(_block(grid, header, end, cols, block_area, ctx))
    if not out:
        ctx.problem("needs-empty", grid, None, f"{grid.name!r} lists no needs")
    return out, True


def _title_area(grid: Grid, header: int, template: Template) -> str:
    for r in range(header - 1, max(-1, header - 1 - TITLE_ROWS), -1):
        for _c, v in grid.row_values(r):
            area = template.area_in(v) if isinstance(v, str) else None
            if area:
                return area
    return ""


def _block(grid: Grid, header: int, end: int, cols: dict[str, int], block_area: str,
           ctx: Context) -> list[tuple[Any, ...]]:
    template = ctx.template
    out: list[tuple[Any, ...]] = []
    order = 0
    content = [cols[k] for k in template.needs_content_columns if k in cols]
    value = grid.value
    for r in range(header + 1, end):
        if not any(text_value(value(r, c)) for c in content):
            continue  # no need, outcome or activity: not a need (blank rows end here cheaply)
        texts = {key: text_value(value(r, c)) for key, c in cols.items()}
        order += 1
        priority = _priority(grid, r, cols, order, ctx)
        area = block_area or _area(grid, r, cols, ctx)
        evidence, raw_evidence = _evidence(grid, r, cols, ctx)
        amount = _amount(grid, r, cols, "amount", ctx)
        infra = _amount(grid, r, cols, "infrastructure_amount", ctx)
        out.append((priority, area, texts.get("need", ""), texts.get("outcome", ""), texts.get("activity", ""),
                    evidence, amount, infra, grid.name, r + 1,
                    *(texts.get(k, "") for k in _TEXT_COLUMNS), raw_evidence))
    return out


def _priority(grid: Grid, r: int, cols: dict[str, int], order: int, ctx: Context) -> int:
    if "priority" not in cols:
        return order
    cell = (r, cols["priority"])
    parsed = parse_rank(grid.value(*cell))
    if parsed.ok:
        return parsed.value
    if parsed.status == "invalid":
        ctx.problem("priority-invalid", grid, cell,
                    f"{at(grid, cell)}: priority {quoted(parsed.raw)} is not a whole number; row order ({order}) was used")
    return order


def _area(grid: Grid, r: int, cols: dict[str, int], ctx: Context) -> str:
    if "area" not in cols:
        return ""
    cell = (r, cols["area"])
    text = raw_text(grid.value(*cell))
    if not text:
        return ""
    area = ctx.template.area_of(text) or ctx.template.area_in(text)
    if area is None:
        ctx.problem("area-invalid", grid, cell, f"{at(grid, cell)}: area {quoted(text)} names no priority area")
        return ""
    return area


def _evidence(grid: Grid, r: int, cols: dict[str, int], ctx: Context) -> tuple[str, str]:
    if "evidence_level" not in cols:
        return "", ""
    cell = (r, cols["evidence_level"])
    parsed = parse_evidence(grid.value(*cell), ctx.template)
    if parsed.status == "invalid":
        ctx.problem("evidence-invalid", grid, cell,
                    f"{at(grid, cell)}: evidence level {quoted(parsed.raw)} is not an ESSA level")
    return (parsed.value if parsed.ok else ""), parsed.raw


def _amount(grid: Grid, r: int, cols: dict[str, int], key: str, ctx: Context) -> float | None:
    if key not in cols:
        return None
    cell = (r, cols[key])
    parsed = parse_money(grid.value(*cell), ctx.template)
    what = "amount" if key == "amount" else "infrastructure amount"
    if parsed.status == "invalid":
        ctx.problem("number-invalid", grid, cell, f"{at(grid, cell)}: {what} {quoted(parsed.raw)} is not a number")
    elif parsed.status == "empty" and key == "amount":
        ctx.report_empty(grid, [cell], f"the {what}")
    return parsed.value if parsed.ok else None
