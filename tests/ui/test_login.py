"""Login screen (R-LOG-1, R-LOG-2, R-LOG-5) and type-ahead (R-UI-1)."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.widgets.form_button import FormButton

from .support import ADMIN, SIZE, USER, app_test, burst, key_names, login, run, screen_text, settle, text_of


@app_test()
async def test_login_screen_mirrors_the_manual(app, pilot) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    text = screen_text(app)
    for label in ("ログイン情報を入力してください", "会員番号 / CompanyID",
                  "アカウント / email", "パスワード / password", "ログイン",
                  "パスワードをお忘れの場合はこちら"):
        assert label in text
    assert app.focused is app.screen.query_one("#member_no", Input)
    assert app.screen.query_one("#password", Input).password is True
    # Tab follows the form: 会員番号 -> アカウント -> パスワード -> ログイン -> link
    order = []
    for _ in range(5):
        order.append(app.focused.id)
        await pilot.press("tab")
    assert order == ["member_no", "login_id", "password", "login", "forgot"]
    await pilot.press("shift+tab")
    assert app.focused.id == "forgot"


@app_test(as_=ADMIN)
async def test_admin_login_shows_the_main_screen_with_the_welcome(app, pilot) -> None:
    assert isinstance(app.screen, MainScreen)
    assert text_of(app.screen.query_one("#welcome")) == "ようこそ 山田 太郎 様"
    assert text_of(app.screen.query_one("#online")) == "Online"
    assert app.session is not None and app.session.is_admin
    text = screen_text(app)
    assert "ようこそ 山田 太郎 様" in text and "Online" in text
    for item in ("会社情報", "オプション", "ポートプラス", "アカウント管理"):
        assert item in text


@app_test()
async def test_enter_in_the_first_fields_moves_on_and_logs_in_from_the_password(app, pilot) -> None:
    await settle(app, pilot)
    burst(app, USER[0] + "\r")
    await settle(app, pilot)
    assert app.focused.id == "login_id"
    burst(app, USER[1] + "\r")
    await settle(app, pilot)
    assert app.focused.id == "password"
    burst(app, USER[2] + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert text_of(app.screen.query_one("#welcome")) == "ようこそ 佐藤 花子 様"


@app_test()
async def test_wrong_password_gives_the_generic_message_on_the_screen(app, pilot) -> None:
    await login(app, pilot, (ADMIN[0], ADMIN[1], "wrong-password-1"))
    assert isinstance(app.screen, LoginScreen)
    error = app.screen.query_one("#login-error")
    assert error.display
    assert text_of(error) == "会員番号、アカウント、またはパスワードが正しくありません。"
    assert "Traceback" not in screen_text(app)
    # unknown member number: the same words
    password = app.screen.query_one("#password", Input)
    assert password.value == "" and app.focused is password
    app.screen.query_one("#member_no", Input).value = "M99-99999"
    burst(app, "demo-admin-1\r")
    await settle(app, pilot)
    assert text_of(app.screen.query_one("#login-error")) == (
        "会員番号、アカウント、またはパスワードが正しくありません。")


@app_test()
async def test_empty_fields_are_named_beside_them(app, pilot) -> None:
    await settle(app, pilot)
    app.screen.query_one("#login", FormButton).press()
    await settle(app, pilot)
    assert text_of(app.screen.query_one("#member_no-error")) == "会員番号を入力してください。"
    assert app.screen.query_one("#password-error").display
    assert app.focused.id == "member_no"


def test_the_buttons_answer_enter_space_and_a_click(make_app):
    """ログイン and パスワードをお忘れの場合 are the screen's own light buttons
    (ui.base.FormButton): Enter and Space on the focused one press it, as a click does."""
    from portplus_tui.ui.screens.reset import ResetScreen

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.screen.query_one("#login", FormButton).focus()
            await pilot.press("space")
            await settle(app, pilot)
            assert app.screen.query_one("#member_no-error").display  # the login was tried
            for press in ("enter", "space", "click"):
                assert isinstance(app.screen, LoginScreen)
                if press == "click":
                    assert await pilot.click("#forgot")
                else:
                    app.screen.query_one("#forgot", FormButton).focus()
                    await pilot.press(press)
                await settle(app, pilot)
                assert isinstance(app.screen, ResetScreen), press
                await pilot.press("escape")
                await settle(app, pilot)
            assert isinstance(app.screen, LoginScreen)
            button = app.screen.query_one("#login", FormButton)
            button.loading = True  # a login on its way: pressing again does nothing
            app.screen.query_one("#member_no", Input).value = ""
            app.screen.query_one("#member_no-error").display = False
            button.press()
            await settle(app, pilot)
            assert not app.screen.query_one("#member_no-error").display

    run(body)


@app_test(size=(80, 24))
async def test_tab_goes_round_the_form_without_a_hidden_stop(app, pilot) -> None:
    """Tab visits the three fields and the two buttons, then the first field again: the
    scrolling container around the form is no stop of its own (a Tab landed there, out
    of sight, and the next keys typed went nowhere)."""
    await settle(app, pilot)
    visited = [app.focused.id]
    for _ in range(5):
        await pilot.press("tab")
        await settle(app, pilot)
        visited.append(app.focused.id)
    assert visited == ["member_no", "login_id", "password", "login", "forgot",
                       "member_no"]


@app_test()
async def test_typeahead_through_pilot_press_lands_in_the_right_fields(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press(*key_names("M97-00339\tadmin@example.com\tdemo-admin-1\r"))
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert text_of(app.screen.query_one("#welcome")) == "ようこそ 山田 太郎 様"


@app_test()
async def test_a_real_burst_of_keys_lands_field_by_field(app, pilot) -> None:
    """Every key is queued before any is processed (auto-type, a paste over SSH)."""
    await settle(app, pilot)
    burst(app, "M97-00339\tadmin@example.com\twrong-pass-9")
    await settle(app, pilot)
    screen = app.screen
    assert screen.query_one("#member_no", Input).value == "M97-00339"
    assert screen.query_one("#login_id", Input).value == "admin@example.com"
    assert screen.query_one("#password", Input).value == "wrong-pass-9"
    # and with Enter at the end the whole burst logs in
    for name in ("member_no", "login_id", "password"):
        screen.query_one(f"#{name}", Input).value = ""
    screen.query_one("#member_no", Input).focus()
    await pilot.pause()
    burst(app, "M97-00339\radmin@example.com\tdemo-admin-1\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test(lang="en")
async def test_english_login_screen(app, pilot) -> None:
    await settle(app, pilot)
    text = screen_text(app)
    for label in ("Please enter your login details", "CompanyID (member number)",
                  "Account (email)", "Password", "Log in",
                  "Forgot your password? Click here"):
        assert label in text
    assert "ログイン" not in text
    await login(app, pilot, (ADMIN[0], ADMIN[1], "nope-nope-1"))
    assert text_of(app.screen.query_one("#login-error")) == (
        "The member number, account or password is incorrect.")
    app.screen.query_one("#password", Input).focus()
    burst(app, ADMIN[2] + "\r")
    await settle(app, pilot)
    assert text_of(app.screen.query_one("#welcome")) == "Welcome, 山田 太郎"
    assert "Member number" in screen_text(app)


@app_test(size=(80, 24))
async def test_login_screen_fits_80x24(app, pilot) -> None:
    await settle(app, pilot)
    text = screen_text(app)
    for label in ("ログイン情報を入力してください", "会員番号 / CompanyID",
                  "パスワード / password", "パスワードをお忘れの場合はこちら", "^Q"):
        assert label in text
    await login(app, pilot, ADMIN)
    text = screen_text(app)
    assert "M97-00339" in text and "30" in text
    assert "アカウント管理" in text


def test_pasted_control_characters_never_reach_the_field(make_app):
    """A bracketed paste holding an escape sequence, NUL, DEL and a C1 control: the
    field gets the printable text only (drawn raw, ``ESC[2J`` would clear the terminal)."""
    from textual import events

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            field = app.screen.query_one("#member_no", Input)
            assert app.focused is field
            app.post_message(events.Paste("M97\x1b[2J\x00-\x7f003\x9b39\tx"))
            await settle(app, pilot)
            assert field.value == "M97[2J-00339\tx"
            assert not any(ch in field.value for ch in "\x1b\x00\x7f\x9b")

    run(body)


def test_a_batch_that_never_ends_does_not_keep_the_login_screen_busy(make_app):
    """The login screen waits for Textual's batch to end before it draws (start-up);
    a batch that never ends (the app shutting down, a pane mount abandoned at logout)
    kept it re-queuing itself every loop turn: a busy loop that hung a CI run. Now the
    frame waits, once, for the batch's end (ui/textual_compat.when_unbatched) and is
    drawn then."""
    app = make_app()
    calls = []

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            screen = app.screen
            real = screen._render_after_batch
            screen._render_after_batch = lambda: (calls.append(1), real())
            with app.batch_update():
                screen._compositor_refresh()  # what Textual calls for a frame
                screen._compositor_refresh()
                # Turns of the event loop (not pilot.pause(): it waits for an idle app,
                # which the busy loop never was).
                for _ in range(1000):
                    await asyncio.sleep(0)  # noqa: sleep - a turn of the event loop, no time
                assert screen._render_queued and calls == []
                assert len(app.__dict__["_compat_unbatched"]) == 1  # waiting, once
            assert calls == [1] and not screen._render_queued  # drawn as the batch ends

    run(body)
