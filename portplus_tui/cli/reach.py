"""Reaching the app from elsewhere: ``ssh-session`` (sshd's ForceCommand), ``serve``
(the browser) and ``web-session`` (one browser tab's app)."""

from __future__ import annotations

import sys

from portplus_tui.cli import launch
from portplus_tui.cli.base import (
    EXIT_ERROR,
    EXIT_OK,
    CliError,
)
from portplus_tui.core.messages import texts


def cmd_ssh_session(args, settings) -> int:
    """``ForceCommand`` target (portplus_tui/ssh_session.py): check the session, fill in
    the environment, then become the app (exec), so the session ends with it."""
    import os

    from portplus_tui import ssh_session

    try:
        ssh_session.check_session(os.environ)
    except ssh_session.Refused as exc:
        raise CliError(exc.ja, exc.en, code=EXIT_ERROR) from None
    env = dict(os.environ)
    ssh_session.prepare_environment(env)
    command = ssh_session.app_command(sys.executable, _global_flags(args))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, env)
    return EXIT_ERROR  # not reached: execve returns only by raising


def _global_flags(args) -> list[str]:
    """The global options this command was given, to hand on to the app it starts."""
    options = []
    for flag, value in (("--config", getattr(args, "config", None)),
                        ("--database-url", getattr(args, "database_url", None)),
                        ("--data-dir", getattr(args, "data_dir", None)),
                        ("--lang", getattr(args, "lang", None))):
        if value is not None:
            options += [flag, value]
    return options


def _serve_options(args) -> tuple[str, int, str | None, int]:
    """``portplus serve``'s flags, checked (CliError, exit 2)."""
    from urllib.parse import urlsplit

    host = args.host.strip()
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise CliError(*texts('cli.reach.serve_options', host=args.host))
    if not 1 <= args.port <= 65535:
        raise CliError(*texts('cli.reach.serve_options.2'))
    if args.max_sessions < 1 or args.max_sessions > 10_000:
        raise CliError(*texts('cli.reach.serve_options.3'))
    public = args.public_url
    if public is not None:
        parts = urlsplit(public)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            parts = None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
                or parts.query or parts.fragment or parts.username or parts.password):
            raise CliError(*texts('cli.reach.serve_options.4'))
    return host, args.port, public, args.max_sessions


def cmd_serve(args, settings) -> int:
    """The app in a browser: portplus_tui/web/server.py."""
    import shlex

    host, port, public, limit = _serve_options(args)
    try:
        from portplus_tui.web.server import PortPlusServer
    except ImportError:
        raise CliError(*texts('cli.reach.cmd_serve'),
                       code=EXIT_ERROR) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"portplus serve: listening on {host}, not only this host: put a TLS "
                         "reverse proxy in front and give --public-url (README, \"Deployment "
                         "in a browser\")\n")
    # textual-serve runs it with a shell: exec, so that the process it ends is the app.
    command = "exec " + " ".join(shlex.quote(part) for part in
                                 [sys.executable, "-m", "portplus_tui", *_global_flags(args),
                                  "web-session"])
    server = PortPlusServer(command, host=host, port=port, public_url=public,
                            max_sessions=limit,
                            idle_seconds=settings.idle_timeout_minutes * 60.0)
    server.serve()
    return EXIT_OK


def cmd_web_session(args, settings) -> int:
    """One browser tab's app (started by ``portplus serve``, which speaks Textual's web
    driver protocol on its stdin and stdout): the app, without a terminal."""
    import os

    if os.environ.get("TEXTUAL_DRIVER") != "textual.drivers.web_driver:WebDriver":
        raise CliError(*texts('cli.reach.cmd_web_session'),
                       code=EXIT_ERROR)
    return launch.launch_tui(settings, terminal=False)
