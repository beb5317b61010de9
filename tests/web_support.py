"""`portplus serve` for the tests: the real command on a free port of 127.0.0.1, on a demo
database of its own; headless Chromium (Debian's, never downloaded) through Playwright.

What a browser page shows is a canvas: the tests read the terminal's bytes from the
page's websocket frames instead (``Frames``), and check logins in the app's audit log.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.ssh_support import free_port, run, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PORTPLUS = Path(sys.executable).parent / "portplus"
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (./scripts/test installs Debian's chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing (./scripts/test installs it)"
    return None


def missing_web() -> str | None:
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        return "textual-serve is missing (the 'web' extra; ./scripts/test installs it)"
    return None


class Served:
    """``portplus serve`` with a demo database, until ``close``."""

    def __init__(self, base: Path, *flags: str) -> None:
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("PORTPLUS_", "TEXTUAL", "TMUX", "COLORTERM"))}
        data = base / "data"
        self.env.update(PORTPLUS_DATA_DIR=str(data),
                        PORTPLUS_DATABASE_URL=f"sqlite:///{data / 'demo.db'}",
                        PORTPLUS_BCRYPT_ROUNDS="4", PORTPLUS_SYSTEM_CONFIG=os.devnull,
                        XDG_CONFIG_HOME=str(base / "config"))
        run(str(PORTPLUS), "demo", "--no-launch", env=self.env)
        self.log = base / "serve.log"
        self.proc = subprocess.Popen(
            [str(PORTPLUS), "serve", "--port", str(self.port), *flags],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"),
            start_new_session=True)

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"portplus serve ended: {self.log.read_text()}")
            return "serving on" in self.log.read_text()

        wait_until(listening, "portplus serve to listen")

    def children(self) -> list[int]:
        """The app processes the server runs (one per open session)."""
        proc = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                              text=True)
        return [int(pid) for pid in proc.stdout.split()]

    def wait_children(self, count: int, timeout: float = 30.0) -> None:
        wait_until(lambda: len(self.children()) == count,
                   f"{count} app processes (now {self.children()})", timeout=timeout)

    def cli(self, *args: str) -> str:
        return run(str(PORTPLUS), *args, env=self.env).stdout

    def close(self) -> None:
        """Stop the server; every app it ran must have quit when asked (none killed).
        The server is stopped first, whatever the log says."""
        log = self.log.read_text()
        try:
            self._stop()
        finally:
            assert "did not quit" not in log, log

    def _stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        try:  # anything of its session left (an app it did not end): killed, and told
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        raise AssertionError("portplus serve left processes behind")


class Frames:
    """The terminal output a page receives on its websocket, as text."""

    def __init__(self, page) -> None:
        self.raw = bytearray()
        self.sockets = 0
        page.on("websocket", self._socket)

    def _socket(self, websocket) -> None:
        self.sockets += 1
        websocket.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            self.raw += payload

    def text(self) -> str:
        return _ESCAPES.sub("", self.raw.decode("utf-8", "ignore"))

    def wait_for(self, page, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not received; got: {self.text()[-300:]!r}")
            page.wait_for_timeout(50)  # lets Playwright deliver the frames (not a sleep)


def save_artifact(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


