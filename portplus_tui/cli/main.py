"""``main``: parse, load the settings, run one command, and turn every error into a line
on stderr and an exit code."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

from portplus_tui.cli import launch
from portplus_tui.cli.base import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    _early_lang,
    _interrupted,
    _settings,
)
from portplus_tui.cli.launch import _warn_if_exposed
from portplus_tui.core.messages import texts

if TYPE_CHECKING:
    import argparse


#: sub-command -> function; filled by ``_load_commands`` on the first command (the bare
#: launch imports none of the command modules)
COMMANDS: dict[str, Callable[[argparse.Namespace, object], int]] = {}


def _load_commands() -> dict[str, Callable[[argparse.Namespace, object], int]]:
    from portplus_tui.cli import accounts, data, keys, reach

    table = {
        "init": data.cmd_init,
        "migrate": data.cmd_init,
        "company": data.cmd_company,
        "calendar": data.cmd_calendar,
        "applications": data.cmd_applications,
        "account": accounts.cmd_account,
        "outbox": accounts.cmd_outbox,
        "audit": accounts.cmd_audit,
        "demo": data.cmd_demo,
        "ssh-session": reach.cmd_ssh_session,
        "serve": reach.cmd_serve,
        "keys": keys.cmd_keys,
        "web-session": reach.cmd_web_session,
    }
    for name, command in table.items():
        COMMANDS.setdefault(name, command)  # a test may have put its own in first
    return COMMANDS


def _bare_launch(argv: Sequence[str]) -> Any:  # a Namespace look-alike, or None
    """The parsed arguments of a plain ``portplus`` (no option, no command), without
    argparse: building the parser of every sub-command costs ~10 ms of the start-up."""
    if argv:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command=None, config=None, database_url=None, data_dir=None,
                           lang=None)


def _install_log_file_handler(settings):
    """Send what the service modules log (a mail that could not be sent, ...) to the log
    file, never to stderr: with no handler anywhere Python prints warnings on stderr
    (``logging.lastResort``), a second unprefixed line under the command's message. The
    file (and its folder) is created at the first record only, so a command that logs
    nothing creates nothing. Returns the handler (to remove), or None when logging is
    already configured (an app, a test suite)."""
    import logging

    if logging.root.handlers or logging.getLogger("portplus_tui").handlers:
        return None

    class LogFileOnFirstRecord(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            import logging.handlers

            from portplus_tui.logs import setup_logging

            services = logging.getLogger("portplus_tui")

            def file_handler():
                return next((h for h in services.handlers
                             if isinstance(h, logging.handlers.RotatingFileHandler)), None)

            ours = record.name == "portplus_tui" or record.name.startswith("portplus_tui.")
            if ours and file_handler() is not None:
                return  # written already, by the file's handler on its way up to here
            try:
                setup_logging(settings)
            except OSError:
                return  # no log file possible: dropped, still not on stderr
            target = file_handler()
            if target is not None:
                target.handle(record)

    handler = LogFileOnFirstRecord(logging.WARNING)
    logging.root.addHandler(handler)
    return handler


def _read_only(args) -> bool:
    """Whether the command never writes (what Ctrl-C may then say)."""
    command, action = getattr(args, "command", None), getattr(args, "action", None)
    if command in ("outbox", "audit", "applications"):
        return True
    if command == "company":
        return action in ("show", "list")
    if command == "account":
        return action == "list"
    if command == "calendar":
        return action != "closed-day" or getattr(args, "closed_action", None) == "list"
    return False


def main(argv: Sequence[str] | None = None) -> int:
    # Private files before anything is opened (the database and its -wal / -shm, logs,
    # the outbox, the key file): umask 077; 007 once the settings ask for a shared group.
    from portplus_tui.store.files import set_process_umask

    set_process_umask(None)
    if argv is None:
        argv = sys.argv[1:]
    state: dict = {"lang": None, "args": None}
    try:
        return _main(argv, state)
    except KeyboardInterrupt:  # Ctrl-C anywhere: one line, no traceback
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        args = state["args"]
        error = _interrupted(nothing_written=args is not None and _read_only(args))
        sys.stderr.write(f"portplus: {error.message(state['lang'] or _early_lang(args))}\n")
        return EXIT_INTERRUPTED


def _shared_mode(settings) -> None:
    """With ``shared_group``: umask 007 (files 0660, folders 2770 of that group), once
    the group is known to exist."""
    if not settings.shared_group:
        return
    from portplus_tui.store.files import PermissionProblem, group_id, set_process_umask

    try:
        group_id(settings.shared_group)
    except PermissionProblem as exc:
        raise CliError(*texts('cli.main.shared_mode', shared_group=settings.shared_group, exc=exc)) from None
    set_process_umask(settings.shared_group)


def _main(argv: Sequence[str], state: dict) -> int:
    args = _bare_launch(argv) or _parse(argv)
    state["args"] = args
    lang = _early_lang(args)
    settings = None
    log_handler = None
    try:
        settings = _settings(args)
        lang = state["lang"] = settings.lang
        _shared_mode(settings)
        if args.command is None:
            return launch.launch_tui(settings)
        if args.command == "web-session":  # the app: it sets up its own log
            return _load_commands()["web-session"](args, settings)
        log_handler = _install_log_file_handler(settings)
        # init fixes the modes; demo checks its own file; ssh-session: the app it becomes does
        if args.command not in ("init", "migrate", "demo", "ssh-session", "serve"):
            _warn_if_exposed(settings)
        return _load_commands()[args.command](args, settings)
    except CliError as exc:
        sys.stderr.write(f"portplus: {exc.message(exc.lang or lang)}\n")
        return exc.code
    except BrokenPipeError:  # `portplus applications export ... | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        from portplus_tui.core.errors import ConflictError, PortPlusError

        if isinstance(exc, PortPlusError):
            sys.stderr.write(f"portplus: {exc.message(lang)}\n")
            # Not the input's fault: someone else was first, or the mail could not be
            # handed over (services.mail.MailError; the reason is in the log file).
            if isinstance(exc, ConflictError) or exc.code == "mail":
                return EXIT_ERROR
            return EXIT_USAGE
        from portplus_tui.logs import log_unexpected

        if type(exc).__module__ == "peewee":
            from portplus_tui.services.context import as_user_error

            typed = as_user_error(exc)
            if typed is not None:
                log_unexpected(exc, settings=settings, where="cli")
                sys.stderr.write(f"portplus: {typed.message(lang)}\n")
                return EXIT_USAGE  # as a DatabaseUnavailable raised by a service

        path = log_unexpected(exc, settings=settings)
        unexpected = CliError(*texts('cli.main.main', error=type(exc).__name__, path=path))
        sys.stderr.write(f"portplus: {unexpected.message(lang)}\n")
        return EXIT_ERROR
    finally:
        if log_handler is not None:
            import logging

            logging.root.removeHandler(log_handler)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    from portplus_tui.cli import parser

    return parser.build_parser().parse_args(argv)
