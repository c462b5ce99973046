"""A real HTTP server on 127.0.0.1 that serves member feeds for tests, with faults on demand."""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STAMP = re.compile(rb"^DTSTAMP:\d{8}T\d{6}Z", re.MULTILINE)


@dataclass
class Route:
    """What the server answers at one path: a body with an ETag, or a fault."""

    body: bytes = b""
    content_type: str = "text/calendar"
    status: int = 200
    etag: bool = True
    truncate_to: int | None = None      # send only this many bytes of the body, then close
    delay: float = 0.0                  # seconds to wait before answering (a slow server)
    headers: dict[str, str] = field(default_factory=dict)
    stamped: bool = False               # every DTSTAMP set to the time of the request, as Google Calendar does


class _Listener(ThreadingHTTPServer):
    request_queue_size = 64   # several refresh processes connect at once; the default 5 drops their SYNs

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client killed on purpose went away before sending its request
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """Serves `routes`; counts requests and remembers the conditional headers it was sent."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        handler = self._handler()
        self.httpd = _Listener(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, **options: object) -> str:
        self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _h in self.requests if p == path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (a refresh killed on purpose, a time limit)

            def _answer(self) -> None:
                with server.lock:
                    server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                headers = dict(route.headers)
                if route.delay:
                    server.stopping.wait(route.delay)
                if route.status != 200:
                    self._send(route.status, b"error", "text/plain", headers)
                    return
                body = route.body
                if route.stamped:
                    body = STAMP.sub(datetime.now(UTC).strftime("DTSTAMP:%Y%m%dT%H%M%SZ").encode(), body)
                if route.etag:
                    tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    headers["ETag"] = tag
                    if self.headers.get("If-None-Match") == tag:
                        self._send(304, b"", "", headers)
                        return
                if route.truncate_to is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: route.truncate_to])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(200, body, route.content_type, headers)

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        return Handler


@contextmanager
def running() -> Iterator[FeedServer]:
    """A started FeedServer, shut down afterwards."""
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.httpd.shutdown()
        server.httpd.server_close()
