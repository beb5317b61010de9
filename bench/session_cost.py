"""What one operator's session costs the host: bytes to the terminal, and memory.

Each session is the real app (``python -m portplus_tui``) in its own 120x36
pseudo-terminal with ``TERM=xterm-256color``, as sshd gives it (the bytes an SSH
connection carries, before compression and encryption). The demo database is made once
with ``portplus demo --no-launch --applications N`` (default 20,000: about 800 rows in
the current billing month, 80 pages of 10). One thread drains every terminal all the
time, as a client would.

(b) Bytes per action: the demo admin logs in, opens ポートプラス (F3) and Tabs to the list; then
``--turns`` page turns (PageDown; Home at the last page), each followed by a fixed
window (``--window``, default 0.4 s) in which every byte the app writes is counted;
then the new-application form (N) and ``--keys`` keystrokes typed one at a time into its
申込者 field (the applicant), each with the same window. A keystroke restarts the cursor
blink (every 0.5 s), so its window holds only what the key changed; the same window with
no key, what the app writes on its own (the blink), is reported beside it.

(c) Memory per live session: 1, 10 and 30 sessions (``--sessions``) at the same time,
each logged in with the list open; then the proportional set size (PSS, from
``/proc/PID/smaps_rollup``: shared pages divided among the processes that share them) of
every app process, summed and divided by the number of sessions. The baseline is a bare
Textual app with one Input, run the same number of times at once. Printed as MiB and as
the ratio of the two.

    .venv/bin/python bench/session_cost.py
    .venv/bin/python bench/session_cost.py --sessions 1 10 30 --turns 40 --keys 30

Figures only: no goal is asserted (issue 12, point 5).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import selectors
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import DEMO_ADMIN, TUI_SIZE, machine_info  # noqa: E402

BARE_INPUT_APP = textwrap.dedent('''
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Input(placeholder="BARE-APP-READY")

    Bare().run()
''')

KEYS = {"tab": b"\t", "enter": b"\r", "f3": b"\x1bOR", "pagedown": b"\x1b[6~",
        "home": b"\x1b[H", "ctrl+q": b"\x11"}
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
RETRIES: list[int] = []
_SUMMARY = re.compile(r"全 (\d+) 件中 (\d+) ~ (\d+) 件")


class Session:
    """One app in its own pseudo-terminal; ``Hub`` reads its output."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        cols, rows = TUI_SIZE
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.lock = threading.Lock()
        self.received = 0
        self.recent = bytearray()  # output since the last mark, escapes and all

    def feed(self, chunk: bytes) -> None:
        with self.lock:
            self.received += len(chunk)
            self.recent += chunk
            if len(self.recent) > 4_000_000:
                del self.recent[:-1_000_000]

    def text(self) -> str:
        with self.lock:
            raw = bytes(self.recent)
        return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")

    def mark(self) -> int:
        with self.lock:
            self.recent.clear()
            return self.received

    def send(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key.encode()))

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.text())
            if found:
                return found
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{pattern!r} not seen; output: {self.text()[-500:]!r}")
            time.sleep(0.02)

    def pss_kib(self) -> int:
        text = Path(f"/proc/{self.proc.pid}/smaps_rollup").read_text()
        return int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1))

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Hub:
    """A thread that reads every session's terminal as soon as it has output.

    ``close_all`` stops the thread before it closes the terminals, and starts a new one:
    a terminal's file descriptor number is reused by the next session."""

    def __init__(self) -> None:
        self.sessions: list[Session] = []
        self._begin()

    def _begin(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(self.selector, self.stopping),
                                       daemon=True)
        self.thread.start()

    def start(self, argv: list[str], env: dict[str, str]) -> Session:
        session = Session(argv, env)
        self.sessions.append(session)
        self.selector.register(session.master, selectors.EVENT_READ, session)
        return session

    @staticmethod
    def _run(selector: selectors.BaseSelector, stopping: threading.Event) -> None:
        while not stopping.is_set():
            if not selector.get_map():
                stopping.wait(0.01)
                continue
            for key, _ in selector.select(timeout=0.1):
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:
                    chunk = b""
                if chunk:
                    key.data.feed(chunk)
                else:
                    selector.unregister(key.fd)

    def close_all(self, restart: bool = True) -> None:
        self.stopping.set()
        self.thread.join(10)
        for session in self.sessions:
            session.close()
        for session in self.sessions:
            os.close(session.master)
        self.sessions.clear()
        self.selector.close()
        if restart:
            self._begin()

    def stop(self) -> None:
        self.close_all(restart=False)


def log_in_and_open_list(session: Session) -> re.Match:
    session.wait_for("ログイン情報を入力してください")
    member, login_id, password = DEMO_ADMIN
    session.send(member, "tab", login_id, "tab", password, "enter")
    session.wait_for("ようこそ")
    session.mark()
    session.send("f3")
    try:
        found = session.wait_for(_SUMMARY.pattern, timeout=20)
    except RuntimeError:
        # F3 sent as the main screen appears is sometimes lost (issue 13, defect 0):
        # counted and sent again, so that the figures can still be taken.
        RETRIES.append(1)
        session.mark()
        session.send("f3")
        found = session.wait_for(_SUMMARY.pattern)
    return found


def window_bytes(session: Session, keys: tuple[str, ...], window: float) -> int:
    before = session.mark()
    if keys:
        session.send(*keys)
    time.sleep(window)
    return session.received - before


def bytes_figures(hub: Hub, argv: list[str], env: dict[str, str], turns: int, keys: int,
                  window: float) -> None:
    session = hub.start(argv, env)
    found = log_in_and_open_list(session)
    total = int(found.group(1))
    print(f"(b) list: {total} rows in the billing month, page size 10, window {window:.2f} s")
    time.sleep(1.0)  # let the first paint and the type-ahead settle
    idle_list = [window_bytes(session, (), window) for _ in range(5)]
    turns_bytes = []
    last_shown = int(found.group(3))
    for _ in range(turns):
        key = "home" if last_shown >= total else "pagedown"
        turns_bytes.append(window_bytes(session, (key,), window))
        shown = list(_SUMMARY.finditer(session.text()))
        last_shown = int(shown[-1].group(3)) if shown else last_shown + 10
    session.send("n")
    session.wait_for("ポートプラス新規申込")
    time.sleep(1.0)
    # The focus starts in the first field (適用日); Tab twice to the applicant, free text.
    for _ in range(2):
        session.send("tab")
    time.sleep(0.5)
    idle_form = [window_bytes(session, (), window) for _ in range(5)]
    key_bytes = [window_bytes(session, ("x",), window) for _ in range(keys)]
    med = statistics.median
    print(f"    page turn: median {med(turns_bytes):8.0f} B  max {max(turns_bytes):8d} B"
          f"  ({len(turns_bytes)} turns; idle window on the list: median {med(idle_list):.0f} B)")
    print(f"    keystroke in the form: median {med(key_bytes):6.0f} B  max {max(key_bytes):6d} B"
          f"  (idle window in the form, a cursor blink: median {med(idle_form):.0f} B)")
    hub.close_all()


def memory_figures(hub: Hub, argv: list[str], bare_argv: list[str], env: dict[str, str],
                   counts: list[int]) -> None:
    print("(c) memory per live session (PSS, MiB)")
    print(f"    {'sessions':>8}  {'app':>8}  {'bare Input app':>14}  {'ratio':>6}")
    for count in counts:
        sessions = [hub.start(argv, env) for _ in range(count)]
        for session in sessions:
            log_in_and_open_list(session)
        time.sleep(2.0)  # every session idle on its list
        ours = sum(s.pss_kib() for s in sessions) / count / 1024
        hub.close_all()
        bares = [hub.start(bare_argv, env) for _ in range(count)]
        for bare in bares:
            bare.wait_for("BARE-APP-READY")
        time.sleep(2.0)
        base = sum(s.pss_kib() for s in bares) / count / 1024
        hub.close_all()
        print(f"    {count:>8}  {ours:8.1f}  {base:14.1f}  {ours / base:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--window", type=float, default=0.4)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--skip-bytes", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    print(machine_info())
    with tempfile.TemporaryDirectory(prefix="portplus-session-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PORTPLUS_", "TEXTUAL", "TMUX", "COLORTERM"))}
        env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
                   PORTPLUS_DATA_DIR=str(data), PORTPLUS_BCRYPT_ROUNDS="4",
                   PORTPLUS_DATABASE_URL=f"sqlite:///{data / 'demo.db'}",
                   XDG_CONFIG_HOME=str(Path(tmp) / "config"))
        subprocess.run([sys.executable, "-m", "portplus_tui", "demo", "--no-launch",
                        "--applications", str(args.applications)],
                       env=env, check=True, capture_output=True, timeout=600)
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE_INPUT_APP, encoding="utf-8")
        argv = [sys.executable, "-m", "portplus_tui"]
        hub = Hub()
        try:
            if not args.skip_bytes:
                bytes_figures(hub, argv, env, args.turns, args.keys, args.window)
            if not args.skip_memory:
                memory_figures(hub, argv, [sys.executable, str(bare)], env, args.sessions)
        finally:
            hub.stop()
    if RETRIES:
        print(f"F3 sent again after 20 s without the list: {len(RETRIES)} time(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
