"""Benchmark corpora: N sample LEA workbooks of one State, made once and cached.

The workbooks come from the sample generator (:func:`needsassess.generate.plan_corpus`
for distinct LEA names, IDs and file names, :func:`needsassess.generate.generate_lea`
for each workbook: the clean "ordinary" tool, no mess), written by several
processes at once.

A corpus is cached under ``CACHE/ordinary-n{N}-seed{S}-{VERSION}/``, where
VERSION is a hash of the generator's source and data files, so a change to
the generator (or to this file) makes a new corpus: the workbooks in its ``workbooks/`` folder,
and a ``corpus.json`` written last (a folder without it is made again).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import needsassess

#: The package files whose content decides what the generator writes.
GENERATOR_FILES = ("generate.py", "replica.py", "replica_base.py", "replica_needs.py", "replica_sheets.py",
                   "replica_xlsx.py", "sample_content.py", "sample_lea.py", "template.py",
                   "data/replica.toml", "data/samples.toml", "data/template.toml")
MANIFEST = "corpus.json"


def generator_version() -> str:
    """A short hash of the generator's source and data (the cache key's last part)."""
    root = Path(needsassess.__file__).parent
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        path = root / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    digest.update(Path(__file__).read_bytes())  # how this file plans a corpus
    return digest.hexdigest()[:12]


def corpus(n: int, *, seed: int = 0, cache: Path, workers: int | None = None) -> tuple[Path, bool]:
    """The folder of the ``n`` workbooks, generating them when not cached.

    Returns
    -------
    (Path, bool)
        The folder of workbooks, and whether it was generated in this call.
    """
    home = cache / f"ordinary-n{n}-seed{seed}-{generator_version()}"
    folder = home / "workbooks"
    if (home / MANIFEST).is_file():
        return folder, False
    part = home.with_name(home.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    (part / "workbooks").mkdir(parents=True)
    jobs = plan(n, seed=seed, folder=part / "workbooks")
    workers = workers or min(os.cpu_count() or 1, 8)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(_write, jobs, chunksize=16):
            pass
    files = sorted(p.name for p in (part / "workbooks").iterdir())
    if len(files) != n:
        raise RuntimeError(f"expected {n} workbooks in {part}, found {len(files)}")
    (part / MANIFEST).write_text(json.dumps({"n": n, "seed": seed, "mess": "ordinary",
                                             "generator": generator_version(), "files": files}, indent=1))
    shutil.rmtree(home, ignore_errors=True)
    part.rename(home)
    return folder, True


def plan(n: int, *, seed: int, folder: Path) -> list[tuple[str, int, object]]:
    """``(path, seed, LEA identity)`` of each workbook, as :func:`~needsassess.generate.generate_corpus` plans them."""
    from needsassess.generate import plan_corpus

    return [(str(folder / f"{p.file}.xlsx"), p.seed, p.lea) for p in plan_corpus(n, seed=seed)]


def _write(job: tuple[str, int, object]) -> str:
    from needsassess.generate import Mess, generate_lea

    path, lea_seed, lea = job
    return str(generate_lea(path, seed=lea_seed, mess=Mess(), lea=lea).path)  # type: ignore[arg-type]
