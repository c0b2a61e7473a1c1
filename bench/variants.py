"""The comparison programs the benchmark times, each run as a whole process.

``python bench/variants.py baseline DIR TAB [TAB ...]``
    What an analyst would write: ``pandas.read_excel(path, sheet_name=[tabs],
    engine="openpyxl")`` on every workbook of DIR, nothing else.
``python bench/variants.py floor DIR TAB [TAB ...]``
    The least any reader can do: bare python-calamine opening each workbook
    and reading the same tabs to Python lists, nothing else.
``python bench/variants.py loaded|indexed DIR RESULTS OUT TAB [TAB ...]``
    Bounds, not readers: ``python -m needsassess summarize DIR -o OUT
    --no-cache`` with the extractors' work made free.  Each reader process
    still opens each workbook with its safety checks and loads the same
    tabs (``indexed``: and indexes their text cells, as every extractor
    needs), then hands back the result read beforehand (a pickle in
    RESULTS, see :func:`result_name`) in place of extracting it.  What
    follows (tables, scores, the summary) is summarize's own work.  Loading
    the pickle (about 0.1 ms a workbook) is work a free extractor would not
    do, so a bound errs on the slow side.

baseline and floor read the workbooks in file-name order, in one process,
and print how many workbooks and tabs they read (a check that they did the
work).
"""

from __future__ import annotations

import hashlib
import multiprocessing
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


def result_name(file: str) -> str:
    """The name, in a RESULTS folder, of the pickled result of the workbook ``file`` (relative to DIR)."""
    return hashlib.sha1(file.encode("utf-8", "surrogateescape")).hexdigest() + ".pickle"


def bound(kind: str, folder: str, results: str, out: str, tabs: list[str]) -> None:
    """Run summarize with each workbook opened and its tabs loaded (and indexed), its result read beforehand."""
    import pickle

    import needsassess.read as reader
    from needsassess.cli import run
    from needsassess.container import open_container
    from needsassess.sheets import Grid

    index = kind == "indexed"
    store = Path(results)

    def read_file(path: str, file: str, template: object, limits: object = None) -> object:
        # in place of needsassess.workbook.read_file, in the reader processes (or this one, for a few files)
        container = open_container(Path(path).read_bytes(), suffix=Path(path).suffix)
        entries = {sheet.name: sheet for sheet in container.sheets}
        for tab in tabs:
            rows, merged = container.rows(entries[tab])
            if index:
                Grid(tab, rows, merged)
        container.close()
        return pickle.loads((store / result_name(file)).read_bytes())

    reader.read_file = read_file
    # the reader processes must be forked from this one to inherit the stand-in (spawned or forkserver
    # processes import the reader afresh and would extract everything: no bound at all)
    multiprocessing.set_start_method("fork", force=True)
    sys.argv = ["needsassess", "summarize", folder, "-o", out, "--no-cache"]
    run()


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] in ("baseline", "floor"):
        kind, folder, tabs = argv[0], argv[1], argv[2:]
        done = (baseline if kind == "baseline" else floor)(folder, tabs)
        print(f"{kind}: {len(workbooks(folder))} workbooks, {done} tabs read")
        return 0
    if len(argv) >= 5 and argv[0] in ("loaded", "indexed"):
        bound(argv[0], argv[1], argv[2], argv[3], argv[4:])  # leaves the process when summarize is done
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
