"""アカウント管理 (R-ACC-1...R-ACC-6): the company's accounts and what may be done to them.

An admin sees every account of the company; a user sees only their own row (the service
decides: ``accounts.list_accounts``). The table shows 担当者名, 権限, ログインID, 部署,
電話番号, 有効期限 and 状態 (正常 / ロック中 / 期限切れ).

Keys (also buttons above the table; the Footer lists them):

* Enter (or U): アカウント更新 of the selected row (``AccountFormScreen``),
* N: アカウント新規登録 (admin),
* D or Del: 削除 after a confirmation that shows the account (admin, not one's own row),
* L: ロック解除 of a locked account (admin),
* R: 「パスワード再設定メール送信」 to another account (admin; the mail goes out, no
  password is ever shown),
* A: 監査ログ (admin, ``AuditLogScreen``), F5: 再読込.

Admin-only actions are hidden from a user (buttons, Footer, palette); the service refuses
them anyway. Whether the account is an admin is taken from the session after each load
(the service re-reads the role on every call), so a demotion hides them at once.
Every service call runs in a thread worker through ``app.run_service`` with the table's
loading indicator; results and refusals are shown in the notice line above the table.
"""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Static

from portplus_tui.core.errors import ConflictError, NotFoundError, PortPlusError
from portplus_tui.ui import textual_compat
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, t
from portplus_tui.ui.panes.base import MARK_SECONDS, Pane
from portplus_tui.ui.widgets.prose import Prose
from portplus_tui.ui.widgets.tables import RowTable

ADMIN_ACTIONS = frozenset({"new", "delete", "unlock", "send_reset", "audit"})
#: button id -> action
BUTTONS = (
    ("acc-new", "new", "accounts.new", True),
    ("acc-edit", "edit", "accounts.edit", False),
    ("acc-delete", "delete", "accounts.delete", True),
    ("acc-unlock", "unlock", "accounts.unlock", True),
    ("acc-reset", "send_reset", "accounts.send_reset", True),
    ("acc-audit", "audit", "accounts.audit", True),
)
COLUMNS = ("name", "role", "login_id", "department", "phone", "expires", "state")


def state_label(account: Any) -> str:
    """ロック中 / 期限切れ / 有効, as the service computed them (AccountView)."""
    if account.locked:
        return t("accounts.state_locked")
    if account.expired:
        return t("accounts.state_expired")
    return t("accounts.state_ok")


def pad(text: str, width: int) -> str:
    """Left-justify by terminal cells (Japanese characters take two)."""
    return text + " " * max(0, width - cell_len(text))


def account_summary(account: Any) -> str:
    """The account as label/value lines (the delete confirmation)."""
    rows = [
        (t("accounts.col_name"), account.name),
        (t("accounts.col_role"), account.role),
        (t("accounts.col_login_id"), account.login_id),
        (t("accounts.col_department"), account.department),
        (t("accounts.col_phone"), account.phone or "-"),
        (t("accounts.col_expires"), account.expires.isoformat()),
    ]
    width = max(cell_len(label) for label, _ in rows) + 2
    return "\n".join(pad(label, width) + value for label, value in rows)


class AccountsPane(Pane):
    BINDINGS = [
        Binding("n", "new", "key.accounts.new", key_display="N", id="accounts.new"),
        Binding("u", "edit", "key.accounts.edit", key_display="Enter", id="accounts.edit"),
        Binding("d,delete", "delete", "key.accounts.delete", key_display="D",
                id="accounts.delete"),
        Binding("l", "unlock", "key.accounts.unlock", key_display="L", id="accounts.unlock"),
        Binding("r", "send_reset", "key.accounts.reset", key_display="R", id="accounts.reset"),
        Binding("a", "audit", "key.accounts.audit", key_display="A", id="accounts.audit"),
        Binding("f5", "reload", "key.accounts.reload", key_display="F5", id="accounts.reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="pane-accounts")
        self.accounts: list = []
        self._admin = False
        self._loaded = False
        self._pending: list[str] = []  # commands that wait for the first load
        self._marked: dict[int, float] = {}  # changed by another session: until when

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        session = host(self).session
        self._admin = bool(session is not None and session.is_admin)
        # Focus follows the screen position (Textual 8): the table comes before the
        # buttons below it, so Tab from the menu lands on the table.
        yield Prose(t("accounts.title"), id="accounts-title", classes="pane-title",
                     markup=False)
        notice = Prose("", id="accounts-notice", classes="notice", markup=False)
        notice.display = False
        yield notice
        table: DataTable = RowTable(id="accounts-table", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(t(f"accounts.col_{column}"), key=column)
        yield table
        actions = HorizontalScroll(id="accounts-actions")
        actions.can_focus = False
        with actions:
            for button_id, _action, label_key, admin_only in BUTTONS:
                if button_id == "acc-reset" and self.app.size.width < self.SHORT_LABELS_BELOW:
                    # the pane is narrower still: short from the start (on_resize keeps it right)
                    label_key = "accounts.send_reset_short"
                button = Button(t(label_key), id=button_id, compact=True,
                                variant="primary" if button_id == "acc-new" else "default")
                button.display = self._admin or not admin_only
                yield button
        yield Prose(t("accounts.hint_admin" if self._admin else "accounts.hint_user"),
                     id="accounts-hint", classes="pane-hint", markup=False)

    #: below this width the reset button's label is the short one, so that the six
    #: buttons, 監査ログ included, are on screen at 80 columns (issue 13, point 7)
    SHORT_LABELS_BELOW = 90

    def on_resize(self) -> None:
        if not self.size.width:
            return
        key = ("accounts.send_reset_short" if self.size.width < self.SHORT_LABELS_BELOW
               else "accounts.send_reset")
        button = self.query_one("#acc-reset", Button)
        if str(button.label) != t(key):
            button.label = t(key)

    def focus_target(self):
        return self.query_one("#accounts-table", DataTable)

    # ----------------------------------------------------------------- data
    @property
    def table(self) -> DataTable:
        return self.query_one("#accounts-table", DataTable)

    @property
    def own_id(self) -> int | None:
        session = host(self).session
        return None if session is None else session.account_id

    @property
    def selected(self) -> Any | None:
        found = self.query("#accounts-table")
        if not found or not self.accounts:
            return None
        table = found.first(DataTable)
        if table.row_count == 0:
            return None
        row = table.cursor_row
        if row < 0 or row >= table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        for account in self.accounts:
            if str(account.id) == key:
                return account
        return None

    def refresh_data(self, select_id: int | None = None, *, quiet: bool = False) -> None:
        """Read the table again, the cursor on ``select_id`` (or the account it is on).
        ``quiet``: no loading indicator (another session's change, issue 15)."""
        session = host(self).session
        if session is None:
            return
        current = self.selected
        keep = select_id if select_id is not None else (current.id if current else None)

        def done(rows: list) -> None:
            self._show(rows, keep)

        app = host(self)
        app.run_service(self, app.clients.accounts.list(), done=done, failed=self._failed,
                        busy=None if quiet else self.table)

    # ----------------------------------------------------------------- live (issue 15)
    LIVE_KINDS = frozenset({"account"})

    def live_changed(self, changes: list) -> None:
        """Another session changed accounts of the company: the table is read again,
        the cursor on the same account (or at its place when it was deleted), the
        changed ones marked for a few seconds."""
        kinds = {change.kind for change in changes}
        if not kinds & {"account", "reset"} or not self._loaded:
            return
        until = time.monotonic() + MARK_SECONDS
        for change in changes:
            if change.kind == "account" and change.item_id is not None:
                self._marked[change.item_id] = until
        self.refresh_data(quiet=True)
        self.set_timer(MARK_SECONDS + 0.1, self._unmark)

    def _unmark(self) -> None:
        if self._loaded:
            current = self.selected
            self._show(self.accounts, current.id if current else None)

    def _marks(self) -> set[int]:
        now = time.monotonic()
        self._marked = {key: until for key, until in self._marked.items() if until > now}
        return set(self._marked)

    def _show(self, rows: list, keep: int | None) -> None:
        session = host(self).session
        self._admin = bool(session is not None and session.is_admin)
        self.accounts = list(rows)
        table = self.table
        place = table.cursor_row
        marked = self._marks()
        table.clear()
        for account in rows:
            table.add_row(
                # changed by another session: "*" (reads with NO_COLOR), reversed
                Text(f"{t('live.changed_mark')}{account.name}", style="reverse")
                if account.id in marked else Text(account.name),
                Text(account.role), Text(account.login_id),
                Text(account.department), Text(account.phone or ""),
                Text(account.expires.isoformat()), Text(state_label(account)),
                key=str(account.id),
            )
        textual_compat.fit_columns(table)  # widths now, not at the table's next idle
        target = keep if keep is not None else self.own_id
        for index, account in enumerate(rows):
            if account.id == target:
                table.move_cursor(row=index)
                break
        else:
            if keep is not None and rows:  # it left the table: its neighbour
                table.move_cursor(row=min(max(place, 0), len(rows) - 1))
        self.query_one("#accounts-hint", Static).update(
            t("accounts.hint_admin" if self._admin else "accounts.hint_user"))
        self._loaded = True
        self._sync_actions()
        pending, self._pending = self._pending, []
        for action in pending:
            self.run_command(action)

    def _sync_actions(self) -> None:
        for button_id, action, _label, admin_only in BUTTONS:
            button = self.query_one(f"#{button_id}", Button)
            button.display = self._admin or not admin_only
            button.disabled = self.check_action(action, ()) is not True
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._sync_actions()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    # ----------------------------------------------------------------- messages
    def say(self, text: str, *, error: bool = False) -> None:
        notice = self.query_one("#accounts-notice", Static)
        notice.update(text)
        notice.set_classes("notice-error" if error else "notice")
        notice.display = bool(text)

    def _failed(self, exc: PortPlusError) -> None:
        self.say(exc.message(get_lang()), error=True)

    def _failed_then_reload(self, exc: PortPlusError) -> None:
        self._failed(exc)
        if isinstance(exc, (ConflictError, NotFoundError)):
            self.refresh_data()

    # ----------------------------------------------------------------- rights shown
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ADMIN_ACTIONS and not self._admin:
            return False  # hidden: a user cannot do it
        if action in ("new", "audit", "reload"):
            return True
        account = self.selected
        if account is None:
            return None
        # Not for this row: hidden from the Footer (narrow terminals have no room for
        # greyed-out keys); the button stays visible, disabled.
        if action in ("delete", "send_reset"):
            return account.id != self.own_id
        if action == "unlock":
            return account.locked
        return True

    def on_key(self, event) -> None:
        """A key whose action this row does not allow says why, instead of nothing
        (issue 13, point 6): ``d`` on one's own row gives the service's reason."""
        if event.key not in ("d", "delete") or not self._admin:
            return
        account = self.selected
        if account is None or account.id != self.own_id:
            return
        from portplus_tui.services import accounts

        session = host(self).session
        if session is None:
            return
        refusal = accounts.self_delete_refusal(session, account.id)
        if refusal is not None:
            event.stop()
            event.prevent_default()
            self.say(refusal.message(get_lang()), error=True)

    def run_command(self, action: str) -> None:
        if action == "new":
            if not self._loaded:  # the palette opened the pane: wait for the rights
                self._pending.append(action)
                return
            self.action_new()
        elif action == "audit":
            if not self._loaded:
                self._pending.append(action)
                return
            self.action_audit()

    def _other_account(self) -> Any:
        """The selected account when an administrator acts on someone else's: one's own
        account is not deleted (the service refuses it too) nor sent a reset mail (one
        changes one's own password instead)."""
        if not self._admin_only():
            return None
        account = self.selected
        return None if account is None or account.id == self.own_id else account

    def _admin_only(self) -> bool:
        if self._admin:
            return True
        self.say(t("accounts.admin_only"), error=True)
        return False

    # ----------------------------------------------------------------- buttons
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for button_id, action, _label, _admin in BUTTONS:
            if event.button.id == button_id:
                getattr(self, f"action_{action}")()
                return

    # ----------------------------------------------------------------- actions
    def action_reload(self) -> None:
        self.refresh_data()

    def action_new(self) -> None:
        if not self._admin_only():
            return
        from portplus_tui.ui.screens.account_form import AccountFormScreen

        self.app.push_screen(AccountFormScreen(None, own_id=self.own_id, admin=True),
                             self._form_closed)

    def action_edit(self) -> None:
        account = self.selected
        if account is None:
            return
        from portplus_tui.ui.screens.account_form import AccountFormScreen

        self.app.push_screen(AccountFormScreen(account, own_id=self.own_id, admin=self._admin),
                             self._form_closed)

    def _form_closed(self, result: tuple[str, int | None] | None) -> None:
        if result:
            message, account_id = result
            self.say(message)
            self.refresh_data(select_id=account_id)
        else:
            self.refresh_data()
        self.table.focus()

    def action_delete(self) -> None:
        account = self._other_account()
        if account is None:
            return
        from portplus_tui.ui.screens.confirm import ConfirmModal

        text = t("accounts.delete_confirm") + "\n\n" + account_summary(account)

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(account)

        self.app.push_screen(ConfirmModal(text, title=t("accounts.delete_title"),
                                          yes=t("accounts.delete"), no=t("accounts.close")),
                             answer)

    def _delete(self, account: Any) -> None:
        def done(_result) -> None:
            self.say(t("accounts.deleted", login_id=account.login_id))
            self.refresh_data()

        self._change(host(self).clients.accounts.delete(account), done)

    def _change(self, call: Any, done: Any) -> None:
        """Run a change of the table's accounts; a refusal reloads the table (the row
        may have changed or gone)."""
        host(self).run_service(self, call, done=done, failed=self._failed_then_reload,
                               busy=self.table)

    def action_unlock(self) -> None:
        if not self._admin_only():
            return
        account = self.selected
        if account is None:
            return
        if not account.locked:
            self.say(t("accounts.not_locked"))
            return

        def done(view) -> None:
            self.say(t("accounts.unlocked", login_id=view.login_id))
            self.refresh_data(select_id=view.id)

        self._change(host(self).clients.accounts.unlock(account.id), done)

    def action_send_reset(self) -> None:
        account = self._other_account()
        if account is None:
            return
        from portplus_tui.ui.screens.confirm import ConfirmModal

        def answer(yes: bool | None) -> None:
            if yes:
                self._send_reset(account)

        self.app.push_screen(ConfirmModal(t("accounts.reset_confirm", login_id=account.login_id),
                                          title=t("accounts.send_reset"),
                                          yes=t("accounts.reset_send"), no=t("accounts.close")),
                             answer)

    def _send_reset(self, account: Any) -> None:
        def done(_result) -> None:
            self.say(t("accounts.reset_sent", login_id=account.login_id))

        self._change(host(self).clients.auth.admin_send_reset(account.id), done)

    def action_audit(self) -> None:
        if not self._admin_only():
            return
        from portplus_tui.ui.screens.audit_log import AuditLogScreen

        self.app.push_screen(AuditLogScreen())
