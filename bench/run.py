"""Benchmark: N sample LEA workbooks to a finished statewide summary.

    python bench/run.py [--sizes 100,300,1000] [--repeat 5] [--cache DIR]

For each N it makes (once, cached: see ``bench/corpus.py``) a folder of N
workbooks of the sample generator's ordinary kind, then times, as whole
processes, in rounds that run every size and variant in turn, several runs
each of:

summarize  ``python -m needsassess summarize DIR -o FILE --no-cache``, end to
           end, every workbook read (the targets are about this one);
rerun      the same without ``--no-cache``, no workbook changed since the
           first run: what a coordinator's rerun costs (no target);
baseline   a loop of ``pandas.read_excel(..., engine="openpyxl")`` over the
           same tabs of every file, nothing else;
floor      bare python-calamine reading the same tabs, nothing else;
loaded,    at the largest N (unless ``--no-bounds``): summarize with the
indexed    extractors' work made free (``bench/variants.py``): each workbook
           is opened, checked and its tabs loaded (and, for ``indexed``,
           their text cells indexed), and the result read beforehand is
           handed on.  Their output is checked to be summarize's, byte for
           byte; they bound what any faster extractor could reach.

"The same tabs" are the tabs summarize reads, as the reader reports them for
the first workbook.  It prints the medians, the ratios summarize/baseline and
summarize/floor, peak memory, the time per workbook at each N, and the
targets with PASS or FAIL; the printed report is also saved (``--out``,
default ``bench/results.txt``).

Peak memory is the largest total of the summarize process and its reader
processes, sampled every 100 ms from ``/proc/PID/smaps_rollup`` as
proportional set size (a page shared by several processes is divided among
them), and never less than the largest single process's peak resident size
(from ``wait4``), which is printed too.  CPU is the user and system time of
the process and its children.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus, generator_version  # noqa: E402

#: The issue's targets, at N = TARGET_N.
TARGET_N = 1000
MAX_SECONDS = 5.0
MIN_SPEEDUP_OVER_BASELINE = 10.0
MAX_TIMES_FLOOR = 3.0
MAX_PEAK_MB = 400.0
#: Time is "linear in N" when the cost of a workbook between the two largest
#: N is at most this many times the cost between the two smallest.
MAX_MARGINAL_GROWTH = 1.3
SAMPLE_SECONDS = 0.1


@dataclass
class Run:
    """One timed process: wall and CPU seconds, peak memory of its tree and of its largest process (MB)."""

    wall: float
    cpu: float
    peak_mb: float
    maxrss_mb: float


@dataclass
class Size:
    """Everything measured at one N."""

    n: int
    folder: Path
    tabs: list[str]
    text_mb: float = 0.0
    sheet_mb: float = 0.0
    runs: dict[str, list[Run]] = field(default_factory=lambda: {"summarize": [], "rerun": [], "baseline": [],
                                                                 "floor": [], "loaded": [], "indexed": []})

    def median(self, kind: str) -> float:
        return statistics.median(r.wall for r in self.runs[kind])

    def cpu(self, kind: str) -> float:
        return statistics.median(r.cpu for r in self.runs[kind])

    def peak(self, kind: str) -> float:
        return max(r.peak_mb for r in self.runs[kind])

    def maxrss(self, kind: str) -> float:
        return max(r.maxrss_mb for r in self.runs[kind])


class Report:
    """Prints lines and keeps them for the results file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.extend(text.split("\n"))


# ---------------------------------------------------------------- measuring
def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux ``/proc/PID/task/TID/children``)."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def timed(cmd: list[str], *, env: dict[str, str]) -> Run:
    """Run ``cmd`` to the end; its wall time and peak memory.  Fails loudly on a non-zero exit."""
    peak = [0]
    done = threading.Event()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)

        def sample() -> None:
            while not done.is_set():
                total = sum(_pss(p) for p in _tree(proc.pid))
                peak[0] = max(peak[0], total)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0,):
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{err.read().decode()[-2000:]}")
    maxrss = usage.ru_maxrss / 1024  # kB on Linux
    return Run(wall, usage.ru_utime + usage.ru_stime, max(peak[0] / 2**20, maxrss), maxrss)


#: The bounds: summarize with part of the reader's work made free, and what each still does per workbook.
BOUNDS = {"loaded": "every workbook opened and checked, its tabs loaded; nothing indexed or extracted",
          "indexed": "the same, and each tab's text cells indexed; nothing extracted"}


def commands(size: Size, out: Path, results: Path | None = None) -> dict[str, list[str]]:
    """The timed command of each variant (the bounds only when ``results`` holds the results read beforehand)."""
    py = sys.executable
    variants = str(HERE / "variants.py")
    cmds = {
        "summarize": [py, "-m", "needsassess", "summarize", str(size.folder), "-o", str(out), "--no-cache"],
        "rerun": [py, "-m", "needsassess", "summarize", str(size.folder), "-o", str(out)],
        "baseline": [py, variants, "baseline", str(size.folder), *size.tabs],
        "floor": [py, variants, "floor", str(size.folder), *size.tabs],
    }
    if results is not None:
        for kind in BOUNDS:
            cmds[kind] = [py, variants, kind, str(size.folder), str(results), str(bound_output(out, kind)),
                          *size.tabs]
    return cmds


def bound_output(out: Path, kind: str) -> Path:
    """Where a bound writes its summary (beside summarize's, to be compared with it)."""
    return out.with_name(f"{out.stem}-{kind}{out.suffix}")


def read_beforehand(folder: Path, store: Path) -> None:
    """Pickle the reader's result for every workbook of ``folder`` into ``store``, as a reader process sends it."""
    import pickle

    from needsassess.read import list_files
    from needsassess.template import load_template
    from needsassess.workbook import read_file

    from bench.variants import result_name

    store.mkdir(parents=True, exist_ok=True)
    template = load_template()
    found, _, _ = list_files(folder)
    for path, file in found:
        blob = pickle.dumps(read_file(path, file, template, None), pickle.HIGHEST_PROTOCOL)
        (store / result_name(file)).write_bytes(blob)


def same_summary(a: Path, b: Path) -> bool:
    """Whether two summary workbooks hold the same parts, byte for byte (the creation time aside)."""
    import zipfile

    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = za.namelist()
        return names == zb.namelist() and all(za.read(n) == zb.read(n) for n in names if n != "docProps/core.xml")


def tabs_read(folder: Path) -> list[str]:
    """The tabs summarize reads, as the reader reports them for the first workbook."""
    from needsassess.read import read_workbook

    first = min(p for p in folder.iterdir() if p.suffix == ".xlsx")
    tabs = read_workbook(first).tabs
    return [str(s) for s in tabs.loc[tabs["read"].astype(bool), "sheet"].tolist()]


def text_extracted(folder: Path, tabs: list[str]) -> tuple[float, float]:
    """MB of text the reader extracts from ``folder``, and MB of XML of the tabs read (uncompressed)."""
    import zipfile

    from needsassess.read import read_folder

    assessment = read_folder(folder, cache=False)
    chars = 0
    for name in ("leas", "responses", "ratings", "needs", "indicators"):
        frame = getattr(assessment, name)
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
                chars += int(frame[col].dropna().astype(str).str.len().sum())
    xml = 0
    for path in folder.iterdir():
        if path.suffix != ".xlsx":
            continue
        with zipfile.ZipFile(path) as z:
            xml += sum(i.file_size for i in z.infolist() if i.filename.startswith("xl/worksheets/sheet")
                       or i.filename == "xl/sharedStrings.xml")
    return chars / 2**20, xml / 2**20


# ---------------------------------------------------------------- report
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        mem = float("nan")
    from importlib.metadata import version

    versions = f"Python {platform.python_version()}, " + ", ".join(
        f"{name} {version(name)}" for name in ("pandas", "python-calamine", "openpyxl", "xlsxwriter"))
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}; {versions}"


def table(report: Report, sizes: list[Size]) -> None:
    report(f"{'N':>6} {'summarize':>10} {'(CPU)':>7} {'baseline':>9} {'floor':>7} {'base/summ':>10} "
           f"{'summ/floor':>10} {'peak MB':>8} {'1-proc MB':>9} {'ms/wb':>6} {'text MB':>8} {'held MB':>8} "
           f"{'rerun':>7}")
    for s in sizes:
        summ, base, flo = s.median("summarize"), s.median("baseline"), s.median("floor")
        report(f"{s.n:>6} {summ:>9.2f}s {s.cpu('summarize'):>6.2f}s {base:>8.2f}s {flo:>6.2f}s {base / summ:>9.1f}x "
               f"{summ / flo:>9.2f}x {s.peak('summarize'):>8.0f} {s.maxrss('summarize'):>9.0f} "
               f"{1000 * summ / s.n:>6.2f} {s.text_mb:>8.1f} {s.sheet_mb:>8.0f} {s.median('rerun'):>6.2f}s")
    report("  summarize: every workbook read (--no-cache), what the targets are about; rerun: summarize again\n"
           "  with no workbook changed since the first run (taken from the cache of earlier runs);\n"
           "  medians of the runs (wall clock; CPU: user + system of summarize and its reader processes);\n"
           "  peak MB: the summarize process tree; 1-proc MB: its largest process; ms/wb: summarize per\n"
           "  workbook; text MB: text the reader extracts; held MB: the XML of the tabs read (what keeping\n"
           "  the workbooks in memory would cost)")


def bounds(report: Report, size: Size) -> None:
    """What summarize would take at this N with the extractors' work made free, against the baseline and floor."""
    summ, base, flo = size.median("summarize"), size.median("baseline"), size.median("floor")
    report(f"Bounds at N={size.n}: summarize with the extractors' work made free (same output, byte for byte)")
    report(f"  {'':9} {'wall':>7} {'(CPU)':>7} {'base/x':>7} {'x/floor':>8}  what the reader processes still do")
    report(f"  {'summarize':9} {summ:>6.2f}s {size.cpu('summarize'):>6.2f}s {base / summ:>6.1f}x {summ / flo:>7.2f}x"
           "  everything")
    for kind, what in BOUNDS.items():
        wall = size.median(kind)
        report(f"  {kind:9} {wall:>6.2f}s {size.cpu(kind):>6.2f}s {base / wall:>6.1f}x {wall / flo:>7.2f}x  {what}")


def verdicts(report: Report, sizes: list[Size]) -> bool:
    at = next((s for s in sizes if s.n == TARGET_N), sizes[-1])
    summ, base, flo = at.median("summarize"), at.median("baseline"), at.median("floor")
    checks = [
        (f"summary of N={at.n} in at most {MAX_SECONDS:g} s wall", f"{summ:.2f} s", summ <= MAX_SECONDS),
        (f"at least {MIN_SPEEDUP_OVER_BASELINE:g}x faster than the baseline", f"{base / summ:.1f}x",
         base / summ >= MIN_SPEEDUP_OVER_BASELINE),
        (f"within {MAX_TIMES_FLOOR:g}x of the floor", f"{summ / flo:.2f}x", summ / flo <= MAX_TIMES_FLOOR),
        (f"peak memory at most {MAX_PEAK_MB:g} MB", f"{at.peak('summarize'):.0f} MB",
         at.peak("summarize") <= MAX_PEAK_MB),
    ]
    if len(sizes) >= 2:
        # From the smallest N to the largest, peak memory grows by no larger a factor than the
        # text extracted does (the MB per MB of text, and what holding the tabs' XML would add,
        # are printed to judge by).
        lo, hi = sizes[0], sizes[-1]
        mem_lo, mem_hi = lo.peak("summarize"), hi.peak("summarize")
        grew, text_grew = mem_hi / mem_lo, hi.text_mb / max(lo.text_mb, 1e-9)
        added, held = mem_hi - mem_lo, hi.sheet_mb - lo.sheet_mb
        checks.append(("memory grows no faster than the text extracted",
                       f"x{grew:.2f} for x{text_grew:.2f} the text; +{added:.0f} MB for +{hi.text_mb - lo.text_mb:.1f} "
                       f"MB of text ({added / max(hi.text_mb - lo.text_mb, 1e-9):.1f} MB per MB; the tabs' XML "
                       f"is +{held:.0f} MB)", grew <= text_grew))
    if len(sizes) >= 3:
        steps = [(b.median("summarize") - a.median("summarize")) / (b.n - a.n) * 1000
                 for a, b in zip(sizes, sizes[1:])]
        shown = " -> ".join(f"{x:.2f}" for x in steps)
        checks.append((f"time linear in N (ms per extra workbook grows at most {MAX_MARGINAL_GROWTH:g}x)",
                       f"{shown} ms", steps[-1] <= MAX_MARGINAL_GROWTH * steps[0]))
    report("Targets:")
    for what, value, ok in checks:
        report(f"  {'PASS' if ok else 'FAIL'}  {what}: {value}")
    return all(ok for _, _, ok in checks)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,1000", help="comma-separated N (default 100,300,1000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of summarize and floor per N (default 5)")
    parser.add_argument("--baseline-repeat", type=int, default=3,
                        help="timed runs of the (slow) baseline per N (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="corpus cache (default bench/.cache)")
    parser.add_argument("--out", type=Path, default=HERE / "results.txt", help="where to save the report")
    parser.add_argument("--bounds", action=argparse.BooleanOptionalAction, default=True,
                        help="also time, at the largest N, summarize with the extractors' work made free (default: on)")
    args = parser.parse_args(argv)
    ns = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    if not ns or ns[0] < 1 or args.repeat < 1 or args.baseline_repeat < 1:
        parser.error("sizes and repeats must be positive")

    report = Report()
    report(f"needsassess benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
    report(f"machine: {machine()}")
    report(f"command: python bench/run.py --sizes {','.join(map(str, ns))} --repeat {args.repeat} "
           f"--baseline-repeat {args.baseline_repeat}{'' if args.bounds else ' --no-bounds'}")
    report(f"corpus: sample generator, ordinary workbooks, seed {args.seed}, generator {generator_version()}")
    sizes = []
    for n in ns:
        t = time.perf_counter()
        folder, made = corpus(n, seed=args.seed, cache=args.cache)
        tabs = tabs_read(folder)
        size = Size(n, folder, tabs)
        size.text_mb, size.sheet_mb = text_extracted(folder, tabs)
        report(f"N={n}: {'generated' if made else 'cached'} in {time.perf_counter() - t:.1f} s, "
               f"{len(tabs)} tabs read per workbook")
        sizes.append(size)
    report(f"tabs: {', '.join(sizes[0].tabs)}")

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "statewide-summary.xlsx"
        env.update(NEEDSASSESS_CACHE="1", NEEDSASSESS_CACHE_DIR=str(Path(tmp) / "cache"))  # the reruns' own cache
        # Bytecode is kept, as an installed package has it: where PYTHONDONTWRITEBYTECODE is set, every timed
        # run would otherwise compile needsassess's modules from source (about 0.1 s). It goes to a folder of
        # this run's, filled by the warm-up runs, not into the source tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        largest = sizes[-1]
        results = Path(tmp) / "results" if args.bounds else None
        if results is not None:
            read_beforehand(largest.folder, results)
        cmds = {size.n: commands(size, out, results if size is largest else None) for size in sizes}
        for size in sizes:
            for kind in cmds[size.n]:  # warm the page cache and the bytecode; fill the cache
                if kind != "baseline":
                    timed(cmds[size.n][kind], env=env)
        if results is not None:  # the last summary written to `out` is the largest N's (by rerun, as summarize)
            for kind in BOUNDS:
                if not same_summary(out, bound_output(out, kind)):
                    raise RuntimeError(f"the {kind} bound did not write summarize's summary; it bounds nothing")
        # Rounds of every size and variant in turn: a slow spell of the machine then falls on all of them
        # alike, and neither the ratios of one N nor the time per workbook across sizes lean on when it came.
        for r in range(args.repeat):
            for size in sizes:
                for kind in cmds[size.n]:
                    if kind == "baseline" and r >= args.baseline_repeat:
                        continue
                    size.runs[kind].append(timed(cmds[size.n][kind], env=env))
            print(f"  round {r + 1} of {args.repeat} done", flush=True)
        for size in sizes:
            walls = {k: " ".join(f"{x.wall:.2f}/{x.cpu:.2f}" for x in v) for k, v in size.runs.items() if v}
            print(f"  N={size.n} (wall/CPU s): " + "; ".join(f"{k} {v}" for k, v in walls.items()), flush=True)
    report()
    table(report, sizes)
    report()
    if largest.runs["loaded"]:
        bounds(report, largest)
        report()
    ok = verdicts(report, sizes)
    args.out.write_text("\n".join(report.lines) + "\n")
    print(f"\n(saved to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
