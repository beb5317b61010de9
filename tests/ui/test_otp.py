"""Two-step login screen (R-OTP-1..3)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from portplus_tui.core.errors import AuthError
from portplus_tui.services import auth
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.otp import OtpScreen

from .support import (
    SIZE,
    TWO_FACTOR,
    app_test,
    burst,
    last_code,
    login,
    outbox_count,
    run,
    screen_text,
    settle,
    text_of,
)


@app_test(as_=TWO_FACTOR)
async def test_two_factor_login_with_the_mailed_code(app, pilot, settings, clock) -> None:
    assert isinstance(app.screen, OtpScreen)
    text = screen_text(app)
    for line in ("メール送信完了", "a*****@ex*****宛にメールを送信しました。",
                 "メールの本文に記載されたワンタイムパスワードを入力してください。",
                 "ワンタイムパスワードは発行後30分有効となります。",
                 "ワンタイムパスワード", "キャンセル", "確定", "有効期限: あと 30分"):
        assert line in text
    assert "※" not in text
    assert app.focused.id == "code"
    clock.advance(seconds=30)
    app.screen._tick_clock()
    await pilot.pause()
    assert text_of(app.screen.query_one("#otp-remaining")) == "有効期限: あと 29分"
    resend = app.screen.query_one("#resend", Button)
    assert resend.disabled and str(resend.label) == "再送信 (あと 30秒)"
    burst(app, last_code(settings) + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert text_of(app.screen.query_one("#welcome")) == "ようこそ 鈴木 一郎 様"


@app_test(as_=TWO_FACTOR)
async def test_wrong_code_is_shown_beside_the_field(app, pilot, settings) -> None:
    good = last_code(settings)
    wrong = "000000" if good != "000000" else "111111"
    burst(app, wrong + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, OtpScreen)
    error = app.screen.query_one("#code-error")
    assert error.display
    assert text_of(error) == "ワンタイムパスワードが正しくありません(あと4回入力できます)。"
    assert app.screen.query_one("#code", Input).value == ""
    burst(app, good + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


def test_cancel_goes_back_to_login_and_voids_the_code(make_app, settings, ctx):
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, TWO_FACTOR)
            otp = app.screen
            assert isinstance(otp, OtpScreen)
            attempt, code = otp.challenge.attempt, last_code(settings)
            app.screen.query_one("#cancel", Button).press()
            await settle(app, pilot)
            assert isinstance(app.screen, LoginScreen)
            assert app.screen.query_one("#member_no", Input).value == TWO_FACTOR[0]
            assert app.screen.query_one("#login_id", Input).value == TWO_FACTOR[1]
            assert app.screen.query_one("#password", Input).value == ""
            assert app.focused.id == "password"
            assert app.session is None
            return attempt, code

    attempt, code = run(body)
    with pytest.raises(AuthError) as caught:
        auth.verify_otp(ctx, attempt, code)
    assert caught.value.code == "otp_invalid"


@app_test(as_=TWO_FACTOR)
async def test_escape_with_a_typed_code_asks_first(app, pilot) -> None:
    burst(app, "12")
    await settle(app, pilot)
    await pilot.press("escape")
    await settle(app, pilot)
    assert "入力中の内容は保存されていません" in screen_text(app)
    await pilot.press("escape")  # Esc closes the dialog: "no"
    await settle(app, pilot)
    assert isinstance(app.screen, OtpScreen)
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("right", "enter")  # いいえ -> はい
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)


@app_test(as_=TWO_FACTOR)
async def test_resend_after_the_wait_sends_a_new_code(app, pilot, settings, clock) -> None:
    first = last_code(settings)
    sent = outbox_count(settings)
    await pilot.press("f5")  # too early: nothing happens
    await settle(app, pilot)
    assert outbox_count(settings) == sent
    clock.advance(seconds=61)
    app.screen._tick_clock()
    await pilot.pause()
    resend = app.screen.query_one("#resend", Button)
    assert not resend.disabled and str(resend.label) == "再送信"
    await pilot.press("f5")
    await settle(app, pilot)
    assert outbox_count(settings) == sent + 1
    assert any("再送信しました" in str(n.message) for n in app._notifications)
    second = last_code(settings)
    if second != first:
        burst(app, first + "\r")  # the old code is void
        await settle(app, pilot)
        assert isinstance(app.screen, OtpScreen)
    burst(app, second + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test(as_=TWO_FACTOR)
async def test_expired_code_sends_back_to_login_with_the_reason(app, pilot, settings, clock) -> None:
    code = last_code(settings)
    clock.advance(minutes=30, seconds=1)
    app.screen._tick_clock()
    await pilot.pause()
    assert "有効期限が切れました" in text_of(app.screen.query_one("#otp-remaining"))
    assert app.screen.query_one("#confirm", Button).disabled
    app.screen._finished = False
    # Enter still asks the service (which has the last word), then back to login
    app.screen.challenge = type(app.screen.challenge)(
        attempt=app.screen.challenge.attempt,
        masked_email=app.screen.challenge.masked_email,
        expires_at=clock.now.replace(year=clock.now.year + 1),
        resend_at=app.screen.challenge.resend_at)
    burst(app, code + "\r")
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    notice = app.screen.query_one("#login-notice")
    assert notice.display
    assert "有効期限が切れました" in text_of(notice)
