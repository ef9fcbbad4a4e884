"""Real peers for notices tests: HTTP servers on 127.0.0.1 started by the test.

`http_peer(respond)` runs a ThreadingHTTPServer in a thread; every request is recorded
(method, path, query, headers, body) and `respond(request)` says what to answer. Used as
the WeCom / DingTalk robots and the SMS gateways (the vendor's cloud is the only thing
stood in for, with the endpoint pointed here).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    raw_query: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))


Answer = tuple[int, dict | bytes]


@dataclass
class Peer:
    respond: Callable[[Received], Answer]
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(peer: Peer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's naming
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            request = Received(
                method="POST",
                path=parsed.path,
                raw_query=parsed.query,
                query=dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            with peer.lock:
                peer.requests.append(request)
            status, body = peer.respond(request)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client died while we answered (the crash test)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def http_peer(respond: Callable[[Received], Answer]) -> Iterator[Peer]:
    peer = Peer(respond=respond)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    peer.url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def scripted(*answers: Answer) -> Callable[[Received], Answer]:
    """Answer the requests in order with `answers`; the last one repeats."""
    queue = list(answers)

    def respond(request: Received) -> Answer:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond
