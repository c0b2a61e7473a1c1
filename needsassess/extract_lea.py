"""The LEA information tab: label / value pairs found by their labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from .extract_common import Context, at, quoted
from .sheets import Grid, Labels, a1
from .template import Template
from .values import Parsed, parse_date, parse_id, parse_money, parse_school_year, text_value

#: On tabs other than the LEA information tab, field labels are looked for
#: only in this many top rows (where a title block would put them).
FALLBACK_ROWS = 15
#: A cell of more words is a sentence, not a label.
LABEL_MAX_WORDS = 10
#: A short cell holding a field's label among other words ("Federal NCES ID",
#: "For school year") is that field's label; longer cells only for required fields.
CONTAINS_MAX_WORDS = 5

_WHAT = {"money": "an amount", "date": "a date", "year": "a school year", "id": "an identifier"}


@dataclass
class LeaInfo:
    """Field values of one workbook, and where each was found."""

    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (sheet, A1)
    labels_found: int = 0


@lru_cache(maxsize=8)
def _labels(template: Template) -> Labels:
    return Labels({name: spec.labels for name, spec in template.lea_fields.items()}, min_words=2)


def count_labels(grid: Grid, template: Template) -> int:
    """How many distinct LEA fields have their label on ``grid`` (to pick the tab)."""
    labels = _labels(template)
    return len({key for norm in grid.by_norm if (key := labels.match(norm, how="exact"))})


def _find(home: Grid | None, others: Sequence[Grid], template: Template
          ) -> tuple[dict[str, tuple[Grid, tuple[int, int]]], dict[str, set[tuple[int, int]]]]:
    labels = _labels(template)
    found: dict[str, tuple[Grid, tuple[int, int]]] = {}
    label_cells: dict[str, set[tuple[int, int]]] = {}
    grids = ([home] if home is not None else []) + list(others)
    required = {name for name, spec in template.lea_fields.items() if spec.required}
    for how in ("exact", "prefix", "contains"):
        for grid in grids:
            if grid is not home and len(found) == len(template.lea_fields):
                break  # the other tabs are searched only for what is still missing
            cells = label_cells.setdefault(grid.name, set())
            for t in grid.texts:
                if grid is not home and t.row >= FALLBACK_ROWS:
                    break
                if how != "exact" and ((t.row, t.col) in cells or t.words > LABEL_MAX_WORDS):
                    continue
                key = labels.match(t.norm, how=how)
                if key is None or (how != "exact" and key in found):
                    continue
                if how == "contains" and key not in required and t.words > CONTAINS_MAX_WORDS:
                    continue  # inside a longer text, a label is trusted only for what must be found
                cells.add((t.row, t.col))
                found.setdefault(key, (grid, (t.row, t.col)))
    return found, label_cells


def _inline_value(text: str) -> str:
    """The value typed into the label's own cell: "LEA name: Springfield" -> "Springfield"."""
    _, sep, rest = text.partition(":")
    return rest.strip() if sep else ""


def _value_cell(grid: Grid, pos: tuple[int, int], stops: set[tuple[int, int]]) -> tuple[int, int] | None:
    right = grid.first_right(*pos, stop=stops)
    if right is not None:
        return right
    r2, _ = grid.extent(*pos)
    below = grid.top_left(r2 + 1, pos[1])
    if below not in stops and not grid.blank(*below):
        # a value below its label, unless the row below holds labels of its own
        return below
    return None


def _parse(spec_type: str, value: Any, digits: int | None, template: Template) -> Parsed:
    if spec_type == "money":
        return parse_money(value, template)
    if spec_type == "id":
        return parse_id(value, digits)
    if spec_type == "date":
        return parse_date(value)
    if spec_type == "year":
        return parse_school_year(value)
    text = text_value(value)
    return Parsed(text, text, "ok")


def extract_lea(home: Grid | None, others: Sequence[Grid], ctx: Context) -> LeaInfo:
    """Read the LEA fields.

    Parameters
    ----------
    home : Grid or None
        The LEA information tab, searched whole.
    others : sequence of Grid
        Other tabs whose top rows (a title block) are searched for fields
        the LEA information tab lacks, or for all fields when it is missing.
    ctx : Context

    Returns
    -------
    LeaInfo
        Values by field name (parsed by the field's ``type``), with cells.
    """
    template = ctx.template
    found, label_cells = _find(home, others, template)
    info = LeaInfo(labels_found=len(found))
    where = home.name if home is not None else ""
    for name, spec in template.lea_fields.items():
        if name not in found:
            if spec.required:
                ctx.problem("field-missing", where, None,
                            f"no {spec.labels[0]!r} label was found" + (f" on {where!r}" if where else ""))
            continue
        grid, pos = found[name]
        cell = _value_cell(grid, pos, label_cells.get(grid.name, set()))
        inline = _inline_value(grid.text_at[pos].text) if cell is None else ""
        if inline:
            cell, raw = pos, inline
        elif cell is not None:
            raw = grid.value(*cell)
        if cell is None:
            if spec.required:
                row_cells = [(pos[0], c) for c in range(grid.extent(*pos)[1] + 1, grid.ncols + 64)]
                if not ctx.report_empty(grid, row_cells, spec.labels[0], first=True):
                    ctx.problem("field-empty", grid, pos, f"{at(grid, pos)}: {spec.labels[0]!r} is empty")
            continue
        parsed = _parse(spec.type, raw, spec.digits, template)
        if parsed.status == "invalid":
            ctx.problem("field-invalid", grid, cell,
                        f"{at(grid, cell)}: {spec.labels[0]} {quoted(parsed.raw)} is not {_WHAT.get(spec.type, 'valid')}")
            continue
        if parsed.status != "ok":
            continue
        value = parsed.value
        if spec.type == "id" and spec.digits and not (value.isdigit() and len(value) == spec.digits):
            ctx.problem("field-invalid", grid, cell,
                        f"{at(grid, cell)}: {spec.labels[0]} {quoted(value)} is not {spec.digits} digits; kept as typed")
        info.values[name] = value
        info.cells[name] = (grid.name, a1(*cell))
    return info
