"""A plain file server on loopback: fixed answers per path, redirects, slow and dripping answers.

Stands in for an image CDN, or for whatever internal service a hostile URL points at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.fakes.loopback import LoopbackServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    drip: float = 0.0  # seconds between single bytes of the body (no Content-Length)


class FileServer(LoopbackServer):
    thread_name = "fake-files"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.bind_host, self.bind_port = host, port
        self.answers: dict[str, Answer] = {}
        self.hits: list[str] = []

    def serve(self, path: str, body: bytes = b"", **answer: object) -> str:
        self.answers[path] = Answer(body=body, **answer)  # type: ignore[arg-type]
        return self.base_url + path

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        return self.serve(path, status=status, headers={"Location": location})

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            owner: FileServer
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                self.owner.hits.append(path)
                answer = self.owner.answers.get(path, Answer(status=404, body=b"not here"))
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.drip:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    try:
                        for index in range(len(answer.body)):
                            self.wfile.write(answer.body[index:index + 1])
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    except OSError:  # the client gave up: that is what the drip tests
                        pass
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        return Handler
