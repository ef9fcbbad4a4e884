"""Ingest endpoints: a syslog listener (UDP and TCP; RFC 3164 and RFC 5424) and an HTTP
bulk endpoint, all writing to the spool. No database is needed here: websites are
authenticated by their token (the syslog tag, or `Authorization: Bearer`) against the
token file.

nginx sends a website's access log straight here with
`access_log syslog:server=HOST:PORT,tag=<token> yiyun;` (UDP). Syslog has no
acknowledgement: lines are fsync'd in batches (at least every `FLUSH_SECONDS`). The HTTP
endpoint answers 200 only after its lines are on disk.
"""

import gzip
import io
import json
import logging
import re
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from yiyun.websites.spool import SpoolWriter, received_now_us
from yiyun.websites.tokens import token_authenticate

log = logging.getLogger("yiyun.websites.listener")

FLUSH_SECONDS = 0.2
FLUSH_LINES = 5000
MAX_BODY = 64 << 20  # an HTTP request body, after gunzip
MAX_LINE = 1 << 20

# <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG   (RFC 5424)
_RFC5424 = re.compile(
    r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)$", re.S
)
# <PRI>Mmm dd hh:mm:ss HOST TAG[pid]: MSG   (RFC 3164, as nginx writes it). HOST has no
# ':', so that with `nohostname` "TAG: 2001:db8::1 - - …" is not read as host "TAG:".
_RFC3164 = re.compile(
    r"^<(\d{1,3})>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )?(?:([^\s:]+) )?([A-Za-z0-9_]{1,64})(?:\[\d+\])?: ?(.*)$",
    re.S,
)


def syslog_parse(message: str) -> tuple[str, str] | None:
    """(tag, log line) of one syslog message, or None when it is not syslog."""
    message = message.rstrip("\r\n\x00")
    match = _RFC5424.match(message)
    if match:
        body = match.group(8)
        if body.startswith("\ufeff"):
            body = body[1:]
        return match.group(4), body
    match = _RFC3164.match(message)
    if match:
        return match.group(3), match.group(4)
    return None


def _ndjson_line(record: dict) -> str | None:
    """A shipper's JSON record: its raw line (`line`, `message`, `log`)."""
    for key in ("line", "message", "log", "msg"):
        value = record.get(key)
        if isinstance(value, str):
            return value
    return None


def http_body_lines(body: bytes, *, content_type: str, content_encoding: str) -> list[str]:
    """The lines of an HTTP bulk request: raw lines or NDJSON, gzip accepted.

    A JSON record without a recognised line field is kept as its JSON text, so it is
    archived (as a parse error) rather than lost.
    """
    if content_encoding.strip().lower() == "gzip" or body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            body = handle.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise ValueError("body too large")
    text = body.decode("utf-8", "backslashreplace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line[:MAX_LINE] for line in lines if line.strip()]
    if "ndjson" in content_type or "jsonl" in content_type or "json" in content_type:
        out = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                out.append(line)
                continue
            value = _ndjson_line(record) if isinstance(record, dict) else None
            out.append(value if value is not None else line)
        return out
    return lines


class Batcher:
    """Collects syslog lines and writes them to the spool in fsync'd batches."""

    def __init__(self, writer: SpoolWriter, *, root: Path | None = None):
        self.writer = writer
        self.root = root
        self._records: list[tuple[int, int, str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.accepted = 0
        self.rejected = 0
        self._thread = threading.Thread(target=self._run, name="spool-flush", daemon=True)
        self._thread.start()

    def add_message(self, message: str) -> None:
        parsed = syslog_parse(message)
        website_id = token_authenticate(parsed[0], root=self.root) if parsed else None
        if website_id is None:
            with self._lock:
                self.rejected += 1
            return
        with self._lock:
            self._records.append((website_id, received_now_us(), parsed[1][:MAX_LINE]))
            if len(self._records) >= FLUSH_LINES:
                self._wake.set()

    def flush(self) -> int:
        with self._lock:
            records, self._records = self._records, []
        if records:
            try:
                self.writer.append_records(records)
            except OSError:
                with self._lock:  # kept for the next try
                    self._records[:0] = records
                raise
            with self._lock:
                self.accepted += len(records)
        return len(records)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            try:
                self.flush()
            except OSError:
                log.exception("spool write failed; lines kept in memory for the next try")

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()


def _tcp_frames(stream) -> "iter[str]":
    """Messages of a TCP syslog stream: octet-counted (RFC 6587) or newline-delimited."""
    buffer = b""
    while True:
        chunk = stream.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while buffer:
            if buffer[:1].isdigit():
                length, space, rest = buffer.partition(b" ")
                if not space:
                    break
                if length.isdigit() and rest[:1] == b"<":
                    size = int(length)
                    if len(rest) < size:
                        break
                    yield rest[:size].decode("utf-8", "backslashreplace")
                    buffer = rest[size:]
                    continue
            line, newline, rest = buffer.partition(b"\n")
            if not newline:
                break
            if line.strip():
                yield line.decode("utf-8", "backslashreplace")
            buffer = rest
    if buffer.strip():
        yield buffer.decode("utf-8", "backslashreplace")


class Listener:
    """The syslog UDP/TCP servers and the HTTP bulk endpoint, each on its own thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        udp: int | None = None,
        tcp: int | None = None,
        http: int | None = None,
        root: Path | None = None,
    ):
        self.root = root
        self.writer = SpoolWriter(root)
        self.batcher = Batcher(self.writer, root=root)
        self._threads: list[threading.Thread] = []
        self._servers = []
        self._udp_socket = None
        self._udp_running = threading.Event()
        self.ports: dict[str, int] = {}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if udp is not None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((host, udp))
            sock.settimeout(0.5)
            self._udp_socket = sock
            self.ports["udp"] = sock.getsockname()[1]
            self._udp_running.set()
            self._udp_thread = self._spawn(self._serve_udp, "syslog-udp")
        if tcp is not None:
            batcher = self.batcher

            class Handler(socketserver.BaseRequestHandler):
                def handle(self):
                    for message in _tcp_frames(self.request):
                        batcher.add_message(message)

            server_class = type(
                "TCPServer",
                (socketserver.ThreadingTCPServer,),
                {"allow_reuse_address": True, "daemon_threads": True, "address_family": family},
            )
            server = server_class((host, tcp), Handler)
            self._servers.append(server)
            self.ports["tcp"] = server.server_address[1]
            self._spawn(server.serve_forever, "syslog-tcp")
        if http is not None:
            server = ThreadingHTTPServer((host, http), _http_handler(self.writer, root))
            server.daemon_threads = True
            self._servers.append(server)
            self.ports["http"] = server.server_address[1]
            self._spawn(server.serve_forever, "ingest-http")

    def _spawn(self, target, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _serve_udp(self) -> None:
        sock = self._udp_socket
        while self._udp_running.is_set():
            try:
                data = sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                break
            self.batcher.add_message(data.decode("utf-8", "backslashreplace"))

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._udp_socket is not None:
            self._udp_running.clear()
            self._udp_thread.join(timeout=5)  # it wakes at least every 0.5 s
            self._udp_socket.close()
            self._udp_socket = None
        self.batcher.stop()
        self.writer.close()


def ingest_http(
    *,
    writer: SpoolWriter,
    token: str,
    body: bytes,
    content_type: str,
    content_encoding: str,
    root=None,
) -> tuple[int, dict]:
    """One HTTP bulk request: (status, JSON body). 200 only once the lines are fsync'd."""
    website_id = token_authenticate(token, root=root)
    if website_id is None:
        return 401, {"detail": "invalid ingest token"}
    try:
        lines = http_body_lines(body, content_type=content_type, content_encoding=content_encoding)
    except (OSError, EOFError, ValueError):
        return 400, {"detail": "the body is not valid gzip, or too large"}
    accepted = writer.append(website_id, lines)
    return 200, {"accepted": accepted}


def bearer_token(header: str) -> str:
    scheme, _space, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _http_handler(writer: SpoolWriter, root):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 — the http.server API
            if self.path.rstrip("/") not in ("/ingest", "/websites/ingest"):
                return self._reply(404, {"detail": "not found"})
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._reply(413, {"detail": "body too large"})
            body = self.rfile.read(length)
            status, payload = ingest_http(
                writer=writer,
                token=bearer_token(self.headers.get("Authorization", "")),
                body=body,
                content_type=self.headers.get("Content-Type", ""),
                content_encoding=self.headers.get("Content-Encoding", ""),
                root=root,
            )
            self._reply(status, payload)

        def _reply(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 — quiet: structured logs only
            return

    return Handler
