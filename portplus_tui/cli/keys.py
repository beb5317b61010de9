"""``keys``: the key bindings, with the user's keymap applied."""

from __future__ import annotations

from portplus_tui.cli.base import (
    EXIT_OK,
    _out,
)
from portplus_tui.cli.launch import _check_keymap


def cmd_keys(args, settings) -> int:
    """Every remappable key: id, default key(s), where it acts, what it does."""
    from portplus_tui.ui.i18n import set_lang
    from portplus_tui.ui.keymap import catalogue

    set_lang(settings.lang)
    _check_keymap(settings)
    mapped = dict(settings.keymap)
    for entry in catalogue():
        line = f"{entry.id}\t{entry.keys}\t{entry.where}\t{entry.description}"
        if entry.id in mapped:
            line += f"\t(keymap: {mapped[entry.id]})"
        _out(line)
    return EXIT_OK
