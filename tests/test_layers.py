"""The package's layers import in one direction only (as ``banlib/__init__.py`` says), with no cycles."""
import ast
from pathlib import Path

import banlib

PACKAGE = Path(banlib.__file__).parent
# lower index = lower layer; a module may import only from its own layer or lower ones
LAYERS = [{"config", "tools", "errors", "paths", "files", "provenance", "publishing"}, {"paper"}, {"data"}, {"features"}, {"encoding"}, {"models"}, {"twin"},
          {"analyses"}, {"figures"}, {"book"}, {"cli", "__main__"}]


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"banlib.{module} belongs to no layer; add it to LAYERS and to banlib/__init__.py")


def is_module(dotted: str) -> bool:
    """A module or subpackage of banlib (not an attribute of the root package, such as ``__version__``)."""
    target = PACKAGE.joinpath(*dotted.split("."))
    return target.with_suffix(".py").exists() or target.is_dir()


def imports(path: Path) -> set[str]:
    rel = path.relative_to(PACKAGE).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [".".join(base + [a.name]) for a in node.names]
                found.update(n for n in names if n and is_module(n))
            elif node.module and node.module.startswith("banlib."):
                found.add(node.module[len("banlib."):])
        elif isinstance(node, ast.Import):
            found.update(a.name[len("banlib."):] for a in node.names if a.name.startswith("banlib."))
    return found


def test_every_module_imports_only_downward():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts == ("__init__",):
            continue
        mine = layer_of(".".join(rel.parts))
        for mod in imports(path):
            if mod and layer_of(mod) > mine:
                wrong.append(f"banlib/{rel}.py imports banlib.{mod}")
    assert wrong == []


def test_the_layer_picture_in_the_package_docstring_names_every_layer():
    doc = banlib.__doc__
    for names in LAYERS[:-1]:
        assert any(f"\n    {n}" in doc or f"    {n}," in doc for n in names), names
