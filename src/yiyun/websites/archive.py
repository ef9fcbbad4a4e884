"""The Parquet archive of access logs (2.4): compaction, merge, expiry, verification.

Files live under `<archive>/archive/<website id>/<YYYY-MM-DD>/<name>.parquet`, one
directory per website and day (Asia/Shanghai), each file sorted by client IP (then
time) so that an IP lookup reads a few row groups. Rows of one website carry a unique
`rid`, which makes paging stable.

Exactly once, at any crash point:
1. the compactor writes the new files as `<name>.parquet.pending` and fsyncs them;
2. one database transaction records them (ArchiveFile + a chained ManifestEntry each),
   the day's coverage counts, and the spool segments they came from (CompactedSegment,
   unique): a segment is in the archive exactly when that row exists;
3. the pending files are renamed into place, then the spool segments are deleted.
Recovery at the start of each run renames the pending files the database knows and
deletes the others, and deletes segments already compacted. Only one compactor runs on
an archive at a time (an exclusive lock file); several workers simply take turns.
"""

# ruff: noqa: S608 — DuckDB SQL is composed of the archive's own column names, file
# paths (quotes doubled) and constants; anything a user typed is bound as a parameter.

import codecs
import fcntl
import gzip
import hashlib
import io
import ipaddress
import logging
import os
import shutil
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction

from yiyun.core import clock
from yiyun.websites import combined
from yiyun.websites.choices import ManifestAction, RemoveReason
from yiyun.websites.conf import archive_dir
from yiyun.websites.logformat import LineFormat
from yiyun.websites.models import (
    ArchiveFile,
    CompactedSegment,
    DailyCoverage,
    ManifestEntry,
    Website,
)
from yiyun.websites.spool import SpoolWriter, segments_ready, segments_seal, spool_dirs
from yiyun.websites.tokens import fsync_dir

log = logging.getLogger("yiyun.websites.archive")

GENESIS = "0" * 64
# See merge_months: files beside a month's main file are sorted into one once there are
# MERGE_AT of them (one per compaction) or one of MERGE_ROWS lines (an imported log);
# each call merges at most MERGE_MONTHS months.
MERGE_AT = 16
MERGE_ROWS = 100_000
MERGE_MONTHS = 4
# Recovery looks for undeleted files of removals this recent.
RECOVER_REMOVED_DAYS = 30
# The Bloom filter: at least 10 bits per distinct address, 3 hash functions (under 1.7 %
# false positives). The hashes are fixed 64-bit arithmetic on the address's four 32-bit
# words, identical in DuckDB and in Python, so a filter written today reads the same
# after an upgrade of either.
BLOOM_BITS_PER_ADDRESS = 10
BLOOM_PRIME = (1 << 31) - 1
BLOOM_HASHES = (
    (0x5BD1E995, 0x1B873593, 0x0CC9E2D5, 0x68E31DA4, 0x3C6EF372),
    (0x2545F491, 0x4F6CDD1D, 0x7FEB352D, 0x1B56C4E9, 0x6A09E667),
    (0x3243F6A8, 0x13198A2E, 0x03707344, 0x299F31D0, 0x0B5A8A15),
)

ARCHIVE_COLUMNS = (
    "ts",
    "received_at",
    "ip",
    "ip_hi",
    "ip_lo",
    "host",
    "remote_user",
    "method",
    "path",
    "protocol",
    "status",
    "bytes",
    "referer",
    "user_agent",
    "extra",
    "parse_error",
    "raw",
    "rid",
    "website_id",
    "day",
)


def archive_root(root: Path | None = None) -> Path:
    path = (root or archive_dir()) / "archive"
    path.mkdir(parents=True, exist_ok=True)
    return path


def duckdb_connect(*, root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to the archive's tmp/ and speaks UTC."""
    tmp = (root or archive_dir()) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(
        config={"temp_directory": str(tmp), "preserve_insertion_order": False}
    )
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- client addresses --------------------------------------------------------------


def ip_key(address: str) -> tuple[int, int] | None:
    """An address as two 64-bit halves of its IPv6 form (IPv4 as ::ffff:a.b.c.d)."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if parsed.version == 4:
        parsed = ipaddress.IPv6Address(f"::ffff:{parsed}")
    value = int(parsed)
    return value >> 64, value & 0xFFFFFFFFFFFFFFFF


def ip_range(network: str) -> tuple[int, int]:
    """An address or CIDR as the inclusive range of 128-bit keys it covers."""
    net = ipaddress.ip_network(network.strip(), strict=False)
    if net.version == 4:
        net = ipaddress.IPv6Network(f"::ffff:{net.network_address}/{96 + net.prefixlen}")
    return int(net.network_address), int(net.broadcast_address)


def _bloom_positions(hi: int, lo: int, bits: int) -> list[int]:
    words = (hi >> 32, hi & 0xFFFFFFFF, lo >> 32, lo & 0xFFFFFFFF)
    positions = []
    for *multipliers, offset in BLOOM_HASHES:
        total = offset + sum(w * m % BLOOM_PRIME for w, m in zip(words, multipliers, strict=True))
        positions.append(total % BLOOM_PRIME % bits)
    return positions


def bloom_may_contain(bloom: bytes, key: tuple[int, int]) -> bool:
    """False only when `key` is certainly not in the filter; an empty filter (a file as
    compaction wrote it, not yet merged) rules nothing out."""
    bits = len(bloom) * 8
    if bits == 0:
        return True
    return all(bloom[p >> 3] & (0x80 >> (p & 7)) for p in _bloom_positions(*key, bits))


def _bloom_sql_positions(bits: str) -> str:
    words = (
        "(ip_hi >> 32)",
        "(ip_hi & 4294967295::UBIGINT)",
        "(ip_lo >> 32)",
        "(ip_lo & 4294967295::UBIGINT)",
    )
    expressions = []
    for *multipliers, offset in BLOOM_HASHES:
        terms = " + ".join(
            f"{w} * {m}::UBIGINT % {BLOOM_PRIME}" for w, m in zip(words, multipliers, strict=True)
        )
        expressions.append(f"({offset}::UBIGINT + {terms}) % {BLOOM_PRIME} % ({bits})")
    return ", ".join(expressions)


# -- sources -----------------------------------------------------------------------


SEPARATOR = "\x1f"  # the real control character, inside the SQL text
NEWLINE = "\\n"  # DuckDB's spelling of the option value


@dataclass(frozen=True)
class Source:
    """Lines to compact: a sealed spool segment, or a clean plain file of one website."""

    path: Path
    segment_id: str
    website_id: int | None = None  # plain files only
    received_us: int | None = None
    # A plain file already parsed by the C parser (combined.parse_file).
    table: pa.Table | None = field(default=None, compare=False, repr=False)

    def sql(self) -> str:
        path = str(self.path).replace("'", "''")
        if self.website_id is None:
            return (
                f"SELECT w AS website_id, r AS received_us, coalesce(line, '') AS line "
                f"FROM read_csv('{path}', delim='{SEPARATOR}', quote='', escape='', header=false, "
                f"columns={{'w': 'BIGINT', 'r': 'BIGINT', 'line': 'VARCHAR'}}, "
                f"auto_detect=false, new_line='{NEWLINE}') WHERE w <> 0"
            )
        return (
            f"SELECT {int(self.website_id)}::BIGINT AS website_id, "
            f"{int(self.received_us)}::BIGINT AS received_us, coalesce(line, '') AS line "
            f"FROM read_csv('{path}', delim='{SEPARATOR}', quote='', escape='', header=false, "
            f"columns={{'line': 'VARCHAR'}}, auto_detect=false, new_line='{NEWLINE}')"
        )


@dataclass
class CompactionResult:
    segments: int = 0
    lines: int = 0
    parse_errors: int = 0
    files: list[str] = field(default_factory=list)
    orphans: int = 0
    # Seconds per phase (read+parse, keys, sort+write, index, commit), for the benchmark.
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - started
        return now


# -- the compaction lock and crash recovery ----------------------------------------


@contextmanager
def compaction_lock(*, root: Path | None = None, wait: bool = False) -> Iterator[bool]:
    """Exclusive right to change the archive's files; yields False when another holds it."""
    base = root or archive_dir()
    base.mkdir(parents=True, exist_ok=True)
    fd = os.open(base / ".compaction.lock", os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _recover(root: Path) -> None:
    """Finish or undo whatever a crashed run left (called with the lock held)."""
    files = archive_root(root)
    for pending in files.glob("*/*/*.parquet.pending"):
        final = pending.with_suffix("")
        relative = str(final.relative_to(files))
        if ArchiveFile.objects.filter(path=relative, removed_at__isnull=True).exists():
            os.replace(pending, final)
            fsync_dir(final.parent)
        else:
            pending.unlink()
    for leftover in (files / "_pending").glob("*"):
        shutil.rmtree(leftover, ignore_errors=True)
    recent = clock.now() - timedelta(days=RECOVER_REMOVED_DAYS)
    for removed in ArchiveFile.objects.filter(removed_at__gte=recent).values_list(
        "path", flat=True
    ):
        (files / removed).unlink(missing_ok=True)
    ready = {path.stem: path for path in segments_ready(root=root)}
    if ready:
        for done in CompactedSegment.objects.filter(segment_id__in=list(ready)).values_list(
            "segment_id", flat=True
        ):
            ready[done].unlink(missing_ok=True)


# -- compaction --------------------------------------------------------------------


def compact(
    *,
    root: Path | None = None,
    idle_seconds: float | None = None,
    max_segments: int = 64,
) -> CompactionResult:
    """Seal idle spool segments and move what is ready into the archive."""
    root = root or archive_dir()
    if not (root / "spool").exists():
        return CompactionResult()  # nothing was ever spooled here
    with compaction_lock(root=root) as locked:
        if not locked:
            return CompactionResult()
        _recover(root)
        segments_seal(root=root, idle_seconds=idle_seconds)
        ready = segments_ready(root=root)[:max_segments]
        if not ready:
            return CompactionResult()
        sources = [Source(path=path, segment_id=path.stem) for path in ready]
        try:
            result = compact_sources(sources, root=root)
        except Exception:
            # One bad segment must not stop the archive: retry one by one, and set aside
            # (never delete) a segment that fails alone.
            log.exception("compaction of %s segments failed; retrying one by one", len(ready))
            _recover(root)
            result = CompactionResult()
            for source in sources:
                try:
                    one = compact_sources([source], root=root)
                except Exception:
                    log.exception("spool segment %s set aside in spool/failed", source.segment_id)
                    _recover(root)
                    failed = spool_dirs(root)[0].parent / "failed"
                    failed.mkdir(exist_ok=True)
                    os.replace(source.path, failed / source.path.name)
                    continue
                result.segments += one.segments
                result.lines += one.lines
                result.parse_errors += one.parse_errors
                result.files += one.files
        for path in ready:
            path.unlink(missing_ok=True)
        fsync_dir(spool_dirs(root)[1])
        return result


def compact_sources(
    sources: list[Source],
    *,
    root: Path,
    admit: Callable[[list[Source]], list[Source] | None] | None = None,
) -> CompactionResult | None:
    """Parse and write `sources` into the archive (the compaction lock is held).

    Lines are written as they came, one file per website and month; the worker's merge
    sorts them by client IP later (`merge_months`), off the ingest path. `admit`, called
    once the files are written and before they are recorded, returns the sources to
    record (their segment ids final), or None to throw the work away (then so is the
    result: None).
    """
    result = CompactionResult(segments=len(sources))
    done = set(
        CompactedSegment.objects.filter(segment_id__in=[s.segment_id for s in sources]).values_list(
            "segment_id", flat=True
        )
    )
    sources = [s for s in sources if s.segment_id not in done]
    if not sources:
        return result
    websites = {w.pk: w for w in Website.objects.only("pk", "domain", "log_format")}
    batch = f"{clock.now().strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    staging = archive_root(root) / "_pending" / batch
    connection = duckdb_connect(root=root)
    started = time.perf_counter()
    combined_file = _combined_file(sources)
    try:
        if combined_file:
            staged = _stage_combined_file(
                connection, combined_file, websites[combined_file.website_id]
            )
        else:
            staged = _stage_lines(connection, sources, websites)
        started = result.lap("read+parse", started)
        if any(s.website_id is None for s in sources):
            result.orphans = _keep_orphans(connection, root, batch)
        groups = connection.execute(
            """SELECT website_id, month, min(day), max(day), count(*),
                 count(*) FILTER (WHERE NOT ok)
               FROM parsed GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
        started = result.lap("keys", started)
        written = _write_months(connection, groups, websites, staging, staged)
        started = result.lap("write", started)
        coverage = connection.execute(
            f"""SELECT website_id, day, {local_hour_sql("ts")} AS h,
                 count(*), count(*) FILTER (WHERE NOT ok)
               FROM parsed GROUP BY ALL"""
        ).fetchall()
        result.lines = sum(g[4] for g in groups)
        result.parse_errors = sum(g[5] for g in groups)
        started = result.lap("index+coverage", started)
    finally:
        connection.close()
    if admit is not None:
        sources = admit(sources)
        if sources is None:
            shutil.rmtree(staging, ignore_errors=True)
            return None
    # No Bloom filter yet: these files are few and short-lived, the merge writes one.
    files = _stage_files(written, root, batch, blooms={})
    _record(sources=sources, files=files, coverage=coverage, batch=batch)
    _publish(files, root)
    shutil.rmtree(staging, ignore_errors=True)
    result.lap("fsync+commit", started)
    result.files = [f["path"] for f in files]
    return result


@dataclass(frozen=True)
class _Staged:
    """How to read `parsed` back: its column numbering the rows, and what follows FROM to
    read one (website, month) of it."""

    row_number: str
    month_rows: Callable[[int, date], str]


def _write_months(
    connection, groups: list, websites: dict[int, Website], staging: Path, staged: _Staged
):
    """One file per (website, month) of `parsed`, in staging; row ids reserved first
    (rid = start + the row's number)."""
    counts: dict[int, int] = defaultdict(int)
    for website_id, *_range, rows, _errors in groups:
        counts[int(website_id)] += rows
    starts = _reserve_row_ids(counts) if counts else {}
    staging.mkdir(parents=True, exist_ok=True)
    written = []
    for website_id, month, first_day, last_day, _rows, _errors in groups:
        target = staging / f"{website_id}-{month:%Y-%m}.parquet"
        projection = _archive_projection(
            start=starts[website_id],
            domain=websites[website_id].domain,
            row_number=staged.row_number,
        )
        rows = staged.month_rows(int(website_id), month)
        _copy_parquet(connection, f"SELECT {projection} FROM {rows}", target)
        written.append(_Written(target, int(website_id), month, first_day, last_day, False))
    return written


def _stage_lines(connection, sources: list[Source], websites: dict[int, Website]) -> _Staged:
    """Read every source and parse each line in its website's format into `parsed`.

    One pass: `parsed` holds what the files need, with IPv4 keys already computed and the
    raw line only where it may be needed (a line that did not parse, or an address that
    is not plain IPv4, then keyed by `_key_addresses`).
    """
    union = " UNION ALL ".join(f"({source.sql()})" for source in sources)
    connection.execute(f"CREATE TEMP VIEW src AS {union}")
    by_format: dict[str, list[int]] = defaultdict(list)
    plain_ids = {s.website_id for s in sources if s.website_id is not None}
    spooled = any(s.website_id is None for s in sources)
    for pk, website in websites.items():
        if spooled or pk in plain_ids:
            by_format[website.log_format or ""].append(pk)
    selects = []
    for source_format, ids in by_format.items():
        relation = (
            "src"
            if len(by_format) == 1
            else f"(SELECT * FROM src WHERE website_id IN ({', '.join(map(str, ids))}))"
        )
        selects.append(LineFormat(source_format).select(relation))
    if not selects:
        selects.append(LineFormat("").select("(SELECT * FROM src WHERE false)"))
    known = ", ".join(map(str, websites)) or "0"
    octets = [f"try_cast(o[{n}] AS UTINYINT)" for n in (1, 2, 3, 4)]
    v4_lo = (
        f"(281470681743360 + ({octets[0]}::UBIGINT << 24) + ({octets[1]}::UBIGINT << 16)"
        f" + ({octets[2]}::UBIGINT << 8) + {octets[3]})::UBIGINT"
    )
    # Dotted decimal exactly as inet_pton reads it (as combined.c does): no leading zeros,
    # signs or spaces; anything else is tried as IPv6 in _key_addresses.
    v4_canonical = " AND ".join(f"{octets[n - 1]}::VARCHAR = o[{n}]" for n in (1, 2, 3, 4))
    received = "make_timestamp(received_us)::TIMESTAMPTZ"
    moment = f"CASE WHEN ok THEN ts ELSE {received} END"
    connection.execute(
        f"""CREATE TEMP TABLE parsed AS
        SELECT * EXCLUDE (o, line, v4_lo, ok, ts, received_us),
          ok AND v4_lo IS NOT NULL AS ok,
          {moment} AS ts,
          CASE WHEN ok AND v4_lo IS NOT NULL THEN 0::UBIGINT END AS ip_hi,
          CASE WHEN ok THEN v4_lo END AS ip_lo,
          {received} AS received_at,
          ok AND v4_lo IS NULL AS check_address,
          CASE WHEN NOT ok OR v4_lo IS NULL THEN line END AS line,
          {local_day_sql(moment)} AS day,
          date_trunc('month', {local_day_sql(moment)})::DATE AS month
        FROM (
          SELECT *,
            CASE WHEN len(o) = 4 AND {v4_canonical} THEN {v4_lo} END AS v4_lo
          FROM (
            SELECT * REPLACE (coalesce(ok, false) AS ok), string_split(remote_addr, '.') AS o
            FROM ({" UNION ALL BY NAME ".join(f"({s})" for s in selects)})
            WHERE website_id IN ({known})))"""
    )
    if spooled:
        connection.execute(
            f"""CREATE TEMP TABLE orphans AS SELECT website_id, received_us, line FROM src
            WHERE website_id NOT IN ({known})"""
        )
    _key_addresses(connection)
    return _Staged(
        "rowid",
        lambda website_id, month: (
            f"parsed WHERE website_id = {website_id} AND month = DATE '{month.isoformat()}'"
        ),
    )


# The C parser holds a file's columns in memory (about the file's size again); a larger
# file goes to DuckDB, which spills to disk.
COMBINED_MAX_BYTES = 1 << 30


def _combined_file(sources: list[Source]) -> Source | None:
    """The source already parsed by the C parser (a plain file import), if that is all."""
    return sources[0] if len(sources) == 1 and sources[0].table is not None else None


def _stage_combined_file(connection, source: Source, website: Website) -> _Staged:
    """`parsed` (as a view, with its keys) for a plain file read by the C parser."""
    table = source.table

    def select(relation: str) -> str:
        return f"""SELECT {int(website.pk)}::BIGINT AS website_id, ts,
          make_timestamp({int(source.received_us)})::TIMESTAMPTZ AS received_at,
          ip AS remote_addr, ip_hi, ip_lo, host, remote_user, method, path, protocol, status,
          bytes, referer, user_agent, NULL::VARCHAR AS extra, NOT parse_error AS ok,
          raw AS line, day, month, row AS row_no
        FROM {relation}"""

    connection.register("combined_lines", table)
    connection.execute(f"CREATE TEMP VIEW parsed AS {select('combined_lines')}")
    months = _month_pieces(table)

    def month_rows(website_id: int, month: date) -> str:
        name = f"combined_{month:%Y_%m}"
        connection.register(name, months[month])
        return f"({select(name)})"

    return _Staged("row_no", month_rows)


# A file whose months come in more runs than this is sorted by month before it is cut.
MONTH_RUNS = 256


def _month_pieces(table: pa.Table) -> dict[date, pa.Table]:
    """The rows of each month. A log file is in time order, so its months come in a few
    runs (a malformed line, dated when it was received, makes two more): slices of the
    table, no copy; otherwise the table is sorted by month first."""
    months = table["month"].combine_chunks()
    runs = pc.run_end_encode(months, run_end_type=pa.int64())
    if len(runs.values) > MONTH_RUNS:
        table = table.take(pc.sort_indices(months))
        runs = pc.run_end_encode(table["month"].combine_chunks(), run_end_type=pa.int64())
    pieces: dict[date, list[pa.Table]] = defaultdict(list)
    start = 0
    for month, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        pieces[month].append(table.slice(start, end - start))
        start = end
    return {month: pa.concat_tables(parts) for month, parts in pieces.items()}


def _key_addresses(connection) -> None:
    """Keys for the (few distinct) addresses that are not plain IPv4, found in Python.

    A parsed line whose address is not an address at all (or missing, as a custom format
    allows) becomes a parse error, its time the time it was received.
    """
    if not connection.execute("SELECT count(*) FROM parsed WHERE check_address").fetchone()[0]:
        return
    addresses = connection.execute(
        "SELECT DISTINCT remote_addr FROM parsed WHERE check_address AND remote_addr IS NOT NULL"
    ).fetchall()
    v6 = {"addr": [], "canonical": [], "hi": [], "lo": []}
    for (address,) in addresses:
        try:
            packed = socket.inet_pton(socket.AF_INET6, address)
        except (OSError, ValueError):
            continue
        value = int.from_bytes(packed, "big")
        v6["addr"].append(address)
        if value >> 32 == 0xFFFF:  # ::ffff:a.b.c.d is an IPv4 client
            v6["canonical"].append(socket.inet_ntop(socket.AF_INET, packed[12:]))
        else:
            v6["canonical"].append(socket.inet_ntop(socket.AF_INET6, packed))
        v6["hi"].append(value >> 64)
        v6["lo"].append(value & 0xFFFFFFFFFFFFFFFF)
    if v6["addr"]:
        keys = pa.table(
            {
                "addr": pa.array(v6["addr"], pa.string()),
                "canonical": pa.array(v6["canonical"], pa.string()),
                "hi": pa.array(v6["hi"], pa.uint64()),
                "lo": pa.array(v6["lo"], pa.uint64()),
            }
        )
        connection.register("v6_keys", keys)
        connection.execute(
            """UPDATE parsed SET ok = true, ip_hi = k.hi, ip_lo = k.lo, remote_addr = k.canonical
               FROM v6_keys k WHERE parsed.check_address AND parsed.remote_addr = k.addr"""
        )
        connection.unregister("v6_keys")
    moment = "received_at"
    connection.execute(
        f"""UPDATE parsed SET ts = {moment}, day = {local_day_sql(moment)},
             month = date_trunc('month', {local_day_sql(moment)})::DATE
           WHERE check_address AND NOT ok"""
    )


def _keep_orphans(connection, root: Path, batch: str) -> int:
    """Lines for a website that does not exist (deleted since): kept aside, never dropped."""
    count = connection.execute("SELECT count(*) FROM orphans").fetchone()[0]
    if count:
        target = spool_dirs(root)[0].parent / "orphans"
        target.mkdir(exist_ok=True)
        path = str(target / f"{batch}.csv").replace("'", "''")
        connection.execute(f"COPY orphans TO '{path}' (HEADER)")
        log.warning("%s lines for unknown websites kept in %s", count, path)
    return int(count)


def _reserve_row_ids(counts: dict[int, int]) -> dict[int, int]:
    """A block of row ids per website, as large as the whole batch (rid = start + rowid)."""
    total = sum(counts.values())
    starts = {}
    with transaction.atomic():
        # Locked in id order, like every other writer of these rows, to avoid deadlocks.
        for website in Website.objects.select_for_update().filter(pk__in=counts).order_by("pk"):
            starts[website.pk] = website.next_row_id
            website.next_row_id += total
            website.save(update_fields=["next_row_id"])
    return starts


# Asia/Shanghai has kept UTC+8 without daylight saving since 1991: a day or an hour there
# is plain arithmetic on the epoch, much cheaper than a time-zone lookup per row.
_LOCAL_MICROS = "(epoch_us({ts}) + 28800000000)"
_DAY_MICROS = 86_400_000_000


def local_day_sql(ts: str) -> str:
    # DuckDB's // truncates toward zero: subtract the (non-negative) remainder first, so
    # that a time before 1970 falls on its day too (as in combined.c).
    micros = _LOCAL_MICROS.format(ts=ts)
    remainder = f"(({micros} % {_DAY_MICROS} + {_DAY_MICROS}) % {_DAY_MICROS})"
    return f"(DATE '1970-01-01' + (({micros} - {remainder}) // {_DAY_MICROS})::INTEGER)"


def local_hour_sql(ts: str) -> str:
    micros = _LOCAL_MICROS.format(ts=ts)
    return f"((({micros} % {_DAY_MICROS} + {_DAY_MICROS}) % {_DAY_MICROS}) // 3600000000)"


def _archive_projection(*, start: int, domain: str, row_number: str) -> str:
    """The archive's columns from a row of `parsed` (rid = start + row_number)."""
    domain_sql = "'" + domain.replace("'", "''") + "'"
    # A line that did not parse keeps only its raw text and when it was received.
    parsed_only = {
        "ip": "remote_addr",
        "ip_hi": "ip_hi",
        "ip_lo": "ip_lo",
        "host": f"coalesce(host, {domain_sql})",
        **{name: name for name in ARCHIVE_COLUMNS[6:15]},
    }
    columns = [
        "ts",
        "received_at",
        *(f"CASE WHEN ok THEN {sql} END AS {name}" for name, sql in parsed_only.items()),
        "NOT ok AS parse_error",
        "CASE WHEN NOT ok THEN line END AS raw",
        f"({int(start)} + {row_number})::UBIGINT AS rid",
        "website_id",
        "day",
    ]
    return ", ".join(columns)


# Row groups of 8,192 rows: measured faster for IP lookups than 2,048 (fewer groups to
# consider) and as fast to write; format v2's encodings make the files ~10 % smaller.
PARQUET_OPTIONS = (
    "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 8192, PARQUET_VERSION v2"
)


def _copy_parquet(connection, select: str, target: Path) -> None:
    path = str(target).replace("'", "''")
    connection.execute(f"COPY ({select}) TO '{path}' ({PARQUET_OPTIONS})")


@dataclass(frozen=True)
class _Written:
    """A Parquet file written to staging, before it is moved next to its final place."""

    path: Path
    website_id: int
    month: date
    first_day: date
    last_day: date
    ip_sorted: bool


def _blooms(connection, relation: str) -> dict[tuple[int, date], bytes]:
    """One Bloom filter of client addresses per (website, month) of `relation`.

    A filter has a power of two of bits, at least 10 per distinct address, so that files
    of one size class share a single `bitstring_agg` (whose range must be constant).
    """
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE bloom_keys AS
        SELECT DISTINCT website_id, date_trunc('month', day)::DATE AS month, ip_hi, ip_lo
        FROM {relation} WHERE ip_hi IS NOT NULL"""
    )
    counts = connection.execute(
        "SELECT website_id, month, count(*) FROM bloom_keys GROUP BY ALL"
    ).fetchall()
    classes: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for website_id, month, n in counts:
        bits = max(64, 1 << (BLOOM_BITS_PER_ADDRESS * int(n) - 1).bit_length())
        classes[bits].append((int(website_id), month))
    blooms: dict[tuple[int, date], bytes] = {}
    for bits, members in classes.items():
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE bloom_members (website_id BIGINT, month DATE)"
        )
        connection.executemany("INSERT INTO bloom_members VALUES (?, ?)", members)
        rows = connection.execute(
            f"""SELECT website_id, month, bitstring_agg(p::BIGINT, 0, {bits - 1})::BLOB
            FROM (SELECT website_id, month, unnest([{_bloom_sql_positions(str(bits))}]) AS p
                  FROM bloom_keys JOIN bloom_members USING (website_id, month))
            GROUP BY ALL"""
        ).fetchall()
        blooms.update({(int(wid), month): bytes(bloom) for wid, month, bloom in rows})
    return blooms


def _stage_files(
    written: list[_Written], root: Path, batch: str, blooms: dict[tuple[int, date], bytes]
) -> list[dict]:
    """Move the written files next to their final place as `.pending`, fsync'd."""
    files = []
    base = archive_root(root)
    for index, w in enumerate(written):
        relative = f"{w.website_id}/{w.month:%Y-%m}/{batch}-{index}.parquet"
        final = base / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        pending = final.with_name(final.name + ".pending")
        os.replace(w.path, pending)
        _fsync_file(pending)
        fsync_dir(final.parent)
        files.append(
            {
                "website_id": w.website_id,
                "first_day": w.first_day,
                "last_day": w.last_day,
                "ip_sorted": w.ip_sorted,
                "path": relative,
                "rows": pq.read_metadata(pending).num_rows,
                "bytes": pending.stat().st_size,
                "sha256": sha256_file(pending),
                "bloom": blooms.get((w.website_id, w.month), b""),
            }
        )
    return files


def _entry_content(entry: ManifestEntry) -> bytes:
    import json

    content = {
        "website": entry.website_id,
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "action": entry.action,
        "reason": entry.reason,
        "day": entry.first_day.isoformat(),
        "path": entry.path,
        "rows": entry.rows,
        "bytes": entry.bytes,
        "sha256": entry.sha256,
        "bloom_sha256": entry.bloom_sha256,
        "segments": entry.segments,
        "prev_hash": entry.prev_hash,
    }
    if entry.last_day != entry.first_day:  # entries of one-day files hash as before
        content["last_day"] = entry.last_day.isoformat()
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def manifest_entry_hash(entry: ManifestEntry) -> str:
    return hashlib.sha256(_entry_content(entry)).hexdigest()


class _Chain:
    """Appends to websites' manifest chains inside one transaction (rows already locked)."""

    def __init__(self, website_ids):
        self.last: dict[int, tuple[int, str]] = {}
        for website_id in website_ids:
            entry = (
                ManifestEntry.objects.filter(website_id=website_id)
                .order_by("-seq")
                .only("seq", "hash")
                .first()
            )
            self.last[website_id] = (entry.seq, entry.hash) if entry else (0, GENESIS)
        self.entries: list[ManifestEntry] = []

    def append(self, **fields) -> ManifestEntry:
        seq, prev_hash = self.last[fields["website_id"]]
        entry = ManifestEntry(seq=seq + 1, prev_hash=prev_hash, **fields)
        entry.hash = manifest_entry_hash(entry)
        self.last[entry.website_id] = (entry.seq, entry.hash)
        self.entries.append(entry)
        return entry

    def save(self) -> None:
        ManifestEntry.objects.bulk_create(self.entries)


def _lock_websites(website_ids) -> None:
    # Locked in id order, like every other writer of these rows, to avoid deadlocks.
    list(
        Website.objects.select_for_update()
        .filter(pk__in=set(website_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def _record(*, sources: list[Source], files: list[dict], coverage: list, batch: str) -> None:
    """The commit point: files, manifest links, coverage and the segments, all or nothing."""
    if any(not s.segment_id for s in sources):
        raise ValueError("a source without a segment id cannot be recorded")
    at = clock.now()
    website_ids = {f["website_id"] for f in files} | {row[0] for row in coverage}
    _lock_websites(website_ids)
    # Unique segment ids: a second compactor of the same segments fails here.
    CompactedSegment.objects.bulk_create(
        [CompactedSegment(segment_id=s.segment_id, batch=batch, compacted_at=at) for s in sources]
    )
    chain = _Chain(website_ids)
    segment_ids = [s.segment_id for s in sources]
    for f in files:
        chain.append(
            website_id=f["website_id"],
            at=at,
            action=ManifestAction.ADD,
            first_day=f["first_day"],
            last_day=f["last_day"],
            path=f["path"],
            rows=f["rows"],
            bytes=f["bytes"],
            sha256=f["sha256"],
            bloom_sha256=hashlib.sha256(f["bloom"]).hexdigest(),
            segments=segment_ids,
        )
    chain.save()
    ArchiveFile.objects.bulk_create(
        [
            ArchiveFile(
                website_id=f["website_id"],
                first_day=f["first_day"],
                last_day=f["last_day"],
                ip_sorted=f["ip_sorted"],
                path=f["path"],
                rows=f["rows"],
                bytes=f["bytes"],
                sha256=f["sha256"],
                ip_bloom=f["bloom"],
                added_at=at,
            )
            for f in files
        ]
    )
    _coverage_add(coverage)


def _coverage_add(coverage: list) -> None:
    by_day: dict[tuple[int, date], list] = defaultdict(lambda: [0, 0, [0] * 24])
    for website_id, day, hour, count, errors in coverage:
        slot = by_day[(int(website_id), day)]
        slot[0] += count
        slot[1] += errors
        slot[2][int(hour)] += count
    existing = {
        (row.website_id, row.day): row
        for row in DailyCoverage.objects.filter(
            website_id__in={k[0] for k in by_day}, day__in={k[1] for k in by_day}
        )
    }
    new, changed = [], []
    for (website_id, day), (count, errors, hours) in by_day.items():
        row = existing.get((website_id, day))
        if row is None:
            new.append(
                DailyCoverage(
                    website_id=website_id, day=day, lines=count, parse_errors=errors, hours=hours
                )
            )
        else:
            row.lines += count
            row.parse_errors += errors
            row.hours = [a + b for a, b in zip(row.hours or [0] * 24, hours, strict=True)]
            changed.append(row)
    DailyCoverage.objects.bulk_create(new)
    DailyCoverage.objects.bulk_update(changed, ["lines", "parse_errors", "hours"])


def _publish(files: list[dict], root: Path) -> None:
    base = archive_root(root)
    parents = set()
    for f in files:
        final = base / f["path"]
        os.replace(final.with_name(final.name + ".pending"), final)
        parents.add(final.parent)
    for parent in parents:
        fsync_dir(parent)


# -- imports -----------------------------------------------------------------------


def _plain_and_clean(path: Path) -> tuple[bool, str]:
    """(no control characters and valid UTF-8, SHA-256) for a plain file, in one pass."""
    with open(path, "rb") as handle:
        return combined.check_bytes(iter(lambda: handle.read(combined.CHECK_BYTES), b""))


def import_file(
    *, website: Website, path: Path, root: Path | None = None
) -> tuple[CompactionResult, bool]:
    """Put a log file (plain or .gz) into the archive once; returns (result, newly added).

    The segment id is the SHA-256 of the bytes read, so importing the same file again adds
    nothing. A clean plain file is read in place; anything else goes through the spool
    first, which escapes control characters as nginx does.
    """
    root = root or archive_dir()
    from yiyun.websites.spool import received_now_us

    received = received_now_us()
    with compaction_lock(root=root, wait=True):
        _recover(root)
        with open(path, "rb") as handle:
            is_gzip = handle.read(2) == b"\x1f\x8b"
        # DuckDB would read a name with wildcards as a pattern: such a file is spooled.
        if not is_gzip and not any(c in str(path) for c in "*?[{"):
            result = _import_in_place(website, path, received, root)
            if result is not None:
                return result
        spooled, digest = _spool_file(website=website, path=path, is_gzip=is_gzip, root=root)
        try:
            segment_id = f"import-{digest}"
            if CompactedSegment.objects.filter(segment_id=segment_id).exists():
                return CompactionResult(), False
            source = Source(path=spooled, segment_id=segment_id)
            return compact_sources([source], root=root), True
        finally:
            spooled.unlink(missing_ok=True)


def _imported(digest: str) -> bool:
    return CompactedSegment.objects.filter(segment_id=f"import-{digest}").exists()


def _import_in_place(
    website: Website, path: Path, received: int, root: Path
) -> tuple[CompactionResult, bool] | None:
    """import_file's (result, newly added) for a clean plain file read in place, or None
    when it must go through the spool (not clean, or changed while DuckDB read it)."""
    with_host = LineFormat(website.log_format).combined_with_host
    if with_host is not None and path.stat().st_size <= COMBINED_MAX_BYTES:
        started = time.perf_counter()
        parsed = combined.parse_file(path, with_host=with_host, received_us=received)
        parse_seconds = time.perf_counter() - started
        if not parsed.clean:
            return None
        if _imported(parsed.sha256):
            return CompactionResult(), False
        source = Source(
            path=path,
            segment_id=f"import-{parsed.sha256}",
            website_id=website.pk,
            received_us=received,
            table=parsed.table,
        )
        result = compact_sources([source], root=root)
        result.timings["read+parse"] = result.timings.get("read+parse", 0.0) + parse_seconds
        return result, True
    # DuckDB reads the file itself, its hash and cleanliness are checked beside (hashlib
    # and DuckDB both release the GIL); a file that changed meanwhile is spooled instead.
    before = _identity(path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(_plain_and_clean, path)

        def admit(sources: list[Source]) -> list[Source] | None:
            clean, digest = checked.result()
            if not clean or _imported(digest) or _identity(path) != before:
                return None
            return [replace(source, segment_id=f"import-{digest}") for source in sources]

        source = Source(path=path, segment_id="", website_id=website.pk, received_us=received)
        try:
            result = compact_sources([source], root=root, admit=admit)
        except duckdb.Error:
            # Control characters or broken UTF-8 can stop DuckDB; such a file is spooled.
            if checked.result()[0]:
                raise
            result = None
        clean, digest = checked.result()
    if result is None and clean and _imported(digest) and _identity(path) == before:
        return CompactionResult(), False
    return None if result is None else (result, True)


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is rewritten, appended to, truncated or replaced."""
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


class _HashingReader(io.RawIOBase):
    """A file's bytes as they are read, hashed on the way (SHA-256 of exactly those)."""

    def __init__(self, raw):
        self.raw, self.digest = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
        return count


def _spool_file(*, website: Website, path: Path, is_gzip: bool, root: Path) -> tuple[Path, str]:
    """The file's lines spooled (out of the ready queue), and the SHA-256 of the file's
    bytes as they were read (compressed ones for a .gz)."""
    writer = SpoolWriter(root)
    received = None
    batch: list[str] = []
    with open(path, "rb", buffering=0) as raw:
        hashing = _HashingReader(raw)
        handle = io.BufferedReader(hashing, buffer_size=1 << 20)
        lines = gzip.GzipFile(fileobj=handle) if is_gzip else handle
        for number, line in enumerate(lines):
            if number == 0:
                line = line.removeprefix(codecs.BOM_UTF8)  # as the other readers do
            batch.append(line.rstrip(b"\r\n").decode("utf-8", "backslashreplace"))
            if len(batch) >= 50_000:
                writer.append(website.pk, batch, received_us=received)
                batch = []
        if batch:
            writer.append(website.pk, batch, received_us=received)
        digest = hashing.digest.hexdigest()
    sealed = writer.seal()
    writer.close()
    if sealed is None:  # an empty file
        sealed = spool_dirs(root)[1] / f"empty-{os.getpid()}.log"
        sealed.write_bytes(b"")
    # Out of ready/: only this import compacts it (under its segment id).
    target = archive_root(root) / "_pending" / f"import-{sealed.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(sealed, target)
    return target, digest


# -- merge and expiry --------------------------------------------------------------


def _live_files(**filters):
    return ArchiveFile.objects.filter(removed_at__isnull=True, **filters)


def _month_of(day: date) -> date:
    return day.replace(day=1)


def merge_months(
    *,
    now: datetime | None = None,
    root: Path | None = None,
    limit: int | None = MERGE_MONTHS,
    everything: bool = False,
) -> int:
    """Merge months' files into files sorted by client IP; returns the merges done.

    A month keeps one main file (its earliest sorted one). The files beside it are sorted
    into one once there are MERGE_AT of them or an unsorted one has MERGE_ROWS lines (an
    import): that costs what arrived since, not the month. They are folded into the main
    file once one of them holds only closed days (a day is closed an hour after it ends:
    late lines still arrive in that hour), so the current month is rewritten about once
    a day and a lookup over half a year opens about seven files. At most `limit` merges
    per call, so that one call never holds the archive's lock for long. `everything`
    folds every month into one file now (`yiyun logs import` and `compact` do).
    """
    root = root or archive_dir()
    now = now or clock.now()
    closed_before = (clock.local(now) - timedelta(hours=1)).date()
    by_month: dict[tuple[int, date], list[ArchiveFile]] = defaultdict(list)
    for f in _live_files().only("pk", "website_id", "first_day", "last_day", "ip_sorted", "rows"):
        by_month[(f.website_id, _month_of(f.first_day))].append(f)
    plans = [
        [f.pk for f in inputs]
        for _key, files in sorted(by_month.items())
        if (inputs := _merge_inputs(files, closed_before, everything=everything))
    ][:limit]
    if not plans:
        return 0
    merged = 0
    with compaction_lock(root=root) as locked:
        if not locked:
            return 0
        _recover(root)
        for pks in plans:
            try:
                _rewrite(list(_live_files(pk__in=pks)), root=root, reason=RemoveReason.MERGED)
            except _Conflict:
                continue
            merged += 1
    return merged


def _merge_inputs(
    files: list[ArchiveFile], closed_before: date, *, everything: bool = False
) -> list[ArchiveFile]:
    """The files of one month to merge now (see `merge_months`), or none."""
    # The main file is the sorted one that starts earliest: files sorted beside it hold
    # what came later.
    main = min(
        (f for f in files if f.ip_sorted), key=lambda f: (f.first_day, -f.rows), default=None
    )
    beside = [f for f in files if f is not main]
    if not beside:
        return []
    if everything or any(f.last_day < closed_before for f in beside):
        return files
    if len(beside) >= MERGE_AT or any(not f.ip_sorted and f.rows >= MERGE_ROWS for f in beside):
        return beside if len(beside) > 1 or not beside[0].ip_sorted else []
    return []


class _Conflict(Exception):
    """Another process changed the files being rewritten; nothing was changed."""


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _rewrite(
    inputs: list[ArchiveFile],
    *,
    root: Path,
    reason: str,
    drop_days: set[date] = frozenset(),
) -> ArchiveFile | None:
    """Replace `inputs` (files of one website and month) by one file sorted by client IP,
    without the rows of `drop_days`; returns the new file (None when no row is left).
    Raises _Conflict, changing nothing, when another process changed `inputs` meanwhile."""
    if not inputs:
        return None
    base = archive_root(root)
    website_id = inputs[0].website_id
    month = _month_of(inputs[0].first_day)
    batch = f"{clock.now().strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}-{reason}"
    staging = base / "_pending" / batch
    staging.mkdir(parents=True, exist_ok=True)
    connection = duckdb_connect(root=root)
    try:
        paths = "[" + ", ".join(_sql_path(base / f.path) for f in inputs) + "]"
        dropped = ", ".join(f"DATE '{day.isoformat()}'" for day in sorted(drop_days))
        keep = f"WHERE day NOT IN ({dropped})" if dropped else ""
        connection.execute(
            f"""CREATE TEMP TABLE merged AS
            SELECT {", ".join(ARCHIVE_COLUMNS)} FROM read_parquet({paths}) {keep}"""
        )
        span = connection.execute("SELECT min(day), max(day), count(*) FROM merged").fetchone()
        written, blooms = [], {}
        if span[2]:
            target = staging / "merged.parquet"
            _copy_parquet(
                connection,
                "SELECT * FROM merged ORDER BY ip_hi, ip_lo, ts, rid",
                target,
            )
            written = [_Written(target, website_id, month, span[0], span[1], ip_sorted=True)]
            blooms = _blooms(connection, "merged")
    finally:
        connection.close()
    files = _stage_files(written, root, batch, blooms)
    with transaction.atomic():
        _lock_websites([website_id])
        still_live = _live_files(pk__in=[f.pk for f in inputs]).count()
        if still_live != len(inputs):
            transaction.set_rollback(True)
            for f in files:
                (base / (f["path"] + ".pending")).unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            raise _Conflict
        _remove(inputs, reason)
        _record(sources=[], files=files, coverage=[], batch=batch)
    _publish(files, root)
    for f in inputs:
        (base / f.path).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return _live_files(path=files[0]["path"]).first() if files else None


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _remove(files: list[ArchiveFile], reason: str) -> None:
    at = clock.now()
    chain = _Chain({f.website_id for f in files})
    for f in files:
        chain.append(
            website_id=f.website_id,
            at=at,
            action=ManifestAction.REMOVE,
            reason=reason,
            first_day=f.first_day,
            last_day=f.last_day,
            path=f.path,
            rows=f.rows,
            bytes=f.bytes,
            sha256=f.sha256,
            bloom_sha256=hashlib.sha256(bytes(f.ip_bloom)).hexdigest(),
            segments=[],
        )
    chain.save()
    ArchiveFile.objects.filter(pk__in=[f.pk for f in files]).update(
        removed_at=at, removed_reason=reason
    )


def live_days(*, website: Website, last: date) -> list[date]:
    """The days up to `last` that the website's live files may hold lines of."""
    days: set[date] = set()
    for first_day, last_day in _live_files(website=website, first_day__lte=last).values_list(
        "first_day", "last_day"
    ):
        day = first_day
        while day <= min(last_day, last):
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def expire_days(
    *,
    website: Website,
    days: list[date],
    root: Path | None = None,
    reason: str = RemoveReason.EXPIRED,
) -> dict[date, int]:
    """Delete the lines of `days` (retention, or the purge at the end of service): a file
    wholly inside them is removed, one that also holds other days is rewritten without
    them. Returns the lines deleted per day (days that had none are left out)."""
    root = root or archive_dir()
    wanted = set(days)
    deleted: dict[date, int] = defaultdict(int)
    base = archive_root(root)
    with compaction_lock(root=root, wait=True):
        _recover(root)
        for month in sorted({_month_of(day) for day in wanted}):
            inputs = _live_files(website=website, first_day__gte=month).filter(
                first_day__lt=_next_month(month)
            )
            touched = [f for f in inputs if _overlaps(f, wanted)]
            per_file = _lines_on_days(touched, wanted, base)
            whole = [f for f in touched if _days_of(f) <= wanted]
            partial = [f for f in touched if f not in whole and per_file.get(f.path)]
            if whole:
                with transaction.atomic():
                    _lock_websites([website.pk])
                    if _live_files(pk__in=[f.pk for f in whole]).count() != len(whole):
                        continue  # another process changed them: the next run sees
                    _remove(whole, reason)
                for f in whole:
                    (base / f.path).unlink(missing_ok=True)
            try:
                _rewrite(partial, root=root, reason=reason, drop_days=wanted)
            except _Conflict:
                partial = []
            for f in [*whole, *partial]:
                for day, count in per_file.get(f.path, {}).items():
                    deleted[day] += count
    return dict(deleted)


def _lines_on_days(files: list[ArchiveFile], days: set[date], base: Path) -> dict:
    """{path: {day: lines}} of `files`' lines on `days`."""
    if not files:
        return {}
    paths = "[" + ", ".join(_sql_path(base / f.path) for f in files) + "]"
    wanted = ", ".join(f"DATE '{day.isoformat()}'" for day in sorted(days))
    connection = duckdb_connect(root=base.parent)
    try:
        rows = connection.execute(
            f"""SELECT filename, day, count(*) FROM read_parquet({paths}, filename = true)
                WHERE day IN ({wanted}) GROUP BY ALL"""
        ).fetchall()
    finally:
        connection.close()
    by_path = {str(base / f.path): f.path for f in files}
    result: dict[str, dict[date, int]] = defaultdict(dict)
    for filename, day, count in rows:
        result[by_path[filename]][day] = count
    return result


def _days_of(f: ArchiveFile) -> set[date]:
    return {f.first_day + timedelta(days=n) for n in range((f.last_day - f.first_day).days + 1)}


def _overlaps(f: ArchiveFile, days: set[date]) -> bool:
    return any(f.first_day <= day <= f.last_day for day in days)


# -- verification ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    website_id: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def verify(*, website_ids: list[int] | None = None, root: Path | None = None) -> list[Problem]:
    """Check the manifest chains, and every file on disk against them.

    Finds a changed entry or a broken link, a file whose bytes or row count differ, a
    file that is missing, and a file that is there but should not be.
    """
    base = archive_root(root)
    problems: list[Problem] = []
    ids = website_ids or list(Website.objects.values_list("pk", flat=True))
    for website_id in ids:
        live: dict[str, ManifestEntry] = {}
        prev_hash, expected = GENESIS, 1
        for entry in ManifestEntry.objects.filter(website_id=website_id).order_by("seq"):
            if entry.seq != expected:
                problems.append(
                    Problem(website_id, entry.path, f"manifest entries {expected}.. missing")
                )
            if entry.prev_hash != prev_hash:
                problems.append(
                    Problem(website_id, entry.path, f"manifest entry {entry.seq} is unlinked")
                )
            if manifest_entry_hash(entry) != entry.hash:
                problems.append(
                    Problem(website_id, entry.path, f"manifest entry {entry.seq} was changed")
                )
            if entry.action == ManifestAction.ADD:
                live[entry.path] = entry
            else:
                live.pop(entry.path, None)
            prev_hash, expected = entry.hash, entry.seq + 1
        recorded = {f.path: f for f in _live_files(website_id=website_id)}
        for path in set(recorded) ^ set(live):
            problems.append(Problem(website_id, path, "file list differs from the manifest"))
        for path, entry in live.items():
            on_disk = base / path
            if not on_disk.exists():
                problems.append(Problem(website_id, path, "missing"))
                continue
            if sha256_file(on_disk) != entry.sha256:
                problems.append(Problem(website_id, path, "changed (SHA-256 differs)"))
                continue
            try:
                rows = pq.read_metadata(on_disk).num_rows
            except (OSError, pa.ArrowException):
                rows = -1
            if rows != entry.rows:
                problems.append(Problem(website_id, path, "row count differs"))
            stored = recorded.get(path)
            if stored and hashlib.sha256(bytes(stored.ip_bloom)).hexdigest() != (
                entry.bloom_sha256
            ):
                problems.append(Problem(website_id, path, "IP index changed"))
        directory = base / str(website_id)
        if directory.exists():
            for present in directory.rglob("*"):
                if present.is_file():
                    relative = str(present.relative_to(base))
                    if relative not in live:
                        problems.append(Problem(website_id, relative, "extra file"))
    return problems


# -- reading -----------------------------------------------------------------------

# Filters never change once written; keyed by path too, as a row id may be reused after a
# restore. Bounded: cleared when it grows past BLOOM_CACHE_BYTES.
_bloom_cache: dict[tuple[int, str], bytes] = {}
BLOOM_CACHE_BYTES = 256 << 20
_bloom_lock = threading.Lock()


def files_for(
    *,
    website_ids: list[int],
    first_day: date | None = None,
    last_day: date | None = None,
    ip: tuple[int, int] | None = None,
) -> list[tuple[date, date, str]]:
    """The live files (first day, last day, absolute path) that can hold matching rows,
    newest first. With an exact `ip`, files whose Bloom filter rules it out are skipped.
    """
    files = _live_files(website_id__in=website_ids)
    if first_day:
        files = files.filter(last_day__gte=first_day)
    if last_day:
        files = files.filter(first_day__lte=last_day)
    rows = list(
        files.order_by("-last_day", "-first_day", "path").values_list(
            "pk", "first_day", "last_day", "path"
        )
    )
    if ip is not None:
        missing = [row[0] for row in rows if (row[0], row[3]) not in _bloom_cache]
        if missing:
            loaded = ArchiveFile.objects.filter(pk__in=missing).values_list(
                "pk", "path", "ip_bloom"
            )
            with _bloom_lock:
                if sum(map(len, _bloom_cache.values())) > BLOOM_CACHE_BYTES:
                    _bloom_cache.clear()
                for pk, path, bloom in loaded:
                    _bloom_cache[(pk, path)] = bytes(bloom)
        # A filter missing (the cache was just cleared by another thread) rules nothing out.
        rows = [
            row
            for row in rows
            if (bloom := _bloom_cache.get((row[0], row[3]))) is None or bloom_may_contain(bloom, ip)
        ]
    base = archive_root()
    return [(first, last, str(base / path)) for _pk, first, last, path in rows]
