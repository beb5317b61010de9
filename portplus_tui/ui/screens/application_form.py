"""ApplicationFormScreen: ポートプラス新規申込 (R-APP-3) and ポートプラス変更申込 (R-APP-4).

As in the manual: fill in 適用日 and 追加ポート数 (and 申込者), check the content, then
press 新規申込 / 変更申込. Three steps on one screen:

1. edit: 適用日 (``YYYY-MM-DD`` mask, real-date check, full-width digits accepted) with
   a live line under it giving its 申込期限 or why it is not possible (checked with the
   service in a worker, debounced); 追加ポート数 (full-width digits accepted); 申込者
   (default: the account's 担当者名). The change form also shows 契約ポート数 and 申込番号
   read-only and the hint 「2営業日前まで変更申込が可能です。」.
2. review: the values as they will be sent; 戻る or 新規申込 / 変更申込.
3. done: the new 申込番号 (a change: the new revision's number).

Errors from the service are shown beside their field (``ValidationError.field``). A
change that lost the race (R-APP-6) says so and offers to load the latest version.
Esc goes back a step, or closes the screen (asking first when something was typed).
The screen is dismissed with the saved ``ApplicationView`` or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

if TYPE_CHECKING:
    from textual.timer import Timer

from portplus_tui.core import validation as v
from portplus_tui.core.calendar import parse_date
from portplus_tui.core.errors import ConflictError, PortPlusError, ValidationError
from portplus_tui.ui.base import FormMixin, Guarded, SubmitKeys, submit_bindings
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.panes.portplus_common import fmt_date
from portplus_tui.ui.screens.live_warning import WarnsOnLiveChange
from portplus_tui.ui.styles import APPLICATION_FORM_CSS
from portplus_tui.ui.widgets.dates import DateInput, to_ascii_digits
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose


class ApplicationFormScreen(WarnsOnLiveChange, SubmitKeys, Guarded, FormMixin, Screen):
    CSS_PATH = str(APPLICATION_FORM_CSS)  # ui/styles.py
    BINDINGS = [
        Binding("escape", "back", "key.back", key_display="Esc", id="portplus.form.back"),
        *submit_bindings("portplus.form", "pp.key.form_next"),
    ]
    FORM_FIELDS = ("apply_date", "ports", "applicant")
    FIELD_ALIASES = {"number": "form"}
    #: seconds between the last change of 適用日 and asking for its deadline
    DEBOUNCE = 0.3

    def __init__(self, mode: str = "new", *, view: Any = None, contracted_ports: int | None = None,
                 applicant: str = "", apply_date: Any = None) -> None:
        super().__init__(id=f"pp-form-{mode}")
        localize_bindings(self)
        if mode not in ("new", "change"):
            raise ValueError(mode)
        if mode == "change" and view is None:
            raise ValueError("a change needs the application")
        self.mode = mode
        self.view = view
        self.contracted = contracted_ports
        if view is not None:
            initial = (view.apply_date.isoformat(), str(view.ports), view.applicant)
        else:
            initial = (apply_date.isoformat() if apply_date else "", "", applicant)
        self.initial = initial
        self.step = "edit"
        self.result: Any = None
        self._busy = False
        self._deadline_timer: Timer | None = None
        self._deadline_seq = 0
        self.deadline_state: tuple | None = None  # (date, deadline, open, limit) last shown
        self._checked: dict | None = None  # values shown in the review step

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        title = t("pp.form.title_new" if self.mode == "new" else "pp.form.title_change")
        yield Prose(t("app.name"), id="topbar", markup=False)
        with VerticalScroll(classes="form-scroll", can_focus=False):
            with Vertical(classes="card", id="pp-form-card"):
                yield Prose(title, classes="card-title", markup=False, id="pp-form-title")
                if self.mode == "change":
                    yield self._ro_row(t("pp.f.contract_ports"),
                                       "-" if self.contracted is None else str(self.contracted),
                                       "pp-form-contract")
                    yield self._ro_row(t("pp.f.number"), self.view.number, "pp-form-number")
                with Vertical(id="pp-form-edit", classes="step"):
                    yield Label(t("pp.f.apply_date"), classes="field-label", markup=False)
                    yield DateInput(self.initial[0], id="apply_date", placeholder="YYYY-MM-DD")
                    yield Prose("", id="apply_date-deadline", classes="hint", markup=False)
                    if self.mode == "change":
                        yield Prose(t("pp.form.change_hint"), classes="hint", markup=False,
                                     id="pp-form-change-hint")
                    yield self._error("apply_date")
                    yield Label(t("pp.f.ports_range", min=self._min, max=self._max),
                                classes="field-label", markup=False)
                    yield Input(self.initial[1], id="ports", max_length=8)
                    yield self._error("ports")
                    yield Label(t("pp.f.applicant"), classes="field-label", markup=False)
                    session = host(self).session
                    yield Input(self.initial[2], id="applicant", max_length=50,
                                placeholder=t("pp.form.applicant_default",
                                              name=session.name if session else ""))
                    yield self._error("applicant")
                    yield self._error("form", "form-error")
                    with Horizontal(classes="buttons"):
                        yield Button(t("pp.close"), id="pp-form-close", action="screen.back")
                        yield Button(t("pp.form.to_review"), id="pp-form-to-review", action="screen.to_review",
                                     variant="primary")
                with Vertical(id="pp-form-review", classes="step"):
                    yield Prose(t("pp.form.review_intro"), markup=False, id="pp-review-intro")
                    yield Vertical(id="pp-review-rows")
                    yield self._error("review", "form-error")
                    with Horizontal(classes="buttons"):
                        yield Button(t("pp.form.back"), id="pp-form-back", action="screen.back")
                        yield Button(t("pp.form.submit_new" if self.mode == "new"
                                       else "pp.form.submit_change"),
                                     id="pp-form-submit", action="screen.send", variant="primary")
                with Vertical(id="pp-form-done", classes="step"):
                    yield Prose("", id="pp-done-text", classes="notice", markup=False)
                    yield Prose("", id="pp-done-number", classes="pp-done-number", markup=False)
                    with Horizontal(classes="buttons"):
                        yield Button(t("pp.close"), id="pp-form-finish", action="screen.finish", variant="primary")
        yield KeyBar()

    @property
    def _min(self) -> int:
        return host(self).settings.min_ports

    @property
    def _max(self) -> int:
        return host(self).settings.max_ports

    @staticmethod
    def _ro_row(label: str, value: str, value_id: str) -> Horizontal:
        return Horizontal(Prose(label, classes="pp-ro-label", markup=False),
                          Prose(value, classes="pp-ro-value", markup=False, id=value_id),
                          classes="pp-ro-row")

    # another session changed or cancelled the application being changed (issue 15)
    def live_item(self) -> tuple[str, Any] | None:
        return ("application", self.view) if self.mode == "change" and self.step != "done" else None

    def live_warn(self, text: str) -> None:
        for target in ("#form-error", "#review-error"):
            self.show_form_error(text, target)

    @staticmethod
    def _error(name: str, cls: str = "field-error") -> Static:
        label = Prose("", id=f"{name}-error", classes=cls, markup=False)
        label.display = False
        return label

    def on_mount(self) -> None:
        self._show_step("edit")
        self.query_one("#apply_date", DateInput).focus()
        if self.initial[0]:
            self._schedule_deadline(0)

    def _show_step(self, step: str) -> None:
        self.step = step
        for name in ("edit", "review", "done"):
            self.query_one(f"#pp-form-{name}").display = name == step

    # ----------------------------------------------------------------- dirty
    def values(self) -> tuple[str, str, str]:
        return (self.query_one("#apply_date", Input).value.strip(),
                self.query_one("#ports", Input).value.strip(),
                self.query_one("#applicant", Input).value.strip())

    def is_dirty(self) -> bool:
        if self.step == "done":
            return False
        return self.values() != tuple(x.strip() for x in self.initial)

    # ----------------------------------------------------------------- keys
    def action_back(self) -> None:
        if self._busy:
            return
        if self.step == "review":
            self._show_step("edit")
            self.query_one("#pp-form-to-review", Button).focus()
            return
        if self.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.dismiss(self.result)

            self.app.push_screen(ConfirmModal(t("pp.form.discard")), answer)
            return
        self.dismiss(self.result)

    def submit_form(self) -> None:
        """Ctrl+S, or Enter in 申込者: the next step (review, then send)."""
        if self.step == "edit":
            self.action_to_review()
        elif self.step == "review":
            self.action_send()

    # ----------------------------------------------------------------- live deadline
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "apply_date":
            self._schedule_deadline(self.DEBOUNCE)

    def _schedule_deadline(self, delay: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.stop()
        self._deadline_seq += 1
        if delay <= 0:  # (a Textual timer of 0 s never fires)
            self._deadline_timer = None
            self.call_later(self._check_deadline_now, self._deadline_seq)
        else:
            self._deadline_timer = self.set_timer(delay, self._check_deadline)

    def _check_deadline_now(self, seq: int) -> None:
        if seq == self._deadline_seq:
            self._check_deadline()

    def _deadline_said_in_error(self) -> None:
        """The date's refusal is shown under the field: clear the live line and drop a
        preview still on its way (its answer would say the same a second time)."""
        if self._deadline_timer is not None:
            self._deadline_timer.stop()
            self._deadline_timer = None
        self._deadline_seq += 1
        self._deadline_line("")

    def _deadline_line(self, text: str, closed: bool = False) -> None:
        line = self.query_one("#apply_date-deadline", Static)
        line.update(text)
        line.set_class(closed, "-closed")

    def _check_deadline(self) -> None:
        self._deadline_timer = None
        text = self.query_one("#apply_date", Input).value.strip()
        if len(text) < 10:
            self.deadline_state = None
            self._deadline_line(t("pp.form.date_format") if text else "")
            return
        try:
            day = parse_date(text, field="apply_date")
        except ValidationError as exc:
            self.deadline_state = None
            self._deadline_line(exc.message(get_lang()), closed=True)
            return
        seq = self._deadline_seq

        def done(result) -> None:
            if seq != self._deadline_seq:
                return  # the date changed meanwhile
            deadline, still_open, limit = result
            day_ = day
            self.deadline_state = (day, deadline, still_open, limit)
            if not still_open:
                self._deadline_line(t("pp.form.deadline_passed", date=fmt_date(day_),
                                      deadline=fmt_date(deadline)), closed=True)
            elif day_ > limit:
                self._deadline_line(t("pp.form.too_far", limit=fmt_date(limit)), closed=True)
            else:
                self._deadline_line(t("pp.form.deadline", deadline=fmt_date(deadline)))

        def failed(exc: PortPlusError) -> None:
            if seq == self._deadline_seq:
                self._deadline_line(exc.message(get_lang()), closed=True)

        app = host(self)
        app.run_service(self, app.clients.applications.deadline(day), done=done, failed=failed)

    # ----------------------------------------------------------------- review
    def _check_locally(self) -> dict | None:
        """The values, parsed as the service will (or None, errors shown)."""
        self.clear_errors()
        date_text, ports_text, applicant_text = self.values()
        problems: list[ValidationError] = []
        values: dict = {}
        try:
            values["apply_date"] = parse_date(date_text, field="apply_date")
        except ValidationError as exc:
            problems.append(exc)
        try:
            values["ports"] = v.parse_ports(to_ascii_digits(ports_text), self._min, self._max)
        except ValidationError as exc:
            problems.append(exc)
        try:
            name = v.normalize_name(applicant_text, field="applicant", max_len=50, required=False)
            session = host(self).session
            values["applicant"] = name or (session.name if session else "")
        except ValidationError as exc:
            problems.append(exc)
        for problem in problems:
            self.show_field_error(problem.field, problem.message(get_lang()))
            if problem.field == "apply_date":
                self._deadline_said_in_error()
        if problems:
            self._focus_field(problems[0].field)
            return None
        if self.mode == "change":
            view = self.view
            if (values["apply_date"], values["ports"], values["applicant"]) == (
                    view.apply_date, view.ports, view.applicant):
                self.show_field_error("form", t("pp.form.unchanged"))
                return None
        return values

    def _focus_field(self, field: str | None) -> None:
        name = self.FIELD_ALIASES.get(field or "", field)
        if name in self.FORM_FIELDS:
            self.query_one(f"#{name}").focus()

    def action_to_review(self) -> None:
        if self._busy or self.step != "edit":
            return
        values = self._check_locally()
        if values is None:
            return
        self._busy = True
        day = values["apply_date"]

        def done(result) -> None:
            self._busy = False
            deadline, still_open, limit = result
            if not still_open:
                self.show_field_error("apply_date", t(
                    "pp.form.deadline_passed", date=fmt_date(day), deadline=fmt_date(deadline)))
                self._deadline_said_in_error()
                self._focus_field("apply_date")
                return
            if day > limit:
                self.show_field_error("apply_date", t("pp.form.too_far", limit=fmt_date(limit)))
                self._deadline_said_in_error()
                self._focus_field("apply_date")
                return
            values["deadline"] = deadline
            self._review(values)

        def failed(exc: PortPlusError) -> None:
            self._busy = False
            self.show_error(exc, get_lang())

        app = host(self)
        app.run_service(self, app.clients.applications.deadline(day, "portplus.review"),
                        done=done, failed=failed,
                        busy=self.query_one("#pp-form-to-review", Button))

    def _review(self, values: dict) -> None:
        self._checked = values
        rows = self.query_one("#pp-review-rows", Vertical)
        rows.remove_children()
        items = []
        if self.mode == "change":
            items.append((t("pp.f.contract_ports"),
                          "-" if self.contracted is None else str(self.contracted)))
            items.append((t("pp.f.number"), self.view.number))
        items += [
            (t("pp.f.apply_date"), fmt_date(values["apply_date"])),
            (t("pp.f.deadline"), t("pp.form.deadline_short", deadline=fmt_date(values["deadline"]))),
            (t("pp.f.ports"), str(values["ports"])),
            (t("pp.f.applicant"), values["applicant"]),
        ]
        rows.mount_all([
            Horizontal(Prose(label, classes="pp-review-label", markup=False),
                       Prose(value, classes="pp-review-value", markup=False),
                       classes="pp-review-row")
            for label, value in items
        ])
        self.query_one("#review-error", Static).display = False
        self._show_step("review")
        self.query_one("#pp-form-submit", Button).focus()

    # ----------------------------------------------------------------- send
    def action_finish(self) -> None:
        self.dismiss(self.result)

    def action_send(self) -> None:
        if self._busy or self.step != "review" or self._checked is None:
            return
        self._busy = True
        values = dict(self._checked)
        app = host(self)
        calls = app.clients.applications
        day, ports, applicant = values["apply_date"], values["ports"], values["applicant"]
        call = (calls.create(day, ports, applicant) if self.mode == "new"
                else calls.change(self.view, day, ports, applicant))
        app.run_service(self, call, done=self._saved, failed=self._refused,
                        busy=self.query_one("#pp-form-submit", Button))

    def _saved(self, saved) -> None:
        self._busy = False
        self.result = saved
        if self.mode == "new":
            text = t("pp.form.done_new")
        else:
            text = t("pp.form.done_change")
        if saved.mail_failed:
            text += " " + t("pp.mail_failed")
        self.query_one("#pp-done-text", Static).update(text)
        self.query_one("#pp-done-number", Static).update(
            t("pp.form.done_number", number=saved.number, date=fmt_date(saved.apply_date),
              ports=saved.ports))
        self._show_step("done")
        self.query_one("#pp-form-finish", Button).focus()

    def _refused(self, exc: PortPlusError) -> None:
        self._busy = False
        lang = get_lang()
        if isinstance(exc, ConflictError) and exc.code == "cancelled_elsewhere":
            # Nothing to reload and try again: it is cancelled (issue 13, point 11).
            self.query_one("#review-error", Static).update(exc.message(lang))
            self.query_one("#review-error", Static).display = True
            return
        if isinstance(exc, ConflictError):
            self.query_one("#review-error", Static).update(
                exc.message(lang) + " " + t("pp.reload_hint"))
            self.query_one("#review-error", Static).display = True
            from portplus_tui.ui.screens.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.reload()

            self.app.push_screen(ConfirmModal(t("pp.form.conflict_question"),
                                              yes=t("pp.form.reload"), no=t("pp.close")), answer)
            return
        # Field errors: back to the form, beside the field; others above the buttons.
        self._show_step("edit")
        self.show_error(exc, lang)

    def reload(self) -> None:
        """Load the latest version of the application into the form (after a conflict)."""
        app_id = self.view.id

        def done(latest) -> None:
            self.view = latest
            self.initial = (latest.apply_date.isoformat(), str(latest.ports), latest.applicant)
            self.query_one("#pp-form-number", Static).update(latest.number)
            self.query_one("#apply_date", Input).value = self.initial[0]
            self.query_one("#ports", Input).value = self.initial[1]
            self.query_one("#applicant", Input).value = self.initial[2]
            self._show_step("edit")
            self.clear_errors()
            if latest.can_modify:
                self.show_field_error("form", t("pp.form.reloaded", number=latest.number))
            else:
                from portplus_tui.ui.panes.portplus_common import why_not_modifiable

                self.show_field_error("form", why_not_modifiable(latest))
            self.query_one("#apply_date", Input).focus()

        app = host(self)
        app.run_service(self, app.clients.applications.get(app_id), done=done)
