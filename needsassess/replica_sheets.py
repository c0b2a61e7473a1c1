"""The cells of each tab of the replica, and the truth of what was written.

:func:`write_sheets` lays out every tab planned by
:func:`needsassess.replica.plan_tabs` as :class:`~needsassess.replica_xlsx.Sheet`
data and, as it goes, records where each answer, rating, need and indicator
value landed (rows in the shape of the reader tables).  Positions are the
replica's own choice; every label comes from the template.  Formulas carry
the result Excel would compute as their cached value.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

from .replica import Mess, Tab
from .replica_base import ANSWER_SPAN, Written, box_rows, raw_text
from .replica_needs import NeedsWriter
from .replica_xlsx import Sheet, a1, sheet_ref
from .sample_content import Answer, IndicatorData, LeaContent
from .template import AREAS, Template, normalize

__all__ = ["Written", "write_sheets"]


def write_sheets(template: Template, tabs: Sequence[Tab], mess: Mess, rng: random.Random,
                 content: LeaContent | None, *, file: str = "") -> tuple[list[Sheet], Written]:
    """Lay out every tab; return the sheets in workbook order and the truth rows.

    ``content`` None writes the blank tool.  ``file`` goes into the truth
    rows' ``file`` column.
    """
    writer = _Writer(template, tabs, mess, rng, content, file)
    return writer.run()


class _Writer(NeedsWriter):
    """Writes every tab but the needs and budget tabs, in dependency order."""

    def run(self) -> tuple[list[Sheet], Written]:
        build = {"instructions": self.instructions, "lea_info": self.lea_info, "schools": self.schools,
                 "data": self.data, "analysis": self.analysis, "needs": self.needs, "budget": self.budget,
                 "lists": self.lists_tab, "extra": self.extra}
        # Dependency order: formulas on later tabs point at cells of earlier ones.
        order = ["lists", "instructions", "lea_info", "schools", "data", "analysis", "needs", "budget", "extra"]
        for role in order:
            for tab in self.tabs:
                if tab.role == role:
                    build[role](self.sheets[tab.name], tab)
        for tab in self.tabs:
            self.out.tabs.append({"name": tab.name, "role": tab.role, "area": tab.area or "",
                                  "hidden": tab.hidden, "colour": tab.colour_text()})
        return [self.sheets[tab.name] for tab in self.tabs], self.out

    # -- instructions, LEA information, schools -----------------------------

    def instructions(self, sheet: Sheet, tab: Tab) -> None:
        row = self.start(sheet, self.title("instructions"))
        sheet.widths[self.c0] = 110.0
        for line in self.lay["instructions"]["lines"]:
            sheet.text(row, self.c0, line, "note")
            if len(line) > 110:
                sheet.heights[row] = 15.0 * math.ceil(len(line) / 105)
            row += 1

    def lea_info(self, sheet: Sheet, tab: Tab) -> None:
        c0 = self.c0
        row = self.start(sheet, self.title("lea_info"), self.lay["guidance"]["lea_info"])
        row += self.gap(sheet)
        sheet.widths[c0], sheet.widths[c0 + 1], sheet.widths[c0 + 2] = 36.0, 30.0, 30.0
        lea = self.content.lea if self.content else None
        fields = list(self.t.lea_fields.values())
        rows: dict[str, int] = {}
        for i, spec in enumerate(fields):
            if i in (4, 9):
                row += self.gap(sheet)
            rows[spec.name] = row
            row += 1
        threshold = self.lay["budget"]["allocation_threshold"]
        for spec in fields:
            r = rows[spec.name]
            sheet.text(r, c0, self.label("lea", spec.name, spec.labels), "label")
            kind = {"allocation": "money", "allocation_30k": "calc", "date_completed": "date"}
            sheet.merge(r, c0 + 1, r, c0 + 2, kind.get(spec.name, "cell"))
            if spec.name == "allocation":
                self.allocation_cell = (sheet, r, c0 + 1)
                self.money(sheet, r, c0 + 1, lea.allocation if lea else None)
            elif spec.name == "allocation_30k" and "allocation" in rows:
                ref = a1(rows["allocation"], c0 + 1)
                value = lea.allocation if lea else None
                cached = "" if value is None else "Yes" if self.mess.amounts_as_text or value >= threshold else "No"
                sheet.formula(r, c0 + 1, f'=IF({ref}="","",IF({ref}>={threshold},"Yes","No"))', cached, "calc")
            elif spec.name == "date_completed":
                sheet.put(r, c0 + 1, lea.date_completed if lea else None, "date")
            else:
                sheet.put(r, c0 + 1, str(getattr(lea, spec.name, "") or "") if lea else None, "cell")
            sheet.fit_row(r, widths={c0 + 1: sheet.widths[c0 + 1] + sheet.widths[c0 + 2]})

    def schools(self, sheet: Sheet, tab: Tab) -> None:
        c0 = self.c0
        row = self.start(sheet, self.title("schools"), self.lay["guidance"]["schools"])
        row += self.gap(sheet)
        headers = self.lay["labels"]["schools_header"]
        for j, text in enumerate(headers):
            sheet.text(row, c0 + j, text, "header")
            sheet.widths[c0 + j] = 34.0 if j == 0 else 16.0
        lea = self.content.lea if self.content else None
        schools = list(lea.schools) if lea else []
        slots = max(self.lay["layout"]["school_rows"], len(schools))
        yes, no = self.t.yes_values[:1] or ("Y",), self.t.no_values[:1] or ("N",)
        for i in range(slots):
            r = row + 1 + i
            if i < len(schools):
                s = schools[i]
                sheet.text(r, c0, s.name, "cell")
                sheet.text(r, c0 + 1, s.nces_id, "cell")
                sheet.text(r, c0 + 2, s.grades, "cell")
                sheet.number(r, c0 + 3, s.enrollment, "integer")
                sheet.text(r, c0 + 4, yes[0] if s.name in lea.selected else no[0], "cell")
                sheet.fit_row(r)
            else:
                for j in range(len(headers)):
                    sheet.blank(r, c0 + j, "cell")
        sheet.validate(row + 1, c0 + 4, row + slots, c0 + 4, self.lists["yes_no"])

    # -- data tabs -----------------------------------------------------------

    def data(self, sheet: Sheet, tab: Tab) -> None:
        area, c0 = tab.area, self.c0
        row = self.start(sheet, self.title("data", area), self.lay["guidance"]["data"])
        row += self.gap(sheet)
        cols = self.t.data_columns
        slots = self.lay["layout"]["school_slots"]
        selected = list(self.content.lea.selected) if self.content else []
        slot_names = [selected[i] if i < len(selected) else self.lay["labels"]["school_slot"].format(n=i + 1)
                      for i in range(max(slots, len(selected)))]
        header = [self.label("data", "indicator", cols.get("indicator", ())),
                  self.label("data", "data_year", cols.get("data_year", ())),
                  self.label("data", "source", cols.get("source", ())),
                  self.label("data", "district", cols.get("district", ()))] + slot_names + \
                 [self.label("data", "state", cols.get("state", ()))]
        for j, text in enumerate(header):
            sheet.text(row, c0 + j, text, "header")
            sheet.widths[c0 + j] = 44.0 if j == 0 else 34.0 if j == 2 else 14.0
        district_col, first_school, state_col = c0 + 3, c0 + 4, c0 + 4 + len(slot_names)
        numbers = {d.key: d for d in self.content.indicators[area]} if self.content else {}
        for i, ind in enumerate(self.t.indicators_for(area)):
            r = row + 1 + i
            label = self.label("indicator", ind.key, (ind.label, *ind.aliases)) \
                if self.mess.paraphrase_labels else ind.label
            sheet.text(r, c0, label, "cell")
            self.data_cells[area, ind.key] = {"sheet": sheet, "row": r, "district": district_col,
                                              "schools": (first_school, state_col - 1), "state": state_col,
                                              "unit": ind.unit}
            d: IndicatorData | None = numbers.get(ind.key)
            sheet.put(r, c0 + 1, d.data_year if d else None, "cell")
            sheet.put(r, c0 + 2, d.source if d else None, "cell")
            cells = [(district_col, "district", "", d.district if d else None)]
            cells += [(first_school + j, "school", slot_names[j], d.schools[j] if d and j < len(d.schools) else None)
                      for j in range(len(slot_names))]
            cells += [(state_col, "state", "", d.state if d else None)]
            sheet.fit_row(r)
            for col, level, school, value in cells:
                raw = self.indicator_value(sheet, r, col, value, ind.unit)
                if raw is None:
                    continue
                base = self.row_base(sheet, area, r, col)
                self.out.indicators.append({**base, "indicator": label, "level": level, "school": school,
                                            "value": value if isinstance(value, float) else None, "raw": raw,
                                            "indicator_key": ind.key, "direction": ind.direction,
                                            "unit": ind.unit})

    def indicator_value(self, sheet: Sheet, row: int, col: int, value: float | str | None, unit: str) -> str | None:
        """Write one data cell the way this LEA types it; return the raw text, None when blank."""
        if value is None:
            sheet.blank(row, col, "decimal")
            return None
        if isinstance(value, str):
            sheet.text(row, col, value, "cell")
            return value
        if unit != "percent":
            sheet.number(row, col, value, "decimal")
            return raw_text(value)
        style = self.mess.percent_style
        if style == "mixed":
            style = self.rng.choice(["fraction", "whole", "text"])
        if style == "fraction":
            stored = round(value / 100.0, 6)
            sheet.number(row, col, stored, "percent")
            return raw_text(stored)
        if style == "whole":
            sheet.number(row, col, value, "decimal")
            return raw_text(value)
        text = self.rng.choice(self.typing["percent_text"]).format(value)
        sheet.text(row, col, text, "cell")
        return text

    # -- analysis tabs -------------------------------------------------------
    def analysis(self, sheet: Sheet, tab: Tab) -> None:
        area = tab.area
        row = self.start(sheet, self.title("analysis", area), self.lay["guidance"]["analysis"])
        row += self.gap(sheet)
        row = self.summary(sheet, area, row)
        row += self.gap(sheet)
        row = self.questions(sheet, area, row)
        if self.mess.capacity_block:
            self.capacity(sheet, area, row + self.gap(sheet))

    def summary(self, sheet: Sheet, area: str, row: int) -> int:
        c0, cols = self.c0, self.t.data_columns
        sheet.text(row, c0, self.t.summary_section[0] if self.t.summary_section else "Summary", "section")
        row += 1
        for j, key in enumerate(("indicator", "district", "selected", "state")):
            sheet.text(row, c0 + j, self.label("data", key, cols.get(key, ())), "header")
        for i, ind in enumerate(self.t.indicators_for(area)):
            r = row + 1 + i
            sheet.text(r, c0, ind.label, "cell")
            src = self.data_cells.get((area, ind.key))
            if src is None:
                continue
            data: Sheet = src["sheet"]
            ref = sheet_ref(data.name)
            fmt = "calc_percent" if ind.unit == "percent" and self.mess.percent_style == "fraction" else "calc_decimal"
            for j, col in ((1, src["district"]), (3, src["state"])):
                cell = f"{ref}!{a1(src['row'], col)}"
                value = data.value(src["row"], col)
                sheet.formula(r, c0 + j, f'=IF({cell}="","",{cell})', "" if value is None else value, fmt)
            first, last = src["schools"]
            values = [data.value(src["row"], c) for c in range(first, last + 1)]
            numbers = [v for v in values if isinstance(v, float)]
            sheet.formula(r, c0 + 2, f'=IFERROR(AVERAGE({ref}!{a1(src["row"], first)}:{a1(src["row"], last)}),"")',
                          sum(numbers) / len(numbers) if numbers else "", fmt)
        return row + len(self.t.indicators_for(area)) + 2

    def questions(self, sheet: Sheet, area: str, row: int) -> int:
        c0, below, merged = self.c0, self.mess.answers_below, self.mess.merged_answers
        sheet.text(row, c0, self.t.questions_section[0] if self.t.questions_section else "Questions", "section")
        row += 1
        sheet.widths[c0] = 60.0 if below and not merged else 45.0
        for j in range(1, ANSWER_SPAN + 1):
            sheet.widths.setdefault(c0 + j, 14.0)
        if not below and not merged:
            sheet.widths[c0 + 1] = 90.0
        if not below:
            sheet.text(row, c0, self.lay["labels"]["question_header"], "header")
            sheet.text(row, c0 + 1, self.t.answer_labels[0] if self.t.answer_labels else "Response", "header")
            sheet.merge(row, c0 + 1, row, c0 + ANSWER_SPAN, "header")
            row += 1
        answers = {(a.area, a.index): a for a in self.content.answers} if self.content else {}
        placeholders = {normalize(p) for p in self.t.placeholder_answers}
        for qi, q in enumerate(self.t.questions_for(area)):
            if qi:
                row += self.gap(sheet)
            text = self.question_text(q.text, q.aliases, qi + 1)
            answer: Answer | None = answers.get((area, qi))
            body = answer.text if answer else ""
            height = box_rows(body)
            sheet.text(row, c0, text, "question")
            if below:
                sheet.merge(row, c0, row, c0 + ANSWER_SPAN, "question")
                sheet.heights[row] = 30.0
                ar, ac = row + 1, c0
                if merged:
                    sheet.merge(ar, c0, ar + height - 1, c0 + ANSWER_SPAN, "answer")
                used = 1 + (height if merged else 1)
            else:
                ar, ac = row, c0 + 1
                if merged:
                    sheet.merge(row, c0, row + height - 1, c0, "question")
                    sheet.merge(row, c0 + 1, row + height - 1, c0 + ANSWER_SPAN, "answer")
                used = height if merged else 1
            if not merged:
                sheet.heights[ar] = min(409.0, 15.0 * height)
            sheet.put(ar, ac, body or None, "answer")
            row += used + 1
            if answer is None or not body.strip():
                continue  # an empty answer box: nothing to read back
            base = self.row_base(sheet, area, ar, ac)
            self.out.responses.append({**base, "question_no": qi + 1, "question": text, "answer": body,
                                       "placeholder": normalize(body) in placeholders,
                                       "template_question": q.text})
            for sentence in answer.tta:
                self.out.tta_requests.append({**base, "sentence": sentence,
                                              "lea_name": self.content.lea.lea_name})
        return row

    def question_text(self, text: str, aliases: Sequence[str], n: int) -> str:
        """The question as this workbook writes it: the template text, or a numbered alias."""
        if not self.mess.paraphrase_questions:
            return text
        chosen = self.rng.choice(list(aliases)) if aliases and self.rng.random() < 0.8 else text
        return self.numbered.format(n=n) + chosen

    def capacity(self, sheet: Sheet, area: str, row: int) -> None:
        c0, cols = self.c0, self.t.capacity_columns
        preferred = self.lay["labels"]["capacity_columns"]
        sheet.text(row, c0, self.t.capacity_section[0] if self.t.capacity_section else "Capacity", "section")
        sheet.text(row + 1, c0, self.lay["guidance"]["capacity_scale"], "note")
        sheet.merge(row + 1, c0, row + 1, c0 + ANSWER_SPAN, "note")
        sheet.heights[row + 1] = 30.0
        row += 2
        for j, key in enumerate(("capacity", "rating", "tta_wanted")):
            sheet.text(row, c0 + j, self.label("capacity", key, cols.get(key, ()), preferred.get(key)), "header")
        ratings = {(r.area, r.key): r for r in self.content.ratings} if self.content else {}
        caps = self.t.capacities_for(area)
        for i, cap in enumerate(caps):
            r = row + 1 + i
            label = self.label("capacity_item", f"{area}:{cap.key}", (cap.label, *cap.aliases)) \
                if self.mess.paraphrase_labels else cap.label
            sheet.text(r, c0, label, "cell")
            sheet.fit_row(r)
            rating = ratings.get((area, cap.key))
            if rating is None:
                sheet.blank(r, c0 + 1, "integer")
                sheet.blank(r, c0 + 2, "cell")
                continue
            sheet.put(r, c0 + 1, rating.written if isinstance(rating.written, str) else float(rating.written),
                      "integer" if isinstance(rating.written, int) else "cell")
            sheet.put(r, c0 + 2, rating.tta_written or None, "cell")
            base = self.row_base(sheet, area, r, c0 + 1)
            self.out.ratings.append({**base, "capacity": label, "rating": rating.rating,
                                     "tta_wanted": rating.tta, "capacity_key": cap.key,
                                     "raw": str(rating.written)})
        if caps:
            sheet.validate(row + 1, c0 + 1, row + len(caps), c0 + 1, self.lists["ratings"])
            sheet.validate(row + 1, c0 + 2, row + len(caps), c0 + 2, self.lists["yes_no"])

    # -- lists and extras ----------------------------------------------------

    def lists_tab(self, sheet: Sheet, tab: Tab) -> None:
        for j, text in enumerate(self.lay["labels"]["lists_header"]):
            sheet.text(0, j, text, "header")
            sheet.widths[j] = 26.0
        for i, area in enumerate(AREAS):
            sheet.text(1 + i, 0, self.t.areas[area].name)
        for i, (level, spellings) in enumerate(self.t.evidence_levels.items()):
            sheet.text(1 + i, 1, spellings[0] if spellings else level)
        for i in range(4):
            sheet.number(1 + i, 2, float(i + 1))
        sheet.text(1, 3, self.t.yes_values[0] if self.t.yes_values else "Y")
        sheet.text(2, 3, self.t.no_values[0] if self.t.no_values else "N")

    def extra(self, sheet: Sheet, tab: Tab) -> None:
        sheet.widths[1] = 80.0
        for i, line in enumerate(tab.lines):
            sheet.text(1 + i, 1, line, "subtitle" if i == 0 else "note")
