"""Problem records and the exception tree."""

from __future__ import annotations

import pytest

from needsassess.problems import CODES, NeedsassessError, OutputError, ProblemLog, TemplateError, InputError


def test_log_fills_default_severity_and_meaning():
    log = ProblemLog()
    p = log.add("file-encrypted", "a.xlsx")
    assert p.severity == "error"
    assert "password" in p.message
    log.add("field-missing", "a.xlsx", sheet="1. LEA Information", cell="B4", message="no NCES ID")
    assert log.count("error") == 1 and log.count("warning") == 1 and len(log) == 2


def test_frame_puts_errors_first_and_keeps_discovery_order():
    log = ProblemLog()
    log.add("field-missing", "a.xlsx", message="w1")
    log.add("file-corrupt", "b.xlsx", message="e1")
    log.add("field-empty", "a.xlsx", message="w2")
    log.add("file-empty", "c.xlsx", message="e2")
    frame = log.to_frame()
    assert list(frame.columns) == ["file", "sheet", "cell", "severity", "code", "message"]
    assert list(frame["message"]) == ["e1", "e2", "w1", "w2"]


def test_empty_log_gives_headers():
    frame = ProblemLog().to_frame()
    assert frame.empty and list(frame.columns) == ["file", "sheet", "cell", "severity", "code", "message"]


def test_unknown_code_is_refused():
    with pytest.raises(KeyError):
        ProblemLog().add("no-such-code", "a.xlsx")


def test_codes_are_stable_kebab_case_with_known_severity():
    for code, (severity, meaning) in CODES.items():
        assert code == code.lower() and " " not in code
        assert severity in {"error", "warning"}
        assert meaning.endswith(".")


@pytest.mark.parametrize(("cls", "builtin"), [(TemplateError, ValueError), (OutputError, OSError),
                                              (InputError, FileNotFoundError)])
def test_exceptions_inherit_base_and_builtin(cls, builtin):
    assert issubclass(cls, NeedsassessError) and issubclass(cls, builtin)


def test_every_code_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "problems.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in doc]
    assert not missing, f"add these codes to docs/problems.md: {missing}"
