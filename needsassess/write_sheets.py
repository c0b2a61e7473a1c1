"""The sheets of the statewide summary workbook.

:func:`draw` adds every sheet in the order ``data/summary.toml`` declares
and fills it.  Table sheets are generic: they show every column of their
table (the declared ones first, the rest after), with header labels, widths
and number formats chosen by column name (else by the values), as an Excel
table with filters, frozen headers and print setup.  The About and Overview
sheets are drawn by :mod:`needsassess.write_overview`, the LEA x topic matrix
and the LEA profiles by :mod:`needsassess.write_leas`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import figures
from .figures import Layout, is_blank, sheet_spec
from .write_cells import Cells
from .write_xlsx import Place

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook

    from .write_xlsx import FastWorksheet as Worksheet

#: Row of a table sheet's header (title and description above it).
TABLE_TOP = 3


@dataclass
class Context:
    """What every sheet drawer needs: the workbook, the layout, the prepared tables."""

    workbook: Workbook
    cells: Cells
    layout: Layout
    summary: Any
    tables: dict[str, pd.DataFrame]
    names: dict[str, str]
    areas: dict[str, str]
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)
    #: Where each LEA's profile block is, by file (laid out by write_leas.draw_profiles).
    anchors: dict[str, Place] = field(default_factory=dict)
    #: The headline figures (:func:`needsassess.figures.headline`), once worked out.
    headline: dict[str, float] | None = None


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: the table column, its header, format kind and width."""

    name: str
    label: str
    kind: str
    width: float


def draw(workbook: Workbook, cells: Cells, summary: Any, layout: Layout) -> None:
    """Add and fill every sheet of the summary.

    The sheets showing a table at hand are drawn first and their cells
    turned into XML (:meth:`~needsassess.write_xlsx.FastWorksheet.render_cells`):
    while the scores are being worked out aside (``Summary.scored(aside=True)``)
    these are the reader's tables, and the scores are awaited only after.
    Links to LEA profiles are :class:`~needsassess.write_xlsx.Place` objects,
    placed when the profiles are laid out.
    """
    from . import write_leas, write_overview

    ready = getattr(summary, "ready_tables", None)
    ctx = prepare(workbook, cells, summary, layout, ready() if ready is not None else summary.tables)
    answers = answer_groups(ctx)
    for spec in layout["sheets"]:
        key = spec["key"]
        if key == "answers":
            for area, (name, _, _) in answers.items():
                _add_sheet(ctx, f"answers:{area}", name)
        else:
            _add_sheet(ctx, key, spec["name"])
    leas = ctx.tables.get("leas", pd.DataFrame(columns=["file"]))
    ctx.anchors.update({f: Place() for f in figures.lea_order(leas)})
    drawn: set[str] = set()
    _draw_tables(ctx, answers, drawn)
    prepare_more(ctx, summary.tables)  # the scores, when worked out aside, are waited for here
    write_leas.draw_profiles(ctx)
    for spec in layout["sheets"]:
        key = spec["key"]
        if key == "about":
            write_overview.draw_about(ctx)
        elif key == "overview":
            write_overview.draw_overview(ctx)
        elif key == "matrix":
            write_leas.draw_matrix(ctx)
    _draw_tables(ctx, answers, drawn)


_NOT_TABLES = frozenset({"about", "overview", "matrix", "profiles"})


def _draw_tables(ctx: Context, answers: dict[str, tuple[str, str, pd.DataFrame]], drawn: set[str]) -> None:
    """Draw the table sheets whose table is at hand and that are not drawn yet, and finish them."""
    for spec in ctx.layout["sheets"]:
        key = spec["key"]
        if key in drawn or key in _NOT_TABLES or (key != "answers" and key not in ctx.tables):
            continue
        drawn.add(key)
        if key == "answers":
            for area, (_, area_name, frame) in answers.items():
                ws = ctx.sheets[f"answers:{area}"]
                draw_table(ctx, ws, _area_spec(spec, area, area_name), frame, table_name=f"answers_{area}")
                ws.render_cells()
        else:
            draw_table(ctx, ctx.sheets[key], spec, ctx.tables[key], table_name=key)
            ctx.sheets[key].render_cells()


def _add_sheet(ctx: Context, key: str, name: str) -> None:
    ws = ctx.workbook.add_worksheet(name)  # a FastWorksheet: see build_workbook
    ctx.sheets[key] = ws
    ctx.sheet_names[key] = name


def prepare(workbook: Workbook, cells: Cells, summary: Any, layout: Layout,
            tables: Mapping[str, Any] | None = None) -> Context:
    """Gather the tables (``summary.tables``, or those given), each LEA-level one with the LEA's display name."""
    template = getattr(summary, "template", None)
    if template is None:
        from .template import load_template

        template = load_template()
    tables = tables if tables is not None else summary.tables
    leas = tables.get("leas")
    names = figures.lea_names(leas if isinstance(leas, pd.DataFrame) else
                              pd.DataFrame(columns=["file", "lea_name", "lea_id"]))
    areas = {k: a.name for k, a in template.areas.items()}
    ctx = Context(workbook, cells, layout, summary, {}, names, areas)
    prepare_more(ctx, tables)
    return ctx


def prepare_more(ctx: Context, tables: Mapping[str, Any]) -> None:
    """Add to ``ctx.tables`` those of ``tables`` some sheet shows and it lacks, made ready to draw."""
    layout = ctx.layout
    # Only the tables some sheet shows (the indicator values, for one, are not).
    used = {s.get("table") for s in layout["sheets"]} | {"leas", "topics", "lea_topics", "files", "problems"}
    used |= {sec.get("table") for sec in layout["profiles"].get("sections", [])}
    new = {k: v for k, v in dict(tables).items()
           if isinstance(v, pd.DataFrame) and k in used and k not in ctx.tables}
    for key, frame in new.items():
        if key != "leas" and "file" in frame:
            new[key] = figures.with_lea_names(frame, ctx.names)
    topics = new.get("topics", ctx.tables.get("topics"))
    labels = figures.topic_labels(topics if topics is not None else pd.DataFrame())
    for key in ("lea_topics", "tta_requests"):
        frame = new.get(key)
        if frame is not None and "topic" in frame and "label" not in frame:
            new[key] = frame.assign(label=[labels.get(t, t if t.strip() else None) if t.__class__ is str else
                                           labels.get(str(t), None if is_blank(t) else str(t))
                                           for t in frame["topic"].tolist()])
    if "ratings" in new:
        new["lea_area_ratings"] = figures.lea_area_ratings(new["ratings"])
    shown = layout.get("display", {}).get("area", {})
    if shown:  # e.g. the scorer's "*" for a topic of every area
        for key, frame in new.items():
            if "area" in frame and frame["area"].isin(list(shown)).any():
                new[key] = frame.assign(area=frame["area"].astype(object).replace(dict(shown)))
    ctx.tables.update(new)


# ---------------------------------------------------------------- columns
def plan_columns(frame: pd.DataFrame, spec: Mapping[str, Any], layout: Layout) -> list[Column]:
    """The columns a table sheet shows, in order, with label, kind and width."""
    first = [c for c in spec.get("first", []) if c in frame]
    omit = set(spec.get("omit", []))
    names = first + [c for c in frame.columns if c not in set(first) and c not in omit and not str(c).startswith("_")]
    declared = layout["columns"]
    out: list[Column] = []
    seen: set[str] = set()
    for name in names:
        col = declared.get(name)
        if col is not None:
            kind, label, width = col["kind"], col["label"], float(col["width"])
        else:
            kind, width = _infer_kind(frame[name])
            label = str(name).replace("_", " ").strip().capitalize() or "Column"
        if kind == "share" and _exceeds_one(frame[name]):
            kind = "share_100"
        base, n = label, 2
        while label.casefold() in seen:  # Excel table headers must be unique
            label, n = f"{base} ({n})", n + 1
        seen.add(label.casefold())
        out.append(Column(str(name), label, kind, width))
    return out


def _infer_kind(series: pd.Series) -> tuple[str, float]:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "flag", 9
    if pd.api.types.is_integer_dtype(dtype):
        return "int", 9
    if pd.api.types.is_float_dtype(dtype):
        return "number", 10
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date", 12
    longest = max((len(str(v)) for v in series.head(200).tolist() if not is_blank(v)), default=8)
    if str(series.name).endswith("_id"):
        return "id", min(max(longest + 2, 8), 20)
    if longest > 50:
        return "wrap", 50
    return "text", min(max(longest + 2, 8), 30)


def _exceeds_one(series: pd.Series) -> bool:
    values = pd.to_numeric(series, errors="coerce")
    return bool((values > 1.0).any())


# ---------------------------------------------------------------- sorting
def sort_frame(frame: pd.DataFrame, keys: Sequence[str], orders: Mapping[str, Sequence[str]],
               *, ascending: bool = True) -> pd.DataFrame:
    """``frame`` sorted by ``keys`` (stable): numbers as numbers, text case ignored, blanks last.

    A column listed in ``orders`` sorts in that order (values not listed
    after those listed).  Each key is turned into ranks of its distinct
    values once, and the rows are sorted on the ranks.
    """
    keys = [k for k in keys if k in frame]
    if not keys or frame.empty:
        return frame
    ranks = [_sort_ranks(frame[k], orders.get(k), ascending) for k in keys]
    order = np.lexsort(ranks[::-1])  # the last key given to lexsort sorts first; stable
    return frame.iloc[order]


def _sort_ranks(s: pd.Series, order: Sequence[str] | None, ascending: bool) -> np.ndarray:
    """The sort rank of each value of ``s``; missing numbers last whichever the direction."""
    if order is not None:
        rank = {v: i for i, v in enumerate(order)}
        keys: list[Any] = [rank.get(v, len(rank)) if v.__class__ is str or v is None else
                           _rank_of(rank, v) for v in s.tolist()]
    elif (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
          or pd.api.types.is_datetime64_any_dtype(s.dtype)):
        codes, distinct = pd.factorize(s, sort=True, use_na_sentinel=True)  # codes in sorted order
        codes = np.asarray(codes, dtype=np.int64)
        missing = codes < 0
        out = np.where(missing, len(distinct), codes if ascending else len(distinct) - 1 - codes)
        return out.astype(np.int64)
    else:
        num = numbers(s)
        missing = np.isnan(num)
        if int((~missing).sum()) == int(s.notna().sum()):
            distinct, codes = np.unique(num[~missing], return_inverse=True)
            out = np.full(len(num), len(distinct), dtype=np.int64)
            out[~missing] = (codes if ascending else len(distinct) - 1 - codes)
            return out
        codes, uniques = _factorize_text(s)
        if codes is not None:
            keys = [_text_key(u) for u in uniques] + [_text_key(None)]  # code -1 (missing) takes the last
            order_of = {k: i for i, k in enumerate(sorted(set(keys)))}
            ranks = np.array([order_of[k] for k in keys], dtype=np.int64)[codes]
            return ranks if ascending else len(order_of) - 1 - ranks
        folded: dict[object, str] = {}
        keys = []
        for v in s.tolist():
            k = folded.get(v) if v.__class__ is str else None
            if k is None:
                k = _text_key(v)
                if v.__class__ is str:
                    folded[v] = k
            keys.append(k)
    distinct_keys = sorted(set(keys))
    rank_of = {k: i for i, k in enumerate(distinct_keys)}
    out = np.fromiter((rank_of[k] for k in keys), dtype=np.int64, count=len(keys))
    return out if ascending else len(distinct_keys) - 1 - out


def numbers(s: pd.Series) -> np.ndarray:
    """``pd.to_numeric(s, errors="coerce")`` as floats (NaN for what is not a number), worked out once per
    distinct value of a text column."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    codes, uniques = _factorize_text(s)
    if codes is None:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    distinct = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=float,
                                                                                      na_value=np.nan)
    return np.append(distinct, np.nan)[codes]  # code -1 (missing) takes the NaN at the end


def _factorize_text(s: pd.Series) -> tuple[np.ndarray | None, list]:
    """Codes and distinct values of a column of text (missing: code -1), or (None, []) for other columns.

    Only text columns: elsewhere values of different types may be equal (True, 1 and 1.0) but
    read differently.
    """
    if not (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
        return None, []
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _rank_of(rank: Mapping[Any, int], value: object) -> int:
    try:
        return rank.get(value, len(rank))
    except TypeError:  # unhashable
        return len(rank)


def _text_key(value: object) -> str:
    """A text's sort key: case and outer spaces ignored, blanks after everything else."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return "\uffff"
    text = str(value).strip().casefold()
    return text or "\uffff"


def blank_repeats(frame: pd.DataFrame, pairs: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with a column emptied on rows where it says what another column says.

    ``pairs`` maps the column to empty to the column it repeats; values are
    the same when their text matches (case and spaces ignored) or they are
    the same number ("2" and 2.0).
    """
    changed = {}
    for col, other in pairs.items():
        if col not in frame or other not in frame or frame.empty:
            continue
        same = _same_texts(frame[col], frame[other])
        num_a, num_b = numbers(frame[col]), numbers(frame[other])
        same |= ~np.isnan(num_a) & (num_a == num_b)
        if same.any():
            changed[col] = frame[col].astype(object).where(~same, None)
    return frame.assign(**changed) if changed else frame


def _same_texts(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Whether each value of ``a`` is not blank and reads as the value of ``b`` beside it (case and spaces
    ignored)."""
    ids: dict[object, int] = {}  # each folded text's number

    def folded_ids(s: pd.Series) -> np.ndarray:
        codes, uniques = _factorize_text(s)
        if codes is not None:
            distinct = [_folded(u) for u in uniques]
            return np.array([-1 if f is None else ids.setdefault(f, len(ids)) for f in distinct] + [-1],
                            dtype=np.int64)[codes]
        return np.array([-1 if f is None else ids.setdefault(f, len(ids)) for f in map(_folded, s.tolist())],
                        dtype=np.int64)

    left, right = folded_ids(a), folded_ids(b)
    return (left >= 0) & (left == right)


def combine_columns(frame: pd.DataFrame, rules: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``frame`` with columns shown as one (``[[combine]]`` of the layout), the parts dropped.

    The first rule whose columns are all in the frame applies for each
    name; a part that is empty leaves the other part alone.
    """
    done: set[str] = set()
    for rule in rules:
        name, parts = rule["name"], list(rule["columns"])
        if name in done or name in frame or not set(parts) <= set(frame.columns):
            continue
        done.add(name)
        template = rule["format"]
        columns = [frame[p].tolist() for p in parts]
        present = [[(v.__class__ is str and bool(v.strip())) or (v.__class__ is not str and not is_blank(v))
                    for v in values] for values in columns]
        plain = [[v if v.__class__ is str else _plain(v) for v in values] for values in columns]
        positional = _positional(template, parts)
        joined = []
        for texts, shown in zip(zip(*plain), zip(*present)):
            if all(shown):
                joined.append(positional.format(*texts) if positional is not None else
                              template.format(**dict(zip(parts, texts))))
            else:
                joined.append(", ".join(t for t, ok in zip(texts, shown) if ok) or None)
        frame = frame.drop(columns=parts).assign(**{name: pd.Series(joined, index=frame.index, dtype=object)})
    return frame


def _positional(template: str, parts: Sequence[str]) -> str | None:
    """``template`` with its fields named by ``parts`` numbered instead ("{sheet}, {cell}" -> "{0}, {1}").

    None when a field is not a plain part name (the template is then filled by name).
    """
    import string

    out = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            out.append(literal.replace("{", "{{").replace("}", "}}"))
            if name is None:
                continue
            if name not in parts:
                return None
            out.append("{" + str(parts.index(name)) + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    except ValueError:
        return None
    return "".join(out)


def _plain(value: object) -> str:
    """A cell reference part as text: 12.0 reads 12."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _folded(value: object) -> object:
    return None if is_blank(value) else " ".join(str(value).split()).casefold()


# ---------------------------------------------------------------- sheets
def title_block(ctx: Context, ws: Worksheet, title: str, description: str, width_chars: float,
                ncols: int) -> None:
    """Title in row 1 and a wrapped description under it, across the first columns."""
    cells = ctx.cells
    ws.set_row(0, 24)
    cells.text(ws, 0, 0, title, "title")
    last = max(ncols - 1, 0)
    if last:
        ws.merge_range(1, 0, 1, last, "", cells.fmt("subtitle"))
    cells.text(ws, 1, 0, description, "subtitle")
    lines = max(1, math.ceil(len(description) * 1.1 / max(width_chars, 20)))
    ws.set_row(1, 14 * lines + 4)


def print_setup(ws: Worksheet, *, repeat_row: int | None = None, landscape: bool = True) -> None:
    """Landscape, fit to the page width, header row on every page, page numbers."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(1)  # US Letter
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&L&8&A&R&8Page &P of &N")
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)


def draw_table(ctx: Context, ws: Worksheet, spec: Mapping[str, Any], frame: pd.DataFrame,
               *, table_name: str) -> None:
    """One table sheet: title, description, and the whole table as an Excel table."""
    frame = sort_frame(frame, spec.get("sort", []), ctx.layout.get("sort_orders", {}))
    frame = blank_repeats(frame, ctx.layout.get("blank_if_same", {}))
    frame = combine_columns(frame, ctx.layout.get("combine", []))
    columns = plan_columns(frame, spec, ctx.layout)
    if not columns:
        columns = [Column("_empty", "(no columns)", "text", 20)]
    shown = [c for c in columns[:8]]
    title_block(ctx, ws, spec.get("title", ws.get_name()), spec.get("description", ""),
                sum(c.width for c in shown), len(shown))
    top = TABLE_TOP
    n = len(frame)
    for i, c in enumerate(columns):
        ctx.cells.set_column(ws, i, c.width, c.kind if c.kind != "lea" else "text")
    write_rows(ctx, ws, top + 1, frame, columns)
    ws.set_row(top, _header_height(columns))
    ctx.cells.fit_rows(ws, skip=range(top + 1))
    ws.add_table(top, 0, top + max(n, 1), len(columns) - 1, {
        "name": table_id(table_name),
        "style": ctx.layout.get("tables", {}).get("style", "Table Style Medium 2"),
        "columns": [{"header": c.label, "header_format": ctx.cells.fmt("block_header")} for c in columns],
    })
    ws.freeze_panes(top + 1, 1 if columns[0].kind == "lea" else 0)
    ws.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    print_setup(ws, repeat_row=top)
    through = spec.get("print_through")
    names = [c.name for c in columns]
    if through in names:  # on paper the columns a reader needs, at a size one can read; the rest stays on screen
        ws.print_area(0, 0, top + max(n, 1), names.index(through))


def _header_height(columns: Sequence[Column], line_height: float = 13.0) -> float:
    """Height of a header row whose labels wrap within their columns."""
    lines = max((math.ceil(len(c.label) * 1.2 / max(c.width, 1.0)) for c in columns), default=1)
    return max(1, min(lines, 6)) * line_height + 3


def table_id(name: str) -> str:
    """An Excel table name: letters, digits and underscores, not like a cell."""
    return "tbl_" + re.sub(r"[^0-9A-Za-z_]", "_", name)


def write_rows(ctx: Context, ws: Worksheet, first_row: int, frame: pd.DataFrame, columns: list[Column]) -> None:
    """Write ``frame`` under a header, column by column; LEA names link to their profile.

    This is the summary's hot loop (hundreds of thousands of cells for a
    large State): each column's cells are made in one call of
    :meth:`~needsassess.write_cells.Cells.column`, once per distinct value,
    and the rows are stored as one block.
    """
    cells = ctx.cells
    n = len(frame)
    block: list[list[str]] = []
    for c, col in enumerate(columns):
        if col.name not in frame:
            block.append([""] * n)
            continue
        values = frame[col.name].tolist()
        if col.kind == "lea":
            files = frame["file"].tolist() if "file" in frame else [None] * n
            block.append(_lea_links(ctx, ws, first_row, c, values, files))
        else:
            block.append(cells.column(ws, c, first_row, values, col.kind))
    ws.put_rows(first_row, 0, block)


def _lea_links(ctx: Context, ws: Worksheet, first_row: int, c: int, values: list, files: list) -> list[str]:
    """The cells of a column of LEA names, each linked to the LEA's profile ("" for a blank name)."""
    anchors = ctx.anchors
    n = len(values)
    at = [i for i, v in enumerate(values) if (v.strip() if v.__class__ is str else not is_blank(v))]
    if len(at) < n:
        values, files = [values[i] for i in at], [files[i] for i in at]
    where = [anchors.get(f) if f.__class__ is str else anchors.get(str(f)) for f in files]
    xmls = ctx.cells.link_cells(ws, c, [first_row + i for i in at], values, where)
    if len(at) == n:
        return xmls
    out = [""] * n
    for i, xml in zip(at, xmls):
        out[i] = xml
    return out


# ---------------------------------------------------------------- answers
def answer_groups(ctx: Context) -> dict[str, tuple[str, str, pd.DataFrame]]:
    """Non-empty answers split by area: area -> (sheet name, area name, rows).

    Every template area gets a sheet, even when empty; answers whose area is
    none of them go to one more sheet, only when there are any.
    """
    spec = sheet_spec(ctx.layout, "answers")
    if not spec:
        return {}
    answers = figures.non_empty_answers(ctx.tables.get("responses", pd.DataFrame(columns=["answer"])))
    areas = answers["area"].tolist() if "area" in answers else [None] * len(answers)
    area_col = pd.Series([(a if a.strip() else None) if a.__class__ is str else None if is_blank(a) else str(a)
                          for a in areas], index=answers.index, dtype=object)
    groups: dict[str, tuple[str, str, pd.DataFrame]] = {}
    for key, name in ctx.areas.items():
        groups[key] = (spec["name"].format(area=key, area_name=name), name, answers[area_col == key])
    other = answers[~area_col.isin(list(ctx.areas))]
    if len(other):
        groups["other"] = (spec.get("other_name", "Answers other"), spec.get("other_area_name", "unknown area"),
                           other)
    return groups


def _area_spec(spec: Mapping[str, Any], area: str, area_name: str) -> dict[str, Any]:
    out = {k: (v.format(area=area, area_name=area_name) if isinstance(v, str) else v) for k, v in spec.items()}
    if area == "other":
        out["omit"] = [c for c in spec.get("omit", []) if c != "area"]
    return out
