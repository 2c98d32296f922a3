"""The shape of the house: imports point one way, bot/ has no import cycles, Service knows no channel,
and no file of the project reaches outside the repository."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["lesson_bank", "schedules", "digests", "bot"]


def modules(package: str) -> dict[str, Path]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def all_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_layers_import_only_to_their_left():
    for position, package in enumerate(LAYERS):
        higher = LAYERS[position + 1 :]
        for name, path in modules(package).items():
            bad = {imp for imp in all_imports(path) if imp.split(".")[0] in higher}
            assert not bad, f"{name} imports {sorted(bad)} from a higher layer"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_bot_has_no_import_cycles():
    mods = modules("bot")
    graph = {name: {imp for imp in top_level_imports(path) if imp in mods and imp != name} for name, path in mods.items()}
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_service_imports_no_channel():
    imports = all_imports(ROOT / "bot" / "core" / "service.py")
    assert not {imp for imp in imports if imp.startswith(("bot.slack", "bot.teams", "bot.email"))}


def test_core_does_not_reach_into_the_rooms():
    for name, path in modules("bot.core".replace(".", "/")).items():
        bad = {imp for imp in all_imports(path) if re.match(r"bot\.(slack|teams|email|web|jobs|cli)\b", imp)}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_nothing_reads_outside_the_repository():
    pattern = re.compile(r"""["'/]\.\./shared|parents\[\d\]\s*/\s*["']shared["']|parent\s*/\s*["']shared["']""")
    for path in ROOT.rglob("*"):
        if path.suffix not in {".py", ".toml", ".cfg", ".ini", ".sh"} and path.name not in {"run", "Dockerfile"}:
            continue
        if {".venv", ".git", "node_modules"} & set(path.parts):
            continue
        text = path.read_text(errors="replace")
        assert not pattern.search(text), f"{path.relative_to(ROOT)} refers to the shared folder beside the repository"
