"""A real web server for tests: uvicorn (as `mailwright web` runs it) on an ephemeral loopback
port in a background thread, serving the ASGI app with or without the tracking fast path,
and a raw HTTP client that sends bytes exactly as given and tells a dropped connection apart
from an answer."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from django.core.asgi import get_asgi_application

from mailwright.feedback.tracking_views import TrackingFastPath


class WebServer:
    def __init__(self, *, fast_path: bool) -> None:
        app = get_asgi_application()
        if fast_path:
            app = TrackingFastPath(app)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, lifespan="off", log_level="critical", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def start(self) -> WebServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test web server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def request(
        self,
        method: str | bytes,
        target: str | bytes,
        body: bytes = b"",
        headers: dict[str, str | bytes] | None = None,
    ) -> Answer:
        """Send one request with the request line and body exactly as given."""
        method = method.encode() if isinstance(method, str) else method
        target = target.encode() if isinstance(target, str) else target
        lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
        for name, value in (headers or {}).items():
            value = value.encode() if isinstance(value, str) else value
            lines.append(name.encode() + b": " + value)
        if body or method == b"POST":
            lines.append(b"Content-Length: " + str(len(body)).encode())
        raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
        with socket.create_connection(("127.0.0.1", self.port), timeout=15) as sock:
            sock.sendall(raw)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        return Answer(b"".join(chunks))


@dataclass
class Answer:
    raw: bytes

    @property
    def dropped(self) -> bool:
        """The server closed the connection without an HTTP answer."""
        return not self.raw.startswith(b"HTTP/1.1 ")

    @property
    def status(self) -> int:
        assert not self.dropped, f"connection dropped without an answer: {self.raw[:200]!r}"
        return int(self.raw.split(b" ", 2)[1])

    @property
    def headers(self) -> dict[str, str]:
        head = self.raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
        pairs = (line.split(b":", 1) for line in head if b":" in line)
        return {k.strip().lower().decode(): v.strip().decode("latin-1") for k, v in pairs}

    @property
    def body(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.raw else b""
