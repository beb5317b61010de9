"""Starting the terminal app: the checks before it (the keymap, a terminal, files
readable by others) and ``launch_tui``."""

from __future__ import annotations

import sys

from portplus_tui.cli.base import (
    EXIT_ERROR,
    EXIT_OK,
    CliError,
)
from portplus_tui.core.messages import texts

_warned: set = set()


def _warn_if_exposed(settings) -> None:
    """One line on stderr (and in the log file) when others can read the SQLite file,
    with the command that fixes it; then go on. One ``os.stat``, no peewee."""
    from portplus_tui.store.files import fix_command, readable_by_others, sqlite_file

    path = sqlite_file(settings.resolved_database_url)
    if path is None or path in _warned or not readable_by_others(path, settings.shared_group):
        return
    _warned.add(path)
    fix = fix_command(path, settings.shared_group)
    others = "このグループ以外の" if settings.shared_group else "他の"
    warning = CliError(
        *texts('cli.launch.warn_if_exposed', path=path, others=others, fix=fix))
    sys.stderr.write(f"portplus: {warning.message(settings.lang)}\n")
    from portplus_tui.logs import log_warning

    log_warning(warning.message("en"), settings)


def _require_terminal() -> None:
    """The terminal app needs a terminal on stdin, stdout and stderr. Without one
    (``portplus < /dev/null``, a ForceCommand reached by ``ssh -T``) Textual would spin
    on a core until killed: refuse in one line instead (exit 1)."""
    import os

    if not all(os.isatty(fd) for fd in (0, 1, 2)):
        raise CliError(
            *texts('cli.launch.require_terminal'), code=EXIT_ERROR)


def _check_keymap(settings) -> None:
    """A ``[keymap]`` with an unknown id or key: one line, exit 2, before the app."""
    if not settings.keymap:
        return
    from portplus_tui.ui.keymap import KeymapError, check

    try:
        check(dict(settings.keymap))
    except KeymapError as exc:
        raise CliError(exc.ja, exc.en) from None


def launch_tui(settings, terminal: bool = True) -> int:

    _check_keymap(settings)  # a bad config file is exit 2, terminal or not
    if terminal:
        _require_terminal()


    _warn_if_exposed(settings)

    # No garbage collection from here to the login screen's first paint (ui/heap.py,
    # point 1; the login screen turns it back on).
    from portplus_tui.ui.heap import pause_until_first_paint

    end_pause = pause_until_first_paint()
    try:
        try:
            from portplus_tui.ui.app import run_app
        except ImportError:
            sys.stderr.write("The terminal app is not part of this build yet; use the "
                             "sub-commands (portplus --help).\n")
            return EXIT_OK
        return run_app(settings)
    finally:
        end_pause()
