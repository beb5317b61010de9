"""MainScreen: the portal shell as the manual draws it.

A header bar (ポートプラス, 「ようこそ 〈担当者名〉 様」, Online), the side menu
(会社情報 / オプション / ポートプラス / アカウント管理, R-INF-1) and a content switcher
holding the panes of ``ui.panes.PANES``, created the first time they are shown. F1-F4
(or 1-4 outside text fields) open the panes; F9 hides or shows the menu; Ctrl+L logs
out; Esc goes back to the menu. Leaving a pane with unsaved input asks first (R-UI-4).

Below 100 columns the menu collapses (R-UI-2): it is shown while it has the focus and
hidden once the focus moves into a pane, which then gets the whole width; Esc brings it
back. F9 overrides that until Esc. The header follows the session: when a service call
re-reads the account (every call does), a changed 担当者名 shows at once.
"""

from __future__ import annotations

import asyncio
import logging

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option

from portplus_tui.ui import panes, textual_compat
from portplus_tui.ui.app_messages import LiveChanged, LiveStateChanged, SessionChanged
from portplus_tui.ui.base import Guarded, HoldsEdits, guarded
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import localize_bindings, t
from portplus_tui.ui.panes.base import Pane
from portplus_tui.ui.screens.stepped import SteppedRefresh
from portplus_tui.ui.styles import MAIN_SCREEN_CSS
from portplus_tui.ui.textual_compat import add_binding
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose

log = logging.getLogger("portplus.ui")

def prepare(app) -> None:
    """Get the main screen ready to be shown, in a worker thread (the login's, while
    the event loop waits for bcrypt; the OTP screen's): import what it and its first
    pane (会社情報) use and parse its stylesheets with the app's theme variables
    (ui/textual_compat.parse_css_ahead). Only the first call of a process has anything
    to do (~30-50 ms of Python); done on the event loop, that work stalled it at the
    first login (bench/login_lag.py). Never raises: whatever fails here is done again,
    as before, when the screen is shown."""
    try:
        from textual.widgets import TabbedContent, TabPane  # noqa: F401 - lazy in Textual

        from portplus_tui.ui.panes import company  # noqa: F401 - the first pane

        for path in MAIN_SCREEN_CSS:
            textual_compat.parse_css_ahead(app, path)
    except Exception:  # noqa: BLE001 - an optimisation only
        log.debug("preparing the main screen failed", exc_info=True)


class MainScreen(SteppedRefresh, Guarded, HoldsEdits, Screen):
    CSS_PATH = [str(path) for path in MAIN_SCREEN_CSS]  # ui/styles.py
    BINDINGS = [
        Binding("f9", "toggle_menu", "key.menu", key_display="F9", id="main.menu"),
        Binding("ctrl+l", "logout", "key.logout", key_display="^L", id="main.logout"),
        Binding("escape", "back", "key.menu_focus", key_display="Esc", id="main.back"),
    ]

    def __init__(self, session) -> None:
        super().__init__()
        localize_bindings(self)
        self.session = session
        self._is_admin = bool(session and session.is_admin)
        self._specs = panes.panes_for(self._is_admin)
        self._menu_pinned: bool | None = None  # F9's choice; None: automatic
        self._welcome_name = session.name if session else ""
        # A pane asked for (F1-F4, the palette) before the shell was drawn: shown first,
        # instead of 会社情報 (keys typed with the login act once the screen is up).
        self._shell_ready = False
        self._switch_seq = 0  # the latest pane switch asked for
        self._wanted: tuple[str, str | None, bool] | None = None
        self._preset_breakpoints()
        try:
            # Its stylesheets join the app's, each alone, parsed ahead by ``prepare``
            # (ui/textual_compat.add_screen_css: Textual would parse every stylesheet
            # again and restyle the whole app in one step at login).
            textual_compat.add_screen_css(self)
        except Exception:  # noqa: BLE001 - no app yet, or Textual changed: CSS_PATH loads it
            pass
        for index, spec in enumerate(self._specs):
            if spec.key:
                add_binding(self, Binding(
                    spec.key, f"show_pane('{spec.id}')", t(spec.label_key), show=False,
                    key_display=spec.key.upper(), id=f"pane.{spec.id}"))
            if index < 9:
                add_binding(self, Binding(
                    str(index + 1), f"show_pane('{spec.id}')", t(spec.label_key), show=False))

    def compose(self) -> ComposeResult:
        session = self.session
        with Horizontal(id="header"):
            yield Prose(t("app.name"), id="brand", markup=False)
            yield Prose(t("header.welcome", name=session.name if session else ""), id="welcome",
                         markup=False)
            yield Prose(t("header.online"), id="online", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Prose(t("menu.title"), id="menu-title", markup=False)
                yield OptionList(*[
                    Option(f"{spec.key.upper():<3} {t(spec.label_key)}" if spec.key
                           else t(spec.label_key), id=spec.id)
                    for spec in self._specs
                ], id="menu")
            yield ContentSwitcher(id="content")
        yield KeyBar()

    def on_mount(self) -> None:
        menu = self.query_one("#menu", OptionList)
        self.watch(self, "focused", self._auto_menu, init=False)
        menu.focus()
        if self._specs:
            # The first pane is mounted after the shell (header, menu, footer) has been
            # drawn: one long layout-and-render callback becomes shorter ones, so the
            # event loop never stalls as long at login (bench/login_lag.py). A worker, so
            # that waiting for workers (tests) also waits for the pane.
            first = self._specs[0].id
            drawn = asyncio.Event()
            self.after_first_frame(drawn.set)

            async def show_first() -> None:
                await drawn.wait()
                self._shell_ready = True
                wanted, self._wanted = self._wanted, None
                if wanted is not None:
                    await self.show_pane(*wanted[:2], focus=wanted[2])
                elif not self.query_one("#content", ContentSwitcher).current:
                    await self.show_pane(first, focus=False)  # the menu keeps it
                # The login's garbage-collection pause (app.start_session) ends once
                # the first pane is drawn.
                self.call_after_refresh(self._settle_heap)

            self.run_worker(guarded(self, show_first), exit_on_error=False,
                            group="first-pane", name="first pane")
        else:
            self.after_first_frame(self._settle_heap)

    def on_unmount(self) -> None:
        host(self).heap.release()  # a session's screens are going (ui/heap.py)

    # ----------------------------------------------------------------- panes
    @property
    def current_pane(self) -> Pane | None:
        switcher = self.query_one("#content", ContentSwitcher)
        if not switcher.current:
            return None
        found = switcher.query_children(f"#{switcher.current}")
        return found.first() if found else None  # type: ignore[return-value]

    def is_dirty(self) -> bool:
        pane = self.current_pane
        return bool(pane is not None and pane.is_dirty())

    async def action_show_pane(self, pane_id: str) -> None:
        await self.show_pane(pane_id)

    async def show_pane(self, pane_id: str, action: str | None = None, *,
                        focus: bool = True) -> None:
        if pane_id not in {spec.id for spec in self._specs}:
            self.app.notify(t("pane.not_allowed"), severity="warning", markup=False)
            return
        if not self._shell_ready:  # the shell is not drawn yet: show_first shows it
            self._wanted = (pane_id, action, focus)
            return
        current = self.current_pane
        if current is not None and current.id != f"pane-{pane_id}" and current.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            async def answer(yes: bool | None) -> None:
                if yes:
                    await self._switch(pane_id, action, focus)

            self.app.push_screen(ConfirmModal(t("confirm.discard")), answer)
            return
        await self._switch(pane_id, action, focus)

    async def _switch(self, pane_id: str, action: str | None, focus: bool = True) -> None:
        switcher = self.query_one("#content", ContentSwitcher)
        widget_id = f"pane-{pane_id}"
        # The pane asked for last is the one shown: a pane still being mounted (the
        # first pane, 会社情報, as F4 arrives with the main screen) must not take over
        # from one asked for meanwhile.
        self._switch_seq += 1
        seq = self._switch_seq
        found = switcher.query_children(f"#{widget_id}")
        if found:
            pane = found.first()
        else:
            pane = panes.pane_spec(pane_id).factory()
            await switcher.add_content(pane, id=widget_id, set_current=False)
            if seq != self._switch_seq:
                return  # mounted, hidden: another pane was asked for meanwhile
        switcher.current = widget_id
        menus = self.query("#menu")
        if not menus:  # the screen was taken down meanwhile (quit or logout while mounting)
            return
        menu = menus.first(OptionList)
        index = menu.get_option_index(pane_id)
        if menu.highlighted != index:
            menu.highlighted = index
        if isinstance(pane, Pane):
            # The keyboard goes where the work is: the pane's main widget (the list, the
            # account table, the calendar), whether the pane was opened with F1-F4, the
            # menu or the command palette (issue 13, point 1). Esc goes back to the menu.
            # (Not the first pane shown at login: the focus stays on the menu.)
            # Now, before the pane loads: a widget that has the focus keeps it while
            # busy (ui.base.hold_busy); one that gets it later would not take it.
            target = pane.focus_target() if focus else None
            if target is not None:
                self.set_focus(target)
            pane.refresh_data()
            if action:
                pane.run_command(action)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            await self.show_pane(event.option.id)

    # ----------------------------------------------------------------- header
    def on_session_changed(self, message: SessionChanged) -> None:
        self.sync_session()

    def on_live_state_changed(self, message: LiveStateChanged) -> None:
        """The header's Online says when the change feed is lost (issue 15)."""
        text = t("header.polling" if message.state == "polling" else "header.online")
        self.query_one("#online", Static).update(text)

    def on_live_changed(self, message: LiveChanged) -> None:
        """Another session's commit: the pane on screen follows it (the others read
        again when they are shown)."""
        pane = self.current_pane
        if pane is not None:
            pane.live_changed(message.changes)

    def sync_session(self) -> None:
        """Show the session's current 担当者名 (it changes when one edits one's own
        account, or an admin does)."""
        session = self.session
        if session is None or session.name == self._welcome_name:
            return
        self._welcome_name = session.name
        self.query_one("#welcome", Static).update(t("header.welcome", name=session.name))

    # ----------------------------------------------------------------- menu
    def on_resize(self) -> None:
        self._auto_menu()

    def _auto_menu(self, *_args) -> None:
        sidebar = self.query_one("#sidebar")
        if self._menu_pinned is not None:
            shown = self._menu_pinned
        elif self.has_class("-narrow") and self.size.width < 100:
            focused = self.focused
            shown = focused is None or sidebar in focused.ancestors_with_self
        else:
            shown = True
        if sidebar.display != shown:
            sidebar.display = shown

    # ----------------------------------------------------------------- keys
    def action_toggle_menu(self) -> None:
        sidebar = self.query_one("#sidebar")
        self._menu_pinned = not sidebar.display
        sidebar.display = self._menu_pinned
        if not sidebar.display:
            pane = self.current_pane
            if pane is not None and (self.focused is None or self.focused.id == "menu"):
                pane.focus_first()
        else:
            self.query_one("#menu").focus()

    def action_back(self) -> None:
        self._menu_pinned = None
        self.query_one("#sidebar").display = True
        self.query_one("#menu").focus()

    def action_logout(self) -> None:
        if self.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    host(self).logout()

            self.app.push_screen(ConfirmModal(t("confirm.logout_dirty")), answer)
            return
        host(self).logout()
