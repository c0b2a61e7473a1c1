"""The comparison programs the benchmark times, each run as a whole process.

``python bench/variants.py baseline DIR TAB [TAB ...]``
    What an analyst would write: ``pandas.read_excel(path, sheet_name=[tabs],
    engine="openpyxl")`` on every workbook of DIR, nothing else.
``python bench/variants.py floor DIR TAB [TAB ...]``
    The least any reader can do: bare python-calamine opening each workbook
    and reading the same tabs to Python lists, nothing else.

Both read the workbooks in file-name order, in one process, and print how
many workbooks and tabs they read (a check that they did the work).
"""

from __future__ import annotations

import sys
from pathlib import Path


def workbooks(folder: str) -> list[Path]:
    """The ``.xlsx`` files of ``folder``, by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix == ".xlsx" and not p.name.startswith("~$"))


def baseline(folder: str, tabs: list[str]) -> int:
    """Read ``tabs`` of every workbook with pandas and openpyxl; returns the number of frames."""
    import pandas as pd

    frames = 0
    for path in workbooks(folder):
        frames += len(pd.read_excel(path, sheet_name=tabs, engine="openpyxl"))
    return frames


def floor(folder: str, tabs: list[str]) -> int:
    """Read ``tabs`` of every workbook with bare python-calamine; returns the number of sheets."""
    from python_calamine import CalamineWorkbook

    sheets = 0
    for path in workbooks(folder):
        book = CalamineWorkbook.from_path(str(path))
        for tab in tabs:
            book.get_sheet_by_name(tab).to_python(skip_empty_area=False)
            sheets += 1
    return sheets


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("baseline", "floor"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, folder, tabs = argv[0], argv[1], argv[2:]
    done = (baseline if kind == "baseline" else floor)(folder, tabs)
    print(f"{kind}: {len(workbooks(folder))} workbooks, {done} tabs read")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
