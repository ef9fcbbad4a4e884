"""The ingest spool: append-only segment files, fsync'd before a sender is acknowledged.

Layout under `<archive>/spool/`:
- `open/<segment>.log`: being appended to by one writer process;
- `ready/<segment>.log`: sealed, waiting for compaction.

A record is one line: `<website id>\\x1f<received, µs since the epoch>\\x1f<log line>`.
The log line has control characters written as `\\xHH` (as nginx's own escaping does),
so it never holds a newline or the separator. Each batch ends with a marker line
`0\\x1f<count>\\x1f`: a writer killed in the middle of a batch leaves a tail after the last
marker, which was never acknowledged and is cut off when the segment is sealed.

Writers hold an exclusive `flock` on their open segment only while appending. The
compactor takes the same lock to seal a segment that has been idle (or whose writer
died): it cuts the unacknowledged tail and moves the file to `ready/`; the writer notices
on its next append that its file has moved and starts a new segment.
"""

import fcntl
import os
import secrets
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

from yiyun.core import clock
from yiyun.websites.conf import archive_dir, segment_max_bytes
from yiyun.websites.tokens import fsync_dir

SEPARATOR = "\x1f"
MARKER_START = b"0\x1f"
_ESCAPES = {code: f"\\x{code:02X}" for code in [*range(0x20), 0x7F]}


def spool_dirs(root: Path | None = None, *, create: bool = True) -> tuple[Path, Path]:
    base = (root or archive_dir()) / "spool"
    open_dir, ready_dir = base / "open", base / "ready"
    if create:
        for path in (open_dir, ready_dir):
            path.mkdir(parents=True, exist_ok=True)
    return open_dir, ready_dir


def escape_line(line: str) -> str:
    """Control characters as `\\xHH`, the rest unchanged."""
    return line.translate(_ESCAPES)


def received_now_us() -> int:
    moment = clock.now()
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def encode_batch(records: Iterable[tuple[int, int, str]]) -> tuple[bytes, int]:
    """Records (website id, received µs, line) as spool bytes, with the batch marker."""
    parts = []
    for website_id, received_us, line in records:
        parts.append(f"{website_id}\x1f{received_us}\x1f{escape_line(line)}\n")
    if not parts:
        return b"", 0
    parts.append(f"0\x1f{len(parts)}\x1f\n")
    return "".join(parts).encode("utf-8", "backslashreplace"), len(parts) - 1


def _segment_name() -> str:
    host = socket.gethostname().replace("-", "_")[:40]
    return f"{clock.now().strftime('%Y%m%dT%H%M%S%f')}-{host}-{os.getpid()}-{secrets.token_hex(4)}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class SpoolWriter:
    """Appends batches to this process's open segment; thread-safe.

    `append` returns only after the batch is on disk (fsync), so its caller may then
    acknowledge the lines.
    """

    def __init__(self, root: Path | None = None):
        self.root = root or archive_dir()
        # Created with the first segment: a writer that never writes leaves no trace.
        self.open_dir, self.ready_dir = spool_dirs(self.root, create=False)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None

    def append(self, website_id: int, lines: Iterable[str], *, received_us: int | None = None):
        """Append one website's lines as one batch; returns how many were written."""
        received = received_us if received_us is not None else received_now_us()
        return self.append_records((website_id, received, line) for line in lines)

    def append_records(self, records: Iterable[tuple[int, int, str]]) -> int:
        data, count = encode_batch(records)
        if not count:
            return 0
        with self._lock:
            for _attempt in range(3):
                fd = self._ensure_open()
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if not self._still_at_path(fd):
                        # The compactor sealed our segment while it was idle.
                        self._forget()
                        continue
                    _write_all(fd, data)
                    os.fsync(fd)
                    if os.fstat(fd).st_size >= segment_max_bytes():
                        self._seal_locked()
                    return count
                finally:
                    if self._fd == fd:
                        fcntl.flock(fd, fcntl.LOCK_UN)
        raise OSError("could not append to the spool")

    def seal(self) -> Path | None:
        """Move the open segment to ready/ now (e.g. at the end of an import)."""
        with self._lock:
            if self._fd is None:
                return None
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            if not self._still_at_path(self._fd):
                self._forget()
                return None
            return self._seal_locked()

    def close(self) -> None:
        with self._lock:
            self._forget()

    def _ensure_open(self) -> int:
        if self._fd is None:
            spool_dirs(self.root)
            self._path = self.open_dir / f"{_segment_name()}.log"
            self._fd = os.open(
                self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640
            )
            fsync_dir(self.open_dir)
        return self._fd

    def _still_at_path(self, fd: int) -> bool:
        try:
            return os.stat(self._path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _seal_locked(self) -> Path:
        target = self.ready_dir / self._path.name
        os.rename(self._path, target)
        fsync_dir(self.ready_dir)
        fsync_dir(self.open_dir)
        self._forget()
        return target

    def _forget(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock too
        self._fd, self._path = None, None


def _committed_length(fd: int) -> int:
    """Offset just after the last complete batch marker (0 when there is none)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    # The usual case: the file ends with a complete marker line.
    tail_size = min(size, 256)
    tail = os.pread(fd, tail_size, size - tail_size)
    if tail.endswith(b"\x1f\n"):
        line_start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
        if (line_start > 0 or tail_size == size) and tail[line_start:].startswith(MARKER_START):
            return size
    # A writer died mid-batch: find the last complete marker (rare; reads the segment).
    data = os.pread(fd, size, 0)
    position = data.rfind(b"\n" + MARKER_START)
    while position >= 0:
        line_end = data.find(b"\n", position + 1)
        if line_end >= 0:
            return line_end + 1
        position = data.rfind(b"\n" + MARKER_START, 0, position)
    return 0


def segments_seal(*, root: Path | None = None, idle_seconds: float | None = None) -> list[Path]:
    """Seal open segments idle for `idle_seconds` (all of them when None).

    An open segment whose writer died is sealed the same way: its unacknowledged tail
    (after the last batch marker) is cut off first.
    """
    open_dir, ready_dir = spool_dirs(root)
    sealed = []
    now = clock.now().timestamp()
    for path in sorted(open_dir.glob("*.log")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            if idle_seconds is not None and now - os.fstat(fd).st_mtime < idle_seconds:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.stat(path).st_ino != os.fstat(fd).st_ino:
                    continue
            except FileNotFoundError:
                continue
            length = _committed_length(fd)
            if length != os.fstat(fd).st_size:
                os.ftruncate(fd, length)
            os.fsync(fd)
            target = ready_dir / path.name
            os.rename(path, target)
            fsync_dir(ready_dir)
            fsync_dir(open_dir)
            sealed.append(target)
        finally:
            os.close(fd)
    return sealed


def segments_ready(*, root: Path | None = None) -> list[Path]:
    _open_dir, ready_dir = spool_dirs(root)
    return sorted(ready_dir.glob("*.log"))
