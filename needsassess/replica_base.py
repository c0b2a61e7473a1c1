"""What every tab writer of the replica shares: state, titles, labels, truth rows.

:class:`TabWriter` holds the workbook being laid out (template, mess, random
stream, content, the sheets) and the small pieces every tab uses; the tabs
themselves are written by :mod:`needsassess.replica_needs` (prioritized
needs, budget check) and :mod:`needsassess.replica_sheets` (the others).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Sequence

from .replica import Mess, Tab, load_layout
from .replica_xlsx import Sheet, a1, sheet_ref
from .sample_content import LeaContent
from .template import AREAS, Template, normalize

#: Columns spanned by an answer box, after its first column.
ANSWER_SPAN = 6
#: Block boundaries of each tab where inserted rows shift everything below.
BOUNDARIES = {"lea_info": 3, "schools": 1, "data": 1, "analysis": 3, "needs": 1, "budget": 3}


@dataclass
class Written:
    """Truth rows collected while the sheets are written."""

    tabs: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    tta_requests: list[dict[str, Any]] = field(default_factory=list)


class TabWriter:
    """Shared state and helpers of the tab writers; see :func:`needsassess.replica_sheets.write_sheets`."""

    def __init__(self, template: Template, tabs: Sequence[Tab], mess: Mess, rng: random.Random,
                 content: LeaContent | None, file: str) -> None:
        self.t, self.tabs, self.mess, self.rng, self.content = template, list(tabs), mess, rng, content
        self.lay = load_layout()
        self.typing = self.lay["typing"]
        self.file = file
        self.lea_id = content.lea.lea_id if content else ""
        self.c0 = 1 + mess.insert_cols
        self.out = Written()
        self.sheets = {tab.name: Sheet(tab.name, tab.role, tab.area, tab.colour, tab.hidden) for tab in tabs}
        self._gaps = {tab.name: [0, rng.randrange(BOUNDARIES.get(tab.role, 1))] for tab in tabs}
        self._labels: dict[tuple[str, str], str] = {}
        self.money_text = rng.choice(self.typing["money_text"])
        self.numbered = rng.choice(self.typing["question_prefixes"]) if rng.random() < 0.6 else ""
        self.data_cells: dict[tuple[str, str], dict[str, Any]] = {}
        self.needs_blocks: list[dict[str, Any]] = []
        self.allocation_cell: tuple[Sheet, int, int] | None = None
        lists = next((t for t in tabs if t.role == "lists"), None)
        ref = sheet_ref(lists.name) if lists else "Lists"
        n_levels = len(template.evidence_levels)
        self.lists = {"areas": f"={ref}!$A$2:$A${1 + len(AREAS)}",
                      "evidence": f"={ref}!$B$2:$B${1 + n_levels}",
                      "ratings": f"={ref}!$C$2:$C$5", "yes_no": f"={ref}!$D$2:$D$3"}

    def gap(self, sheet: Sheet) -> int:
        """Rows inserted at this block boundary (one boundary of each tab gets them)."""
        state = self._gaps[sheet.name]
        hit = state[0] == state[1]
        state[0] += 1
        return self.mess.insert_rows if hit else 0

    def start(self, sheet: Sheet, title: str, guidance: str = "") -> int:
        """Banner, titles and guidance; returns the first free row."""
        c0, row = self.c0, 1
        sheet.widths[0] = 2.0
        if self.mess.header_block:
            lea = self.content.lea if self.content else None
            values = {"agency": lea.agency if lea else self.lay["header_block"]["blank_agency"],
                      "school_year": lea.school_year if lea else ""}
            for i, line in enumerate(self.lay["header_block"]["lines"]):
                sheet.text(i, c0, line.format(**values), "banner")
                sheet.merge(i, c0, i, c0 + ANSWER_SPAN, "banner")
            row = len(self.lay["header_block"]["lines"]) + 1
        sheet.text(row, c0, self.lay["tool"]["title"], "title")
        sheet.text(row + 1, c0, title, "subtitle")
        if guidance:
            sheet.text(row + 2, c0, guidance, "guidance")
        return row + 4

    def title(self, role: str, area: str | None = None) -> str:
        key = "needs_per_area" if role == "needs" and area else role
        prefixes = self.lay["tabs"]["prefix"]
        prefix = prefixes.get(key, "")
        step = (prefix.get(area, "") if isinstance(prefix, dict) else prefix).rstrip(".")
        area_name = self.t.areas[area].name if area else ""
        return self.lay["titles"].get(key, role).format(step=step, area_name=area_name)

    def label(self, kind: str, key: str, options: Sequence[str], preferred: str | None = None) -> str:
        """The label written for a field or column, the same for the whole workbook."""
        if (kind, key) not in self._labels:
            if not options:
                choice = preferred or key.replace("_", " ").capitalize()
            elif self.mess.paraphrase_labels and len(options) > 1:
                choice = self.rng.choice(list(options))
            elif preferred and any(normalize(preferred) == normalize(o) for o in options):
                choice = preferred
            else:
                choice = options[0]
            self._labels[kind, key] = choice
        return self._labels[kind, key]

    def money(self, sheet: Sheet, row: int, col: int, amount: float | None) -> None:
        if amount is None:
            sheet.blank(row, col, "money")
        elif self.mess.amounts_as_text:
            # Nobody types "$12,346" for $12,345.67: amounts with cents keep them.
            fmt = self.money_text if float(amount).is_integer() else self.typing["money_text"][0]
            sheet.text(row, col, fmt.format(amount), "cell")
        else:
            sheet.number(row, col, amount, "money")

    def row_base(self, sheet: Sheet, area: str, row: int, col: int) -> dict[str, Any]:
        return {"file": self.file, "lea_id": self.lea_id, "area": area, "sheet": sheet.name, "cell": a1(row, col)}

    @staticmethod
    def numbers(sheet: Sheet, col: int, first: int, last: int) -> list[float]:
        """The numbers SUM sees in a column range (text is skipped, as Excel does)."""
        out = []
        for r in range(first, last + 1):
            v = sheet.value(r, col)
            if isinstance(v, float) and not isinstance(v, bool):
                out.append(v)
        return out


def raw_text(value: float) -> str:
    """A number as the text a reader shows for it: ``"24"``, ``"0.243"``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def box_rows(text: str) -> int:
    """Rows an answer box spans so that ``text`` is visible."""
    lines = sum(max(1, math.ceil(len(part) / 85)) for part in text.split("\n")) if text else 0
    return min(12, max(4, lines + 1))


def excel_number(value: object) -> float | None:
    """A value as Excel's arithmetic sees it: numbers, and text such as "$45,210.00"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.replace("$", "").replace(",", "").strip()
        try:
            return float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            return None
    return None
