"""アカウント新規登録 and アカウント更新 (R-ACC-2...R-ACC-4), as the manual draws them.

新規登録 (admin): 担当者名(必須), 権限(必須) admin / user, ログインID(必須) with
「Emailアドレスを入力してください」, パスワード(必須) with the policy text, パスワード(必須)
again with 「確認の為もう一度入力してください」, 部署(必須), 電話番号, 有効期限(必須)
(``MaskedInput`` 9999-99-99). Every field is checked at once with
``accounts.validate_new_account`` and each error is shown beside its field; nothing is
saved while there is one. The login ID's uniqueness is decided when the account is
written (``create_account``), and shown beside ログインID too.

更新: ログインID is read-only. A user edits 担当者名, 部署, 電話番号 (権限 and 有効期限
are shown read-only); an admin editing another account also changes 権限 and 有効期限;
an admin editing their own account may change 有効期限 (the service refuses to extend
it) but not 権限. Editing one's own account shows 現在のパスワード / 新しいパスワード /
新しいパスワード(確認); when any of them is filled, ``auth.change_own_password`` runs after
``accounts.update_account`` (which takes the version the form was opened with). A stale
version (ConflictError) is said and the form reloads the account.

Buttons 閉じる and 新規登録 / 更新. Keys as in every form (``SubmitKeys``): Enter moves
to the next field and saves from the last one, Ctrl+S saves from anywhere; Esc or 閉じる
with unsaved input asks first (R-UI-4). The screen's result is
``(message, account_id)`` after a save, ``None`` when closed.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from portplus_tui.core.errors import (
    ConflictError,
    NotFoundError,
    PortPlusError,
)
from portplus_tui.ui.base import FormMixin, Guarded, SubmitKeys, submit_bindings
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, relabel_binding, t
from portplus_tui.ui.screens.live_warning import WarnsOnLiveChange
from portplus_tui.ui.styles import ACCOUNTS_CSS
from portplus_tui.ui.widgets.dates import DateInput
from portplus_tui.ui.widgets.inputs import PasswordInput, SafeSelect
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose

ROLES = ("admin", "user")
DATE_MASK = "9999-99-99"
NEW_FIELDS = ("name", "role", "login_id", "password", "password_confirm", "department", "phone",
              "expires")
PASSWORD_FIELDS = ("current_password", "new_password", "new_password_confirm")


class AccountFormScreen(WarnsOnLiveChange, SubmitKeys, Guarded, FormMixin,
                        ModalScreen[tuple[str, int | None] | None]):
    CSS_PATH = str(ACCOUNTS_CSS)
    BINDINGS = [
        Binding("escape", "close", "key.close", key_display="Esc", id="account_form.close"),
        *submit_bindings("account_form", "accounts.form_save"),
    ]

    def __init__(self, account: Any | None, *, own_id: int | None, admin: bool) -> None:
        super().__init__(classes="dialog account-form-screen")
        self.account: Any = account
        self.is_new = account is None
        localize_bindings(self)
        # Ctrl+S says what it does here: 新規登録 or 更新
        relabel_binding(self, "account_form.submit",
                        t("accounts.form_create" if self.is_new else "accounts.form_update"))
        self.is_self = account is not None and account.id == own_id
        self.admin = admin
        self.can_role = self.is_new or (admin and not self.is_self)
        self.can_expires = self.is_new or admin
        self._busy = False
        self._original: dict[str, str] = {}

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        s = host(self).settings
        policy = t("password.policy", min=s.password_min_length, max=s.password_max_length)
        account = self.account
        title = t("accounts.form_title_new" if self.is_new else "accounts.form_title_edit")
        with Vertical(id="account-form", classes="account-card"):
            yield Prose(title, classes="card-title", markup=False)
            notice = Prose("", id="account-form-notice", classes="notice", markup=False)
            notice.display = False
            yield notice
            fields = VerticalScroll(id="account-fields", can_focus=False)
            fields.can_focus = False  # the fields take the focus (and scroll into view)
            with fields:
                yield from self._row("name", t("accounts.f_name"),
                                     Input("" if account is None else account.name, id="name"))
                if self.can_role:
                    value = Select.NULL if account is None else account.role
                    role = SafeSelect([(r, r) for r in ROLES], prompt=t("accounts.f_role_prompt"),
                                  value=value, allow_blank=self.is_new, id="role")
                    yield from self._row("role", t("accounts.f_role"), role,
                                         hint=t("accounts.f_role_hint"))
                else:
                    yield from self._row("role", t("accounts.f_role"), self._readonly(
                        "role", account.role))
                if self.is_new:
                    yield from self._row("login_id", t("accounts.f_login_id"),
                                         Input(id="login_id"), hint=t("accounts.f_login_id_hint"))
                    yield from self._row("password", t("accounts.f_password"),
                                         PasswordInput(id="password"), hint=policy)
                    yield from self._row("password_confirm", t("accounts.f_password"),
                                         PasswordInput(id="password_confirm"),
                                         hint=t("password.confirm_hint"))
                else:
                    yield from self._row("login_id", t("accounts.f_login_id_ro"),
                                         self._readonly("login_id", account.login_id))
                    if self.is_self:
                        yield from self._row("current_password", t("accounts.f_current_password"),
                                             PasswordInput(id="current_password"),
                                             hint=t("accounts.f_password_change_hint"))
                        yield from self._row("new_password", t("accounts.f_new_password"),
                                             PasswordInput(id="new_password"), hint=policy)
                        yield from self._row("new_password_confirm",
                                             t("accounts.f_new_password_confirm"),
                                             PasswordInput(id="new_password_confirm"),
                                             hint=t("password.confirm_hint"))
                yield from self._row("department", t("accounts.f_department"),
                                     Input("" if account is None else account.department,
                                           id="department"))
                yield from self._row("phone", t("accounts.f_phone"),
                                     Input("" if account is None else account.phone, id="phone"))
                if self.can_expires:
                    # DateInput: a MaskedInput that also survives text typed over a selection
                    yield from self._row("expires", t("accounts.f_expires"), DateInput(
                        None if account is None else account.expires.isoformat(),
                        template=DATE_MASK, id="expires"), hint=t("accounts.f_expires_hint"))
                else:
                    yield from self._row("expires", t("accounts.f_expires"), self._readonly(
                        "expires", account.expires.isoformat()))
            with Vertical(classes="account-bottom"):  # always in sight
                error = Prose("", id="account-form-error", classes="form-error", markup=False)
                error.display = False
                yield error
                with Horizontal(classes="buttons account-buttons"):
                    yield Button(t("accounts.close"), id="close", action="screen.close")
                    yield Button(t("accounts.form_create" if self.is_new
                                   else "accounts.form_update"), id="save", action="screen.save", variant="primary")
        yield KeyBar()

    @staticmethod
    def _readonly(name: str, value: str) -> Static:
        return Prose(value, id=f"{name}-ro", classes="readonly-value", markup=False)

    @staticmethod
    def _row(name: str, label: str, widget: Any, *, hint: str | None = None):
        with_hint = [widget]
        if hint:
            with_hint.append(Prose(hint, classes="hint", markup=False))
        error = Prose("", id=f"{name}-error", classes="field-error", markup=False)
        error.display = False
        with_hint.append(error)
        yield Horizontal(Label(label, classes="field-label", markup=False),
                         Vertical(*with_hint, classes="field-body"),
                         classes="field-row", id=f"row-{name}")

    def on_mount(self) -> None:
        self._original = self._values()
        self.query_one("#name", Input).focus()

    # ----------------------------------------------------------------- values
    def _editable_inputs(self) -> list[str]:
        names = ["name", "department", "phone"]
        if self.is_new:
            names += ["login_id", "password", "password_confirm"]
        if self.can_expires:
            names.append("expires")
        if self.is_self:
            names += list(PASSWORD_FIELDS)
        return names

    def _role_value(self) -> str:
        if not self.can_role:
            return self.account.role
        value = self.query_one("#role", Select).value
        return "" if value is Select.NULL else str(value)

    def _values(self) -> dict[str, str]:
        values = {name: self.field_value(name) for name in self._editable_inputs()}
        values["role"] = self._role_value()
        return values

    # another session changed or deleted the account being edited (issue 15)
    def live_item(self) -> tuple[str, Any] | None:
        return None if self.account is None else ("account", self.account)

    def live_warn(self, text: str) -> None:
        self.show_form_error(text, "#account-form-error")

    def is_dirty(self) -> bool:
        return self._values() != self._original

    # ----------------------------------------------------------------- keys
    def submit_form(self) -> None:
        self.action_save()

    def action_close(self) -> None:
        if self._busy:
            return
        if self.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.dismiss(None)

            self.app.push_screen(ConfirmModal(t("confirm.discard")), answer)
            return
        self.dismiss(None)

    def action_save(self) -> None:
        if self._busy:
            return
        self.clear_errors()
        self.say("")
        if self.is_new:
            self._create()
        else:
            self._update()

    # ----------------------------------------------------------------- feedback
    def say(self, text: str) -> None:
        notice = self.query_one("#account-form-notice", Static)
        notice.update(text)
        notice.display = bool(text)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#save", Button).loading = busy

    def _show_errors(self, errors: dict[str, PortPlusError]) -> None:
        lang = get_lang()
        first = None
        for name in NEW_FIELDS + PASSWORD_FIELDS:
            if name in errors:
                exc = errors[name]
                if not self.show_field_error(exc.field or name, exc.message(lang)):
                    self.show_form_error(exc.message(lang), "#account-form-error")
                first = first or name
        for name, exc in errors.items():  # a field this form does not know
            if name not in NEW_FIELDS + PASSWORD_FIELDS:
                self.show_form_error(exc.message(lang), "#account-form-error")
        if first is not None:
            found = self.query(f"#{first}")
            if found:
                found.first().focus()

    def _show_one(self, exc: PortPlusError) -> None:
        lang = get_lang()
        text = exc.message(lang)
        if exc.field and self.show_field_error(exc.field, text):
            found = self.query(f"#{exc.field}")
            if found and found.first().focusable:
                found.first().focus()
        else:
            self.show_form_error(text, "#account-form-error")

    # ----------------------------------------------------------------- 新規登録
    def _create(self) -> None:
        values = self._values()
        fields = {name: values[name] for name in NEW_FIELDS}
        self._set_busy(True)

        def done(result) -> None:
            self._set_busy(False)
            if isinstance(result, dict):
                self._show_errors(result)
                return
            self.dismiss((t("accounts.created", login_id=result.login_id), result.id))

        def failed(exc: PortPlusError) -> None:
            self._set_busy(False)
            self._show_one(exc)

        app = host(self)
        app.run_service(self, app.clients.accounts.create(fields), done=done, failed=failed)

    # ----------------------------------------------------------------- 更新
    def _update(self) -> None:
        values = self._values()
        account = self.account
        passwords = {name: values.get(name, "") for name in PASSWORD_FIELDS}
        change_password = self.is_self and any(passwords.values())
        update = dict(
            version=account.version, name=values["name"], department=values["department"],
            phone=values["phone"],
            role=values["role"] if self.can_role else None,
            expires=values["expires"] if self.can_expires else None,
        )
        self._set_busy(True)

        def done(result) -> None:
            self._set_busy(False)
            view, password = result
            changed = view.version != account.version
            if isinstance(password, PortPlusError):
                self._saved_partly(view, changed, password)
                return
            if password is True and changed:
                message = t("accounts.updated_with_password", login_id=view.login_id)
            elif password is True:
                message = t("accounts.password_changed")
            elif changed:
                message = t("accounts.updated", login_id=view.login_id)
            else:
                message = t("accounts.no_changes")
            self.dismiss((message, view.id))

        def failed(exc: PortPlusError) -> None:
            self._set_busy(False)
            if isinstance(exc, ConflictError):
                self._reload_account(exc)
            elif isinstance(exc, NotFoundError) and exc.field in (None, "account"):
                self.show_form_error(exc.message(get_lang()), "#account-form-error")
            else:
                self._show_one(exc)

        app = host(self)
        call = app.clients.accounts.update(account.id, update,
                                           passwords if change_password else None)
        app.run_service(self, call, done=done, failed=failed)

    def _saved_partly(self, view: Any, changed: bool, exc: PortPlusError) -> None:
        """The account was saved (or had nothing to save), the password was refused."""
        self.account = view
        if changed:
            self.say(t("accounts.saved_without_password"))
        if exc.field == "current_password" or exc.field is None:
            self.query_one("#current_password", Input).value = ""
        self._original = {**self._values(), **{name: "" for name in PASSWORD_FIELDS}}
        self._show_one(exc)
        if exc.field is None:
            self.query_one("#current_password", Input).focus()

    def _reload_account(self, exc: PortPlusError) -> None:
        """Someone changed the account first: say so and show its current values."""
        account_id = self.account.id
        message = exc.message(get_lang())

        def done(fresh) -> None:
            self._set_busy(False)
            self.account = fresh
            self._fill(fresh)
            self.show_form_error(t("accounts.conflict_reloaded", message=message),
                                 "#account-form-error")

        def failed(error: PortPlusError) -> None:
            self._set_busy(False)
            self.show_form_error(message + " " + error.message(get_lang()),
                                 "#account-form-error")

        self._set_busy(True)
        app = host(self)
        app.run_service(self, app.clients.accounts.get(account_id), done=done, failed=failed)

    def _fill(self, account: Any) -> None:
        self.query_one("#name", Input).value = account.name
        self.query_one("#department", Input).value = account.department
        self.query_one("#phone", Input).value = account.phone or ""
        if self.can_role:
            self.query_one("#role", Select).value = account.role
        else:
            self.query_one("#role-ro", Static).update(account.role)
        if self.can_expires:
            self.query_one("#expires", Input).value = account.expires.isoformat()
        else:
            self.query_one("#expires-ro", Static).update(account.expires.isoformat())
        if self.is_self:
            for name in PASSWORD_FIELDS:
                self.query_one(f"#{name}", Input).value = ""
        self._original = self._values()
