"""The notebooks execute headless (the study's on the repository's price snapshot, the own-study one on prices it
builds), and are committed without outputs."""

from __future__ import annotations

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = ["01_rare_earth_deal.ipynb", "02_methods_validation.ipynb", "03_your_own_study.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_no_outputs(repo_dir, name):
    nb = nbformat.read(repo_dir / "notebooks" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebooks_read_no_folder_outside_the_repository(repo_dir):
    for name in NOTEBOOKS:
        assert "shared" not in (repo_dir / "notebooks" / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(repo_dir, prices_dir, name, monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_PRICES_DIR", str(prices_dir))
    path = repo_dir / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute(env=dict(os.environ))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type in ("execute_result", "display_data") and "text/html" in o.get("data", {})
    ]
    if name.startswith("01"):
        assert any("Event study results" in h for h in html)  # the results object rendered itself (its summary)
        assert any("jun27_deal_formalised" in h or "miners_ex_china" in h for h in html)
    elif name.startswith("03"):
        assert any("Event study results" in h for h in html)
        assert any("Machine makers" in h for h in html)  # the study's own label reached the settings
    else:
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert "largest difference engine vs hand" in text
