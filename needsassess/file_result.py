"""One file's reading, as plain lists: what a reader process sends back.

Kept apart from :mod:`needsassess.result` (which builds the tables with
pandas) so that reading needs neither pandas nor numpy: reader processes
start before the table builder's imports are done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .problems import Problem
from .template import normalize


@dataclass
class FileResult:
    """Everything read from one file, as plain lists (picklable, cheap to merge).

    Row tuples follow the reader tables' columns after ``file`` and
    ``lea_id`` (which are added when the tables are built).
    """

    file: str
    kind: str = ""
    bytes: int = 0
    mtime: float = 0.0
    status: str = "read"
    lea: dict[str, Any] = field(default_factory=dict)
    lea_id: str = ""
    responses: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)
    needs: list[tuple[Any, ...]] = field(default_factory=list)
    indicators: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    tabs: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def identity(self) -> str:
        """What makes two files the same LEA: the LEA ID, else the normalized name."""
        if self.lea.get("lea_id"):
            return "id:" + str(self.lea["lea_id"]).strip().lower()
        if self.lea.get("nces_id"):
            return "nces:" + str(self.lea["nces_id"])
        name = normalize(self.lea.get("lea_name") or "")
        return "name:" + name if name else ""

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)
