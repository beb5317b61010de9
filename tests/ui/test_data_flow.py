"""Issue 14, point 3: data flows one way. Screens reach the app through the typed
interface (ui/host.py), children tell parents with Messages, and the app's state that
screens follow is reactive."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Static

from portplus_tui.ui.app import PortPlusApp
from portplus_tui.ui.host import PortPlusHost, host, host_or_none

UI = Path(__file__).resolve().parents[2] / "portplus_tui" / "ui"


def _findings(source: str) -> list[str]:
    """``getattr(<the app>, ...)`` and walks up ``ancestors`` looking for a parent of
    some class (to call it), in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr") and node.args:
            target = ast.unparse(node.args[0])
            if target in ("app", "self.app") or target.endswith(".app") \
                    or "getattr(self, 'app'" in target:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.comprehension) and ast.unparse(node.iter).endswith(".ancestors") \
                and any("isinstance" in ast.unparse(test) for test in node.ifs):
            found.append(f"line {node.iter.lineno}: a walk up the ancestors for a parent")
    return found


def test_the_checks_find_what_they_look_for():
    sample = (
        "def f(self):\n"
        "    pause = getattr(self.app, 'pause_gc', None)\n"
        "    x = getattr(getattr(self, 'app', None), 'settle_heap', None)\n"
        "    pane = next((n for n in self.ancestors if isinstance(n, Pane)), None)\n"
        "    ok = getattr(event, 'character', None)\n"
    )
    assert len(_findings(sample)) == 3


def test_no_getattr_on_the_app_and_no_walks_up_to_a_parent():
    problems = {}
    for path in sorted(UI.rglob("*.py")):
        if path.name == "textual_compat.py":
            continue
        found = _findings(path.read_text(encoding="utf-8"))
        if found:
            problems[str(path.relative_to(UI))] = found
    assert problems == {}


def test_the_app_is_the_typed_host_and_other_apps_are_refused(tmp_path):
    from portplus_tui.config import Settings

    app = PortPlusApp(Settings(data_dir=str(tmp_path), log_dir=str(tmp_path / "logs")))
    assert isinstance(app, PortPlusHost)

    class Bare(App):
        def compose(self):
            yield Static("x", id="x")

    async def body():
        bare = Bare()
        async with bare.run_test():
            widget = bare.query_one("#x")
            assert host_or_none(widget) is None
            with pytest.raises(TypeError, match="needs the Port Plus app"):
                host(widget)

    import asyncio

    asyncio.run(body())


def test_the_state_screens_follow_is_reactive():
    from textual.reactive import Reactive

    from portplus_tui.ui.panes.portplus import PortPlusPane

    for owner, name in ((PortPlusApp, "session"), (PortPlusApp, "db_state"),
                        (PortPlusPane, "view_mode")):
        assert isinstance(owner.__dict__.get(name), Reactive), f"{owner.__name__}.{name}"
