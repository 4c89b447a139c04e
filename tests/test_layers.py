"""Imports go one way (README, Layout):

    orchestration/cli  →  orchestration  →  ingestion, expectations, cdp  →  libraries

- `cdp/` is the domain library: it imports only itself (and libraries), no Dagster;
- `ingestion/` imports `cdp.settings` at most; `expectations/` that and `ingestion`; neither
  imports Dagster;
- `orchestration/` (but its `cli/`) never imports the command line nor the tools;
- `tools/` (the generator, the benchmarks) are imported only by the command line, the other
  tools and the tests;
- the dbt project's Python models call the domain library only.

Every import counts, a function's own included (`ast`, no import of the modules).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cdp", "ingestion", "expectations", "orchestration", "tools")
DAGSTER = ("dagster", "dagster_dbt", "dagster_webserver")


def imports(path: Path, tree: ast.AST | None = None) -> Iterator[tuple[int, str]]:
    """(line, module) of every import of the file, relative ones made absolute."""
    tree = tree or ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(path.relative_to(ROOT).with_suffix("").parts)[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            submodules = [f"{module}.{a.name}" for a in node.names if _is_module(f"{module}.{a.name}")]
            for name in submodules or [module]:  # `from cdp import publish`: cdp.publish
                yield node.lineno, name


def _is_module(name: str) -> bool:
    """A module or package of this project."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> str | None:
    """The layer of a module of this project (None: a library)."""
    parts = module.split(".")
    if parts[0] == "orchestration" and parts[1:2] == ["cli"]:
        return "cli"
    return parts[0] if parts[0] in PACKAGES else None


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def problem(importer: str, module: str) -> str | None:
    """What is wrong with `importer` (a layer, `tests` or `dbt`) importing `module`."""
    target = layer(module)
    if importer in ("cdp", "ingestion", "expectations", "dbt") and _under(module, *DAGSTER):
        return "no Dagster below orchestration/"
    if target == "tools" and importer not in ("cli", "tools", "tests"):
        return "tools are imported only by the command line and the tests"
    if target == "cli" and importer not in ("cli", "tests"):
        return "nothing imports the command line"
    allowed = {
        "cdp": {"cdp"},
        "dbt": {"cdp"},
        "ingestion": {"ingestion", "cdp.settings"},
        "expectations": {"expectations", "ingestion", "cdp.settings"},
        "orchestration": {"orchestration", "ingestion", "expectations", "cdp"},
    }.get(importer)
    if allowed is not None and target is not None and not _under(module, *allowed):
        return f"{importer}/ imports only {', '.join(sorted(allowed))}"
    return None


def sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield layer(".".join(path.relative_to(ROOT).with_suffix("").parts)), path
    for path in sorted((ROOT / "dbt_project" / "models").rglob("*.py")):
        yield "dbt", path
    for path in sorted((ROOT / "tests").rglob("*.py")):
        yield "tests", path


def violations(importer: str, path: Path, tree: ast.AST | None = None) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {module}: {why}"
        for line, module in imports(path, tree)
        if (why := problem(importer, module))
    ]


def test_imports_go_one_way():
    found = [line for importer, path in sources() for line in violations(importer, path)]
    assert found == []


def test_every_layer_has_modules():
    """The walk sees every layer (a moved folder would make the test above pass on nothing)."""
    seen = {importer for importer, _ in sources()}
    assert seen == {"cdp", "ingestion", "expectations", "orchestration", "cli", "tools", "dbt",
                    "tests"}


@pytest.mark.parametrize(
    ("file", "line", "wrong"),
    [
        ("cdp/publish.py", "import dagster as dg", "no Dagster below orchestration/"),
        ("cdp/identity/stitch.py", "from orchestration.defs import jobs", "cdp/ imports only cdp"),
        ("ingestion/loader.py", "from cdp.publish import publish", "ingestion/ imports only"),
        ("ingestion/loader.py", "from dagster_dbt import DbtCliResource", "no Dagster below"),
        ("ingestion/loader.py", "from .warehouse import connect", None),
        ("expectations/identity.py", "from cdp import settings", None),
        ("expectations/checks.py", "from cdp.wecom import api", "expectations/ imports only"),
        ("orchestration/defs/jobs.py", "from tools.generate import generate", "tools are"),
        ("orchestration/defs/jobs.py", "from ..cli import run", "nothing imports the command"),
        ("cdp/report/page.py", "from ..wecom import api", None),
        ("cdp/report/page.py", "from .. import settings", None),
        ("tools/bench/scale.py", "from orchestration.cli import main", "nothing imports"),
    ],
)
def test_a_wrong_import_is_found(file, line, wrong):
    """Each rule fails on a violation (and a relative import counts as the absolute one)."""
    path = ROOT / file
    tree = ast.parse(path.read_text(encoding="utf-8") + "\n" + line + "\n")
    importer = layer(".".join(path.relative_to(ROOT).with_suffix("").parts))
    found = violations(importer, path, tree)
    if wrong is None:
        assert found == []
    else:
        assert len(found) == 1 and wrong in found[0], found


def test_the_cdp_script_is_the_command_lines_main():
    """pyproject.toml's `cdp` runs orchestration/cli's main (the tests run `python -m
    orchestration.cli`, the same function)."""
    import importlib
    import tomllib

    from orchestration.cli.main import main

    script = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]["cdp"]
    module, _, name = script.partition(":")
    assert getattr(importlib.import_module(module), name) is main
