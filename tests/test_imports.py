"""No import cycle between the modules of aelib, read from their source (nothing is imported).

A cycle makes the order of imports matter and hides half-initialised modules; the model registry
exists so that :mod:`aelib.models` need not import the modules that define model kinds."""

import ast
from pathlib import Path

AELIB = Path(__file__).resolve().parent.parent / "aelib"


def imports(path: Path, names: set[str], module_level: bool = True) -> set[str]:
    """The aelib modules (of ``names``) that the source file ``path`` imports: at module level only
    (statements that run when it is imported, class bodies included), or anywhere."""
    found = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("aelib."))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1 or (node.level == 0 and (node.module or "").split(".")[0] == "aelib"):
                    module = node.module if node.level == 1 else node.module.partition(".")[2]
                    found.update([module.split(".")[0]] if module else [a.name for a in node.names])
            elif module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(path.read_text()).body)
    return found & names


def import_graph(package: Path, module_level: bool = True) -> dict[str, set[str]]:
    names = {p.stem for p in package.glob("*.py")} - {"__init__"}
    return {m: imports(package / f"{m}.py", names, module_level) for m in sorted(names)}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles a depth-first walk of ``graph`` meets, each as a path back to its start:
    at least one if there is any cycle, none if there is not."""
    found, done = [], set()

    def walk(path):
        for nxt in sorted(graph[path[-1]]):
            if nxt in path:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                walk(path + [nxt])
        done.add(path[-1])

    for module in sorted(graph):
        if module not in done:
            walk([module])
    return found


def test_aelib_modules_import_each_other_without_a_cycle():
    assert cycles(import_graph(AELIB)) == []


def test_no_cycle_even_counting_imports_inside_functions():
    graph = import_graph(AELIB, module_level=False)
    assert cycles(graph) == []
    assert not graph["models"] & {"attention", "diffusion"}  # the registry, not models, knows every kind


def test_the_check_finds_a_cycle(tmp_path):
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("import aelib.c\n")
    (tmp_path / "c.py").write_text("from .a import x\n")
    (tmp_path / "d.py").write_text("def f():\n    from . import a\n")
    (tmp_path / "e.py").write_text("from aelib import d\n")
    assert cycles(import_graph(tmp_path)) == [["a", "b", "c", "a"]]
    (tmp_path / "a.py").write_text("from . import b, d\n")
    assert cycles(import_graph(tmp_path)) == [["a", "b", "c", "a"]]           # d imports a inside a function
    assert sorted(cycles(import_graph(tmp_path, module_level=False))) == [["a", "b", "c", "a"], ["a", "d", "a"]]
