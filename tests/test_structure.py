"""The codebase's shape, read from the source with ``ast`` (nothing of the app is imported).

Files stay small enough to read, functions short enough to follow, the project's modules import
each other without cycles, and ``core`` stays free of UI libraries so it runs without them.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ui", "pages")
MAX_FILE_LINES = 450
MAX_PAGE_LINES = 250
MAX_FUNCTION_LINES = 70
UI_LIBRARIES = ("streamlit", "plotly", "pandas", "PIL", "ui", "pages")


def _production_files() -> list[Path]:
    files = [REPO / "app.py"]
    for package in PACKAGES:
        files += sorted((REPO / package).rglob("*.py"))
    return files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":`` at module level."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators
        )
    )


def _imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (functions included), as dotted
    names; ``from ui import state`` yields both ``ui`` and ``ui.state``. A main guard's body
    is left out: it runs only when the file is the program (module ``__main__``)."""
    tree = _tree(path)
    guarded = {id(inner) for node in tree.body if _is_main_guard(node) for inner in ast.walk(node)}
    package = _module_name(path).rsplit(".", 1)[0] if "." in _module_name(path) else ""
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _project_import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in _production_files()}
    return {
        name: {dep for dep in _imported_names(path) if dep in modules and dep != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _functions(path: Path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _ids(files: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO)) for path in files]


@pytest.mark.parametrize("path", _production_files(), ids=_ids(_production_files()))
def test_no_production_file_is_over_450_lines(path):
    lines = _line_count(path)
    assert lines <= MAX_FILE_LINES, (
        f"{path.relative_to(REPO)} has {lines} lines (at most {MAX_FILE_LINES})"
    )


PAGES = sorted((REPO / "pages").glob("*.py"))


@pytest.mark.parametrize("path", PAGES, ids=_ids(PAGES))
def test_pages_are_thin(path):
    lines = _line_count(path)
    assert lines <= MAX_PAGE_LINES, (
        f"{path.relative_to(REPO)} has {lines} lines (a page is at most {MAX_PAGE_LINES})"
    )


@pytest.mark.parametrize("path", _production_files(), ids=_ids(_production_files()))
def test_no_function_is_over_70_lines(path):
    long = [
        f"{path.relative_to(REPO)}:{fn.lineno} {fn.name}() has {fn.end_lineno - fn.lineno + 1}"
        " lines"
        for fn in _functions(path)
        if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"at most {MAX_FUNCTION_LINES} lines per function: " + "; ".join(long)


def test_the_project_modules_import_each_other_without_cycles():
    cycles = _cycles(_project_import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


CORE_FILES = sorted((REPO / "core").rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=_ids(CORE_FILES))
def test_core_imports_no_ui_library(path):
    ui_imports = sorted(
        name for name in _imported_names(path) if name.split(".")[0] in UI_LIBRARIES
    )
    assert not ui_imports, f"{path.relative_to(REPO)} imports {', '.join(ui_imports)}"


# --- the checks themselves -----------------------------------------------------------------------


def test_the_cycle_finder_reports_a_cycle_through_a_from_import():
    graph = {"ui.state": {"ui.loaders"}, "ui.loaders": {"ui.state"}, "core.model": set()}
    assert _cycles(graph) == [["ui.loaders", "ui.state"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_imports_inside_functions_and_from_package_imports_are_seen(tmp_path, monkeypatch):
    source = tmp_path / "ui" / "x.py"
    source.parent.mkdir()
    source.write_text(
        "from ui import state\n"
        "def f():\n    import plotly.express\n"
        "if __name__ == '__main__':\n    import core.cli\n"
    )
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    names = _imported_names(source)
    assert {"ui", "ui.state", "plotly.express"} <= names
    assert "core.cli" not in names


BUILDS_FIGURES = re.compile(r"go\.[A-Z]\w*\(|make_subplots\(")


def test_every_module_that_builds_plotly_figures_imports_pandas_first():
    """Plotly's validators read pandas from sys.modules without importing it: a session building
    a figure while another session's thread was importing pandas failed under load. A
    module-level import makes every thread wait for the whole module before it builds one."""
    builders = [p for p in _production_files() if BUILDS_FIGURES.search(p.read_text())]
    assert builders, "no module builds Plotly figures: the pattern is out of date"
    for path in builders:
        tree = ast.parse(path.read_text())
        top_level = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
        assert "pandas" in top_level, f"{path.relative_to(REPO)} builds figures"
