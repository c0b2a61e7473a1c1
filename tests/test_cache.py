"""The cache of earlier runs: unchanged workbooks are taken from it, with the same tables as a fresh read."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import hostile
from hostile import default_tool, write_tool
from needsassess.cache import SETTLE_SECONDS, TRANSIENT_CODES, ReadCache, cache_dir
from needsassess.container import Limits
from needsassess.file_result import FileResult
from needsassess.problems import Problem
from needsassess.read import read_folder
from needsassess.template import load_template


def settled(*paths: Path) -> None:
    """Date the files back, as if written well before the run."""
    past = time.time() - 10 * SETTLE_SECONDS
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def folder(tmp_path):
    home = tmp_path / "workbooks"
    home.mkdir()
    for k in range(4):
        write_tool(home / f"lea{k}.xlsx", default_tool(lea_name=f"District {k}", lea_id=f"{k:04d}"))
    (home / "notes.txt").write_text("not a workbook")
    settled(*home.iterdir())
    return home


def same(a, b) -> None:
    for name in ("leas", "responses", "ratings", "needs", "indicators", "problems"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    pd.testing.assert_frame_equal(a.files, b.files, obj="files")
    pd.testing.assert_frame_equal(a.tabs, b.tabs, obj="tabs")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_second_run_takes_every_unchanged_workbook_from_the_cache(folder, tmp_path, workers):
    first = read_folder(folder, cache=tmp_path / "cache", workers=workers)
    again = read_folder(folder, cache=tmp_path / "cache", workers=workers)
    fresh = read_folder(folder, cache=False)
    assert (first.cached, again.cached, fresh.cached) == (0, 4, 0)
    same(again, fresh)
    same(first, fresh)


def test_a_changed_workbook_is_read_again(folder, tmp_path):
    read_folder(folder, cache=tmp_path / "cache")
    write_tool(folder / "lea2.xlsx", default_tool(lea_name="Renamed District", lea_id="0002"))
    settled(folder / "lea2.xlsx")
    again = read_folder(folder, cache=tmp_path / "cache")
    assert again.cached == 3 and "Renamed District" in set(again.leas.lea_name)
    same(again, read_folder(folder, cache=False))


def test_a_workbook_changed_just_now_is_read_but_not_kept(folder, tmp_path):
    write_tool(folder / "lea1.xlsx", default_tool(lea_name="Late District", lea_id="0001"))  # its time: now
    read_folder(folder, cache=tmp_path / "cache")
    again = read_folder(folder, cache=tmp_path / "cache")
    assert again.cached == 3 and "Late District" in set(again.leas.lea_name)


def test_another_template_or_other_limits_read_everything_again(folder, tmp_path):
    read_folder(folder, cache=tmp_path / "cache")
    template = load_template()
    other = replace(template, missing_values=(*template.missing_values, "not collected"))
    assert read_folder(folder, cache=tmp_path / "cache", template=other).cached == 0
    assert read_folder(folder, cache=tmp_path / "cache", limits=Limits(sheet_cells=500_000)).cached == 0
    assert read_folder(folder, cache=tmp_path / "cache").cached == 0  # each run keeps what it read
    assert read_folder(folder, cache=tmp_path / "cache").cached == 4


def test_a_duplicate_is_resolved_the_same_from_the_cache(folder, tmp_path):
    older = default_tool(lea_name="District 1", lea_id="0001")
    write_tool(folder / "lea1-older.xlsx", replace(older, date_completed="2024-01-15"))
    settled(folder / "lea1-older.xlsx")
    read_folder(folder, cache=tmp_path / "cache")
    again = read_folder(folder, cache=tmp_path / "cache")
    assert again.cached == 5 and (again.files.status == "duplicate").sum() == 1
    same(again, read_folder(folder, cache=False))


def test_a_damaged_cache_is_made_anew(folder, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "read.sqlite").write_bytes(b"not a database at all" * 100)
    assert read_folder(folder, cache=tmp_path / "cache").cached == 0
    assert read_folder(folder, cache=tmp_path / "cache").cached == 4


def test_a_cache_that_cannot_be_written_leaves_the_reading_as_it_is(folder, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    got = read_folder(folder, cache=blocker / "cache")
    assert got.cached == 0
    same(got, read_folder(folder, cache=False))


@pytest.mark.parametrize("code", sorted(TRANSIENT_CODES))
def test_a_result_that_may_go_otherwise_next_time_is_not_kept(folder, tmp_path, code):
    # a reader process that stopped, a file another program held locked: the same file may read fine later
    store = ReadCache(tmp_path / "cache", folder, load_template(), None)
    found = [(str(folder / "lea0.xlsx"), "lea0.xlsx"), (str(folder / "lea1.xlsx"), "lea1.xlsx")]
    kept, todo = store.split(found)
    assert (kept, todo) == ({}, [0, 1])
    size = [(folder / name).stat().st_size for _, name in found]
    crashed = FileResult("lea0.xlsx", status="failed", bytes=size[0], problems=[
        Problem("lea0.xlsx", "", "", "error", code, "could not be read this time")])
    store.store(found, [(0, crashed, None), (1, FileResult("lea1.xlsx", bytes=size[1]), None)], [])
    with sqlite3.connect(tmp_path / "cache" / "read.sqlite") as db:
        assert [bytes(name) for (name,) in db.execute("SELECT name FROM results")] == [b"lea1.xlsx"]


def test_the_cache_is_off_when_the_environment_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("NEEDSASSESS_CACHE", "0")
    assert cache_dir() is None and cache_dir(tmp_path) == tmp_path and cache_dir(False) is None
    monkeypatch.setenv("NEEDSASSESS_CACHE", "1")
    monkeypatch.setenv("NEEDSASSESS_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here" and cache_dir(True) == tmp_path / "here"
    monkeypatch.delenv("NEEDSASSESS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and not str(cache_dir()).startswith(str(Path.home() / "Library")):
        assert cache_dir() == tmp_path / "xdg" / "needsassess"


def test_the_command_line_says_what_came_from_the_cache(folder, tmp_path):
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "NEEDSASSESS_CACHE": "1", "NEEDSASSESS_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}

    def run(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "needsassess", "summarize", str(folder), "-q",
                               "-o", str(tmp_path / "summary.xlsx"), *extra],
                              capture_output=True, text=True, env=env, cwd=repo, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "from the cache" not in run()
    assert "Files: 5 files found, 4 read, 1 skipped; 4 unchanged since an earlier run, taken from the cache" in run()
    assert "from the cache" not in run("--no-cache")


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="file names there are always valid Unicode")
def test_a_file_name_that_is_not_valid_utf8_is_kept_like_any_other(folder, tmp_path):
    settled(hostile.non_utf8_name(folder, folder / "lea0.xlsx"))
    first = read_folder(folder, cache=tmp_path / "cache")
    again = read_folder(folder, cache=tmp_path / "cache")
    assert (first.cached, again.cached) == (0, 5)
    same(again, read_folder(folder, cache=False))
