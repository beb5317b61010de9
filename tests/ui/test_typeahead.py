"""R-UI-1: keys of one burst are handled as if typed slowly, including keys that act
through bindings (arrows and Enter in an open Select) before a Tab."""

from __future__ import annotations

from textual.widgets import Input, Select

from portplus_tui.ui.panes.accounts_form import AccountFormScreen

from .support import ADMIN, burst_keys, login, run, settle

NARROW = (80, 24)


def test_a_select_chosen_in_a_burst_keeps_its_choice_and_the_next_field_gets_the_text(make_app):
    app = make_app()

    async def body():
        async with app.run_test(size=NARROW) as pilot:
            await login(app, pilot, ADMIN)
            for key in ("f4", "tab", "n"):
                await pilot.press(key)
                await settle(app, pilot)
            form = app.screen
            assert isinstance(form, AccountFormScreen)
            # 担当者名, Tab, Enter opens 権限, Down Down picks user, Enter, Tab, ログインID:
            # all in one burst, as a fast typist over SSH sends them
            burst_keys(app, *"Kimura", "tab", "enter", "down", "down", "enter", "tab",
                       *"kimura@example.com", "tab", *"Walk2026pass")
            await settle(app, pilot)
            assert form.query_one("#name", Input).value == "Kimura"
            assert form.query_one("#role", Select).value == "user"
            assert form.query_one("#login_id", Input).value == "kimura@example.com"
            assert form.query_one("#password", Input).value == "Walk2026pass"
            assert app.focused is form.query_one("#password", Input)

    run(body)
