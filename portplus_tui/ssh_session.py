"""`portplus ssh-session`: what sshd runs for an operator (``ForceCommand``).

An operator is an OS user in the group ``portplus`` (deploy/ssh/portplus.conf); sshd
checks their key, then runs this instead of a shell. It

- refuses a session that asks for a command (``SSH_ORIGINAL_COMMAND``: ``ssh host id``,
  scp, sftp) and a session without a terminal (``ssh -T``): one line on stderr, exit 1;
- sets what the app needs when the client did not send it: a ``TERM`` this host knows
  (``xterm-256color`` when the client's terminfo entry is missing here), a UTF-8 locale
  (``C.UTF-8`` when the session's locale is not UTF-8 or not installed), ``ESCDELAY``;
- replaces itself with the app (``exec``), so that the SSH session ends when the app
  ends and nothing of the session is left running.

Only the standard library: nothing here may slow the way to the login screen.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, MutableMapping, Sequence

FALLBACK_TERM = "xterm-256color"
FALLBACK_LOCALE = "C.UTF-8"
ESCDELAY_MS = "25"

REFUSED_COMMAND = (
    "このサーバーではコマンドやファイル転送は使えません。`ssh -t ホスト` でログインしてください。",
    "commands and file transfers are not available on this server; log in with `ssh -t HOST`",
)
REFUSED_NO_TERMINAL = (
    "ポートプラスには端末が必要です。`ssh -t ホスト` でログインしてください(-T や -N は使えません)。",
    "Port Plus needs a terminal; log in with `ssh -t HOST` (not -T or -N)",
)


class Refused(Exception):
    """The session cannot run the app: ``ja`` / ``en`` say why (one line each)."""

    def __init__(self, texts: tuple[str, str]):
        super().__init__(texts[1])
        self.ja, self.en = texts


def check_session(env: Mapping[str, str], fds: Sequence[int] = (0, 1, 2)) -> None:
    """Raise ``Refused`` for a session that must not reach the app."""
    if "SSH_ORIGINAL_COMMAND" in env:
        raise Refused(REFUSED_COMMAND)
    if not all(os.isatty(fd) for fd in fds):
        raise Refused(REFUSED_NO_TERMINAL)


def _terminfo_dirs(env: Mapping[str, str]) -> list[Path]:
    dirs: list[Path] = []
    if env.get("TERMINFO"):
        dirs.append(Path(env["TERMINFO"]))
    if env.get("HOME"):
        dirs.append(Path(env["HOME"]) / ".terminfo")
    for entry in env.get("TERMINFO_DIRS", "").split(":"):
        if entry:
            dirs.append(Path(entry))
    dirs += [Path("/etc/terminfo"), Path("/lib/terminfo"), Path("/usr/share/terminfo")]
    return dirs


def terminal_known(term: str, env: Mapping[str, str]) -> bool:
    """Whether this host has a terminfo entry for ``term`` (as ncurses looks it up:
    ``<dir>/<first letter>/<name>``, or the hex form of the first letter)."""
    if not term or "/" in term or term.startswith("."):
        return False
    for folder in _terminfo_dirs(env):
        for sub in (term[0], f"{ord(term[0]):x}"):
            if (folder / sub / term).is_file():
                return True
    return False


def _locale_is_utf8(env: Mapping[str, str]) -> bool:
    """Whether the locale the environment asks for exists here and is UTF-8."""
    name = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    if not name or name in ("C", "POSIX"):
        return False
    charset = name.partition(".")[2].partition("@")[0].lower().replace("-", "")
    if charset != "utf8":
        return False
    import locale

    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, name)
    except locale.Error:  # asked for by the client, not installed on this host
        return False
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)
    return True


def prepare_environment(env: MutableMapping[str, str]) -> list[str]:
    """Fill in what the app needs over SSH; return the names of what was changed."""
    changed = []
    if not terminal_known(env.get("TERM", ""), env):
        env["TERM"] = FALLBACK_TERM
        changed.append("TERM")
    if not _locale_is_utf8(env):
        env["LC_ALL"] = FALLBACK_LOCALE
        env["LANG"] = FALLBACK_LOCALE
        changed.append("LC_ALL")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    if not env.get("ESCDELAY"):
        env["ESCDELAY"] = ESCDELAY_MS
        changed.append("ESCDELAY")
    return changed


def app_command(python: str, options: Sequence[str]) -> list[str]:
    """The command that replaces this process: the app itself, with the global options
    this session was given."""
    return [python, "-m", "portplus_tui", *options]
