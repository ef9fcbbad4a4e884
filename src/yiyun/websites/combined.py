"""Reading a plain log file in nginx `combined` (+ "$host") format with the C parser.

`combined.c` is compiled into the package when it is installed (pyproject.toml's
ext-modules) and called through ctypes: it parses a chunk of the file into Arrow
columns, two chunks at a time (ctypes releases the GIL). The result has the columns the
archive writes, already keyed: the SQL path's `_key_addresses` step is not needed.
"""

import codecs
import ctypes
import hashlib
import importlib.util
import mmap
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from yiyun.core.errors import DomainError

# Chunks stay far below 2 GiB: Arrow's text offsets are 32-bit.
CHUNK_BYTES = 256 << 20
CHECK_BYTES = 8 << 20
THREADS = 2
TEXT_COLUMNS = (
    "ip",
    "remote_user",
    "method",
    "path",
    "protocol",
    "referer",
    "user_agent",
    "host",
    "raw",
)
_P = ctypes.c_void_p


class _Text(ctypes.Structure):
    _fields_ = [("offsets", _P), ("data", _P), ("valid", _P), ("capacity", ctypes.c_int64)]


class _Columns(ctypes.Structure):
    _fields_ = [
        ("text", _Text * len(TEXT_COLUMNS)),
        ("ts", _P),
        ("ip_hi", _P),
        ("ip_lo", _P),
        ("ip_valid", _P),
        ("status", _P),
        ("status_valid", _P),
        ("bytes", _P),
        ("bytes_valid", _P),
        ("parse_error", _P),
        ("day", _P),
        ("row", _P),
    ]


SCHEMA = pa.schema(
    [(name, pa.string()) for name in TEXT_COLUMNS]
    + [
        ("ts", pa.timestamp("us", "UTC")),
        ("ip_hi", pa.uint64()),
        ("ip_lo", pa.uint64()),
        ("status", pa.uint16()),
        ("bytes", pa.uint64()),
        ("parse_error", pa.bool_()),
        ("day", pa.date32()),
        ("row", pa.int64()),
    ]
)


@dataclass(frozen=True)
class ParsedFile:
    """A file's lines as Arrow columns, with the SHA-256 and the cleanliness of the very
    bytes parsed (no second read that logrotate could slip between)."""

    table: pa.Table
    sha256: str
    clean: bool


def check_bytes(chunks: Iterable[bytes | memoryview]) -> tuple[bool, str]:
    """(no control characters and valid UTF-8, SHA-256) of the bytes of `chunks`.

    nginx escapes control characters (\\xHH); a file holding a raw one, or broken UTF-8,
    was not written by nginx as it is and goes through the spool, which escapes them alike.
    """
    digest = hashlib.sha256()
    # Incremental: a multi-byte character may straddle two chunks.
    utf8 = codecs.getincrementaldecoder("utf-8")()
    clean = True
    for chunk in chunks:
        digest.update(chunk)
        if clean:
            found = _library().yy_scan_bytes(pa.py_buffer(chunk).address, len(chunk))
            if found & 1:
                clean = False
            elif utf8.getstate()[0] or found & 2:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    clean = False
    if clean:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            clean = False
    return clean, digest.hexdigest()


class ParserMissing(RuntimeError):
    """The compiled parser is not installed (run `make install`)."""


@cache
def _library() -> ctypes.CDLL:
    spec = importlib.util.find_spec("yiyun.websites._combined")
    if spec is None or spec.origin is None:
        raise ParserMissing(
            "yiyun.websites._combined is not built: reinstall the package (make install)"
        )
    library = ctypes.CDLL(spec.origin)
    library.yy_scan_bytes.restype = ctypes.c_int
    library.yy_scan_bytes.argtypes = [_P, ctypes.c_int64]
    library.yy_count_lines.restype = ctypes.c_int64
    library.yy_count_lines.argtypes = [_P, ctypes.c_int64]
    library.yy_parse_combined.restype = ctypes.c_int64
    library.yy_parse_combined.argtypes = [
        _P,
        ctypes.c_int64,
        ctypes.c_int,
        ctypes.c_int64,
        ctypes.POINTER(_Columns),
    ]
    return library


def _memory(size: int) -> tuple[mmap.mmap, int]:
    """Zeroed memory the kernel commits only as it is written, and its address."""
    block = mmap.mmap(-1, max(size, 1))
    return block, ctypes.addressof(ctypes.c_char.from_buffer(block))


def _read(path: Path, pool: ThreadPoolExecutor) -> tuple[mmap.mmap, int]:
    """The file's bytes in memory of our own (read in parallel parts), and how many. Not a
    mapping of the file: a file cut short meanwhile (logrotate's copytruncate) then gives
    fewer bytes, where a mapping would kill the process with SIGBUS."""
    size = path.stat().st_size
    block, _address = _memory(size)
    parts = [(size * k // THREADS, size * (k + 1) // THREADS) for k in range(THREADS)]
    fd = os.open(path, os.O_RDONLY)
    try:
        with memoryview(block) as view:

            def read(part: tuple[int, int]) -> int:
                at, end = part
                while at < end and (count := os.preadv(fd, [view[at:end]], at)):
                    at += count
                return at

            reached = list(pool.map(read, parts))
    finally:
        os.close(fd)
    # Cut short: what was read up to the first part that ended early.
    short = (at for (_, end), at in zip(parts, reached, strict=True) if at < end)
    return block, next(short, size)


def _chunks(data: mmap.mmap, start: int, size: int) -> list[tuple[int, int]]:
    """[start, size) in ranges of about CHUNK_BYTES (at least one per thread), each cut
    after a newline."""
    pieces = max(THREADS, -(-size // CHUNK_BYTES))
    bounds = []
    for index in range(1, pieces):
        cut = data.find(b"\n", max(start, size * index // pieces), size)
        if cut < 0:
            break
        bounds.append((start, cut + 1))
        start = cut + 1
    bounds.append((start, size))
    return [(s, e) for s, e in bounds if e > s]


def _parse_chunk(base: int, start: int, end: int, with_host: bool, received_us: int):
    library = _library()
    length = end - start
    rows = library.yy_count_lines(base + start, length) + 1
    blocks: dict[str, mmap.mmap] = {}
    columns = _Columns()

    def block(name: str, size: int) -> int:
        blocks[name], address = _memory(size)
        return address

    bitmap = rows // 8 + 1
    for index, name in enumerate(TEXT_COLUMNS):
        columns.text[index] = _Text(
            block(f"{name}.offsets", 4 * (rows + 1)),
            block(f"{name}.data", length),
            block(f"{name}.valid", bitmap),
            length,
        )
    for name, width in (
        ("ts", 8),
        ("ip_hi", 8),
        ("ip_lo", 8),
        ("status", 2),
        ("bytes", 8),
        ("parse_error", 1),
        ("day", 4),
        ("row", 8),
    ):
        setattr(columns, name, block(name, width * rows))
    for name in ("ip_valid", "status_valid", "bytes_valid"):
        setattr(columns, name, block(name, bitmap))
    count = library.yy_parse_combined(
        base + start, length, int(with_host), received_us, ctypes.byref(columns)
    )
    if count < 0:
        # Arrow's text offsets are 32-bit: one line (or field) cannot pass 2 GiB.
        raise DomainError(_("日志中有一行超过 2 GiB，无法归档。"))
    buffer = {name: pa.py_buffer(b) for name, b in blocks.items()}

    def fixed(kind, name, valid=None):
        return pa.Array.from_buffers(kind, count, [buffer.get(valid), buffer[name]])

    arrays = {
        name: pa.StringArray.from_buffers(
            count, buffer[f"{name}.offsets"], buffer[f"{name}.data"], buffer[f"{name}.valid"]
        )
        for name in TEXT_COLUMNS
    }
    arrays |= {
        "ts": fixed(pa.timestamp("us", "UTC"), "ts"),
        "ip_hi": fixed(pa.uint64(), "ip_hi", "ip_valid"),
        "ip_lo": fixed(pa.uint64(), "ip_lo", "ip_valid"),
        "status": fixed(pa.uint16(), "status", "status_valid"),
        "bytes": fixed(pa.uint64(), "bytes", "bytes_valid"),
        "parse_error": pc.not_equal(fixed(pa.uint8(), "parse_error"), 0),
        "day": fixed(pa.date32(), "day"),
        "row": fixed(pa.int64(), "row"),
    }
    return pa.record_batch(arrays, schema=SCHEMA)


def parse_file(path: Path, *, with_host: bool, received_us: int) -> ParsedFile:
    """The lines of a plain `path` as Arrow columns, in file order, with the bytes' check.

    Columns: ip (canonical text), remote_user, method, path, protocol, referer,
    user_agent, host, raw (the verbatim line, only where it did not parse), ts (a line
    that did not parse: `received_us`), ip_hi/ip_lo (the 128-bit key), status, bytes,
    parse_error, day and month (Asia/Shanghai) and row (0, 1, … over the file). A UTF-8
    byte order mark at the start is not part of the first line.
    """
    # One more thread than the parse uses: the check of the bytes runs beside it.
    pool = ThreadPoolExecutor(max_workers=THREADS + 1)
    data = view = None
    try:
        data, size = _read(path, pool)
        start = 3 if data[:3] == codecs.BOM_UTF8 else 0
        view = memoryview(data)
        checked = pool.submit(
            check_bytes,
            (view[at : min(at + CHECK_BYTES, size)] for at in range(0, size, CHECK_BYTES)),
        )
        base = pa.py_buffer(data).address
        parts = [
            pool.submit(_parse_chunk, base, *bounds, with_host, received_us)
            for bounds in _chunks(data, start, size)
        ]
        batches = [part.result() for part in parts]
        clean, sha256 = checked.result()
    finally:
        # The threads read `data`: none may still run when it is unmapped (an error or
        # Ctrl-C in this thread must not turn into a crash in another).
        pool.shutdown(wait=True, cancel_futures=True)
        if view is not None:
            view.release()
        if data is not None:
            data.close()
    numbered, first_row = [], 0
    for batch in batches:
        # Each chunk counts its rows from 0; here they continue over the file.
        row = batch.schema.get_field_index("row")
        numbered.append(batch.set_column(row, "row", pc.add(batch.column(row), first_row)))
        first_row += batch.num_rows
    table = pa.Table.from_batches(numbered, schema=SCHEMA)
    table = table.append_column("month", pc.floor_temporal(table["day"], unit="month"))
    return ParsedFile(table=table, sha256=sha256, clean=clean)
