"""Outgoing e-mail: one-time passwords, reset codes and application receipts.

Three backends share one small protocol, ``MailBackend.send(mail)``:

- ``FileBackend`` writes one ``.eml`` file per message into the outbox folder (one
  machine, SPEC §11; ``portplus outbox`` shows the latest with ``read_outbox``),
- ``SmtpBackend`` hands the message to an SMTP server (STARTTLS, implicit TLS or a
  plain connection, optional login),
- ``MemoryBackend`` keeps messages in a list, for tests.

Every failure of ``send`` is raised as ``MailError`` and nothing else. Bodies carry
one-time codes, so they are never logged, and nor are passwords.

Messages are built for Japanese: UTF-8 text in base64 (7-bit clean, never raw 8-bit),
RFC 2047 encoded-word subject and display names, CRLF line ends (``policy.SMTP``).
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import os
import secrets
import smtplib
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from portplus_tui.core.calendar import JST
from portplus_tui.core.errors import ConfigurationError, PortPlusError
from portplus_tui.core.messages import texts

log = logging.getLogger(__name__)

#: Japan has no daylight saving time: a fixed offset needs no tz database.

#: Serialisation policy: CRLF line ends, headers folded at 78, RFC 2047 encoding.
POLICY = email.policy.SMTP

SECURITY_MODES = ("starttls", "tls", "none")
APPLICATION_ACTIONS = ("new", "change", "cancel")

_EML_SUFFIX = ".eml"
_TMP_PREFIX = ".tmp-"
_TMP_SUFFIX = ".part"


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class DecodedMail:
    path: Path
    date: str
    sender: str
    to: str
    subject: str
    body: str


class MailError(PortPlusError):
    """A message could not be built or handed over. Nothing was delivered."""

    code = "mail"

    def __init__(
        self,
        ja: str = "メールを送信できませんでした。しばらくしてから再度お試しください。",
        en: str = "The e-mail could not be sent. Please try again later.",
        *,
        field: str | None = None,
        code: str | None = None,
    ):
        super().__init__(ja, en, field=field, code=code)


def _invalid_address(field: str) -> MailError:
    return MailError(
        *texts('mail.invalid_address'),
        field=field,
    )


@runtime_checkable
class MailBackend(Protocol):
    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` or raise ``MailError``; never another exception."""
        ...


# --------------------------------------------------------------------------- building
def _check_address(value: str, field: str) -> str:
    """Return the bare addr-spec of one address (``"名前 <a@b>"`` or ``"a@b"``)."""
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise _invalid_address(field)
    found = getaddresses([value])
    if len(found) != 1:
        raise _invalid_address(field)
    addr = found[0][1]
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in addr):
        raise _invalid_address(field)
    if not addr.isascii():
        # Would need SMTPUTF8 end to end; login IDs are ASCII (R-ACC-2), so refuse.
        raise _invalid_address(field)
    return addr


def build_message(
    mail: OutgoingMail, sender: str, *, now: datetime | None = None
) -> EmailMessage:
    """A complete RFC 5322 message for ``mail``: From, To, Subject, Date, Message-ID.

    The body is UTF-8 in base64, so the bytes on the wire are 7-bit clean whatever the
    relay supports. ``now`` (aware) is for tests; the default is the current time in
    Japan. Raises ``MailError`` for an unusable address or a header with a line break.
    """
    sender_addr = _check_address(sender, "sender")
    _check_address(mail.to, "to")
    if "\r" in mail.subject or "\n" in mail.subject:
        raise MailError(
            *texts('mail.build_message'),
            field="subject",
        )
    when = now if now is not None else datetime.now(JST)
    msg = EmailMessage(policy=POLICY)
    try:
        msg["From"] = sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Date"] = format_datetime(when)
        # An explicit domain: the default calls socket.getfqdn(), which can stall on DNS.
        msg["Message-ID"] = make_msgid(domain=sender_addr.rpartition("@")[2])
        msg["MIME-Version"] = "1.0"
        msg.set_content(mail.body, charset="utf-8", cte="base64")
    except (ValueError, TypeError) as exc:
        log.warning("mail to %s not built: %s", mail.to, type(exc).__name__)
        raise MailError() from exc
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, 7-bit headers."""
    return msg.as_bytes(policy=POLICY)


# --------------------------------------------------------------------------- backends
class MemoryBackend:
    """Keeps every message in ``sent`` (and the built form in ``messages``).

    Thread-safe. ``fail=True`` (also settable later) makes ``send`` raise ``MailError``
    without recording anything.
    """

    def __init__(self, *, sender: str = "portplus@localhost", fail: bool = False):
        self.sender = sender
        self.fail = fail
        self.sent: list[OutgoingMail] = []
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> None:
        if self.fail:
            raise MailError()
        msg = build_message(mail, self.sender)
        with self._lock:
            self.sent.append(mail)
            self.messages.append(msg)

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()
            self.messages.clear()

    def __repr__(self) -> str:
        return f"MemoryBackend(sent={len(self.sent)}, fail={self.fail})"


class FileBackend:
    """One ``.eml`` file per message in ``folder`` (created 0o700 when missing).

    File names start with the UTC time to the nanosecond, so sorting by name sorts by
    time, and end with a random suffix, so writers in other threads or processes never
    pick the same name. Each file is written to a hidden temporary file in the same
    folder, synced and then renamed with ``os.replace``: a reader sees a whole message
    or none. Files are 0o600 (they hold one-time codes).
    """

    _clock_lock = threading.Lock()
    _last_ns = 0

    def __init__(self, folder: str | os.PathLike[str], *, sender: str = "portplus@localhost",
                 shared_group: str | None = None):
        self.folder = Path(folder)
        self.sender = sender
        self.shared_group = shared_group  # folder 2770 and files 0660 of that group

    @classmethod
    def _timestamp_ns(cls) -> int:
        # Strictly increasing within the process, so one process's files keep their
        # order even when the clock's resolution is coarse or it steps back a little.
        with cls._clock_lock:
            now = max(time.time_ns(), cls._last_ns + 1)
            cls._last_ns = now
            return now

    def _new_name(self) -> str:
        ns = self._timestamp_ns()
        seconds, frac = divmod(ns, 1_000_000_000)
        stamp = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y%m%dT%H%M%S")
        return f"{stamp}.{frac:09d}Z-{secrets.token_hex(6)}{_EML_SUFFIX}"

    def _ensure_folder(self) -> None:
        if self.folder.is_dir():
            return
        from portplus_tui.store.files import private_dir

        # Missing folders (the outbox and its parents) are made 0700 (2770), whatever
        # the umask; an outbox another writer has just made is left as it is.
        private_dir(self.folder, self.shared_group, tighten=False)

    def send(self, mail: OutgoingMail) -> None:
        from portplus_tui.store.files import remove_quietly

        msg = build_message(mail, self.sender)
        tmp: str | None = None
        try:
            data = message_bytes(msg)
            self._ensure_folder()
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=self.folder)
            try:
                if self.shared_group:
                    from portplus_tui.store.files import SHARED_FILE, group_id

                    os.fchown(fd, -1, group_id(self.shared_group))
                    os.fchmod(fd, SHARED_FILE)
                else:
                    os.fchmod(fd, 0o600)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            target = self.folder / self._new_name()
            os.replace(tmp, target)
            tmp = None
            self._sync_folder()
        except Exception as exc:  # the contract: MailError and nothing else
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            log.warning(
                "mail to %s not written to %s: %s: %s",
                mail.to, self.folder, type(exc).__name__, str(reason)[:200],
            )
            raise MailError() from exc
        finally:
            remove_quietly(tmp)
        log.info("mail to %s written to %s", mail.to, target.name)

    def _sync_folder(self) -> None:
        # Make the rename itself durable; not every platform can open a directory.
        try:
            dir_fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def __repr__(self) -> str:
        return f"FileBackend({str(self.folder)!r})"


class SmtpBackend:
    """Hands messages to an SMTP server with ``smtplib``, one connection per message.

    ``security``: ``starttls`` (connect in plain text, then require STARTTLS; a server
    without it is an error, never a silent downgrade), ``tls`` (implicit TLS, usually
    port 465) or ``none`` (plain text, for a relay on the same host or network).
    Certificates are verified with ``ssl_context`` (default: the system's trust store).
    With ``user`` set, the backend logs in (after TLS where TLS is used).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str = "portplus@localhost",
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ):
        if security not in SECURITY_MODES:
            raise ConfigurationError(
                *texts('mail.init', modes=', '.join(SECURITY_MODES)),
                field="smtp_security",
            )
        if user and password is None:
            raise ConfigurationError(
                *texts('mail.init.2'),
                field="smtp_password",
            )
        self.host = host
        self.port = int(port)
        self.sender = sender
        self.security = security
        self.user = user or None
        self._password = password
        self.timeout = timeout
        self._ssl_context = ssl_context
        self.local_hostname = local_hostname

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def send(self, mail: OutgoingMail) -> None:
        msg = build_message(mail, self.sender)
        envelope_from = parseaddr(self.sender)[1]
        envelope_to = parseaddr(mail.to)[1]
        client: smtplib.SMTP | None = None
        try:
            if self.security == "tls":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, local_hostname=self.local_hostname,
                    timeout=self.timeout, context=self._context(),
                )
            else:
                client = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname,
                    timeout=self.timeout,
                )
            client.ehlo()
            if self.security == "starttls":
                client.starttls(context=self._context())
                client.ehlo()
            if self.user:
                self._login(client)
            refused = client.send_message(msg, from_addr=envelope_from, to_addrs=[envelope_to])
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        except Exception as exc:  # the contract: MailError and nothing else
            log.warning(
                "mail to %s not sent via %s:%s (%s): %s: %s",
                mail.to, self.host, self.port, self.security, type(exc).__name__,
                _describe(exc),
            )
            raise MailError() from exc
        finally:
            if client is not None:
                _close_quietly(client)
        log.info("mail to %s sent via %s:%s", mail.to, self.host, self.port)

    def _login(self, client: smtplib.SMTP) -> None:
        user, password = self.user or "", self._password or ""
        if user.isascii() and password.isascii():
            client.login(user, password)
            return
        # smtplib encodes credentials as ASCII; AUTH PLAIN (RFC 4616) carries UTF-8.
        auth = client.esmtp_features.get("auth", "") if client.has_extn("auth") else ""
        if "PLAIN" not in auth.upper().split():
            raise smtplib.SMTPNotSupportedError(
                "the server offers no AUTH PLAIN, needed for a non-ASCII login"
            )
        token = base64.b64encode(
            b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")
        ).decode("ascii")
        code, reply = client.docmd("AUTH", "PLAIN " + token)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    def __repr__(self) -> str:
        return (
            f"SmtpBackend({self.host!r}, {self.port}, security={self.security!r}, "
            f"user={self.user!r})"
        )


def _describe(exc: BaseException) -> str:
    """A short reason for the log: the server's reply, never the message itself."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return f"{exc.smtp_code} {reply}"[:200]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return ", ".join(f"{rcpt}: {code}" for rcpt, (code, _r) in exc.recipients.items())
    return str(exc)[:200]


def _close_quietly(client: smtplib.SMTP) -> None:
    # The message is already accepted (or already failed): a failing QUIT changes
    # nothing, so it must not turn a delivered mail into an error.
    try:
        client.quit()
    except Exception:
        try:
            client.close()
        except Exception:
            pass


_PASSWORD_FILE_MAX = 1024


def smtp_password(settings: Any) -> str | None:
    """The SMTP password: ``PORTPLUS_SMTP_PASSWORD`` (setting ``smtp_password``), else the
    file ``smtp_password_file`` names (one trailing line break dropped), read now, when a
    mail is to be sent. The file must be readable by nobody but its owner (and the
    ``shared_group``), as the key file (``store.files.read_secret_file``)."""
    if settings.smtp_password is not None:
        return settings.smtp_password
    path = getattr(settings, "smtp_password_file", None)
    if path is None:
        return None
    from portplus_tui.store import files

    group = getattr(settings, "shared_group", None)
    try:
        data = files.read_secret_file(path, group, _PASSWORD_FILE_MAX)
    except files.SecretFileProblem as problem:
        if problem.kind == "exposed":
            fix = files.secret_fix_command(path, group)
            raise ConfigurationError(
                *texts('mail.smtp_password.3', path=path, fix=fix),
                field="smtp_password_file",
            ) from None
        raise ConfigurationError(
            *texts('mail.smtp_password.2', path=path, reason=problem.reason),
            field="smtp_password_file",
        ) from None
    try:
        if len(data) > _PASSWORD_FILE_MAX:
            raise ValueError("too long")
        text = data.decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        text = ""
    text = text[:-1] if text.endswith("\n") else text
    text = text[:-1] if text.endswith("\r") else text
    if not text or "\n" in text or "\r" in text:
        raise ConfigurationError(
            *texts('mail.smtp_password', path=path, max_bytes=_PASSWORD_FILE_MAX),
            field="smtp_password_file",
        )
    return text


def backend_from_settings(settings: Any) -> MailBackend:
    """The backend ``settings.mail_backend`` names, configured from the settings.

    ``memory`` gives a fresh, empty ``MemoryBackend`` on every call: keep the instance
    when you want to look at what was sent.
    """
    kind = settings.mail_backend
    if kind == "file":
        return FileBackend(settings.outbox_dir, sender=settings.mail_from,
                           shared_group=getattr(settings, "shared_group", None))
    if kind == "smtp":
        return SmtpBackend(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.mail_from,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=smtp_password(settings),
            timeout=settings.smtp_timeout,
        )
    if kind == "memory":
        return MemoryBackend(sender=settings.mail_from)
    raise ConfigurationError(
        *texts('mail.backend_from_settings'),
        field="mail_backend",
    )


# --------------------------------------------------------------------------- outbox
def _decode_file(path: Path) -> DecodedMail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)

    def header(name: str) -> str:
        try:
            value = msg.get(name)
        except Exception:  # a header too broken to parse
            return ""
        return "" if value is None else str(value)

    body = ""
    try:
        part = msg.get_body(preferencelist=("plain",))
        if part is not None:
            body = part.get_content()
    except (LookupError, ValueError, AttributeError, KeyError):
        payload = msg.get_payload(decode=True)
        if isinstance(payload, bytes):
            body = payload.decode("utf-8", "replace")
    # Text travels in canonical form (CRLF, RFC 2045); give it back with plain "\n".
    body = body.replace("\r\n", "\n")
    return DecodedMail(
        path=path,
        date=header("Date"),
        sender=header("From"),
        to=header("To"),
        subject=header("Subject"),
        body=body,
    )


def read_outbox(folder: str | os.PathLike[str], last: int = 10) -> list[DecodedMail]:
    """The newest ``last`` messages of the outbox, oldest first (newest at the end).

    Only finished ``.eml`` files are read (never the temporary files of a writer).
    A missing folder is an empty outbox; a file deleted while reading is left out.
    """
    folder = Path(folder)
    if last <= 0 or not folder.is_dir():
        return []
    names = sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.name.endswith(_EML_SUFFIX)
        and not entry.name.startswith(".")
        and entry.is_file()
    )
    result: list[DecodedMail] = []
    for name in names[-last:]:
        try:
            result.append(_decode_file(folder / name))
        except FileNotFoundError:
            continue
    return result


def format_decoded(m: DecodedMail) -> str:
    """A readable block for the terminal: file, decoded headers, blank line, body."""
    lines = [
        f"=== {m.path.name}",
        f"Date:    {m.date}",
        f"From:    {m.sender}",
        f"To:      {m.to}",
        f"Subject: {m.subject}",
        "",
        m.body.rstrip("\n"),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- templates
_SUBJECT_PREFIX = "【ポートプラス】"
_FOOTER = (
    "\n"
    "このメールは送信専用です。ご返信いただいてもお答えできません。\n"
    "お心当たりのない場合は、このメールを破棄してください。\n"
    "This is an automatic message from Port Plus. If you did not expect it, "
    "please ignore it.\n"
)


def otp_mail(to: str, code: str, valid_minutes: int) -> OutgoingMail:
    """The one-time password for a two-step login (R-OTP-1); the code on its own line."""
    body = (
        "ポートプラスにログインするためのワンタイムパスワードをお知らせします。\n"
        "ログイン画面に次の番号を入力してください。\n"
        "\n"
        f"{code}\n"
        "\n"
        f"有効期限: 発行から{valid_minutes}分間、1回のみ有効です。\n"
        "\n"
        f"Your Port Plus one-time password is shown above. It is valid for "
        f"{valid_minutes} minutes and can be used once.\n"
        + _FOOTER
    )
    return OutgoingMail(to=to, subject=f"{_SUBJECT_PREFIX}ワンタイムパスワードのお知らせ", body=body)


def reset_mail(to: str, code: str, valid_minutes: int, member_no: str) -> OutgoingMail:
    """The password-reset code (R-RST-1); the code on its own line."""
    body = (
        "ポートプラスのパスワード再設定のご依頼を受け付けました。\n"
        f"会員番号: {member_no}\n"
        "パスワード再設定画面に次の確認コードを入力し、新しいパスワードを設定してください。\n"
        "\n"
        f"{code}\n"
        "\n"
        f"有効期限: 発行から{valid_minutes}分間、1回のみ有効です。\n"
        "\n"
        f"A password reset was requested for your Port Plus account (member {member_no}). "
        f"Enter the code above on the reset screen; it is valid for {valid_minutes} "
        "minutes and can be used once.\n"
        + _FOOTER
    )
    return OutgoingMail(to=to, subject=f"{_SUBJECT_PREFIX}パスワード再設定のご案内", body=body)


_ACTION_TEXT = {
    # action: (subject words, first line of the body, English)
    "new": ("ポートプラス新規申込", "ポートプラス新規申込", "new application"),
    "change": ("ポートプラス変更申込", "ポートプラス変更申込", "change"),
    "cancel": ("ポートプラスキャンセル", "ポートプラス申込のキャンセル", "cancellation"),
}


def application_mail(
    to: str,
    action: str,
    application_no: str,
    apply_date_text: str,
    ports: int,
    applicant: str,
) -> OutgoingMail:
    """Receipt for a new application, a change or a cancellation (R-APP-8).

    ``apply_date_text`` is the 適用日 as shown on screen (``2021年3月17日(水)``).
    """
    if action not in _ACTION_TEXT:
        raise ValueError(f"action must be one of {APPLICATION_ACTIONS}, not {action!r}")
    subject, ja, en = _ACTION_TEXT[action]
    body = (
        f"{ja}を受け付けました。\n"
        "\n"
        f"申込番号　　: {application_no}\n"
        f"適用日　　　: {apply_date_text}\n"
        f"追加ポート数: {ports}\n"
        f"申込者　　　: {applicant} 様\n"
        "\n"
        f"Your Port Plus {en} has been received: {application_no}, "
        f"{ports} additional port(s).\n"
        + _FOOTER
    )
    return OutgoingMail(to=to, subject=f"{_SUBJECT_PREFIX}{subject} 受付のお知らせ", body=body)
