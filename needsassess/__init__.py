"""needsassess: read a State's Title IV, Part A LEA Needs Assessment Tool
workbooks, rank capacity gaps across LEAs, plan training and technical
assistance, and write a statewide summary workbook.

The public names are loaded on first use, so ``import needsassess`` stays
cheap and the command line never pays for what it does not call.

Examples
--------
>>> import needsassess
>>> needsassess.load_template().areas["SHS"].name
'Safe and Healthy Students'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_workbook": "read",
    "read_folder": "read",
    "Assessment": "read",
    "score": "scoring",
    "Scores": "scoring",
    "summarize": "summary",
    "Summary": "summary",
    "write_summary": "write",
    "load_template": "template",
    "Template": "template",
    "load_taxonomy": "taxonomy",
    "Problem": "problems",
    "ProblemLog": "problems",
    "NeedsassessError": "problems",
    "TemplateError": "problems",
    "OutputError": "problems",
    "InputError": "problems",
    "write_blank_tool": "generate",
    "generate_lea": "generate",
    "generate_corpus": "generate",
    "Mess": "generate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'needsassess' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
