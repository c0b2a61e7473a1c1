"""The tables needsassess produces: their names and columns, declared once.

Every table is a pandas DataFrame whose first columns are exactly the ones
listed here, in this order; a table may carry more columns after them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .problems import PROBLEM_COLUMNS, OutputError

#: The reader's six tables.
READER_TABLES: dict[str, list[str]] = {
    "leas": ["file", "lea_name", "lea_id", "nces_id", "school_year", "allocation", "date_completed",
             # beyond the required columns
             "state", "contact_name", "contact_email", "stakeholders", "n_answers", "n_needs",
             "n_ratings", "n_indicators", "n_errors", "n_warnings"],
    "responses": ["file", "lea_id", "area", "question_no", "question", "answer", "sheet", "cell",
                  "placeholder", "template_question"],
    "ratings": ["file", "lea_id", "area", "capacity", "rating", "tta_wanted", "sheet", "cell",
                "capacity_key", "raw"],
    "needs": ["file", "lea_id", "priority", "area", "need", "outcome", "activity", "evidence_level",
              "amount", "infrastructure_amount", "sheet", "row",
              "baseline", "target", "measure", "schools", "timeline", "person", "raw_evidence_level"],
    "indicators": ["file", "lea_id", "area", "indicator", "level", "school", "value", "raw", "sheet", "cell",
                   "indicator_key", "direction", "unit"],
    "problems": PROBLEM_COLUMNS,
}

#: The first columns the issue fixes for each reader table (the rest are extras).
REQUIRED_COLUMNS: dict[str, list[str]] = {
    "leas": READER_TABLES["leas"][:7],
    "responses": READER_TABLES["responses"][:8],
    "ratings": READER_TABLES["ratings"][:8],
    "needs": READER_TABLES["needs"][:12],
    "indicators": READER_TABLES["indicators"][:10],
    "problems": PROBLEM_COLUMNS,
}


def frame(name: str, rows: Iterable[Mapping[str, object]] | Iterable[Sequence[object]] = (),
          columns: Mapping[str, list[str]] = READER_TABLES) -> pd.DataFrame:
    """Build table ``name`` from rows (dicts or sequences in column order).

    Missing dict keys become empty values; the column order is always the
    declared one, so an empty batch still yields the right headers.
    """
    cols = columns[name]
    rows = list(rows)
    if rows and isinstance(rows[0], Mapping):
        return pd.DataFrame.from_records(rows, columns=cols)
    return pd.DataFrame(rows, columns=cols)


#: The scorer's and planner's tables (issue "Rank capacity gaps ...").  The
#: first columns are fixed; method and signal columns follow them.
SCORE_TABLES: dict[str, list[str]] = {
    # one row per topic, best rank first
    "topics": ["topic", "area", "n_leas", "prevalence", "prevalence_low", "prevalence_high",
               "severity", "score", "rank", "label",
               # one column per ranking method, its rank, and the agreement flags
               "prevalence_x_severity", "borda", "borich", "requests",
               "rank_prevalence_x_severity", "rank_borda", "rank_borich", "rank_requests",
               "top_methods", "consensus", "n_rated", "mean_rating"],
    # one row per LEA and topic with any signal
    "lea_topics": ["file", "lea_id", "topic", "area", "gap", "lea_name",
                   # one column per signal, then the evidence
                   "priority", "capacity", "request", "indicator", "spending", "rating", "need", "terms"],
    # one row per topic in the plan (a second, individual row for LEAs far above the rest)
    "tta_plan": ["topic", "area", "delivery", "level", "modes", "n_leas", "leas", "label", "reason",
                 "rank", "complexity", "mean_rating", "lea_ids"],
    # one row per cohort (LEAs with similar need profiles)
    "cohorts": ["cohort", "n_leas", "leas", "topics", "similarity", "min_similarity", "lea_ids"],
    # one row per sentence asking for T/TA
    "tta_requests": ["file", "lea_id", "area", "topic", "sentence", "sheet", "cell", "lea_name", "terms",
                     "topics", "cue"],
    # one row per LEA and spending check
    "spending": ["file", "lea_id", "check", "value", "threshold", "passed", "message", "lea_name",
                 "topic", "basis"],
}


def write_csv_tables(tables: Mapping[str, pd.DataFrame], outdir: str | Path) -> list[Path]:
    """Write each table as ``<name>.csv`` into ``outdir``; returns the paths.

    UTF-8 with a byte-order mark, so that Excel reads the text right; lists
    in cells as "a; b".  Each file is written whole or not at all (a
    temporary file, then renamed), keeping an existing file's permissions.

    Raises
    ------
    OutputError
        When the folder or a file cannot be written.
    """
    from .write import file_mode

    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {out}: {exc.strerror or exc}") from exc
    written = []
    for name, table in tables.items():
        target = out / f"{name}.csv"
        tmp: Path | None = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".~{name}-", suffix=".csv.part", dir=out)
            tmp = Path(tmp_name)
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                _flat(table).to_csv(fh, index=False)
            os.chmod(tmp, file_mode(target))
            os.replace(tmp, target)
        except OSError as exc:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        written.append(target)
    return written


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with list-like cells joined as "a; b" (only object columns are looked at)."""
    changed: dict[str, list[Any]] = {}
    for col in table.columns:
        if table[col].dtype != object:
            continue
        values = table[col].tolist()
        if any(isinstance(v, _LISTS) for v in values):
            from .cell_text import clean_text

            changed[col] = [clean_text(v) if isinstance(v, _LISTS) else v for v in values]
    return table.assign(**changed) if changed else table


_LISTS = (list, tuple, set, frozenset, Mapping)
