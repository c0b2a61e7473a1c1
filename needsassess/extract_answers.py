"""Where the answer to a question is: beside it, or in the cells below it.

The answer is the first non-empty cell (or merged box) right of the
question in its row; failing that, the block of cells below it, down to the
first blank row, the next question or the limit the caller gives.  An
answer label ("Response:") is skipped, and an empty answer box (right of
the question, right of its answer label or just under it) means the
question has no answer.
"""

from __future__ import annotations

from functools import lru_cache

from .sheets import Grid, Text
from .template import Template, normalize
from .values import is_blank, text_value

Cell = tuple[int, int]


@lru_cache(maxsize=8)
def skip_labels(template: Template) -> frozenset[str]:
    """Normalized answer labels ("Response", "Answer"): they are no part of an answer."""
    return frozenset(normalize(s) for s in template.answer_labels)


def looks_like_question(t: Text) -> bool:
    """True for a text of three words or more whose first line (or the whole) ends with "?"."""
    if t.words < 3:
        return False
    first = t.text.split("\n", 1)[0].rstrip()
    return first.endswith("?") or t.text.endswith("?")


def right_box(grid: Grid, q: Cell, q_cells: set[Cell], template: Template) -> Cell | None:
    """The answer cell right of the question at ``q``: a value or an (empty) merged box."""
    skip = skip_labels(template)
    r2, c2 = grid.extent(*q)
    for r in range(q[0], r2 + 1):
        for c in range(c2 + 1, grid.width):
            pos = grid.top_left(r, c)
            if pos in q_cells:
                return None
            if pos != (r, c) and pos[1] <= c2:
                continue  # still inside the question's own merged area
            t = grid.text_at.get(pos)
            if t is not None and t.norm in skip:
                continue
            if not grid.blank(*pos) or pos in grid.merged:
                return pos
    return None


def answer_positions(grid: Grid, q: Cell, limit: int, q_cells: set[Cell], template: Template,
                     soft: frozenset[Cell] = frozenset(), asking: frozenset[Cell] = frozenset()) -> list[Cell]:
    """Cells making up the answer of the question at ``q`` (the first one is its address).

    ``q_cells`` (questions) end an answer below its question; ``soft`` cells
    (texts that may be questions) end it only once it has begun, since the
    first thing under a question is its answer whatever it looks like --
    unless it is worded as a question and sits in the question's own column
    where other questions have their answers beside them (``asking``): then
    it is the next question, and this one has no answer.
    """
    box = right_box(grid, q, q_cells, template)
    if box is not None:
        return [box] if not grid.blank(*box) else []
    skip = skip_labels(template)
    r2, c2 = grid.extent(*q)
    out: list[Cell] = []
    for r in range(r2 + 1, limit):
        if not out and grid.row_blank(r) and any(b1 <= c2 and b2 >= q[1] for b1, b2 in grid.boxes_from(r)):
            return []  # the empty answer box under the question: no answer, and nothing further down is one
        row_cells = []
        for c, v in grid.row_values(r):
            pos = (r, c)
            if pos in q_cells or (out and pos in soft):
                return out
            if pos in asking and c == q[1]:
                return out  # the next question, in the column of this one
            t = grid.text_at.get(pos)
            if t is not None and t.norm in skip and not out:
                box = right_box(grid, pos, set(), template)
                if box is not None and box in grid.merged:
                    # "Response:" and the answer box beside it: that box is the whole answer
                    return [box] if not grid.blank(*box) else []
            if t is not None and (t.norm in skip or (out and looks_like_question(t) and "\n" not in t.text)):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not out and _is_number_label(grid, pos):
                continue
            row_cells.append(pos)
        if row_cells:
            out.extend(row_cells)
        elif out and not _covered_by(grid, r, out):
            break  # a blank row ends the answer
    return out


def _covered_by(grid: Grid, r: int, cells: list[Cell]) -> bool:
    """True when row ``r`` lies inside the merged box of one of ``cells``."""
    return any(grid.extent(*c)[0] >= r for c in cells)


def _is_number_label(grid: Grid, pos: Cell) -> bool:
    """A bare small number with text right of it: the number of a prompt."""
    v = grid.value(*pos)
    return v == int(v) and 0 < v < 50 and not grid.blank(pos[0], pos[1] + 1)


def answer_text(grid: Grid, q: Cell, limit: int, q_cells: set[Cell], template: Template) -> tuple[str, Cell]:
    """The answer to the question at ``q`` as one text (lines joined), and its cell."""
    cells = answer_positions(grid, q, limit, q_cells, template)
    parts = [text_value(grid.value(*c)) for c in cells]
    parts = [p for p in parts if p and not is_blank(p)]
    if not parts:
        return "", q
    return "\n".join(parts), cells[0]
