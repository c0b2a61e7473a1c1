"""Fuzzing the reader (issue 6): mutated copies of valid workbooks.

Each test mutates one thing of a valid workbook (the bytes of its XML
parts, its cell contents, its tab names, its tab colours, its merged
ranges) and reads the result.  Whatever the mutation:

* reading never raises and always returns the six tables with their columns;
* it never reports ``read-failed`` (that code means a reader bug);
* every problem is a located record with a known code;
* when something the unmutated workbook yielded is no longer read (fewer
  answers, ratings, needs or indicator values, no LEA name or ID, the
  file not read), at least one problem says so.

The runs are reproducible (``derandomize``).  ``NEEDSASSESS_FUZZ_EXAMPLES``
sets the examples per test (default 150, about half a minute in all; for a
long run, say 2000).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.utils import column_index_from_string
from openpyxl.utils.exceptions import IllegalCharacterError

from hostile import default_tool, write_tool
from needsassess.generate import generate_lea
from needsassess.problems import CODES
from needsassess.read import read_workbook
from needsassess.tables import READER_TABLES

EXAMPLES = int(os.environ.get("NEEDSASSESS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
COUNTED = ("responses", "ratings", "needs", "indicators")
BASES = ("openpyxl", "generator")


class Base:
    """A valid workbook, as bytes, with what reading it gives (a plain class: its repr stays short)."""

    def __init__(self, name: str, data: bytes, members: tuple[str, ...], counts: dict[str, int]) -> None:
        self.name, self.data, self.members, self.counts = name, data, members, counts

    def __repr__(self) -> str:
        return f"<{self.name} workbook>"


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Base]:
    folder = tmp_path_factory.mktemp("bases")
    paths = {"openpyxl": write_tool(folder / "openpyxl.xlsx"),
             "generator": generate_lea(folder / "generator.xlsx", seed=5).path}
    out = {}
    for name, path in paths.items():
        a = read_workbook(path)
        assert a.ok and list(a.files.status) == ["read"], name
        with zipfile.ZipFile(path) as zf:
            members = tuple(zf.namelist())
        out[name] = Base(name, path.read_bytes(), members, {t: len(a.tables[t]) for t in COUNTED})
    return out


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---------------------------------------------------------------- the properties
def read_mutant(folder: Path, data: bytes, base: Base, suffix: str = ".xlsx", *, blanked: frozenset[str] = frozenset(),
                hidden: bool = False) -> None:
    """Write ``data``, read it, and check every property against ``base``.

    ``blanked`` names the tables where a cell was emptied on purpose: an
    empty cell is no value, not a value the reader failed to read.
    ``hidden``: the mutant keeps values under merged areas (see
    :func:`hides_values`); what is lost is not checked.
    """
    path = folder / f"mutant{suffix}"
    path.write_bytes(data)
    try:
        a = read_workbook(path)
    except Exception as exc:  # pragma: no cover - the property under test
        pytest.fail(f"reading raised {type(exc).__name__}: {exc}")
    for name, columns in READER_TABLES.items():
        assert list(a.tables[name].columns[:len(columns)]) == columns, name
    problems = a.problems
    assert "read-failed" not in set(problems.code), problems[problems.code == "read-failed"].message.tolist()
    assert set(problems.code) <= set(CODES)
    assert (problems.file == "mutant" + suffix).all()
    located = problems[(problems.code.str.startswith("tab-") & (problems.code != "tab-missing"))
                       | (problems.cell != "")]
    assert set(located.sheet) <= set(a.tabs.sheet), located.to_dict("records")  # at a tab of the workbook
    (status,) = a.files.status
    if status not in ("read", "partial"):
        assert len(problems), f"status {status} with no problem"
        return
    counts = {t: len(a.tables[t]) for t in COUNTED}
    name, lea_id = a.leas.iloc[0].lea_name, a.leas.iloc[0].lea_id
    lost = [t for t in COUNTED if counts[t] < base.counts[t] and t not in blanked and not hidden]
    if not name.strip() or lea_id in ("", "mutant" + suffix):
        lost.append("the LEA's name or ID")
    if lost:
        assert len(problems), f"lost {lost} ({counts} vs {base.counts}) with no problem"


def rezip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """``data`` (a zip) with members replaced (None: removed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            new = changes.get(info.filename, zin.read(info.filename))
            if new is not None:
                zout.writestr(info.filename, new)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def sheets_of(base: Base) -> list[str]:
    return sorted(m for m in base.members if m.startswith("xl/worksheets/") and m.endswith(".xml"))


# ---------------------------------------------------------------- bytes of the XML parts
#: A byte edit can empty a value cell or move its value elsewhere ('<c r="H7">' becoming
#: '<c r="A1">'): a blank school value is no value, not one the reader failed to read.
MOVED = frozenset({"indicators"})


@st.composite
def byte_edit(draw, size: int) -> tuple[str, int, int, bytes]:
    """An edit of a byte string: (operation, position, length, bytes)."""
    op = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "repeat"]))
    pos = draw(st.integers(0, max(size - 1, 0)))
    length = draw(st.integers(1, 64))
    noise = draw(st.one_of(st.binary(min_size=1, max_size=32),
                           st.sampled_from([b"<", b">", b"/>", b"</c>", b"<row>", b'"', b"&", b"&amp;", b"\x00",
                                            b"\xff\xfe", b"<!DOCTYPE x>", b"<c r=\"A1\">", b"]]>", b"\xc3"])))
    return op, pos, length, noise


def apply_edit(xml: bytes, edit: tuple[str, int, int, bytes]) -> bytes:
    op, pos, length, noise = edit
    if op == "replace":
        return xml[:pos] + noise + xml[pos + len(noise):]
    if op == "insert":
        return xml[:pos] + noise + xml[pos:]
    if op == "delete":
        return xml[:pos] + xml[pos + length:]
    if op == "truncate":
        return xml[:pos]
    return xml[:pos + length] + xml[pos:]  # repeat a slice


@FUZZ
@given(data=st.data())
def test_bytes_of_the_xml_parts(bases, scratch, data):
    base = bases[data.draw(st.sampled_from(BASES), label="base")]
    parts = sheets_of(base) + [m for m in ("xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml",
                                           "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
                               if m in base.members]
    name = data.draw(st.sampled_from(parts), label="part")
    xml = member(base.data, name)
    edits = data.draw(st.lists(byte_edit(len(xml)), min_size=1, max_size=3), label="edits")
    for edit in edits:
        xml = apply_edit(xml, edit)
    read_mutant(scratch, rezip(base.data, {name: xml}), base, blanked=MOVED)


@FUZZ
@given(data=st.data())
def test_bytes_of_the_file(bases, scratch, data):
    base = bases[data.draw(st.sampled_from(BASES), label="base")]
    edits = data.draw(st.lists(byte_edit(len(base.data)), min_size=1, max_size=2), label="edits")
    raw = base.data
    for edit in edits:
        raw = apply_edit(raw, edit)
    read_mutant(scratch, raw, base, blanked=MOVED)


# ---------------------------------------------------------------- cell contents
#: Text an LEA may type: anything XML 1.0 can carry (tabs and line ends included).
TYPED = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x0b\x0c\ufffe\uffff",
                              min_codepoint=9), max_size=80).filter(lambda s: not re.search(r"[\x00-\x08\x0e-\x1f]", s))
VALUES = st.one_of(
    st.none(), TYPED, st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(), st.dates(), st.sampled_from(["N/A", "*", "<5", "12%", "$12,500.00", "TBD", "=1/0", "#REF!",
                                               "Tier 2", "Y", "no", "4 - Advanced", "0.2", "1e400"]),
    st.builds(lambda n, text: (text * (n // len(text) + 1))[:n], st.integers(32_000, 33_000),
              st.sampled_from(["Long answer. ", "=", "x"])))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@FUZZ
@given(data=st.data())
def test_cell_contents(bases, scratch, data):
    tool = default_tool()
    where = data.draw(st.lists(st.sampled_from(["lea", "answers", "ratings", "needs", "indicators"]),
                               min_size=1, max_size=4, unique=True), label="where")
    blanked = set()

    def value(table: str, label: str) -> object:
        drawn = data.draw(VALUES, label=label)
        if _blank(drawn):
            blanked.add(table)
        return drawn

    if "lea" in where:
        field = data.draw(st.sampled_from(["lea_name", "lea_id", "nces_id", "school_year", "allocation",
                                           "date_completed"]), label="field")
        setattr(tool, field, value("leas", field))
    if "answers" in where:
        area = data.draw(st.sampled_from(sorted(tool.answers)), label="area")
        i = data.draw(st.integers(0, len(tool.answers[area]) - 1), label="question")
        tool.answers[area][i] = value("responses", "answer")
    if "ratings" in where:
        area = data.draw(st.sampled_from(sorted(tool.ratings)), label="area")
        row = list(tool.ratings[area][0])
        col = data.draw(st.integers(0, len(row) - 1), label="column")
        row[col] = value("ratings", "rating cell")
        tool.ratings[area][0] = tuple(row)
    if "needs" in where:
        row = list(tool.needs[0])
        col = data.draw(st.integers(0, len(row) - 1), label="column")
        row[col] = value("needs", "needs cell")
        tool.needs[0] = tuple(row)
    if "indicators" in where:
        label, *values = tool.indicators["WRE"][0]
        col = data.draw(st.integers(0, len(values) - 1), label="column")
        values[col] = value("indicators", "indicator cell")
        tool.indicators["WRE"][0] = (label, *values)
    path = scratch / "cells-src.xlsx"
    try:
        write_tool(path, tool)
    except (ValueError, IllegalCharacterError):  # openpyxl refuses the value itself (not the reader's business)
        assume(False)
    read_mutant(scratch, path.read_bytes(), bases["openpyxl"], blanked=frozenset(blanked))


# ---------------------------------------------------------------- tab names
_SHEET_NAME = re.compile(rb'(<sheet\b[^>]*?\bname=")([^"]*)(")')


def xml_escape(text: str) -> bytes:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")).encode("utf-8")


NAMES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.sampled_from(["", " ", "Instructions", "4a. Analyze WRE Needs", "4A ANALYZE wre needs", "Analyze Needs",
                     "5. Address Prioritized Needs", "5. Address Prioritized Needs (2)", "1. LEA Information",
                     "Sheet1", "Lists", "4b. Analyze SHS Needs", "x" * 31, "Analyze Effective Use of Technolog"]))


@FUZZ
@given(data=st.data())
def test_tab_names(bases, scratch, data):
    base = bases[data.draw(st.sampled_from(BASES), label="base")]
    xml = member(base.data, "xl/workbook.xml")
    names = [m.group(2) for m in _SHEET_NAME.finditer(xml)]
    renames = data.draw(st.dictionaries(st.integers(0, len(names) - 1), NAMES, min_size=1, max_size=4),
                        label="renames")
    counter = iter(range(len(names)))

    def rename(m: re.Match) -> bytes:
        i = next(counter)
        return m.group(1) + (xml_escape(renames[i]) if i in renames else m.group(2)) + m.group(3)

    read_mutant(scratch, rezip(base.data, {"xl/workbook.xml": _SHEET_NAME.sub(rename, xml)}), base)


# ---------------------------------------------------------------- tab colours
_TAB_COLOR = re.compile(rb"<tabColor\b[^>]*/>")
HEX = st.text("0123456789ABCDEFabcdef", min_size=0, max_size=9)
COLOURS = st.one_of(
    st.builds(lambda h: f'<tabColor rgb="{h}"/>', HEX),
    st.builds(lambda t, tint: f'<tabColor theme="{t}" tint="{tint}"/>', st.integers(-3, 300),
              st.one_of(st.floats(-2, 2, allow_nan=False).map(repr), st.sampled_from(["", "x", "nan", "-inf"]))),
    st.builds(lambda i: f'<tabColor indexed="{i}"/>', st.integers(-1, 80)),
    st.sampled_from(['<tabColor auto="1"/>', "<tabColor/>", '<tabColor rgb="FF7030A0" theme="7"/>',
                     '<tabColor theme="abc"/>', '<tabColor rgb="&amp;"/>']))


@FUZZ
@given(data=st.data())
def test_tab_colours(bases, scratch, data):
    base = bases[data.draw(st.sampled_from(BASES), label="base")]
    parts = data.draw(st.lists(st.sampled_from(sheets_of(base)), min_size=1, max_size=4, unique=True),
                      label="parts")
    changes = {}
    for name in parts:
        xml = member(base.data, name)
        colour = data.draw(st.one_of(st.none(), COLOURS), label="colour")
        new = colour.encode() if colour else b""
        if _TAB_COLOR.search(xml):
            xml = _TAB_COLOR.sub(new, xml, count=1)
        elif b"<sheetPr>" in xml:
            xml = xml.replace(b"<sheetPr>", b"<sheetPr>" + new, 1)
        else:
            xml = re.sub(rb"(<worksheet\b[^>]*>)", rb"\1<sheetPr>" + new + b"</sheetPr>", xml, count=1)
        changes[name] = xml
    read_mutant(scratch, rezip(base.data, changes), base)


# ---------------------------------------------------------------- merged ranges
def _column(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


REFS = st.builds(lambda c, r: f"{_column(c)}{r}", st.integers(0, 16383), st.integers(1, 1_048_576))
NEAR = st.builds(lambda c, r: f"{_column(c)}{r}", st.integers(0, 12), st.integers(1, 80))
RANGES = st.one_of(
    st.builds(lambda a, b: f"{a}:{b}", NEAR, NEAR),
    st.builds(lambda a, b: f"{a}:{b}", NEAR, REFS),
    NEAR,
    st.sampled_from(["A1:XFD1048576", "A0:B2", ":", "", "B2:A1", "A1:A1", "ZZZZ1:A1", "A1:B2:C3", "1:3", "A:C"]))


_A1 = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?$")
_FILLED = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')


def _index(letters: str) -> int:
    return column_index_from_string(letters) - 1


def hides_values(xml: bytes, ranges: list[str]) -> bool:
    """True when a range covers a filled cell other than its top-left one.

    Excel empties those cells when it merges; LibreOffice may keep them
    ("keep the contents of the hidden cells").  Such files are read all the
    same; a capacity label so hidden is read and reported (see
    test_a_rating_under_a_merged_area_is_not_dropped_silently), but other
    values under a merged area are not ones the reader can be held to.
    """
    filled = {(int(r) - 1, _index(c.decode())) for c, r in _FILLED.findall(xml)}
    for text in ranges:
        m = _A1.match(text)
        if not m:
            continue
        r1, c1 = int(m.group(2)) - 1, _index(m.group(1))
        r2, c2 = (int(m.group(4)) - 1, _index(m.group(3))) if m.group(3) else (r1, c1)
        top, bottom, left, right = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
        if any(top <= r <= bottom and left <= c <= right and (r, c) != (top, left) for r, c in filled):
            return True
    return False


@FUZZ
@given(data=st.data())
def test_merged_ranges(bases, scratch, data):
    base = bases[data.draw(st.sampled_from(BASES), label="base")]
    name = data.draw(st.sampled_from(sheets_of(base)), label="part")
    xml = member(base.data, name)
    ranges = data.draw(st.lists(RANGES, min_size=1, max_size=12), label="ranges")
    hidden = hides_values(xml, ranges)
    keep = data.draw(st.booleans(), label="keep the sheet's own")
    cells = b"".join(f'<mergeCell ref="{r}"/>'.encode() for r in ranges)
    own = re.search(rb"<mergeCells\b[^>]*>(.*?)</mergeCells>", xml, re.S)
    if own:
        inner = (own.group(1) if keep else b"") + cells
        xml = xml[:own.start()] + b'<mergeCells count="%d">' % len(ranges) + inner + b"</mergeCells>" + \
            xml[own.end():]
    else:
        xml = xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="%d">' % len(ranges) + cells +
                          b"</mergeCells>", 1)
    read_mutant(scratch, rezip(base.data, {name: xml}), base, hidden=hidden)


def test_a_rating_under_a_merged_area_is_not_dropped_silently(bases, scratch):
    base = bases["openpyxl"]
    analysis = "xl/worksheets/sheet6.xml"  # 4a. Analyze WRE Needs: capacity labels in A24:A26
    xml = member(base.data, analysis).replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A24:A25"/></mergeCells>', 1)
    path = scratch / "merged-rating.xlsx"
    path.write_bytes(rezip(base.data, {analysis: xml}))
    a = read_workbook(path)
    # the hidden text is read, and the row is reported all the same
    assert len(a.ratings) == base.counts["ratings"] and list(a.problems.code) == ["row-label-missing"]


def test_a_formula_without_value_in_a_data_cell_is_reported(scratch):
    tool = default_tool()
    label, district, school, state = tool.indicators["WRE"][0]
    tool.indicators["WRE"][0] = (label, "=40+2", school, state)  # openpyxl saves formulas without values
    a = read_workbook(write_tool(scratch / "formula-in-data.xlsx", tool))
    p = a.problems[a.problems.code == "formula-no-value"]
    assert list(p.sheet) == ["3a. WRE Data"] and list(p.cell) == ["D4"]
