"""End to end in a real terminal: tmux runs ``portplus`` at 120x36 and the test types
into it with send-keys (all keys of a login at once, as auto-type would) and reads the
screen with capture-pane.

A private tmux server (``-L``) keeps the user's own sessions out of it. The app's stderr
is not redirected: Textual draws there. Waiting is a bounded poll of capture-pane.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

BIN = Path(sys.executable).parent
PORTPLUS = BIN / "portplus"
WIDTH, HEIGHT = 120, 36
TIMEOUT = 30.0

if shutil.which("tmux") is None:
    # Never skipped: the end-to-end tests need a real terminal, and scripts/test
    # installs tmux when it is missing.
    raise RuntimeError("tmux is needed for the end-to-end tests: run ./scripts/test, "
                       "which installs it")


class Terminal:
    def __init__(self, data_dir: Path):
        self.socket = f"portplus-test-{uuid.uuid4().hex[:8]}"
        self.session = "portplus"
        self.data_dir = data_dir
        self.env = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("PORTPLUS_", "TMUX", "COLORTERM", "TEXTUAL"))
        }
        self.env.update({
            "PORTPLUS_DATA_DIR": str(data_dir),
            # `portplus demo` fills its own demo.db; named here, the app opens it too.
            "PORTPLUS_DATABASE_URL": f"sqlite:///{data_dir / 'demo.db'}",
            "PORTPLUS_BCRYPT_ROUNDS": "4",
            "XDG_CONFIG_HOME": str(data_dir / "config"),  # no user config file
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        })

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env,
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT),
                  command)
        self.tmux("set-option", "-t", self.session, "remain-on-exit", "on")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, check: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{text}")
            time.sleep(0.1)  # noqa: sleep - polling a real terminal between captures

    def wait_for_text(self, *needles: str) -> str:
        return self.wait_for(lambda text: all(n in text for n in needles), " and ".join(needles))

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env,
                       capture_output=True, timeout=30)

    def cli(self, *args: str) -> str:
        proc = subprocess.run([str(PORTPLUS), *args], env=self.env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout


@pytest.fixture
def terminal(tmp_path) -> Iterator[Terminal]:
    term = Terminal(tmp_path / "data")
    try:
        term.start(f"{PORTPLUS} demo --no-launch > {tmp_path / 'demo.log'} 2>&1 && "
                   f"exec {PORTPLUS}")
        term.wait_for_text("ログイン情報を入力してください", "パスワードをお忘れの場合はこちら")
        yield term
        term.keys("C-q")
        term.wait_for(lambda text: "ポートプラス" not in text, "the app to end")
    finally:
        term.stop()


def _line_with(text: str, label: str) -> str:
    for line in text.splitlines():
        if label in line:
            return line
    return ""


def test_admin_login_shows_the_contract(terminal):
    terminal.keys("M97-00339", "Tab", "admin@example.com", "Tab", "demo-admin-1", "Enter")
    screen = terminal.wait_for(
        lambda text: "M97-00339" in _line_with(text, "会員番号")
        and re.search(r"\b30\b", _line_with(text, "契約ポート数")) is not None,
        "会員番号 M97-00339 and 契約ポート数 30")
    assert "ようこそ 山田 太郎 様" in screen and "Online" in screen
    assert "NTT BizLink様 情報" in screen
    assert "Traceback" not in screen


def test_two_factor_login_with_the_code_from_the_outbox(terminal):
    terminal.keys("M97-00340", "Tab", "admin@example.com", "Tab", "demo-admin-1", "Enter")
    terminal.wait_for_text("メール送信完了", "宛にメールを送信しました。")
    mail = terminal.cli("outbox", "--last", "1")
    code = re.search(r"^(\d{6})$", mail, re.MULTILINE)
    assert code, mail
    terminal.keys(code.group(1), "Enter")
    screen = terminal.wait_for(
        lambda text: "M97-00340" in _line_with(text, "会員番号")
        and re.search(r"\b10\b", _line_with(text, "契約ポート数")) is not None,
        "会員番号 M97-00340 and 契約ポート数 10")
    assert "ようこそ 鈴木 一郎 様" in screen
