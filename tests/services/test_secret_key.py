"""Finding 3 (b) of issue 11: one-time and reset codes are HMAC'd under a server-side
secret key that is not in the database. A copy of the database alone must not give a
live code away (with the former keyless scheme, 10^6 guesses found it in 0.7 s)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import threading

import pytest

from portplus_tui.config import ConfigError, Settings, load_settings
from portplus_tui.core.errors import ConfigurationError
from portplus_tui.services import auth
from portplus_tui.services.context import AppContext
from portplus_tui.services.mail import MemoryBackend
from portplus_tui.store import keyfile
from portplus_tui.store import models as m

from .conftest import MEMBER_2FA, make_settings, make_tenant
from .test_auth import ADMIN_PW, MEMBER, otp_in, reset_code_in, sent


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def keyless_search(stored: str) -> str | None:
    """What a reader of a database copy could do with the former scheme
    (``hmac-sha256$<salt>$<digest>``, the salt as the HMAC key): try every code."""
    salt_hex, digest = stored.split("$")[-2:]
    salt = bytes.fromhex(salt_hex)
    target = bytes.fromhex(digest)
    for number in range(10**6):
        code = b"%06d" % number
        if hmac.new(salt, code, hashlib.sha256).digest() == target:
            return code.decode()
        # The same guesses with the salt in front of the code (the new layout, no key).
        if hashlib.sha256(salt + code).digest() == target:
            return code.decode()
    return None


def test_a_database_copy_does_not_reveal_a_live_code(ctx, tfa):
    result = auth.login(ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
    code = otp_in(sent(ctx)[-1])
    stored = m.OtpChallenge.get().code_hash  # all a copy of the database holds
    assert stored.startswith("hmac-sha256k$")
    assert keyless_search(stored) is None
    # With the key, the stored value does verify the code; under another key it does not.
    assert auth.common._check_secret(code, stored, ctx.secret_key())
    assert not auth.common._check_secret(code, stored, secrets.token_bytes(32))
    assert auth.verify_otp(ctx, result.challenge.attempt, code).account_id == tfa.admin.id


def test_a_database_copy_does_not_reveal_a_reset_code(ctx, tenant):
    auth.request_reset(ctx, MEMBER, "user@example.com")
    auth.wait_for_mail(timeout=30)
    code = reset_code_in(sent(ctx)[-1]).replace("-", "")
    stored = m.ResetToken.get().code_hash
    assert stored.startswith("hmac-sha256k$")
    salt_hex, digest = stored.split("$")[-2:]
    assert hmac.new(bytes.fromhex(salt_hex), code.encode(), hashlib.sha256).hexdigest() != digest
    assert auth.common._check_secret(code, stored, ctx.secret_key())
    assert not auth.common._check_secret(code, stored, secrets.token_bytes(32))


def test_rows_of_the_keyless_scheme_never_match(ctx, tfa):
    key = ctx.secret_key()
    salt = secrets.token_hex(16)
    old = f"hmac-sha256${salt}${hmac.new(bytes.fromhex(salt), b'123456', hashlib.sha256).hexdigest()}"
    assert not auth.common._check_secret("123456", old, key)
    assert not auth.common._check_secret("123456", "garbage", key)
    assert auth.common._check_secret("123456", auth.common._hash_secret("123456", key), key)


def test_a_new_key_voids_pending_codes_and_the_log_says_why(ctx, tfa, settings, caplog):
    result = auth.login(ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
    code = otp_in(sent(ctx)[-1])
    new_key = secrets.token_hex(32)
    rotated = AppContext(settings=settings.replace(secret_key=new_key), db=ctx.db,
                         clock=ctx.clock, mailer=ctx.mailer)
    caplog.set_level(logging.WARNING)
    with pytest.raises(Exception) as caught:
        auth.verify_otp(rotated, result.challenge.attempt, code)
    assert getattr(caught.value, "code", None) == "otp_wrong"
    assert "stored under another secret key" in caplog.text
    assert new_key not in caplog.text and settings.secret_key not in caplog.text
    assert auth.common._key_id(ctx.secret_key()) in caplog.text


# ------------------------------------------------------------------------- key file
def test_key_file_is_made_private_once_and_kept(tmp_path):
    path = tmp_path / "config" / "portplus" / "secret.key"
    previous = os.umask(0o022)
    try:
        key = keyfile.load_key_file(path)
    finally:
        os.umask(previous)
    assert len(key) == 32
    assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700
    assert mode_of(tmp_path / "config") == 0o700
    assert keyfile.load_key_file(path) == key
    assert keyfile.create_key_file(path) is False
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left


def test_processes_racing_to_make_the_key_agree(tmp_path):
    path = tmp_path / "secret.key"
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        keys.append(keyfile.load_key_file(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_a_key_file_others_can_read_is_refused(tmp_path, caplog):
    path = tmp_path / "secret.key"
    key = keyfile.load_key_file(path)
    text = path.read_text().strip()
    os.chmod(path, 0o644)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigurationError) as caught:
        keyfile.load_key_file(path)
    message = caught.value.message("en")
    assert str(path) in message and f"chmod 600 {path}" in message
    for lang in ("ja", "en"):
        assert text not in caught.value.message(lang) and key.hex() not in caught.value.message(lang)
    assert text not in caplog.text
    os.chmod(path, 0o640)  # group-readable: refused too, outside the shared mode
    with pytest.raises(ConfigurationError):
        keyfile.load_key_file(path)
    os.chmod(path, 0o600)
    assert keyfile.load_key_file(path) == key


def test_an_exposed_key_file_stops_two_step_login_before_any_mail(database_url, tmp_path, caplog):
    path = tmp_path / "keys" / "secret.key"
    settings = make_settings(database_url, tmp_path, secret_key=None, secret_key_file=path)
    ctx = AppContext.open(settings, migrate=True, mailer=MemoryBackend())
    try:
        make_tenant(ctx, MEMBER_2FA, two_factor=True)
        make_tenant(ctx, MEMBER)
        # Login without two-step login never reads the key (no cost, no file).
        assert auth.login(ctx, MEMBER, "admin@example.com", ADMIN_PW).session is not None
        assert not path.exists()
        keyfile.load_key_file(path)
        text = path.read_text().strip()
        os.chmod(path, 0o644)
        caplog.set_level(logging.DEBUG)
        with pytest.raises(ConfigurationError) as caught:
            auth.login(ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
        assert "chmod 600" in caught.value.message("ja")
        assert sent(ctx) == [] and m.OtpChallenge.select().count() == 0
        assert text not in caplog.text
    finally:
        ctx.close()


def test_a_missing_key_file_is_made_when_first_needed(database_url, tmp_path):
    path = tmp_path / "keys" / "secret.key"
    settings = make_settings(database_url, tmp_path, secret_key=None, secret_key_file=path)
    ctx = AppContext.open(settings, migrate=True, mailer=MemoryBackend())
    try:
        make_tenant(ctx, MEMBER_2FA, two_factor=True)
        result = auth.login(ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
        assert mode_of(path) == 0o600
        code = otp_in(sent(ctx)[-1])
        assert auth.verify_otp(ctx, result.challenge.attempt, code) is not None
    finally:
        ctx.close()


def test_a_key_file_that_cannot_be_made_names_the_file(tmp_path):
    (tmp_path / "file").write_text("x")
    path = tmp_path / "file" / "secret.key"
    with pytest.raises(ConfigurationError) as caught:
        keyfile.load_key_file(path)
    assert str(path) in caught.value.message("en") and "portplus init" in caught.value.message("en")


def test_a_malformed_key_file_is_refused_without_showing_it(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("short-secret\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigurationError) as caught:
        keyfile.load_key_file(path)
    assert str(path) in caught.value.message("en")
    assert "short-secret" not in caught.value.message("en") + caught.value.message("ja")


def test_shared_mode_allows_the_group_only(tmp_path):
    import grp

    path = tmp_path / "secret.key"
    keyfile.load_key_file(path)
    own = grp.getgrgid(os.getegid()).gr_name
    os.chmod(path, 0o640)
    assert len(keyfile.read_key_file(path, own)) == 32
    other = next((g.gr_name for g in grp.getgrall() if g.gr_gid != os.getegid()), None)
    if other is not None:
        with pytest.raises(ConfigurationError) as caught:
            keyfile.read_key_file(path, other)
        assert f"chgrp {other}" in caught.value.message("en")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError):
        keyfile.read_key_file(path, own)


# ------------------------------------------------------------------------- settings
def test_secret_key_from_the_environment_only(tmp_path):
    hex_key = secrets.token_hex(32)
    assert load_settings(env={"PORTPLUS_SECRET_KEY": hex_key}).secret_key == hex_key
    b64_key = secrets.token_urlsafe(32)
    assert load_settings(env={"PORTPLUS_SECRET_KEY": b64_key}).secret_key == b64_key
    assert hex_key not in repr(load_settings(env={"PORTPLUS_SECRET_KEY": hex_key}))
    for short in ("abc", secrets.token_hex(31), "x" * 20, "not a key at all, not at all!!"):
        with pytest.raises(ConfigError) as caught:
            load_settings(env={"PORTPLUS_SECRET_KEY": short})
        assert "secret_key" in caught.value.message("en") and short not in caught.value.message("en")
    config = tmp_path / "config.toml"
    config.write_text(f'secret_key = "{hex_key}"\n')
    with pytest.raises(ConfigError, match="PORTPLUS_SECRET_KEY"):
        load_settings(config, env={})


def test_key_file_setting_default_is_the_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert Settings().resolved_secret_key_file == tmp_path / "cfg" / "portplus" / "secret.key"
    assert Settings(data_dir=tmp_path / "data").resolved_secret_key_file.parent != tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text('secret_key_file = "/etc/portplus/secret.key"\nshared_group = "portplus"\n')
    s = load_settings(config, env={})
    assert str(s.resolved_secret_key_file) == "/etc/portplus/secret.key"
    assert s.shared_group == "portplus"
