"""Every public function, class and method of banlib says what it does (shapes and units where arrays go in or out)."""
import ast
from pathlib import Path

import banlib

PACKAGE = Path(banlib.__file__).parent


def public_definitions(path: Path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                        yield f"{node.name}.{item.name}", item


def test_every_public_definition_has_a_docstring():
    missing = [f"banlib/{path.relative_to(PACKAGE)}: {name}"
               for path in sorted(PACKAGE.rglob("*.py")) for name, node in public_definitions(path)
               if not ast.get_docstring(node)]
    assert missing == [], f"{len(missing)} public definitions without a docstring:\n" + "\n".join(missing)


def test_every_module_has_a_docstring():
    missing = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
               if p.name != "__main__.py" and not ast.get_docstring(ast.parse(p.read_text()))]
    assert missing == []
