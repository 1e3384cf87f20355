"""The apps depend one way (docs/architecture.md), and no modules import each other in a
cycle. Reads every import with ``ast``, function-level ones included."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("supportbot", "inference_worker")

# Top imports bottom, never the reverse (DESIGN.md, "Apps and the direction of imports").
# A module may import its own layer and the layers below it; same-layer packages must not
# form a cycle (checked module by module below).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("project wiring", (
        "supportbot", "supportbot.settings", "supportbot.urls", "supportbot.asgi",
        "supportbot.celery", "supportbot.channel_layers", "supportbot.envhelpers",
    )),
    ("analytics and operations", ("supportbot.analytics", "supportbot.ops")),
    ("tickets", ("supportbot.agents",)),
    ("serving", ("supportbot.serving",)),
    ("chat", ("supportbot.chat",)),
    ("services without views", (
        "supportbot.safety", "supportbot.knowledge", "supportbot.experiments",
        "supportbot.detectors", "supportbot.embeddings",
    )),
    ("engine", ("inference_worker",)),
)  # fmt: skip


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``source`` imports anywhere (top level or in a function)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            # The longest known module the name falls in (``a.b.func`` -> ``a.b``).
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    known = set(sources)
    graph = {}
    for module, (source, is_package) in sources.items():
        imported = imports_of(source, module, is_package, known)
        # ``from supportbot.chat import frames`` names the package too; a package's own
        # __init__ is not a dependency worth a cycle when a submodule was meant.
        graph[module] = {
            m
            for m in imported
            if not (sources[m][1] and any(i.startswith(m + ".") for i in imported))
        }
    return graph


def project_sources() -> dict[str, tuple[str, bool]]:
    sources = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            sources[module_name(path, ROOT)] = (path.read_text(), path.name == "__init__.py")
    return sources


def layer_of(module: str) -> int:
    best, index = -1, -1
    for position, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            # The most specific prefix wins ("supportbot" is wiring, "supportbot.chat" chat).
            if matches and len(prefix) > best and (prefix != "supportbot" or module == prefix):
                best, index = len(prefix), position
    return index


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, imported in sorted(graph.items()):
        here = layer_of(module)
        if here < 0:
            problems.append(f"{module} belongs to no layer (add it to LAYERS)")
            continue
        for target in sorted(imported):
            there = layer_of(target)
            if there < here:
                problems.append(
                    f"{module} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})"
                )
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def django_imports(graph_sources: dict[str, tuple[str, bool]]) -> Iterable[str]:
    for module, (source, _pkg) in graph_sources.items():
        if not module.startswith("inference_worker"):
            continue
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("django", "channels", "celery", "supportbot"):
                    yield f"{module} imports {name}"


# -- the project -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph(project_sources())


def test_no_module_imports_against_the_app_order(graph):
    assert upward_imports(graph) == []


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_the_engine_knows_no_django():
    assert list(django_imports(project_sources())) == []


def test_the_celery_app_imports_no_app_at_import_time():
    tree = ast.parse((ROOT / "supportbot" / "celery.py").read_text())
    top_level = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert not [name for name in top_level if name and name.startswith("supportbot")]


def test_chat_never_imports_the_ticket_side_and_metrics_never_import_chat(graph):
    assert not [(m, t) for m, ts in graph.items() if m.startswith("supportbot.chat") for t in ts
                if t.startswith("supportbot.agents")]  # fmt: skip
    assert not [t for t in graph["supportbot.ops.metrics"] if t.startswith("supportbot.chat")]


# -- the checker itself ----------------------------------------------------------------------


def fake(**modules: str) -> dict[str, tuple[str, bool]]:
    return {name.replace("__", "."): (source, False) for name, source in modules.items()}


def test_the_checker_sees_an_upward_import_inside_a_function():
    sources = fake(
        supportbot__chat__services="def f():\n    from supportbot.agents.triggers import g\n",
        supportbot__agents__triggers="from supportbot.chat import services\n",
    )
    problems = upward_imports(import_graph(sources))
    assert problems == [
        "supportbot.chat.services (chat) imports supportbot.agents.triggers (tickets)"
    ]
    assert cycles(import_graph(sources)) == [
        ["supportbot.agents.triggers", "supportbot.chat.services"]
    ]


def test_the_checker_resolves_relative_imports_and_allows_downward_ones():
    sources = fake(
        supportbot__agents__a="from .b import x\nimport supportbot.chat.models\n",
        supportbot__agents__b="x = 1\n",
        supportbot__chat__models="import inference_worker.jobs\n",
        inference_worker__jobs="",
    )
    graph = import_graph(sources)
    assert graph["supportbot.agents.a"] == {"supportbot.agents.b", "supportbot.chat.models"}
    assert upward_imports(graph) == [] and cycles(graph) == []
