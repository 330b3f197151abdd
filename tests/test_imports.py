"""The package's architecture, read from its imports (at the top and inside
functions): no module imports a layer above its own, and no two modules
import each other, directly or round a longer loop."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "empirical_size"
NAME = PACKAGE.name
# Lowest first: a module may import its own layer and those below it.
LAYERS = [
    ("", "paper"),  # the package root and the paper's settings
    ("science",),  # numpy: weights, data, targets, pieces, random streams
    ("engine",),  # the trainers
    ("training",),  # one training job
    ("plan",),  # records, registry, requests, code triggers
    ("analysis",),  # merging, plotting helpers, statistics, claims, report
    ("experiments",),  # each experiment whole
    ("tools",),  # bench, estimate
    ("cli", "__main__"),
]


def module_name(path: Path) -> str:
    parts = [NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its source."""
    path = MODULES[module]
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            origin = ".".join(base + (node.module.split(".") if node.module else []))
            names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in MODULES else origin for a in node.names]
        else:
            continue
        found.update(n for n in names if n in MODULES and n != module)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(module)  # StopIteration names nothing: fail with the module
    assert all(any(m.split(".")[1:2] == [n] or (n == "" and m == NAME) for names in LAYERS for n in names) for m in MODULES)


def test_no_module_imports_a_layer_above_its_own():
    upward = sorted(f"{m} imports {o}" for m, out in GRAPH.items() for o in out if layer(o) > layer(m))
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    """Every strongly connected set of modules is one module (Tarjan)."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                pairs = [f"{a} imports {b}" for a in sorted(group) for b in sorted(GRAPH[a] & set(group))]
                cycles.append(", ".join(pairs))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("broken", ["upward", "cycle"])
def test_the_checks_fail_on_a_broken_graph(broken, monkeypatch):
    """The two checks above can fail: an engine module importing an
    experiment, and two science modules importing each other."""
    graph = {m: set(out) for m, out in GRAPH.items()}
    science = sorted(m for m in MODULES if m.startswith(f"{NAME}.science."))
    if broken == "upward":
        graph[f"{NAME}.engine.trainer"].add(f"{NAME}.experiments.size.job")
        monkeypatch.setattr(__import__(__name__), "GRAPH", graph)
        with pytest.raises(AssertionError, match="engine.trainer imports empirical_size.experiments.size.job"):
            test_no_module_imports_a_layer_above_its_own()
    else:
        graph[science[0]].add(science[1])
        graph[science[1]].add(science[0])
        monkeypatch.setattr(__import__(__name__), "GRAPH", graph)
        with pytest.raises(AssertionError, match="imports"):
            test_no_import_cycles()
