"""The secret key file (setting ``secret_key_file``): created once, atomically, private.

Like ssh with a private key, a key file that others can read is refused (group-readable
only in the shared mode, and only for that group). The key never appears in a message.
Only the standard library and our core: no peewee.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from portplus_tui.core.errors import ConfigurationError
from portplus_tui.core.messages import texts
from portplus_tui.core.secret_key import BadSecretKey, new_key_text, parse_key
from portplus_tui.store import files

_MAX_SIZE = 4096


def _reason(exc: BaseException) -> str:
    if isinstance(exc, files.SecretFileProblem):
        return exc.reason
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def cannot_create(path: Path, exc: BaseException) -> ConfigurationError:
    reason = _reason(exc)
    return ConfigurationError(
        *texts('keyfile.cannot_create', path=path, reason=reason),
        field="secret_key_file",
    )


def _unreadable(path: Path, exc: BaseException) -> ConfigurationError:
    reason = _reason(exc)
    return ConfigurationError(
        *texts('keyfile.unreadable', path=path, reason=reason),
        field="secret_key_file",
    )


def _exposed(path: Path, shared_group: str | None) -> ConfigurationError:
    fix = files.secret_fix_command(path, shared_group)
    return ConfigurationError(
        *texts('keyfile.exposed', path=path, fix=fix),
        field="secret_key_file",
    )


def _malformed(path: Path) -> ConfigurationError:
    return ConfigurationError(
        *texts('keyfile.malformed', path=path),
        field="secret_key_file",
    )


def create_key_file(path: str | os.PathLike[str], shared_group: str | None = None) -> bool:
    """Create the key file with a new random key unless it exists; True when this call
    made it. Atomic: the key is written to a private temporary file in the same folder,
    which is then hard-linked to the final name, so nobody ever reads a half-written
    key, and when two processes race the first link wins (the other reads that key).
    The file is ``0600`` (``0640`` of the group in the shared mode); folders this call
    creates are ``0700`` (``2770``)."""
    target = Path(path)
    if target.exists():
        return False
    tmp: str | None = None
    try:
        files.private_dir(target.parent, shared_group, tighten=False)
        fd, tmp = tempfile.mkstemp(prefix=".secret-key-", suffix=".tmp", dir=target.parent)
        try:
            os.fchmod(fd, 0o600)
            if shared_group:
                os.fchown(fd, -1, files.group_id(shared_group))
                os.fchmod(fd, 0o640)
            os.write(fd, (new_key_text() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False  # another process made it first: theirs is the key
        return True
    except OSError as exc:
        raise cannot_create(target, exc) from None
    finally:
        files.remove_quietly(tmp)


def read_key_file(path: str | os.PathLike[str], shared_group: str | None = None) -> bytes:
    """The key in the file; ``ConfigurationError`` when it is missing, unreadable,
    malformed, or readable by others (checked on the open file: no window between the
    check and the read)."""
    target = Path(path)
    try:
        data = files.read_secret_file(target, shared_group, _MAX_SIZE)
    except files.SecretFileProblem as problem:
        if problem.kind == "exposed":
            raise _exposed(target, shared_group) from None
        raise _unreadable(target, problem) from None
    try:
        if len(data) > _MAX_SIZE:
            raise BadSecretKey("too long")
        return parse_key(data.decode("ascii"))
    except (UnicodeDecodeError, BadSecretKey):
        raise _malformed(target) from None


def load_key_file(path: str | os.PathLike[str], shared_group: str | None = None) -> bytes:
    """The key in the file, made first when the file does not exist (installs from
    before the key file keep working)."""
    target = Path(path)
    if not target.exists():
        create_key_file(target, shared_group)
    return read_key_file(target, shared_group)
