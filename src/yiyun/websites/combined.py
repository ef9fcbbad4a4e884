"""Reading a plain log file in nginx `combined` (+ "$host") format with the C parser.

`combined.c` is compiled into the package when it is installed (pyproject.toml's
ext-modules) and called through ctypes: it parses a chunk of the file into Arrow
columns, two chunks at a time (ctypes releases the GIL). The result has the columns the
archive writes, already keyed: the SQL path's `_key_addresses` step is not needed.
"""

import ctypes
import importlib.util
import mmap
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from yiyun.core.errors import DomainError

# Chunks stay far below 2 GiB: Arrow's text offsets are 32-bit.
CHUNK_BYTES = 256 << 20
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


def _chunks(data: mmap.mmap, size: int) -> list[tuple[int, int]]:
    """[start, end) ranges of about CHUNK_BYTES (at least one per thread), cut after a newline."""
    pieces = max(THREADS, -(-size // CHUNK_BYTES))
    bounds, start = [], 0
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


def parse_file(path: Path, *, with_host: bool, received_us: int) -> pa.Table:
    """The lines of a plain `path` as Arrow columns, in file order.

    Columns: ip (canonical text), remote_user, method, path, protocol, referer,
    user_agent, host, raw (the verbatim line, only where it did not parse), ts (a line
    that did not parse: `received_us`), ip_hi/ip_lo (the 128-bit key), status, bytes,
    parse_error, day and month (Asia/Shanghai) and row (0, 1, … over the file).
    """
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        data, size = _read(path, pool)
        with data:
            base = pa.py_buffer(data).address
            batches = list(
                pool.map(
                    lambda bounds: _parse_chunk(base, *bounds, with_host, received_us),
                    _chunks(data, size),
                )
            )
    numbered, first_row = [], 0
    for batch in batches:
        # Each chunk counts its rows from 0; here they continue over the file.
        row = batch.schema.get_field_index("row")
        numbered.append(batch.set_column(row, "row", pc.add(batch.column(row), first_row)))
        first_row += batch.num_rows
    table = pa.Table.from_batches(numbered, schema=SCHEMA)
    return table.append_column("month", pc.floor_temporal(table["day"], unit="month"))
