"""Plumbing shared by the app, its screens and panes.

* ``Guarded``: a mixin for the App, screens and our widgets. An exception escaping one
  of their handlers or actions is logged and shown as a short notification, and the
  app keeps running. (Textual would otherwise end the app, and also stop the message
  loop of the widget whose handler raised, leaving it dead.)
* ``guarded``: the same for callbacks that do not go through a message loop (timers).
* ``DatabaseUnavailable`` and ``describe_failure``: a database that cannot be opened or
  answered is shown as a sentence, never a traceback.
* ``FormMixin``: field errors shown beside the field (``#<field>-error``), and the
  "unsaved input" question (R-UI-4).
* ``after_queued_keys``: submit a field only after the keys of a burst reached it.
* ``SubmitKeys``: the one way to submit, in every form and dialog that has fields:
  Enter moves to the next field and submits from the last one; Ctrl+S submits from
  anywhere; Enter on a button presses it.
The reusable widgets (inputs, buttons, the busy state, tables) are in ui/widgets/.

Nothing here imports the service layer: it is on the path to the first paint.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import unicodedata
from typing import Any, Callable

from textual.actions import SkipAction
from textual.binding import Binding
from textual.widgets import Button, Input, Select, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.host import PortPlusHost
from portplus_tui.ui.i18n import t
from portplus_tui.ui.textual_compat import GuardedDispatch
from portplus_tui.ui.widgets.form_button import FormButton

log = logging.getLogger("portplus.ui")


def without_controls(text: str) -> str:
    """Pasted text as the app passes it on: C0/C1 control characters (ESC, NUL, DEL, ...)
    dropped, tabs and line breaks kept. A field draws its text as it is, so an escape
    sequence pasted into it would be written raw to the user's terminal."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")


def breakpoint_classes(size: int, breakpoints: list[tuple[int, str]]) -> set[str]:
    """The class of the largest breakpoint ``size`` reaches, as Textual's
    ``HORIZONTAL_BREAKPOINTS`` / ``VERTICAL_BREAKPOINTS`` document them."""
    for threshold, name in sorted(breakpoints, reverse=True):
        if size >= threshold:
            return {name}
    return set()


class StyledOnce:
    """Screen mixin (Textual 8.2): a new screen styled once, not three times.

    Textual styles each widget as it is mounted, restyles the whole screen when it is
    first resumed, and again when the first Resize brings the breakpoint classes
    (-narrow/-wide, -short/-tall): two passes that change nothing and, for the login,
    OTP and main screens, cost start-up and login time (bench/startup.py,
    bench/login_lag.py). Call ``_preset_breakpoints()`` in ``__init__``: the classes are
    in place when the Resize comes, and the first resume skips its pass (later ones,
    back from another screen, keep it)."""

    _first_resume_seen = False

    def _preset_breakpoints(self) -> None:
        screen: Any = self
        try:
            app = screen.app
        except Exception:  # noqa: BLE001 - built outside a running app: Resize sets them
            return
        width, height = app.size
        horizontal = (app.HORIZONTAL_BREAKPOINTS if screen.HORIZONTAL_BREAKPOINTS is None
                      else screen.HORIZONTAL_BREAKPOINTS) or []
        vertical = (app.VERTICAL_BREAKPOINTS if screen.VERTICAL_BREAKPOINTS is None
                    else screen.VERTICAL_BREAKPOINTS) or []
        classes = breakpoint_classes(width, horizontal) | breakpoint_classes(height, vertical)
        if classes:
            screen.add_class(*classes, update=False)

    def on_screen_resume(self, event: Any) -> None:
        # Runs before Screen._on_screen_resume (Textual calls the handlers down the MRO).
        if not self._first_resume_seen:
            self._first_resume_seen = True
            event.refresh_styles = False


class Guarded(GuardedDispatch):
    """Mixin: report unexpected exceptions of this node's handlers instead of crashing
    (ui/textual_compat.GuardedDispatch)."""

    def dispatch_failed(self, error: Exception, message: Any) -> None:
        app = _app_of(self)
        if not isinstance(app, PortPlusHost):
            raise error
        app.report_unexpected(error, where=f"{type(self).__name__} <- {type(message).__name__}")

    # A screen covered by a dialog hides its key bar: the dialog's own (one line) sits at
    # the bottom, and the lines of the screen's bar above it listed keys that do not act
    # in the dialog (issue 13, point 5). ``visibility``, so nothing under moves.
    def on_screen_suspend(self, event: Any) -> None:
        self._show_key_bars(False)

    def on_screen_resume(self, event: Any) -> None:
        self._show_key_bars(True)

    def _show_key_bars(self, shown: bool) -> None:
        from textual.screen import Screen

        if not isinstance(self, Screen):
            return
        from portplus_tui.ui.widgets.keybar import KeyBar

        for bar in self.query(KeyBar):
            if bar.visible != shown:
                bar.visible = shown


def _app_of(node: Any) -> Any:
    from textual.app import App

    if isinstance(node, App):
        return node
    try:
        return node.app
    except Exception:  # noqa: BLE001 - no active app (shutting down)
        return None


def guarded(node: Any, callback: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a timer or thread callback so that an exception is reported, not fatal."""

    @functools.wraps(callback)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = callback(*args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            app = _app_of(node)
            if not isinstance(app, PortPlusHost):
                raise
            app.report_unexpected(exc, where=getattr(callback, "__qualname__", repr(callback)))
            return None

    return run


def after_queued_keys(widget: Any, callback: Callable[..., Any], *args: Any) -> None:
    """Run ``callback`` once ``widget`` has handled the keys already queued for it.

    Keys of a burst are forwarded to the focused widget's queue at once, while a
    priority binding (Enter) runs straight away in the App: reading a field there would
    miss the last characters (``password⏎`` typed at once). Submitting through the
    field's own queue keeps the order the user typed.
    """
    widget.call_later(guarded(widget, callback), *args)


class DatabaseUnavailable(PortPlusError):
    """The database could not be opened or did not answer."""

    code = "database"


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def redact(text: str) -> str:
    """Remove a password from any URL in ``text``."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def describe_failure(exc: BaseException, lang: str) -> str:
    """One short line about why the database cannot be used (no traceback)."""
    if isinstance(exc, PortPlusError):
        return exc.message(lang)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(detail) > 200:
        detail = detail[:200] + "..."
    return redact(detail)


def database_unavailable(exc: BaseException, where: str, lang: str) -> DatabaseUnavailable:
    detail = describe_failure(exc, lang)
    text = t("db.open_failed", where=redact(where), detail=detail)
    return DatabaseUnavailable(text, text)


class HoldsEdits:
    """A screen that may hold unsaved input: Ctrl+Q asks before quitting (R-UI-4)."""

    def is_dirty(self) -> bool:
        return False


class FormMixin(HoldsEdits):
    """For screens and panes with inputs: field errors and unsaved input.

    A field ``foo`` is an ``Input#foo`` followed by a ``Static#foo-error.field-error``.
    ``FORM_FIELDS`` names the inputs whose content counts as unsaved input.
    """

    FORM_FIELDS: tuple[str, ...] = ()
    #: service field names -> the input that shows them
    FIELD_ALIASES: dict[str, str] = {}

    def field_value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value  # type: ignore[attr-defined]

    def clear_errors(self) -> None:
        for widget in self.query(".field-error"):  # type: ignore[attr-defined]
            widget.update("")
            widget.display = False
        for widget in self.query(".form-error"):  # type: ignore[attr-defined]
            widget.update("")
            widget.display = False

    def show_field_error(self, field: str | None, text: str) -> bool:
        """Show ``text`` beside ``field``; False when there is no such field here."""
        if not field:
            return False
        name = self.FIELD_ALIASES.get(field, field)
        found = self.query(f"#{name}-error")  # type: ignore[attr-defined]
        if not found:
            return False
        label = found.first(Static)
        label.update(text)
        label.display = True
        return True

    def show_form_error(self, text: str, target: str = ".form-error") -> None:
        label = self.query(target).first(Static)  # type: ignore[attr-defined]
        label.update(text)
        label.display = True

    def show_error(self, exc: PortPlusError, lang: str, focus: bool = True) -> None:
        """A service error beside its field when it names one, else above the buttons."""
        text = exc.message(lang)
        if not self.show_field_error(exc.field, text):
            self.show_form_error(text)
        elif focus:
            name = self.FIELD_ALIASES.get(exc.field or "", exc.field)
            found = self.query(f"#{name}")  # type: ignore[attr-defined]
            if found:
                found.first().focus()

    def is_dirty(self) -> bool:
        return any(self.field_value(name).strip() for name in self.FORM_FIELDS
                   if self.query(f"#{name}"))  # type: ignore[attr-defined]


class SubmitKeys:
    """The one convention for forms and dialogs with fields (README "Keys in forms").

    * Enter in a field moves to the next field (at once, like Tab, so the rest of a
      burst lands there); in the last field it submits, as Ctrl+S does.
    * Ctrl+S submits from any field or button: ``submit_form``.
    * Enter on a button presses it. A drop-down (``Select``) keeps Textual's keys:
      Enter opens it and picks a row; Tab moves on (so ``Down Down Enter Tab`` in a
      burst picks the choice, then moves on, as typed slowly).
    * Esc goes back without saving (each screen binds it: it asks first when
      something was typed, R-UI-4).

    A screen using it binds ``enter`` (priority) to ``enter`` and ``ctrl+s`` to
    ``submit`` (``submit_bindings``) and defines ``submit_form``. Questions
    (``ConfirmModal``, the cancel dialog) have no fields and no Ctrl+S: they start on
    the safe button, and Enter presses the focused one.
    """

    def submit_form(self) -> None:  # pragma: no cover - each screen defines it
        raise NotImplementedError

    def form_fields(self) -> list[Any]:
        """The fields Enter walks through: the inputs and drop-downs that can take the
        focus now, in focus order."""
        return [w for w in self.focus_chain  # type: ignore[attr-defined]
                if isinstance(w, (Input, Select))]

    def action_enter(self) -> None:
        focused = self.focused  # type: ignore[attr-defined]
        if focused is None:
            return
        if isinstance(focused, (Button, FormButton)):
            if not focused.disabled:
                focused.press()
            return
        if not isinstance(focused, Input):
            raise SkipAction()  # a drop-down opens, its open list picks a row
        fields = self.form_fields()
        if focused in fields and focused is not fields[-1]:
            # at once, like Tab: the next keys of a burst belong to the next field
            self.set_focus(fields[fields.index(focused) + 1])  # type: ignore[attr-defined]
            return
        after_queued_keys(focused, self.submit_form)

    def action_submit(self) -> None:
        focused = self.focused  # type: ignore[attr-defined]
        after_queued_keys(focused or self, self.submit_form)


def submit_bindings(prefix: str, submit_label: str, *, one_field: bool = False
                    ) -> list[Binding]:
    """Enter and Ctrl+S for a ``SubmitKeys`` screen; ids ``<prefix>.enter`` and
    ``<prefix>.submit`` (remappable through ``[keymap]``). With ``one_field`` Enter
    submits at once, so the key bar says ``Enter <submit_label>`` and leaves ^S out."""
    return [
        Binding("enter", "enter", submit_label if one_field else "key.next_field",
                priority=True, key_display="Enter", id=f"{prefix}.enter"),
        Binding("ctrl+s", "submit", submit_label, priority=True, key_display="^S",
                id=f"{prefix}.submit", show=not one_field),
    ]
