"""The statewide overview notebook runs from top to bottom, and is kept without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "statewide_overview.ipynb"


def test_notebook_is_kept_with_outputs_stripped():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebook_runs_on_the_sample_workbooks(tmp_path, monkeypatch):
    pytest.importorskip("ipykernel")
    from nbclient import NotebookClient

    folder = ROOT / "workbooks"
    if not any(folder.glob("*.xlsx")):
        # A fresh checkout without samples: make a few, as `needsassess generate` would.
        from needsassess.generate import generate_corpus

        folder = tmp_path / "workbooks"
        generate_corpus(folder, 6, seed=1)
        monkeypatch.setenv("NEEDSASSESS_WORKBOOKS", str(folder))
    # The kernel imports this checkout of needsassess even when it is not installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if o.get("data", {}).get("text/html", "").find(
        "needsassess-summary") >= 0]
    assert html and "Top topics" in html[0]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # top topics, heat map, ratings and delivery side by side
    # Executing in memory must not write outputs back into the kept notebook.
    assert all(not c.outputs for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
