"""The library code a step depends on, derived from its imports.

A training job runs :mod:`empirical_size.training.job` and its experiment's job module;
what they import (at the top or inside functions, read from the source,
nothing imported here) and the package data files they name (the CPU
kernel's source, the paper's values) are its code. The workflow turns that
into a fingerprint parameter, so that editing any of it reruns the step and
editing anything else (a figure's module, say) does not.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the package root (this module lives in plan/)
FILE_NAME = re.compile(r"[\w-]+\.\w+")  # "cpu_kernel.cpp", not a path or a sentence
NAME = PACKAGE.name


def _module_file(module: str) -> Path | None:
    """The source of ``empirical_size.<...>``, or None (not ours, or not a module)."""
    parts = module.split(".")
    if parts[0] != NAME:
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [NAME, *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache  # each file parsed once however many rules' triggers walk it (keyed by its content)
def _imports(path: Path, source: bytes) -> tuple[frozenset[str], frozenset[Path]]:
    """Modules of the package that ``path`` imports anywhere, and package
    files its string constants name (``Path(__file__).with_name("x.cpp")``)."""
    tree = ast.parse(source, filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    modules, data = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            origin = ".".join(base + (node.module.split(".") if node.module else []))
            modules.add(origin)
            modules.update(f"{origin}.{alias.name}" for alias in node.names)  # submodules imported by name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and FILE_NAME.fullmatch(node.value):
            named = path.parent / node.value
            if named.suffix != ".py" and named.is_file():
                data.add(named)
    return frozenset(modules), frozenset(data)


@functools.cache
def files(*modules: str) -> tuple[Path, ...]:
    """Every package file the modules need: their sources, the sources they
    import (transitively), the packages around them, and named data files."""
    seen: set[Path] = set()
    todo = [m for m in modules]
    while todo:
        module = todo.pop()
        parts = module.split(".")
        # importing a.b.c runs a/__init__.py and a/b/__init__.py first
        for i in range(1, len(parts) + 1):
            path = _module_file(".".join(parts[:i]))
            if path is None or path in seen:
                continue
            seen.add(path)
            found, data = _imports(path, path.read_bytes())
            seen.update(data)
            todo.extend(found)
    if not any(_module_file(m) for m in modules):
        raise ValueError(f"no module of {NAME} among {modules}")
    return tuple(sorted(seen))


@functools.cache
def _docstring_only(source: bytes) -> bool:
    """A Python module of nothing but its docstring (a package's ``__init__``)."""
    body = ast.parse(source).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) for node in body)


def fingerprint(*modules: str) -> str:
    """A digest of :func:`files`' names and contents: the code trigger. A
    module of nothing but its docstring counts by its name alone: editing
    the words of a package's ``__init__`` reruns nothing."""
    digest = hashlib.sha256()
    for path in files(*modules):
        content = path.read_bytes()
        if path.suffix == ".py" and _docstring_only(content):
            content = b""
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def digest(*paths: Path) -> str:
    """A digest of files' contents (data a rule reads that no import names)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes() + b"\0")
    return h.hexdigest()[:16]
