"""Issue 13, defect 0 (and 9): keys pressed as the main screen appears act, in order, like
every other burst (R-UI-1). In tmux, F4 sent the moment 「ようこそ」 showed was dropped 4
of 6 times, and F3 then opened the list empty (placeholders, no 「全 N 件」) 1 of 10."""

from __future__ import annotations

import pytest

from portplus_tui.ui.panes.accounts import AccountsPane
from portplus_tui.ui.panes.portplus import PortPlusPane
from portplus_tui.ui.screens.main import MainScreen

from .support import ADMIN, SIZE, app_test, burst, burst_keys, run, screen_text, settle


@pytest.mark.parametrize("keys, check", [
    (("f4",), "accounts"),
    (("f3",), "list"),
    (("f3", "pagedown"), "page2"),
])
@app_test()
async def test_keys_in_the_same_burst_as_the_login_act_in_order(app, pilot, keys, check) -> None:
    await settle(app, pilot)
    member_no, login_id, password = ADMIN
    burst(app, f"{member_no}\t{login_id}\t{password}\r")
    burst_keys(app, *keys)
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    await _check(app, pilot, check)


@pytest.mark.parametrize("keys, check", [(("f4",), "accounts"), (("f3",), "list")])
@app_test()
async def test_keys_right_after_the_first_frame_of_the_main_screen_act(app, pilot, keys, check) -> None:
    await settle(app, pilot)
    member_no, login_id, password = ADMIN
    burst(app, f"{member_no}\t{login_id}\t{password}\r")
    for _ in range(400):  # until the main screen is up, no longer
        if isinstance(app.screen, MainScreen):
            break
        await pilot.pause()
    burst_keys(app, *keys)
    await settle(app, pilot)
    await _check(app, pilot, check)


async def _check(app, pilot, check: str) -> None:
    screen = app.screen
    if check == "accounts":
        pane = screen.query_one(AccountsPane)
        assert screen.current_pane is pane
        assert app.focused is pane.query_one("#accounts-table")
        assert "admin@example.com" in screen_text(app)
        return
    pane = screen.query_one(PortPlusPane)
    assert screen.current_pane is pane
    assert pane.page is not None, screen_text(app)  # loaded, not the placeholders
    text = screen_text(app)
    assert "YYYY-MM-DD" not in text and "全 " in text, text
    if check == "page2":
        assert "11 ~ 20" in text, text


def test_after_logout_and_a_two_step_login_f2_f3_open_the_list_loaded(make_app, settings):
    """Defect 9: log out, log in to the two-step company, F2, F3: the list opened empty
    (placeholders, no 「全 N 件」) 2 of ~15 times, until a Tab. Here with F2 and F3 in
    the same burst as the code's Enter, and again right after the main screen."""
    from portplus_tui.ui.screens.otp import OtpScreen

    from .support import TWO_FACTOR, last_code, login

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            for round_ in range(2):
                await pilot.press("ctrl+l")
                await settle(app, pilot)
                await login(app, pilot, TWO_FACTOR)
                assert isinstance(app.screen, OtpScreen)
                if round_ == 0:
                    burst(app, last_code(settings) + "\r")
                    burst_keys(app, "f2", "f3")
                else:
                    burst(app, last_code(settings) + "\r")
                    await settle(app, pilot)
                    burst_keys(app, "f2", "f3")
                await settle(app, pilot)
                await _check(app, pilot, "list")
                await pilot.press("f1")
                await settle(app, pilot)
                pane = app.screen.query_one(PortPlusPane)
                await pilot.press("f3")
                await settle(app, pilot)
                assert pane.page is not None and app.focused is pane.query_one("#pp-table")
                await pilot.press("ctrl+l")
                await settle(app, pilot)
                await login(app, pilot, ADMIN)

    run(body)


def test_the_pane_asked_for_last_is_shown_when_an_earlier_one_mounts_later(make_app):
    """Defect 0 under load: F4 as the main screen appeared was lost when the first pane
    (会社情報), still being mounted, finished after the account pane and took over. The
    pane asked for last is shown, whichever mount ends last."""
    import asyncio

    from textual.widgets import ContentSwitcher

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            from .support import login

            await login(app, pilot, ADMIN)
            screen = app.screen
            switcher = screen.query_one("#content", ContentSwitcher)
            gate = asyncio.Event()
            real_add = switcher.add_content
            calls = []

            async def add_content(widget, *, id=None, set_current=False):
                calls.append(id)
                if len(calls) == 1:
                    await gate.wait()  # the first mount ends after the second
                await real_add(widget, id=id, set_current=set_current)

            switcher.add_content = add_content
            first = asyncio.create_task(screen.show_pane("portplus"))
            await pilot.pause()
            await screen.show_pane("accounts")
            gate.set()
            await first
            await settle(app, pilot)
            assert calls == ["pane-portplus", "pane-accounts"]
            await _check(app, pilot, "accounts")

    run(body)
