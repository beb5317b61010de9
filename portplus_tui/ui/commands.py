"""Command palette (Ctrl+P): every screen and action by its label in the current language.

Logged in: the panes of the side menu, the actions inside them that the account may use
(アカウント新規登録 only for admins) and ログアウト. On the login screen: password reset.
The rights shown here are a convenience; the service layer enforces them again.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from portplus_tui.ui import panes
from portplus_tui.ui.host import PortPlusHost
from portplus_tui.ui.i18n import t


def palette_entries(app: Any, screen: Any) -> Iterator[tuple[str, str, Callable[[], Any]]]:
    """(label, help, callback) of what the current user may reach now from ``screen``."""
    session = app.session if isinstance(app, PortPlusHost) else None
    if session is None:
        from portplus_tui.ui.screens.login import LoginScreen

        if isinstance(screen, LoginScreen):
            yield t("cmd.forgot"), t("cmd.forgot.help"), screen.action_forgot
        return
    admin = session.is_admin
    for spec in panes.panes_for(admin):
        yield t(spec.label_key), t("cmd.open_pane.help"), partial(app.open_pane, spec.id)
    for command in panes.commands_for(admin):
        yield (t(command.label_key), t(command.help_key),
               partial(app.open_pane, command.pane_id, command.action))
    yield t("cmd.logout"), t("cmd.logout.help"), app.action_logout


class PortPlusCommands(Provider):
    async def discover(self) -> Hits:
        for label, help_text, callback in palette_entries(self.app, self.screen):
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in palette_entries(self.app, self.screen):
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
