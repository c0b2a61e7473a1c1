"""read_folder: a folder of good, duplicate, broken and stray files."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hostile
from hostile import default_tool, write_tool
from needsassess.problems import InputError, OutputError
from needsassess.read import read_folder, read_workbook


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder holding one of everything, read once."""
    root = tmp_path_factory.mktemp("batch")
    good = write_tool(root / "alpha.xlsx")
    write_tool(root / "sub" / "beta.xlsx", default_tool(lea_name="Beta Schools", lea_id="B-2", nces_id="0700002"))
    # the same LEA twice: the newer date completed wins, whatever the file order
    write_tool(root / "gamma-old.xlsx", default_tool(lea_name="Gamma", lea_id="G-3", nces_id="0700003",
                                                     date_completed=dt.date(2025, 1, 5)))
    write_tool(root / "gamma.xlsx", default_tool(lea_name="Gamma", lea_id="G-3", nces_id="0700003",
                                                 date_completed=dt.date(2026, 2, 1)))
    write_tool(root / "blank.xlsx", default_tool(blank=True))
    hostile.empty_file(root / "empty.xlsx")
    hostile.truncated(root / "cut.xlsx", good)
    hostile.text_file(root / "notes.csv")
    hostile.text_file(root / "fake.xlsx", "this is not a workbook")
    hostile.lock_file(root / "~$alpha.xlsx")
    hostile.zip_bomb(root / "bomb.xlsx", size=3 * 2**20)
    return root, read_folder(root)


def _status(a) -> dict[str, str]:
    return dict(zip(a.files.file, a.files.status))


def test_every_file_is_listed_with_its_status(batch):
    _, a = batch
    assert _status(a) == {
        "alpha.xlsx": "read", "blank.xlsx": "blank", "bomb.xlsx": "failed", "cut.xlsx": "failed",
        "empty.xlsx": "failed", "fake.xlsx": "failed", "gamma-old.xlsx": "duplicate", "gamma.xlsx": "read",
        "notes.csv": "skipped", "sub/beta.xlsx": "read", "~$alpha.xlsx": "skipped"}
    assert list(a.files.file) == sorted(a.files.file)


def test_problem_codes_per_file(batch):
    _, a = batch
    p = a.problems
    by_file = p.groupby("file")["code"].apply(list).to_dict()
    assert by_file["empty.xlsx"] == ["file-empty"]
    assert by_file["cut.xlsx"] == ["file-corrupt"]
    assert by_file["fake.xlsx"] == ["file-not-workbook"]
    assert by_file["bomb.xlsx"] == ["file-too-large"]
    assert by_file["notes.csv"] == ["file-skipped"]
    assert by_file["blank.xlsx"] == ["blank-tool"]
    assert "~$alpha.xlsx" not in by_file  # lock files are skipped silently
    assert list(p.severity) == sorted(p.severity)  # errors first
    assert not a.ok


def test_duplicate_lea_keeps_the_newest_and_drops_the_rest(batch):
    _, a = batch
    dup = a.problems[a.problems.code == "duplicate-lea"].iloc[0]
    assert dup.file == "gamma-old.xlsx" and dup.severity == "warning" and "'gamma.xlsx'" in dup.message
    assert set(a.leas.file) == {"alpha.xlsx", "gamma.xlsx", "sub/beta.xlsx"}
    for table in (a.responses, a.ratings, a.needs, a.indicators):
        assert "gamma-old.xlsx" not in set(table.file)
    assert len(a.responses) == 3 * 7


def test_rows_in_file_order_and_ids_per_file(batch):
    _, a = batch
    assert list(a.leas.file) == sorted(a.leas.file)
    assert dict(zip(a.leas.file, a.leas.lea_id)) == {"alpha.xlsx": "SP-001", "gamma.xlsx": "G-3",
                                                     "sub/beta.xlsx": "B-2"}
    files = a.files.set_index("file")
    assert files.loc["alpha.xlsx", "kind"] == "xlsx" and files.loc["alpha.xlsx", "bytes"] > 0
    assert files.loc["cut.xlsx", "n_errors"] == 1


def test_not_recursive_reads_only_the_top(batch):
    root, _ = batch
    a = read_folder(root, recursive=False)
    assert "sub/beta.xlsx" not in set(a.files.file)


def test_parallel_read_equals_serial(batch):
    root, serial = batch
    parallel = read_folder(root, workers=2)
    for name in serial.tables:
        pd.testing.assert_frame_equal(serial.tables[name], parallel.tables[name])
    pd.testing.assert_frame_equal(serial.files.drop(columns="mtime"), parallel.files.drop(columns="mtime"))


@pytest.mark.parametrize("workers", [1, 2])
def test_while_reading_is_called_once_while_the_files_are_read(batch, workers):
    root, serial = batch
    calls = []
    a = read_folder(root, workers=workers, cache=False, while_reading=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]
    pd.testing.assert_frame_equal(a.responses, serial.responses)


def test_while_reading_is_called_when_every_file_comes_from_the_cache(tmp_path):
    root = tmp_path / "in"
    write_tool(root / "a.xlsx", default_tool())
    os.utime(root / "a.xlsx", (1.7e9, 1.7e9))  # long settled: kept by the cache
    read_folder(root, cache=tmp_path / "cache")
    calls = []
    a = read_folder(root, cache=tmp_path / "cache", while_reading=lambda: calls.append(1))
    assert calls == [1] and a.cached == 1


def test_while_reading_is_called_for_a_single_workbook_too(tmp_path):
    calls = []
    a = read_folder(write_tool(tmp_path / "one.xlsx", default_tool()), while_reading=lambda: calls.append(1))
    assert calls == [1] and len(a.leas) == 1


def test_a_file_that_stops_its_reader_process_fails_alone(tmp_path, monkeypatch):
    import needsassess.read as read

    folder = tmp_path / "in"
    source = write_tool(tmp_path / "lea.xlsx", default_tool())
    for i in range(12):
        (folder / f"lea{i:02d}.xlsx").parent.mkdir(exist_ok=True)
        (folder / f"lea{i:02d}.xlsx").write_bytes(source.read_bytes())
    parent, read_file = os.getpid(), read.read_file

    def crashes_on_lea05(path, rel, *args):  # a crash in native code, as the reader processes see it
        if rel == "lea05.xlsx" and os.getpid() != parent:
            os._exit(3)
        return read_file(path, rel, *args)

    monkeypatch.setattr(read, "read_file", crashes_on_lea05)  # the reader processes fork from this one
    a = read_folder(folder, workers=2, cache=False)
    status = dict(zip(a.files.file, a.files.status))
    assert status.pop("lea05.xlsx") == "failed" and set(status.values()) == {"duplicate", "read"}
    assert list(a.problems[a.problems.file == "lea05.xlsx"].code) == ["read-failed"]


def test_runs_handed_to_the_reader_processes_cover_every_file_and_end_small():
    from needsassess.read import run_sizes

    for n in (1, 2, 3, 47, 48, 100, 1000, 5003):
        for workers in (1, 2, 3, 8):
            sizes = run_sizes(n, workers)
            assert sum(sizes) == n and min(sizes) >= 1 and max(sizes) <= 32
            assert sizes == sorted(sizes, reverse=True)  # the short runs come last


def test_what_while_reading_raises_stops_the_reading(batch):
    root, _ = batch

    def fails():
        raise InputError("the taxonomy file is gone")

    for workers in (1, 2):
        with pytest.raises(InputError, match="taxonomy file is gone"):  # an OSError, not taken for the pool's
            read_folder(root, workers=workers, cache=False, while_reading=fails)


def test_progress_wrapper_sees_every_workbook(batch):
    root, _ = batch
    seen = []

    def progress(items, total):
        seen.append(total)
        for item in items:
            seen.append(item.file)
            yield item

    read_folder(root, progress=progress)
    assert seen[0] == 9 and len(seen) == 10  # workbook-named files, not the csv nor the lock file


def test_to_csv_writes_utf8_tables(batch, tmp_path):
    _, a = batch
    paths = a.to_csv(tmp_path / "out")
    assert [p.name for p in paths] == ["leas.csv", "responses.csv", "ratings.csv", "needs.csv",
                                       "indicators.csv", "problems.csv"]
    back = pd.read_csv(tmp_path / "out" / "responses.csv", encoding="utf-8-sig")
    assert len(back) == len(a.responses) and list(back.columns) == list(a.responses.columns)
    # a byte-order mark for Excel, and no temporary file left behind
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in paths)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_to_csv_into_a_file_path_is_an_output_error(batch, tmp_path):
    _, a = batch
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        a.to_csv(blocker)


def test_repr_and_html_show_counts(batch):
    _, a = batch
    assert "3 LEAs" in repr(a) and "21 answers" in repr(a)
    html = a._repr_html_()
    assert "<table>" in html and "LEAs" in html and "duplicate" in html


def test_missing_folder_and_missing_file():
    with pytest.raises(InputError):
        read_folder("no/such/folder")
    with pytest.raises(InputError):
        read_workbook("no/such/file.xlsx")


def test_empty_folder(tmp_path):
    a = read_folder(tmp_path)
    assert a.files.empty and a.leas.empty and a.ok
    assert list(a.responses.columns[:3]) == ["file", "lea_id", "area"]


def test_duplicate_by_name_when_ids_are_missing(tmp_path):
    write_tool(tmp_path / "a.xlsx", default_tool(lea_id=None, nces_id=None, date_completed=dt.date(2026, 1, 1)))
    write_tool(tmp_path / "b.xlsx", default_tool(lea_id=None, nces_id=None, date_completed=dt.date(2025, 1, 1)))
    a = read_folder(tmp_path)
    assert _status(a) == {"a.xlsx": "read", "b.xlsx": "duplicate"}


def test_duplicate_tie_on_date_goes_to_the_newer_file(tmp_path):
    write_tool(tmp_path / "a.xlsx")
    write_tool(tmp_path / "b.xlsx")
    os.utime(tmp_path / "a.xlsx", (2_000_000_000, 2_000_000_000))
    os.utime(tmp_path / "b.xlsx", (1_000_000_000, 1_000_000_000))
    assert _status(read_folder(tmp_path)) == {"a.xlsx": "read", "b.xlsx": "duplicate"}


def test_folder_link_loop_is_reported_not_followed(tmp_path):
    write_tool(tmp_path / "a.xlsx")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "back")
    a = read_folder(tmp_path)
    assert list(a.files.file) == ["a.xlsx"]
    assert "folder-loop" in set(a.problems.code)


def test_password_protected_file_in_a_folder(tmp_path):
    pytest.importorskip("msoffcrypto")
    good = write_tool(tmp_path / "src" / "tool.xlsx")
    folder = tmp_path / "in"
    folder.mkdir()
    hostile.encrypted(folder / "locked.xlsx", good)
    a = read_folder(folder)
    p = a.problems.iloc[0]
    assert (p.code, p.severity) == ("file-encrypted", "error") and "password" in p.message


@pytest.mark.libreoffice
def test_legacy_xls_is_read(tmp_path):
    if hostile.soffice() is None:
        pytest.skip("LibreOffice is not installed")
    xls = hostile.converted(write_tool(tmp_path / "src" / "tool.xlsx"), tmp_path / "in", "xls")
    a = read_workbook(xls)
    assert list(a.files.kind) == ["xls"] and list(a.files.status) == ["read"]
    assert "file-legacy-xls" in set(a.problems.code) and a.ok
    assert len(a.responses) == 7 and len(a.needs) == 3 and a.leas.iloc[0].lea_id == "SP-001"


def test_reading_needs_no_pandas_and_its_processes_start_before_pandas_loads(tmp_path):
    # the reader processes start at once; pandas (the table builder) loads while they read
    for k in range(50):
        write_tool(tmp_path / f"lea{k:02d}.xlsx", default_tool(lea_name=f"District {k}", lea_id=f"{k:04d}"))
    code = (
        "import sys, needsassess.read as r, needsassess.workbook\n"
        "assert not {'pandas', 'numpy'} & set(sys.modules), 'the reading path imported pandas or numpy'\n"
        "seen = []\n"
        "class Pool(r.ProcessPoolExecutor):\n"
        "    def submit(self, *a, **k):\n"
        "        seen.append('pandas' in sys.modules)\n"
        "        return super().submit(*a, **k)\n"
        "r.ProcessPoolExecutor = Pool\n"
        f"a = r.read_folder({str(tmp_path)!r}, workers=2)\n"
        "assert seen and not any(seen), seen\n"
        "assert len(a.leas) == 50 and a.leas['lea_id'].tolist() == [f'{k:04d}' for k in range(50)]\n")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, check=True)
