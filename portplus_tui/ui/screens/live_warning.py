"""``WarnsOnLiveChange``: a dialog or form that edits one application or account says at
once when another session changed, cancelled or deleted it (issue 15, R-LIVE-1),
before the operator saves and is refused (「他の方が先に変更しました」)."""

from __future__ import annotations

from typing import Any

from portplus_tui.core.errors import NotFoundError, PortPlusError
from portplus_tui.ui.app_messages import LiveChanged
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, t


class WarnsOnLiveChange:
    """Mixin for a screen. It defines ``live_item()``: ``("application" | "account",
    view)`` of what it edits (None: nothing yet), and ``live_warn(text)``: where the
    warning shows. On another session's change of that item the screen reads it again
    through the service and warns when its version moved on, or it was cancelled or
    deleted."""

    def live_item(self) -> tuple[str, Any] | None:
        raise NotImplementedError

    def live_warn(self, text: str) -> None:
        raise NotImplementedError

    def on_live_changed(self, message: LiveChanged) -> None:
        item = self.live_item()
        if item is None:
            return
        kind, view = item
        if not any(change.kind == "reset" or (change.kind == kind and change.item_id == view.id)
                   for change in message.changes):
            return
        app = host(self)  # type: ignore[arg-type]
        call = (app.clients.applications.get(view.id) if kind == "application"
                else app.clients.accounts.get(view.id))
        app.run_service(self, call, done=self._live_read,  # type: ignore[arg-type]
                        failed=self._live_failed)

    def _live_read(self, fresh: Any) -> None:
        item = self.live_item()
        if item is None:
            return
        kind, view = item
        if kind == "application":
            if fresh.cancelled:
                self.live_warn(t("live.app_cancelled"))
            elif fresh.version != view.version:
                from portplus_tui.ui.panes.portplus_common import fmt_date

                self.live_warn(t("live.app_changed", ports=fresh.ports,
                                 apply_date=fmt_date(fresh.apply_date)))
        elif fresh.version != view.version:
            self.live_warn(t("live.account_changed"))

    def _live_failed(self, exc: PortPlusError) -> None:
        item = self.live_item()
        if item is None:
            return
        if isinstance(exc, NotFoundError):
            self.live_warn(t("live.app_cancelled" if item[0] == "application"
                             else "live.account_deleted"))
        else:
            self.live_warn(exc.message(get_lang()))
