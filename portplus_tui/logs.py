"""Log files under the user log directory (or <data dir>/logs).

Unexpected exceptions are written here with their traceback and never shown on
screen. Nothing secret is logged: services never pass passwords, codes or hashes
to a logger, and a test scans the log files after the suite for them.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "portplus.log"
_configured: Path | None = None


def log_path(settings=None) -> Path:
    if settings is None:
        from portplus_tui.config import Settings

        settings = Settings()
    return settings.resolved_log_dir / LOG_NAME


def setup_logging(settings=None, level: int = logging.INFO) -> Path:
    """Send the ``portplus`` loggers to a rotating file (once per process)."""
    global _configured
    path = log_path(settings)
    if _configured == path:
        return path
    from portplus_tui.store.files import private_dir, tighten_file

    shared_group = getattr(settings, "shared_group", None)
    private_dir(path.parent, shared_group)  # 0700 (2770 in the shared mode)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    # 0600 (0660): the umask of __main__ gives that to new files (rotated ones too);
    # a file made by an older version, or by a process with another umask, is fixed here.
    try:
        tighten_file(path, shared_group)
    except OSError:
        pass
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s pid=%(process)d: %(message)s"))
    logger = logging.getLogger("portplus")
    # The service modules log under their module names (portplus_tui.services.mail and
    # .auth: mail that could not be sent): the same file, warnings and above (the root
    # logger's level); they still propagate, so nothing else changes for them.
    services = logging.getLogger("portplus_tui")
    for target in (logger, services):
        for old in list(target.handlers):
            if isinstance(old, logging.handlers.RotatingFileHandler):
                target.removeHandler(old)
                old.close()
        target.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    _configured = path
    return path


def log_warning(message: str, settings=None) -> Path | None:
    """Write a warning to the log file (e.g. a database file others can read); the
    file's path, or None when there can be no log file."""
    try:
        path = setup_logging(settings)
    except OSError:
        return None
    logging.getLogger("portplus.security").warning("%s", message)
    return path


def log_unexpected(exc: BaseException, settings=None, where: str = "") -> Path:
    """Write an unexpected exception with its traceback; return the log file's path."""
    try:
        path = setup_logging(settings)
    except OSError:
        return Path("(log file unavailable)")
    logging.getLogger("portplus.error").error("unexpected error%s", f" in {where}" if where else "",
                                              exc_info=(type(exc), exc, exc.__traceback__))
    return path
