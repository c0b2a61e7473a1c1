"""What the statewide summary shows: headline figures and chart series.

Pure functions from the result tables to small tables.  The workbook writer
and the plots both draw from them, so the Overview sheet and a notebook
agree.  The look of the summary (sheet names, labels, formats) is declared
in ``data/summary.toml``; :func:`load_layout` reads it.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .problems import TemplateError

Layout = Mapping[str, Any]

DEFAULT_LAYOUT = "summary.toml"


# ---------------------------------------------------------------- layout
def load_layout(source: str | Path | Mapping[str, Any] | None = None) -> Layout:
    """Load the description of the summary workbook's look.

    Parameters
    ----------
    source : path, mapping or None
        A TOML file in the form of the shipped ``summary.toml``; a mapping
        already loaded is returned as it is; None loads the shipped one.

    Raises
    ------
    TemplateError
        When the file cannot be read, parsed, or lacks a required part.
    """
    if isinstance(source, Mapping):
        return source
    if source is None:
        return _default_layout()
    return _read_layout(Path(source))


@lru_cache(maxsize=1)
def _default_layout() -> Layout:
    return _read_layout(Path(str(resources.files("needsassess") / "data" / DEFAULT_LAYOUT)))


def _read_layout(path: Path) -> Layout:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise TemplateError(f"cannot read summary layout {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"summary layout {path} is not valid TOML: {exc}") from exc
    missing = [k for k in ("about", "status", "sheets", "formats", "columns", "overview", "matrix", "profiles")
               if k not in raw]
    if missing:
        raise TemplateError(f"summary layout {path} lacks {', '.join(missing)}")
    for sheet in raw["sheets"]:
        name = str(sheet.get("name", ""))
        bad = set(name) & set("[]:*?/\\")
        if not name or len(name.format(area="WRE", area_name="")) > 31 or bad or name.startswith("'"):
            raise TemplateError(f"summary layout {path}: sheet name {name!r} is not a valid Excel sheet name "
                                "(1-31 characters, none of []:*?/\\, not starting with an apostrophe)")
    keys = [s.get("key") for s in raw["sheets"]]
    for needed in ("about", "overview", "profiles"):
        if needed not in keys:
            raise TemplateError(f"summary layout {path} has no sheet with key {needed!r}")
    return raw


def sheet_spec(layout: Layout, key: str) -> Mapping[str, Any]:
    """The ``[[sheets]]`` entry of ``key`` (an empty mapping when absent)."""
    for spec in layout["sheets"]:
        if spec.get("key") == key:
            return spec
    return {}


# ---------------------------------------------------------------- LEA names
def is_blank(value: object) -> bool:
    """True for None, NaN, pandas NA/NaT and strings of only spaces."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return False


def lea_names(leas: pd.DataFrame) -> dict[str, str]:
    """Display name of each LEA by file: its name, else its ID, else the file."""
    out: dict[str, str] = {}
    cols = [leas[c].tolist() if c in leas else [None] * len(leas) for c in ("file", "lea_name", "lea_id")]
    for file, name, lea_id in zip(*cols):
        if is_blank(file):
            continue
        out[str(file)] = next((str(v).strip() for v in (name, lea_id, file) if not is_blank(v)), str(file))
    return out


def with_lea_names(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with a ``lea_name`` column filled from ``names`` by file.

    A name already in the frame is kept; rows of files with no LEA keep
    their LEA ID (if any) so that nothing reads blank when it need not.
    """
    if "file" not in frame:
        return frame
    get = names.get
    filled = [get(f) if f.__class__ is str else get(str(f)) for f in frame["file"].tolist()]
    if "lea_name" in frame:  # the frame's own name first
        filled = [f if blank else own
                  for own, blank, f in zip(frame["lea_name"].tolist(), _blanks(frame["lea_name"]), filled)]
    if "lea_id" in frame:  # its ID last
        filled = [(None if blank else own) if f is None else f
                  for own, blank, f in zip(frame["lea_id"].tolist(), _blanks(frame["lea_id"]), filled)]
    return frame.assign(lea_name=pd.Series(filled, index=frame.index, dtype=object))


def _blanks(column: pd.Series) -> list[bool]:
    """Whether each value is missing or text of only spaces (numbers and dates count as text)."""
    return [isna or (not v.strip() if v.__class__ is str else not str(v).strip())
            for v, isna in zip(column.tolist(), column.isna().tolist())]


def lea_order(leas: pd.DataFrame) -> list[str]:
    """Files of the LEAs in the order the summary lists them (by name, case ignored)."""
    names = lea_names(leas)
    return sorted(names, key=lambda f: (names[f].casefold(), f))


# ---------------------------------------------------------------- counts
def file_counts(files: pd.DataFrame, status: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Files found, read, partly read, skipped and failed.

    ``status`` maps each count to the reader's statuses it covers (the
    ``[status]`` part of the layout).
    """
    values = files["status"].astype(object).tolist() if "status" in files else []
    counts = {"files_found": len(files)}
    for key, members in status.items():
        wanted = set(members)
        counts[f"files_{key}"] = sum(1 for v in values if v in wanted)
    return counts


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series([], dtype=float)
    # float64 so that a missing value is NaN, never pandas' NA (nullable Int64 ratings)
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def non_empty_answers(responses: pd.DataFrame) -> pd.DataFrame:
    """The responses whose answer holds any text."""
    if "answer" not in responses or responses.empty:
        return responses.iloc[0:0]
    keep = [bool(a.strip()) if a.__class__ is str else not is_blank(a) for a in responses["answer"].tolist()]
    return responses[keep]


def headline(tables: Mapping[str, pd.DataFrame], layout: Layout) -> dict[str, float]:
    """Every headline figure the Overview names, by key."""
    files = tables.get("files", pd.DataFrame())
    problems = tables.get("problems", pd.DataFrame())
    spending = tables.get("spending", pd.DataFrame())
    severity = problems["severity"].astype(object).tolist() if "severity" in problems else []
    passed = spending["passed"].tolist() if "passed" in spending else []
    figures: dict[str, float] = dict(file_counts(files, layout["status"]))
    figures.update(
        leas=len(tables.get("leas", ())),
        allocation=float(_numeric(tables.get("leas", pd.DataFrame()), "allocation").sum()),
        answers=len(non_empty_answers(tables.get("responses", pd.DataFrame()))),
        needs=len(tables.get("needs", ())),
        needs_amount=float(_numeric(tables.get("needs", pd.DataFrame()), "amount").sum()),
        ratings=len(tables.get("ratings", ())),
        tta_requests=len(tables.get("tta_requests", ())),
        topics=len(tables.get("topics", ())),
        plan_topics=len(tables.get("tta_plan", ())),
        cohorts=len(tables.get("cohorts", ())),
        spending_failed=sum(1 for p in passed if p is False or (not is_blank(p) and str(p).lower() in
                                                                  ("false", "no", "0"))),
        errors=sum(1 for s in severity if s == "error"),
        warnings=sum(1 for s in severity if s == "warning"),
    )
    return figures


# ---------------------------------------------------------------- topics
def topic_labels(topics: pd.DataFrame) -> dict[str, str]:
    """Display label of each topic key (its label, else the key)."""
    if "topic" not in topics:
        return {}
    labels = topics["label"].tolist() if "label" in topics else [None] * len(topics)
    return {str(t): (str(lab) if not is_blank(lab) else str(t))
            for t, lab in zip(topics["topic"].tolist(), labels) if not is_blank(t)}


def ranked(topics: pd.DataFrame) -> pd.DataFrame:
    """Topics best rank first (the table's own order when it has no rank)."""
    if "rank" not in topics or topics.empty:
        return topics
    return topics.assign(_r=pd.to_numeric(topics["rank"], errors="coerce")).sort_values(
        "_r", kind="stable", na_position="last").drop(columns="_r")


def top_topics(topics: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` best-ranked topics: columns ``topic``, ``label``, ``area``, ``n_leas``, ``score``."""
    top = ranked(topics).head(n)
    labels = topic_labels(top)
    return pd.DataFrame({
        "topic": [str(t) for t in top["topic"].tolist()] if "topic" in top else [],
        "label": [labels.get(str(t), str(t)) for t in top["topic"].tolist()] if "topic" in top else [],
        "area": top["area"].astype(object).tolist() if "area" in top else [None] * len(top),
        "n_leas": _numeric(top, "n_leas").fillna(0).tolist() if "n_leas" in top else [0] * len(top),
        "score": _numeric(top, "score").tolist() if "score" in top else [math.nan] * len(top),
    })


# ---------------------------------------------------------------- areas
def _area_names(areas: Mapping[str, str], not_stated: str) -> tuple[list[str], dict[str, str]]:
    keys = list(areas)
    return keys + [not_stated], {**{k: k for k in keys}, **{v: k for k, v in areas.items()}}


def needs_by_area(needs: pd.DataFrame, areas: Mapping[str, str], *, not_stated: str = "Not stated"
                  ) -> pd.DataFrame:
    """Prioritized needs and their Title IV-A amount per area.

    ``areas`` maps area keys to names, in the order to show; needs with no
    known area are counted under ``not_stated`` (a row shown only if any).
    """
    order, lookup = _area_names(areas, not_stated)
    count = dict.fromkeys(order, 0)
    amount = dict.fromkeys(order, 0.0)
    area_col = needs["area"].astype(object).tolist() if "area" in needs else [None] * len(needs)
    amounts = _numeric(needs, "amount").tolist() if "amount" in needs else [math.nan] * len(needs)
    for a, amt in zip(area_col, amounts):
        key = lookup.get(str(a), not_stated) if not is_blank(a) else not_stated
        count[key] += 1
        if not math.isnan(amt):
            amount[key] += amt
    rows = [(k, areas.get(k, k), count[k], amount[k]) for k in order if k in areas or count[k]]
    return pd.DataFrame(rows, columns=["area", "area_name", "needs", "amount"])


def ratings_by_area(ratings: pd.DataFrame, areas: Mapping[str, str], scale: Sequence[int] = (1, 2, 3, 4),
                    *, not_stated: str = "Not stated") -> pd.DataFrame:
    """How many capacity ratings of each value per area.

    One row per area (plus ``not_stated`` when any rating has no known
    area), one integer column per rating value in ``scale``, then ``n`` and
    ``mean``.  Ratings outside the scale are left out.
    """
    order, lookup = _area_names(areas, not_stated)
    counts = {k: dict.fromkeys(scale, 0) for k in order}
    area_col = ratings["area"].astype(object).tolist() if "area" in ratings else [None] * len(ratings)
    values = _numeric(ratings, "rating").tolist() if "rating" in ratings else []
    valid = set(scale)
    for a, v in zip(area_col, values):
        if math.isnan(v) or int(v) != v or int(v) not in valid:
            continue
        key = lookup.get(str(a), not_stated) if not is_blank(a) else not_stated
        counts[key][int(v)] += 1
    rows = []
    for k in order:
        n = sum(counts[k].values())
        if k in areas or n:
            mean = sum(r * c for r, c in counts[k].items()) / n if n else math.nan
            rows.append((k, areas.get(k, k), *counts[k].values(), n, mean))
    return pd.DataFrame(rows, columns=["area", "area_name", *scale, "n", "mean"])


def delivery_mix(tta_plan: pd.DataFrame, *, not_stated: str = "Not stated") -> pd.DataFrame:
    """Topics and LEAs served per delivery of the T/TA plan, most topics first."""
    deliveries = tta_plan["delivery"].astype(object).tolist() if "delivery" in tta_plan else []
    reach = _numeric(tta_plan, "n_leas").tolist() if "n_leas" in tta_plan else [math.nan] * len(deliveries)
    topics: dict[str, int] = {}
    leas: dict[str, float] = {}
    for d, n in zip(deliveries, reach):
        key = not_stated if is_blank(d) else str(d)
        topics[key] = topics.get(key, 0) + 1
        leas[key] = leas.get(key, 0.0) + (0.0 if math.isnan(n) else n)
    rows = sorted(((k, topics[k], leas[k]) for k in topics), key=lambda r: (-r[1], r[0]))
    return pd.DataFrame(rows, columns=["delivery", "topics", "leas"])


# ---------------------------------------------------------------- LEA x topic
def lea_topic_matrix(lea_topics: pd.DataFrame, topics: pd.DataFrame, leas: pd.DataFrame,
                     *, value: str = "gap") -> pd.DataFrame:
    """One row per LEA (by file, in :func:`lea_order`), one column per topic (by rank).

    Cells hold the LEA's largest ``value`` on the topic, NaN when it shows
    no sign of the need.  LEAs without any topic are kept as empty rows;
    topics no LEA shows are dropped.  Columns are topic keys; the index is
    the file.
    """
    order = lea_order(leas)
    known = set(order)
    extra = []  # LEAs in lea_topics that the leas table lacks still get a row
    if "file" in lea_topics:
        for f in dict.fromkeys(str(x) for x in lea_topics["file"].tolist() if not is_blank(x)):
            if f not in known:
                extra.append(f)
    rows = order + extra
    ranked_keys = [str(t) for t in ranked(topics)["topic"].tolist()] if "topic" in topics else []
    if lea_topics.empty or not {"file", "topic"} <= set(lea_topics):
        return pd.DataFrame(index=pd.Index(rows, name="file"), columns=[], dtype=float)
    # The largest value of each (file, topic), missing values left out: a pivot table, on codes.
    files = [f if f.__class__ is str else str(f) for f in lea_topics["file"].tolist()]
    keys = [t if t.__class__ is str else str(t) for t in lea_topics["topic"].tolist()]
    values = (pd.to_numeric(lea_topics[value], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
              if value in lea_topics else np.ones(len(files)))
    file_codes, file_names = pd.factorize(pd.Series(files, dtype=object))
    topic_codes, topic_names = pd.factorize(pd.Series(keys, dtype=object), sort=True)
    grid = np.full((len(file_names), len(topic_names)), np.nan)
    np.fmax.at(grid, (file_codes, topic_codes), values)
    wide = pd.DataFrame(grid, index=list(file_names), columns=list(topic_names))
    present = [t for t in ranked_keys if t in wide.columns]
    present += [t for t in wide.columns if t not in set(present)]
    wide = wide.reindex(index=rows, columns=present)
    wide = wide.loc[:, wide.notna().any(axis=0)]
    wide.index.name = "file"
    wide.columns.name = None
    return wide.astype(float)


def group_rows(frame: pd.DataFrame, columns: Iterable[str], *, by: str = "file") -> dict[str, list[tuple]]:
    """Rows of ``frame`` (only ``columns``, missing ones empty) grouped by ``by``, in frame order."""
    cols = list(columns)
    n = len(frame)
    lists = [frame[c].tolist() if c and c in frame else [None] * n for c in cols]
    keys = frame[by].tolist() if by in frame else [None] * n
    out: dict[str, list[tuple]] = {}
    for key, row in zip(keys, zip(*lists) if lists else [()] * n):
        if key.__class__ is str:
            if not key.strip():
                continue
        elif is_blank(key):
            continue
        else:
            key = str(key)
        found = out.get(key)
        if found is None:
            out[key] = [row]
        else:
            found.append(row)
    return out


def is_yes(value: object) -> bool:
    """True for True and for the usual ways of writing yes."""
    if value is True:
        return True
    if isinstance(value, str):
        return value.strip().casefold() in {"yes", "y", "true", "x", "1"}
    return bool(value) if isinstance(value, (int, float)) and value == value else False


def lea_area_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per LEA file and area: its ratings as lines, what it wants T/TA on, the mean.

    Columns ``file``, ``area``, ``ratings`` ("2  Using data ..." one per line,
    in the table's order), ``tta_wanted_on`` (one capacity per line) and
    ``mean_rating``.
    """
    n = len(ratings)
    cols = [ratings[c].tolist() if c in ratings else [None] * n
            for c in ("file", "area", "capacity", "rating", "tta_wanted")]
    groups: dict[tuple[str, str], list[list]] = {}
    shown_of: dict[object, tuple[str, float | None]] = {}  # rating -> (as shown, its number)
    text_of: dict[object, str] = {}  # capacity -> its text
    for file, area, capacity, rating, wanted in zip(*cols):
        if file.__class__ is str:
            if not file.strip():
                continue
        elif is_blank(file):
            continue
        key = (str(file), "" if area.__class__ is not str and is_blank(area) else
               ("" if not area.strip() else area) if area.__class__ is str else str(area))
        found = groups.get(key)
        if found is None:
            found = groups[key] = [[], [], []]
        lines, wants, values = found
        shown = shown_of.get(rating) if rating.__class__ in (int, float, str) else None
        if shown is None:
            shown = _shown_rating(rating)
            if rating.__class__ in (int, float, str) and not (rating.__class__ is float and rating == 0.0):
                shown_of[rating] = shown
        text = text_of.get(capacity) if capacity.__class__ is str else None
        if text is None:
            text = "" if is_blank(capacity) else capacity
            if capacity.__class__ is str:
                text_of[capacity] = text
        lines.append(f"{shown[0]}  {text}")
        if shown[1] is not None:
            values.append(shown[1])
        if wanted is True or (wanted is not False and is_yes(wanted)):
            wants.append("" if is_blank(capacity) else str(capacity))
    rows = [(f, a or None, "\n".join(lines), "\n".join(wants) or None,
             sum(values) / len(values) if values else math.nan)
            for (f, a), (lines, wants, values) in groups.items()]
    return pd.DataFrame(rows, columns=["file", "area", "ratings", "tta_wanted_on", "mean_rating"])


def _shown_rating(rating: object) -> tuple[str, float | None]:
    """A rating as a profile shows it ("?" when not a number), and its number."""
    number = pd.to_numeric(rating, errors="coerce") if not isinstance(rating, (int, float)) else rating
    if number is None or number != number:
        return "?", None
    return f"{number:g}", float(number)
