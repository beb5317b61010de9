"""What every command shares: exit codes, ``CliError`` (one line on stderr), the
settings and the database context of a command, and output helpers."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from portplus_tui.core.messages import Sentence, texts

if TYPE_CHECKING:
    import argparse


EXIT_OK = 0


EXIT_ERROR = 1


EXIT_USAGE = 2


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CliError(Sentence, Exception):
    """A problem found by the command line itself: one line on stderr in the user's
    language (as ``core.errors.PortPlusError.message``), exit ``code`` (2: usage)."""

    def __init__(self, ja: str, en: str, *, code: int = EXIT_USAGE):
        super().__init__(en)
        self.set_texts(ja, en)
        self.code = code
        self.lang: str | None = None  # set when the language is known better than main's


def _interrupted(nothing_written: bool) -> CliError:
    if nothing_written:
        return CliError(*texts('cli.base.interrupted.2'),
                        code=EXIT_INTERRUPTED)
    return CliError(*texts('cli.base.interrupted'), code=EXIT_INTERRUPTED)


# ---------------------------------------------------------------- plumbing
def _early_lang(args) -> str:
    """The language for messages before the settings are known: the flag, else the
    environment, else Japanese (the default)."""
    import os

    for candidate in (getattr(args, "lang", None), os.environ.get("PORTPLUS_LANG")):
        if isinstance(candidate, str) and candidate.strip().lower() in ("ja", "en"):
            return candidate.strip().lower()
    return "ja"


def _settings(args: argparse.Namespace):
    from portplus_tui.config import ConfigError, load_settings

    # An empty environment variable counts as unset (config.load_settings); an empty
    # flag is a mistake: `--data-dir ''` would otherwise mean the current folder.
    for flag, value in (("--config", getattr(args, "config", None)),
                        ("--database-url", getattr(args, "database_url", None)),
                        ("--data-dir", getattr(args, "data_dir", None))):
        if value is not None and not value.strip():
            raise CliError(*texts('cli.base.settings', flag=flag))
    try:
        return load_settings(
            getattr(args, "config", None),
            overrides={
                "database_url": getattr(args, "database_url", None),
                "data_dir": getattr(args, "data_dir", None),
                "lang": getattr(args, "lang", None),
            },
        )
    except ConfigError as exc:
        lang = getattr(args, "lang", None) or exc.lang or _early_lang(args)
        error = CliError(*texts('cli.base.settings.2', message=exc.message('ja'), message_en=exc.message('en')))
        error.lang = lang
        raise error from None


def _not_initialised() -> CliError:
    return CliError(*texts('cli.base.not_initialised'))


def _refuse_missing_sqlite_file(settings) -> None:
    """A SQLite file that does not exist is not opened (opening would create it, and its
    folder): only `init`, `migrate` and `demo` create the database. Where `init` could
    not create it either (a file in the way, a folder nobody may write to), say that."""
    import errno
    import os

    from portplus_tui.store.db import cannot_open, is_sqlite_url, sqlite_path

    url = settings.resolved_database_url
    if not is_sqlite_url(url):
        return
    path = sqlite_path(url)
    if path is None or path.name in ("", ":memory:"):
        return  # open_database explains what is wrong with the URL
    try:
        os.stat(path)
        return
    except FileNotFoundError:
        pass
    except OSError as exc:  # e.g. ENOTDIR: a plain file where a folder should be
        raise cannot_open(path, exc) from None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise cannot_open(path, NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise cannot_open(path, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    raise _not_initialised()


def _context(settings, *, migrate: bool = False, require_schema: bool = True):
    """The services' context on the configured database. ``require_schema``: refuse
    (before connecting, creating nothing) a database that `portplus init` has not set up."""
    if require_schema and not migrate:
        _refuse_missing_sqlite_file(settings)
    from portplus_tui.services.context import AppContext

    ctx = AppContext.open(settings, migrate=migrate)
    if require_schema and not migrate:
        from portplus_tui.store.migrations import LATEST, current_version

        try:
            version = current_version(ctx.db)
        except BaseException:
            ctx.close()
            raise
        if version < LATEST:
            ctx.close()
            raise _not_initialised()
    return ctx


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _yes_no(flag: bool) -> str:
    return "on" if flag else "off"


# ---------------------------------------------------------------- commands
def _secure_files(settings) -> list:
    """What `init` owes installs made by older versions: the data folder and the SQLite
    files this process owns get their modes (0700 / 0600, or 2770 / 0660 in the shared
    mode). Returns the files that others could read before."""
    from portplus_tui.store.db import tighten_sqlite_files
    from portplus_tui.store.files import PermissionProblem, private_dir, sqlite_file

    try:
        private_dir(settings.resolved_data_dir, settings.shared_group)
        path = sqlite_file(settings.resolved_database_url)
        return tighten_sqlite_files(path, settings.shared_group) if path is not None else []
    except NotADirectoryError:
        return []  # the database step reports it
    except PermissionProblem as exc:
        raise CliError(*texts('cli.base.secure_files', exc=exc)) from None


def _ensure_secret_key(ctx) -> None:
    """Make the key file now (when no PORTPLUS_SECRET_KEY is set), so that the app
    never has to, and check it: a key file others can read stops here."""
    ctx.secret_key()
