"""Fixtures for the terminal app: a seeded SQLite database in a tmp folder (mail as
.eml files in its outbox), an injectable clock, and a factory for the app."""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable, Iterator

import pytest

from portplus_tui.services import auth, demo
from portplus_tui.services.context import AppContext
from portplus_tui.ui import i18n

from .snapshot_fallback import make_snap_compare
from .support import FakeClock, make_settings

# pytest-textual-snapshot cannot be installed next to pytest 9 (see snapshot_fallback):
# without it (or with PORTPLUS_SNAPSHOT_FALLBACK=1), the same snapshots are compared here.
if (importlib.util.find_spec("pytest_textual_snapshot") is None
        or os.environ.get("PORTPLUS_SNAPSHOT_FALLBACK", "") not in ("", "0")):

    @pytest.fixture
    def snap_compare(request, tmp_path):
        return make_snap_compare(request, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def ctx(settings, clock) -> Iterator[AppContext]:
    context = AppContext.open(settings, clock=clock, migrate=True)
    demo.seed(context)
    try:
        yield context
    finally:
        auth.wait_for_mail(timeout=10)
        context.close()


@pytest.fixture
def make_app(ctx, settings, clock) -> Iterator[Callable[..., Any]]:
    """``make_app(**settings_overrides)``: a PortPlusApp on the seeded database. After
    the test, no unexpected error may have been reported (unless the test expected one
    and cleared ``app.unexpected_errors``)."""
    from portplus_tui.ui.app import PortPlusApp

    made: list[Any] = []

    def factory(**overrides: Any) -> Any:
        app_settings = settings.replace(**overrides) if overrides else settings
        app = PortPlusApp(app_settings, ctx=ctx, clock=clock)
        made.append(app)
        return app

    yield factory
    i18n.set_lang("ja")
    for app in made:
        assert not app.unexpected_errors, app.unexpected_errors
