"""The replica of the LEA Needs Assessment Tool: its tabs, and the mess LEAs make.

What the tool says comes from the template (:mod:`needsassess.template`);
how the replica looks (step numbers, titles, colours, alternative tab names,
the mix of mess for samples) from ``data/replica.toml``.  :class:`Mess`
names every variation the generator can apply; :func:`plan_tabs` decides,
for one workbook, which tabs it has, what they are called, their order,
colour and visibility.  The cells are written by
:mod:`needsassess.replica_sheets`.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, Mapping

from .replica_xlsx import TabColour
from .template import AREAS, TabSpec, Template, normalize

REPLICA_FILE = "replica.toml"
PercentStyle = Literal["fraction", "whole", "text", "mixed"]
PERCENT_STYLES: tuple[str, ...] = ("fraction", "whole", "text", "mixed")
#: Excel's limit on the length of a sheet name.
SHEET_NAME_MAX = 31


@lru_cache(maxsize=1)
def load_layout() -> Mapping[str, Any]:
    """The replica's own layout description (``data/replica.toml``), parsed once."""
    with resources.files("needsassess").joinpath("data", REPLICA_FILE).open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Mess:
    """The ways a filled workbook departs from the clean replica.

    ``Mess()`` is the clean tool as ED ships it.  Every field is one kind of
    mess listed in the spec.

    Attributes
    ----------
    rename_tabs : bool
        Tabs take other names LEAs and States use (other template names,
        other step prefixes, names found only by tab colour).
    reorder_tabs : bool
        Tabs are moved out of step order (the hidden lists tab stays last).
    extra_tabs : bool
        One or two tabs the tool does not have ("Notes", "Sheet1", ...).
    hide_tabs : bool
        One or two more tabs are hidden, one of them a tab the reader needs.
    theme_colours : bool
        Tab colours are stored as theme colour index and tint, not ARGB.
    insert_rows : int
        Blank rows inserted at one block boundary of each tab.
    insert_cols : int
        Blank columns inserted left of everything; the needs table also
        gains a "Funding source" column before the amount.
    header_block : bool
        A State banner of three rows above everything on every tab.
    answers_below : bool
        Answers sit under their question instead of right of it.
    merged_answers : bool
        Answer boxes are merged ranges (False: one cell each).
    paraphrase_questions : bool
        Questions are written as the template's aliases, numbered.
    paraphrase_labels : bool
        Field, column, indicator and capacity labels use other template aliases.
    capacity_block : bool
        The capacity self-rating block is present on the analysis tabs.
    needs_per_area : bool
        One orange needs tab per area instead of one for all.
    no_rank_column : bool
        The needs table has no priority column (row order is the priority).
    amounts_as_text : bool
        Money is typed as text ("$12,500.00").
    na_answers : float
        Share of answers that are only "N/A", "see above" and the like.
    percent_style : {"fraction", "whole", "text", "mixed"}
        How percent indicators are typed: 0.243 (formatted as a percent),
        24.3, "24.3%", or a mix cell by cell.
    missing_values : bool
        Some data cells hold "N/A", "*", "<5" instead of numbers.
    cached_values : bool
        Formulas are saved with their results (False: formula only).
    macro_enabled : bool
        The workbook is saved as a macro-enabled .xlsm.
    """

    rename_tabs: bool = False
    reorder_tabs: bool = False
    extra_tabs: bool = False
    hide_tabs: bool = False
    theme_colours: bool = False
    insert_rows: int = 0
    insert_cols: int = 0
    header_block: bool = False
    answers_below: bool = False
    merged_answers: bool = True
    paraphrase_questions: bool = False
    paraphrase_labels: bool = False
    capacity_block: bool = True
    needs_per_area: bool = False
    no_rank_column: bool = False
    amounts_as_text: bool = False
    na_answers: float = 0.0
    percent_style: PercentStyle = "fraction"
    missing_values: bool = False
    cached_values: bool = True
    macro_enabled: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.insert_rows, int) and 0 <= self.insert_rows <= 50):
            raise ValueError(f"insert_rows must be a whole number from 0 to 50, not {self.insert_rows!r}")
        if not (isinstance(self.insert_cols, int) and 0 <= self.insert_cols <= 10):
            raise ValueError(f"insert_cols must be a whole number from 0 to 10, not {self.insert_cols!r}")
        if not 0.0 <= float(self.na_answers) <= 1.0:
            raise ValueError(f"na_answers is a share from 0 to 1, not {self.na_answers!r}")
        if self.percent_style not in PERCENT_STYLES:
            raise ValueError(f"percent_style must be one of {', '.join(PERCENT_STYLES)}, not {self.percent_style!r}")

    @classmethod
    def ordinary(cls) -> "Mess":
        """The clean tool: no mess at all."""
        return cls()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "Mess":
        """A Mess from field values; unknown names raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown mess field(s): {', '.join(sorted(unknown))}")
        return cls(**dict(values))

    @classmethod
    def random(cls, rng: random.Random | int) -> "Mess":
        """A realistic mix: each variation drawn with the chance ``replica.toml`` gives it."""
        rng = rng if isinstance(rng, random.Random) else random.Random(rng)
        odds = load_layout()["mess_random"]
        values: dict[str, Any] = {}
        for f in fields(cls):
            spec = odds.get(f.name)
            if spec is None:
                continue
            values[f.name] = rng.choice(spec) if isinstance(spec, list) else rng.random() < float(spec)
        return cls(**values)

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the clean tool."""
        clean = Mess()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(clean, f.name)}

    def describe(self) -> str:
        """The changes in words, e.g. ``"theme_colours, percent_style=whole"``."""
        parts = [name if value is True else f"{name}={value}" for name, value in self.changes().items()]
        return ", ".join(parts) or "clean"


def sample_messes(n: int, rng: random.Random) -> list[Mess]:
    """The mess of the first ``n`` sample workbooks: the declared mix, then random ones."""
    declared = [Mess.from_mapping(entry) for entry in load_layout()["samples"]]
    return [declared[i] if i < len(declared) else Mess.random(rng) for i in range(n)]


# ---------------------------------------------------------------- tabs

@dataclass(frozen=True)
class Tab:
    """One tab of a workbook: its role, area, name, colour and visibility."""

    role: str
    area: str | None
    name: str
    hue: str | None
    colour: TabColour
    hidden: bool = False
    lines: tuple[str, ...] = ()

    def colour_text(self) -> str:
        """The colour as stored: ``"FF7030A0"`` or ``"theme 7, shade 3"``; empty for none."""
        if self.colour is None:
            return ""
        if isinstance(self.colour, tuple):
            return f"theme {self.colour[0]}, shade {self.colour[1]}"
        return "FF" + self.colour.upper()


def sheet_name(text: str) -> str:
    """``text`` made a legal Excel sheet name: no ``[]:*?/\\``, at most 31 characters."""
    name = re.sub(r"[\[\]:*?/\\]", " ", text).strip().strip("'")
    return name[:SHEET_NAME_MAX].rstrip()


def _spec(template: Template, role: str, area: str | None) -> TabSpec | None:
    specs = [t for t in template.tabs if t.role == role]
    return next((t for t in specs if t.area == area), None) or next((t for t in specs if t.area is None), None) \
        or (specs[0] if specs else None)


def _prefix(layout: Mapping[str, Any], role: str, area: str | None, per_area_needs: bool) -> str:
    prefixes = layout["tabs"]["prefix"]
    value = prefixes.get("needs_per_area" if role == "needs" and per_area_needs else role, "")
    return value.get(area, "") if isinstance(value, dict) else value


def _base_name(template: Template, layout: Mapping[str, Any], role: str, area: str | None,
               per_area_needs: bool) -> str:
    if role == "needs" and per_area_needs:
        return layout["tabs"]["needs_per_area_name"].format(area=area)
    spec = _spec(template, role, area)
    return spec.names[0] if spec and spec.names else role.replace("_", " ").title()


def plan_tabs(template: Template, mess: Mess, rng: random.Random, *, canonical: bool = False,
              layout: Mapping[str, Any] | None = None) -> list[Tab]:
    """The tabs of one workbook, in workbook order.

    Parameters
    ----------
    canonical : bool
        Take the first colour of each hue and draw nothing (the blank tool).
    """
    layout = layout or load_layout()
    per_area = mess.needs_per_area
    keys: list[tuple[str, str | None]] = [("instructions", None), ("lea_info", None), ("schools", None)]
    keys += [("data", a) for a in AREAS] + [("analysis", a) for a in AREAS]
    keys += [("needs", a) for a in AREAS] if per_area else [("needs", None)]
    keys += [("budget", None), ("lists", None)]

    palette = layout["colours"]["theme" if mess.theme_colours else "rgb"]
    chosen_colour: dict[str, TabColour] = {}
    for hue, options in palette.items():
        pick = options[0] if canonical else rng.choice(options)
        chosen_colour[hue] = tuple(pick) if isinstance(pick, list) else pick

    taken: set[str] = set()
    tabs: list[Tab] = []
    for role, area in keys:
        prefix = _prefix(layout, role, area, per_area)
        base = _base_name(template, layout, role, area, per_area)
        name = sheet_name(f"{prefix} {base}")
        hue = layout["tabs"]["hue"].get(role)
        tabs.append(Tab(role, area, name, hue, chosen_colour.get(hue) if hue else None,
                        hidden=(role == "lists")))
        taken.add(name.lower())

    if mess.rename_tabs:
        tabs = _rename(template, layout, tabs, rng, taken, per_area)
    if mess.extra_tabs:
        tabs = _add_extras(layout, tabs, rng, taken)
    if mess.reorder_tabs:
        tabs = _reorder(tabs, rng)
    if mess.hide_tabs:
        tabs = _hide(tabs, rng)
    return tabs


def _rename(template: Template, layout: Mapping[str, Any], tabs: list[Tab], rng: random.Random,
            taken: set[str], per_area: bool) -> list[Tab]:
    settings = layout["rename"]
    renamable = [i for i, t in enumerate(tabs) if t.role != "lists"]
    chosen = [i for i in renamable if rng.random() < settings["share"]]
    if not any(tabs[i].role == "analysis" for i in chosen):
        # Every renamed workbook renames at least one tab the reader needs.
        chosen.append(rng.choice([i for i in renamable if tabs[i].role == "analysis"]))
    out = list(tabs)
    for i in chosen:
        tab = tabs[i]
        spec = _spec(template, tab.role, tab.area)
        area_name = template.areas[tab.area].name if tab.area else ""
        own = [n for n in (spec.names if spec else ())]
        extras = [] if (tab.role == "needs" and per_area) else \
            [x.format(area=tab.area or "", area_name=area_name) for x in settings.get(tab.role, [])]
        base = _base_name(template, layout, tab.role, tab.area, per_area)
        candidates = [n for n in own + extras if normalize(n) != normalize(base)]
        if not candidates:
            continue
        step = _prefix(layout, tab.role, tab.area, per_area).rstrip(".")
        style = rng.choice(settings["prefix_styles"]).format(n=step, N=step.upper()) if step else ""
        new = rng.choice(candidates)
        if tab.role == "needs" and per_area:
            longer = f"{style}{new} {tab.area}"
            new = longer if len(longer) <= SHEET_NAME_MAX else f"{style}{tab.area} {new}"
        else:
            new = style + new
        new = sheet_name(new)
        if new and new.lower() not in taken:
            taken.discard(tab.name.lower())
            taken.add(new.lower())
            out[i] = replace(tab, name=new)
    return out


def _add_extras(layout: Mapping[str, Any], tabs: list[Tab], rng: random.Random, taken: set[str]) -> list[Tab]:
    extras = [e for e in layout["extra_tabs"] if e["name"].lower() not in taken]
    out = list(tabs)
    for extra in rng.sample(extras, min(len(extras), rng.randint(1, 2))):
        taken.add(extra["name"].lower())
        out.insert(rng.randint(1, len(out) - 1), Tab("extra", None, extra["name"], None, None,
                                                      lines=tuple(extra["lines"])))
    return out


def _reorder(tabs: list[Tab], rng: random.Random) -> list[Tab]:
    body = [t for t in tabs if t.role != "lists"]
    tail = [t for t in tabs if t.role == "lists"]
    shuffled = list(body)
    while shuffled == body and len(body) > 1:
        rng.shuffle(shuffled)
    return shuffled + tail


def _hide(tabs: list[Tab], rng: random.Random) -> list[Tab]:
    quiet = [i for i, t in enumerate(tabs) if t.role in ("instructions", "schools", "budget", "extra")]
    read = [i for i, t in enumerate(tabs) if t.role == "data"] or \
        [i for i, t in enumerate(tabs) if t.role == "analysis"]
    chosen = {rng.choice(quiet)} | {rng.choice(read)}
    return [replace(t, hidden=True) if i in chosen else t for i, t in enumerate(tabs)]
