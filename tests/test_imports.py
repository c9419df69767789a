"""The package's own imports, read from the source: no module imports one
that (directly or through others) imports it back. Imports inside functions
count too: a lazy import is still a dependency."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "emnqa"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def internal_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("emnqa") and target != "emnqa":
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_is_read_from_the_source():
    graph = internal_imports()
    assert "emnqa.answer.abstain" in graph and "emnqa.answer.facts" in graph["emnqa.answer.abstain"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_module_imports_itself_back():
    assert cycles(internal_imports()) == []


# The stages in the order data flows through them: a module may import its
# own stage and the stages before it, never one after it. Top-level modules
# that are not stages (types, errors, config) are the ground floor.
LAYERS = (
    ("emnqa.types", "emnqa.errors", "emnqa.config"),
    ("emnqa.text",),
    ("emnqa.ingest",),
    ("emnqa.store",),
    ("emnqa.language",),
    ("emnqa.query",),
    ("emnqa.retrieve",),
    ("emnqa.answer",),
    ("emnqa.assistant",),
    ("emnqa.evaluation",),
    ("emnqa.web",),
    ("emnqa.cli", "emnqa.__main__"),
)


def layer_of(module: str) -> int:
    for level, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return level
    raise AssertionError(f"{module} belongs to no stage: add it to LAYERS in {__file__}")


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, target)
        for module, targets in graph.items() if module != "emnqa"
        for target in targets if layer_of(target) > layer_of(module)
    )


def test_the_layer_check_catches_an_upward_import():
    assert upward_imports({"emnqa.query.read": {"emnqa.answer.facts"}}) == [("emnqa.query.read", "emnqa.answer.facts")]
    assert upward_imports({"emnqa.answer.select": {"emnqa.query.read", "emnqa.types"}}) == []


def test_imports_only_point_down_the_stages():
    assert upward_imports(internal_imports()) == []


def test_no_function_of_the_answering_stage_is_over_60_lines():
    long = []
    for path in (PACKAGE / "answer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert long == []


def test_the_facade_stays_short():
    assert len((PACKAGE / "assistant.py").read_text(encoding="utf-8").splitlines()) < 150
