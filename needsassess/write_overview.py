"""The About and Overview sheets of the statewide summary workbook.

The Overview holds the headline figures, four native Excel charts (not
pictures) and, below them, the small tables the charts draw from, so a
reader can check every bar.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pandas as pd

from . import figures
from .figures import sheet_spec
from .write import anchor
from .cell_text import clean_text
from .write_sheets import Context, print_setup

if TYPE_CHECKING:
    from .write_xlsx import FastWorksheet as Worksheet

# Where things sit on the Overview: figures in A:B, charts from column D,
# the chart data under the charts.
_FIGURES_TOP = 3
_CHART_COL = 2
_CHART_X = 12  # pixels between the figures and the charts
_CHART_W = 540
_CHART_H = (420, 320)  # the top row is taller: fifteen topic names need the room
_CHART_GAP = 12
_ROW_PX = 20  # the Overview's row height in pixels (15 points)


def _paragraph(ctx: Context, ws: Worksheet, row: int, text: str, *, last_col: int, width_chars: float,
               kind: str = "wrap") -> int:
    """A wrapped paragraph across columns A..last_col; returns the next free row."""
    cells = ctx.cells
    if last_col:
        ws.merge_range(row, 0, row, last_col, "", cells.fmt(kind))
    cells.text(ws, row, 0, text, kind)
    lines = sum(max(1, math.ceil(len(part) * 1.1 / width_chars)) for part in text.split("\n"))
    ws.set_row(row, 14 * lines + 4)
    return row + 1


def _headline(ctx: Context) -> dict[str, float]:
    """The headline figures, worked out once for the About and Overview sheets."""
    if ctx.headline is None:
        ctx.headline = figures.headline(ctx.tables, ctx.layout)
    return ctx.headline


# ---------------------------------------------------------------- About
def draw_about(ctx: Context) -> None:
    """What this is, when and from what, counts, method and settings, a guide to the sheets."""
    ws = ctx.sheets["about"]
    cells, layout, summary = ctx.cells, ctx.layout, ctx.summary
    about = layout["about"]
    cells.set_column(ws, 0, 46, "wrap")
    cells.set_column(ws, 1, 90, "wrap")
    explicit = [0]
    ws.hide_gridlines(2)
    ws.set_row(0, 24)
    cells.text(ws, 0, 0, layout["meta"]["title"], "title")
    width = 130.0
    explicit.append(2)
    row = _paragraph(ctx, ws, 2, about["intro"], last_col=1, width_chars=width)
    facts = about.get("facts", {})
    created = getattr(summary, "created", None)
    from . import __version__

    row += 1
    for key, value in (("created", created.strftime("%Y-%m-%d %H:%M") if created else ""),
                       ("source", str(getattr(summary, "source", "") or "")),
                       ("version", __version__)):
        cells.text(ws, row, 0, facts.get(key, key), "label")
        cells.text(ws, row, 1, value, "text")
        row += 1
    row += 1
    cells.text(ws, row, 0, about["counts_heading"], "heading")
    ws.write_blank(row, 1, None, cells.fmt("heading"))
    row += 1
    values = _headline(ctx)
    money = set(layout["overview"].get("money_figures", []))
    for key, label in layout["overview"]["figures"]:
        cells.text(ws, row, 0, label, "label")
        ws.write_number(row, 1, float(values.get(key, 0)),
                        cells.fmt("money_left" if key in money else "int_left"))
        row += 1
    row += 1
    explicit.append(row)
    row = _paragraph(ctx, ws, row, about["ranking"], last_col=1, width_chars=width)
    explicit.append(row)
    row = _paragraph(ctx, ws, row, about["plan"], last_col=1, width_chars=width)
    row += 1
    cells.text(ws, row, 0, about["settings_heading"], "heading")
    ws.write_blank(row, 1, None, cells.fmt("heading"))
    row += 1
    settings = dict(getattr(summary, "settings", None) or {})
    if not settings:
        cells.text(ws, row, 0, about["no_settings"], "subtitle")
        row += 1
    for key, value in settings.items():
        cells.text(ws, row, 0, str(key), "text")
        cells.value(ws, row, 1, value, "general_left" if isinstance(value, (int, float)) else "wrap")
        row += 1
    row += 1
    explicit.append(row)
    row = _paragraph(ctx, ws, row, about["safety"], last_col=1, width_chars=width)
    row += 1
    cells.text(ws, row, 0, about["sheets_heading"], "heading")
    ws.write_blank(row, 1, None, cells.fmt("heading"))
    row += 1
    for key, name in ctx.sheet_names.items():
        spec = sheet_spec(layout, key.split(":")[0])
        description = spec.get("description", "")
        if key.startswith("answers:"):
            area = key.split(":", 1)[1]
            area_name = ctx.areas.get(area, spec.get("other_area_name", area))
            description = description.format(area=area, area_name=area_name)
        cells.link(ws, row, 0, name, anchor(name, 0))
        cells.text(ws, row, 1, description, "wrap")
        row += 1
    cells.fit_rows(ws, skip=explicit)
    print_setup(ws, landscape=False)


# ---------------------------------------------------------------- Overview
def draw_overview(ctx: Context) -> None:
    """Headline figures, four native charts, and the numbers behind them."""
    ws = ctx.sheets["overview"]
    cells, layout = ctx.cells, ctx.layout
    conf = layout["overview"]
    name = ctx.sheet_names["overview"]
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 15)
    ws.set_column(2, 7, 12)
    ws.set_default_row(15)
    ws.set_row(0, 24)
    cells.text(ws, 0, 0, layout["meta"]["title"], "title")
    created = getattr(ctx.summary, "created", None)
    source = getattr(ctx.summary, "source", None)
    cells.text(ws, 1, 0, " · ".join(x for x in (created.strftime("%Y-%m-%d") if created else "",
                                                 str(source or "")) if x), "subtitle")
    row = _FIGURES_TOP
    cells.text(ws, row, 0, conf["figures_heading"], "heading")
    ws.write_blank(row, 1, None, cells.fmt("heading"))
    values = _headline(ctx)
    money = set(conf.get("money_figures", []))
    for key, label in conf["figures"]:
        row += 1
        cells.text(ws, row, 0, label, "text")
        ws.write_number(row, 1, float(values.get(key, 0)), cells.fmt("figure_money" if key in money else "figure"))

    # The charts take two rows of two, from the top; the data goes under them.
    chart_rows = math.ceil((sum(_CHART_H) + 2 * _CHART_GAP) / _ROW_PX)
    data_top = max(row + 2, _FIGURES_TOP + chart_rows + 2)
    cells.text(ws, data_top, 0, conf["chart_data_heading"], "heading")
    for c in range(1, 8):
        ws.write_blank(data_top, c, None, cells.fmt("heading"))
    series = _chart_data(ctx, ws, data_top + 2)
    positions = [(0, 0), (0, 1), (1, 0), (1, 1)]
    for (_, chart), (r, c) in zip(_charts(ctx, name, series), positions):
        chart.set_size({"width": _CHART_W, "height": _CHART_H[r]})
        ws.insert_chart(_FIGURES_TOP, _CHART_COL, chart, {
            "x_offset": _CHART_X + c * (_CHART_W + _CHART_GAP), "y_offset": r * (_CHART_H[0] + _CHART_GAP),
            "object_position": 3})
    print_setup(ws)
    ws.fit_to_pages(1, 1)  # the Overview is a one-page handout


def _table(ctx: Context, ws: Worksheet, top: int, headers: Sequence[str],
           rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> tuple[int, int, int]:
    """A small header-and-rows block; returns (first data row, last data row, next free row)."""
    cells = ctx.cells
    for c, h in enumerate(headers):
        cells.text(ws, top, c, h, "block_header")
    r = top
    for r, values in enumerate(rows, start=top + 1):
        for c, (v, kind) in enumerate(zip(values, kinds)):
            if isinstance(v, str):
                cells.text(ws, r, c, v, "text")
            else:
                number = float(v) if v is not None else math.nan
                ws.write_number(r, c, 0.0 if math.isnan(number) else number, cells.fmt(kind))
    return top + 1, r, r + 2


def _chart_data(ctx: Context, ws: Worksheet, top: int) -> dict[str, dict[str, Any]]:
    """Write the four chart tables; return where each series lies."""
    conf = ctx.layout["overview"]
    heads = conf["chart_tables"]
    none = conf.get("no_data", "(none)")
    not_stated = heads.get("not_stated", "Not stated")
    out: dict[str, dict[str, Any]] = {}

    top_n = int(conf.get("top_n", 15))
    topics = figures.top_topics(ctx.tables.get("topics", pd.DataFrame()), top_n)
    rows = [(clean_text(lab), n) for lab, n in zip(topics["label"], topics["n_leas"])] or [(none, 0)]
    first, last, nxt = _table(ctx, ws, top, heads["top_topics"], rows, ["text", "int"])
    out["top_topics"] = {"first": first, "last": last, "n": len(topics)}

    needs = figures.needs_by_area(ctx.tables.get("needs", pd.DataFrame()), ctx.areas, not_stated=not_stated)
    rows = list(needs[["area_name", "needs", "amount"]].itertuples(index=False, name=None))
    first, last, nxt = _table(ctx, ws, nxt, heads["needs_by_area"], rows, ["text", "int", "money"])
    out["needs_by_area"] = {"first": first, "last": last}

    template = getattr(ctx.summary, "template", None)
    scale = sorted(template.capacity_scale) if template is not None and template.capacity_scale else [1, 2, 3, 4]
    words = template.capacity_scale if template is not None else {}
    ratings = figures.ratings_by_area(ctx.tables.get("ratings", pd.DataFrame()), ctx.areas, scale,
                                      not_stated=not_stated)
    scale_heads = [f"{s} {words[s][0]}" if words.get(s) else str(s) for s in scale]
    rows = list(ratings[["area_name", *scale]].itertuples(index=False, name=None))
    first, last, nxt = _table(ctx, ws, nxt, [*heads["ratings_by_area"], *scale_heads], rows,
                              ["text", *["int"] * len(scale)])
    out["ratings_by_area"] = {"first": first, "last": last, "header": first - 1, "n_scale": len(scale)}

    mix = figures.delivery_mix(ctx.tables.get("tta_plan", pd.DataFrame()), not_stated=not_stated)
    rows = [(str(d), t, n) for d, t, n in mix.itertuples(index=False)] or [(none, 0, 0)]
    first, last, nxt = _table(ctx, ws, nxt, heads["delivery"], rows, ["text", "int", "int"])
    out["delivery"] = {"first": first, "last": last}
    return out


def _charts(ctx: Context, sheet: str, where: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Any]]:
    wb, conf = ctx.workbook, ctx.layout["overview"]["charts"]
    font = {"name": "Calibri", "size": 9}
    title_font = {"name": "Calibri", "size": 12, "bold": True}
    charts = []

    spec, pos = conf["top_topics"], where["top_topics"]
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(_series(sheet, pos, spec["series"], fill={"color": spec.get("colour", "#2E75B6")}, gap=40,
                             data_labels={"value": True, "font": font}))
    chart.set_title({"name": spec["title"].format(n=pos["n"]), "name_font": title_font})
    # Rank 1 on top; the bars carry their values, so the value axis is hidden.
    chart.set_y_axis({"reverse": True, "num_font": font, "major_tick_mark": "none", "interval_unit": 1})
    chart.set_x_axis({"visible": False, "major_gridlines": {"visible": False}, "min": 0})
    chart.set_legend({"none": True})
    charts.append(("top_topics", chart))

    spec, pos = conf["delivery"], where["delivery"]
    chart = wb.add_chart({"type": "pie"})
    colours = spec.get("colours", [])
    n_points = pos["last"] - pos["first"] + 1
    series = _series(sheet, pos, spec["series"], data_labels={
        "value": True, "position": "outside_end", "leader_lines": True, "font": {**font, "bold": True}})
    if colours:
        series["points"] = [{"fill": {"color": colours[i % len(colours)]}} for i in range(n_points)]
    chart.add_series(series)
    chart.set_title({"name": spec["title"], "name_font": title_font})
    chart.set_legend({"position": "right", "font": font})
    charts.append(("delivery", chart))

    spec, pos = conf["needs_by_area"], where["needs_by_area"]
    chart = wb.add_chart({"type": "column"})
    chart.add_series(_series(sheet, pos, spec["series"], fill={"color": spec.get("colour", "#ED7D31")}, gap=80,
                             data_labels={"value": True, "font": font}))
    chart.set_title({"name": spec["title"], "name_font": title_font})
    chart.set_y_axis({"name": spec.get("y_title"), "num_font": font, "name_font": font, "min": 0,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": font})
    chart.set_legend({"none": True})
    charts.append(("needs_by_area", chart))

    spec, pos = conf["ratings_by_area"], where["ratings_by_area"]
    chart = wb.add_chart({"type": "column", "subtype": "percent_stacked"})
    colours = spec.get("colours", [])
    for i in range(pos["n_scale"]):
        series = _series(sheet, pos, [sheet, pos["header"], 1 + i], column=1 + i, gap=60)
        if colours:
            series["fill"] = {"color": colours[i % len(colours)]}
        chart.add_series(series)
    chart.set_title({"name": spec["title"], "name_font": title_font})
    chart.set_y_axis({"name": spec.get("y_title"), "num_font": font, "name_font": font,
                      "num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    charts.append(("ratings_by_area", chart))

    for _, chart in charts:
        chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    return charts


def _series(sheet: str, pos: Mapping[str, Any], name: Any, *, column: int = 1, **options: Any) -> dict[str, Any]:
    """A chart series: categories in column A and values in ``column`` of the rows at ``pos``."""
    return {"name": name, "categories": [sheet, pos["first"], 0, pos["last"], 0],
            "values": [sheet, pos["first"], column, pos["last"], column], **options}
