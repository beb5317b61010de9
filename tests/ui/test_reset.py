"""Password reset screens (R-RST-1)."""

from __future__ import annotations

from textual.widgets import Input

from portplus_tui.services import auth
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.reset import ResetScreen

from .support import ADMIN, app_test, burst, last_code, outbox_count, screen_text, settle, text_of

RESET_CODE = r"^([A-Z0-9]{4}-[A-Z0-9]{4})$"
CONFIRMATION = "入力された会員番号とメールアドレスのアカウントが登録されている場合は"


async def open_reset(app, pilot) -> ResetScreen:
    await settle(app, pilot)
    for _ in range(4):
        await pilot.press("tab")
    assert app.focused.id == "forgot"
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, ResetScreen)
    return app.screen


@app_test()
async def test_reset_request_and_completion_then_login(app, pilot, settings) -> None:
    screen = await open_reset(app, pilot)
    assert "パスワード再設定" in screen_text(app)
    assert app.focused.id == "member_no"
    burst(app, f"{ADMIN[0]}\t{ADMIN[1]}\r")
    await settle(app, pilot)
    assert auth.wait_for_mail(timeout=10)
    assert screen.step == "step-complete"
    assert CONFIRMATION in text_of(screen.query_one("#requested-message"))
    assert app.focused.id == "code"
    code = last_code(settings, RESET_CODE)
    burst(app, f"{code}\tnew-secret-42\tnew-secret-42\r")
    await settle(app, pilot)
    assert screen.step == "step-done"
    assert "パスワードを再設定しました" in screen_text(app)
    await pilot.press("enter")  # ログイン画面へ
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert app.screen.query_one("#member_no", Input).value == ADMIN[0]
    assert app.screen.query_one("#login_id", Input).value == ADMIN[1]
    assert app.focused.id == "password"
    burst(app, "new-secret-42\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test()
async def test_unknown_account_gets_the_same_confirmation_and_no_mail(app, pilot, settings) -> None:
    screen = await open_reset(app, pilot)
    before = outbox_count(settings)
    burst(app, "M97-00339\tnobody@example.com\r")
    await settle(app, pilot)
    assert auth.wait_for_mail(timeout=10)
    assert screen.step == "step-complete"
    assert CONFIRMATION in text_of(screen.query_one("#requested-message"))
    assert outbox_count(settings) == before


@app_test()
async def test_field_errors_appear_beside_the_fields(app, pilot, settings) -> None:
    screen = await open_reset(app, pilot)
    burst(app, "M97-00339\tnot-an-address\r")
    await settle(app, pilot)
    assert screen.step == "step-request"
    assert screen.query_one("#email-error").display
    assert app.focused.id == "email"
    screen.query_one("#email", Input).value = ADMIN[1]
    burst(app, "\r")
    await settle(app, pilot)
    assert auth.wait_for_mail(timeout=10)
    assert screen.step == "step-complete"
    code = last_code(settings, RESET_CODE)
    # confirmation differs: said beside the confirmation field, nothing sent
    burst(app, f"{code}\tnew-secret-42\tnew-secret-43\r")
    await settle(app, pilot)
    assert text_of(screen.query_one("#new_password_confirm-error")) == (
        "新しいパスワードと確認用のパスワードが一致しません。")
    # the policy (too short) comes from the service, beside the password
    screen.query_one("#new_password", Input).value = "abc1"
    screen.query_one("#new_password_confirm", Input).value = "abc1"
    screen.query_one("#new_password_confirm", Input).focus()
    burst(app, "\r")
    await settle(app, pilot)
    assert screen.query_one("#new_password-error").display
    assert screen.step == "step-complete"
    # a wrong code: one message, beside the code
    screen.query_one("#code", Input).value = "AAAA-AAAA"
    screen.query_one("#new_password", Input).value = "new-secret-42"
    screen.query_one("#new_password_confirm", Input).value = "new-secret-42"
    screen.query_one("#new_password_confirm", Input).focus()
    burst(app, "\r")
    await settle(app, pilot)
    assert "確認コードが正しくないか" in text_of(screen.query_one("#code-error"))


@app_test()
async def test_escape_goes_back_and_asks_before_dropping_input(app, pilot) -> None:
    await open_reset(app, pilot)
    burst(app, "M97")
    await settle(app, pilot)
    await pilot.press("escape")
    await settle(app, pilot)
    assert "破棄して移動しますか" in screen_text(app)
    await pilot.press("enter")  # いいえ (focused first)
    await settle(app, pilot)
    assert isinstance(app.screen, ResetScreen)
    assert app.screen.query_one("#member_no", Input).value == "M97"
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("tab", "enter")  # はい
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
