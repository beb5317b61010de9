"""CSV export of the ポートプラス list into the one export folder (issue 11, finding 1).

The TUI used to write the export to any path the user typed (``~``, absolute, ``..``),
replacing what was there: any account could overwrite ``~/.bashrc``,
``~/.ssh/authorized_keys`` or the database with a CSV whose 申込者 cell it chose. The
rule now lives here, so that every caller gets it:

* exports go only into the folder of the ``export_dir`` setting (default
  ``<data_dir>/exports``), made ``0700`` (``2770`` in the shared-group mode) by
  ``store.files.private_dir``;
* the user gives a file NAME, never a path (``export_name``): no ``/`` or ``\\``, no
  leading dot, no control or format characters, not empty, at most
  ``MAX_NAME_CHARS`` characters; ``.csv`` is added when missing;
* the file is written to a temporary file in that folder (``O_CREAT|O_EXCL|O_NOFOLLOW``,
  a random name with a leading dot, mode ``0600`` / ``0660``) and then moved onto the
  name; a failure removes the temporary file and changes nothing else;
* an existing file is replaced only when it is a CSV this app wrote there (a regular
  file, not a symbolic link, of this process's user, no permission bits beyond the
  export file mode, starting with the export header) AND the caller says ``overwrite``
  (the dialog: 出力 pressed again). Anything else there is refused and left alone.

Every file operation is relative to a descriptor of the export folder opened once, so
a folder swapped for a symbolic link meanwhile changes nothing. The folder is this
process's own (``0700``) and is checked to be so; the target is checked before the
rows are written and again right before the move. A symbolic link planted at the name
after that second check is replaced by the move (``rename`` never follows a link at its
destination), never written through.

In a browser (textual-serve) nothing is written on the host: ``download`` returns the
CSV text and the TUI hands it to the browser. The CLI export (``portplus applications
export``) still writes to stdout.

No Textual here (ARCHITECTURE: services never import it).
"""

from __future__ import annotations

import csv
import errno
import io
import os
import secrets
import stat
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from portplus_tui.core.errors import PortPlusError, ValidationError
from portplus_tui.core.messages import texts
from portplus_tui.store import files

#: the longest file name accepted, ``.csv`` included (characters; and at most
#: ``MAX_NAME_BYTES`` in UTF-8, below the 255 bytes of a name on Linux file systems)
MAX_NAME_CHARS = 100
MAX_NAME_BYTES = 240
SUFFIX = ".csv"
#: not path separators on Linux, but not allowed in names on Windows, where a download
#: or a copied file may end up; a name is easier to pass around without them
_AWKWARD = set(':*?"<>|')
_REFUSED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
FIELD = "name"


class ExportExists(PortPlusError):
    """A CSV this app wrote is already there: replaced only with ``overwrite=True``."""

    code = "export_exists"

    def __init__(self, path: Path):
        super().__init__(*texts('exports.init', name=path.name), field=FIELD)
        self.path = path


class ExportRefused(PortPlusError):
    """Something is at the name (or the folder is not right) that the export will not
    replace or write into; nothing was changed."""

    code = "export_refused"

    def __init__(self, ja: str, en: str, path: Path):
        super().__init__(ja, en, field=FIELD)
        self.path = path


class ExportFailed(PortPlusError):
    """The file system refused (no space, no permission, ...); nothing was changed."""

    code = "export_failed"

    def __init__(self, path: Path, reason: str):
        super().__init__(*texts('exports.init.2', path=path, reason=reason), field=FIELD)
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Written:
    """An export written on the host."""

    path: Path  # absolute
    count: int  # rows, header not counted
    replaced: bool  # an earlier export of the same name was replaced


@dataclass(frozen=True)
class Download:
    """An export for the browser: the text to hand over, nothing written on the host."""

    name: str
    text: str
    count: int


# ------------------------------------------------------------------ names
def _refused(ja: str, en: str) -> ValidationError:
    return ValidationError(ja, en, field=FIELD, code="export_name")


def export_name(text: str) -> str:
    """The file name the user typed, checked: a name in the export folder, never a path.

    Surrounding spaces are dropped and ``.csv`` is added when the name does not end with
    it (any case). ``ValidationError`` (field ``name``, code ``export_name``) says why a
    name is refused."""
    name = (text or "").strip()
    if not name:
        raise _refused(*texts('exports.export_name'))
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in name):
        raise _refused(*texts('exports.export_name.2'))
    if "/" in name or "\\" in name:
        raise _refused(
            *texts('exports.export_name.3'))
    if name.startswith("."):
        raise _refused(*texts('exports.export_name.4'))
    awkward = sorted(_AWKWARD.intersection(name))
    if awkward:
        listed = " ".join(awkward)
        raise _refused(*texts('exports.export_name.5', listed=listed))
    if not name.lower().endswith(SUFFIX):
        name += SUFFIX
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise _refused(*texts('exports.export_name.6', max_chars=MAX_NAME_CHARS))
    return name


def default_name(now: datetime) -> str:
    """``portplus-YYYYMMDD-HHMMSS.csv`` (local time of the machine running the app)."""
    return f"portplus-{now.astimezone().strftime('%Y%m%d-%H%M%S')}{SUFFIX}"


# ------------------------------------------------------------------ the folder
def shared_group_of(settings: Any) -> str | None:
    """The ``shared_group`` setting where the settings have it (else private modes)."""
    return getattr(settings, "shared_group", None) or None


def export_dir(settings: Any) -> Path:
    """Where exports go (``export_dir``, default ``<data_dir>/exports``), absolute; not
    created here (``write_export`` does)."""
    return Path(os.path.abspath(settings.resolved_export_dir))


def _open_folder(folder: Path, shared_group: str | None) -> int:
    """A descriptor of the export folder, after checking that it is ours and closed to
    others (``0700``; ``2770`` of the group in the shared mode)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        mode = stat.S_IMODE(info.st_mode)
        if shared_group:
            ours = info.st_uid == os.geteuid() or info.st_gid == files.group_id(shared_group)
            closed = not mode & 0o007
        else:
            ours = info.st_uid == os.geteuid()
            closed = not mode & 0o077
        if not ours:
            raise ExportRefused(
                *texts('exports.open_folder', folder=folder),
                folder)
        if not closed:
            raise ExportRefused(
                *texts('exports.open_folder.2', folder=folder, mode=mode),
                folder)
    except BaseException:
        os.close(fd)
        raise
    return fd


# ------------------------------------------------------------------ what is at the name
def header_line(header: Sequence[str]) -> bytes:
    """The first line of an export, as the csv module writes it."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    return buffer.getvalue().encode("utf-8")


def _existing(dir_fd: int, name: str, path: Path, header: bytes,
              shared_group: str | None) -> bool:
    """False when nothing is at ``name``; True when an export this app wrote is there
    (see the module docstring); ``ExportRefused`` for anything else."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False

    def refuse(ja: str, en: str) -> ExportRefused:
        return ExportRefused(*texts('exports.refuse', name=name, ja=ja, en=en), path)

    if stat.S_ISLNK(info.st_mode):
        raise refuse(*texts('exports.existing'))
    if stat.S_ISDIR(info.st_mode):
        raise refuse(*texts('exports.existing.2'))
    if not stat.S_ISREG(info.st_mode):
        raise refuse(*texts('exports.existing.3'))
    if info.st_uid != os.geteuid():
        raise refuse(*texts('exports.existing.4'))
    if stat.S_IMODE(info.st_mode) & ~files.file_mode(shared_group):
        raise refuse(*texts('exports.existing.5'))
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError:
        raise refuse(*texts('exports.existing.7')) from None
    try:
        again = os.fstat(fd)
        first = os.read(fd, len(header)) if stat.S_ISREG(again.st_mode) else b""
    finally:
        os.close(fd)
    if (again.st_dev, again.st_ino) != (info.st_dev, info.st_ino) or first != header:
        raise refuse(*texts('exports.existing.6'))
    return True


# ------------------------------------------------------------------ writing
def write_export(rows: Iterable[Sequence[Any]], header: Sequence[str], folder: str | os.PathLike[str],
                 name: str, *, overwrite: bool = False,
                 shared_group: str | None = None) -> Written:
    """Write ``header`` and ``rows`` as UTF-8 CSV to ``folder/name`` (module docstring).

    ``name`` goes through ``export_name``. The first row is read before anything on
    disk is touched (a service's generator checks the session there). ``ExportExists``:
    an earlier export is there and ``overwrite`` is False; ``ExportRefused``: something
    else is there; ``ExportFailed``: the file system refused. In every such case the
    folder holds what it held before."""
    name = export_name(name)
    rows = iter(rows)
    try:
        first = next(rows, None)
        folder = Path(os.path.abspath(folder))
        path = folder / name
        try:
            files.private_dir(folder, shared_group)
            dir_fd = _open_folder(folder, shared_group)
        except OSError as exc:
            raise ExportFailed(folder, exc.strerror or str(exc)) from exc
        try:
            return _write(dir_fd, rows, first, header, path, overwrite, shared_group)
        finally:
            os.close(dir_fd)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # a generator's database cursor, when it stopped early


def _write(dir_fd: int, rows, first, header: Sequence[str], path: Path, overwrite: bool,
           shared_group: str | None) -> Written:
    name = path.name
    expected = header_line(header)
    mode = files.file_mode(shared_group)
    try:
        if _existing(dir_fd, name, path, expected, shared_group) and not overwrite:
            raise ExportExists(path)
        temp = f".portplus-export-{secrets.token_hex(8)}.tmp"
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_WRONLY | os.O_CLOEXEC,
                     mode, dir_fd=dir_fd)
    except OSError as exc:
        raise ExportFailed(path, exc.strerror or str(exc)) from exc
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), mode)  # exactly, whatever the umask took away
            writer = csv.writer(handle)
            writer.writerow(header)
            if first is not None:
                writer.writerow(first)
                count = 1
                for row in rows:
                    writer.writerow(row)
                    count += 1
            handle.flush()
            os.fsync(handle.fileno())
        replaced = _place(dir_fd, temp, name, path, expected, overwrite, shared_group)
    except OSError as exc:
        _remove(dir_fd, temp)
        raise ExportFailed(path, exc.strerror or str(exc)) from exc
    except BaseException:
        _remove(dir_fd, temp)
        raise
    return Written(path, count, replaced)


#: link() not possible on this file system: the no-replace move falls back to rename
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


def _place(dir_fd: int, temp: str, name: str, path: Path, header: bytes, overwrite: bool,
           shared_group: str | None) -> bool:
    """Move the written temporary file onto ``name`` after checking again what is there
    now. Returns whether an earlier export was replaced."""
    if _existing(dir_fd, name, path, header, shared_group):
        if not overwrite:
            raise ExportExists(path)  # written meanwhile by someone else
        # rename() replaces the directory entry; a symbolic link planted there since the
        # check is replaced as well, never followed.
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return True
    try:
        # Nothing there: link() creates the name only if it is still free (no replace).
        os.link(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return _place_after_race(dir_fd, temp, name, path, header, overwrite, shared_group)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return False
    try:
        _remove(dir_fd, temp)  # the export is in place: a leftover temporary name is
    except OSError:            # harmless (a dot name, never a valid export name)
        pass
    return False


def _place_after_race(dir_fd: int, temp: str, name: str, path: Path, header: bytes,
                      overwrite: bool, shared_group: str | None) -> bool:
    """Something appeared at the name between the check and the link."""
    if not _existing(dir_fd, name, path, header, shared_group):
        raise ExportFailed(path, os.strerror(errno.EAGAIN))
    if not overwrite:
        raise ExportExists(path)
    os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    return True


def _remove(dir_fd: int, temp: str) -> None:
    try:
        os.unlink(temp, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


# ------------------------------------------------------------------ the use cases
def write_csv(ctx: Any, session: Any, name: str, start: date | str | None = None,
              end: date | str | None = None, *, include_cancelled: bool = True,
              overwrite: bool = False) -> Written:
    """The list's search (``applications.export_rows``: authorised, streamed) as a CSV
    file ``name`` in the export folder of ``ctx.settings``."""
    from portplus_tui.services import applications

    name = export_name(name)  # before the database is asked anything
    rows = applications.export_rows(ctx, session, start, end,
                                    include_cancelled=include_cancelled)
    return write_export(rows, applications.EXPORT_HEADER, export_dir(ctx.settings), name,
                        overwrite=overwrite, shared_group=shared_group_of(ctx.settings))


def download(ctx: Any, session: Any, name: str, start: date | str | None = None,
             end: date | str | None = None, *, include_cancelled: bool = True) -> Download:
    """The same CSV as text, for a browser to save (nothing written on the host)."""
    from portplus_tui.services import applications

    name = export_name(name)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(applications.EXPORT_HEADER)
    count = 0
    for row in applications.export_rows(ctx, session, start, end,
                                        include_cancelled=include_cancelled):
        writer.writerow(row)
        count += 1
    return Download(name, buffer.getvalue(), count)
