"""The LEA-by-LEA sheets of the summary: the LEA x topic matrix and the LEA profiles.

Every LEA name on the other sheets links to the LEA's profile block.  The
blocks' rows are known only once the scores are in (a block lists the LEA's
top topics), so those links lead to a :class:`~needsassess.write_xlsx.Place`
per LEA, which :func:`draw_profiles` places when it lays the blocks out.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import figures
from .cell_batch import CellBatch
from .figures import sheet_spec
from .write import anchor
from .write_xlsx import Place
from .write_sheets import (TABLE_TOP, Column, Context, plan_columns, print_setup, sort_frame, table_id,
                           title_block, write_rows)

#: A profile section: its spec, the columns shown, and its rows by file.
Section = tuple[Mapping[str, Any], list[str], dict[str, list[tuple]]]

# ---------------------------------------------------------------- LEA x topic
def draw_matrix(ctx: Context) -> None:
    """LEAs down, topics across (by rank), the gap in each cell, with a colour scale."""
    ws, spec, conf = ctx.sheets["matrix"], sheet_spec(ctx.layout, "matrix"), ctx.layout["matrix"]
    cells = ctx.cells
    leas = ctx.tables.get("leas", pd.DataFrame(columns=["file"]))
    matrix = figures.lea_topic_matrix(ctx.tables.get("lea_topics", pd.DataFrame()),
                                      ctx.tables.get("topics", pd.DataFrame()), leas, value=conf.get("value", "gap"))
    labels = figures.topic_labels(ctx.tables.get("topics", pd.DataFrame()))
    lead = [plan_columns(pd.DataFrame(columns=[c]), {}, ctx.layout)[0]
            for c in conf.get("lea_columns", ["lea_name", "lea_id"])]
    topic_cols = [Column(t, labels.get(t, t), "score", float(conf.get("topic_width", 12))) for t in matrix.columns]
    columns = _unique_labels(lead + topic_cols)
    title_block(ctx, ws, spec.get("title", "LEA x topic"), spec.get("description", ""),
                sum(c.width for c in columns[:8]), min(len(columns), 8))
    top = TABLE_TOP
    ids = dict(zip(leas["file"].astype(object).map(str), leas["lea_id"].tolist())) if "lea_id" in leas else {}
    rows = pd.DataFrame({"file": list(matrix.index), "lea_name": [ctx.names.get(f, f) for f in matrix.index],
                         "lea_id": [ids.get(f) for f in matrix.index]})
    for i, c in enumerate(columns):
        cells.set_column(ws, i, c.width, c.kind if c.kind != "lea" else "text")
    write_rows(ctx, ws, top + 1, rows, columns[:len(lead)])
    values = matrix.to_numpy(dtype=float)
    score_fmt = cells.fmt("score")
    base = len(lead)
    for c in range(values.shape[1]):
        column = values[:, c]
        found = np.flatnonzero(np.isfinite(column))
        ws.put_numbers(base + c, (found + top + 1).tolist(), column[found].tolist(), score_fmt)
    last_row = top + max(len(rows), 1)
    ws.add_table(top, 0, last_row, len(columns) - 1, {
        "name": table_id("lea_topic"), "style": conf.get("table_style", "Table Style Light 1"),
        "columns": [{"header": c.label, "header_format": cells.fmt("matrix_header")} for c in columns],
    })
    ws.set_row(top, float(conf.get("header_height", 90)))
    if topic_cols and len(rows):
        colours = conf.get("colours", ["#FFFFFF", "#F8CBAD", "#C00000"])
        ws.conditional_format(top + 1, base, last_row, len(columns) - 1, {
            "type": "3_color_scale", "min_color": colours[0], "mid_color": colours[1], "max_color": colours[2]})
    ws.freeze_panes(top + 1, base)
    ws.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    print_setup(ws, repeat_row=top)


def _unique_labels(columns: list[Column]) -> list[Column]:
    seen: set[str] = set()
    out = []
    for c in columns:
        label, n = c.label, 2
        while label.casefold() in seen:
            label, n = f"{c.label} ({n})", n + 1
        seen.add(label.casefold())
        out.append(Column(c.name, label, c.kind, c.width))
    return out


# ---------------------------------------------------------------- LEA profiles
def draw_profiles(ctx: Context) -> None:
    """One block per LEA; where each starts is the location of its :class:`Place` in ``ctx.anchors``."""
    ws, spec, conf = ctx.sheets["profiles"], sheet_spec(ctx.layout, "profiles"), ctx.layout["profiles"]
    cells = ctx.cells
    sheet = ctx.sheet_names["profiles"]
    widths = conf.get("widths", [22, 40, 60, 16, 14, 12])
    for i, w in enumerate(widths):
        cells.set_column(ws, i, w, "wrap" if i in (1, 2) else "text")
    ncols = len(widths)
    title_block(ctx, ws, spec.get("title", sheet), spec.get("description", ""), sum(widths), ncols)
    leas = ctx.tables.get("leas", pd.DataFrame(columns=["file"]))
    order = figures.lea_order(leas)
    declared = ctx.layout["columns"]
    identity = [(c, label) for c, label in conf.get("identity", []) if c in leas]
    info = figures.group_rows(leas, [c for c, _ in identity])
    sections: list[Section] = []
    for sec in conf.get("sections", []):
        frame = ctx.tables.get(sec["table"])
        if frame is None:
            continue
        if sec.get("sort"):
            frame = sort_frame(frame, [sec["sort"]], {}, ascending=not sec.get("descending", False))
        cols = list(sec["columns"])
        sections.append((sec, cols, figures.group_rows(frame, cols)))

    index_top = TABLE_TOP
    cells.text(ws, index_top, 0, conf.get("index_heading", "LEAs"), "heading")
    first_block = index_top + 1 + len(order) + 1
    # Lay out the blocks first so the index can link to them.
    row = first_block
    starts: dict[str, int] = {}
    for f in order:
        starts[f] = row
        row += _block_height(identity, info.get(f), sections, f)
    for f, r in starts.items():  # the links already drawn to each block lead here from now on
        place = ctx.anchors.get(f)
        if place is None:
            place = ctx.anchors[f] = Place()
        place.location = anchor(sheet, r)
    back = anchor(sheet, index_top)
    batch = CellBatch()
    for i, f in enumerate(order, start=index_top + 1):
        batch.link(i, 0, ctx.names[f], ctx.anchors[f])
    blocks = _Blocks(ctx, batch, identity, sections, declared, ncols, back)
    for f in order:
        blocks.note(starts[f], f, info.get(f))
    batch.write(cells, ws)
    cells.fit_rows(ws, skip=(0, 1))
    ws.hide_gridlines(2)
    print_setup(ws, landscape=False)


#: How identity values show in a profile block (left-aligned under their label).
_PROFILE_KINDS = {"money": "money_left", "date": "date", "int": "int_left"}


def _block_height(identity: list[tuple[str, str]], info: list[tuple] | None, sections: list[Section],
                  file: str) -> int:
    n = 1 + (len(identity) if info else 0)
    for sec, _, groups in sections:
        rows = len(groups.get(file, []))
        limit = int(sec.get("limit", 10))
        n += 2 + max(1, min(rows, limit)) + (1 if rows > limit else 0)
    return n + 1


class _Blocks:
    """Notes the cells of each LEA's profile block in a :class:`CellBatch`, straight into its lists.

    Everything that is the same in every block (labels, headings, column
    headers, formats) is worked out once here.
    """

    def __init__(self, ctx: Context, batch: CellBatch, identity: list[tuple[str, str]], sections: list[Section],
                 declared: Mapping[str, Any], ncols: int, back: str) -> None:
        conf = ctx.layout["profiles"]
        self.names = ctx.names
        self.title_blanks = [batch.blank_column(c, "block_title") for c in range(ncols)]
        self.titles = batch.column("text", 0, "block_title")
        self.back_links = batch.link_column(ncols - 1, "block_title")
        self.back = (conf.get("back", "Back"), back)
        self.labels = batch.column("text", 0, "label")
        self.identity_labels = [label for _, label in identity]
        self.identity_values = [batch.column("value", 1, _PROFILE_KINDS.get(declared.get(col, {}).get("kind", "text"),
                                                                          "wrap")) for col, _ in identity]
        self.headings = batch.column("text", 0, "block_heading")
        self.nones = batch.column("text", 0, "subtitle")
        self.none = conf.get("none", "none")
        self.more_links = batch.link_column(0, "text")
        self.sections = []
        for sec, cols, groups in sections:
            headers = [(batch.column("text", c, "block_header"), declared.get(name, {}).get("label", name))
                       for c, name in enumerate(cols) if name]
            values = [(c, batch.column("value", c, kind)) for c, kind in enumerate(_section_kinds(cols, declared))
                      if kind is not None]
            target = sec.get("sheet")
            more = (conf.get("more", "... and {n} more"), ctx.sheet_names.get(target, target or ""),
                    anchor(ctx.sheet_names[target], 0) if target in ctx.sheet_names else None)
            self.sections.append((sec["heading"], headers, values, groups, int(sec.get("limit", 10)), more))

    def note(self, top: int, file: str, info: list[tuple] | None) -> None:
        """Note the block of the LEA of ``file`` from row ``top`` (``info``: its identity rows)."""
        for rows in self.title_blanks:
            rows.append(top)
        self.titles[0].append(top)
        self.titles[1].append(self.names[file])
        links = self.back_links
        links[0].append(top)
        links[1].append(self.back[0])
        links[2].append(self.back[1])
        r = top + 1
        if info:
            n = len(self.identity_labels)
            self.labels[0].extend(range(r, r + n))
            self.labels[1].extend(self.identity_labels)
            for (rows, values), i, v in zip(self.identity_values, range(r, r + n), info[0]):
                rows.append(i)
                values.append(v)
            r += n
        for heading, headers, columns, groups, limit, more in self.sections:
            self.headings[0].append(r)
            self.headings[1].append(heading)
            r += 1
            for (rows, values), label in headers:
                rows.append(r)
                values.append(label)
            r += 1
            found = groups.get(file, [])
            if not found:
                self.nones[0].append(r)
                self.nones[1].append(self.none)
                r += 1
            shown = found[:limit]
            if shown:
                for c, (rows, values) in columns:
                    for i, row in enumerate(shown, start=r):
                        v = row[c]
                        if v is not None:
                            rows.append(i)
                            values.append(v)
                r += len(shown)
            if len(found) > limit:
                text, sheet, target = more
                links = self.more_links
                links[0].append(r)
                links[1].append(text.format(n=len(found) - limit, sheet=sheet))
                links[2].append(target)
                r += 1


def _section_kinds(cols: list[str], declared: Mapping[str, Any]) -> list[str | None]:
    """The format kind of each column of a profile section (None: the column is left empty)."""
    kinds: list[str | None] = []
    for name in cols:
        kind = declared.get(name, {}).get("kind", "text") if name else None
        kinds.append("wrap" if kind in ("text", "lea", "id") else kind)
    return kinds
