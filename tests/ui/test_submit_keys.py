"""One way to submit (issue 13, point 2): in every form and dialog with fields, Enter
moves to the next field and submits from the last one, Ctrl+S submits from any field,
and the key bar says so. F2 no longer saves the account forms (it is オプション on the
main screen and パスワード再設定 on the login screen).

Keys are sent as bursts (everything queued before the first is handled), as over SSH.
"""

from __future__ import annotations

from textual.widgets import Input

from portplus_tui.ui.screens.account_form import AccountFormScreen
from portplus_tui.ui.screens.application_form import ApplicationFormScreen
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.portplus_dialogs import ExportModal
from portplus_tui.ui.screens.reset import ResetScreen

from .support import ADMIN, USER, app_test, burst, burst_keys, footer_text, settle
from .test_accounts import live_accounts, open_accounts, select_row
from .test_portplus import open_list


@app_test()
async def test_the_login_key_bar_shows_the_convention_and_ctrl_s_logs_in(app, pilot) -> None:
    await settle(app, pilot)
    keys = footer_text(app)
    assert "Enter 次の項目" in keys and "^S ログイン" in keys, keys
    # the three fields typed, then back to the first one: Ctrl+S logs in from there
    member_no, login_id, password = ADMIN
    burst(app, f"{member_no}\t{login_id}\t{password}")
    burst_keys(app, "shift+tab", "shift+tab", "ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test()
async def test_enter_walks_the_login_fields_in_a_burst(app, pilot) -> None:
    """``member⏎login⏎password⏎``: each Enter moves on at once, the last one logs in."""
    await settle(app, pilot)
    member_no, login_id, password = ADMIN
    burst(app, f"{member_no}\r{login_id}\r{password}\r")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test(as_=USER)
async def test_account_form_enter_moves_on_ctrl_s_saves_and_f2_does_nothing(app, pilot, ctx) -> None:
    await open_accounts(app, pilot)
    await pilot.press("enter")  # 更新 of one's own account
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AccountFormScreen) and form.is_self
    keys = footer_text(app)
    assert "Enter 次の項目" in keys and "^S 更新" in keys and "F2" not in keys, keys
    # 担当者名 ⏎ 現在 ⏎ 新 ⏎ 確認 ⏎ 部署: the Enters move on, nothing is saved
    burst_keys(app, "end", *"X", "enter", "enter", "enter", "enter", "end", *"Y")
    await settle(app, pilot)
    assert app.screen is form
    assert app.focused is form.query_one("#department", Input)
    assert form.query_one("#name", Input).value == "佐藤 花子X"
    assert form.query_one("#department", Input).value.endswith("Y")
    assert form.query_one("#current_password", Input).value == ""
    await pilot.press("f2")
    await settle(app, pilot)
    assert app.screen is form  # F2 saves nothing
    assert live_accounts(ctx)["user@example.com"].name == "佐藤 花子"
    # Ctrl+S saves from any field: here from the first one
    form.set_focus(form.query_one("#name", Input))
    burst_keys(app, "ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    saved = live_accounts(ctx)["user@example.com"]
    assert saved.name == "佐藤 花子X" and saved.department.endswith("Y")


@app_test(as_=ADMIN)
async def test_new_account_ctrl_s_from_the_first_field_checks_every_field(app, pilot, ctx) -> None:
    await open_accounts(app, pilot)
    await pilot.press("n")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AccountFormScreen) and form.is_new
    assert "^S 新規登録" in footer_text(app)
    before = len(live_accounts(ctx))
    burst_keys(app, *"Kim", "ctrl+s")
    await settle(app, pilot)
    assert app.screen is form
    assert form.query_one("#login_id-error").display  # checked, said beside it
    assert len(live_accounts(ctx)) == before


@app_test()
async def test_application_form_enter_moves_on_and_ctrl_s_goes_to_review(app, pilot) -> None:
    await open_list(app, pilot, ADMIN)
    await pilot.press("n")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, ApplicationFormScreen)
    keys = footer_text(app)
    assert "Enter 次の項目" in keys and "^S 次へ進む" in keys, keys
    date = form.query_one("#apply_date", Input)
    form.set_focus(date)
    date.value = ""
    burst(app, "2026-03-20\r3")
    await settle(app, pilot)
    assert app.focused is form.query_one("#ports", Input)
    assert form.query_one("#ports", Input).value == "3"
    assert form.step == "edit"
    burst_keys(app, "ctrl+s")
    await settle(app, pilot)
    assert form.step == "review"


@app_test()
async def test_reset_ctrl_s_sends_from_any_field(app, pilot) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    await pilot.press("f2")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ResetScreen)
    assert "^S 送信" in footer_text(app)
    burst_keys(app, *"M97-00339", "ctrl+s")  # the e-mail is missing
    await settle(app, pilot)
    assert screen.step == "step-request"
    assert screen.query_one("#email-error").display
    assert app.focused.id == "email"


@app_test()
async def test_export_dialog_has_one_field_enter_and_ctrl_s_both_export(app, pilot, settings) -> None:
    await open_list(app, pilot, ADMIN)
    await pilot.press("e")
    await settle(app, pilot)
    modal = app.screen
    assert isinstance(modal, ExportModal)
    keys = footer_text(app)
    assert "Enter 出力" in keys and "^S" not in keys, keys
    field = modal.query_one("#pp-export-name", Input)
    field.value = ""
    burst_keys(app, *"by-ctrl-s", "ctrl+s")
    await settle(app, pilot)
    assert modal.written is not None and modal.written.name == "by-ctrl-s.csv"
    assert (settings.resolved_export_dir / "by-ctrl-s.csv").is_file()


@app_test(as_=ADMIN)
async def test_f2_on_the_main_screen_still_opens_options_not_a_save(app, pilot) -> None:
    """F2 is a pane key again, and only that (it used to save the account forms)."""
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "user@example.com")
    await pilot.press("f2")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert app.screen.query_one("#options-table").display


@app_test(as_=USER)
async def test_the_service_saves_nothing_for_a_form_closed_with_escape(app, pilot, ctx) -> None:
    """Esc is the way back without saving, in the same convention."""
    await open_accounts(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    burst_keys(app, "end", *"Z", "escape")
    await settle(app, pilot)
    burst_keys(app, "tab", "enter")  # 破棄する
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert live_accounts(ctx)["user@example.com"].name == "佐藤 花子"
