"""One workbook, read: container, tab roles, extractors, problems.

:func:`read_file` is the per-file step of :mod:`needsassess.read`.  It is
pure and picklable: it takes a path and a template and returns a
:class:`~needsassess.file_result.FileResult` of plain lists, never raising, so a
folder can be read by a process pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .container import Container, Limits, Unreadable, failed, open_container
from .extract_analysis import extract_analysis, is_strong_question, questions_area
from .extract_common import Context
from .extract_indicators import extract_indicators, grid_area
from .extract_lea import count_labels, extract_lea
from .extract_needs import extract_needs, header_rows
from .locate import HUE, Tab, assign_roles, settle_areas
from .problems import CODES, Problem
from .file_result import FileResult
from .sheets import Grid
from .template import AREAS, Template

#: Rows at the top of a tab searched for a title naming its area.
TITLE_ROWS = 12
#: A tab found by content must show at least this many LEA field labels.
MIN_LEA_LABELS = 3
#: Codes of the tabs that could not be loaded: what they held is unknown.
UNREAD_TABS = ("tab-unreadable", "tab-too-large")


def display_name(rel: str) -> str:
    """A relative file name as valid text (undecodable bytes become U+FFFD)."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def file_kind(name: str) -> str:
    """The file name's ending, lower case, without the dot ("" when none)."""
    return name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def read_file(path: str, file: str, template: Template, limits: Limits | None = None) -> FileResult:
    """Read one workbook into plain rows; never raises.

    Parameters
    ----------
    path : str
        Where the file is.
    file : str
        Its name relative to the folder read (used in every row).
    template : Template
    limits : Limits, optional

    Returns
    -------
    FileResult
    """
    shown = display_name(file)
    res = FileResult(file=shown, kind=file_kind(file))
    if shown != file:
        res.problems.append(Problem(shown, "", "", "warning", "file-name-encoding",
                                    f"the name of {shown!r} is not valid UTF-8; it is shown with replacement characters"))
    try:
        _read_path(res, Path(path), template, limits or Limits())
    except BaseException as exc:  # a reader bug (or a panic of calamine) must not stop the batch
        if not failed(exc):
            raise
        res.responses, res.ratings, res.needs, res.indicators = [], [], [], []
        res.problems.append(Problem(shown, "", "", "error", "read-failed",
                                    f"the reader failed on {shown!r} ({type(exc).__name__}: {exc}); "
                                    "please report this with the file"))
        res.status = "failed"
    return res


def _read_path(res: FileResult, path: Path, template: Template, limits: Limits) -> None:
    try:
        st = path.stat()
        res.bytes, res.mtime = st.st_size, st.st_mtime
        data = path.read_bytes()
    except OSError as exc:
        _fail(res, "file-unreadable", f"{res.file!r} could not be opened: {exc.strerror or exc}")
        return
    try:
        container = open_container(data, suffix=path.suffix, limits=limits)
    except Unreadable as exc:
        _fail(res, exc.code, f"{res.file!r}: {exc.message}")
        return
    res.kind = container.kind
    try:
        _read_container(res, container, template)
    finally:
        container.close()


def _fail(res: FileResult, code: str, message: str) -> None:
    res.status = "failed"
    res.problems.append(Problem(res.file, "", "", _severity(code), code, message))


def _severity(code: str) -> str:
    return CODES[code][0]


class _Sheets:
    """Loads each needed tab once and remembers what failed."""

    def __init__(self, container: Container, ctx: Context) -> None:
        self.container = container
        self.ctx = ctx
        self.grids: dict[int, Grid | None] = {}

    def get(self, tab: Tab) -> Grid | None:
        if tab.index not in self.grids:
            try:
                rows, merged = self.container.rows(tab.sheet)
                self.grids[tab.index] = Grid(tab.name, rows, merged)
            except Unreadable as exc:
                self.ctx.problem(exc.code, tab.name, None, exc.message)
                self.grids[tab.index] = None
        return self.grids[tab.index]


def _read_container(res: FileResult, container: Container, template: Template) -> None:
    entries = {s.name: s for s in container.sheets}
    ctx = Context(res.file, template, formulas=lambda name: container.uncached_formulas(entries[name]),
                  errors=lambda name: container.error_cells(entries[name]))
    for code, message in container.notes:
        ctx.problem(code, "", None, f"{res.file!r}: {message}")
    needs_theme = any(s.colour is not None and s.colour.theme is not None for s in container.sheets)
    palette = container.palette(template.hues.get("default_theme", [])) if needs_theme \
        else list(template.hues.get("default_theme", []))
    tabs, located = assign_roles(container.sheets, template, palette)
    sheets = _Sheets(container, ctx)
    recognised = {t.role for t in tabs if t.role} & set(template.recognition_roles)
    if len(recognised) < template.recognition_min_roles:
        _discover(tabs, sheets, template)
        recognised = {t.role for t in tabs if t.role and t.read} & set(template.recognition_roles)
        if not recognised & {"lea_info", "analysis", "needs"}:
            res.problems.extend(ctx.log)
            _fail(res, "not-the-tool", f"{res.file!r} does not look like the LEA Needs Assessment Tool: "
                  "none of its tabs has the name, colour or content of the tool's tabs")
            res.tabs = _tab_rows(res.file, tabs, sheets)
            return
    else:
        _discover(tabs, sheets, template)
    for code, sheet, message in located:
        ctx.problem(code, sheet, None, message)
    _settle_areas(tabs, sheets, template, ctx)
    _extract(res, tabs, sheets, ctx)
    res.tabs = _tab_rows(res.file, tabs, sheets)


def _discover(tabs: list[Tab], sheets: _Sheets, template: Template) -> None:
    """Find by content the LEA, needs, analysis and data tabs that name and colour missed.

    Field labels, a needs header row, template questions and template
    indicators give a tab away.  Only tabs with no role (or a colour-only
    blue role) are looked at, and only when a role is missing, so a normal
    workbook loads nothing extra.
    """
    def free(t: Tab) -> bool:
        return t.sheet.kind == "worksheet" and (not t.role or (t.score <= HUE and t.role in ("lea_info", "schools")))

    lea = next((t for t in tabs if t.role == "lea_info" and t.read), None)
    if lea is None or lea.score <= HUE:
        best, best_n = None, MIN_LEA_LABELS - 1
        for tab in tabs:
            if free(tab) and (grid := sheets.get(tab)) is not None:
                n = count_labels(grid, template)
                if n > best_n:
                    best, best_n = tab, n
        if best is not None and best is not lea:
            if lea is not None:
                lea.role, lea.read = "schools", False
            best.role, best.read, best.score = "lea_info", True, HUE
    if not any(t.role == "needs" and t.read for t in tabs):
        for tab in tabs:
            if free(tab) and tab.role != "lea_info" and (grid := sheets.get(tab)) is not None \
                    and header_rows(grid, template):
                tab.role, tab.read, tab.area, tab.score = "needs", True, template.area_in(tab.name) or "", 1
    missing = [a for a in AREAS if not any(t.role == "analysis" and t.read and t.area in (a, "") for t in tabs)]
    if missing:
        for tab in tabs:
            if tab.role or not free(tab) or (grid := sheets.get(tab)) is None:
                continue
            hits = sum(1 for t in grid.texts if t.norm and _strong_question(t.text, template))
            if hits >= 2:
                tab.role, tab.read, tab.area, tab.score = "analysis", True, "", 1
    if any(not any(t.role == "data" and t.read and t.area in (a, "") for t in tabs) for a in AREAS):
        for tab in tabs:
            if not tab.role and free(tab) and (grid := sheets.get(tab)) is not None and grid_area(grid, template):
                tab.role, tab.read, tab.area, tab.score = "data", True, "", 1


def _strong_question(text: str, template: Template) -> bool:
    return is_strong_question(text, "", template)


def _settle_areas(tabs: list[Tab], sheets: _Sheets, template: Template, ctx: Context) -> None:
    titled: set[int] = set()
    for tab in tabs:
        if tab.read and tab.role in ("analysis", "data") and not tab.area:
            grid = sheets.get(tab)
            if grid is not None:
                # what the tab asks or measures tells its area best; then its title
                by_content = questions_area(grid, template) if tab.role == "analysis" else grid_area(grid, template)
                tab.area = by_content or _title_area(grid, template)
                titled.add(tab.index)
    for role in ("analysis", "data"):
        # an area told by a title may collide with one told by a name: the name wins
        seen: set[str] = set()
        group = [t for t in tabs if t.role == role and t.read and t.area]
        for tab in sorted(group, key=lambda t: (t.index in titled, -t.score, t.index)):
            if tab.area in seen:
                tab.area = ""
            seen.add(tab.area)
        for code, sheet, message in settle_areas(tabs, role):
            ctx.problem(code, sheet, None, message)


def _title_area(grid: Grid, template: Template) -> str:
    for t in grid.texts:
        if t.row >= TITLE_ROWS:
            break
        area = template.area_in(t.text) if t.norm else None
        if area:
            return area
    return ""


def _extract(res: FileResult, tabs: list[Tab], sheets: _Sheets, ctx: Context) -> None:
    reading = [t for t in tabs if t.read]
    lea_tab = next((t for t in reading if t.role == "lea_info"), None)
    analysis_tabs = sorted((t for t in reading if t.role == "analysis"), key=lambda t: AREAS.index(t.area))
    needs_tabs = [t for t in reading if t.role == "needs"]
    data_tabs = sorted((t for t in reading if t.role == "data"), key=lambda t: AREAS.index(t.area))
    home = sheets.get(lea_tab) if lea_tab else None
    others = [g for t in analysis_tabs + needs_tabs if (g := sheets.get(t)) is not None]
    lea = extract_lea(home, others, ctx)

    analysis_read = needs_read = False
    for tab in analysis_tabs:
        grid = sheets.get(tab)
        if grid is None:
            continue
        found = extract_analysis(grid, tab.area, ctx)
        res.responses.extend(found.responses)
        res.ratings.extend(found.ratings)
        analysis_read |= found.n_questions > 0 or found.has_capacity
        if not found.has_capacity:
            ctx.problem("capacity-missing", grid, None, f"no capacity self-rating block was found on {grid.name!r}")
    for tab in needs_tabs:
        grid = sheets.get(tab)
        if grid is not None:
            rows, found_header = extract_needs(grid, tab.area, ctx)
            res.needs.extend(rows)
            needs_read |= found_header
    for tab in data_tabs:
        grid = sheets.get(tab)
        if grid is not None:
            rows, _ = extract_indicators(grid, tab.area, ctx)
            res.indicators.extend(rows)
    have = {row[0] for row in res.indicators}
    for tab in analysis_tabs:
        # no data tab values for this area: fall back on the analysis tab's indicator summary
        grid = sheets.get(tab)
        if tab.area in have or grid is None:
            continue
        rows, _ = extract_indicators(grid, tab.area, ctx, check_formulas=True)
        res.indicators.extend(rows)
        if not rows:
            ctx.problem("indicators-missing", tab.name, None, f"no indicator values were found for {tab.area}")
    _tab_problems(tabs, sheets, ctx)
    # the tool's own labels: LEA fields, a needs header, questions or a capacity block
    structure = lea.labels_found >= MIN_LEA_LABELS or analysis_read or needs_read
    _finish(res, lea.values, analysis_read, needs_read, ctx, structure=structure)


def _tab_problems(tabs: list[Tab], sheets: _Sheets, ctx: Context) -> None:
    reading = [t for t in tabs if t.read]
    wanted = [("lea_info", "", "LEA information"), ("needs", None, "prioritized-needs")]
    wanted += [("analysis", a, f"{a} analysis") for a in AREAS] + [("data", a, f"{a} data") for a in AREAS]
    for role, area, what in wanted:
        if not any(t.role == role and (area is None or t.area == area) for t in reading):
            ctx.problem("tab-missing", "", None, f"no {what} tab was found")
    for tab in reading:
        if tab.hidden and sheets.grids.get(tab.index) is not None:
            ctx.problem("tab-hidden", tab.name, None, f"tab {tab.name!r} is hidden; it was read all the same")
    for tab in tabs:
        if not tab.role and tab.sheet.kind == "worksheet":
            ctx.problem("tab-unrecognised", tab.name, None,
                        f"tab {tab.name!r} has no role the reader knows (name, colour and content) and was not read")


def _finish(res: FileResult, lea: dict[str, Any], analysis_read: bool, needs_read: bool, ctx: Context, *,
            structure: bool = True) -> None:
    template = ctx.template
    has_answers = any(not row[6] for row in res.responses)
    identity = lea.get("lea_name") or lea.get("lea_id") or lea.get("nces_id")
    if not identity and not has_answers and not res.needs and not res.ratings:
        res.responses, res.ratings, res.needs, res.indicators = [], [], [], []
        kept = list(res.problems)  # about the file itself (its name); the sheets' problems are moot
        unread = [p for p in ctx.log if p.code in UNREAD_TABS]
        if unread:
            # tabs that could not be loaded may hold what is missing: neither a blank copy nor another workbook
            res.status = "failed"
            res.problems = kept + unread
            if not analysis_read and not needs_read:
                res.problems.append(Problem(res.file, "", "", "error", "no-analysis-or-needs",
                                            f"{res.file!r}: no analysis tab and no prioritized-needs tab could "
                                            f"be read ({len(unread)} of its tabs could not be loaded)"))
        elif structure:
            res.status = "blank"
            res.problems = kept + [Problem(res.file, "", "", "warning", "blank-tool",
                                           f"{res.file!r} is a blank copy of the tool (no LEA, no answers, "
                                           "no needs); skipped")]
        else:
            # tab names or colours alone do not make the tool: a sales report may have orange tabs
            res.status = "failed"
            res.problems = kept + [Problem(res.file, "", "", "error", "not-the-tool",
                                           f"{res.file!r} does not look like the LEA Needs Assessment Tool: "
                                           "none of its tabs holds the tool's LEA fields, questions or "
                                           "needs table")]
        return
    lea_id = lea.get("lea_id") or ""
    if not lea_id:
        for name, spec in template.lea_fields.items():
            if template.raw.get("lea_info", {}).get("fields", {}).get(name, {}).get("identity") and lea.get(name):
                lea_id = lea[name]
                break
    if not lea.get("lea_name") and not lea_id:
        ctx.problem("lea-identity-missing", "", None,
                    f"{res.file!r}: neither the LEA's name nor its ID could be read; its rows carry the file name")
        lea_id = res.file
        lea["lea_name"] = Path(res.file).stem
    res.lea, res.lea_id = lea, lea_id
    if not analysis_read and not needs_read:
        ctx.problem("no-analysis-or-needs", "", None,
                    f"{res.file!r}: no analysis tab and no prioritized-needs tab could be read")
    res.problems.extend(ctx.log)
    errors = res.count("error")
    if not analysis_read and not needs_read:
        res.status = "failed"
    else:
        res.status = "partial" if errors else "read"


def _tab_rows(file: str, tabs: list[Tab], sheets: _Sheets) -> list[tuple[Any, ...]]:
    return [(file, t.name, t.role, t.area, t.hue, t.colour, t.hidden, sheets.grids.get(t.index) is not None)
            for t in tabs]
