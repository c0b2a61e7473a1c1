"""Cells of one sheet gathered in any order, then written column by column (:class:`CellBatch`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .write_cells import Cells
    from .write_xlsx import FastWorksheet as Worksheet
    from .write_xlsx import Place


class CellBatch:
    """Cells of one sheet gathered in any order, then written column by column.

    A sheet laid out block by block (the LEA profiles) notes its cells here;
    they are made with one :class:`Cells` call per column and kind and
    stored as one block of rows
    (:meth:`~needsassess.write_xlsx.FastWorksheet.put_rows`), so nothing
    else may be written in those rows.  Rows must be noted in ascending order
    within each column and kind.  Empty cells are made first, then texts and
    values, then links, so a cell noted twice keeps the later kind of write.
    """

    def __init__(self) -> None:
        self.blank_rows: dict[tuple[int, str], list[int]] = {}
        self.groups: dict[tuple[str, int, str], tuple[list[int], list[object]]] = {}
        self.link_groups: dict[tuple[int, str], tuple[list[int], list[object], list[str | Place | None]]] = {}

    def column(self, mode: str, col: int, kind: str) -> tuple[list[int], list[object]]:
        """The (rows, values) lists of column ``col`` written in ``mode`` ("text" or "value") and ``kind``."""
        key = (mode, col, kind)
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = ([], [])
        return found

    def text(self, row: int, col: int, value: object, kind: str = "text") -> None:
        """Note a cell :meth:`Cells.text` writes."""
        rows, values = self.column("text", col, kind)
        rows.append(row)
        values.append(value)

    def value(self, row: int, col: int, value: object, kind: str = "text") -> None:
        """Note a cell :meth:`Cells.value` writes."""
        rows, values = self.column("value", col, kind)
        rows.append(row)
        values.append(value)

    def blank(self, row: int, col: int, kind: str) -> None:
        """Note an empty cell in the format of ``kind``."""
        self.blank_column(col, kind).append(row)

    def link_column(self, col: int, kind: str = "text") -> tuple[list[int], list[object], list[str | Place | None]]:
        """The (rows, texts, anchors) lists of the links of column ``col`` in ``kind``."""
        key = (col, kind)
        found = self.link_groups.get(key)
        if found is None:
            found = self.link_groups[key] = ([], [], [])
        return found

    def blank_column(self, col: int, kind: str) -> list[int]:
        """The rows of the empty cells of column ``col`` in the format of ``kind``."""
        return self.blank_rows.setdefault((col, kind), [])

    def link(self, row: int, col: int, text: object, anchor: str | Place | None, kind: str = "text") -> None:
        """Note a cell :meth:`Cells.link` writes."""
        rows, texts, anchors = self.link_column(col, kind)
        rows.append(row)
        texts.append(text)
        anchors.append(anchor)

    def write(self, cells: Cells, ws: Worksheet) -> None:
        """Write every cell noted, then forget them."""
        made: list[tuple[int, Sequence[int], list[str]]] = []  # (column, rows, cells' XML)
        for (col, kind), rows in self.blank_rows.items():
            made.append((col, rows, cells.blank_cells(col, rows, kind)))
        for (mode, col, kind), (rows, values) in self.groups.items():
            made.append((col, rows, cells.render(ws, col, rows, values, kind, mode)))
        for (col, kind), (rows, texts, anchors) in self.link_groups.items():
            made.append((col, rows, cells.link_cells(ws, col, rows, texts, anchors, kind)))
        self.__init__()  # type: ignore[misc]
        made = [m for m in made if m[1]]
        if not made:
            return
        top = min(rows[0] for _, rows, _ in made)
        bottom = max(rows[-1] for _, rows, _ in made)
        left = min(col for col, _, _ in made)
        right = max(col for col, _, _ in made)
        block = [[""] * (bottom - top + 1) for _ in range(right - left + 1)]
        for col, rows, xmls in made:
            column = block[col - left]
            for r, x in zip(rows, xmls):
                if x:
                    column[r - top] = x
        ws.put_rows(top, left, block)
