"""Mail: message building, the three backends, the outbox reader and the templates.

SMTP is tested against a real server: aiosmtpd's ``Controller`` on 127.0.0.1 in a
thread. ``Controller(port=0)`` cannot find its own port (aiosmtpd issue 276), so
``EphemeralController`` reads the port the kernel chose before the controller's
self-test connects. TLS tests use a throwaway certificate made with the ``openssl``
command and trusted through an explicit ``ssl_context``.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import shutil
import smtplib
import socket
import ssl
import stat
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from portplus_tui.config import Settings
from portplus_tui.core.errors import ConfigurationError, PortPlusError
from portplus_tui.services import mail as mail_mod
from portplus_tui.services.mail import (
    DecodedMail,
    FileBackend,
    MailBackend,
    MailError,
    MemoryBackend,
    OutgoingMail,
    SmtpBackend,
    application_mail,
    backend_from_settings,
    build_message,
    format_decoded,
    message_bytes,
    otp_mail,
    read_outbox,
    reset_mail,
)

SUBJECT = "【ポートプラス】ポートプラス新規申込 受付のお知らせ SO-03089-0 2021年3月17日(水) 追加ポート数 5"
BODY = (
    "山田 太郎 様\n"
    "\n"
    "ポートプラス新規申込を受け付けました。\n"
    "申込番号: SO-03089-0\n"
    "適用日: 2021年3月17日(水)\n"
    "ワンタイムパスワード:\n"
    "482913\n"
    "ｶﾀｶﾅ（半角）と全角ＡＢＣ、記号「～」も。\n"
)
SENDER = "ポートプラス <portplus@example.jp>"
TO = "山田 太郎 <yamada@example.jp>"
SECRET_CODE = "482913"
SMTP_USER = "relay-user"
SMTP_PASSWORD = "s3cret-pw-1"
# smtplib can only send ASCII credentials; the backend sends others with AUTH PLAIN.
SMTP_USER_JA = "中継ユーザー"
SMTP_PASSWORD_JA = "秘密-パスワード-2"
SMTP_ACCOUNTS = {
    SMTP_USER.encode(): SMTP_PASSWORD.encode(),
    SMTP_USER_JA.encode(): SMTP_PASSWORD_JA.encode(),
}


# --------------------------------------------------------------------------- helpers
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    authenticated: bool
    auth_login: bytes | None
    tls: bool


class Recorder:
    """aiosmtpd handler that keeps every envelope; can refuse some recipients."""

    def __init__(self, refuse: frozenset[str] = frozenset()):
        self.refuse = refuse
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        item = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            content=envelope.content,
            authenticated=bool(session.authenticated),
            auth_login=auth.login if isinstance(auth, LoginPassword) else None,
            tls=server.transport.get_extra_info("ssl_object") is not None,
        )
        with self.lock:
            self.received.append(item)
        return "250 2.0.0 Message accepted for delivery"


class EphemeralController(Controller):
    """A Controller on a kernel-chosen port (works around aiosmtpd issue 276)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and SMTP_ACCOUNTS.get(auth_data.login) == auth_data.password
    )
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server with the given options; stopped after the test."""
    started: list[Controller] = []

    def start(**kwargs) -> tuple[EphemeralController, Recorder]:
        handler = Recorder(kwargs.pop("refuse", frozenset()))
        controller = EphemeralController(handler, hostname="127.0.0.1", port=0, **kwargs)
        controller.start()
        started.append(controller)
        return controller, handler

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), made with openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "the TLS tests need the openssl command"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    cert, key = certificate
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.fixture
def client_tls(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def free_port() -> int:
    """A port nothing listens on (bound, read, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(msg: email.message.EmailMessage) -> str:
    """The plain-text body as a reader sees it (canonical CRLF back to "\\n")."""
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def assert_seven_bit_safe(raw: bytes) -> None:
    raw.decode("ascii")  # raises if any 8-bit byte went out
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
        assert b"\n" not in line and b"\r" not in line, "bare LF or CR in the message"


JAPANESE = OutgoingMail(to=TO, subject=SUBJECT, body=BODY)


# --------------------------------------------------------------------------- building
def test_build_message_headers_and_round_trip():
    when = datetime(2021, 3, 15, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    msg = build_message(JAPANESE, SENDER, now=when)
    raw = message_bytes(msg)

    assert_seven_bit_safe(raw)
    back = parse(raw)
    assert back["Subject"] == SUBJECT
    assert back["From"].addresses[0].addr_spec == "portplus@example.jp"
    assert back["From"].addresses[0].display_name == "ポートプラス"
    assert back["To"].addresses[0].addr_spec == "yamada@example.jp"
    assert back["To"].addresses[0].display_name == "山田 太郎"
    assert back["Date"].datetime == when
    assert back["Message-ID"].startswith("<") and back["Message-ID"].endswith("@example.jp>")
    assert back["MIME-Version"] == "1.0"
    assert back.get_content_type() == "text/plain"
    assert back.get_content_charset() == "utf-8"
    assert back["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    assert text_of(back) == BODY


def test_subject_is_encoded_words_not_raw_utf8():
    raw = message_bytes(build_message(JAPANESE, SENDER))
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject_lines = header_block.split("Subject:", 1)[1]
    assert "=?utf-8?" in subject_lines.lower()
    assert "ポートプラス" not in header_block


def test_message_ids_are_unique_and_date_defaults_to_japan_time():
    a = parse(message_bytes(build_message(JAPANESE, SENDER)))
    b = parse(message_bytes(build_message(JAPANESE, SENDER)))
    assert a["Message-ID"] != b["Message-ID"]
    assert a["Date"].datetime.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    "to",
    [
        "yamada@example.jp\r\nBcc: evil@example.com",
        "yamada@example.jp\nBcc: evil@example.com",
        "a@example.jp, b@example.jp",
        "not-an-address",
        "",
        "@example.jp",
        "山田@example.jp",  # would need SMTPUTF8: refused, not mangled into encoded-words
        "yamada@例え.jp",
    ],
)
def test_bad_recipient_is_a_mail_error(to):
    with pytest.raises(MailError) as info:
        build_message(OutgoingMail(to=to, subject="件名", body="本文"), SENDER)
    assert info.value.code == "mail"
    assert info.value.field == "to"


def test_subject_with_line_break_is_refused():
    with pytest.raises(MailError) as info:
        build_message(OutgoingMail(to=TO, subject="件名\r\nBcc: x@example.com", body="b"), SENDER)
    assert info.value.field == "subject"


def test_mail_error_is_a_portplus_error_with_both_languages():
    err = MailError()
    assert isinstance(err, PortPlusError)
    assert err.code == "mail"
    assert err.message("ja") == "メールを送信できませんでした。しばらくしてから再度お試しください。"
    assert err.message("en") == "The e-mail could not be sent. Please try again later."


# --------------------------------------------------------------------------- SMTP
def test_smtp_delivers_japanese_subject_and_body(smtp_server):
    controller, handler = smtp_server()
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="none", timeout=5
    )
    backend.send(JAPANESE)

    assert len(handler.received) == 1
    got = handler.received[0]
    assert got.mail_from == "portplus@example.jp"
    assert got.rcpt_tos == ["yamada@example.jp"]
    assert got.tls is False and got.authenticated is False
    got.content.decode("ascii")  # 7-bit clean on the wire: no raw UTF-8 anywhere
    msg = parse(got.content)
    assert msg["Subject"] == SUBJECT
    assert text_of(msg) == BODY
    assert msg["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    assert msg.get_content_charset() == "utf-8"
    assert msg["To"].addresses[0].display_name == "山田 太郎"


@pytest.mark.parametrize(
    ("user", "password"), [(SMTP_USER, SMTP_PASSWORD), (SMTP_USER_JA, SMTP_PASSWORD_JA)]
)
def test_smtp_login_over_plain_connection(smtp_server, user, password):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="none",
        user=user, password=password, timeout=5,
    )
    backend.send(JAPANESE)
    assert [r.authenticated for r in handler.received] == [True]
    assert handler.received[0].auth_login == user.encode()


def test_smtp_non_ascii_wrong_password_is_a_mail_error(smtp_server):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="none",
        user=SMTP_USER_JA, password="違うパスワード", timeout=5,
    )
    with pytest.raises(MailError) as info:
        backend.send(JAPANESE)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)
    assert handler.received == []


def test_smtp_wrong_password_is_a_mail_error(smtp_server, caplog):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="none",
        user=SMTP_USER, password="wrong-password", timeout=5,
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError) as info:
        backend.send(JAPANESE)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)
    assert handler.received == []
    assert "wrong-password" not in caplog.text
    assert SECRET_CODE not in caplog.text


def test_smtp_login_configured_but_server_offers_no_auth(smtp_server):
    controller, handler = smtp_server()  # AUTH is only offered after TLS here
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="none",
        user=SMTP_USER, password=SMTP_PASSWORD, timeout=5,
    )
    with pytest.raises(MailError):
        backend.send(JAPANESE)
    assert handler.received == []


def test_smtp_refused_recipient_is_a_mail_error(smtp_server):
    controller, handler = smtp_server(refuse=frozenset({"yamada@example.jp"}))
    backend = SmtpBackend("127.0.0.1", controller.port, sender=SENDER, security="none", timeout=5)
    with pytest.raises(MailError) as info:
        backend.send(JAPANESE)
    assert isinstance(info.value.__cause__, Exception)
    assert handler.received == []


def test_smtp_server_down_is_a_mail_error(caplog):
    backend = SmtpBackend("127.0.0.1", free_port(), sender=SENDER, security="none", timeout=1)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError) as info:
        backend.send(JAPANESE)
    assert isinstance(info.value.__cause__, OSError)
    assert SECRET_CODE not in caplog.text
    assert "mail to" in caplog.text  # the failure is logged, without the body


def test_smtp_silent_server_times_out_with_mail_error():
    # A socket that accepts connections (kernel backlog) but never says hello.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    backend = SmtpBackend("127.0.0.1", port, sender=SENDER, security="none", timeout=0.3)
    outcome: list[BaseException | None] = []

    def run():
        try:
            backend.send(JAPANESE)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    try:
        worker.start()
        worker.join(30)  # a safety net against hanging forever, not a timing check
        assert not worker.is_alive(), "send() ignored its timeout"
    finally:
        listener.close()
    assert len(outcome) == 1 and isinstance(outcome[0], MailError)
    assert isinstance(outcome[0].__cause__, (TimeoutError, socket.timeout, OSError))


def test_starttls_with_login(smtp_server, server_tls, client_tls):
    controller, handler = smtp_server(
        tls_context=server_tls, require_starttls=True, authenticator=authenticator
    )
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="starttls",
        user=SMTP_USER, password=SMTP_PASSWORD, timeout=5, ssl_context=client_tls,
    )
    backend.send(JAPANESE)
    assert len(handler.received) == 1
    got = handler.received[0]
    assert got.tls is True and got.authenticated is True
    assert parse(got.content)["Subject"] == SUBJECT


def test_starttls_required_but_missing_is_not_downgraded(smtp_server, client_tls):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="starttls",
        user=SMTP_USER, password=SMTP_PASSWORD, timeout=5, ssl_context=client_tls,
    )
    with pytest.raises(MailError):
        backend.send(JAPANESE)
    assert handler.received == []


def test_starttls_untrusted_certificate_is_refused(smtp_server, server_tls):
    controller, handler = smtp_server(tls_context=server_tls, require_starttls=True)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="starttls", timeout=5,
        # default context: the system trust store does not know our certificate
    )
    with pytest.raises(MailError) as info:
        backend.send(JAPANESE)
    assert isinstance(info.value.__cause__, ssl.SSLError)
    assert handler.received == []


def test_implicit_tls(smtp_server, server_tls, client_tls):
    controller, handler = smtp_server(ssl_context=server_tls)
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="tls", timeout=5,
        ssl_context=client_tls,
    )
    backend.send(JAPANESE)
    assert [r.tls for r in handler.received] == [True]
    assert text_of(parse(handler.received[0].content)) == BODY


def test_implicit_tls_against_plain_server_is_a_mail_error(smtp_server, client_tls):
    controller, handler = smtp_server()
    backend = SmtpBackend(
        "127.0.0.1", controller.port, sender=SENDER, security="tls", timeout=2,
        ssl_context=client_tls,
    )
    with pytest.raises(MailError):
        backend.send(JAPANESE)
    assert handler.received == []


def test_smtp_backend_checks_its_configuration():
    with pytest.raises(ConfigurationError):
        SmtpBackend("127.0.0.1", 25, security="ssl")
    with pytest.raises(ConfigurationError):
        SmtpBackend("127.0.0.1", 25, user="someone", password=None)
    assert "secret" not in repr(SmtpBackend("h", 25, user="u", password="secret"))


def test_smtp_bad_address_raises_before_connecting():
    backend = SmtpBackend("127.0.0.1", free_port(), sender=SENDER, security="none", timeout=1)
    with pytest.raises(MailError) as info:
        backend.send(OutgoingMail(to="x@example.jp\r\nBcc: y@example.jp", subject="s", body="b"))
    assert info.value.field == "to"


# --------------------------------------------------------------------------- file
def test_file_backend_writes_eml_with_private_permissions(tmp_path):
    folder = tmp_path / "data" / "outbox"
    FileBackend(folder, sender=SENDER).send(JAPANESE)

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    raw = files[0].read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert_seven_bit_safe(raw)
    msg = parse(raw)
    assert msg["Subject"] == SUBJECT
    assert text_of(msg) == BODY


def test_read_outbox_returns_newest_n_in_order(tmp_path):
    backend = FileBackend(tmp_path / "outbox", sender=SENDER)
    for i in range(6):
        backend.send(OutgoingMail(to=TO, subject=f"件名 {i}", body=f"本文 {i}\n"))

    latest = read_outbox(tmp_path / "outbox", last=3)
    assert [m.subject for m in latest] == ["件名 3", "件名 4", "件名 5"]
    assert [m.body for m in latest] == ["本文 3\n", "本文 4\n", "本文 5\n"]
    assert all(isinstance(m, DecodedMail) for m in latest)
    assert latest[-1].to == TO
    assert latest[-1].sender == SENDER
    assert latest[-1].date and latest[-1].path.suffix == ".eml"
    assert [m.subject for m in read_outbox(tmp_path / "outbox")] == [f"件名 {i}" for i in range(6)]
    assert read_outbox(tmp_path / "outbox", last=0) == []


def test_read_outbox_missing_folder_and_stray_files(tmp_path):
    assert read_outbox(tmp_path / "nothing-here") == []
    folder = tmp_path / "outbox"
    FileBackend(folder, sender=SENDER).send(JAPANESE)
    (folder / ".tmp-abc.part").write_bytes(b"Subject: half a message")
    (folder / "notes.txt").write_text("not mail")
    got = read_outbox(folder)
    assert [m.subject for m in got] == [SUBJECT]


def test_file_names_sort_by_time_and_do_not_collide(tmp_path):
    backend = FileBackend(tmp_path, sender=SENDER)
    for _ in range(50):
        backend.send(JAPANESE)
    names = [p.name for p in tmp_path.iterdir()]
    assert len(set(names)) == 50
    # The name starts with the UTC time, so name order is sending order.
    stamps = sorted(n.split("-", 1)[0] for n in names)
    assert len(set(stamps)) == 50
    assert all(s[:8].isdigit() and s.endswith("Z") for s in stamps)


def test_concurrent_sends_land_as_separate_files(tmp_path):
    folder = tmp_path / "outbox"
    backend = FileBackend(folder, sender=SENDER)
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            own = FileBackend(folder, sender=SENDER)  # like a second process would have
            for i in range(per_thread):
                target = own if i % 2 else backend
                target.send(OutgoingMail(to=TO, subject=f"スレッド {n}-{i}", body=f"本文 {n}-{i}\n"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    assert errors == []
    files = list(folder.iterdir())
    assert len(files) == threads * per_thread
    assert all(f.suffix == ".eml" for f in files), "a temporary file was left behind"
    subjects = {m.subject for m in read_outbox(folder, last=1000)}
    assert subjects == {f"スレッド {n}-{i}" for n in range(threads) for i in range(per_thread)}
    # Within one thread the order of name sorting is the order of sending.
    by_thread = [m.subject for m in read_outbox(folder, last=1000) if m.subject.startswith("スレッド 3-")]
    assert by_thread == [f"スレッド 3-{i}" for i in range(per_thread)]


def test_file_backend_folder_unusable_is_a_mail_error(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(MailError) as info:
        FileBackend(blocker, sender=SENDER).send(JAPANESE)
    assert isinstance(info.value.__cause__, OSError)


class _DiskFull:
    """Stands in for the ``os`` module inside mail.py: every write fails with ENOSPC."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def write(fd, data):
        raise OSError(28, "No space left on device")


def test_disk_full_is_a_mail_error_and_leaves_no_temp_file(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "outbox"
    folder.mkdir()
    monkeypatch.setattr(mail_mod, "os", _DiskFull())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError):
        FileBackend(folder, sender=SENDER).send(JAPANESE)
    assert list(folder.iterdir()) == []
    assert SECRET_CODE not in caplog.text


def test_format_decoded_shows_decoded_headers_then_body(tmp_path):
    FileBackend(tmp_path, sender=SENDER).send(JAPANESE)
    (decoded,) = read_outbox(tmp_path)
    text = format_decoded(decoded)
    assert f"Subject: {SUBJECT}" in text
    assert "To:      山田 太郎 <yamada@example.jp>" in text
    assert "From:    ポートプラス <portplus@example.jp>" in text
    assert f"Date:    {decoded.date}" in text
    head, body = text.split("\n\n", 1)
    assert "=?utf-8?" not in head.lower()
    assert decoded.path.name in head
    assert body.rstrip("\n") == BODY.rstrip("\n")


# --------------------------------------------------------------------------- memory
def test_memory_backend_records_messages():
    backend = MemoryBackend(sender=SENDER)
    assert isinstance(backend, MailBackend)
    backend.send(JAPANESE)
    assert backend.sent == [JAPANESE]
    assert backend.messages[0]["Subject"] == SUBJECT
    backend.clear()
    assert backend.sent == []


def test_memory_backend_fail_raises_and_records_nothing():
    backend = MemoryBackend(fail=True)
    with pytest.raises(MailError):
        backend.send(JAPANESE)
    assert backend.sent == []
    backend.fail = False
    backend.send(JAPANESE)
    assert len(backend.sent) == 1


def test_memory_backend_is_thread_safe():
    backend = MemoryBackend()
    barrier = threading.Barrier(8)

    def worker(n):
        barrier.wait()
        for i in range(50):
            backend.send(OutgoingMail(to="a@example.jp", subject=f"{n}-{i}", body="x"))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert len(backend.sent) == 400
    assert len({m.subject for m in backend.sent}) == 400


def test_memory_backend_refuses_bad_address():
    backend = MemoryBackend()
    with pytest.raises(MailError):
        backend.send(OutgoingMail(to="a@example.jp\nBcc: b@example.jp", subject="s", body="b"))
    assert backend.sent == []


# --------------------------------------------------------------------------- settings
def test_backend_from_settings_file(tmp_path):
    settings = Settings(data_dir=tmp_path, mail_backend="file", mail_from=SENDER)
    backend = backend_from_settings(settings)
    assert isinstance(backend, FileBackend)
    backend.send(JAPANESE)
    (decoded,) = read_outbox(settings.outbox_dir)
    assert decoded.subject == SUBJECT and decoded.sender == SENDER
    assert decoded.path.parent == tmp_path / "outbox"


def test_backend_from_settings_smtp_delivers(smtp_server):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    settings = Settings(
        mail_backend="smtp", mail_from=SENDER, smtp_host="127.0.0.1",
        smtp_port=controller.port, smtp_security="none", smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD, smtp_timeout=5,
    )
    backend = backend_from_settings(settings)
    assert isinstance(backend, SmtpBackend)
    assert backend.timeout == 5 and backend.security == "none"
    backend.send(JAPANESE)
    assert [r.authenticated for r in handler.received] == [True]


def test_backend_from_settings_memory_and_errors():
    assert isinstance(backend_from_settings(Settings(mail_backend="memory")), MemoryBackend)
    with pytest.raises(ConfigurationError):
        backend_from_settings(Settings(mail_backend="pigeon"))
    with pytest.raises(ConfigurationError):
        backend_from_settings(Settings(mail_backend="smtp", smtp_user="u", smtp_password=None))


# --------------------------------------------------------------------------- templates
def test_otp_mail():
    m = otp_mail("h.yamada@example.jp", "048213", 30)
    assert m.to == "h.yamada@example.jp"
    assert "ワンタイムパスワード" in m.subject
    assert "048213" in m.body.splitlines()  # the code on its own line
    assert "30分" in m.body
    assert "30 minutes" in m.body


def test_reset_mail():
    m = reset_mail("h.yamada@example.jp", "913377", 30, "M97-00339")
    assert "パスワード再設定" in m.subject
    assert "913377" in m.body.splitlines()
    assert "M97-00339" in m.body
    assert "30分" in m.body


@pytest.mark.parametrize(
    ("action", "subject"),
    [
        ("new", "ポートプラス新規申込 受付のお知らせ"),
        ("change", "ポートプラス変更申込 受付のお知らせ"),
        ("cancel", "ポートプラスキャンセル 受付のお知らせ"),
    ],
)
def test_application_mail(action, subject):
    m = application_mail("a@example.jp", action, "SO-03089-1", "2021年3月17日(水)", 12, "山田 太郎")
    assert m.subject.endswith(subject)
    assert "SO-03089-1" in m.body
    assert "2021年3月17日(水)" in m.body
    assert "12" in m.body
    assert "山田 太郎 様" in m.body


def test_application_mail_unknown_action():
    with pytest.raises(ValueError):
        application_mail("a@example.jp", "delete", "SO-00001-0", "2021年3月17日(水)", 1, "x")


def test_templates_survive_the_wire(tmp_path):
    backend = FileBackend(tmp_path, sender=SENDER)
    mails = [
        otp_mail(TO, "123456", 30),
        reset_mail(TO, "654321", 30, "M97-00339"),
        application_mail(TO, "change", "SO-03089-2", "2027年1月5日(火)", 3, "山田 太郎"),
    ]
    for m in mails:
        backend.send(m)
    decoded = read_outbox(tmp_path)
    assert [(d.subject, d.body) for d in decoded] == [(m.subject, m.body) for m in mails]


def test_logs_never_contain_the_body(tmp_path, smtp_server, caplog):
    controller, _handler = smtp_server()
    code = "770134"
    otp = otp_mail("h.yamada@example.jp", code, 30)
    caplog.set_level(logging.DEBUG)
    FileBackend(tmp_path, sender=SENDER).send(otp)
    SmtpBackend("127.0.0.1", controller.port, sender=SENDER, security="none", timeout=5).send(otp)
    with pytest.raises(MailError):
        SmtpBackend("127.0.0.1", free_port(), sender=SENDER, security="none", timeout=1).send(otp)
    assert "h.yamada@example.jp" in caplog.text  # the sends were logged ...
    assert code not in caplog.text  # ... without the one-time code
    assert "ワンタイムパスワードをお知らせします" not in caplog.text


# --------------------------------------------------------------------------- password file
def _password_file(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "smtp.pass"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def _smtp_settings(controller, **changes) -> Settings:
    return Settings(mail_backend="smtp", mail_from=SENDER, smtp_host="127.0.0.1",
                    smtp_port=controller.port, smtp_security="none", smtp_user=SMTP_USER,
                    smtp_timeout=5).replace(**changes)


def test_smtp_password_from_its_file_logs_in(smtp_server, tmp_path):
    """smtp_password_file (the system config's way to give the password): read when a
    mail is sent, one trailing line break dropped, and used to log in to a real server."""
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    path = _password_file(tmp_path, SMTP_PASSWORD + "\n")
    backend_from_settings(_smtp_settings(controller, smtp_password_file=path)).send(JAPANESE)
    assert [(r.authenticated, r.auth_login) for r in handler.received] == [(True, SMTP_USER.encode())]
    # A non-ASCII password in the file works as from the environment.
    handler.received.clear()
    path = _password_file(tmp_path, SMTP_PASSWORD_JA + "\r\n")
    backend_from_settings(_smtp_settings(controller, smtp_user=SMTP_USER_JA,
                                         smtp_password_file=path)).send(JAPANESE)
    assert [r.authenticated for r in handler.received] == [True]


def test_the_environment_password_wins_over_the_file(smtp_server, tmp_path):
    controller, handler = smtp_server(auth_require_tls=False, authenticator=authenticator)
    path = _password_file(tmp_path, "wrong-password\n")
    backend_from_settings(_smtp_settings(controller, smtp_password=SMTP_PASSWORD,
                                         smtp_password_file=path)).send(JAPANESE)
    assert [r.authenticated for r in handler.received] == [True]


@pytest.mark.parametrize("mode, group", [
    (0o644, None), (0o604, None), (0o640, None), (0o660, None),
    (0o640, "nogroup"),  # readable by a group, but not the shared group
])
def test_an_exposed_password_file_is_refused_and_never_shown(tmp_path, mode, group):
    path = _password_file(tmp_path, SMTP_PASSWORD + "\n", mode)
    settings = Settings(mail_backend="smtp", smtp_user=SMTP_USER, smtp_password_file=path,
                        shared_group=group)
    with pytest.raises(ConfigurationError) as info:
        backend_from_settings(settings)
    error = info.value
    assert error.field == "smtp_password_file"
    assert "chmod" in error.message("en") and "chmod" in error.message("ja")
    assert SMTP_PASSWORD not in error.message("en") + error.message("ja") + repr(error)


def test_a_password_file_of_the_shared_group_is_used(tmp_path):
    import grp

    path = _password_file(tmp_path, SMTP_PASSWORD + "\n", 0o640)
    group = grp.getgrgid(os.stat(path).st_gid).gr_name
    settings = Settings(mail_backend="smtp", smtp_user=SMTP_USER, smtp_password_file=path,
                        shared_group=group)
    assert backend_from_settings(settings)._password == SMTP_PASSWORD


@pytest.mark.parametrize("content", ["", "\n", "two\nlines\n", "x" * 2000, b"\xff\xfe"])
def test_a_password_file_that_holds_no_password_is_refused(tmp_path, content):
    path = tmp_path / "smtp.pass"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    os.chmod(path, 0o600)
    settings = Settings(mail_backend="smtp", smtp_user=SMTP_USER, smtp_password_file=path)
    with pytest.raises(ConfigurationError) as info:
        backend_from_settings(settings)
    assert info.value.field == "smtp_password_file"


def test_a_missing_password_file_is_named(tmp_path):
    settings = Settings(mail_backend="smtp", smtp_user=SMTP_USER,
                        smtp_password_file=tmp_path / "nope")
    with pytest.raises(ConfigurationError) as info:
        backend_from_settings(settings)
    assert str(tmp_path / "nope") in info.value.message("en")
