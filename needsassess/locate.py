"""Tab roles: which sheet is the LEA information, an analysis tab, the needs.

A sheet gets its role from its name, matched loosely against the
template's names for each role (number prefix, case and punctuation
ignored; names cut at Excel's 31 characters; area words swapped, so
"Analyze SHS Needs" is recognised from "Analyze WRE Needs"); failing that,
from the hue of its tab colour.  Its area comes from the name, else the
matched name's own area; the reader then tries the tab's title cells, and
last the order of such tabs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from .colors import hue_name, resolve
from .container import SheetEntry
from .template import AREAS, TabSpec, Template, normalize

#: Excel's longest sheet name; a name this long may have been cut.
EXCEL_NAME_LIMIT = 31

# Match strength of a name (higher wins).  A name that merely contains a
# role's words loses to a tab colour of another role.
EXACT, SWAPPED, TRUNCATED, CONTAINED, CONTAINED_WORD, HUE, CONTENT = 7, 6, 5, 4, 3, 2, 1


@dataclass
class Tab:
    """One sheet and the role the reader gave it."""

    sheet: SheetEntry
    index: int
    role: str = ""
    area: str = ""
    hue: str = ""
    colour: str = ""
    score: int = 0
    read: bool = False        # whether its cells are to be loaded
    spec: TabSpec | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.sheet.name

    @property
    def hidden(self) -> bool:
        return self.sheet.state != "visible"


@lru_cache(maxsize=8)
def _patterns(template: Template) -> list[tuple[TabSpec, str, str]]:
    """(spec, normalized name, normalized name without area words) per tab name."""
    return [(spec, normalize(name), strip_areas(normalize(name), template))
            for spec in template.tabs for name in spec.names]


@lru_cache(maxsize=1024)
def _hue(rgb: str | None, template: Template) -> str:
    """:func:`~needsassess.colors.hue_name` of a colour (a batch's tabs share a few colours)."""
    return hue_name(rgb, template.hues)


@lru_cache(maxsize=8)
def _area_aliases(template: Template) -> list[str]:
    aliases = {normalize(a) for area in template.areas.values() for a in (area.key, area.name, *area.aliases)}
    return sorted((a for a in aliases if a), key=len, reverse=True)


def strip_areas(norm: str, template: Template) -> str:
    """A normalized name without the words that name an area.

    Examples
    --------
    >>> from needsassess.template import load_template
    >>> strip_areas("analyze safe and healthy students needs", load_template())
    'analyze needs'
    """
    padded = f" {norm} "
    for alias in _area_aliases(template):
        while f" {alias} " in padded:
            padded = padded.replace(f" {alias} ", " ")
    return " ".join(padded.split())


@lru_cache(maxsize=4096)
def match_name(name: str, template: Template) -> tuple[TabSpec | None, int, str]:
    """Best role for a sheet name: (spec, strength, area named in the sheet name).

    Among names found inside the sheet name, the one that ends last wins
    ("WRE Data Analysis" is an analysis tab: English puts the head noun last).
    """
    norm = normalize(name)
    if not norm:
        return None, 0, ""
    bare = strip_areas(norm, template)
    area = template.area_in(name) or ""
    cut = len(name) >= EXCEL_NAME_LIMIT
    best: tuple[int, int, int] = (0, 0, 0)
    best_spec: TabSpec | None = None
    for spec, pattern, pattern_bare in _patterns(template):
        end = 0
        if norm == pattern:
            score = EXACT
        elif bare and bare == pattern_bare:
            score = SWAPPED
        elif cut and len(norm) >= 8 and pattern.startswith(norm):
            score = TRUNCATED
        elif (end := _found_at(bare, pattern_bare, 2)):
            score = CONTAINED
        elif (end := _found_at(bare, pattern_bare, 1)):
            score = CONTAINED_WORD
        else:
            continue
        rank = (score, end, len(pattern))
        if rank > best:
            best, best_spec = rank, spec
    score = best[0]
    if best_spec is not None and not area and best_spec.area and score in (EXACT, TRUNCATED):
        area = best_spec.area
    return best_spec, score, area


def _found_at(text: str, pattern: str, min_words: int) -> int:
    """Where (1 + end offset) ``pattern`` ends as whole words in ``text``; 0 if absent."""
    if not pattern or len(pattern.split()) < min_words:
        return 0
    padded = f" {text} "
    at = padded.rfind(f" {pattern} ")
    return at + len(pattern) + 1 if at >= 0 else 0


def assign_roles(sheets: Sequence[SheetEntry], template: Template, palette: Sequence[str]
                 ) -> tuple[list[Tab], list[tuple[str, str, str]]]:
    """Give every sheet a role.

    Parameters
    ----------
    sheets : sequence of SheetEntry
        The workbook's tabs in order.
    template : Template
    palette : sequence of str
        Theme colours in Excel's index order, to resolve theme tab colours.

    Returns
    -------
    tabs : list of Tab
        One per sheet, in workbook order; ``read`` marks those to load.
    problems : list of (code, sheet, message)
        Ambiguous roles (tabs left unresolved are sorted out by the reader,
        which also reports missing tabs after looking at content).
    """
    tabs: list[Tab] = []
    for i, sheet in enumerate(sheets):
        rgb = resolve(sheet.colour, palette)
        tab = Tab(sheet, i, hue=_hue(rgb, template), colour=rgb or "")
        if sheet.kind == "worksheet":
            spec, score, area = match_name(sheet.name, template)
            if spec is not None:
                tab.role, tab.spec, tab.score, tab.area = spec.role, spec, score, area
        tabs.append(tab)
    _by_hue(tabs, template)
    problems = _settle(tabs, template)
    return tabs, problems


def _by_hue(tabs: list[Tab], template: Template) -> None:
    """Tabs without a strong name match take the role whose hue their colour has."""
    found = {t.role for t in tabs if t.role and t.score >= CONTAINED}
    for tab in tabs:
        if not tab.hue or tab.sheet.kind != "worksheet" or tab.score > CONTAINED:
            continue
        specs = [s for s in template.tabs if s.hue == tab.hue]
        if not specs or (tab.spec is not None and tab.spec.hue in (None, tab.hue)):
            continue  # no colour role, or the name agrees with the colour
        # per-area roles (data, analysis) and needs may repeat; single roles only once
        spec = next((s for s in specs if s.role not in found), None) or specs[-1]
        tab.role, tab.spec, tab.score = spec.role, spec, HUE
        tab.area = template.area_in(tab.name) or ""
        if spec.role in ("lea_info", "schools", "budget"):
            found.add(spec.role)


def role_key(tab: Tab) -> tuple[str, str]:
    """What must be unique: the LEA tab once, each area's analysis and data tab once."""
    return tab.role, tab.area


def _settle(tabs: list[Tab], template: Template) -> list[tuple[str, str, str]]:
    """Mark the tabs to read; among tabs claiming one role, the best one wins."""
    read_roles = {s.role for s in template.tabs if s.read}
    problems: list[tuple[str, str, str]] = []
    claims: dict[tuple[str, str], list[Tab]] = {}
    for tab in tabs:
        if tab.role in read_roles:
            claims.setdefault(role_key(tab), []).append(tab)
    for key, group in claims.items():
        if key[0] in ("analysis", "data") and not key[1]:
            for tab in group:  # area unknown: settled later by title cells or order
                tab.read = True
            continue
        group.sort(key=lambda t: (-t.score, t.hidden, t.index))
        group[0].read = True
        for other in group[1:]:
            problems.append(("tab-ambiguous", other.name,
                             f"tab {other.name!r} also looks like the {_what(key)} tab; "
                             f"{group[0].name!r} was read instead"))
    return problems


def settle_areas(tabs: list[Tab], role: str) -> list[tuple[str, str, str]]:
    """Give tabs of a per-area role with no known area the areas still free, in tab order."""
    problems: list[tuple[str, str, str]] = []
    taken = {t.area for t in tabs if t.role == role and t.area and t.read}
    for tab in tabs:
        if tab.role != role or tab.area or not tab.read:
            continue
        free = [a for a in AREAS if a not in taken]
        if not free:
            tab.read = False
            if tab.score <= CONTAINED_WORD:  # one shared word ("Data Sources"): not a claim at all
                tab.role, tab.spec = "", None
                continue
            problems.append(("tab-ambiguous", tab.name,
                             f"tab {tab.name!r} looks like another {role} tab, but every area already has one; "
                             "it was not read"))
            continue
        tab.area = free[0]
        taken.add(tab.area)
        problems.append(("tab-area-unknown", tab.name,
                         f"the area of tab {tab.name!r} could not be told from its name or title; "
                         f"taken as {tab.area} from the order of the tabs"))
    return problems


def _what(key: tuple[str, str]) -> str:
    role, area = key
    names = {"lea_info": "LEA information", "analysis": "analysis", "data": "data", "needs": "prioritized-needs"}
    return f"{area} {names.get(role, role)}" if area else names.get(role, role)
