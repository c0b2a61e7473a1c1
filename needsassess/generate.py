"""Write the blank replica of the tool and filled, messy LEA workbooks.

The generator is how needsassess makes its own test material: a blank copy
of the Title IV, Part A LEA Needs Assessment Tool as the template describes
it, and filled workbooks of fictional LEAs with each kind of real-world
mess the spec lists (:class:`Mess`).  Every filled workbook comes with its
:class:`Truth`: what a perfect reader would extract, cell by cell.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> truth = generate_lea(folder / "lea.xlsx", seed=7, mess=Mess(needs_per_area=True))
>>> truth.path.exists(), 2 <= len(truth.needs) <= 8
(True, True)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Mapping

import pandas as pd

from .problems import OutputError
from .replica import Mess, load_layout, plan_tabs, sample_messes
from .replica_sheets import write_sheets
from .replica_xlsx import emit, finish_package
from .sample_content import Answer, IndicatorData, LeaContent, make_content
from .sample_lea import LeaIdentity, load_bank, make_identity
from .tables import frame
from .template import Template, load_template

__all__ = ["Mess", "LeaIdentity", "Truth", "PlannedLea", "write_blank_tool", "generate_lea", "generate_corpus",
           "plan_corpus", "BLANK_TOOL_NAME"]

#: File name of the blank replica in ``workbooks/template/``.
BLANK_TOOL_NAME = "LEA-Needs-Assessment-Tool-blank.xlsx"
#: Document timestamp of the blank replica (fixed, so it is reproducible).
BLANK_CREATED = datetime(2025, 1, 6, 9, 0, 0)


@dataclass(frozen=True)
class Truth:
    """What a generated workbook holds, in the shape of the reader tables.

    Attributes
    ----------
    path : Path
        The workbook written (``.xlsm`` when the mess asks for it).
    seed : int
    mess : Mess
    lea : LeaIdentity
    newest : bool
        False for the older file of a duplicate submission.
    tabs : list of dict
        ``name, role, area, hidden, colour`` of every tab, in workbook order.
    responses, ratings, needs, indicators : list of dict
        Rows of the reader tables of the same names (see
        :data:`needsassess.tables.READER_TABLES`).  Cells are A1 addresses;
        ``needs.row`` is 1-based; indicator ``value`` is in the template's
        unit (percent on 0-100) or None when a text such as "N/A" was typed.
    tta_requests : list of dict
        The sentences planted in answers that ask for training or technical
        assistance (``area, sentence, sheet, cell``).
    """

    path: Path
    seed: int
    mess: Mess
    lea: LeaIdentity
    newest: bool = True
    tabs: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    tta_requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The workbook's file name, as the reader's ``file`` column holds it."""
        return self.path.name

    def lea_row(self) -> dict[str, Any]:
        """The expected row of the ``leas`` table."""
        lea = self.lea
        return {"file": self.file, "lea_name": lea.lea_name, "lea_id": lea.lea_id, "nces_id": lea.nces_id,
                "school_year": lea.school_year, "allocation": lea.allocation,
                "date_completed": lea.date_completed, "state": lea.state, "contact_name": lea.contact_name,
                "contact_email": lea.contact_email, "stakeholders": lea.stakeholders,
                "n_answers": len(self.responses), "n_needs": len(self.needs),
                "n_ratings": len(self.ratings), "n_indicators": len(self.indicators)}

    def table(self, name: Literal["leas", "responses", "ratings", "needs", "indicators"]) -> pd.DataFrame:
        """The expected reader table ``name`` as a DataFrame with the declared columns."""
        rows = [self.lea_row()] if name == "leas" else getattr(self, name)
        return frame(name, rows)

    def tab(self, role: str, area: str | None = None) -> dict[str, Any]:
        """The first tab with ``role`` (and ``area``)."""
        return next(t for t in self.tabs if t["role"] == role and (area is None or t["area"] == area))


# ---------------------------------------------------------------- public API

def write_blank_tool(path: str | Path, *, template: str | Path | Template | None = None) -> Path:
    """Write the blank replica of the tool.

    Every tab, colour, label, question, capacity and indicator the template
    declares, with empty answer boxes, data validations and formulas.

    Raises
    ------
    OutputError
        When the file cannot be written.
    """
    tmpl = load_template(template)
    tabs = plan_tabs(tmpl, Mess(), random.Random(0), canonical=True)
    sheets, _ = write_sheets(tmpl, tabs, Mess(), random.Random(0), None)
    data = emit(sheets, formats=load_layout()["formats"], properties=_properties(None))
    return _save(Path(path), data)


def generate_lea(path: str | Path, *, seed: int, mess: Mess = Mess(),
                 template: str | Path | Template | None = None, lea: LeaIdentity | None = None,
                 newest: bool = True) -> Truth:
    """Write one filled LEA workbook and return what it holds.

    Parameters
    ----------
    path : path
        Where to write; the suffix becomes ``.xlsm`` when ``mess.macro_enabled``.
    seed : int
        Decides the LEA (unless ``lea`` is given), its content and the
        layout choices.  The content depends on the seed alone, so one seed
        under two messes gives the same answers in two layouts.
    mess : Mess
        The variations to apply; ``Mess()`` is the clean tool.
    lea : LeaIdentity, optional
        Write for this LEA (e.g. a second submission of the same LEA).

    Raises
    ------
    OutputError
        When the file cannot be written.
    """
    tmpl = load_template(template)
    path = Path(path)
    if mess.macro_enabled:
        path = path.with_suffix(".xlsm")
    identity = lea or make_identity(_rng("lea", seed))
    content = _typed(make_content(_rng("content", seed), identity, tmpl), mess, _rng("typing", seed))
    layout_rng = _rng("layout", seed)
    tabs = plan_tabs(tmpl, mess, layout_rng)
    sheets, written = write_sheets(tmpl, tabs, mess, layout_rng, content, file=path.name)
    data = emit(sheets, formats=load_layout()["formats"], properties=_properties(identity))
    data = finish_package(data, cached_values=mess.cached_values, macro_enabled=mess.macro_enabled)
    _save(path, data)
    return Truth(path=path, seed=seed, mess=mess, lea=identity, newest=newest, tabs=written.tabs,
                 responses=written.responses, ratings=written.ratings, needs=written.needs,
                 indicators=written.indicators, tta_requests=written.tta_requests)


def generate_corpus(folder: str | Path, n: int, *, seed: int = 0,
                    mess: Literal["samples", "ordinary", "random"] | Mess = "samples",
                    duplicates: int = 0, state: str | None = None,
                    template: str | Path | Template | None = None) -> list[Truth]:
    """Write ``n`` LEA workbooks of one State into ``folder``.

    Parameters
    ----------
    n : int
        Number of LEAs (duplicate submissions come on top).
    seed : int
        The same seed gives the same files.
    mess : {"samples", "ordinary", "random"} or Mess
        ``"samples"``: the declared mix of ``replica.toml`` (each variation at
        least once), then random mixes; ``"ordinary"``: all clean;
        ``"random"``: :meth:`Mess.random` for each; a Mess: that one for all.
    duplicates : int
        How many LEAs also send an older submission (earlier
        ``date_completed``, other content); its Truth has ``newest=False``.
    state : str, optional
        The State of every LEA; drawn from the seed when None.

    Returns
    -------
    list of Truth
        One per file, in the order written (an older duplicate right after
        the newer one).  File names are ``<lea-slug>-needs-assessment-<year>.xlsx``.
    """
    if n < 0 or duplicates < 0 or duplicates > n:
        raise ValueError("n and duplicates must be >= 0, and duplicates <= n")
    tmpl = load_template(template)
    folder = Path(folder)
    messes = _corpus_messes(mess, n, seed)
    truths: list[Truth] = []
    for i, planned in enumerate(plan_corpus(n, seed=seed, duplicates=duplicates, state=state)):
        truths.append(generate_lea(folder / f"{planned.file}.xlsx", seed=planned.seed, mess=messes[i],
                                   template=tmpl, lea=planned.lea))
        if planned.older_file:
            older = replace(planned.lea, date_completed=planned.lea.date_completed - timedelta(days=planned.older_by))
            truths.append(generate_lea(folder / f"{planned.older_file}.xlsx", seed=planned.seed + 1,
                                       mess=messes[i], template=tmpl, lea=older, newest=False))
    return truths


@dataclass(frozen=True)
class PlannedLea:
    """One LEA of a corpus before it is written: its seed, identity and file name(s).

    ``older_file`` (without ``.xlsx``) is set when the LEA also sends an
    older submission, dated ``older_by`` days before the newer one.
    """

    seed: int
    lea: LeaIdentity
    file: str
    older_file: str = ""
    older_by: int = 0


def plan_corpus(n: int, *, seed: int = 0, duplicates: int = 0, state: str | None = None) -> list[PlannedLea]:
    """Who the ``n`` LEAs of :func:`generate_corpus` are, without writing a file.

    Every LEA gets a name, State ID, NCES ID and file name of its own.  The
    text bank has a few hundred LEA names per State; past that, a name
    already taken gets a district number, as real ones do ("Pine Ridge
    School District No. 2"), and a taken NCES ID the next free one.  The
    same seed gives the same plan.

    Examples
    --------
    >>> leas = plan_corpus(3, seed=1)
    >>> len({p.lea.lea_name for p in leas}), len({p.file for p in leas})
    (3, 3)
    """
    if n < 0 or duplicates < 0 or duplicates > n:
        raise ValueError("n and duplicates must be >= 0, and duplicates <= n")
    master = _rng("corpus", seed)
    bank = load_bank()
    state = state or master.choice(bank["states"])["name"]
    doubled = set(master.sample(range(n), duplicates))
    taken: set[str] = set()
    used = _Used()
    planned: list[PlannedLea] = []
    for i in range(n):
        lea_seed = master.randrange(2**31)
        lea = used.claim(make_identity(_rng("lea", lea_seed), state=state, taken=taken), taken)
        base = f"{_slug(lea.lea_name)}-needs-assessment-{lea.school_year}"
        if i not in doubled:
            planned.append(PlannedLea(lea_seed, lea, base))
            continue
        names = master.choice(load_layout()["duplicate_names"])
        planned.append(PlannedLea(lea_seed, lea, names["newer"].format(base=base),
                                  older_file=names["older"].format(base=base), older_by=master.randint(7, 60)))
    return planned


@dataclass
class _Used:
    """Names, file names and NCES IDs the LEAs of a corpus already have."""

    names: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    nces: set[str] = field(default_factory=set)

    def claim(self, lea: LeaIdentity, taken: set[str]) -> LeaIdentity:
        """``lea``, renamed or renumbered where an earlier LEA has its name or NCES ID."""
        name, k = lea.lea_name, 1
        while name.lower() in self.names or _slug(name) in self.files:
            k += 1
            name = f"{lea.lea_name} No. {k}"
        nces = lea.nces_id
        while nces in self.nces:  # 7 digits: the State's 2 and 5 of its own
            nces = f"{nces[:2]}{(int(nces[2:]) + 1) % 100000:05d}"
        if name != lea.lea_name or nces != lea.nces_id:
            schools = tuple(replace(s, nces_id=nces + s.nces_id[len(lea.nces_id):]) for s in lea.schools)
            lea = replace(lea, lea_name=name, nces_id=nces, schools=schools)
            taken.add(name.lower())
        self.names.add(name.lower())
        self.files.add(_slug(name))
        self.nces.add(nces)
        return lea


# ---------------------------------------------------------------- helpers

def _rng(stream: str, seed: int) -> random.Random:
    """An independent random stream per purpose, so layout never shifts content."""
    return random.Random(f"needsassess-{stream}-{seed}")


def _corpus_messes(mess: str | Mess, n: int, seed: int) -> list[Mess]:
    if isinstance(mess, Mess):
        return [mess] * n
    if mess == "ordinary":
        return [Mess()] * n
    if mess == "random":
        rng = _rng("mess", seed)
        return [Mess.random(rng) for _ in range(n)]
    if mess == "samples":
        return sample_messes(n, _rng("mess", seed))
    raise ValueError(f"mess must be 'samples', 'ordinary', 'random' or a Mess, not {mess!r}")


def _typed(content: LeaContent, mess: Mess, rng: random.Random) -> LeaContent:
    """Apply the mess that changes what is typed: "N/A" answers and data cells."""
    typing = load_layout()["typing"]
    answers = content.answers
    if mess.na_answers > 0:
        answers = tuple(Answer(a.area, a.index, rng.choice(typing["placeholder_answers"]))
                        if rng.random() < mess.na_answers else a for a in answers)
    indicators: Mapping[str, tuple[IndicatorData, ...]] = content.indicators
    if mess.missing_values:
        def blot(value: float | str | None, share: float) -> float | str | None:
            return rng.choice(typing["missing_text"]) if rng.random() < share else value
        indicators = {area: tuple(replace(d, district=blot(d.district, 0.04),
                                          schools=tuple(blot(v, 0.15) for v in d.schools),
                                          state=blot(d.state, 0.08)) for d in rows)
                      for area, rows in content.indicators.items()}
    return replace(content, answers=answers, indicators=indicators)


def _properties(lea: LeaIdentity | None) -> dict[str, Any]:
    title = load_layout()["tool"]["title"]
    if lea is None:
        return {"title": title, "created": BLANK_CREATED}
    done = lea.date_completed
    return {"title": title, "subject": f"{lea.lea_name} {lea.school_year}", "author": lea.contact_name,
            "company": lea.lea_name, "created": datetime(done.year, done.month, done.day, 15, 30, 0)}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _save(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
