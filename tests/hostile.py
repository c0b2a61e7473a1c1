"""Makers of test workbooks: a small filled tool with layout options, and broken files.

Everything is written into a folder the test gives (``tmp_path``).  The
filled tool is deliberately written here with openpyxl, independently of
the package's own sample generator, so reader tests do not depend on it.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles.colors import Color

PURPLE, ORANGE, BLUE, GREEN, GREY = "FF7030A0", "FFED7D31", "FF4472C4", "FF70AD47", "FFA6A6A6"

QUESTIONS = {
    "WRE": ["How do the strengths and gaps of the selected schools compare with those of the district as a whole?",
            "What factors contribute to the needs you see in well-rounded education?",
            "In which subjects or programs are the selected schools doing well?"],
    "SHS": ["How do school climate and safety at the selected schools compare with the district as a whole?",
            "What factors contribute to attendance, discipline and safety needs?"],
    "EUT": ["How does access to devices and connectivity at the selected schools compare with the district as a whole?",
            "What factors contribute to the technology needs you see?"],
}


@dataclass
class Tool:
    """What a test workbook holds and how it is laid out."""

    lea_name: str = "Springfield Unified"
    lea_id: Any = "SP-001"
    nces_id: Any = "0612345"
    school_year: Any = "2025-26"
    allocation: Any = 45000
    date_completed: Any = dt.date(2026, 3, 15)
    questions: dict[str, list[str]] = field(default_factory=lambda: {a: list(q) for a, q in QUESTIONS.items()})
    answers: dict[str, list[str]] = field(default_factory=dict)
    ratings: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)
    needs: list[tuple[Any, ...]] = field(default_factory=list)
    indicators: dict[str, list[tuple[str, Any, Any, Any]]] = field(default_factory=dict)
    # layout
    names: dict[str, str] = field(default_factory=dict)   # role key -> tab name
    colours: dict[str, Any] = field(default_factory=dict)  # role key -> ARGB or (theme, tint) or None
    hidden: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    answers_below: bool = False
    merged: bool = True
    banner: int = 0
    offset_cols: int = 0
    capacity_words: bool = False
    capacity_order: tuple[str, ...] = ("capacity", "rating", "tta")
    needs_per_area: bool = False
    rank_column: bool = True
    needs_header: tuple[str, ...] = ("Priority", "Area", "Need", "Desired outcome", "Program or activity",
                                     "ESSA evidence level", "Title IV-A amount", "Of which technology infrastructure")
    formula_cells: bool = False
    extra_tabs: tuple[str, ...] = ()
    blank: bool = False


def default_tool(**changes: Any) -> Tool:
    """A filled tool with answers, ratings, needs and indicators."""
    tool = Tool(**changes)
    if tool.blank:
        return tool
    if not tool.answers:
        tool.answers = {a: [f"{a} answer {i + 1}: our selected schools trail the district."
                            for i in range(len(qs))] for a, qs in tool.questions.items()}
    if not tool.ratings:
        tool.ratings = {a: [("Using data to identify needs and gaps", 2, "Y"),
                            ("Engaging families, community and partners", 3, "N"),
                            ("Sustaining the work after the grant ends", 1, "Yes")] for a in tool.questions}
    if not tool.needs:
        tool.needs = [(1, "WRE", "Low math proficiency", "Raise math proficiency 5 points", "Math tutoring",
                       "Strong", 20000, None),
                      (2, "SHS", "High chronic absenteeism", "Cut absenteeism to 10%", "Attendance mentors",
                       "Tier 2", "$12,500.00", None),
                      (3, "EUT", "Old devices", "One device per student", "Device refresh", "Promising",
                       "12,000", "3,000")]
    if not tool.indicators:
        tool.indicators = {
            "WRE": [("Percent proficient in ELA", 0.42, 0.35, 0.45), ("Four-year graduation rate", 88, 84, 87)],
            "SHS": [("Chronic absenteeism rate", "18%", "22%", "15%"), ("Expulsions per 1,000 students", 1.2, "<5", 0.8)],
            "EUT": [("Students per device", 1.5, 2, "N/A")],
        }
    return tool


AREA_NAMES = {"WRE": "Well-Rounded Education", "SHS": "Safe and Healthy Students", "EUT": "Effective Use of Technology"}


def write_tool(path: Path, tool: Tool | None = None) -> Path:
    """Write a filled (or blank) copy of the tool with openpyxl; returns ``path``."""
    tool = tool or default_tool()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    letter = "abc"
    plan = [("instructions", "Instructions", None), ("lea_info", "1. LEA Information", BLUE)]
    plan += [(f"data_{a}", f"3{letter[i]}. {a} Data", GREEN) for i, a in enumerate(AREA_NAMES)]
    plan += [(f"analysis_{a}", f"4{letter[i]}. Analyze {a} Needs", PURPLE) for i, a in enumerate(AREA_NAMES)]
    if tool.needs_per_area:
        plan += [(f"needs_{a}", f"5{letter[i]}. Prioritized Needs {a}", ORANGE) for i, a in enumerate(AREA_NAMES)]
    else:
        plan += [("needs", "5. Address Prioritized Needs", ORANGE)]
    plan += [("budget", "6. Budget Check", GREY), ("lists", "Lists", None)]
    plan += [(f"extra_{n}", n, None) for n in tool.extra_tabs]
    if tool.order:
        rank = {key: i for i, key in enumerate(tool.order)}
        plan.sort(key=lambda p: rank.get(p[0], len(rank)))
    for key, name, colour in plan:
        ws = wb.create_sheet(tool.names.get(key, name))
        colour = tool.colours.get(key, colour)
        if isinstance(colour, tuple):
            ws.sheet_properties.tabColor = Color(theme=colour[0], tint=colour[1])
        elif colour:
            ws.sheet_properties.tabColor = colour
        if key in tool.hidden or key == "lists":
            ws.sheet_state = "hidden"
        writer = _Writer(ws, tool.banner, tool.offset_cols)
        if key == "instructions":
            writer.put(0, 0, "Instructions")
            writer.put(1, 0, "Complete every tab, then send the workbook to the State.")
        elif key == "lea_info":
            _lea(writer, tool)
        elif key.startswith("data_"):
            _data(writer, tool, key[5:])
        elif key.startswith("analysis_"):
            _analysis(writer, tool, key[9:])
        elif key.startswith("needs"):
            _needs(writer, tool, key[6:] if "_" in key else "")
        elif key == "lists":
            writer.put(0, 0, "Areas")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


class _Writer:
    """Writes at (row, col) shifted by the banner rows and offset columns."""

    def __init__(self, ws: Any, banner: int, cols: int) -> None:
        self.ws, self.dr, self.dc = ws, banner, cols
        for i in range(banner):
            ws.cell(row=i + 1, column=1, value=f"State Department of Education banner line {i + 1}")

    def put(self, r: int, c: int, value: Any) -> None:
        if value is not None and value != "":
            self.ws.cell(row=r + 1 + self.dr, column=c + 1 + self.dc, value=value)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.ws.merge_cells(start_row=r1 + 1 + self.dr, start_column=c1 + 1 + self.dc,
                            end_row=r2 + 1 + self.dr, end_column=c2 + 1 + self.dc)

    def address(self, r: int, c: int) -> str:
        return self.ws.cell(row=r + 1 + self.dr, column=c + 1 + self.dc).coordinate


def _lea(w: _Writer, tool: Tool) -> None:
    w.put(0, 0, "Step 1: LEA Information")
    if tool.blank:
        values = [None] * 6
    else:
        values = [tool.lea_name, tool.lea_id, tool.nces_id, tool.school_year, tool.allocation, tool.date_completed]
    labels = ["LEA name", "State LEA ID", "NCES LEA ID", "School year", "Title IV-A allocation", "Date completed"]
    for i, (label, value) in enumerate(zip(labels, values)):
        w.put(2 + i, 0, label)
        w.put(2 + i, 1, value)
    w.put(9, 0, "Allocation of $30,000 or more?")
    w.put(9, 1, "=IF(B7>=30000,\"Yes\",\"No\")")


def _data(w: _Writer, tool: Tool, area: str) -> None:
    w.put(0, 0, f"{AREA_NAMES[area]} Data")
    for c, head in enumerate(["Indicator", "Data year", "Source", "District", "Lincoln Elementary", "State"]):
        w.put(2, c, head)
    for i, (label, district, school, state) in enumerate(tool.indicators.get(area, [])):
        for c, v in ((0, label), (1, "2024-25"), (2, "State report card"), (3, district), (4, school), (5, state)):
            w.put(3 + i, c, v)


def _analysis(w: _Writer, tool: Tool, area: str) -> None:
    w.put(0, 0, f"Step 4: Analyze {AREA_NAMES[area]} Needs")
    w.put(2, 0, "Summary of indicators")
    for c, head in enumerate(["Indicator", "District", "Selected schools", "State"]):
        w.put(3, c, head)
    w.put(4, 0, "Summary row")
    if tool.formula_cells:
        w.put(4, 1, "='3a. WRE Data'!D4")
    r = 7
    w.put(r, 0, "Questions")
    r += 1
    answers = tool.answers.get(area, [])
    for i, question in enumerate(tool.questions.get(area, [])):
        answer = answers[i] if i < len(answers) else None
        w.put(r, 0, question)
        if tool.answers_below:
            w.put(r + 1, 0, answer)
            if tool.merged:
                w.merge(r + 1, 0, r + 3, 5)
            r += 5
        else:
            w.put(r, 1, answer)
            if tool.merged:
                w.merge(r, 1, r + 2, 6)
            r += 4
    ratings = tool.ratings.get(area)
    if not ratings:
        return
    r += 1
    w.put(r, 0, "Capacity self-rating")
    r += 1
    heads = {"capacity": "Capacity", "rating": "Rating (1-4)", "tta": "T/TA wanted? (Y/N)"}
    cols = {key: i for i, key in enumerate(tool.capacity_order)}
    for key, c in cols.items():
        w.put(r, c, heads[key])
    words = {1: "Beginning", 2: "Developing", 3: "Proficient", 4: "Advanced"}
    for i, (label, rating, tta) in enumerate(ratings):
        value = words.get(rating, rating) if tool.capacity_words else rating
        w.put(r + 1 + i, cols["capacity"], label)
        w.put(r + 1 + i, cols["rating"], value)
        w.put(r + 1 + i, cols["tta"], tta)


def _needs(w: _Writer, tool: Tool, area: str) -> None:
    w.put(0, 0, "Step 5: Address Prioritized Needs" + (f", {AREA_NAMES[area]}" if area else ""))
    header = list(tool.needs_header)
    if not tool.rank_column:
        header = [h for h in header if h != "Priority"]
    for c, head in enumerate(header):
        w.put(2, c, head)
    rows = [n for n in tool.needs if not area or n[1] == area]
    full = list(tool.needs_header)
    for i, need in enumerate(rows):
        values = dict(zip(full, need))
        for c, head in enumerate(header):
            w.put(3 + i, c, values.get(head))
    w.put(3 + len(rows) + 1, 0, "Total")


# ---------------------------------------------------------------- broken files
def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def text_file(path: Path, text: str = "lea,answer\nSpringfield,yes\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def truncated(path: Path, source: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def zip_bomb(path: Path, size: int = 3 * 2**20) -> Path:
    """A workbook-shaped zip whose sheet part inflates from a few kB to ``size`` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return path


def xlsb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return path


def docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    return path


def entity_bomb(path: Path, source: Path) -> Path:
    """A copy of a workbook whose workbook.xml declares nested entities."""
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    return _rewrite(path, source, "xl/workbook.xml", lambda xml: bomb.encode() + xml.split(b"?>", 1)[-1])


def sheet_part_removed(path: Path, source: Path, sheet_no: int = 2) -> Path:
    return _rewrite(path, source, f"xl/worksheets/sheet{sheet_no}.xml", None)


def _rewrite(path: Path, source: Path, member: str, change: Any) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                if change is None:
                    continue
                data = change(data)
            zout.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
    return path


def encrypted(path: Path, source: Path, password: str = "secret") -> Path:
    """A password-protected copy of a workbook (needs msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(source, "rb") as fin:
        office = OOXMLFile(fin)
        with open(path, "wb") as fout:
            office.encrypt(password, fout)
    return path


def lock_file(path: Path) -> Path:
    path.write_bytes(b"\x0bSome User" + b" " * 40)
    return path


def soffice() -> str | None:
    """The LibreOffice command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def as_xls(source: Path, outdir: Path) -> Path:
    """Convert a workbook to legacy .xls with LibreOffice."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir / "lo-profile").resolve().as_uri()  # a private profile: other soffice runs don't block it
    subprocess.run([soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xls",
                    "--outdir", str(outdir), str(source)], check=True, capture_output=True, timeout=180)
    return outdir / (source.stem + ".xls")
