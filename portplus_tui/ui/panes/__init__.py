"""The panes of the main screen, and the commands that open them.

A pane is a widget shown on the right of the side menu (R-INF-1). ``PANES`` lists them
in menu order; ``COMMANDS`` lists the command-palette entries that act inside a pane
(ポートプラス新規申込, アカウント新規登録). A new pane is one more entry here.

Factories import their module when called: nothing here loads the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from textual.widget import Widget


@dataclass(frozen=True)
class PaneSpec:
    id: str  # also the widget id suffix: #pane-<id>
    label_key: str  # catalogue key of the menu label
    factory: Callable[[], "Widget"]
    admin_only: bool = False
    key: str = ""  # function key shown in the menu, e.g. "f1"


@dataclass(frozen=True)
class PaneCommand:
    id: str
    label_key: str
    help_key: str
    pane_id: str
    action: str | None = None  # passed to the pane's run_command()
    admin_only: bool = False


def _company() -> "Widget":
    from portplus_tui.ui.panes.company import CompanyPane

    return CompanyPane()


def _options() -> "Widget":
    from portplus_tui.ui.panes.options import OptionsPane

    return OptionsPane()


def _accounts() -> "Widget":
    from portplus_tui.ui.panes.accounts import AccountsPane

    return AccountsPane()


def _portplus() -> "Widget":
    from portplus_tui.ui.panes.portplus import PortPlusPane

    return PortPlusPane()


PANES: list[PaneSpec] = [
    PaneSpec("info", "menu.info", _company, key="f1"),
    PaneSpec("options", "menu.options", _options, key="f2"),
    PaneSpec("portplus", "menu.portplus", _portplus, key="f3"),
    PaneSpec("accounts", "menu.accounts", _accounts, key="f4"),
]

COMMANDS: list[PaneCommand] = [
    PaneCommand("portplus.new", "cmd.portplus_new", "cmd.portplus_new.help", "portplus", "new"),
    PaneCommand("accounts.new", "cmd.account_new", "cmd.account_new.help", "accounts", "new",
                admin_only=True),
    PaneCommand("accounts.audit", "cmd.audit_log", "cmd.audit_log.help", "accounts", "audit",
                admin_only=True),
]


def panes_for(is_admin: bool) -> list[PaneSpec]:
    return [spec for spec in PANES if is_admin or not spec.admin_only]


def commands_for(is_admin: bool) -> list[PaneCommand]:
    return [cmd for cmd in COMMANDS if is_admin or not cmd.admin_only]


def pane_spec(pane_id: str) -> PaneSpec:
    for spec in PANES:
        if spec.id == pane_id:
            return spec
    raise KeyError(pane_id)
