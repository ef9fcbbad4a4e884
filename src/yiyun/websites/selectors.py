"""Reads: websites a user may see, the access-log query, coverage, filings due."""

# ruff: noqa: S608 — DuckDB SQL is composed of the archive's own column names, file
# paths (quotes doubled) and constants; anything a user typed is bound as a parameter.

import base64
import ipaddress
import json
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.tenancy.selectors import scoped
from yiyun.websites.archive import files_for, ip_key, ip_range
from yiyun.websites.choices import FilingKind, FilingState, WebsiteStatus
from yiyun.websites.models import (
    ArchiveFile,
    DailyCoverage,
    Filing,
    LegalHold,
    LogExport,
    Website,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A filing or permit this close to its end shows as "expiring" (2.6: reminder 30 days).
EXPIRING_WITHIN = timedelta(days=30)
RESULT_TYPES = {
    "ts": "TIMESTAMPTZ",
    "ip": "VARCHAR",
    "host": "VARCHAR",
    "method": "VARCHAR",
    "path": "VARCHAR",
    "protocol": "VARCHAR",
    "status": "USMALLINT",
    "bytes": "UBIGINT",
    "referer": "VARCHAR",
    "user_agent": "VARCHAR",
    "remote_user": "VARCHAR",
    "extra": "VARCHAR",
    "parse_error": "BOOLEAN",
    "raw": "VARCHAR",
    "received_at": "TIMESTAMPTZ",
    "website_id": "BIGINT",
    "rid": "UBIGINT",
}
RESULT_COLUMNS = tuple(RESULT_TYPES)


def websites_visible(user) -> QuerySet[Website]:
    return scoped(Website.objects.select_related("organisation", "site", "contract"), user)


def filings_visible(user) -> QuerySet[Filing]:
    return scoped(Filing.objects.select_related("website"), user, via="website__organisation")


def holds_visible(user) -> QuerySet[LegalHold]:
    return scoped(LegalHold.objects.select_related("website"), user, via="website__organisation")


def exports_visible(user) -> QuerySet[LogExport]:
    return scoped(
        LogExport.objects.select_related("website", "disclosure", "created_by"),
        user,
        via="website__organisation",
    )


def filing_state(filing: Filing, *, today: date | None = None) -> FilingState:
    today = today or clock.local(clock.now()).date()
    if filing.valid_until is None:
        return FilingState.VALID
    if filing.valid_until < today:
        return FilingState.EXPIRED
    if filing.valid_until - today <= EXPIRING_WITHIN:
        return FilingState.EXPIRING
    return FilingState.VALID


def websites_without_filing(websites: QuerySet[Website]) -> QuerySet[Website]:
    """Sites serving without a current ICP filing or licence (2.6)."""
    today = clock.local(clock.now()).date()
    current = Filing.objects.filter(
        website=OuterRef("pk"),
        kind__in=[FilingKind.ICP_FILING, FilingKind.ICP_LICENSE],
        replaced_at__isnull=True,
    ).exclude(valid_until__lt=today)
    return websites.exclude(status=WebsiteStatus.RETIRED).exclude(Exists(current))


# -- the access-log query ------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    """What to look for: client IP (address or CIDR, v4 or v6), time range, host, path
    substring, status, only unparsed lines."""

    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None
    domain: str = ""
    path: str = ""
    status: int | None = None
    errors_only: bool = False

    def __post_init__(self):
        if self.ip:
            try:
                ipaddress.ip_network(self.ip.strip(), strict=False)
            except ValueError:
                raise DomainError(
                    _("“%(ip)s”不是有效的 IP 地址或网段。") % {"ip": self.ip}, field="ip"
                ) from None
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise DomainError(_("时间必须带时区。"), field=name)
        if self.since and self.until and self.since >= self.until:
            raise DomainError(_("起始时间必须早于截止时间。"), field="until")

    @property
    def exact_ip(self) -> tuple[int, int] | None:
        return ip_key(self.ip) if self.ip and "/" not in self.ip else None

    def as_dict(self) -> dict:
        data = asdict(self)
        for name in ("since", "until"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return {key: value for key, value in data.items() if value not in ("", None, False)}

    def where(self) -> tuple[str, list]:
        """The WHERE clause over archive columns, and its parameters."""
        clauses, params = ["true"], []
        if self.ip:
            low, high = ip_range(self.ip)
            lo_hi, lo_lo, hi_hi, hi_lo = (
                low >> 64,
                low & (2**64 - 1),
                high >> 64,
                high & (2**64 - 1),
            )
            if lo_hi == hi_hi:
                clauses.append("ip_hi = ? AND ip_lo BETWEEN ? AND ?")
                params += [lo_hi, lo_lo, hi_lo]
            else:
                clauses.append(
                    "ip_hi BETWEEN ? AND ? AND (ip_hi > ? OR ip_lo >= ?) AND (ip_hi < ? OR ip_lo <= ?)"
                )
                params += [lo_hi, hi_hi, lo_hi, lo_lo, hi_hi, hi_lo]
        if self.since:
            clauses.append("ts >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("ts < ?")
            params.append(self.until)
        if self.domain:
            clauses.append("lower(host) = ?")
            params.append(self.domain.strip().lower())
        if self.path:
            clauses.append("contains(path, ?)")
            params.append(self.path)
        if self.status is not None:
            clauses.append("status = ?")
            params.append(int(self.status))
        if self.errors_only:
            clauses.append("parse_error")
        return " AND ".join(clauses), params

    def days(self) -> tuple[date | None, date | None]:
        first = clock.local(self.since).date() if self.since else None
        # `until` is exclusive: a range ending at 00:00 does not reach that day.
        last = clock.local(self.until - timedelta(microseconds=1)).date() if self.until else None
        return first, last


@dataclass
class LogPage:
    rows: list[dict]
    next_cursor: str


_connection: duckdb.DuckDBPyConnection | None = None
_connection_lock = threading.Lock()


def duckdb_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's DuckDB, whose Parquet metadata cache queries share."""
    global _connection
    with _connection_lock:
        if _connection is None:
            spill = f"{tempfile.gettempdir()}/yiyun-duckdb"
            _connection = duckdb.connect(config={"temp_directory": spill})
            _connection.execute("SET TimeZone = 'UTC'")
            _connection.execute("SET parquet_metadata_cache = true")
        return _connection.cursor()


def _files_literal(paths: list[str]) -> str:
    return "[" + ", ".join("'" + path.replace("'", "''") + "'" for path in paths) + "]"


def _encode_cursor(row: dict) -> str:
    micros = (row["ts"] - EPOCH) // timedelta(microseconds=1)
    raw = json.dumps([micros, row["website_id"], row["rid"]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int, int] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, website_id, rid = json.loads(base64.urlsafe_b64decode(padded))
        return EPOCH + timedelta(microseconds=int(micros)), int(website_id), int(rid)
    except (ValueError, TypeError):
        raise DomainError(_("翻页游标无效。"), field="cursor") from None


def accesslog_page(
    *, websites: list[Website], log_filter: LogFilter, cursor: str = "", limit: int = 100
) -> LogPage:
    """One page of matching lines, newest first; `next_cursor` fetches the next one.

    Walks the month partitions from the newest down, a few months per DuckDB query, and
    stops once the page is full: paging through millions of rows never holds more than a
    page. Months never overlap in time, so pages stay in order across queries.
    """
    try:
        return _accesslog_page(websites, log_filter, cursor, limit)
    except duckdb.IOException:
        # A merge replaced a file between listing the files and reading them: list again.
        return _accesslog_page(websites, log_filter, cursor, limit)


def _accesslog_page(websites, log_filter: LogFilter, cursor: str, limit: int) -> LogPage:
    limit = max(1, min(int(limit), 1000))
    after = _decode_cursor(cursor)
    first_day, last_day = log_filter.days()
    if after is not None:
        cursor_day = clock.local(after[0]).date()
        last_day = min(last_day, cursor_day) if last_day else cursor_day
    website_ids = [w.pk for w in websites]
    files = files_for(
        website_ids=website_ids, first_day=first_day, last_day=last_day, ip=log_filter.exact_ip
    )
    by_month: dict[date, list[str]] = {}
    for first, _last, path in files:
        by_month.setdefault(first.replace(day=1), []).append(path)
    months = sorted(by_month, reverse=True)
    where, params = log_filter.where()
    if after is not None:
        where += " AND (ts < ? OR (ts = ? AND (website_id < ? OR (website_id = ? AND rid < ?))))"
        params = [*params, after[0], after[0], after[1], after[1], after[2]]
    rows: list[dict] = []
    # A client-IP query reads few row groups per file (merged files are sorted by IP, and
    # the Bloom filters already dropped most files): one statement over every file.
    # Otherwise a page usually fills from the newest month: 1, 2, 4… months per statement.
    step, index = (len(months) or 1, 0) if log_filter.ip else (1, 0)
    connection = duckdb_cursor()
    try:
        while index < len(months) and len(rows) < limit:
            chunk = months[index : index + step]
            index += step
            step = min(step * 2, 32)
            paths = [path for month in chunk for path in by_month[month]]
            sql = (
                f"SELECT {', '.join(RESULT_COLUMNS)} FROM read_parquet({_files_literal(paths)}) "
                f"WHERE {where} ORDER BY ts DESC, website_id DESC, rid DESC LIMIT {limit - len(rows)}"
            )
            result = connection.execute(sql, params)
            names = [column[0] for column in result.description]
            rows.extend(dict(zip(names, values, strict=True)) for values in result.fetchall())
    finally:
        connection.close()
    more = len(rows) == limit
    return LogPage(rows=rows, next_cursor=_encode_cursor(rows[-1]) if more and rows else "")


def accesslog_relation_sql(*, websites: list[Website], log_filter: LogFilter) -> tuple[str, list]:
    """SQL selecting every matching line, oldest first (for exports), and its parameters."""
    first_day, last_day = log_filter.days()
    files = files_for(
        website_ids=[w.pk for w in websites],
        first_day=first_day,
        last_day=last_day,
        ip=log_filter.exact_ip,
    )
    where, params = log_filter.where()
    if not files:
        columns = ", ".join(f"NULL::{kind} AS {name}" for name, kind in RESULT_TYPES.items())
        return f"SELECT {columns} WHERE false", []
    sql = (
        f"SELECT {', '.join(RESULT_COLUMNS)} FROM read_parquet({_files_literal([path for *_days, path in files])}) "
        f"WHERE {where} ORDER BY ts, website_id, rid"
    )
    return sql, params


# -- coverage ------------------------------------------------------------------------


@dataclass
class CoverageDay:
    day: date
    lines: int
    parse_errors: int
    gaps: int  # hours without a line while the site was up
    expected_hours: int

    @property
    def level(self) -> str:
        """A heat-map class: none (not up), full, partial (a few hours missing), poor."""
        if self.expected_hours == 0:
            return "none"
        if self.gaps == 0:
            return "full"
        if self.gaps <= 3 and self.lines:
            return "partial"
        return "poor"


def _up_hours(website: Website, day: date, now: datetime) -> list[bool]:
    """Which hours of `day` (Asia/Shanghai) the site was up and fully past."""
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    up_from = website.online_since
    up_until = min(now, website.offline_since) if website.offline_since else now
    hours = []
    for hour in range(24):
        begins = start + timedelta(hours=hour)
        hours.append(begins >= up_from and begins + timedelta(hours=1) <= up_until)
    return hours


def coverage_days(*, website: Website, first: date, last: date) -> list[CoverageDay]:
    """Lines, parse errors and gap hours for each day from `first` to `last`."""
    now = clock.now()
    stored = {
        row.day: row
        for row in DailyCoverage.objects.filter(website=website, day__range=(first, last))
    }
    days = []
    day = first
    while day <= last:
        row = stored.get(day)
        counts = (row.hours if row else None) or [0] * 24
        up = _up_hours(website, day, now)
        days.append(
            CoverageDay(
                day=day,
                lines=row.lines if row else 0,
                parse_errors=row.parse_errors if row else 0,
                gaps=sum(1 for hour in range(24) if up[hour] and counts[hour] == 0),
                expected_hours=sum(up),
            )
        )
        day += timedelta(days=1)
    return days


def coverage_calendar(*, website: Website, weeks: int = 27) -> list[list[CoverageDay | None]]:
    """The last `weeks` weeks as rows of 7 (Monday first), for the heat map."""
    today = clock.local(clock.now()).date()
    last = today + timedelta(days=6 - today.weekday())
    first = last - timedelta(days=7 * weeks - 1)
    days = coverage_days(website=website, first=first, last=today)
    grid: list[list[CoverageDay | None]] = []
    for offset in range(weeks):
        week = []
        for weekday in range(7):
            index = offset * 7 + weekday
            week.append(days[index] if index < len(days) else None)
        grid.append(week)
    return grid


def metrics() -> list[tuple]:
    """Prometheus gauges: ingest lag (oldest line not yet archived), spool and archive size."""
    from yiyun.websites.spool import spool_dirs

    now = clock.now().timestamp()
    # Read only: a scrape must not create the archive's directories.
    open_dir, ready_dir = spool_dirs(create=False)
    segments = [*open_dir.glob("*.log"), *ready_dir.glob("*.log")]
    stats = []
    for path in segments:
        try:
            stats.append(path.stat())
        except FileNotFoundError:
            continue
    waiting = [s for s in stats if s.st_size]
    lag = max((now - s.st_ctime for s in waiting), default=0.0)
    live = ArchiveFile.objects.filter(removed_at__isnull=True)
    totals = live.aggregate(files=Count("id"), rows=Sum("rows"), size=Sum("bytes"))
    return [
        (
            "yiyun_accesslog_ingest_lag_seconds",
            "Age of the oldest spooled segment not yet archived",
            lag,
        ),
        (
            "yiyun_accesslog_spool_bytes",
            "Bytes waiting in the spool",
            sum(s.st_size for s in stats),
        ),
        (
            "yiyun_accesslog_archive_files",
            "Live Parquet files in the archive",
            totals["files"] or 0,
        ),
        ("yiyun_accesslog_archive_rows", "Lines in the archive", totals["rows"] or 0),
        ("yiyun_accesslog_archive_bytes", "Bytes of Parquet in the archive", totals["size"] or 0),
    ]
