"""Remappable keys (issue 13, point 15): every binding with an id, and the ``[keymap]``
table of the config file that maps ids to other keys (Textual's ``App.set_keymap``).

``catalogue()`` lists the bindings (``portplus keys`` prints it); ``check(keymap)``
refuses an unknown id or a key Textual does not know, naming it. Both import the
screens, so they run only when asked (``portplus keys``) or when a keymap is set (at
launch, before the app starts): never on a plain launch's way to the first paint.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

#: the modules whose classes hold the app's bindings
MODULES = (
    "portplus_tui.ui.app",
    "portplus_tui.ui.screens.login",
    "portplus_tui.ui.screens.otp",
    "portplus_tui.ui.screens.reset",
    "portplus_tui.ui.screens.main",
    "portplus_tui.ui.screens.application_form",
    "portplus_tui.ui.screens.confirm",
    "portplus_tui.ui.panes.portplus",
    "portplus_tui.ui.widgets.month_calendar",
    "portplus_tui.ui.screens.portplus_dialogs",
    "portplus_tui.ui.panes.accounts",
    "portplus_tui.ui.screens.account_form",
    "portplus_tui.ui.screens.audit_log",
)

#: where a binding acts, by the class that holds it
WHERE = {
    "PortPlusApp": "everywhere",
    "LoginScreen": "login",
    "OtpScreen": "two-step code",
    "ResetScreen": "password reset",
    "MainScreen": "main screen",
    "ApplicationFormScreen": "application form",
    "ConfirmModal": "confirmation",
    "PortPlusPane": "ポートプラス list",
    "ResultsTable": "ポートプラス list",
    "MonthCalendar": "カレンダー",
    "PortPlusDialog": "ポートプラス dialogs",
    "CancelModal": "cancel dialog",
    "HistoryModal": "history",
    "ExportModal": "CSV export",
    "AccountsPane": "アカウント管理",
    "AccountFormScreen": "account form",
    "AuditLogScreen": "監査ログ",
    "AuditTable": "監査ログ",
    "AuditEntryScreen": "監査ログ entry",
}

MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")


@dataclass(frozen=True)
class KeyEntry:
    id: str
    keys: str  # the default key(s), comma-separated as in Textual
    where: str
    description: str


class KeymapError(ValueError):
    """An id or a key of ``[keymap]`` that cannot be used (``en`` / ``ja`` texts)."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.en = en
        self.ja = ja


def catalogue() -> list[KeyEntry]:
    """Every binding that has an id, once, in a stable order (by id)."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    from portplus_tui.ui import panes
    from portplus_tui.ui.i18n import t

    found: dict[str, KeyEntry] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, DOMNode)
                    and value.__module__ == name):
                continue
            for binding in value.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id and binding.id not in found:
                    found[binding.id] = KeyEntry(
                        binding.id, binding.key, WHERE.get(value.__name__, value.__name__),
                        _description(t, binding.description))
    for spec in panes.PANES:  # F1-F4: bound by the main screen, one per pane
        if spec.key:
            found.setdefault(f"pane.{spec.id}", KeyEntry(
                f"pane.{spec.id}", spec.key, WHERE["MainScreen"], t(spec.label_key)))
    return sorted(found.values(), key=lambda entry: entry.id)


def _description(t, description: str) -> str:
    try:
        return t(description)
    except KeyError:
        return description


def known_key(name: str) -> bool:
    """Whether Textual knows ``name`` as a key (``pagedown``, ``ctrl+n``, ``f5``,
    ``n``, ``slash``, ``question_mark``)."""
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys

    parts = name.split("+")
    *mods, base = parts
    if not base or any(mod not in MODIFIERS for mod in mods) or len(set(mods)) != len(mods):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    names = {value.value.split("+")[-1] for value in Keys}
    names |= {f"f{number}" for number in range(1, 25)}
    names |= {"space", "tab", "enter", "escape", "backspace", "delete"}
    if base in names:
        return True
    # A character's long name (slash, question_mark, full_stop ...): its Unicode name,
    # as Textual writes it (lower case, "_" for " " and "-", a few names shortened).
    for code in range(33, 127):
        if chr(code).isalnum():
            continue
        long_name = unicodedata.name(chr(code)).lower().replace("-", "_").replace(" ", "_")
        if KEY_NAME_REPLACEMENTS.get(long_name, long_name) == base:
            return True
    return False


def check(keymap: Mapping[str, str], entries: Iterable[KeyEntry] | None = None) -> dict[str, str]:
    """The keymap as Textual takes it (``{id: "key1,key2"}``); ``KeymapError`` for the
    first unknown id or key, naming it and the file's table."""
    ids = {entry.id for entry in (catalogue() if entries is None else entries)}
    result: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if binding_id not in ids:
            raise KeymapError(
                f"[keymap]: unknown key binding id {binding_id!r} (portplus keys lists them)",
                f"[keymap]: キー割り当ての ID {binding_id!r} はありません(一覧: portplus keys)。")
        names = [key.strip().lower() for key in keys.split(",")]
        for name in names:
            if not known_key(name):
                raise KeymapError(
                    f"[keymap]: {binding_id} = {keys!r}: unknown key {name!r} "
                    "(examples: n, ctrl+n, f5, pagedown, slash)",
                    f"[keymap]: {binding_id} = {keys!r}: キー {name!r} は使えません"
                    "(例: n, ctrl+n, f5, pagedown, slash)。")
        result[binding_id] = ",".join(names)
    return result
