"""Operators over SSH, end to end: the real sshd with the shipped drop-in, a throwaway
operator in the group ``portplus``, the app installed for them (tests/ssh_support.py).

``ssh -tt`` in tmux reaches the login screen, logs in as the demo admin and opens the
ポートプラス list; Ctrl+Q ends the app and the SSH session with it. A command, ``ssh -T``,
forwarding, sftp and scp are refused and leave no process of the operator behind.
"""

from __future__ import annotations

import os
import pwd
import re
import socket
import subprocess

import pytest

from tests import ssh_support

_missing = ssh_support.missing_parts()
if _missing and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the SSH tests: {_missing}")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(_missing is not None, reason=_missing or "")]


@pytest.fixture(scope="module")
def server():
    server = ssh_support.SshServer()
    try:
        yield server.start()
    finally:
        server.close()


def test_operator_logs_in_over_ssh_and_opens_the_list(server, tmp_path):
    from tests.ui.test_e2e_tmux import Terminal

    term = Terminal(tmp_path)
    # The exit status goes to a file: a dead pane's screen is not always kept by tmux.
    status = tmp_path / "ssh-status"
    term.start(server.ssh_command_line("-tt") + f"; echo $? > {status}")
    try:
        term.wait_for_text("ログイン情報を入力してください")
        term.keys("M97-00339", "Tab", "admin@example.com", "Tab", "demo-admin-1", "Enter")
        term.wait_for_text("ようこそ", "様")
        term.keys("F3")
        term.wait_for(lambda text: re.search(r"全 \d+ 件中", text) is not None, "the list")
        running = server.processes()
        assert any("portplus" in line for line in running), running
        term.keys("C-q")
        ended = ssh_support.wait_until(
            lambda: status.is_file() and status.read_text().strip(), "ssh to end")
        assert ended == "0", ended
        server.wait_no_processes()
    finally:
        term.tmux("kill-server")
    # The login went through the app: its audit log has it, for the operator's session.
    audit = ssh_support.run(str(server.portplus), "audit", "M97-00339", "--last", "5",
                            env=server.admin_env())
    assert "login.success" in audit.stdout and "admin@example.com" in audit.stdout
    # The app's log went where the system file said: the operator's own, in their home.
    logs = server.home / ".local" / "state" / "portplus" / "log"
    assert (logs / "portplus.log").is_file(), sorted(server.home.rglob("*"))
    assert os.stat(logs).st_uid == pwd.getpwnam(server.user).pw_uid


def _refused(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc.stderr


def test_a_command_is_refused(server):
    err = _refused(ssh_support.run(*server.ssh(), "id", check=False, timeout=60))
    assert "ファイル転送" in err and "uid=" not in err
    server.wait_no_processes()


def test_no_terminal_is_refused(server):
    proc = ssh_support.run(*server.ssh("-T"), check=False, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "端末が必要です" in proc.stderr, proc.stderr
    server.wait_no_processes()


def test_forwarding_is_refused(server):
    local = ssh_support.free_port()
    client = subprocess.Popen(
        server.ssh("-N", "-o", "ExitOnForwardFailure=no",
                   "-L", f"{local}:127.0.0.1:{server.port}"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def forwarded() -> bytes | None:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", local)) != 0:
                    return None  # the client is not listening yet
                sock.settimeout(10)
                try:
                    return sock.recv(64) or b"closed"
                except (ConnectionResetError, TimeoutError):
                    return b"closed"

        answer = ssh_support.wait_until(forwarded, "the forwarded port to answer")
        # Through a forward, sshd's own banner ("SSH-2.0-...") would come back.
        assert not answer.startswith(b"SSH-"), answer
        assert answer == b"closed"
    finally:
        client.terminate()
        client.wait(10)
    server.wait_no_processes()


def test_sftp_and_scp_are_refused(server, tmp_path):
    sftp = ssh_support.run("sftp", *server.ssh_options()[:2], "-P", str(server.port),
                           *server.ssh_options()[4:], "-b", "-", f"{server.user}@127.0.0.1",
                           input="ls /\n", check=False, timeout=60)
    _refused(sftp)
    target = tmp_path / "passwd"
    for mode in ("-s", "-O"):  # the SFTP protocol (default) and the legacy scp protocol
        scp = ssh_support.run("scp", mode, "-i", str(server.client_key), "-P", str(server.port),
                              *server.ssh_options()[4:],
                              f"{server.user}@127.0.0.1:/etc/passwd", str(target),
                              check=False, timeout=60)
        _refused(scp)
        assert not target.exists()
    server.wait_no_processes()
