"""The prioritized-needs tab(s) and the budget check of the replica.

One orange tab for all areas or one per area, a header row of the
template's needs columns and one row per need; the grey budget tab sums the
planned amounts per area (SUMIF on the area column, or SUM per area tab)
and checks them against the spending rules of ``replica.toml``.
"""

from __future__ import annotations

from typing import Mapping

from .replica import Tab
from .replica_base import TabWriter, excel_number
from .replica_xlsx import Sheet, a1, sheet_ref
from .sample_content import Need
from .template import AREAS


class NeedsWriter(TabWriter):
    """Writes the needs and budget tabs (and records the ``needs`` truth rows)."""

    def needs(self, sheet: Sheet, tab: Tab) -> None:
        """A needs tab: header row, one row per need in priority order, empty slots, a total row."""
        c0 = self.c0
        row = self.start(sheet, self.title("needs", tab.area), self.lay["guidance"]["needs"])
        row += self.gap(sheet)
        keys = [k for k in self.t.needs_columns if not (k == "priority" and self.mess.no_rank_column)]
        if self.mess.insert_cols and "amount" in keys:
            keys.insert(keys.index("amount"), "funding")
        preferred = self.lay["labels"]["needs_columns"]
        col = {k: c0 + j for j, k in enumerate(keys)}
        for k, c in col.items():
            text = self.typing["funding_column"] if k == "funding" else \
                self.label("needs", k, self.t.needs_columns[k], preferred.get(k))
            sheet.text(row, c, text, "header")
            sheet.widths[c] = 34.0 if k in ("need", "outcome", "activity") else 9.0 if k == "priority" else 16.0
        sheet.heights[row] = 30.0
        all_needs = list(self.content.needs) if self.content else []
        mine = [n for n in all_needs if tab.area is None or n.area == tab.area]
        slots = max(self.lay["layout"]["needs_slots_per_area" if tab.area else "needs_slots"], len(mine))
        first = row + 1
        funding = self.rng.choice(self.typing["funding_values"])
        for i in range(slots):
            r = first + i
            need: Need | None = mine[i] if i < len(mine) else None
            if need is None:
                for k, c in col.items():
                    sheet.blank(r, c, "money" if "amount" in k else "cell")
                continue
            priority = i + 1 if tab.area or self.mess.no_rank_column else need.priority
            self.need_row(sheet, r, col, need, priority, funding)
        last = first + slots - 1
        if "area" in col:
            sheet.validate(first, col["area"], last, col["area"], self.lists["areas"])
        if "evidence_level" in col:
            sheet.validate(first, col["evidence_level"], last, col["evidence_level"], self.lists["evidence"])
        total_row = last + 2
        block = {"sheet": sheet, "area": tab.area, "col": col, "first": first, "last": last}
        self.needs_blocks.append(block)
        if "amount" in col:
            label_col = col["amount"] - 1
            sheet.text(total_row, label_col, self.lay["labels"]["total"], "label")
            for k in ("amount", "infrastructure_amount"):
                if k in col:
                    cached = sum(self.numbers(sheet, col[k], first, last))
                    span = f"{a1(first, col[k])}:{a1(last, col[k])}"
                    sheet.formula(total_row, col[k], f"=SUM({span})", cached, "calc_money")

    def need_row(self, sheet: Sheet, r: int, col: Mapping[str, int], need: Need, priority: int,
                 funding: str) -> None:
        """One need's row, and its truth row (``row`` is 1-based, as Excel numbers rows)."""
        text = {"area": need.area_written, "need": need.need, "outcome": need.outcome,
                "baseline": need.baseline, "target": need.target, "measure": need.measure,
                "activity": need.activity, "evidence_level": need.evidence_written,
                "schools": need.schools, "timeline": need.timeline, "person": need.person, "funding": funding}
        for k, c in col.items():
            if k == "priority":
                sheet.number(r, c, float(priority), "integer")
            elif k in ("amount", "infrastructure_amount"):
                self.money(sheet, r, c, getattr(need, k))
            else:
                sheet.put(r, c, text.get(k) or None, "cell")
        sheet.fit_row(r)
        self.out.needs.append({
            "file": self.file, "lea_id": self.lea_id, "priority": priority, "area": need.area,
            "need": need.need, "outcome": need.outcome, "activity": need.activity,
            "evidence_level": need.evidence_level, "amount": need.amount,
            "infrastructure_amount": need.infrastructure_amount, "sheet": sheet.name, "row": r + 1,
            "baseline": need.baseline, "target": need.target, "measure": need.measure,
            "schools": need.schools, "timeline": need.timeline, "person": need.person,
            "raw_evidence_level": need.evidence_written,
        })

    def budget(self, sheet: Sheet, tab: Tab) -> None:
        """The budget check: allocation, planned amount and share per area, infrastructure share."""
        c0, labels, rules = self.c0, self.lay["labels"], self.lay["budget"]
        row = self.start(sheet, self.title("budget"), self.lay["guidance"]["budget"])
        row += self.gap(sheet)
        sheet.widths[c0], sheet.widths[c0 + 3] = 40.0, 44.0
        for j in (1, 2, 4):
            sheet.widths[c0 + j] = 18.0
        sheet.text(row, c0, labels["budget_allocation"], "label")
        alloc: object = 0.0
        if self.allocation_cell is not None:
            src, r, c = self.allocation_cell
            value = src.value(r, c)
            alloc = 0.0 if value is None else value
            sheet.formula(row, c0 + 1, f"={sheet_ref(src.name)}!{a1(r, c)}", alloc, "calc_money")
        alloc_ref = a1(row, c0 + 1, absolute=True)
        alloc_number = excel_number(alloc)
        row += 2
        row += self.gap(sheet)
        for j, text in enumerate(labels["budget_header"]):
            sheet.text(row, c0 + j, text, "header")
        planned: dict[str, float] = {}
        planned_cells: dict[str, str] = {}
        for i, area in enumerate(AREAS):
            r = row + 1 + i
            sheet.text(r, c0, self.t.areas[area].name, "cell")
            formula, cached = self.planned(area)
            planned[area], planned_cells[area] = cached, a1(r, c0 + 1)
            sheet.formula(r, c0 + 1, formula, cached, "calc_money")
            self.share_cells(sheet, r, a1(r, c0 + 1), alloc_ref, cached, alloc_number,
                             rules["min_share"].get(area, 0.0), at_least=True)
            sheet.text(r, c0 + 3, rules["requirement"].get(area, ""), "cell")
        r = row + 1 + len(AREAS)
        sheet.text(r, c0, labels["budget_total"], "label")
        total = sum(planned.values())
        sheet.formula(r, c0 + 1, f"=SUM({a1(row + 1, c0 + 1)}:{a1(r - 1, c0 + 1)})", total, "calc_money")
        share = total / alloc_number if alloc_number else ""
        sheet.formula(r, c0 + 2, f'=IFERROR({a1(r, c0 + 1)}/{alloc_ref},"")', share, "calc_percent")
        r += 2
        r += self.gap(sheet)
        sheet.text(r, c0, labels["budget_infrastructure"], "label")
        parts = [b for b in self.needs_blocks if "infrastructure_amount" in b["col"]]
        infra = sum(sum(self.numbers(b["sheet"], b["col"]["infrastructure_amount"], b["first"], b["last"]))
                    for b in parts)
        terms = "+".join(f"SUM({sheet_ref(b['sheet'].name)}!{a1(b['first'], b['col']['infrastructure_amount'])}:"
                         f"{a1(b['last'], b['col']['infrastructure_amount'])})" for b in parts) or "0"
        sheet.formula(r, c0 + 1, f"={terms}", infra, "calc_money")
        eut = planned.get("EUT", 0.0)
        self.share_cells(sheet, r, a1(r, c0 + 1), planned_cells.get("EUT", "0"), infra, eut or None,
                         rules["infrastructure_max_share"], at_least=False)
        sheet.text(r, c0 + 3, rules["infrastructure_requirement"], "cell")

    def planned(self, area: str) -> tuple[str, float]:
        """The formula summing one area's planned amounts, and its result."""
        name = self.t.areas[area].name
        own = [b for b in self.needs_blocks if b["area"] == area and "amount" in b["col"]]
        if own:
            terms = [f"SUM({sheet_ref(b['sheet'].name)}!{a1(b['first'], b['col']['amount'])}:"
                     f"{a1(b['last'], b['col']['amount'])})" for b in own]
            cached = sum(sum(self.numbers(b["sheet"], b["col"]["amount"], b["first"], b["last"])) for b in own)
            return "=" + "+".join(terms), cached
        shared = [b for b in self.needs_blocks if b["area"] is None and {"area", "amount"} <= set(b["col"])]
        if not shared:
            return "=0", 0.0
        b = shared[0]
        s, ca, cm = b["sheet"], b["col"]["area"], b["col"]["amount"]
        ref = sheet_ref(s.name)
        formula = (f'=SUMIF({ref}!{a1(b["first"], ca, absolute=True)}:{a1(b["last"], ca, absolute=True)},'
                   f'"{name}",{ref}!{a1(b["first"], cm, absolute=True)}:{a1(b["last"], cm, absolute=True)})')
        # SUMIF matches the area text case-insensitively and skips amounts typed as text.
        cached = 0.0
        for r in range(b["first"], b["last"] + 1):
            area_text, amount = s.value(r, ca), s.value(r, cm)
            if isinstance(area_text, str) and area_text.lower() == name.lower() and isinstance(amount, float):
                cached += amount
        return formula, cached

    def share_cells(self, sheet: Sheet, r: int, part: str, whole: str, part_value: float,
                    whole_value: float | None, limit: float, *, at_least: bool) -> None:
        """Percent and requirement-met cells of a budget row."""
        c0 = self.c0
        share: object = part_value / whole_value if whole_value else ""
        sheet.formula(r, c0 + 2, f'=IFERROR({part}/{whole},"")', share, "calc_percent")
        pct = a1(r, c0 + 2)
        test = (f">={limit}" if limit else ">0") if at_least else f"<={limit}"
        met: object = ""
        if share != "":
            ok = (share >= limit if limit else share > 0) if at_least else share <= limit
            met = "Yes" if ok else "No"
        sheet.formula(r, c0 + 4, f'=IF({pct}="","",IF({pct}{test},"Yes","No"))', met, "calc")
