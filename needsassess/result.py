"""What reading a folder gives back: :class:`Assessment`, and how per-file
results become its tables (with duplicate LEAs resolved).

Conventions of the tables: text columns hold ``""`` when empty, never NA;
numbers, dates and flags hold NA when empty.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from .file_result import FileResult
from .problems import Problem
from .tables import write_csv_tables, READER_TABLES, frame

#: Statuses of the ``files`` table.
STATUSES = ("read", "partial", "failed", "skipped", "duplicate", "blank")
FILES_COLUMNS = ["file", "status", "kind", "lea_id", "n_errors", "n_warnings", "bytes", "mtime"]
TABS_COLUMNS = ["file", "sheet", "role", "area", "hue", "colour", "hidden", "read"]
TABLE_NAMES = ("leas", "responses", "ratings", "needs", "indicators", "problems")

_DTYPES: dict[str, dict[str, str]] = {
    "leas": {"allocation": "float64", "n_answers": "int64", "n_needs": "int64", "n_ratings": "int64",
             "n_indicators": "int64", "n_errors": "int64", "n_warnings": "int64"},
    "responses": {"question_no": "int64", "placeholder": "bool"},
    "ratings": {"rating": "Int64", "tta_wanted": "boolean"},
    "needs": {"priority": "Int64", "amount": "float64", "infrastructure_amount": "float64", "row": "int64"},
    "indicators": {"value": "float64"},
    "files": {"n_errors": "int64", "n_warnings": "int64", "bytes": "int64"},
    "tabs": {"hidden": "bool", "read": "bool"},
}


class Assessment:
    """The tables read from a folder of LEA workbooks.

    Attributes
    ----------
    leas, responses, ratings, needs, indicators, problems : DataFrame
        The six reader tables (columns in :data:`needsassess.tables.READER_TABLES`).
    files : DataFrame
        One row per file found: file, status (read, partial, failed, skipped,
        duplicate, blank), kind, lea_id, n_errors, n_warnings, bytes, mtime.
    tabs : DataFrame
        One row per tab of every workbook opened: file, sheet, role, area,
        hue, colour, hidden, read.
    source : str
        The folder or file read.
    cached : int
        How many workbooks were taken from the cache of earlier runs
        (unchanged since; see :mod:`needsassess.cache`) instead of read.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], files: pd.DataFrame, tabs: pd.DataFrame,
                 source: str = "", *, cached: int = 0) -> None:
        self.leas = tables["leas"]
        self.responses = tables["responses"]
        self.ratings = tables["ratings"]
        self.needs = tables["needs"]
        self.indicators = tables["indicators"]
        self.problems = tables["problems"]
        self.files = files
        self.tabs = tabs
        self.source = source
        self.cached = cached

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The six reader tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not (self.problems["severity"] == "error").any() if len(self.problems) else True

    def to_csv(self, outdir: str | Path) -> list[Path]:
        """Write each table as ``<name>.csv`` into ``outdir`` (:func:`~needsassess.tables.write_csv_tables`).

        Raises
        ------
        OutputError
            When the folder or a file cannot be written.
        """
        return write_csv_tables(self.tables, outdir)

    def _counts(self) -> list[tuple[str, int]]:
        errors = int((self.problems["severity"] == "error").sum()) if len(self.problems) else 0
        return [("files", len(self.files)), ("LEAs", len(self.leas)), ("answers", len(self.responses)),
                ("ratings", len(self.ratings)), ("needs", len(self.needs)),
                ("indicator values", len(self.indicators)), ("errors", errors),
                ("warnings", len(self.problems) - errors)]

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in self._counts())
        return f"<Assessment of {self.source or 'workbooks'}: {counts}>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(what)}</th><td>{n:,}</td></tr>"
                       for what, n in self._counts())
        status = ""
        if len(self.files):
            counts = self.files["status"].value_counts()
            status = ", ".join(f"{int(counts[s])} {s}" for s in STATUSES if s in counts)
        return (f"<div><strong>Assessment</strong> of {html.escape(self.source or 'workbooks')}"
                f"<table>{rows}</table><small>{html.escape(status)}</small></div>")


def resolve_duplicates(results: Sequence[FileResult]) -> None:
    """Keep the newest file of each LEA (date completed, then file time).

    The others become ``duplicate``: their rows are dropped and their
    problems replaced by one ``duplicate-lea`` warning naming the kept file.
    """
    groups: dict[str, list[FileResult]] = {}
    for res in results:
        if res.status in ("read", "partial") and res.identity:
            groups.setdefault(res.identity, []).append(res)
    for group in [g for key in sorted(groups) for g in _split_by_nces(groups[key])]:
        if len(group) < 2:
            continue
        group.sort(key=_newness, reverse=True)
        kept = group[0]
        for res in group[1:]:
            who = res.lea.get("lea_name") or res.lea.get("lea_id") or "the same LEA"
            ident = f", ID {res.lea['lea_id']}" if res.lea.get("lea_id") else ""
            res.status = "duplicate"
            res.responses, res.ratings, res.needs, res.indicators = [], [], [], []
            res.problems = [Problem(res.file, "", "", "warning", "duplicate-lea",
                                    f"{res.file!r} holds the same LEA ({who}{ident}) as {kept.file!r}; "
                                    f"the newer file {kept.file!r} was kept and this one left out")]


def _split_by_nces(group: list[FileResult]) -> list[list[FileResult]]:
    """Files sharing a State ID but naming different NCES IDs are different LEAs (a typo, not a resubmission)."""
    by_nces: dict[str, list[FileResult]] = {}
    for res in group:
        by_nces.setdefault(str(res.lea.get("nces_id") or ""), []).append(res)
    unknown = by_nces.pop("", [])
    parts = list(by_nces.values()) or [[]]
    parts[0].extend(unknown)
    return parts


def _newness(res: FileResult) -> tuple[dt.date, float, str]:
    completed = res.lea.get("date_completed")
    return (completed if isinstance(completed, dt.date) else dt.date.min, res.mtime, res.file)


def build(results: Iterable[FileResult], source: str = "", extra_problems: Iterable[Problem] = (), *,
          cached: int = 0) -> Assessment:
    """Turn per-file results into an :class:`Assessment` (rows made into frames once).

    ``extra_problems`` are problems of the batch that belong to no file
    (a folder that could not be listed); ``cached`` counts the results taken
    from the cache of earlier runs.
    """
    results = list(results)
    resolve_duplicates(results)
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_NAMES}
    rows["problems"].extend((p.file, p.sheet, p.cell, p.severity, p.code, p.message) for p in extra_problems)
    files, tabs = [], []
    for res in results:
        files.append((res.file, res.status, res.kind, res.lea_id, res.count("error"), res.count("warning"),
                      res.bytes, res.mtime))
        tabs.extend(res.tabs)
        rows["problems"].extend((p.file, p.sheet, p.cell, p.severity, p.code, p.message) for p in res.problems)
        if res.status not in ("read", "partial"):
            continue
        head = (res.file, res.lea_id)
        for name in ("responses", "ratings", "needs", "indicators"):
            rows[name].extend(head + row for row in getattr(res, name))
        rows["leas"].append(_lea_row(res))
    tables = {name: _typed(name, frame(name, rows[name])) for name in TABLE_NAMES if name != "problems"}
    tables["problems"] = _problems(rows["problems"])
    files_frame = _typed("files", pd.DataFrame(files, columns=FILES_COLUMNS))
    files_frame["mtime"] = pd.to_datetime(files_frame["mtime"].astype("float64"), unit="s").dt.floor("s")
    return Assessment(tables, files_frame, _typed("tabs", pd.DataFrame(tabs, columns=TABS_COLUMNS)), source,
                      cached=cached)


def _lea_row(res: FileResult) -> tuple[Any, ...]:
    lea = res.lea
    values = {
        "file": res.file, "lea_name": lea.get("lea_name", ""), "lea_id": res.lea_id,
        "nces_id": lea.get("nces_id", ""), "school_year": lea.get("school_year", ""),
        "allocation": lea.get("allocation"), "date_completed": lea.get("date_completed"),
        "state": lea.get("state", ""), "contact_name": lea.get("contact_name", ""),
        "contact_email": lea.get("contact_email", ""), "stakeholders": lea.get("stakeholders", ""),
        "n_answers": len(res.responses), "n_needs": len(res.needs), "n_ratings": len(res.ratings),
        "n_indicators": len(res.indicators), "n_errors": res.count("error"), "n_warnings": res.count("warning"),
    }
    return tuple(values.get(c, "") for c in READER_TABLES["leas"])


def _typed(name: str, table: pd.DataFrame) -> pd.DataFrame:
    for column, dtype in _DTYPES.get(name, {}).items():
        if column in table:
            table[column] = table[column].astype(dtype)
    if name == "leas":
        table["date_completed"] = pd.to_datetime(table["date_completed"])
    for column in table.columns:
        if table[column].dtype == object or str(table[column].dtype) in ("str", "string"):
            table[column] = table[column].fillna("").astype(str)
    return table


def _problems(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=READER_TABLES["problems"]).astype(str)
    if table.empty:
        return table
    order = table["severity"].map({"error": 0, "warning": 1}).fillna(2)
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)
