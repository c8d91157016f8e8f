"""Who may import whom, read from the source (no module is executed): every import statement
of every module — at the top, inside functions, under TYPE_CHECKING — checked against a table.

Patterns name modules with dots: `*` stands for one name and `**` for any number (none too),
so `edge.**` is the edge package and everything in it, and `cloud_hub.*.core` a layer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGES = ("protocol", "edge", "cloud_hub", "pda_app", "firmware_bridge", "deploy", "bench",
            "tests")
_DYNAMIC = {"import_module", "__import__"}  # importlib.import_module("x"), __import__("x")


@dataclass(frozen=True, slots=True)
class Import:
    target: str  # absolute dotted name: our module when it is one, else what the line names
    line: int
    lazy: bool = False  # in a function body or under TYPE_CHECKING: not run on import


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: str
    imports: tuple[Import, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """Modules matching `where` may import, of our own packages, only what matches `allow`
    (None: any), and nothing (ours or a library) that matches `forbid`. With `transitive`,
    `forbid` binds everything of ours they import too, however deep: what Python loads."""

    name: str
    where: tuple[str, ...]
    allow: tuple[str, ...] | None = None
    forbid: tuple[str, ...] = ()
    transitive: bool = False


@dataclass(frozen=True, slots=True)
class Known:
    """A violation the table tolerates for now, and why; it must keep occurring (a fixed one
    is deleted from the table, like a strict xfail)."""

    module: str
    target: str  # pattern
    why: str


@dataclass(frozen=True, slots=True)
class Violation:
    module: str
    path: str
    line: int
    target: str
    rule: str
    via: tuple[str, ...] = ()  # for a transitive rule: the chain from the module to `path`

    def __str__(self) -> str:
        chain = "".join(f" -> {m}" for m in self.via)
        return (f"{self.path}:{self.line}: {self.module}{chain} imports {self.target}"
                f" — breaks {self.rule!r}")


@dataclass
class Project:
    modules: dict[str, Module] = field(default_factory=dict)

    @classmethod
    def from_sources(cls, sources: Mapping[str, str]) -> Project:
        """Modules from text: a name ending in `.__init__` is a package."""
        packages = {n.removesuffix(".__init__") for n in sources if n.endswith(".__init__")}
        names = {n.removesuffix(".__init__") for n in sources}
        project = cls()
        for raw, text in sources.items():
            name = raw.removesuffix(".__init__")
            path = raw.replace(".", "/") + ".py"
            tree = ast.parse(text, filename=path)
            found = tuple(_imports(tree, name, name in packages, names))
            project.modules[name] = Module(name, path, found)
        return project

    @classmethod
    def from_directory(cls, root: Path, packages: Iterable[str] = PACKAGES) -> Project:
        sources: dict[str, str] = {}
        for package in packages:
            for file in sorted((root / package).rglob("*.py")):
                rel = file.relative_to(root).with_suffix("")
                sources[".".join(rel.parts)] = file.read_text(encoding="utf-8")
        return cls.from_sources(sources)

    def ours(self, target: str) -> str | None:
        """The module of ours `target` names (itself or its nearest enclosing module)."""
        while target and target not in self.modules:
            target = target.rpartition(".")[0]
        return target or None

    def loads(self, name: str) -> list[str]:
        """The modules of ours that importing `name` runs first: its enclosing packages."""
        parts = name.split(".")
        return [p for p in (".".join(parts[:i]) for i in range(1, len(parts)))
                if p in self.modules]


def _imports(tree: ast.AST, name: str, is_package: bool, known: set[str]) -> list[Import]:
    finder = _ImportFinder(name if is_package else name.rpartition(".")[0], known)
    finder.visit(tree)
    return finder.found


class _ImportFinder(ast.NodeVisitor):
    """Imports anywhere in a module; those in a function body or under `if TYPE_CHECKING:`
    are `lazy` (not run when the module is imported)."""

    def __init__(self, package: str, known: set[str]) -> None:
        self.package, self.known = package, known
        self.found: list[Import] = []
        self.lazy = 0

    def _inside(self, nodes: Iterable[ast.AST]) -> None:
        self.lazy += 1
        for node in nodes:
            self.visit(node)
        self.lazy -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for ran in [*node.decorator_list, node.args]:  # these run when the def does
            self.visit(ran)
        self._inside(node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING":
            self._inside(node.body)
            for other in node.orelse:
                self.visit(other)
        else:
            self.generic_visit(node)

    def _add(self, target: str, line: int) -> None:
        self.found.append(Import(target, line, self.lazy > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            up = ".".join(parts[: len(parts) - node.level + 1])
            base = ".".join(p for p in (up, base) if p)
        subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in self.known]
        if len(subs) < len(node.names):  # some names are attributes of `base` itself
            self._add(base, node.lineno)
        for sub in subs:
            self._add(sub, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        first = node.args[0] if node.args else None
        if (isinstance(first, ast.Constant) and isinstance(first.value, str)
                and _called(node.func) in _DYNAMIC):
            self._add(first.value, node.lineno)
        self.generic_visit(node)


def _called(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    parts = []
    for i, part in enumerate(pattern.split(".")):
        dot = r"\." if i else ""
        if part == "**":
            parts.append(r"(?:\.[^.]+)*" if i else r"(?:[^.]+(?:\.[^.]+)*)?")
        else:
            parts.append(dot + re.escape(part).replace(r"\*", "[^.]+"))
    return re.compile("".join(parts) + r"\Z")


def matches(name: str, patterns: Iterable[str]) -> bool:
    return any(_pattern(p).match(name) for p in patterns)


def _is_known(module: str, target: str, known: Iterable[Known]) -> bool:
    return any(k.module == module and matches(target, [k.target]) for k in known)


def check(project: Project, rules: Iterable[Rule], known: Iterable[Known] = ()) -> list[Violation]:
    """Every import that breaks a rule, in module order."""
    known = tuple(known)
    out: list[Violation] = []
    for rule in rules:
        for module in sorted(project.modules.values(), key=lambda m: m.name):
            if not matches(module.name, rule.where):
                continue
            for imp in module.imports:
                if _is_known(module.name, imp.target, known):
                    continue
                ours = project.ours(imp.target)
                refused = ours is not None and rule.allow is not None and not (
                    matches(ours, rule.allow))
                if refused or matches(imp.target, rule.forbid):
                    out.append(Violation(module.name, module.path, imp.line, imp.target,
                                         rule.name))
            if rule.transitive and rule.forbid:
                out.extend(_deep(project, module, rule, known))
    return out


def unneeded(project: Project, rules: Iterable[Rule], known: Iterable[Known]) -> list[Known]:
    """The known exceptions that no longer excuse anything: to be deleted from the table."""
    broken = [(v.module, v.target) for v in check(project, rules)]
    return [k for k in known
            if not any(m == k.module and matches(t, [k.target]) for m, t in broken)]


def _deep(project: Project, start: Module, rule: Rule, known: tuple[Known, ...]
          ) -> Iterator[Violation]:
    """Forbidden imports in what importing `start` loads (its own, lazy ones included, are
    reported by check): breadth first, so each chain shown is a shortest one."""
    chains: dict[str, tuple[str, ...]] = {start.name: ()}
    chains.update((parent, (parent,)) for parent in project.loads(start.name))
    queue = list(chains)
    while queue:
        name = queue.pop(0)
        module = project.modules[name]
        for imp in module.imports:
            ours = project.ours(imp.target)
            if ours is None or imp.lazy or _is_known(name, imp.target, known):
                continue
            for loaded in [*project.loads(ours), ours]:
                if loaded not in chains:
                    chains[loaded] = (*chains[name], loaded)
                    queue.append(loaded)
    for name, chain in chains.items():
        if not chain:
            continue
        module = project.modules[name]
        for imp in module.imports:
            if (not imp.lazy and matches(imp.target, rule.forbid)
                    and not _is_known(name, imp.target, known)):
                yield Violation(start.name, module.path, imp.line, imp.target, rule.name, chain)


def cycles(project: Project, group: Callable[[str], str | None],
           known: Iterable[Known] = ()) -> list[list[str]]:
    """Circles between groups of modules (e.g. top-level packages), each with one import
    per step as `a -> b (module:line)`; imports inside a group do not count."""
    known = tuple(known)
    edges: dict[str, dict[str, str]] = {}
    for module in project.modules.values():
        source = group(module.name)
        for imp in module.imports:
            ours = project.ours(imp.target)
            target = group(ours) if ours else None
            if (source is None or target is None or target == source
                    or _is_known(module.name, imp.target, known)):
                continue
            edges.setdefault(source, {}).setdefault(target, f"{module.path}:{imp.line}")
    return [_describe(c, edges) for c in _strongly_connected(edges) if len(c) > 1]


def _strongly_connected(edges: Mapping[str, Mapping[str, str]]) -> list[list[str]]:
    """Tarjan's algorithm over a small graph (recursion depth: the number of groups)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str], edges: Mapping[str, Mapping[str, str]]) -> list[str]:
    members = set(component)
    return [f"{a} -> {b} ({where})" for a in component
            for b, where in sorted(edges.get(a, {}).items()) if b in members]


def top_level(name: str) -> str:
    return name.partition(".")[0]
