"""The command line, run as a user runs it: in a subprocess, reading its output and files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from needsassess.generate import generate_corpus
from needsassess.tables import READER_TABLES, REQUIRED_COLUMNS, SCORE_TABLES

from hostile import empty_file, encrypted, lock_file

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # the checkout under test, whatever folder the command runs in
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "needsassess", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=env, timeout=300)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    truths = generate_corpus(folder, 4, seed=11, mess="samples")
    return folder, truths


@pytest.fixture(scope="module")
def broken_corpus(tmp_path_factory, corpus):
    """The good corpus plus one password-protected, one empty file and a lock file."""
    folder = tmp_path_factory.mktemp("broken")
    src, truths = corpus
    for t in truths:
        (folder / Path(t.path).name).write_bytes(Path(t.path).read_bytes())
    encrypted(folder / "protected.xlsx", Path(truths[0].path))
    empty_file(folder / "empty.xlsx")
    lock_file(folder / "~$protected.xlsx")
    return folder


def header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_extract_writes_six_tables_and_exits_0(corpus, tmp_path):
    folder, truths = corpus
    result = run("extract", str(folder), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    for name in READER_TABLES:
        path = tmp_path / "out" / f"{name}.csv"
        assert header(path)[: len(REQUIRED_COLUMNS[name])] == REQUIRED_COLUMNS[name]
    answers = {r["answer"] for r in rows(tmp_path / "out" / "responses.csv")}
    expected = {r.answer for t in truths for r in t.table("responses").itertuples() if r.answer.strip()}
    assert expected <= answers
    leas = rows(tmp_path / "out" / "leas.csv")
    assert {r["lea_id"] for r in leas} == {t.lea.lea_id for t in truths}
    assert "4 files found, 4 read" in result.stdout


def test_extract_with_bad_files_writes_tables_and_exits_1(broken_corpus, tmp_path):
    result = run("extract", str(broken_corpus), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 1
    problems = rows(tmp_path / "out" / "problems.csv")
    by_file = {(p["file"], p["code"]) for p in problems if p["severity"] == "error"}
    assert ("protected.xlsx", "file-encrypted") in by_file
    assert ("empty.xlsx", "file-empty") in by_file
    assert not any(p["file"].startswith("~$") and p["severity"] == "error" for p in problems)
    assert len(rows(tmp_path / "out" / "leas.csv")) == 4
    assert "2 failed" in result.stdout


def test_score_writes_reader_and_scoring_tables(corpus, tmp_path):
    folder, _ = corpus
    result = run("score", str(folder), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    for name, columns in SCORE_TABLES.items():
        assert header(tmp_path / "out" / f"{name}.csv")[:5] == columns[:5]
    assert (tmp_path / "out" / "responses.csv").exists()
    assert rows(tmp_path / "out" / "topics.csv"), "a corpus with needs ranks some topic"
    assert "Top topics:" in result.stdout


def test_summarize_writes_the_workbook_and_reports(corpus, tmp_path):
    folder, _ = corpus
    out = tmp_path / "summary.xlsx"
    result = run("summarize", str(folder), "-o", str(out), "--tables", str(tmp_path / "tables"), "-q")
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
    assert (tmp_path / "tables" / "tta_plan.csv").exists()
    assert f"Summary written to {out}" in result.stdout
    assert "LEAs: 4" in result.stdout


def test_a_closed_output_pipe_ends_the_command_quietly(corpus, tmp_path):
    # `needsassess summarize DIR | head -1`: the reader of the report goes away after one line
    folder, _ = corpus
    out = tmp_path / "summary.xlsx"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "needsassess", "summarize", str(folder), "-o", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 2 and stderr == "" and out.stat().st_size > 0


def test_summarize_default_output_goes_to_the_working_folder(corpus, tmp_path):
    folder, _ = corpus
    result = run("summarize", str(folder), "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "statewide-summary.xlsx").exists()


def test_inspect_shows_tabs_roles_counts_and_problems(corpus):
    folder, truths = corpus
    result = run("inspect", str(truths[0].path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "analysis" in out and "needs" in out and "lea_info" in out
    assert "responses" in out and "Problems:" in out
    assert truths[0].lea.lea_name in out


def test_inspect_of_a_protected_file_says_so_and_exits_1(broken_corpus):
    result = run("inspect", str(broken_corpus / "protected.xlsx"))
    assert result.returncode == 1
    assert "file-encrypted" in result.stdout and "password" in result.stdout


@pytest.mark.parametrize("command", ["summarize", "extract", "score", "inspect", "generate"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("extract", "no-such-folder", "--out", "x"),
        ("extract",),  # missing arguments
        ("frobnicate",),
        (),
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unwritable_output_exits_2_without_traceback(corpus, tmp_path):
    folder, _ = corpus
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("extract", str(folder), "--out", str(blocker / "sub"), "-q")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "needsassess:" in result.stderr


@pytest.mark.parametrize("option, text", [("--taxonomy", "[[topics]\nkey = 1\n"), ("--settings", "[ranking\n")])
def test_a_broken_taxonomy_or_settings_file_exits_2_and_writes_nothing(corpus, tmp_path, option, text):
    folder, _ = corpus
    broken = tmp_path / "broken.toml"
    broken.write_text(text, encoding="utf-8")
    result = run("summarize", str(folder), option, str(broken), "-o", str(tmp_path / "out.xlsx"), "-q")
    assert result.returncode == 2 and not (tmp_path / "out.xlsx").exists()
    assert "Traceback" not in result.stderr and "needsassess:" in result.stderr and "broken.toml" in result.stderr


def test_summarize_refuses_to_overwrite_an_input_workbook(corpus):
    folder, truths = corpus
    target = Path(truths[0].path)
    before = target.read_bytes()
    result = run("summarize", str(folder), "-o", str(target), "-q")
    assert result.returncode == 2
    assert target.read_bytes() == before


def test_template_option_reaches_the_reader(corpus, tmp_path):
    folder, _ = corpus
    bad = tmp_path / "t.toml"
    bad.write_text("[[[not toml", encoding="utf-8")
    result = run("extract", str(folder), "--out", str(tmp_path / "out"), "--template", str(bad), "-q")
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_generate_writes_samples_and_blank(tmp_path):
    result = run("generate", str(tmp_path / "g"), "-n", "2", "--seed", "3", "--blank")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert "LEA-Needs-Assessment-Tool-blank.xlsx" in files and len(files) == 3


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text("[[[not toml", encoding="utf-8")
    result = run("inspect", str(bad), "--template", str(bad), "--debug")
    assert result.returncode == 2 and "Traceback" in result.stderr
