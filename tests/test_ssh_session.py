"""`portplus ssh-session` (the ForceCommand target) and the no-terminal refusal of the
plain launch: each refusal, each fallback, and that the session becomes the app."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from portplus_tui import ssh_session

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PORTPLUS_") and k != "SSH_ORIGINAL_COMMAND"}
    env.update(PORTPLUS_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "c"),
               PORTPLUS_LANG="en")
    env.update(extra)
    return env


def _portplus(tmp_path, *args, stdin=subprocess.DEVNULL, **extra):
    return subprocess.run([sys.executable, "-m", "portplus_tui", *args], cwd=ROOT,
                          env=_env(tmp_path, **extra), stdin=stdin, capture_output=True,
                          text=True, timeout=60)


def _one_line(proc) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("portplus: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_plain_launch_without_a_terminal_exits_at_once(tmp_path):
    # Before: Textual spun at ~97 % of a core until killed (the timeout would fire).
    line = _one_line(_portplus(tmp_path))
    assert "needs a terminal" in line
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_demo_without_a_terminal_refuses_before_seeding(tmp_path):
    line = _one_line(_portplus(tmp_path, "demo"))
    assert "needs a terminal" in line
    assert not (tmp_path / "data" / "demo.db").exists()


def test_subcommands_still_work_without_a_terminal(tmp_path):
    proc = _portplus(tmp_path, "init")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", ["id", "scp -t /tmp", "internal-sftp",
                                     "/usr/lib/openssh/sftp-server", ""])
def test_ssh_session_refuses_a_command(tmp_path, command):
    line = _one_line(_portplus(tmp_path, "ssh-session", SSH_ORIGINAL_COMMAND=command))
    assert "not available" in line


def test_ssh_session_refuses_no_terminal(tmp_path):
    line = _one_line(_portplus(tmp_path, "ssh-session"))
    assert "needs a terminal" in line and "ssh -t" in line


def test_ssh_session_refusal_in_japanese(tmp_path):
    proc = _portplus(tmp_path, "ssh-session", SSH_ORIGINAL_COMMAND="id", PORTPLUS_LANG="ja")
    assert "ファイル転送" in _one_line(proc)


def test_unknown_terminal_falls_back(tmp_path):
    env = {"TERM": "no-such-terminal-xyz", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    changed = ssh_session.prepare_environment(env)
    assert env["TERM"] == ssh_session.FALLBACK_TERM and "TERM" in changed


def test_known_terminal_is_kept(tmp_path):
    own = tmp_path / "terminfo" / "m" / "my-term"
    own.parent.mkdir(parents=True)
    own.write_bytes(b"x")
    env = {"TERM": "my-term", "TERMINFO": str(tmp_path / "terminfo"), "LANG": "C.UTF-8"}
    assert "TERM" not in ssh_session.prepare_environment(env)
    assert env["TERM"] == "my-term"
    # The hex form of the first letter (as some ncurses builds store them).
    hexed = tmp_path / "hex" / "6d" / "my-term"
    hexed.parent.mkdir(parents=True)
    hexed.write_bytes(b"x")
    assert ssh_session.terminal_known("my-term", {"TERMINFO": str(tmp_path / "hex")})
    # A TERM that is a path never reaches the file system as one.
    assert not ssh_session.terminal_known("../m/my-term", {"TERMINFO": str(tmp_path / "terminfo")})


@pytest.mark.parametrize("env", [{}, {"LANG": "C"}, {"LANG": "POSIX"},
                                 {"LANG": "ja_JP.eucJP"}, {"LANG": "xx_NOWHERE.UTF-8"},
                                 {"LANG": "C.UTF-8", "LC_ALL": "C"}])
def test_locale_falls_back_to_utf8(env):
    env = dict(env, TERM="xterm")
    assert "LC_ALL" in ssh_session.prepare_environment(env)
    assert env["LC_ALL"] == env["LANG"] == ssh_session.FALLBACK_LOCALE


def test_utf8_locale_and_escdelay_are_kept():
    env = {"LANG": "C.UTF-8", "TERM": "xterm", "ESCDELAY": "100"}
    assert ssh_session.prepare_environment(env) == []
    assert env["LANG"] == "C.UTF-8" and "LC_ALL" not in env and env["ESCDELAY"] == "100"
    fresh = {"LANG": "C.UTF-8", "TERM": "xterm"}
    assert ssh_session.prepare_environment(fresh) == ["ESCDELAY"]
    assert fresh["ESCDELAY"] == ssh_session.ESCDELAY_MS


def test_ssh_session_becomes_the_app(tmp_path):
    """On a terminal, with an unknown TERM and no locale, the session execs the app with
    the fallbacks: the app's process is the session's process (nothing left behind when
    it ends). A stand-in module checks what the app would get."""
    report = tmp_path / "report.txt"
    code = (
        "import os, sys\n"
        "import portplus_tui.__main__ as m\n"
        "def fake_exec(path, argv, env):\n"
        f"    open({str(report)!r}, 'w').write(repr((argv[1:], env['TERM'], env['LC_ALL'],"
        " env['ESCDELAY'], os.getpid())))\n"
        "    os._exit(0)\n"
        "os.execve = fake_exec\n"
        "print(os.getpid(), flush=True)\n"
        "sys.exit(m.main(['ssh-session']))\n"
    )
    # No PEP 538 coercion (it would set LC_CTYPE=C.UTF-8 itself): our fallback is seen.
    env = _env(tmp_path, TERM="no-such-terminal-xyz", LANG="C", PYTHONCOERCECLOCALE="0")
    for name in [k for k in env if k.startswith("LC_")]:
        del env[name]
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the pty
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    output = b""
    try:
        while not report.exists() or not output.strip():
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, "the session did not start"
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output
    argv, term, lc_all, escdelay, exec_pid = eval(report.read_text())  # noqa: S307 - our file
    assert argv == ["-m", "portplus_tui"]
    assert (term, lc_all, escdelay) == ("xterm-256color", "C.UTF-8", "25")
    assert exec_pid == int(output.split()[0])  # the same process: exec, not a child
