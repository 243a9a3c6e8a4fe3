"""The packages import only downwards, and only the app factory imports the blueprints.

The layers, lowest first (README.md, "Project layout"): a module may import from its own
package and from any lower layer, never from a higher one or from another package of its
own layer.
"""
import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
LAYERS = (
    ("course.core",),
    ("course.content", "accounts"),
    ("quizzes",),
    ("credits",),
    ("reports", "lti"),
    ("course.pages", "staff"),
    ("course",),  # course/__init__.py: create_app()
)
PACKAGES = ("course", "accounts", "quizzes", "credits", "reports", "lti", "staff")
FACTORY = "course"


def unit_of(module: str) -> str | None:
    """The package (layer unit) a dotted module name belongs to, or None outside the project."""
    units = sorted((unit for layer in LAYERS for unit in layer), key=len, reverse=True)
    return next((unit for unit in units if module == unit or module.startswith(unit + ".")), None)


def layer_of(unit: str) -> int:
    return next(index for index, layer in enumerate(LAYERS) if unit in layer)


def imported_modules(module: str, source: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of everything `module` imports, relative imports resolved, names
    imported from a package counted as its submodules."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layering_problems(module: str, source: str, is_package: bool = False) -> list[str]:
    own = unit_of(module)
    problems = []
    for line, target in imported_modules(module, source, is_package):
        unit = unit_of(target)
        if unit is None or unit == own:
            continue
        if layer_of(unit) >= layer_of(own):
            problems.append(f"{module}:{line} imports {target} ({unit} is not below {own})")
    for line, target in imported_modules(module, source, is_package):
        if (target.endswith(".views") or ".views." in target) and module != FACTORY and unit_of(target) != own:
            problems.append(f"{module}:{line} imports the blueprint module {target}; only the factory may")
    return problems


def project_modules():
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            parts = path.relative_to(PROJECT).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), path, is_package


def test_every_module_belongs_to_a_layer():
    assert [name for name, _, _ in project_modules() if unit_of(name) is None] == []


def test_no_module_imports_upwards_or_imports_a_blueprint():
    problems = [problem for name, path, is_package in project_modules()
                for problem in layering_problems(name, path.read_text(encoding="utf-8"), is_package)]
    assert problems == []


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("course.core.filters", "from credits.models import Certificate", "not below course.core"),
    ("quizzes.attempts", "from credits import claims", "not below quizzes"),
    ("credits.claims", "import reports.exports", "not below credits"),
    ("accounts.users", "from course.content.model import Course", "not below accounts"),  # same layer
    ("course.pages.views", "from staff.admin import views", "only the factory may"),
    ("credits.views", "from ..quizzes.views import bp", "only the factory may"),
])
def test_the_check_catches_each_kind_of_wrong_import(module, source, expected):
    problems = layering_problems(module, source)
    assert any(expected in problem for problem in problems), problems


def test_the_check_allows_downward_and_own_package_imports():
    source = "from course.core.extensions import db\nfrom accounts.models import User\nfrom .eligibility import Offer"
    assert layering_problems("credits.claims", source) == []
    assert layering_problems("course", "from accounts.views import bp", is_package=True) == []
