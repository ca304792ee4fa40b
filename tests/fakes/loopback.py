"""The part every fake store shares: a threaded HTTP server on a free loopback port."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Self


class LoopbackServer:
    """Start/stop a ThreadingHTTPServer whose handler class reaches the fake as ``owner``."""

    thread_name: ClassVar[str] = "fake-store"
    bind_host: str = "127.0.0.1"
    bind_port: int = 0  # 0: any free port
    _server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        handler = type(f"{type(self).__name__}Handler", (self.handler_class(),), {"owner": self})
        self._server = ThreadingHTTPServer((self.bind_host, self.bind_port), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
