"""`portplus serve` (issue 12, point 3): the app in a browser on textual-serve, with the
Origin check, the session limit and the end of idle or closed sessions; a real server
process, real websockets (aiohttp), and headless Chromium through Playwright."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from tests import web_support
from tests.ssh_support import free_port

_missing = web_support.missing_web() or web_support.missing_browser()
if _missing and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the browser tests: {_missing}")
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")

LOGIN_BURST = ("M97-00339", "Tab", "admin@example.com", "Tab", "demo-admin-1", "Enter")


@pytest.fixture
def served(tmp_path, request):
    flags = getattr(request, "param", ())
    server = web_support.Served(tmp_path, *flags)
    try:
        yield server
    finally:
        server.close()


def _handshake(url: str, origin: str | None) -> int:
    """The HTTP status of a websocket handshake to ``url`` with that Origin."""
    import aiohttp

    async def attempt() -> int:
        headers = {} if origin is None else {"Origin": origin}
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url, headers=headers) as ws:
                    await ws.close()
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    return asyncio.run(attempt())


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize("flags, word", [
    (["--port", "0"], "--port"),
    (["--port", "70000"], "--port"),
    (["--max-sessions", "0"], "--max-sessions"),
    (["--public-url", "ftp://portal.example.com"], "--public-url"),
    (["--public-url", "https://portal.example.com/?x=1"], "--public-url"),
    (["--public-url", "portal.example.com"], "--public-url"),
    (["--host", "a b"], "--host"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, flags, word):
    proc = subprocess.run([str(web_support.PORTPLUS), "--lang", "en", "serve", *flags],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and word in proc.stderr


def test_web_session_is_only_for_serve(tmp_path):
    proc = subprocess.run([str(web_support.PORTPLUS), "web-session"], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})
    assert proc.returncode == 1 and "portplus serve" in proc.stderr


# ------------------------------------------------------------------ origin and limits
def test_a_websocket_from_another_origin_is_refused(served):
    ws = served.url.replace("http", "ws") + "/ws"
    assert _handshake(ws, "http://evil.example") == 403
    assert _handshake(ws, f"http://evil.example:{served.port}") == 403  # a DNS-rebound name
    assert _handshake(ws, None) == 403  # not a browser
    assert served.children() == []  # no app was started for any of them
    assert _handshake(ws, served.url) == 101
    assert _handshake(ws, f"http://localhost:{served.port}") == 101
    served.wait_children(0)
    assert "websocket refused: Origin 'http://evil.example'" in served.log.read_text()


@pytest.mark.parametrize("served", [("--public-url", "https://portal.example.com/pp/")],
                         indirect=True)
def test_behind_a_proxy_only_the_public_origin_is_accepted(served):
    ws = served.url.replace("http", "ws") + "/ws"
    assert _handshake(ws, served.url) == 403
    assert _handshake(ws, "http://portal.example.com") == 403  # not the https origin
    assert _handshake(ws, "https://portal.example.com") == 101
    served.wait_children(0)


def test_headers_keep_the_page_out_of_frames_and_caches(served):
    import urllib.request

    with urllib.request.urlopen(served.url + "/") as response:
        headers = response.headers
        page = response.read().decode()
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert "xterm-helper-textarea" in page  # the terminal takes the keyboard at once


# ------------------------------------------------------------------ idle sessions
def test_an_idle_session_ends_its_process(tmp_path, monkeypatch):
    """In-process server with a 1.5-second idle limit (the app's is idle_timeout_minutes):
    a session that types nothing is closed and its app process ends; typing keeps one
    open past the limit."""
    import aiohttp
    from aiohttp import web

    from portplus_tui.web.server import PortPlusServer

    for name, value in (("PORTPLUS_DATA_DIR", str(tmp_path / "data")),
                        ("PORTPLUS_BCRYPT_ROUNDS", "4"),
                        ("XDG_CONFIG_HOME", str(tmp_path / "config"))):
        monkeypatch.setenv(name, value)  # for the app processes the server starts
    port = free_port()
    server = PortPlusServer(f"exec {sys.executable} -m portplus_tui web-session", port=port,
                            idle_seconds=1.5, max_sessions=3)
    closed: list[tuple[int | None, float]] = []
    pids: set[int] = set()

    async def session(keep_typing: bool) -> None:
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24",
                                         headers={"Origin": f"http://127.0.0.1:{port}"}) as ws:
                started = loop.time()
                while not ws.closed:
                    for service in server._services:  # noqa: SLF001 - the test's own view
                        process = getattr(service, "_process", None)
                        if process is not None:
                            pids.add(process.pid)
                    if keep_typing and loop.time() - started < 4:
                        await ws.send_json(["stdin", "x"])
                    try:
                        await asyncio.wait_for(ws.receive(), 0.5)
                    except asyncio.TimeoutError:
                        pass
                closed.append((ws.close_code, loop.time() - started))

    async def main() -> None:
        runner = web.AppRunner(await server.make_app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            await asyncio.wait_for(asyncio.gather(session(False), session(True)), 60)
            for _ in range(400):  # the handlers finish ending the apps
                if server.live == 0:
                    break
                await asyncio.sleep(0.05)  # noqa: sleep - polling the server, bounded
        finally:
            await runner.cleanup()

    asyncio.run(main())
    (idle_code, idle_after), (_, typing_after) = sorted(closed, key=lambda c: c[1])
    assert idle_code == 1000 and idle_after < 4  # closed for being idle
    assert typing_after >= 4  # typing kept the other one open past the limit
    assert server.live == 0 and len(pids) == 2
    for pid in pids:  # both app processes ended
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()


# ------------------------------------------------------------------ in Chromium
def test_a_login_typed_in_one_burst_reaches_the_main_screen(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = web_support.chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            frames = web_support.Frames(page)
            page.goto(served.url + "/")
            frames.wait_for(page, "ログイン情報を入力してください")
            # All of it at once, with no click into the page first.
            for key in LOGIN_BURST:
                if key in ("Tab", "Enter"):
                    page.keyboard.press(key)
                else:
                    page.keyboard.type(key)
            frames.wait_for(page, "ようこそ")
            frames.wait_for(page, "会社情報")
            path = web_support.save_artifact(page, "web-login.png")
            assert path.stat().st_size > 10_000
            # The CSV export is a download in the browser: the page opens /download/KEY,
            # which the server answers with the app's CSV (nothing written on the host).
            downloads: list[tuple[int, str, str]] = []

            def fetch(route) -> None:
                response = route.fetch()
                downloads.append((response.status, response.headers["content-disposition"],
                                  response.text()))
                route.fulfill(response=response)

            page.context.route("**/download/**", fetch)
            page.keyboard.press("F3")
            frames.wait_for(page, "件中")
            page.keyboard.type("e")
            frames.wait_for(page, "ブラウザのダウンロード")
            page.keyboard.press("Enter")  # 出力, with the proposed file name
            for _ in range(200):
                if downloads:
                    break
                page.wait_for_timeout(50)
            ((status, disposition, body),) = downloads
            assert status == 200 and disposition.startswith("attachment; filename=portplus-")
            assert body.splitlines()[0] == "申込番号,適用日,追加ポート数,申込者,申込日,状態,申込期限"
            assert len(body.splitlines()) > 1
        finally:
            browser.close()
    served.wait_children(0)  # the tab closed: its app ended
    audit = served.cli("audit", "M97-00339", "--last", "5")
    assert "login.success" in audit and "admin@example.com" in audit
    assert not list((served.base / "data").glob("exports/*.csv"))


def test_a_page_of_another_origin_cannot_open_a_session(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = web_support.chromium(playwright)
        try:
            page = browser.new_page()
            page.set_content("<p>another site</p>")  # about:blank: not the server's origin
            outcome = page.evaluate("""url => new Promise(resolve => {
                const ws = new WebSocket(url);
                ws.onopen = () => resolve("open");
                ws.onerror = () => resolve("refused");
            })""", served.url.replace("http", "ws") + "/ws")
            assert outcome == "refused"
        finally:
            browser.close()
    assert served.children() == []


@pytest.mark.parametrize("served", [("--max-sessions", "2")], indirect=True)
def test_past_the_limit_a_tab_is_told_the_server_is_busy(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = web_support.chromium(playwright)
        try:
            context = browser.new_context()
            pages = []
            for _ in range(2):
                page = context.new_page()
                frames = web_support.Frames(page)
                page.goto(served.url + "/")
                frames.wait_for(page, "ログイン情報を入力してください")
                pages.append(page)
            served.wait_children(2)
            third = context.new_page()
            response = third.goto(served.url + "/")
            assert response.status == 503
            assert "混み合っています" in third.content() and "busy" in third.content()
            assert len(served.children()) == 2
            pages[0].close()  # a tab closed: its session ends, and there is room again
            served.wait_children(1)
            frames = web_support.Frames(third)
            third.reload()
            frames.wait_for(third, "ログイン情報を入力してください")
            served.wait_children(2)
            context.close()
        finally:
            browser.close()
    served.wait_children(0)
