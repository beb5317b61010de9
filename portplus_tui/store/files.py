"""File modes of everything the app creates on disk (data, secrets, exports, logs, mail).

Two modes (SPEC: the app is reached over SSH and from a browser by people we do not
control, on hosts other people log in to):

* **private** (the default): folders ``0700``, files ``0600``; the process umask is
  ``077`` before anything is opened, so SQLite's ``-wal`` / ``-shm`` files and anything
  a library creates are private too.
* **shared group** (setting ``shared_group = "portplus"``, the SSH deployment where every
  operator is an OS user of that group): folders ``2770`` owned by that group (the
  set-group-id bit makes new files inherit the group), files ``0660``, umask ``007``.
  Nobody outside the group can read anything.

Only the standard library (no peewee): ``__main__`` imports it before anything else
is opened, by the store (database files), the services (exports, key file) and the logs.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SHARED_DIR = 0o2770
SHARED_FILE = 0o660


class PermissionProblem(OSError):
    """A folder or file cannot be given the mode it needs (the message says which)."""


def umask_for(shared_group: str | None) -> int:
    return 0o007 if shared_group else 0o077


def set_process_umask(shared_group: str | None = None) -> int:
    """Set the umask of the process for the mode; returns the previous one. Call before
    any file is opened (``__main__.main`` does, for the app and every command)."""
    return os.umask(umask_for(shared_group))


def dir_mode(shared_group: str | None) -> int:
    return SHARED_DIR if shared_group else PRIVATE_DIR


def file_mode(shared_group: str | None) -> int:
    return SHARED_FILE if shared_group else PRIVATE_FILE


def group_id(shared_group: str) -> int:
    """The id of the shared group; ``PermissionProblem`` when the host has no such group."""
    try:
        return grp.getgrnam(shared_group).gr_gid
    except KeyError:
        raise PermissionProblem(f"no group {shared_group!r} on this host (setting "
                                f"shared_group); create it with: groupadd {shared_group}") from None


def _never_tightened(path: Path, info: os.stat_result) -> bool:
    """Shared folders the app must never narrow, even when this process owns them (as
    root it owns ``/tmp``): a sticky folder (``/tmp``, ``/var/tmp``), the home folder
    and the file-system root."""
    if stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX:
        return True
    try:
        resolved = path.resolve()
        return resolved == Path.home().resolve() or resolved == resolved.parent
    except (OSError, RuntimeError):
        return True


def _fix(path: Path, mode: int, shared_group: str | None) -> None:
    """Give ``path`` its mode (and group) when this process owns it; leave others' files
    alone (an administrator set them up; ``readable_by_others`` reports what is wrong)."""
    info = path.stat()
    if info.st_uid != os.geteuid() or _never_tightened(path, info):
        return
    try:
        if shared_group:
            gid = group_id(shared_group)
            if info.st_gid != gid:
                os.chown(path, -1, gid)
        # After the chown: changing the group may clear the set-group-id bit.
        if stat.S_IMODE(os.stat(path).st_mode) != mode:
            os.chmod(path, mode)
    except PermissionProblem:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        group = f" (group {shared_group})" if shared_group else ""
        raise PermissionProblem(f"cannot give {path} the mode {mode:o}{group}: {reason}") from None


def private_dir(path: str | os.PathLike[str], shared_group: str | None = None, *,
                tighten: bool = True) -> Path:
    """Make ``path`` (and missing parents) a folder of the mode; return it.

    Folders this call creates get ``0700`` (``2770`` and the group in the shared mode);
    with ``tighten`` an existing leaf folder owned by this process is tightened to that
    mode too (never a sticky folder such as ``/tmp``, nor the home folder). Parents that
    already exist are not touched (``~`` stays as it is)."""
    folder = Path(path)
    mode = dir_mode(shared_group)
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=mode & 0o777)
        except FileExistsError:
            pass  # another process made it meanwhile
        _fix(item, mode, shared_group)
    if not folder.is_dir():
        raise NotADirectoryError(20, os.strerror(20), str(folder))
    if tighten:
        _fix(folder, mode, shared_group)
    return folder


def tighten_file(path: str | os.PathLike[str], shared_group: str | None = None) -> None:
    """Give an existing file of this process the file mode (``0600`` / ``0660``)."""
    target = Path(path)
    if target.is_file():
        _fix(target, file_mode(shared_group), shared_group)


def readable_by_others(path: str | os.PathLike[str], shared_group: str | None = None) -> bool:
    """Whether someone outside the owner (and, in the shared mode, outside the group)
    can read or write ``path``."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return exposed(info, shared_group)


def exposed(info: os.stat_result, shared_group: str | None = None) -> bool:
    """``readable_by_others`` for a ``stat`` result (of an open file: ``os.fstat``)."""
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o006:
        return True
    if mode & 0o060:
        if not shared_group:
            return True
        try:
            return info.st_gid != group_id(shared_group)
        except PermissionProblem:
            return True
    return False


class SecretFileProblem(OSError):
    """A secret's file (the key file, the SMTP password file) cannot be used: ``kind`` is
    ``"unreadable"`` (missing, no permission: ``reason`` says which) or ``"exposed"``
    (someone besides its owner, or its owner's group in the shared mode, may read it)."""

    def __init__(self, kind: str, path: Path, reason: str = "") -> None:
        super().__init__(f"{path}: {kind}{f' ({reason})' if reason else ''}")
        self.kind = kind
        self.path = path
        self.reason = reason


def read_secret_file(path: str | os.PathLike[str], shared_group: str | None = None,
                     max_size: int = 4096) -> bytes:
    """The bytes of a file that holds a secret, at most ``max_size + 1`` of them (the
    caller refuses longer ones). The one rule for every secret's file: it must not be
    readable by others, nor by a group unless it is the ``shared_group`` (``exposed``),
    checked on the open file, so there is no window between the check and the read.
    ``SecretFileProblem`` otherwise; the secret itself never appears in it."""
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SecretFileProblem("unreadable", target, exc.strerror or str(exc)) from None
    try:
        if exposed(os.fstat(fd), shared_group):
            raise SecretFileProblem("exposed", target)
        return os.read(fd, max_size + 1)
    except SecretFileProblem:
        raise
    except OSError as exc:
        raise SecretFileProblem("unreadable", target, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def secret_fix_command(path: str | os.PathLike[str], shared_group: str | None = None) -> str:
    """The shell command that makes a secret's file readable by its owner only (and by
    the shared group, read-only, in the shared mode)."""
    import shlex

    quoted = shlex.quote(str(path))
    if shared_group:
        return f"chgrp {shlex.quote(shared_group)} {quoted} && chmod 640 {quoted}"
    return f"chmod 600 {quoted}"


def remove_quietly(path: str | os.PathLike[str] | None) -> None:
    """Remove a temporary file left by a write that did not finish (None: nothing)."""
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (``None`` for any other database, or one in
    memory). Parsed here without peewee, for the checks on the way to the first paint."""
    if not url.startswith("sqlite:///"):
        return None
    from urllib.parse import unquote

    name = unquote(url[len("sqlite:///"):].split("?", 1)[0])
    return None if name in ("", ":memory:") else Path(name)


def sqlite_files(path: str | os.PathLike[str]) -> list[Path]:
    """A SQLite database file and its ``-wal`` / ``-shm`` companions."""
    base = Path(path)
    return [base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")]


def fix_command(path: str | os.PathLike[str], shared_group: str | None = None) -> str:
    """The shell command that gives ``path`` its private (or shared-group) file mode."""
    import shlex

    quoted = shlex.quote(str(path))
    if shared_group:
        return f"chgrp {shlex.quote(shared_group)} {quoted} && chmod 660 {quoted}"
    return f"chmod 600 {quoted}"
