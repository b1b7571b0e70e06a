"""The package's layering, checked on its source: no import cycle (function-level imports included, imports under
``if TYPE_CHECKING:`` excluded), and renderers under ``eventstudy/report/`` import no computing code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "eventstudy"

#: modules that compute (estimate, test, regress, analyse, orchestrate): a renderer imports none of them
COMPUTING = (
    "eventstudy.abnormal",
    "eventstudy.models",
    "eventstudy.inference",
    "eventstudy.regression",
    "eventstudy.robustness",
    "eventstudy.study",
    "eventstudy.analyse",
    "eventstudy.backends",
    "eventstudy.windows",
    "eventstudy.simulate",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth (functions, methods, branches), except under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports (``from .x import y`` counts ``x``, and ``x.y`` if a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            subs = [f"{prefix}.{a.name}" for a in node.names]
            # ``from pkg import submodule`` imports the submodule; ``from pkg import name`` runs pkg/__init__
            targets = subs + ([prefix] if not all(t in known for t in subs) else [])
        for t in targets:
            # the deepest module of the package that the target names
            while t and t not in known:
                t = t.rpartition(".")[0]
            # a module's own parent packages are imported before it, whatever it says: no edge
            if t and t != name and not name.startswith(t + "."):
                out.add(t)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imported_modules(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def test_the_walker_sees_function_level_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .a import A\n"
        "def f():\n    from .b import B\n    import eventstudy.c\n"
    )
    names = sorted(n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in _imports(tree))
    assert names == ["b", "eventstudy.c", "typing"]


def test_find_cycle_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_graph_has_the_known_edges() -> None:
    graph = import_graph()
    assert "eventstudy.errors" in graph["eventstudy.config"]
    assert "eventstudy.inference.base" in graph["eventstudy.inference"]
    assert "eventstudy.analyse.regressions" in graph["eventstudy.analyse"]  # from . import regressions
    assert "eventstudy.analyse" not in graph["eventstudy.analyse.base"]  # its own package: no edge


def _outside_report(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    report = "eventstudy.report"
    keep = {n for n in graph if not (n == report or n.startswith(report + "."))}
    return {n: {m for m in graph[n] if m in keep} for n in keep}


def test_no_import_cycle_outside_the_report() -> None:
    cycle = find_cycle(_outside_report(import_graph()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(n for n in modules() if n.startswith("eventstudy.report")))
def test_renderers_import_no_computing_code(name: str) -> None:
    graph = import_graph()
    bad = sorted(m for m in graph[name] if any(m == c or m.startswith(c + ".") for c in COMPUTING))
    assert not bad, f"{name} imports computing code: {bad}"


#: what ``from eventstudy import EventStudy`` must not import: each is loaded on first use
HEAVY_ON_USE = (
    "scipy.stats",
    "scipy.special",
    "statsmodels",
    "linearmodels",
    "matplotlib",
    "jinja2",
    "duckdb",
    "exchange_calendars",
    "yfinance",
    "weasyprint",
    "dask",
)


def test_importing_the_package_leaves_heavy_modules_for_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from eventstudy import EventStudy; "
        f"print(','.join(m for m in {HEAVY_ON_USE!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "", f"imported at package import: {out.stdout.strip()}"


def test_renderers_do_not_import_the_results_module_at_run_time() -> None:
    """``res.to_html()`` and ``res.plot()`` import the report lazily; the report reads the results object it is given
    and imports ``eventstudy.results`` for type checking only, so the two never form a cycle."""
    graph = import_graph()
    report = sorted(n for n in graph if n.startswith("eventstudy.report"))
    assert len(report) > 10
    assert [n for n in report if "eventstudy.results" in graph[n]] == []
    assert "eventstudy.report.html" in graph["eventstudy.results"]  # the convenience method stays


def test_the_library_names_no_particular_study() -> None:
    """Nothing under ``eventstudy/`` (code, templates, styles) names the bundled study's groups, signs or events:
    they are data of the study (study.toml, events.csv)."""
    import re

    pattern = re.compile(r"sign_miners|miners_ex_china|china_rare|jun27|rare.earth|defense_us|magnets_china", re.I)
    found = [
        f"{p.relative_to(ROOT.parent)}:{i}"
        for p in sorted(ROOT.rglob("*"))
        if p.is_file() and p.suffix in {".py", ".html", ".css", ".js", ".md", ".toml", ".txt"}
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
