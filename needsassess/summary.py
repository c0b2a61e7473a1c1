"""The statewide result: what :func:`summarize` returns.

A :class:`Summary` holds the reader's :class:`~needsassess.read.Assessment`
and the scorer's :class:`~needsassess.scoring.Scores`, exposes every table as
a DataFrame, shows itself in Jupyter, writes the summary workbook and the
CSV tables, and draws the plots.  It does no reading or scoring of its own.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from . import figures
from .problems import PROBLEM_COLUMNS
from .tables import READER_TABLES, SCORE_TABLES, write_csv_tables
from .template import Template, load_template

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Every table a Summary exposes, with the columns it has at the least.
TABLE_COLUMNS: dict[str, list[str]] = {
    **READER_TABLES,
    "problems": PROBLEM_COLUMNS,
    "files": ["file", "status", "kind"],
    **SCORE_TABLES,
}


def summarize(path: str | Path, *, recursive: bool = True, template: str | Path | Template | None = None,
              taxonomy: Any = None, settings: Any = None,
              progress: Callable[..., Any] | None = None, cache: bool | str | Path | None = None) -> Summary:
    """Read every workbook under ``path``, rank capacity gaps and plan T/TA.

    Nothing is written; call :meth:`Summary.to_excel` for the workbook.

    Parameters
    ----------
    path : str or Path
        The folder of LEA workbooks.
    recursive : bool
        Also read subfolders.
    template : path or Template, optional
        A State's variant of the template description.
    taxonomy, settings : optional
        Passed to :func:`needsassess.scoring.score`: a topic taxonomy, and
        weights and thresholds overriding the defaults.
    progress : callable, optional
        Wraps the file iterator (for example ``tqdm``).
    cache : bool or path, optional
        Take workbooks unchanged since an earlier run from what it read
        (see :func:`needsassess.read.read_folder`; on by default).

    Returns
    -------
    Summary

    Examples
    --------
    >>> summary = summarize("workbooks")  # doctest: +SKIP
    >>> summary.to_excel("statewide-summary.xlsx")  # doctest: +SKIP
    """
    from .read import read_folder

    loaded = load_template(template)
    assessment = read_folder(path, recursive=recursive, template=loaded, progress=progress, cache=cache)
    return Summary.scored(assessment, taxonomy=taxonomy, settings=settings, source=Path(path), template=loaded)


class Summary:
    """The read, scored and planned result for a folder of LEA workbooks.

    Parameters
    ----------
    assessment : Assessment
        The reader's result (tables ``leas``, ``responses``, ``ratings``,
        ``needs``, ``indicators``, ``problems``, ``files``).
    scores : Scores or callable
        The scorer's result (tables ``topics``, ``lea_topics``,
        ``tta_plan``, ``cohorts``, ``tta_requests``, ``spending`` and the
        ``settings`` in force), or a function that gives it, called when the
        scores are first used (see :meth:`scored` with ``aside=True``).
    source : path, optional
        The folder that was read.
    template : path or Template, optional
        The template description used to read it (the default when None).
    created : datetime, optional
        When the result was made (now when None).

    Attributes
    ----------
    tables : dict of str to DataFrame
        Every table by name; each is also an attribute (``summary.topics``).
    """

    leas: pd.DataFrame
    responses: pd.DataFrame
    ratings: pd.DataFrame
    needs: pd.DataFrame
    indicators: pd.DataFrame
    problems: pd.DataFrame
    files: pd.DataFrame
    topics: pd.DataFrame
    lea_topics: pd.DataFrame
    tta_plan: pd.DataFrame
    cohorts: pd.DataFrame
    tta_requests: pd.DataFrame
    spending: pd.DataFrame

    @classmethod
    def scored(cls, assessment: Any, *, taxonomy: Any = None, settings: Any = None,
               source: str | Path | None = None, template: str | Path | Template | None = None,
               aside: bool = False) -> Summary:
        """The summary of an :class:`~needsassess.result.Assessment` read already: score it, plan T/TA.

        ``taxonomy`` and ``settings`` go to :func:`needsassess.scoring.score`;
        ``source`` and ``template`` as for the class.  ``aside=True`` scores
        in a forked process where the system allows (:mod:`needsassess.aside`)
        and returns at once: the scores are waited for when first used, and
        :meth:`to_excel` draws the sheets that need none meanwhile.  A bad
        taxonomy or settings file is an error here either way.
        """
        from .scoring import load_settings, load_taxonomy, score

        tax, st = load_taxonomy(taxonomy), load_settings(settings)

        def scores() -> Any:
            return score(assessment, taxonomy=tax, settings=st)

        if aside:
            from .aside import Aside

            return cls(assessment, Aside(scores).result, source=source, template=template)
        return cls(assessment, scores(), source=source, template=template)

    def __init__(self, assessment: Any, scores: Any, *, source: str | Path | None = None,
                 template: str | Path | Template | None = None, created: dt.datetime | None = None) -> None:
        self.assessment = assessment
        self.source = Path(source) if source is not None else None
        self.template = load_template(template)
        self.created = created or dt.datetime.now().astimezone()
        tables = _tables_of(assessment, [name for name in TABLE_COLUMNS if name not in SCORE_TABLES])
        extra = getattr(assessment, "tabs", None)
        if isinstance(extra, pd.DataFrame):
            tables["tabs"] = extra
        self._tables = tables
        # a function giving the scores when they are still being worked out (see scored), else None
        self._later: Callable[[], Any] | None = scores if callable(scores) else None
        self._scores: Any = None
        if self._later is None:
            self._take_scores(scores)

    def _take_scores(self, scores: Any) -> None:
        self._scores = scores
        self._tables.update(_tables_of(scores, [name for name in TABLE_COLUMNS if name in SCORE_TABLES]))

    def _settle(self) -> None:
        """Wait for scores being worked out aside, and take their tables."""
        if self._later is not None:
            later, self._later = self._later, None
            self._take_scores(later())

    @property
    def scores(self) -> Any:
        """The scorer's :class:`~needsassess.scoring.Scores`."""
        self._settle()
        return self._scores

    @scores.setter
    def scores(self, value: Any) -> None:
        self._later = None
        self._take_scores(value)

    def __getstate__(self) -> dict[str, Any]:
        # pickled or copied: with its scores, not with the way they are being worked out
        self._settle()
        return dict(self.__dict__)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (waiting for the scores, if they are being worked out aside)."""
        self._settle()
        return self._tables

    @tables.setter
    def tables(self, value: dict[str, pd.DataFrame]) -> None:
        self._settle()
        self._tables = value

    def ready_tables(self) -> dict[str, pd.DataFrame]:
        """The tables at hand now: all of them, or the reader's while the scores are being worked out aside."""
        return self._tables

    # -- facts -----------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """The scoring weights and thresholds in force (flat), as the scorer reports them."""
        return dict(getattr(self.scores, "settings", None) or {})

    @property
    def inputs(self) -> list[Path]:
        """Paths of every file found in the input folder (the summary never overwrites them)."""
        files = self._tables["files"]  # a reader table: no need to wait for scores being worked out
        if self.source is None or "file" not in files:
            return []
        base = self.source if self.source.is_dir() else self.source.parent
        found = [base / str(f) for f in files["file"].tolist() if not figures.is_blank(f)]
        return found + ([self.source] if self.source.is_file() else [])

    @property
    def counts(self) -> dict[str, int | float]:
        """The headline figures of the Overview sheet, by key."""
        return figures.headline(self.tables, figures.load_layout())

    # -- display ---------------------------------------------------------------
    def __repr__(self) -> str:
        c = self.counts
        source = f" of {str(self.source)!r}" if self.source is not None else ""
        return (f"<Summary{source}: {c['files_found']} files ({c['files_read']} read, "
                f"{c['files_skipped']} skipped, {c['files_failed']} failed), {c['leas']} LEAs, "
                f"{c['topics']} topics, {c['errors'] + c['warnings']} problems>")

    def _repr_html_(self) -> str:
        c = self.counts
        esc = html.escape
        rows = [("Files found", c["files_found"]), ("Read", c["files_read"]),
                ("Skipped", c["files_skipped"]), ("Failed", c["files_failed"]), ("LEAs", c["leas"]),
                ("Problems", f"{c['errors'] + c['warnings']} ({c['errors']} errors, {c['warnings']} warnings)")]
        table = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:right'>"
                        f"{esc(str(v))}</td></tr>" for k, v in rows)
        top = figures.top_topics(self.topics, 5)
        if top.empty:
            topics = "<p>No topics were found.</p>"
        else:
            shown = figures.load_layout().get("display", {}).get("area", {})
            items = "".join(
                f"<li>{esc(lab)}{f' ({esc(str(shown.get(a, a)))})' if not figures.is_blank(a) else ''}: "
                f"{int(n)} LEAs</li>" for lab, a, n in zip(top["label"], top["area"], top["n_leas"]))
            topics = f"<b>Top topics</b><ol>{items}</ol>"
        title = "Statewide summary" + (f" of {esc(str(self.source))}" if self.source is not None else "")
        names = ", ".join(f"<code>{esc(k)}</code> ({len(v)})" for k, v in self.tables.items())
        return (f"<div class='needsassess-summary'><h4>{title}</h4>"
                f"<p style='color:#666'>made {esc(self.created.strftime('%Y-%m-%d %H:%M'))}</p>"
                f"<table>{table}</table>{topics}<p style='color:#666'>Tables: {names}. "
                "Write the workbook with <code>.to_excel(path)</code>.</p></div>")

    # -- output ----------------------------------------------------------------
    def to_excel(self, path: str | Path, *, overwrite: bool = True) -> Path:
        """Write the statewide summary workbook; see :func:`needsassess.write.write_summary`."""
        from .write import write_summary

        return write_summary(self, path, inputs=self.inputs, overwrite=overwrite)

    def to_csv(self, outdir: str | Path) -> list[Path]:
        """Write every table as ``OUTDIR/<table>.csv`` (:func:`needsassess.tables.write_csv_tables`).

        Raises
        ------
        OutputError
            When the folder cannot be made or written.
        """
        return write_csv_tables(self.tables, outdir)

    # -- plots -----------------------------------------------------------------
    def plot_top_topics(self, ax: Axes | None = None, n: int = 15) -> Axes:
        """Bar chart of the ``n`` best-ranked topics (LEAs with the need)."""
        from .plot import plot_top_topics

        return plot_top_topics(self, ax=ax, n=n)

    def plot_heatmap(self, ax: Axes | None = None) -> Axes:
        """Heat map of LEAs (rows) by topics (columns, by rank)."""
        from .plot import plot_heatmap

        return plot_heatmap(self, ax=ax)

    def plot_ratings(self, ax: Axes | None = None) -> Axes:
        """Stacked bars: share of capacity ratings 1-4 in each area."""
        from .plot import plot_ratings

        return plot_ratings(self, ax=ax)

    def plot_delivery(self, ax: Axes | None = None) -> Axes:
        """Bars: topics of the T/TA plan per delivery."""
        from .plot import plot_delivery

        return plot_delivery(self, ax=ax)


def _tables_of(owner: Any, names: list[str]) -> dict[str, pd.DataFrame]:
    """The tables ``names`` of the reader's or scorer's result (empty, with their columns, when it lacks one)."""
    out = {}
    for name in names:
        found = getattr(owner, name, None)
        out[name] = found if isinstance(found, pd.DataFrame) else pd.DataFrame(columns=TABLE_COLUMNS[name])
    return out


def _table_property(name: str) -> property:
    def get(self: Summary) -> pd.DataFrame:
        return self.tables[name]

    def set_(self: Summary, value: pd.DataFrame) -> None:
        self.tables[name] = value

    return property(get, set_, doc=f"The ``{name}`` table (also ``tables[{name!r}]``).")


# Each table is an attribute that reads and writes ``tables``, so the two never differ.
for _name in TABLE_COLUMNS:
    setattr(Summary, _name, _table_property(_name))
