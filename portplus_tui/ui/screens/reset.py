"""ResetScreen (R-RST-1): 「パスワードをお忘れの場合はこちら」.

Step 1: 会員番号 and メールアドレス. The answer is the same whatever happens (the
service sends a code only to a live account).
Step 2: the code from the mail and the new password twice (policy hint beside it).
Step 3: success; back to the login screen with 会員番号 and アカウント filled in.

Enter moves to the next field and submits on the last one; Esc goes back a step, and
leaves the screen from step 1, asking first when something was typed (R-UI-4).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Input, Label, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.base import FormMixin, Guarded, SubmitKeys, submit_bindings
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.widgets.inputs import PasswordInput
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose

REQUEST_FIELDS = ("member_no", "email")
COMPLETE_FIELDS = ("code", "new_password", "new_password_confirm")


class ResetScreen(SubmitKeys, Guarded, FormMixin, Screen[tuple[str, str] | None]):
    BINDINGS = [
        *submit_bindings("reset", "key.send"),
        Binding("escape", "back", "key.back", key_display="Esc", id="reset.back"),
    ]
    FORM_FIELDS = REQUEST_FIELDS + COMPLETE_FIELDS

    def __init__(self, *, member_no: str = "", email: str = "") -> None:
        super().__init__()
        localize_bindings(self)
        self._member_no = member_no
        self._email = email
        self._busy = False

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        s = host(self).settings
        yield Prose(t("app.name"), id="topbar", markup=False)
        with VerticalScroll(classes="form-scroll", can_focus=False):
            with Vertical(id="reset-box", classes="card"):
                yield Prose(t("reset.title"), classes="card-title", markup=False)
                with ContentSwitcher(initial="step-request", id="reset-steps"):
                    with Vertical(id="step-request", classes="step"):
                        yield Prose(t("reset.request_intro"), markup=False)
                        yield from self._field("member_no", t("reset.member_no"), self._member_no)
                        yield from self._field("email", t("reset.email"), self._email)
                        yield self._form_error("request-error")
                        with Horizontal(classes="buttons"):
                            yield Button(t("reset.back"), id="request-back", action="screen.back")
                            yield Button(t("reset.send"), id="send", action="screen.request", variant="primary")
                    with Vertical(id="step-complete", classes="step"):
                        yield Prose("", id="requested-message", classes="notice", markup=False)
                        yield from self._field("code", t("reset.code"))
                        yield from self._field("new_password", t("reset.new_password"),
                                               password=True,
                                               hint=t("password.policy", min=s.password_min_length,
                                                      max=s.password_max_length))
                        yield from self._field("new_password_confirm",
                                               t("reset.new_password_confirm"), password=True,
                                               hint=t("password.confirm_hint"))
                        yield self._form_error("complete-error")
                        with Horizontal(classes="buttons"):
                            yield Button(t("reset.back"), id="complete-back", action="screen.back")
                            yield Button(t("reset.resend"), id="resend", action="screen.request(True)")
                            yield Button(t("reset.complete"), id="complete", action="screen.complete",
                                         variant="primary")
                    with Vertical(id="step-done", classes="step"):
                        yield Prose(t("reset.done"), classes="notice", markup=False)
                        with Horizontal(classes="buttons"):
                            yield Button(t("reset.to_login"), id="to-login", action="screen.to_login",
                                         variant="primary")
        yield KeyBar()

    @staticmethod
    def _field(name: str, label: str, value: str = "", *, password: bool = False,
               hint: str | None = None):
        yield Label(label, classes="field-label", markup=False)
        if hint:
            yield Prose(hint, classes="hint", markup=False)
        yield PasswordInput(value, id=name) if password else Input(value, id=name)
        error = Prose("", id=f"{name}-error", classes="field-error", markup=False)
        error.display = False
        yield error

    @staticmethod
    def _form_error(id: str) -> Static:
        label = Prose("", id=id, classes="form-error", markup=False)
        label.display = False
        return label

    def on_mount(self) -> None:
        first = "email" if self._member_no and not self._email else "member_no"
        if self._member_no and self._email:
            first = "send"
        self.query_one(f"#{first}").focus()

    @property
    def step(self) -> str:
        return self.query_one("#reset-steps", ContentSwitcher).current or ""

    def _go(self, step: str, focus: str) -> None:
        self.clear_errors()
        self.query_one("#reset-steps", ContentSwitcher).current = step
        self.call_after_refresh(self.query_one(f"#{focus}").focus)

    # ----------------------------------------------------------------- keys
    def submit_form(self) -> None:
        if self._busy:
            return
        if self.step == "step-request":
            self.action_request()
        elif self.step == "step-complete":
            self.action_complete()

    def action_back(self) -> None:
        step = self.step
        if step == "step-complete":
            self._go("step-request", "email")
        elif step == "step-done":
            self._leave(done=True)
        elif self.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            self.app.push_screen(ConfirmModal(t("confirm.discard")), self._discard_answer)
        else:
            self._leave()

    def _discard_answer(self, yes: bool | None) -> None:
        if yes:
            self._leave()

    def _leave(self, done: bool = False) -> None:
        result = (self.field_value("member_no").strip(), self.field_value("email").strip())
        self.dismiss(result if done else None)

    # ----------------------------------------------------------------- step 1
    def action_to_login(self) -> None:
        self._leave(done=True)

    def action_request(self, again: bool = False) -> None:
        if self._busy:
            return
        self.clear_errors()
        member_no = self.field_value("member_no")
        email = self.field_value("email")
        missing = [name for name, value in (("member_no", member_no), ("email", email))
                   if not value.strip()]
        if missing:
            if again:
                self._go("step-request", missing[0])
            for name in missing:
                self.show_field_error(name, t(f"reset.required.{name}"))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        self._busy = True
        button = self.query_one("#resend" if again else "#send", Button)
        button.loading = True

        def done(answer) -> None:
            self._busy = False
            button.loading = False
            self.query_one("#requested-message", Static).update(
                t("reset.requested", minutes=answer.valid_minutes))
            if again:
                self.app.notify(t("reset.requested_again"), markup=False)
            self._go("step-complete", "code")

        def failed(exc: PortPlusError) -> None:
            self._busy = False
            button.loading = False
            if again and exc.field in REQUEST_FIELDS:
                self._go("step-request", exc.field)
                self.call_after_refresh(self.show_error, exc, get_lang(), False)
                return
            self._show(exc, "#request-error" if not again else "#complete-error")

        app = host(self)
        app.run_service(self, app.clients.auth.request_reset(member_no, email), done=done,
                        failed=failed)

    # ----------------------------------------------------------------- step 2
    def action_complete(self) -> None:
        if self._busy:
            return
        self.clear_errors()
        values = {name: self.field_value(name) for name in COMPLETE_FIELDS}
        missing = [name for name, value in values.items() if not value.strip()]
        if missing:
            for name in missing:
                self.show_field_error(name, t(f"reset.required.{name}"))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        if values["new_password"] != values["new_password_confirm"]:
            self.show_field_error("new_password_confirm", t("reset.mismatch"))
            self.query_one("#new_password_confirm", Input).focus()
            return
        self._busy = True
        button = self.query_one("#complete", Button)
        button.loading = True
        member_no = self.field_value("member_no")
        email = self.field_value("email")

        def done(_result) -> None:
            self._busy = False
            button.loading = False
            for name in COMPLETE_FIELDS:
                self.query_one(f"#{name}", Input).value = ""
            self._go("step-done", "to-login")

        def failed(exc: PortPlusError) -> None:
            self._busy = False
            button.loading = False
            for name in ("new_password", "new_password_confirm"):
                self.query_one(f"#{name}", Input).value = ""
            self._show(exc, "#complete-error")

        app = host(self)
        call = app.clients.auth.complete_reset(member_no, email, values["code"],
                                               values["new_password"],
                                               values["new_password_confirm"])
        app.run_service(self, call, done=done, failed=failed)

    def _show(self, exc: PortPlusError, form_error: str) -> None:
        text = exc.message(get_lang())
        fields = REQUEST_FIELDS if self.step == "step-request" else COMPLETE_FIELDS
        if exc.field in fields and self.show_field_error(exc.field, text):
            self.query_one(f"#{exc.field}").focus()
        else:
            self.show_form_error(text, form_error)
