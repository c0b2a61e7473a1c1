"""Problems are data: what could not be read, where, and why.

A workbook that cannot be read fully yields :class:`Problem` records with a
stable code, a severity, the file, sheet and cell, and a plain-English
message.  They are collected in a :class:`ProblemLog` and become the
``problems`` table; nothing is raised one at a time.

Exceptions are kept for "cannot continue" (a template that does not parse,
an output folder that cannot be written).  They form one small tree under
:class:`NeedsassessError` and also inherit the matching builtin, so callers
may catch either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Literal

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["error", "warning"]

#: Every problem code the package emits, with its default severity and what
#: it means.  Codes are stable: States filter on them.
CODES: dict[str, tuple[Severity, str]] = {
    # files
    "file-unreadable": ("error", "The file could not be opened (permissions or an I/O error)."),
    "file-empty": ("error", "The file is empty (0 bytes)."),
    "file-encrypted": ("error", "The workbook is password-protected; ask the LEA for an unprotected copy."),
    "file-corrupt": ("error", "The workbook is damaged or truncated and could not be opened."),
    "file-not-workbook": ("error", "The file has a workbook extension but is not an Excel workbook."),
    "file-too-large": ("error", "The workbook expands past the configured size limits and was not read."),
    "file-unsafe-xml": ("error", "The workbook holds XML constructs that are refused for safety (entity expansion)."),
    "file-legacy-xls": ("warning", "Legacy .xls workbook: read without tab colours or merged areas."),
    "file-unsupported": ("error", "This kind of workbook (for example .xlsb) cannot be read; ask for .xlsx."),
    "file-skipped": ("warning", "The file is not a workbook and was skipped."),
    "file-name-encoding": ("warning", "The file name is not valid UTF-8; it is shown with replacement characters."),
    "folder-loop": ("warning", "A folder link leads back into a folder already read; it was not followed."),
    "folder-unreadable": ("warning", "A folder could not be listed."),
    "not-the-tool": ("error", "The workbook does not look like the LEA Needs Assessment Tool."),
    "no-analysis-or-needs": ("error", "No analysis tab and no prioritized-needs tab could be read from this workbook."),
    "duplicate-lea": ("warning", "Another file holds the same LEA; the newest one was kept and this one left out."),
    # tabs
    "tab-missing": ("warning", "An expected tab was not found."),
    "tab-unrecognised": ("warning", "A tab could not be given a role and was not read."),
    "tab-ambiguous": ("warning", "Two tabs claim the same role; the first was read."),
    "tab-hidden": ("warning", "A tab the reader uses is hidden; it was read all the same."),
    "tab-area-unknown": ("warning", "The area of an analysis or needs tab could not be told; it was guessed from tab order."),
    "tab-unreadable": ("error", "A tab could not be read."),
    # fields and blocks
    "field-missing": ("warning", "A field's label was not found."),
    "field-empty": ("warning", "A field's label was found but its value is empty."),
    "field-invalid": ("warning", "A field's value could not be understood."),
    "lea-identity-missing": ("error", "The LEA's name and ID could not be read; its rows carry the file name instead."),
    "questions-missing": ("warning", "No open-ended questions were found on an analysis tab."),
    "questions-fewer": ("warning", "Fewer questions than the template lists were found on an analysis tab that has no questions section title."),
    "answer-missing": ("warning", "A question has no answer."),
    "answer-truncated": ("warning", "An answer is longer than Excel's cell limit and was cut."),
    "capacity-missing": ("warning", "No capacity self-rating block was found on an analysis tab."),
    "rating-invalid": ("warning", "A capacity rating is not a number from 1 to 4."),
    "tta-invalid": ("warning", "A T/TA wanted cell is not yes or no."),
    "needs-header-missing": ("error", "The prioritized-needs tab has no header row the reader recognises."),
    "needs-empty": ("warning", "The prioritized-needs tab lists no needs."),
    "priority-invalid": ("warning", "A priority rank is not a whole number; row order was used."),
    "area-invalid": ("warning", "An area cell names no known area."),
    "evidence-invalid": ("warning", "An evidence level is not one of the ESSA levels."),
    "number-invalid": ("warning", "A number cell holds text that is not a number."),
    "formula-no-value": ("warning", "A formula cell has no saved value (the workbook was not recalculated in Excel)."),
    "indicator-unknown": ("warning", "An indicator row names no indicator of the template; it was kept under its own label."),
    "indicators-missing": ("warning", "No indicator values were found for an area."),
    # reader additions
    "blank-tool": ("warning", "A blank copy of the tool (no LEA, no answers, no needs) was skipped."),
    "read-failed": ("error", "The reader stopped on this workbook because of an internal error; please report it."),
    # hostile input
    "tab-too-large": ("error", "A tab's cells span more rows and columns than the configured limit; it was not read."),
    "row-label-missing": ("warning", "A capacity or indicator row holds values but shows no label (empty, an error "
                          "value such as #REF!, or under a merged area); kept when the label could be told, else "
                          "its values are in the message."),
    "cell-error": ("warning", "A cell holds an Excel error value (#REF!, #DIV/0!, #N/A) where a value was expected; "
                   "it was read as empty."),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that could not be read.

    Parameters
    ----------
    file : str
        Path of the workbook, relative to the folder read.
    sheet, cell : str
        Where in the workbook; empty when the problem is about the whole file
        or sheet.
    severity : {"error", "warning"}
    code : str
        A key of :data:`CODES`.
    message : str
        Plain English, specific to this case.
    """

    file: str
    sheet: str
    cell: str
    severity: Severity
    code: str
    message: str


PROBLEM_COLUMNS = ["file", "sheet", "cell", "severity", "code", "message"]


class ProblemLog:
    """Collects problems while a batch is read.

    Examples
    --------
    >>> log = ProblemLog()
    >>> log.add("file-empty", "a.xlsx", message="a.xlsx is empty (0 bytes).")
    >>> log.count("error")
    1
    """

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self._items: list[Problem] = list(problems)

    def add(
        self,
        code: str,
        file: str,
        *,
        sheet: str = "",
        cell: str = "",
        message: str | None = None,
        severity: Severity | None = None,
    ) -> Problem:
        """Record a problem; severity defaults to the code's own."""
        default_severity, meaning = CODES[code]
        problem = Problem(file, sheet or "", cell or "", severity or default_severity, code, message or meaning)
        self._items.append(problem)
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def count(self, severity: Severity | None = None) -> int:
        return sum(1 for p in self._items if severity is None or p.severity == severity)

    def to_frame(self) -> pd.DataFrame:
        """The ``problems`` table, errors first, then by file, sheet, cell order of discovery."""
        import pandas as pd  # here: reading workbooks needs no pandas

        frame = pd.DataFrame(self._items, columns=PROBLEM_COLUMNS)
        if frame.empty:
            return frame.astype(str)
        order = frame["severity"].map({"error": 0, "warning": 1}).fillna(2)
        return frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)


class NeedsassessError(Exception):
    """Base class of the errors after which needsassess cannot continue."""


class TemplateError(NeedsassessError, ValueError):
    """A template or taxonomy description is not valid."""


class OutputError(NeedsassessError, OSError):
    """An output file or folder cannot be written."""


class InputError(NeedsassessError, FileNotFoundError):
    """The input path does not exist or is not a folder / workbook."""
