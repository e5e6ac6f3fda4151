"""The packages import each other in one direction only (no import cycles).

Every ``import`` and ``from ... import`` in ``chatserver/`` counts, including
those inside functions and under ``TYPE_CHECKING``: a lazy import hides a
cycle from Python, not from the reader. ``from package import submodule``
depends on the submodule, not on the package's ``__init__``.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_files(package: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``module`` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in modules else base)
        for target in targets:
            owner = _owner(target, modules)
            if owner is not None and owner != module:
                found.add(owner)
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    modules = module_files(package)
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def test_chatserver_has_no_import_cycle() -> None:
    """A topological order of all chatserver modules exists; a cycle names its modules."""
    graph = import_graph("chatserver")
    assert len(graph) > 50  # the walk found the package
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    """The check itself fails on a package whose modules import each other
    (one of them lazily, inside a function)."""
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": set()}
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    modules = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py", "pkg.b": pkg / "b.py"}
    assert imports_of("pkg.a", pkg / "a.py", modules) == {"pkg.b"}
    assert imports_of("pkg.b", pkg / "b.py", modules) == {"pkg.a"}


def test_features_never_import_an_engine() -> None:
    """Only the wiring (app.py, the CLI's storage opener and migrate-to) and the
    storage package itself import the SQLite or PostgreSQL engine."""
    engines = {"chatserver.storage.sqlite", "chatserver.storage.postgres"}
    allowed = {"chatserver.app", "chatserver.cli.migrate_to"}
    graph = import_graph("chatserver")
    offenders = sorted(
        m
        for m, deps in graph.items()
        if deps & engines and m not in allowed and not m.startswith("chatserver.storage")
    )
    assert offenders == []


def test_importing_the_features_loads_no_engine() -> None:
    """At run time too: importing every feature module (in a fresh interpreter)
    loads neither storage engine nor asyncpg; only the wiring does."""
    code = (
        "import sys\n"
        "import chatserver.audit, chatserver.canned, chatserver.admin, chatserver.survey\n"
        "import chatserver.stats.feature, chatserver.flow.handling, chatserver.state\n"
        "print(sorted(m for m in sys.modules if m in "
        "{'chatserver.storage.sqlite', 'chatserver.storage.postgres', 'asyncpg'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
