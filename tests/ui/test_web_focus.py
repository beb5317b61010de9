"""In a browser (textual-serve) the page's terminal tells the app when it loses and gets
the keyboard focus ("blur" / "focus": Textual's AppBlur / AppFocus), and may do so before
the login screen has focused anything. The first keys typed must still land in
会員番号 (issue 12: they were dropped, and every later field landed one box early)."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen

from .support import app_test, burst, settle


async def _nothing_focused(app, pilot, how: str) -> None:
    if how == "blur-then-focus":
        # The browser blurs the page's terminal while the login screen starts, and
        # focuses it again when the user clicks or tabs into the page.
        app.post_message(events.AppBlur())
        await pilot.pause()
        app.screen.set_focus(None)  # as if the blur came before the auto focus
        app.post_message(events.AppFocus())
    else:  # "no-focus": nothing focused and no focus event at all
        app.screen.set_focus(None)
    await pilot.pause()


@pytest.mark.parametrize("how", ["blur-then-focus", "no-focus"])
@app_test()
async def test_a_burst_typed_first_in_a_browser_logs_in(app, pilot, how) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    await _nothing_focused(app, pilot, how)
    burst(app, "M97-00339\tadmin@example.com\twrong-pass-9")
    await settle(app, pilot)
    screen = app.screen
    values = [screen.query_one(f"#{name}", Input).value
              for name in ("member_no", "login_id", "password")]
    assert values == ["M97-00339", "admin@example.com", "wrong-pass-9"]


@app_test()
async def test_the_whole_login_in_one_burst_after_a_blur(app, pilot) -> None:
    await settle(app, pilot)
    await _nothing_focused(app, pilot, "blur-then-focus")
    burst(app, "M97-00339\tadmin@example.com\tdemo-admin-1\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
