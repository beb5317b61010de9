"""アカウント管理 (R-ACC-1...R-ACC-6) through the terminal app: the list, 新規登録,
更新, 削除, ロック解除, パスワード再設定メール送信 and the audit log, for both roles.

The app runs on the seeded demo database (tests/ui/conftest.py: SQLite in a tmp folder,
bcrypt cost 4, mail written to the outbox, a fixed clock). Database checks go through
the services, as the screens do.
"""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, DataTable, Input, Select, Static

from portplus_tui.core.errors import AuthError, PermissionDenied
from portplus_tui.services import accounts, audit, auth
from portplus_tui.services.mail import read_outbox
from portplus_tui.ui.commands import palette_entries
from portplus_tui.ui.panes.accounts import AccountsPane
from portplus_tui.ui.screens import audit_log as accounts_audit
from portplus_tui.ui.screens.account_form import AccountFormScreen
from portplus_tui.ui.screens.audit_log import AuditEntryScreen, AuditLogScreen
from portplus_tui.ui.screens.confirm import ConfirmModal
from portplus_tui.ui.screens.main import MainScreen

from .support import (
    ADMIN,
    SIZE,
    USER,
    app_test,
    burst,
    footer_text,
    last_code,
    login,
    run,
    screen_text,
    settle,
    text_of,
)

MEMBER_NO = ADMIN[0]
NEW_ACCOUNT = dict(name="田中 次郎", role="user", login_id="tanaka@example.com",
                   password="tanaka-pass-7", password_confirm="tanaka-pass-7",
                   department="経理部", phone="03-5555-0000", expires="2030-03-31")


# ----------------------------------------------------------------------------- helpers
async def open_accounts(app, pilot) -> AccountsPane:
    """F4 (keyboard): the account table has the keyboard."""
    await pilot.press("f4")
    await settle(app, pilot)
    pane = app.screen.query_one("#pane-accounts", AccountsPane)
    assert app.focused is pane.query_one("#accounts-table", DataTable)
    return pane


def rows(pane: AccountsPane) -> list[list[str]]:
    table = pane.query_one("#accounts-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def select_row(app, pilot, pane: AccountsPane, login_id: str) -> None:
    """Move the cursor with the arrow keys to the row of ``login_id``."""
    table = pane.query_one("#accounts-table", DataTable)
    table.focus()
    await pilot.press("home")
    for _ in range(table.row_count):
        if pane.selected is not None and pane.selected.login_id == login_id:
            return
        await pilot.press("down")
        await settle(app, pilot)
    assert pane.selected is not None and pane.selected.login_id == login_id


async def type_into(app, pilot, field: str, text: str) -> None:
    """Focus ``#field`` of the current screen, empty it, and type ``text`` (keys)."""
    widget = app.screen.query_one(f"#{field}", Input)
    widget.focus()
    await settle(app, pilot)
    widget.value = ""
    if text:
        burst(app, text)
    await settle(app, pilot)
    assert widget.value == text, (field, widget.value)


async def choose(app, pilot, field: str, value: str) -> None:
    """Open the Select with Enter, move with the arrow keys, Enter."""
    select = app.screen.query_one(f"#{field}", Select)
    select.focus()
    await pilot.press("enter")
    await settle(app, pilot)
    overlay = select.query_one("SelectOverlay")
    for _ in range(5):
        option = overlay.highlighted_option
        if option is not None and str(option.prompt) == value:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await settle(app, pilot)
    assert select.value == value


async def fill_new(app, pilot, **values: str) -> None:
    for field in ("name", "login_id", "password", "password_confirm", "department", "phone",
                  "expires"):
        if field in values:
            await type_into(app, pilot, field, values[field])
    if values.get("role"):
        await choose(app, pilot, "role", values["role"])


def error_text(screen, field: str) -> str:
    label = screen.query_one(f"#{field}-error", Static)
    return text_of(label) if label.display else ""


def live_accounts(ctx) -> dict[str, accounts.AccountView]:
    return {a.login_id: a for a in accounts.list_accounts_for(ctx, MEMBER_NO)}


def session_of(ctx, creds):
    return auth.login(ctx, *creds).session


# ----------------------------------------------------------------------------- the list
@app_test(as_=ADMIN)
async def test_admin_sees_every_account_with_the_manual_columns(app, pilot) -> None:
    pane = await open_accounts(app, pilot)
    table = pane.query_one("#accounts-table", DataTable)
    headers = [str(column.label) for column in table.columns.values()]
    assert headers == ["担当者名", "権限", "ログインID", "部署", "電話番号", "有効期限",
                       "状態"]
    assert rows(pane) == [
        ["山田 太郎", "admin", "admin@example.com", "情報システム部", "03-1234-5678",
         "9999-12-31", "正常"],
        ["佐藤 花子", "user", "user@example.com", "営業部", "03-1234-5678",
         "9999-12-31", "正常"],
    ]
    for button in ("acc-new", "acc-edit", "acc-delete", "acc-unlock", "acc-reset",
                   "acc-audit"):
        assert pane.query_one(f"#{button}", Button).display
    text = screen_text(app)
    for label in ("アカウント新規登録", "パスワード再設定メール送信", "監査ログ",
                  "N 新規登録", "Enter 更新", "A 監査ログ"):
        assert label in text, label
    # own row: no 削除 / 再設定メール for oneself (the service refuses it too)
    await select_row(app, pilot, pane, "admin@example.com")
    assert pane.query_one("#acc-delete", Button).disabled
    assert pane.query_one("#acc-reset", Button).disabled
    footer = footer_text(app)
    assert "D 削除" not in footer and "R 再設定メール" not in footer
    await select_row(app, pilot, pane, "user@example.com")
    assert not pane.query_one("#acc-delete", Button).disabled
    assert pane.query_one("#acc-unlock", Button).disabled  # not locked
    footer = footer_text(app)
    assert "D 削除" in footer and "R 再設定メール" in footer
    assert "L ロック解除" not in footer


@app_test(as_=USER)
async def test_user_sees_only_their_own_row_and_no_admin_actions(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    assert [row[2] for row in rows(pane)] == ["user@example.com"]
    for button in ("acc-new", "acc-delete", "acc-unlock", "acc-reset", "acc-audit"):
        assert not pane.query_one(f"#{button}", Button).display
    assert pane.query_one("#acc-edit", Button).display
    text = screen_text(app)
    assert "アカウント新規登録" not in text and "監査ログ" not in text
    # the keys do nothing either
    for key in ("n", "d", "a", "r"):
        await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen), key
    # no palette entry
    labels = [label for label, _help, _cb in palette_entries(app, app.screen)]
    assert "アカウント管理" in labels
    assert "アカウント新規登録" not in labels and "監査ログ" not in labels
    # forced (a command aimed at the pane): refused with the reason, no form
    pane.run_command("new")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "管理者(admin)アカウントのみ" in text_of(pane.query_one("#accounts-notice"))
    pane.run_command("audit")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    # and the service refuses even if the screen were bypassed
    with pytest.raises(PermissionDenied):
        accounts.create_account(ctx, session_of(ctx, USER), **NEW_ACCOUNT)
    with pytest.raises(PermissionDenied):
        audit.list_entries(ctx, session_of(ctx, USER))
    assert "tanaka@example.com" not in live_accounts(ctx)


# ----------------------------------------------------------------------------- 新規登録
@app_test(as_=ADMIN)
async def test_admin_creates_an_account(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await pilot.press("n")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AccountFormScreen)
    text = screen_text(app)
    for label in ("アカウント新規登録", "担当者名(必須)", "権限(必須)", "ログインID(必須)",
                  "Emailアドレスを入力してください", "パスワード(必須)",
                  "8~20文字の半角英数字で",
                  "確認の為もう一度入力してください", "部署(必須)", "電話番号",
                  "閉じる", "新規登録"):
        assert label in text, label
    assert app.focused is form.query_one("#name", Input)
    assert form.query_one("#expires").template == "9999-99-99"
    await fill_new(app, pilot, **NEW_ACCOUNT)
    await type_into(app, pilot, "phone", NEW_ACCOUNT["phone"])
    await pilot.press("enter")  # Enter moves on: 有効期限, the last field
    await settle(app, pilot)
    assert app.focused is form.query_one("#expires")
    await pilot.press("enter")  # and in the last field it saves
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "アカウントを登録しました: tanaka@example.com" in text_of(
        pane.query_one("#accounts-notice"))
    assert ["田中 次郎", "user", "tanaka@example.com", "経理部", "03-5555-0000",
            "2030-03-31", "正常"] in rows(pane)
    assert pane.selected.login_id == "tanaka@example.com"
    created = live_accounts(ctx)["tanaka@example.com"]
    assert (created.name, created.role, created.department) == ("田中 次郎", "user", "経理部")
    assert auth.login(ctx, MEMBER_NO, "tanaka@example.com", "tanaka-pass-7").session is not None


def test_new_account_errors_appear_beside_every_field_and_nothing_is_saved(make_app, ctx):
    app = make_app()
    before = live_accounts(ctx)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            await open_accounts(app, pilot)
            await pilot.press("n")
            await settle(app, pilot)
            form = app.screen
            await fill_new(app, pilot, name="", login_id="not-an-email", password="short",
                           password_confirm="", department="", phone="abc",
                           expires="2020-01-01")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is form  # still open, nothing saved
            expected = {
                "name": "担当者名を入力してください",
                "role": "権限を選択してください",
                "login_id": "メールアドレスの形式",
                "password": "8",
                "password_confirm": "もう一度入力してください",
                "department": "部署",
                "phone": "電話番号に使えない文字",
                "expires": "本日",
            }
            for field, fragment in expected.items():
                assert fragment in error_text(form, field), (field, error_text(form, field))
            assert app.focused is form.query_one("#name", Input)  # the first field in error
            text = screen_text(app)
            assert "担当者名を入力してください" in text

            # fixed, but the login ID is taken: said beside ログインID
            await fill_new(app, pilot, **{**NEW_ACCOUNT, "login_id": "USER@example.com"})
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is form
            assert "既に使われています" in error_text(form, "login_id")
            for field in ("name", "role", "password", "department", "phone", "expires"):
                assert error_text(form, field) == "", field
            assert app.focused is form.query_one("#login_id", Input)

    run(body)
    assert live_accounts(ctx).keys() == before.keys()


@app_test(as_=ADMIN)
async def test_palette_new_account_opens_the_form_for_an_admin(app, pilot) -> None:
    await pilot.press("ctrl+p")
    await settle(app, pilot)
    assert CommandPalette.is_open(app)
    burst(app, "アカウント新規登録")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, AccountFormScreen) and app.screen.is_new
    # Esc on an empty form closes at once
    await pilot.press("escape")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


@app_test(as_=ADMIN)
async def test_escape_with_unsaved_input_asks_first(app, pilot, ctx) -> None:
    await open_accounts(app, pilot)
    await pilot.press("n")
    await settle(app, pilot)
    form = app.screen
    burst(app, "途中")
    await settle(app, pilot)
    await pilot.press("escape")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmModal)
    await pilot.press("escape")  # いいえ: keep editing
    await settle(app, pilot)
    assert app.screen is form and form.query_one("#name", Input).value == "途中"
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("tab", "enter")  # はい
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert len(live_accounts(ctx)) == 2


# ----------------------------------------------------------------------------- 更新
@app_test(as_=ADMIN)
async def test_admin_changes_another_accounts_role_and_expiry(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "user@example.com")
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AccountFormScreen) and not form.is_new
    assert "アカウント更新" in screen_text(app)
    # ログインID is read-only; no password fields for another account
    assert not form.query("#login_id")
    assert text_of(form.query_one("#login_id-ro")) == "user@example.com"
    assert not form.query("#current_password")
    await choose(app, pilot, "role", "admin")
    await type_into(app, pilot, "expires", "2031-12-31")
    form.query_one("#save", Button).focus()
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "アカウント情報を更新しました: user@example.com" in text_of(
        pane.query_one("#accounts-notice"))
    row = next(r for r in rows(pane) if r[2] == "user@example.com")
    assert row[1] == "admin" and row[5] == "2031-12-31"
    updated = live_accounts(ctx)["user@example.com"]
    assert updated.role == "admin" and updated.expires.isoformat() == "2031-12-31"


@app_test(as_=USER)
async def test_user_edits_their_own_name_only(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AccountFormScreen) and form.is_self
    # 権限, ログインID and 有効期限 are shown, read-only
    assert not form.query("#role") and text_of(form.query_one("#role-ro")) == "user"
    assert not form.query("#expires")
    assert text_of(form.query_one("#expires-ro")) == "9999-12-31"
    assert not form.query("#login_id")
    text = screen_text(app)
    for label in ("現在のパスワード", "新しいパスワード", "新しいパスワード(確認)"):
        assert label in text
    await type_into(app, pilot, "name", "佐藤 花")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert rows(pane)[0][0] == "佐藤 花"
    assert "アカウント情報を更新しました" in text_of(pane.query_one("#accounts-notice"))
    # The header greets the new name at once.
    assert text_of(app.screen.query_one("#welcome")) == "ようこそ 佐藤 花 様"
    assert live_accounts(ctx)["user@example.com"].name == "佐藤 花"


@app_test(as_=ADMIN)
async def test_own_password_change_refuses_a_wrong_current_password(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "admin@example.com")
    await pilot.press("u")  # the 更新 key
    await settle(app, pilot)
    form = app.screen
    assert form.is_self and not form.query("#role")  # no self-demotion offered
    await type_into(app, pilot, "current_password", "wrong-pass-1")
    await type_into(app, pilot, "new_password", "new-admin-pass-9")
    await type_into(app, pilot, "new_password_confirm", "new-admin-pass-9")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert app.screen is form
    assert "現在のパスワードが正しくありません" in error_text(form, "current_password")
    assert app.focused is form.query_one("#current_password", Input)
    assert form.query_one("#current_password", Input).value == ""
    await type_into(app, pilot, "current_password", "demo-admin-1")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "パスワードを変更しました" in text_of(pane.query_one("#accounts-notice"))
    assert "new-admin-pass-9" not in screen_text(app)
    assert auth.login(ctx, MEMBER_NO, "admin@example.com", "new-admin-pass-9").session
    actions = [e.action for e in audit.list_entries(ctx, session_of(ctx, (
        MEMBER_NO, "admin@example.com", "new-admin-pass-9")), last=10)]
    assert "password.change" in actions and "password.change_failure" in actions


@app_test(as_=ADMIN)
async def test_refusals_are_shown_beside_the_field(app, pilot, ctx, monkeypatch) -> None:
    """The service's PermissionDenied: an admin cannot expire themselves (real), and the
    last-admin rule (which a logged-in admin cannot reach alone: the acting admin always
    counts, so the service's refusal is simulated) is named clearly."""
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "admin@example.com")
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    await type_into(app, pilot, "expires", "2020-01-01")
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen is form
    assert "過去の日付にすることはできません" in error_text(form, "expires")
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("tab", "enter")  # discard
    await settle(app, pilot)

    def last_admin(*args, **kwargs):
        raise accounts._last_admin("role")

    monkeypatch.setattr(accounts, "update_account", last_admin)
    await select_row(app, pilot, pane, "user@example.com")
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    await choose(app, pilot, "role", "admin")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert app.screen is form
    assert "最後の管理者(admin)アカウント" in error_text(form, "role")
    assert "最後の管理者(admin)アカウント" in screen_text(app)
    assert live_accounts(ctx)["admin@example.com"].expires.isoformat() == "9999-12-31"


@app_test(as_=ADMIN)
async def test_a_stale_form_says_so_and_reloads(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "user@example.com")
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    # someone else changes the account meanwhile
    other = session_of(ctx, ADMIN)
    current = live_accounts(ctx)["user@example.com"]
    accounts.update_account(ctx, other, current.id, version=current.version,
                            name="佐藤 別名", department="総務部",
                            phone=current.phone)
    await type_into(app, pilot, "department", "開発部")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert app.screen is form
    error = text_of(form.query_one("#account-form-error"))
    assert "他の方が先に変更しました" in error and "最新の内容を読み込みました" in error
    assert form.query_one("#name", Input).value == "佐藤 別名"
    assert form.query_one("#department", Input).value == "総務部"
    # saving again now works on the fresh version
    await type_into(app, pilot, "department", "開発部")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    fresh = live_accounts(ctx)["user@example.com"]
    assert (fresh.name, fresh.department) == ("佐藤 別名", "開発部")


# ----------------------------------------------------------------------------- 削除
@app_test(as_=ADMIN)
async def test_delete_asks_first_and_cancel_keeps_the_account(app, pilot, ctx) -> None:
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "user@example.com")
    await pilot.press("d")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmModal)
    text = screen_text(app)
    for part in ("アカウント削除", "佐藤 花子", "user@example.com", "営業部", "削除",
                 "閉じる"):
        assert part in text, part
    await pilot.press("enter")  # focus starts on 閉じる: nothing happens
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "user@example.com" in live_accounts(ctx)
    assert len(rows(pane)) == 2

    await pilot.press("delete")
    await settle(app, pilot)
    await pilot.press("tab", "enter")  # 削除
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    assert "アカウントを削除しました: user@example.com" in text_of(
        pane.query_one("#accounts-notice"))
    assert [row[2] for row in rows(pane)] == ["admin@example.com"]
    assert "user@example.com" not in live_accounts(ctx)


# ----------------------------------------------------------------------------- lock, mail
def test_admin_unlocks_a_locked_account(make_app, ctx):
    for _ in range(ctx.settings.lockout_threshold):
        with pytest.raises(AuthError):
            auth.login(ctx, MEMBER_NO, "user@example.com", "wrong-password-1")
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            pane = await open_accounts(app, pilot)
            await select_row(app, pilot, pane, "user@example.com")
            row = next(r for r in rows(pane) if r[2] == "user@example.com")
            assert row[6] == "ロック中"
            assert not pane.query_one("#acc-unlock", Button).disabled
            await pilot.press("l")
            await settle(app, pilot)
            assert "ロックを解除しました: user@example.com" in text_of(
                pane.query_one("#accounts-notice"))
            row = next(r for r in rows(pane) if r[2] == "user@example.com")
            assert row[6] == "正常"

    run(body)
    assert auth.login(ctx, *USER).session is not None


@app_test(as_=ADMIN)
async def test_admin_sends_a_password_reset_mail_to_another_account(app, pilot, settings) -> None:
    pane = await open_accounts(app, pilot)
    await select_row(app, pilot, pane, "user@example.com")
    sent_before = len(read_outbox(settings.outbox_dir, last=1000))
    await pilot.press("r")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmModal)
    text = screen_text(app)
    assert "パスワード再設定メールを送信しますか" in text
    assert "送信先: user@example.com" in text
    await pilot.press("tab", "enter")  # 送信
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    notice = text_of(pane.query_one("#accounts-notice"))
    assert notice == "user@example.com 宛にパスワード再設定メールを送信しました。"
    auth.wait_for_mail(timeout=10)
    mails = read_outbox(settings.outbox_dir, last=1000)
    assert len(mails) == sent_before + 1
    assert mails[-1].to == "user@example.com"
    code = last_code(settings, r"^([0-9A-Za-z]+-[0-9A-Za-z]+)$")
    assert code not in screen_text(app)  # the code (and no password) on screen


# ----------------------------------------------------------------------------- audit log
def test_audit_log_shows_the_changes_just_made(make_app, ctx, monkeypatch):
    monkeypatch.setattr(accounts_audit, "PAGE_SIZE", 3)
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            pane = await open_accounts(app, pilot)
            # a change to audit: the user's department
            await select_row(app, pilot, pane, "user@example.com")
            await pilot.press("enter")
            await settle(app, pilot)
            await type_into(app, pilot, "department", "営業二部")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            total = len(audit.list_entries(ctx, session_of(ctx, ADMIN), last=1000))
            await pilot.press("a")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, AuditLogScreen)
            table = screen.query_one("#audit-table", DataTable)
            headers = [str(column.label) for column in table.columns.values()]
            assert headers == ["日時 (JST)", "実行者", "操作", "対象", "変更内容"]
            first = [str(cell) for cell in table.get_row_at(1)]  # 0: the test's own login
            assert first[0] == "2026-03-02 10:00:00"  # the fixed clock, in JST
            assert first[1:4] == ["admin@example.com", "アカウント更新", "user@example.com"]
            assert first[4] == "部署: 営業部 -> 営業二部"
            assert table.row_count == 3
            assert "1-3件目" in text_of(screen.query_one("#audit-status"))
            # PgDn: older entries; PgUp: back
            newest_ids = [entry.id for entry in screen.entries]
            await pilot.press("pagedown")
            await settle(app, pilot)
            assert f"4-{min(6, total)}件目" in text_of(screen.query_one("#audit-status"))
            assert all(entry.id < min(newest_ids) for entry in screen.entries)
            while screen._has_older:
                await pilot.press("pagedown")
                await settle(app, pilot)
            await pilot.press("pagedown")
            await settle(app, pilot)
            assert "これより古い記録はありません" in text_of(screen.query_one("#audit-status"))
            while screen.page > 1:
                await pilot.press("pageup")
                await settle(app, pilot)
            await pilot.press("pageup")
            await settle(app, pilot)
            assert [entry.id for entry in screen.entries] == newest_ids
            # Enter: the whole entry
            await pilot.press("down")  # row 1: the update
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, AuditEntryScreen)
            text = screen_text(app)
            for part in ("監査ログの詳細", "account.update", "変更前", "変更後", "部署: 営業部",
                         "部署: 営業二部", "ログインID: user@example.com"):
                assert part in text, part
            await pilot.press("escape")
            await settle(app, pilot)
            assert app.screen is screen
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen)

    run(body)


def test_audit_log_from_the_palette_lists_creation_and_deletion(make_app, ctx):
    admin = session_of(ctx, ADMIN)
    made = accounts.create_account(ctx, admin, **NEW_ACCOUNT)
    accounts.delete_account(ctx, admin, made.id, version=made.version)
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            labels = [label for label, _help, _cb in palette_entries(app, app.screen)]
            assert "監査ログ" in labels
            await pilot.press("ctrl+p")
            await settle(app, pilot)
            burst(app, "監査ログ")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, AuditLogScreen)
            table = screen.query_one("#audit-table", DataTable)
            cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            deleted = next(r for r in cells if r[2] == "アカウント削除")
            created = next(r for r in cells if r[2] == "アカウント新規登録"
                           and r[3] == "tanaka@example.com")
            assert deleted[3] == "tanaka@example.com" and "削除: いいえ -> はい" in deleted[4]
            assert "担当者名: 田中 次郎" in created[4]
            assert cells.index(deleted) < cells.index(created)  # newest first
            assert any(r[2] == "ログイン" for r in cells)
            assert all(len(r[4]) <= accounts_audit.CHANGES_WIDTH for r in cells)

    run(body)


# ----------------------------------------------------------------------------- small screens
@app_test(as_=ADMIN, size=(80, 24))
async def test_the_form_fits_80x24(app, pilot) -> None:
    await open_accounts(app, pilot)
    await pilot.press("n")
    await settle(app, pilot)
    text = screen_text(app)
    for label in ("担当者名(必須)", "権限(必須)", "ログインID(必須)", "部署(必須)",
                  "電話番号", "有効期限(必須)", "閉じる", "新規登録"):
        assert label in text, label
    form = app.screen
    assert form.query_one("#save", Button).region.bottom <= 24


@app_test(as_=ADMIN, lang="en")
async def test_english_pane_and_form(app, pilot) -> None:
    pane = await open_accounts(app, pilot)
    table = pane.query_one("#accounts-table", DataTable)
    headers = [str(column.label) for column in table.columns.values()]
    assert headers == ["Name", "Role", "Login ID", "Department", "Phone", "Expires",
                       "State"]
    assert rows(pane)[0][6] == "ok"
    await pilot.press("n")
    await settle(app, pilot)
    text = screen_text(app)
    for label in ("New account", "Name (required)", "Enter an e-mail address",
                  "8-20 half-width characters", "Create", "Close"):
        assert label in text, label
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert "Enter the contact name" in error_text(app.screen, "name")


def test_delete_on_ones_own_row_says_why(make_app):
    """Issue 13, point 6: ``d`` on one's own row did nothing at all; now the notice says
    the service's reason, and nothing is asked or changed."""
    from portplus_tui.ui.screens.confirm import ConfirmModal

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            pane = await open_accounts(app, pilot)
            assert pane.selected is not None and pane.selected.id == pane.own_id
            for key in ("d", "delete"):
                pane.say("")
                await pilot.press(key)
                await settle(app, pilot)
                assert not isinstance(app.screen, ConfirmModal)
                notice = pane.query_one("#accounts-notice")
                assert "自分自身のアカウントは削除できません" in str(notice.render())

    run(body)


def test_every_account_button_reads_in_full_at_80_columns(make_app):
    """Issue 13, point 7: at 80 columns the buttons were cut at 「パスワー」 and 監査ログ was
    off screen; the reset button has a short label below 90 columns."""
    from .support import screen_text

    app = make_app()

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, ADMIN)
            await open_accounts(app, pilot)
            text = screen_text(app)
            for label in ("アカウント新規登録", "更新", "削除", "ロック解除", "再設定メール", "監査ログ"):
                assert label in text, (label, text)
            for button in app.screen.query("#accounts-actions Button"):
                assert button.region.right <= 80, (button.id, button.region)

    run(body)


def test_the_discard_question_has_no_lone_question_mark(make_app):
    """Issue 13, point 13: the discard dialog broke its question before the 「?」."""
    from portplus_tui.ui.screens.confirm import ConfirmModal

    from .support import screen_text

    app = make_app()

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, ADMIN)
            await open_accounts(app, pilot)
            await pilot.press("n")
            await settle(app, pilot)
            app.screen.query_one("#name", Input).value = "x"
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmModal)
            lines = [line.strip(" |") for line in screen_text(app).splitlines()]
            assert not any(line in ("?", "?") for line in lines), lines
            assert any(line.endswith("破棄して移動しますか?") for line in lines), lines

    run(body)


def test_the_table_columns_fit_the_rows_as_soon_as_they_are_shown(make_app):
    """CI once looked at the screen between the rows' arrival and the table's next idle
    (when DataTable measures new rows): every column at its header's width, 「admin@exam」.
    The widths are set as the rows are put in."""
    from rich.cells import cell_len

    app = make_app()

    async def body():
        async with app.run_test(size=(120, 36)) as pilot:
            await login(app, pilot, ADMIN)
            pane = await open_accounts(app, pilot)
            table = pane.query_one("#accounts-table", DataTable)
            for column in table.ordered_columns:  # as before any row was measured
                column.content_width = cell_len(column.label.plain)
            pane._show(list(pane.accounts), None)  # no idle in between
            login_ids = table.ordered_columns[2]
            assert login_ids.content_width >= cell_len("admin@example.com")

    run(body)
