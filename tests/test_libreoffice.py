"""LibreOffice opens the summary workbook headless and prints every sheet to PDF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fake_summary import fake_summary
from needsassess.write import write_summary

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on the PATH"),
]


def to_pdf(workbook: Path, outdir: Path) -> tuple[subprocess.CompletedProcess, Path]:
    # A private profile: runs side by side with another soffice, and leaves the user's alone.
    profile = (outdir / "profile").as_uri()
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), str(workbook)],
        capture_output=True, text=True, timeout=240)
    return done, outdir / (workbook.stem + ".pdf")


def test_libreoffice_converts_the_summary_to_pdf_without_errors(tmp_path):
    summary = fake_summary(8)
    workbook = write_summary(summary, tmp_path / "statewide-summary.xlsx")
    done, pdf = to_pdf(workbook, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower().replace("javaldx", ""), done.stderr
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 20_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for title in ("Statewide summary of Title IV, Part A LEA needs assessments", "Headline figures",
                      "T/TA topics ranked statewide",
                      "Answers to the Safe and Healthy Students analysis questions", "LEA profiles",
                      "What could not be read"):
            assert title in text, title
        assert "=SUM(A1:A9)" in text  # formula-like LEA text printed as the LEA typed it
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        n_pages = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
        assert n_pages >= 16  # at least one page per sheet
