"""What every extractor shares: the per-file context and located problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from .problems import ProblemLog
from .sheets import Grid, a1, folded
from .template import Template

# Question numbering typed in front of a question or label: "1.", "Q2:",
# "Question 3 -", "4)".
NUMBER_PREFIX = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d{1,2}[a-z]?\s*[.):\-–—]\s*|^\s*q(?:uestion)?\s*\d{1,2}\s+"
                           r"|^\s*\(?[a-h][.)]\s+", re.IGNORECASE)


def strip_number(text: str) -> str:
    """Drop a leading question number ("1.", "Q2.", "Question 3:") from text.

    Examples
    --------
    >>> strip_number("Q2. What factors contribute?"), strip_number("Question 3: Why?")
    ('What factors contribute?', 'Why?')
    """
    return NUMBER_PREFIX.sub("", text, count=1)


@dataclass
class Context:
    """One workbook being read: its name, the template and the problem log.

    ``formulas`` answers, for a sheet name, the cells holding a formula with
    no saved value, and ``errors`` the cells holding an error value
    (``{(row, col): "#REF!"}``): both read as empty cells, both are called
    only when an expected value is missing.
    """

    file: str
    template: Template
    log: ProblemLog = field(default_factory=ProblemLog)
    formulas: Callable[[str], frozenset[tuple[int, int]]] = lambda name: frozenset()
    errors: Callable[[str], Mapping[tuple[int, int], str]] = lambda name: {}

    def problem(self, code: str, grid: Grid | str, cell: tuple[int, int] | str | None, message: str) -> None:
        """Record a problem located on a sheet (and cell)."""
        sheet = grid if isinstance(grid, str) else grid.name
        if isinstance(cell, tuple):
            cell = a1(*cell)
        self.log.add(code, self.file, sheet=sheet, cell=cell or "", message=message)

    def uncached(self, grid: Grid, cells: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """Those of ``cells`` that hold a formula without a saved value."""
        found = self.formulas(grid.name)
        return [c for c in cells if c in found] if found else []

    def report_empty(self, grid: Grid, cells: Iterable[tuple[int, int]], what: str,
                     label: Callable[[tuple[int, int]], str] | None = None, *, first: bool = False) -> bool:
        """Report why cells read as empty are empty, if the sheet XML says; True when one was reported.

        ``formula-no-value`` once for the formulas without a saved value
        among ``cells``, and ``cell-error`` for
        each cell holding an error value such as ``#REF!`` (only the first,
        in the order given, with ``first``: cells that are candidates for
        one value).  ``label`` gives the name of a cell's row (an indicator,
        a capacity) for the message.
        """
        cells = list(cells)
        said = self._report_uncached(grid, cells, what)
        errors = self.errors(grid.name) if cells else {}
        for cell in cells if errors else ():
            error = errors.get(cell)
            if error is not None:
                named = f"{what} of {quoted(label(cell))}" if label is not None else what
                self.problem("cell-error", grid, cell,
                             f"{at(grid, cell)}: {named} holds the error value {error}; it was read as empty")
                said = True
                if first:
                    break
        return said

    def why_no_label(self, grid: Grid, cell: tuple[int, int]) -> tuple[str, str]:
        """The problem code and the reason a label cell reads as empty ("is a formula with no saved
        value ...", "is covered by the merged area A1:B2", "holds the error value #REF!", else "is empty
        or holds an error value": the file found no error there, and one it could not look into tells
        nothing)."""
        if self.uncached(grid, [cell]):
            return "formula-no-value", ("is a formula with no saved value (open the workbook in Excel, let it "
                                        "recalculate and save it)")
        top = grid.top_left(*cell)
        if top[0] != cell[0]:
            return "row-label-missing", f"is covered by the merged area {a1(*top)}:{a1(*grid.extent(*top))}"
        error = self.errors(grid.name).get(cell)
        return "row-label-missing", (f"holds the error value {error}" if error else
                                     "is empty or holds an error value such as #REF!")

    def _report_uncached(self, grid: Grid, cells: Iterable[tuple[int, int]], what: str) -> bool:
        """Report ``formula-no-value`` for the first uncached formula among cells."""
        hits = self.uncached(grid, cells)
        if not hits:
            return False
        where = at(grid, hits[0])
        more = f" (and {len(hits) - 1} more cells)" if len(hits) > 1 else ""
        self.problem("formula-no-value", grid, hits[0],
                     f"{where}: {what} is a formula with no saved value{more}; "
                     "open the workbook in Excel, let it recalculate and save it")
        return True


def at(grid: Grid, cell: tuple[int, int]) -> str:
    """Location text used in messages: "cell D17 on 'Sheet name'"."""
    return f"cell {a1(*cell)} on {grid.name!r}"


def quoted(text: str, limit: int = 60) -> str:
    """Text for a message, in double quotes, shortened."""
    text = " ".join(str(text).split())
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def norm_question(text: str) -> str:
    """Normalized question text without its number."""
    return folded(strip_number(text))
