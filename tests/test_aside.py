"""Scores worked out aside while the summary draws what needs none (issue 5).

* :class:`needsassess.aside.Aside`: the result of a forked child, or of the
  function run here when the child cannot give it; never a process left;
* a :class:`Summary` whose scores come later: the reader's tables at once,
  the scores on first use, the same workbook as with the scores at hand;
* the writer's parts of it: links to places laid out later, and sheets
  finished early that refuse more cells.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
from pathlib import Path

import openpyxl
import pytest

from fake_summary import fake_tables
from needsassess.aside import Aside, can_fork
from needsassess.read import read_folder
from needsassess.summary import Summary
from needsassess.tables import SCORE_TABLES
from needsassess.write_package import FastWorkbook
from needsassess.write_xlsx import Place

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"
forks = pytest.mark.skipif(not can_fork(), reason="forking a child is used on Linux only")


# ---------------------------------------------------------------- Aside
@forks
def test_the_child_works_it_out_and_this_process_does_not():
    parent = os.getpid()
    later = Aside(lambda: (os.getpid(), [1, 2, 3]))
    assert later.forked
    pid, value = later.result()
    assert pid != parent and value == [1, 2, 3]
    assert later.result() is later.result() and not later.forked


def test_without_a_fork_the_function_runs_here_when_asked():
    calls = []
    later = Aside(lambda: calls.append(os.getpid()) or "done", fork=False)
    assert calls == [] and not later.forked
    assert later.result() == "done" and calls == [os.getpid()]


@forks
def test_a_failure_in_the_child_is_met_again_here():
    def fails():
        raise ValueError("bad settings value")

    later = Aside(fails)
    with pytest.raises(ValueError, match="bad settings value"):
        later.result()


@forks
def test_a_child_that_dies_or_sends_what_does_not_pickle_is_replaced_by_a_run_here():
    parent = os.getpid()

    def dies_in_the_child():
        if os.getpid() != parent:
            os._exit(3)
        return "worked out here"

    assert Aside(dies_in_the_child).result() == "worked out here"
    local = threading.Lock  # a result that cannot be pickled comes from the run here
    assert Aside(lambda: local).result() is threading.Lock


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork() and not Aside(lambda: 1).forked
    finally:
        stop.set()
        other.join()


@forks
def test_a_result_never_asked_for_leaves_no_process_behind():
    later = Aside(lambda: threading.Event().wait(60))
    pid = later._pid
    del later
    gc.collect()
    with pytest.raises(ChildProcessError):  # killed and collected: no such child any more
        os.waitpid(pid, os.WNOHANG)


# ---------------------------------------------------------------- a Summary whose scores come later
def _later_summary(asked: list[str]) -> tuple[Summary, Summary]:
    """The same summary twice: scores at hand, and scores given by a function (which notes being asked)."""
    assessment, scores = fake_tables(7, seed=3)
    created = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.timezone.utc)

    def later():
        asked.append("scores")
        return scores

    return (Summary(assessment, scores, source=Path("workbooks"), created=created),
            Summary(assessment, later, source=Path("workbooks"), created=created))


def test_the_reader_tables_are_at_hand_before_the_scores():
    asked: list[str] = []
    _, summary = _later_summary(asked)
    ready = summary.ready_tables()
    assert "responses" in ready and not set(SCORE_TABLES) & set(ready) and asked == []
    assert summary.inputs and asked == []  # what the writer checks first needs no scores
    assert len(summary.topics) and asked == ["scores"]
    assert set(SCORE_TABLES) <= set(summary.ready_tables()) and summary.scores is not None
    assert asked == ["scores"]


def _contents(path: Path) -> dict[str, tuple]:
    """Each sheet's values, formats and links, read back with openpyxl."""
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        cells = [(c.coordinate, c.value, c.number_format, c.font.b, c.hyperlink.location if c.hyperlink else None)
                 for row in ws.iter_rows() for c in row if c.value is not None]
        out[ws.title] = (cells, sorted(map(str, ws.merged_cells.ranges)), sorted(ws.tables.items()),
                         {k: v.height for k, v in ws.row_dimensions.items() if v.height})
    return out


def test_a_summary_scored_later_writes_the_same_workbook(tmp_path):
    asked: list[str] = []
    now, later = _later_summary(asked)
    now.to_excel(tmp_path / "now.xlsx")
    later.to_excel(tmp_path / "later.xlsx")
    assert asked == ["scores"]
    assert _contents(tmp_path / "now.xlsx") == _contents(tmp_path / "later.xlsx")


@forks
def test_the_sample_workbooks_scored_aside_give_the_same_summary(tmp_path):
    assessment = read_folder(WORKBOOKS, cache=False)
    aside = Summary.scored(assessment, aside=True)
    assert aside._later is not None  # the scores are being worked out by a child
    here = Summary.scored(assessment)
    aside.created = here.created  # shown on the About sheet, to the minute
    aside.to_excel(tmp_path / "aside.xlsx")
    here.to_excel(tmp_path / "here.xlsx")
    assert _contents(tmp_path / "aside.xlsx") == _contents(tmp_path / "here.xlsx")


def test_a_bad_settings_file_is_an_error_before_anything_is_worked_out_aside(tmp_path):
    from needsassess.problems import NeedsassessError

    bad = tmp_path / "settings.toml"
    bad.write_text("[ranking\n", encoding="utf-8")
    with pytest.raises(NeedsassessError):
        Summary.scored(read_folder(WORKBOOKS, cache=False), settings=bad, aside=True)


# ---------------------------------------------------------------- the writer's parts
def test_links_drawn_before_their_place_is_laid_out_lead_there(tmp_path):
    book = FastWorkbook(str(tmp_path / "places.xlsx"), {"in_memory": True})
    first, second = book.add_worksheet("Names"), book.add_worksheet("Blocks")
    place = Place()
    first.put_link(0, 0, "Springfield", place, None)
    second.put_link(0, 0, "Springfield", place, None)  # the same link object, taken from the first sheet
    place.location = "'Blocks'!A40"
    book.close()
    read = openpyxl.load_workbook(tmp_path / "places.xlsx")
    assert read["Names"]["A1"].hyperlink.location == read["Blocks"]["A1"].hyperlink.location == "'Blocks'!A40"


def test_a_link_to_a_place_never_laid_out_is_an_error(tmp_path):
    book = FastWorkbook(str(tmp_path / "nowhere.xlsx"), {"in_memory": True})
    book.add_worksheet("Names").put_link(0, 0, "Springfield", Place(), None)
    with pytest.raises(ValueError, match="never laid out"):
        book.close()


def test_a_sheet_finished_early_keeps_its_cells_and_takes_no_more(tmp_path):
    book = FastWorkbook(str(tmp_path / "early.xlsx"), {"in_memory": True})
    ws = book.add_worksheet("Early")
    ws.put_string(0, 0, "kept", None)
    ws.put_number(1, 1, 2.5, None)
    ws.render_cells()
    for late in (lambda: ws.put_string(2, 0, "lost", None), lambda: ws.write_string(2, 0, "lost"),
                 lambda: ws.set_row(5, 30)):
        with pytest.raises(RuntimeError, match="finished"):
            late()
    ws.set_column(0, 0, 30)  # column widths are written apart from the cells
    book.close()
    read = openpyxl.load_workbook(tmp_path / "early.xlsx")["Early"]
    assert (read["A1"].value, read["B2"].value, read["A3"].value) == ("kept", 2.5, None)


def test_the_command_lines_progress_bar_leaves_no_thread_that_would_stop_the_fork(monkeypatch):
    import argparse
    import io

    from needsassess import cli

    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(cli.sys, "stderr", io.StringIO())
    bar = cli._progress(argparse.Namespace(quiet=False))
    before = threading.active_count()
    assert list(bar(iter(range(50)), total=50)) == list(range(50))
    assert threading.active_count() == before


@forks
def test_an_interruption_while_waiting_stops_and_collects_the_child():
    import signal
    import time

    def interrupt(*_):
        raise KeyboardInterrupt

    later = Aside(lambda: time.sleep(30))
    pid = later._pid
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            later.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # killed and collected: no such child any more
        os.waitpid(pid, os.WNOHANG)


@forks
def test_a_child_does_not_outlive_a_parent_killed_outright():
    import signal
    import subprocess
    import sys
    import time

    # a parent that forks a child working for a minute, says who the child is, and waits
    script = ("import time\n"
              "from needsassess.aside import Aside\n"
              "later = Aside(lambda: time.sleep(60))\n"
              "print(later._pid, flush=True)\n"
              "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    try:
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # at work
        parent.send_signal(signal.SIGKILL)  # no finalizer runs
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break  # gone (reaped by whoever adopted it)
            if _is_zombie(child):
                break  # dead, not yet collected by its new parent
            time.sleep(0.05)
        else:
            pytest.fail(f"the child {child} still runs after its parent was killed")
    finally:
        parent.kill()
        parent.wait()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def test_a_summary_copied_or_pickled_before_its_scores_come_takes_them_along():
    import copy
    import pickle

    for make in (copy.copy, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))):
        asked: list[str] = []
        _, later = _later_summary(asked)
        twin = make(later)
        assert asked == ["scores"] and later._later is None and twin._later is None
        assert twin.topics.equals(later.topics)
    aside = Aside(lambda: 5)
    assert copy.deepcopy(aside) is aside and copy.copy(aside) is aside and aside.result() == 5


def test_what_stops_the_drawing_is_what_the_caller_sees(tmp_path, monkeypatch):
    from needsassess import write_sheets

    drawn = []
    draw_table = write_sheets.draw_table

    def fails_on_the_second(*args, **kwargs):
        drawn.append(kwargs.get("table_name"))
        if len(drawn) == 2:
            raise RuntimeError("the disk went away")
        return draw_table(*args, **kwargs)

    monkeypatch.setattr(write_sheets, "draw_table", fails_on_the_second)
    _, later = _later_summary([])
    with pytest.raises(RuntimeError, match="the disk went away"):  # not "a link leads to a place never laid out"
        later.to_excel(tmp_path / "summary.xlsx")
    assert drawn[0].startswith("answers") and list(tmp_path.iterdir()) == []


@forks
def test_the_summary_command_scores_in_a_forked_child_after_reading_with_processes(tmp_path):
    """No thread is left running after the reader processes (or a progress bar): the command can fork."""
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "in"
    folder.mkdir()
    samples = sorted(WORKBOOKS.glob("*.xlsx"))
    for copy_no in range(max(2, 50 // len(samples) + 1)):  # past the size read by processes
        for path in samples:
            shutil.copy(path, folder / f"{copy_no}-{path.name}")
    script = (
        "import sys\n"
        "from needsassess import aside\n"
        "started = aside.Aside._start\n"
        "def start(self):\n"
        "    started(self)\n"
        "    print('forked' if self.forked else 'not forked', file=sys.stderr)\n"
        "aside.Aside._start = start\n"
        "aside.can_fork = lambda real=aside.can_fork: real() or print('no fork: threads', file=sys.stderr)\n"
        "from needsassess.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(WORKBOOKS.parent),
                                                                      os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script, "summarize", str(folder), "-q", "--no-cache",
                           "-o", str(tmp_path / "out.xlsx")], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    said = done.stderr.splitlines()
    assert "forked" in said and "not forked" not in said and "no fork: threads" not in said
    assert (tmp_path / "out.xlsx").exists()
