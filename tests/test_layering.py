"""The packages' one-way flow (crawler -> index -> search_web, skinmap over all three), pure modules
that import no I/O, and modules a newcomer can read: each opens with a docstring and stays short.

Imports are read from the source (every `import`, at the top or inside a function), never executed.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "index", "search_web", "skinmap")

# What the crawler may use of index: the records it yields and the store it writes them to.
CRAWLER_MAY_IMPORT_FROM_INDEX = {"index.records", "index.store"}
# Modules that think, not fetch: tested without a database, a network or an index on disk.
PURE = (
    "crawler.extract",
    "index.names",
    "index.contact_keys",
    "index.resolve",
    "index.offers",
    "index.provenance",
    "index.query",
)
# Imports that mean I/O: databases, network, processes, the crawl and web frameworks, index files.
IO_MODULES = (
    "sqlite3",
    "socket",
    "ssl",
    "subprocess",
    "multiprocessing",
    "shutil",
    "tempfile",
    "fcntl",
    "http",
    "urllib.request",
    "requests",
    "httpx",
    "redis",
    "scrapy",
    "twisted",
    "starlette",
    "uvicorn",
    "jinja2",
    "whoosh.index",
    "whoosh.filedb",
    "whoosh.writing",
    "whoosh.searching",
)
MAX_LINES = 500
# Files allowed over MAX_LINES for now (none: the extraction work split the practice spider).
LONG_FOR_NOW: set[str] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module `name` imports, absolute, with `from a import b` also giving "a.b"."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def project_imports(name: str) -> set[str]:
    """The project modules `name` imports (a `from package import module` counts as the module)."""
    return {imported for imported in imports_of(name) if imported in modules()}


def within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def offending(rule: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{name} imports {imported}"
        for name in modules()
        if within(name, (rule,))
        for imported in sorted(imports_of(name))
        if within(imported, forbidden)
    ]


def test_the_crawler_never_imports_the_web_the_cli_or_the_search_side_of_index():
    assert offending("crawler", ("search_web", "skinmap")) == []
    from_index = [
        f"{name} imports {imported}"
        for name in modules()
        if within(name, ("crawler",))
        for imported in sorted(project_imports(name))
        if within(imported, ("index",)) and imported not in CRAWLER_MAY_IMPORT_FROM_INDEX
    ]
    assert from_index == []


def test_index_never_imports_the_crawler_the_web_or_the_cli():
    assert offending("index", ("crawler", "search_web", "skinmap")) == []


def test_the_web_never_imports_the_crawler_or_the_cli():
    assert offending("search_web", ("crawler", "skinmap")) == []


@pytest.mark.parametrize("pure", PURE)
def test_pure_modules_import_no_io_not_even_through_the_modules_they_use(pure):
    names = [name for name in modules() if within(name, (pure,))]
    assert names, f"no module {pure}"
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(project_imports(name))
    found = [
        f"{name} imports {imported}"
        for name in sorted(seen)
        for imported in sorted(imports_of(name))
        if within(imported, IO_MODULES)
    ]
    assert found == []


def test_every_module_opens_with_a_docstring():
    missing = [
        name
        for name, path in modules().items()
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []


def test_no_module_is_longer_than_a_newcomer_can_read_unless_its_docstring_says_why():
    long = []
    for path in modules().values():
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(REPO).as_posix()
        if len(text.splitlines()) <= MAX_LINES or relative in LONG_FOR_NOW:
            continue
        if f"over {MAX_LINES} lines" not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{relative}: {len(text.splitlines())} lines")
    assert long == []
