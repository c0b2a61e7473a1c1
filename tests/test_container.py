"""The container: sniffing by content, zip safety caps, tab colours, hidden state, formulas."""

from __future__ import annotations

import time

import pytest

import hostile
from hostile import default_tool, write_tool
from needsassess.colors import TabColour
from needsassess.container import Limits, Unreadable, open_container, sniff


@pytest.fixture(scope="module")
def tool_path(tmp_path_factory):
    return write_tool(tmp_path_factory.mktemp("tool") / "tool.xlsx")


def _code(data: bytes, **kw) -> str:
    with pytest.raises(Unreadable) as err:
        open_container(data, **kw)
    return err.value.code


def test_sniff_by_magic_bytes_not_extension():
    assert sniff(b"") == "empty"
    assert sniff(b"PK\x03\x04....") == "zip"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....") == "cfb"
    assert sniff(b"<html>") == "other"


def test_empty_text_and_html_files(tmp_path):
    assert _code(b"") == "file-empty"
    err = pytest.raises(Unreadable, open_container, b"lea,answer\n1,2\n").value
    assert err.code == "file-not-workbook" and "CSV" in err.message
    assert "web page" in pytest.raises(Unreadable, open_container, b"<html><body>x</body></html>").value.message


def test_truncated_workbook_is_corrupt(tmp_path, tool_path):
    bad = hostile.truncated(tmp_path / "cut.xlsx", tool_path)
    assert _code(bad.read_bytes()) == "file-corrupt"


def test_zip_bomb_refused_in_milliseconds(tmp_path):
    bomb = hostile.zip_bomb(tmp_path / "bomb.xlsx", size=3 * 2**20).read_bytes()
    assert len(bomb) < 100_000
    start = time.perf_counter()
    err = pytest.raises(Unreadable, open_container, bomb).value
    assert err.code == "file-too-large" and "zip bomb" in err.message
    assert time.perf_counter() - start < 0.05


def test_size_caps_are_configurable(tmp_path, tool_path):
    data = tool_path.read_bytes()
    assert _code(data, limits=Limits(part_bytes=1000)) == "file-too-large"
    assert _code(data, limits=Limits(total_bytes=10_000)) == "file-too-large"
    open_container(data).close()  # the defaults let a real workbook through


def test_xlsb_docx_and_plain_zip(tmp_path):
    assert _code(hostile.xlsb(tmp_path / "a.xlsb").read_bytes()) == "file-unsupported"
    err = pytest.raises(Unreadable, open_container, hostile.docx(tmp_path / "a.xlsx").read_bytes()).value
    assert err.code == "file-not-workbook" and "Word" in err.message


def test_entity_declarations_are_refused(tmp_path, tool_path):
    bomb = hostile.entity_bomb(tmp_path / "lol.xlsx", tool_path)
    assert _code(bomb.read_bytes()) == "file-unsafe-xml"


def test_password_protected_workbook_says_so(tmp_path, tool_path):
    pytest.importorskip("msoffcrypto")
    locked = hostile.encrypted(tmp_path / "locked.xlsx", tool_path)
    err = pytest.raises(Unreadable, open_container, locked.read_bytes()).value
    assert err.code == "file-encrypted" and "password" in err.message and "corrupt" not in err.message


def test_sheets_colours_and_hidden_state(tmp_path):
    tool = default_tool(colours={"analysis_SHS": (7, -0.25), "needs": "FFFFC000"}, hidden=("analysis_EUT",))
    c = open_container(write_tool(tmp_path / "t.xlsx", tool).read_bytes(), suffix=".xlsx")
    try:
        by_name = {s.name: s for s in c.sheets}
        assert c.kind == "xlsx"
        assert by_name["4a. Analyze WRE Needs"].colour == TabColour(rgb="7030A0")
        assert by_name["4b. Analyze SHS Needs"].colour == TabColour(theme=7, tint=-0.25)
        assert by_name["5. Address Prioritized Needs"].colour == TabColour(rgb="FFC000")
        assert by_name["Instructions"].colour is None
        assert by_name["4c. Analyze EUT Needs"].state == "hidden" and by_name["Lists"].state == "hidden"
        assert by_name["1. LEA Information"].part.startswith("xl/worksheets/")
        assert len(c.palette(["000000"] * 12)) == 12
    finally:
        c.close()


def test_workbooks_sharing_their_workbook_part_each_get_their_own_tabs(tmp_path):
    # the workbook part is parsed once per distinct content (a batch repeats it): each container still
    # gets tabs of its own, and a workbook whose part differs (a hidden tab) is not given another's
    plain = write_tool(tmp_path / "plain.xlsx", default_tool()).read_bytes()
    hidden = write_tool(tmp_path / "hidden.xlsx", default_tool(hidden=("analysis_EUT",))).read_bytes()
    first, second, third = (open_container(data, suffix=".xlsx") for data in (plain, plain, hidden))
    try:
        assert [s.name for s in first.sheets] == [s.name for s in second.sheets]
        assert all(a is not b for a, b in zip(first.sheets, second.sheets))
        first.sheets[1].state = "veryHidden"
        assert second.sheets[1].state == "visible"
        states = {s.name: s.state for s in third.sheets}
        assert states["4c. Analyze EUT Needs"] == "hidden"
        assert {s.name: s.state for s in second.sheets}["4c. Analyze EUT Needs"] == "visible"
    finally:
        for c in (first, second, third):
            c.close()


def test_uncached_formulas_are_found(tmp_path):
    c = open_container(write_tool(tmp_path / "t.xlsx").read_bytes())
    try:
        lea = next(s for s in c.sheets if s.name == "1. LEA Information")
        rows, _ = c.rows(lea)
        # openpyxl writes formulas without saved values: B10 holds the $30,000 check
        assert (9, 1) in c.uncached_formulas(lea)
        assert c.uncached_formulas(lea) is c.uncached_formulas(lea)  # scanned once
    finally:
        c.close()


def test_missing_sheet_part_makes_that_tab_unreadable(tmp_path, tool_path):
    broken = hostile.sheet_part_removed(tmp_path / "part.xlsx", tool_path, sheet_no=2)
    try:
        c = open_container(broken.read_bytes())
    except Unreadable as err:  # calamine may refuse the whole file
        assert err.code == "file-corrupt"
        return
    try:
        with pytest.raises(Unreadable) as err:
            c.rows(c.sheets[1])
        assert err.value.code == "tab-unreadable"
    finally:
        c.close()
