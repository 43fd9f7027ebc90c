"""The GUI's modules import one another without a cycle: panels take the session or the few
callables they need, never the main window (issue 13). Checked on the source, including the
imports under ``if TYPE_CHECKING:`` and inside functions, which a cycle hides behind."""

from __future__ import annotations

import ast
from pathlib import Path

GUI = Path(__file__).resolve().parent.parent / "desktop" / "gui"


def gui_import_graph() -> dict[str, set[str]]:
    """Module name (e.g. 'main_window') -> the desktop.gui modules it imports, anywhere."""
    names = {p.stem for p in GUI.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in sorted(GUI.glob("*.py")):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "desktop.gui":
                    imported |= {a.name for a in node.names if a.name in names}
                elif node.module.startswith("desktop.gui."):
                    imported.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[2] for a in node.names
                             if a.name.startswith("desktop.gui.")}
        graph[path.stem] = imported - {path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path ['a', 'b', 'a'], or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return []


def test_find_cycle_finds_a_type_checking_cycle():
    assert find_cycle({"main_window": {"review_panel"}, "review_panel": {"main_window"}}) == [
        "main_window", "review_panel", "main_window"]
    assert find_cycle({"main_window": {"review_panel"}, "review_panel": set()}) == []


def test_gui_modules_import_one_another_without_a_cycle():
    graph = gui_import_graph()
    assert "review_panel" in graph["main_window"]  # the graph is read, not empty
    assert find_cycle(graph) == []


def test_only_the_app_imports_the_main_window():
    importers = sorted(m for m, deps in gui_import_graph().items() if "main_window" in deps)
    # the app starts it; `exposure --self-test` renders it offscreen (a start-up of its own)
    assert importers == ["app", "selftest"]
