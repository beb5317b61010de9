"""Issue 14: nothing outside ``ui/textual_compat.py`` touches a private Textual name.

Textual's private names are collected from its own source: every ``_name`` (not a
dunder) defined in a textual module (functions, classes, methods, class attributes) or
assigned as ``self._name``. A module of ours may not read or write such an attribute,
override such a method, or import from a private textual module or a private name.
Names of our own that happen to be spelled like one of Textual's are renamed: they
would override Textual's silently.

``REMAINING`` listed what was still to be moved (issue 14, point 1); it is empty.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from functools import lru_cache
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "portplus_tui" / "ui"
COMPAT = "portplus_tui/ui/textual_compat.py"

#: (module, name) still to be moved into the compat module or replaced by public API:
#: none any more (issue 14, point 1)
REMAINING: set[tuple[str, str]] = set()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _assigned_on_self(cls: type) -> set[str]:
    """``self._name = ...`` in the class's own source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return set()
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "self" and isinstance(node.ctx, ast.Store)}


@lru_cache(maxsize=1)
def textual_private_names() -> frozenset[str]:
    """Private names of every Textual class one of our UI classes stands on (its MRO),
    and of the textual modules we import from."""
    names: set[str] = set()
    seen: set[type] = set()
    for module in ui_modules():
        for value in list(vars(module).values()):
            if not isinstance(value, type):
                continue
            for base in value.__mro__:
                if base in seen or not base.__module__.startswith("textual"):
                    continue
                seen.add(base)
                names.update(vars(base))
                names.update(_assigned_on_self(base))
    for module_name in {m.__name__ for m in textual_modules()}:
        names.update(vars(importlib.import_module(module_name)))
    return frozenset(name for name in names if _private(name))


def ui_modules() -> list:
    modules = []
    for path in sorted(UI.rglob("*.py")):
        relative = path.relative_to(UI.parents[1]).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        modules.append(importlib.import_module(name))
    return modules


def textual_modules() -> list:
    found = set()
    for module in ui_modules():
        for value in vars(module).values():
            owner = getattr(value, "__module__", None) if not inspect.ismodule(value) \
                else value.__name__
            if isinstance(owner, str) and owner.startswith("textual"):
                found.add(importlib.import_module(owner))
    return sorted(found, key=lambda m: m.__name__)


@lru_cache(maxsize=1)
def all_textual_private_names() -> frozenset[str]:
    """Private names of every class and module in Textual (for ``obj._name`` where obj
    is not ``self``: a stylesheet, a node list, a compositor)."""
    import textual

    names: set[str] = set()
    for path in Path(textual.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "self" and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return frozenset(name for name in names if _private(name))


def uses_of_private_names(source: str, names: frozenset[str],
                          elsewhere: frozenset[str] = frozenset()) -> set[str]:
    found: set[str] = set()
    tree = ast.parse(source)
    methods = {id(item) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
               for item in cls.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (node.attr in names or (
                node.attr in elsewhere
                and not (isinstance(node.value, ast.Name) and node.value.id == "self"))):
            found.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name in names and id(node) in methods:
            found.add(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr") \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in (names | elsewhere):
            found.add(node.args[1].value)  # a private name spelled as a string
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual"):
            module = node.module or ""
            if any(_private(part) for part in module.split(".")):
                found.add(f"import {module}")
            found.update(f"import {alias.name}" for alias in node.names
                         if _private(alias.name))
    return found


def test_the_scanner_sees_a_private_name():
    names = textual_private_names()
    assert {"_compositor_refresh", "_batch_count", "_render_cell", "_screen_stack"} <= names
    sample = ("class T(DataTable):\n    def _render_cell(self):\n        self.app._batch_count\n"
              "from textual._border import BORDER_CHARS\nfrom textual.keys import "
              "_character_to_key\nself._own_thing = 1\n")
    assert uses_of_private_names(sample, names) == {
        "_render_cell", "_batch_count", "import textual._border", "import _character_to_key"}
    elsewhere = all_textual_private_names()
    assert "_parse_rules" in elsewhere and "_parse_rules" not in names
    assert uses_of_private_names("app.stylesheet._parse_rules()\nself._parse_rules = 1\n",
                                 names, elsewhere) == {"_parse_rules"}
    assert uses_of_private_names('getattr(node, "_pending_message", None)\n', names,
                                 elsewhere) == {"_pending_message"}


def test_only_the_compat_module_touches_private_textual_names():
    names = textual_private_names()
    root = UI.parents[1]
    found: set[tuple[str, str]] = set()
    for path in sorted(UI.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == COMPAT:
            continue
        source = path.read_text(encoding="utf-8")
        for name in uses_of_private_names(source, names, all_textual_private_names()):
            found.add((relative, name))
    new = found - REMAINING
    assert not new, f"private Textual names outside {COMPAT}: {sorted(new)}"
    gone = REMAINING - found
    assert not gone, f"no longer used, remove from REMAINING: {sorted(gone)}"
