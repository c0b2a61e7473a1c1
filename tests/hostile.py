"""Makers of test workbooks: a small filled tool with layout options, and broken files.

Everything is written into a folder the test gives (``tmp_path``).  The
filled tool is deliberately written here with openpyxl, independently of
the package's own sample generator, so reader tests do not depend on it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
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
    # text starting with "=" is stored as a text cell (as Excel stores "'=..."), not as a formula
    typed_text: bool = False


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
        writer = _Writer(ws, tool.banner, tool.offset_cols, tool.typed_text)
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

    def __init__(self, ws: Any, banner: int, cols: int, typed_text: bool = False) -> None:
        self.ws, self.dr, self.dc, self.typed_text = ws, banner, cols, typed_text
        for i in range(banner):
            ws.cell(row=i + 1, column=1, value=f"State Department of Education banner line {i + 1}")

    def put(self, r: int, c: int, value: Any, *, formula: bool = False) -> None:
        if value is not None and value != "":
            cell = self.ws.cell(row=r + 1 + self.dr, column=c + 1 + self.dc, value=value)
            if self.typed_text and not formula and cell.data_type == "f":
                cell.data_type = "s"
                cell.quotePrefix = True

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
    w.put(9, 1, "=IF(B7>=30000,\"Yes\",\"No\")", formula=True)


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
        w.put(4, 1, "='3a. WRE Data'!D4", formula=True)
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

def write_sheets(path: Path, sheets: dict[str, tuple[str | None, dict[str, object]]],
                 merges: dict[str, list[str]] | None = None) -> Path:
    """Write sheets given as {name: (tab colour, {cell: value})}, with merged ranges by sheet; returns ``path``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (colour, cells) in sheets.items():
        ws = wb.create_sheet(name)
        if colour:
            ws.sheet_properties.tabColor = colour
        for ref, value in cells.items():
            ws[ref] = value
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path

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


def converted(source: Path, outdir: Path, fmt: str) -> Path:
    """A workbook saved by LibreOffice in another format (``xls``, ``ods``)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir / "lo-profile").resolve().as_uri()  # a private profile: other soffice runs don't block it
    subprocess.run([soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), str(source)], check=True, capture_output=True, timeout=180)
    return outdir / f"{source.stem}.{fmt}"


# ---------------------------------------------------------------- more of the hostile corpus (issue 6)
def csv_file(path: Path) -> Path:
    """A CSV export of the kind an LEA might send instead of the workbook."""
    path.write_text("LEA name,State LEA ID,Need\nSpringfield Unified,SP-001,\"=HYPERLINK(\"\"http://x\"\")\"\n",
                    encoding="utf-8")
    return path


def folder_loop(folder: Path) -> Path:
    """``folder/loop/back`` links back to ``folder``; returns the link."""
    (folder / "loop").mkdir(parents=True, exist_ok=True)
    link = folder / "loop" / "back"
    link.symlink_to(folder.resolve(), target_is_directory=True)
    return link


def named_pipe(path: Path) -> Path:
    """A FIFO with a workbook name: opening it for reading would block for ever."""
    import os

    os.mkfifo(path)
    return path


def dangling_link(path: Path) -> Path:
    """A link with a workbook name whose target does not exist."""
    path.symlink_to(path.parent / "no-such-target.xlsx")
    return path


def unreadable(path: Path, source: Path) -> bool:
    """A copy of ``source`` with no permissions; True when it really cannot be opened.

    Tests run as root in CI, where permissions do not stop reading: the
    caller skips the one check that needs a file that cannot be opened.
    """
    import os

    shutil.copyfile(source, path)
    os.chmod(path, 0)
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True


def non_utf8_name(folder: Path, source: Path, name: bytes = b"caf\xe9 district \xff.xlsx") -> Path:
    """A copy of ``source`` under a file name that is not valid UTF-8 (Latin-1 bytes)."""
    import os

    raw = os.path.join(os.fsencode(folder), name)
    with open(raw, "wb") as fh:
        fh.write(source.read_bytes())
    return Path(os.fsdecode(raw))


def long_answer(chars: int = 20_000) -> str:
    """An answer of exactly ``chars`` characters, in lines, with a marker at its end."""
    line = "Our selected schools need sustained support with attendance and climate. "
    text = (line * (chars // len(line) + 1))[: chars - 4]
    return text + " END"


def instructions_only(path: Path) -> Path:
    """A workbook holding only the tool's Instructions tab (every other tab deleted)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Instructions"
    ws["A1"] = "Title IV, Part A LEA Needs Assessment Tool"
    ws["A3"] = "Complete every tab, then send the workbook to the State."
    wb.save(path)
    return path


def not_the_tool(path: Path) -> Path:
    """A real workbook that is something else: a budget report with an orange tab and merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "FY26 Budget"
    ws.sheet_properties.tabColor = ORANGE
    for r, row in enumerate([("Fund", "Object", "Amount"), ("General", "Salaries", 1_250_000),
                             ("Title I", "Supplies", 40_000), ("Total", "", "=SUM(C2:C3)")], start=1):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    ws.merge_cells("A6:C8")
    ws["A6"] = "Approved by the board on 2025-06-12."
    other = wb.create_sheet("Staff")
    other["A1"], other["B1"] = "Name", "Role"
    wb.save(path)
    return path


def shared_strings_entity_bomb(path: Path, source: Path, depth: int = 9) -> Path:
    """A copy of an openpyxl workbook whose LEA name comes from a shared-strings part
    declaring nested entities ("billion laughs": 10**depth copies of "lol")."""
    entities = "".join(f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "lol") * 10 + '">'
                       for i in range(1, depth + 1))
    sst = (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f'<si><t>&lol{depth};</t></si></sst>').encode()
    rel = (b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
           b'officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rel)
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override)
            elif info.filename == "xl/worksheets/sheet2.xml":  # the LEA information tab
                data = re.sub(rb'<c r="B3"([^>]*?) t="inlineStr"><is><t>[^<]*</t></is></c>',
                              rb'<c r="B3"\1 t="s"><v>0</v></c>', data)
            zout.writestr(info.filename, data)
        zout.writestr("xl/sharedStrings.xml", sst)
    path.write_bytes(out.getvalue())
    return path


def big_zip_bomb(path: Path, size: int = 400 * 2**20) -> Path:
    """A workbook-shaped zip whose sheet inflates to ``size`` bytes (hundreds of MB), made by streaming."""
    chunk = b" " * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            for _ in range(size // len(chunk)):
                fh.write(chunk)
            fh.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def lying_zip_bomb(path: Path, source: Path, size: int = 64 * 2**20, member: str = "xl/worksheets/sheet2.xml") -> Path:
    """A copy of ``source`` whose sheet part inflates to ``size`` bytes while the zip directory
    (local header and central directory) says it holds only a few kB."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = data.replace(b"</worksheet>", b"<!--" + b" " * size + b"--></worksheet>")
            zout.writestr(info.filename, data)
    raw = bytearray(out.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo(member)
    claimed = 4096
    struct.pack_into("<I", raw, info.header_offset + 22, claimed)  # local header: uncompressed size
    at = raw.find(b"PK\x01\x02")
    while at >= 0:  # central directory entries
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46:at + 46 + name_len]).decode() == member:
            struct.pack_into("<I", raw, at + 24, claimed)
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


def far_cell(path: Path, source: Path, ref: str = "XFD1048576", member: str = "xl/worksheets/sheet2.xml") -> Path:
    """A copy of ``source`` with one more text cell at ``ref`` on a sheet: a few bytes that make
    the sheet's used range billions of cells."""
    row = re.sub(r"[A-Z]+", "", ref)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>far away</t></is></c></row></sheetData>'
    return _rewrite(path, source, member, lambda xml: xml.replace(b"</sheetData>", cell.encode()))


def far_cell_by_position(path: Path, source: Path, rows: int = 100_000, cols: int = 20_000,
                         member: str = "xl/worksheets/sheet2.xml") -> Path:
    """Like :func:`far_cell` with no cell addresses at all: rows and cells without ``r`` count on
    from the last one (a long run of empty cells, then thousands of empty rows)."""
    value = b'<c t="inlineStr"><is><t>x</t></is></c>'
    extra = b"<row>" + b"<c/>" * cols + value + b"</row>" + b"<row/>" * rows + b"<row>" + value + b"</row>"
    return _rewrite(path, source, member, lambda xml: xml.replace(b"</sheetData>", extra + b"</sheetData>"))


def ods_bomb(path: Path, rows: int = 1_000_000, cols: int = 64) -> Path:
    """An OpenDocument spreadsheet of under a kB whose one repeated text cell fills rows x cols cells."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="1. LEA Information">'
               '<table:table-row><table:table-cell office:value-type="string"><text:p>LEA name</text:p>'
               '</table:table-cell></table:table-row>'
               f'<table:table-row table:number-rows-repeated="{rows}">'
               f'<table:table-cell table:number-columns-repeated="{cols}" office:value-type="string">'
               '<text:p>x</text:p></table:table-cell></table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    return ods_file(path, content)


def ods_file(path: Path, content: str | bytes) -> Path:
    """An OpenDocument spreadsheet whose ``content.xml`` is ``content`` (and a minimal manifest)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                    'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
                    'spreadsheet"/></manifest:manifest>', zipfile.ZIP_DEFLATED)
    return path


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (CFB version 3) holding ``streams``, each at least 4,096 bytes (in regular sectors)."""
    sector, end_of_chain, free, fat_sector = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    sectors: list[bytes] = []
    fat: list[int] = []

    def put(data: bytes) -> int:
        n, start = -(-len(data) // sector), len(sectors)
        for i in range(n):
            sectors.append(data[i * sector:(i + 1) * sector].ljust(sector, b"\0"))
            fat.append(start + i + 1 if i < n - 1 else end_of_chain)
        return start

    starts = {name: put(data) for name, data in streams.items()}

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, free, right, child)
                + b"\0" * 36 + struct.pack("<III", start, size, 0))

    names = list(streams)
    directory = entry("Root Entry", 5, end_of_chain, 0, child=1) + b"".join(
        entry(n, 2, starts[n], len(streams[n]), right=i + 2 if i + 1 < len(names) else free)
        for i, n in enumerate(names))
    first_directory = put(directory.ljust(-(-len(directory) // sector) * sector, b"\0"))
    n_fat = 1
    while len(sectors) + n_fat > n_fat * 128:
        n_fat += 1
    first_fat = len(sectors)
    fat += [fat_sector] * n_fat
    fat += [free] * (n_fat * 128 - len(fat))
    table = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [table[i * sector:(i + 1) * sector] for i in range(n_fat)]
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, n_fat, first_directory, 0, 4096, end_of_chain, 0,
                                          end_of_chain, 0)
              + struct.pack("<109I", *([first_fat + i for i in range(n_fat)] + [free] * (109 - n_fat))))
    return header + b"".join(sectors)
