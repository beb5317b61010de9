"""``portplus serve``: one app process per browser tab, on textual-serve 1.1.3.

textual-serve gives a page with a terminal in it and, per websocket, one process of the
app (its ``AppService``, speaking Textual's web driver protocol over pipes). It has no
authentication, no Origin check and no session limit; this module adds what exposing it
needs, and nothing else is served:

* **Origin**: a websocket is refused (403) unless its ``Origin`` is the page's own: the
  origin of ``--public-url``, or, without one, ``http://HOST:PORT`` as served (with
  ``localhost`` / ``127.0.0.1`` / ``[::1]`` for one another on a loopback host). A page of
  another site cannot drive a session in a visitor's browser, nor can a DNS-rebound name.
  No ``Origin`` header (not a browser) is refused too.
* **Limit**: at most ``max_sessions`` app processes at a time; past it, the page and
  the websocket get HTTP 503 with a short page saying so, and no process is started.
* **End of a session**: the tab closed (the websocket ends), the app ended (Ctrl+Q), or
  no key for ``idle_seconds`` (the app's ``idle_timeout_minutes``): the process is asked
  to quit, and killed if it has not after ``QUIT_GRACE`` seconds.
* Pages are not framed by other sites (``frame-ancestors 'none'``) nor cached.

The app's own login is the only authentication (a TLS reverse proxy may add its own:
README, "Deployment in a browser").
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

log = logging.getLogger("portplus_tui.web")

QUIT_GRACE = 10.0
MAX_MESSAGE = 64 * 1024  # a paste of this size is far past any field of the app
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

BUSY_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ポートプラス</title></head>
<body style="font-family: sans-serif; margin: 3em; max-width: 40em">
<h1>ポートプラス</h1>
<p>ただいま混み合っています。同時に開ける画面の数が上限({limit})に達しました。
しばらくしてから、このページを再読み込みしてください。</p>
<p lang="en">The server is busy: {limit} sessions are open, which is its limit.
Please reload this page in a few minutes.</p>
</body></html>
"""


FOCUS_SCRIPT = b"""<script>
window.addEventListener("load", function () {
  var tries = 0;
  (function focusTerminal() {
    var input = document.querySelector(".xterm-helper-textarea");
    if (input) { input.focus(); } else if (tries++ < 100) { setTimeout(focusTerminal, 50); }
  })();
});
</script>
"""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case (what a browser sends as Origin)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class PortPlusServer(Server):
    """textual-serve's ``Server`` with the Origin check, the session limit, the idle end
    and the headers above. ``command`` starts one app process (a shell command line)."""

    def __init__(self, command: str, *, host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None, max_sessions: int = 20,
                 idle_seconds: float = 1800.0, title: str = "ポートプラス") -> None:
        super().__init__(command, host=host, port=port, title=title,
                         public_url=public_url.rstrip("/") if public_url else None)
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.live = 0  # app processes running (or starting)
        self.allowed_origins = {origin_of(self.public_url)}
        if public_url is None and host in ("127.0.0.1", "localhost", "::1", "[::1]"):
            self.allowed_origins |= {f"http://{name}:{port}" for name in LOOPBACK_NAMES}
        self._services: set[AppService] = set()

    # ------------------------------------------------------------------ set-up
    def initialize_logging(self) -> None:
        """One line per event on stderr, ours and textual-serve's (whose own handler
        would print tracebacks with their local variables: not used). Warnings also go
        on to the app's log file (the command line's handler on the root logger)."""
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("portplus serve: %(message)s"))
        for name, level in (("portplus_tui.web", logging.INFO), ("textual-serve", logging.WARNING)):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.addHandler(handler)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.on_response_prepare.append(self._headers)
        return app

    async def make_app(self) -> web.Application:
        """The aiohttp application (routes, headers), for running it on a runner of one's
        own (the tests); ``serve()`` runs it until Ctrl+C."""
        return await self._make_app()

    @staticmethod
    async def _headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"

    async def on_startup(self, app: web.Application) -> None:
        log.info("serving on %s (at most %d sessions; loopback only: %s)", self.public_url,
                 self.max_sessions, "yes" if self.host in ("127.0.0.1", "localhost", "::1") else "no")

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(self._end(service) for service in list(self._services)),
                             return_exceptions=True)

    # ------------------------------------------------------------------ pages
    def _busy(self) -> web.Response:
        return web.Response(status=503, text=BUSY_PAGE.format(limit=self.max_sessions),
                            content_type="text/html", charset="utf-8",
                            headers={"Retry-After": "60"})

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.live >= self.max_sessions:
            return self._busy()
        response = await super().handle_index(request)
        if isinstance(response, web.Response) and isinstance(response.body, (bytes, bytearray)):
            # The page's terminal takes the keyboard at once: the user types the login
            # without clicking into the page first.
            body = bytes(response.body)
            response.body = body.replace(b"</body>", FOCUS_SCRIPT + b"</body>", 1)
        return response

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        return origin is not None and origin.lower() in self.allowed_origins

    async def handle_websocket(  # type: ignore[override]  # refusals are not websockets
            self, request: web.Request) -> web.StreamResponse:
        if not self.origin_allowed(request):
            log.warning("websocket refused: Origin %r is not %s",
                        request.headers.get("Origin"), " or ".join(sorted(self.allowed_origins)))
            return web.Response(status=403, text="403: Origin not allowed\n")
        if self.live >= self.max_sessions:
            log.warning("websocket refused: %d sessions open (the limit)", self.live)
            return self._busy()
        self.live += 1  # no await since the check: two requests cannot both pass it
        try:
            return await self._session(request)
        finally:
            self.live -= 1

    # ------------------------------------------------------------------ a session
    async def _session(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        await websocket.prepare(request)
        width = _size(request.query.get("width"), 80)
        height = _size(request.query.get("height"), 24)
        async def close() -> None:
            await websocket.close()

        service = AppService(self.command, write_bytes=_to(websocket, websocket.send_bytes),
                             write_str=_to(websocket, websocket.send_str),
                             close=close, download_manager=self.download_manager)
        self._services.add(service)
        last_key = [time.monotonic()]
        watch = asyncio.create_task(self._idle_watch(websocket, last_key))
        try:
            await service.start(width, height)
            await self._messages(websocket, service, last_key)
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - one line; the session ends either way
            log.exception("session ended by an error")
        finally:
            watch.cancel()
            await self._end(service)
            self._services.discard(service)
            if not websocket.closed:
                await websocket.close()
        return websocket

    async def _messages(self, websocket: web.WebSocketResponse, service: AppService,
                        last_key: list[float]) -> None:
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
            except (ValueError, TypeError):
                continue  # not the page's protocol: ignored
            if kind == "stdin" and isinstance(data, str):
                last_key[0] = time.monotonic()
                await service.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(_size(data.get("width"), 80),
                                                _size(data.get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _idle_watch(self, websocket: web.WebSocketResponse, last_key: list[float]) -> None:
        every = max(0.2, min(30.0, self.idle_seconds / 4))
        while not websocket.closed:
            await asyncio.sleep(every)
            if time.monotonic() - last_key[0] >= self.idle_seconds:
                log.info("session idle for %.0f s: ended", self.idle_seconds)
                await websocket.close(code=1000, message=b"idle")
                return

    async def _end(self, service: AppService) -> None:
        """Ask the app to quit, again each second (a request that comes while it is still
        starting is lost); kill it when it has not after ``QUIT_GRACE`` seconds. Then
        textual-serve's own clean-up (downloads, its reader task)."""
        # textual-serve keeps the process in a private attribute; it has no public one.
        process = getattr(service, "_process", None)
        if process is not None:
            deadline = asyncio.get_running_loop().time() + QUIT_GRACE
            while process.returncode is None and asyncio.get_running_loop().time() < deadline:
                await service.send_meta({"type": "quit"})
                try:
                    await asyncio.wait_for(process.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
            if process.returncode is None:
                log.warning("app process %s did not quit: killed", process.pid)
                process.kill()
                await process.wait()
        try:
            await asyncio.wait_for(service.stop(), QUIT_GRACE)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - the process has ended
            pass


def _to(websocket: web.WebSocketResponse, send):
    """``send`` on the websocket, dropping what comes once it has closed. textual-serve
    stops reading the app's output at the first failed send, and the app, blocked on a
    full pipe, would then never quit (it had to be killed when a tab closed)."""
    async def write(data) -> None:
        if websocket.closed:
            return
        try:
            await send(data)
        except (ConnectionError, RuntimeError):
            pass

    return write


def _size(value: object, default: int) -> int:
    """A terminal dimension from the page, within sane bounds."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return max(10, min(number, 1000))
