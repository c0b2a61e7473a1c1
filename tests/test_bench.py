"""The benchmark in bench/: its corpus cache, its comparison programs and its report, at a tiny N."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus as bench_corpus  # noqa: E402
from bench import run as bench_run  # noqa: E402
from needsassess.read import _POOL_MIN_FILES as POOL_MIN_FILES  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


def test_a_corpus_has_n_distinct_workbooks_and_is_made_once(cache):
    folder, made = bench_corpus.corpus(4, seed=5, cache=cache)
    assert made
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 4 and all(f.endswith(".xlsx") for f in files)
    manifest = json.loads((folder.parent / bench_corpus.MANIFEST).read_text())
    assert manifest["files"] == files and manifest["n"] == 4
    again, made = bench_corpus.corpus(4, seed=5, cache=cache)
    assert again == folder and not made


def test_file_names_stay_distinct_when_lea_names_repeat(tmp_path):
    jobs = bench_corpus.plan(900, seed=0, folder=tmp_path)  # more LEAs than the text bank has names
    names = [Path(path).name for path, _, _ in jobs]
    ids = [lea.lea_id for _, _, lea in jobs]
    assert len(set(names)) == 900 and len(set(ids)) == 900


def test_baseline_and_floor_read_the_tabs_summarize_reads(cache):
    folder, _ = bench_corpus.corpus(4, seed=5, cache=cache)
    tabs = bench_run.tabs_read(folder)
    assert any("Analyze" in t for t in tabs) and any("Prioritized" in t for t in tabs)
    for kind in ("floor", "baseline"):
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "variants.py"), kind, str(folder), *tabs],
                             capture_output=True, text=True, check=True).stdout
        assert out.strip() == f"{kind}: 4 workbooks, {4 * len(tabs)} tabs read"


def test_the_benchmark_times_every_variant_and_prints_the_targets(cache, tmp_path, capsys):
    out = tmp_path / "results.txt"
    code = bench_run.main(["--sizes", "3,5,6", "--repeat", "1", "--baseline-repeat", "1",
                           "--cache", str(cache), "--out", str(out)])
    printed = capsys.readouterr().out
    saved = out.read_text()
    assert saved.splitlines()[0].startswith("needsassess benchmark")
    assert all(line in printed for line in saved.splitlines())
    rows = [line.split() for line in saved.splitlines() if line.split()[:1] in (["3"], ["5"], ["6"])]
    assert [r[0] for r in rows] == ["3", "5", "6"]
    header = next(line.split() for line in saved.splitlines() if line.split()[:2] == ["N", "summarize"])
    assert header[-1] == "rerun" and all(r[-1].endswith("s") and float(r[-1][:-1]) > 0 for r in rows)
    bounds = [line.split() for line in saved.splitlines() if line.split()[:1] in (["loaded"], ["indexed"])]
    assert [b[0] for b in bounds] == ["loaded", "indexed"] and "Bounds at N=6" in saved
    verdicts = [line for line in saved.splitlines() if line.strip().startswith(("PASS", "FAIL"))]
    assert len(verdicts) == 6
    assert code == (0 if all(v.strip().startswith("PASS") for v in verdicts) else 1)


def test_a_bound_hands_on_the_results_read_beforehand_to_the_reader_processes(cache, tmp_path):
    import pickle
    import zipfile

    folder, _ = bench_corpus.corpus(50, seed=5, cache=cache)  # enough for the reader processes
    assert len(list(folder.iterdir())) >= POOL_MIN_FILES
    tabs = bench_run.tabs_read(folder)
    store = tmp_path / "results"
    bench_run.read_beforehand(folder, store)
    first = sorted(store.iterdir())[0]
    result = pickle.loads(first.read_bytes())
    result.lea["lea_name"] = "Read Beforehand Unified"  # shows that the stored result is the one summarized
    first.write_bytes(pickle.dumps(result))
    variants = str(ROOT / "bench" / "variants.py")
    for kind in bench_run.BOUNDS:
        out = tmp_path / f"{kind}.xlsx"
        subprocess.run([sys.executable, variants, kind, str(folder), str(store), str(out), *tabs],
                       capture_output=True, text=True, check=True)
        with zipfile.ZipFile(out) as z:
            assert b"Read Beforehand Unified" in z.read("xl/sharedStrings.xml")
    missing = tmp_path / "missing-tab.xlsx"
    done = subprocess.run([sys.executable, variants, "loaded", str(folder), str(store), str(missing), "No such tab"],
                          capture_output=True, text=True)
    assert done.returncode != 0 and not missing.exists()  # every workbook is opened and its tabs looked up
