"""The layers of docs/architecture.md hold in the code: every module is placed
in a layer, imports (function-level ones included) go to the same or a lower
layer only, they form no circle, and no private name crosses a module."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bifurc"
STUDIES = ROOT / "studies"


def modules() -> dict:
    """{dotted name relative to bifurc: (path, is_package)}; the kernel templates
    (appended to generated code, never imported) are one entry, ``kernels``."""
    found = {"studies": (STUDIES / "__init__.py", True)}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[0] == "kernels":
            continue
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        found[name] = (path, is_package)
    found["kernels"] = (PACKAGE / "kernels" / "__init__.py", True)
    for path in STUDIES.glob("*.py"):
        if path.name != "__init__.py":
            found[f"studies.{path.stem}"] = (path, False)
    return found


def imports_of(name: str, path: Path, is_package: bool, known) -> list:
    """[(imported module, imported name or None)] of every bifurc import in the file."""
    base = name.split(".") if name else []
    if not is_package:
        base = base[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name.removeprefix("bifurc."), None) for a in node.names
                      if a.name.startswith("bifurc.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                if name.startswith("studies"):  # bifurc.studies is the folder studies/
                    anchor = ["studies"]
                target = ".".join(anchor + ([node.module] if node.module else []))
            elif node.module and (node.module == "bifurc" or node.module.startswith("bifurc.")):
                target = node.module.removeprefix("bifurc").lstrip(".")
                if target.startswith("studies"):
                    pass
            else:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}".strip(".")
                found.append((full, None) if full in known else (target, alias.name))
    return [(module, item) for module, item in found if module in known and module != name]


def layers() -> dict:
    """{module: layer number} from the table of docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = {}
    for number, cell in re.findall(r"^\| (\d) [^|]*\| (.*) \|$", text, flags=re.M):
        for module in re.findall(r"`([\w.]+)`", cell):
            table[module] = int(number)
    return table


def layer_of(table: dict, module: str):
    """The layer of ``module``: its own row, else its package's (``studies``
    places every study module)."""
    while module not in table and "." in module:
        module = module.rpartition(".")[0]
    return table.get(module)


def test_every_module_is_placed_in_a_layer():
    table = layers()
    missing = sorted(m for m in set(modules()) - {""} if layer_of(table, m) is None)
    stale = sorted(set(table) - set(modules()))
    assert not missing, f"place these modules in docs/architecture.md: {missing}"
    assert not stale, f"docs/architecture.md lists modules that do not exist: {stale}"


def test_imports_go_down_or_sideways_only():
    table, known = layers(), modules()
    upward = []
    for name, (path, is_package) in known.items():
        if not name:
            continue
        for target, _ in imports_of(name, path, is_package, known):
            if target and layer_of(table, target) > layer_of(table, name):
                upward.append(f"{name} (layer {layer_of(table, name)}) imports {target} "
                              f"(layer {layer_of(table, target)})")
    assert not upward, "\n".join(upward)


def import_graph() -> dict:
    known = modules()
    graph = {}
    for name, (path, is_package) in known.items():
        targets = set()
        for target, _ in imports_of(name, path, is_package, known):
            # a package importing its own submodules only re-exports them
            if is_package and target.startswith(f"{name}."):
                continue
            targets.add(target)
        graph[name] = targets - {""}
    return graph


def circles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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


def test_circle_detection_finds_a_planted_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_no_private_names_cross_modules():
    known = modules()
    crossing = [f"{name} imports {item} from {target}"
                for name, (path, is_package) in known.items() if name
                for target, item in imports_of(name, path, is_package, known)
                if item and item.startswith("_") and not item.startswith("__")]
    assert not crossing, "\n".join(crossing)


@pytest.mark.parametrize("source, expected", [
    ("from .model import Model\n", [("model", "Model")]),
    ("def f():\n    from ..codegen import compile_model\n", [("codegen", "compile_model")]),
])
def test_imports_are_read_inside_functions_too(tmp_path, source, expected):
    path = tmp_path / "x.py"
    path.write_text(source)
    name = "continuation.x" if source.startswith("def") else "x"
    known = {"model": None, "codegen": None, "continuation.x": None, "x": None}
    assert imports_of(name, path, False, known) == expected


def test_every_package_is_installed_by_a_normal_install():
    """pyproject.toml lists every package of bifurc/ (an editable install would
    hide a missing one: a normal install leaves it out)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {"bifurc." + ".".join(path.parent.relative_to(PACKAGE).parts)
             for path in PACKAGE.rglob("__init__.py")}
    found = {name.rstrip(".") for name in found}
    assert found <= listed, f"add to pyproject.toml: {sorted(found - listed)}"
