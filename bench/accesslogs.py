"""Access-log archive benchmark (2.4): yiyun's compaction against GoAccess, same run.

    .venv/bin/python bench/accesslogs.py [--lines 2000000] [--days 180] [--keep DIR]

Generates N nginx `combined` lines (an IP mix of IPv4 and IPv6 with a long tail, 180 days
with a daily rhythm, a few malformed lines) in a temporary directory, then measures:
- GoAccess (Debian package, `--log-format=COMBINED`) on the file: the reference;
- yiyun end to end, file → Parquet (`yiyun logs import`: hash and cleanliness check, parse
  in C (websites/combined.c), zstd Parquet per website and month as the lines came,
  coverage, manifest), then the worker's merge that rewrites each month sorted by client
  IP (with its Bloom filter); both timed, and together;
- yiyun from the spool (lines appended in HTTP-sized batches, then compacted, parsed in
  DuckDB SQL);
- Parquet size against the raw size;
- an IP lookup over all days and an IP + 7-day lookup (cold and warm).
Prints lines/s and the ratios against the targets: ≥ 8× GoAccess end to end, Parquet
≤ 1/8 of raw, an IP lookup over 180 days < 50 ms.
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def generate(path: Path, lines: int, days: int, seed: int = 7) -> dict:
    """Write `lines` combined lines over `days` days; returns a few facts about them."""
    rnd = random.Random(seed)
    v4_prefixes = [
        36,
        39,
        42,
        58,
        59,
        60,
        61,
        101,
        106,
        110,
        111,
        112,
        113,
        114,
        115,
        116,
        117,
        118,
        119,
        120,
        121,
        122,
        123,
        124,
        125,
        171,
        175,
        180,
        182,
        183,
        211,
        218,
        219,
        220,
        221,
        222,
        223,
    ]
    v6_prefixes = ["240e", "2408", "2409"]
    pool = []
    for _ in range(60_000):
        if rnd.random() < 0.72:
            pool.append(
                f"{rnd.choice(v4_prefixes)}.{rnd.randrange(256)}.{rnd.randrange(256)}."
                f"{rnd.randrange(1, 255)}"
            )
        else:
            pool.append(
                f"{rnd.choice(v6_prefixes)}:{rnd.randrange(0x10000):x}:"
                f"{rnd.randrange(0x10000):x}:{rnd.randrange(0x10000):x}::"
                f"{rnd.randrange(1, 0x10000):x}"
            )
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(pool))]
    paths = [
        "/",
        "/index.html",
        "/news/2026/notice-{}.html",
        "/static/js/app.{}.js",
        "/static/css/site.css",
        "/api/appointments?dept={}&date=2026-06-01",
        "/doctors/{}",
        "/favicon.ico",
        "/guide/outpatient",
        "/search?q=%E5%86%85%E7%A7%91",
    ]
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003130) NetType/WIFI",
        "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/116.0 Mobile Safari/537.36",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "curl/8.5.0",
    ]
    referers = ["-", "-", "-", "https://www.baidu.com/", "https://www.kpxyy.cn/"]
    statuses = rnd.choices([200, 304, 404, 301, 500, 206], [78, 11, 6, 3, 1, 1], k=lines)
    clients = rnd.choices(pool, weights=weights, k=lines)
    start = datetime(2026, 11, 27, tzinfo=CST) - timedelta(days=days)
    # A daily rhythm: more by day than at night; sorted, as a log file is.
    hour_weight = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 7, 8, 10, 10, 9, 7, 6, 6, 5, 4, 3, 2]
    seconds = sorted(
        day * 86400 + hour * 3600 + rnd.randrange(3600)
        for day, hour in zip(
            (rnd.randrange(days) for _ in range(lines)),
            rnd.choices(range(24), hour_weight, k=lines),
            strict=True,
        )
    )
    clock_text = [
        f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
    ]
    day_text = {}
    malformed = 0
    with open(path, "w") as out:
        buffer = []
        for index in range(lines):
            day, second = divmod(seconds[index], 86400)
            prefix = day_text.get(day)
            if prefix is None:
                moment = start + timedelta(days=day)
                prefix = day_text[day] = (
                    f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment.year}:"
                )
            if index % 250_000 == 1234:
                buffer.append('GET /broken "HTTP/1.1 truncated\n')
                malformed += 1
                continue
            target = rnd.choice(paths)
            if "{}" in target:
                target = target.format(rnd.randrange(500))
            buffer.append(
                f'{clients[index]} - - [{prefix}{clock_text[second]} +0800] "GET {target} '
                f'HTTP/1.1" {statuses[index]} {rnd.randrange(200, 60000)} '
                f'"{rnd.choice(referers)}" "{rnd.choice(agents)}"\n'
            )
            if len(buffer) >= 100_000:
                out.write("".join(buffer))
                buffer = []
        out.write("".join(buffer))
    return {"malformed": malformed, "distinct_ips": len(set(clients))}


def run_goaccess(path: Path, work: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of GoAccess over `path`."""
    subprocess.run([str(ROOT / "scripts" / "debian-packages.sh"), "goaccess"], check=True)
    goaccess = shutil.which("goaccess")
    if goaccess is None:
        sys.exit("goaccess is not installed (apt-get install goaccess)")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            goaccess,
            str(path),
            "--log-format=COMBINED",
            "--no-progress",
            "--no-global-config",
            "-o",
            str(work / "goaccess.json"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def setup_django(work: Path) -> None:
    os.environ["YIYUN_VAR_DIR"] = str(work / "var")
    os.environ["YIYUN_ACCESSLOG_DIR"] = str(work / "accesslogs")
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiyun.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(function, *args, repeat: int = 1, **kwargs) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--keep", help="work in this directory and keep it")
    parser.add_argument("--skip-goaccess", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep DIR's generated log")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="yy-bench-accesslogs-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        _bench(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args, work: Path) -> None:
    raw = work / "access.log"
    for leftover in ("bench.sqlite3", "accesslogs", "var"):
        target = work / leftover
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(True)
    if args.reuse and raw.exists():
        seconds, facts = 0.0, {"distinct_ips": "?", "malformed": "?"}
    else:
        seconds, facts = timed(generate, raw, args.lines, args.days)
    raw_size = raw.stat().st_size
    with open(raw, "rb") as handle:
        args.lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    print(
        f"generated {args.lines:,} lines over {args.days} days ({raw_size / 2**20:.0f} MiB, "
        f"{facts['distinct_ips']} client IPs, {facts['malformed']} malformed) in {seconds:.1f} s"
    )

    goaccess_seconds = goaccess_cpu = None
    if not args.skip_goaccess:
        goaccess_seconds, goaccess_cpu = run_goaccess(raw, work)
        print(
            f"GoAccess (--log-format=COMBINED): {goaccess_seconds:.1f} s, "
            f"{args.lines / goaccess_seconds:,.0f} lines/s (CPU {goaccess_cpu:.1f} s)"
        )

    setup_django(work)
    from yiyun.tenancy.choices import OrganisationKind
    from yiyun.tenancy.services import organisation_ensure
    from yiyun.websites import archive
    from yiyun.websites.models import ArchiveFile
    from yiyun.websites.selectors import LogFilter, accesslog_page
    from yiyun.websites.services import website_create
    from yiyun.websites.spool import SpoolWriter

    customer = organisation_ensure(name="柯坪县人民医院", kind=OrganisationKind.CUSTOMER)
    website = website_create(
        organisation=customer, domain="www.kpxyy.cn", name="门户", by=None, log_format="combined"
    )
    cpu_started, started = time.process_time(), time.perf_counter()
    result, _added = archive.import_file(website=website, path=raw)
    yiyun_seconds = time.perf_counter() - started
    yiyun_cpu = time.process_time() - cpu_started
    written = len(result.files)
    cpu_merge, started = time.process_time(), time.perf_counter()
    merged = archive.merge_months(limit=None)
    merge_seconds = time.perf_counter() - started
    merge_cpu = time.process_time() - cpu_merge
    files = ArchiveFile.objects.filter(website=website, removed_at__isnull=True)
    parquet_size = sum(f.bytes for f in files)
    print(
        f"yiyun import → Parquet: {yiyun_seconds:.1f} s, {result.lines / yiyun_seconds:,.0f} "
        f"lines/s, CPU {yiyun_cpu:.1f} s ({result.parse_errors} parse errors kept, "
        f"{written} month files)"
    )
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    print(
        f"  phases: {phases}, the rest (hash, checks) {yiyun_seconds - sum(result.timings.values()):.1f} s"
    )
    both = yiyun_seconds + merge_seconds
    print(
        f"yiyun merge into IP-sorted month files (worker): {merge_seconds:.1f} s, "
        f"{result.lines / merge_seconds:,.0f} lines/s, CPU {merge_cpu:.1f} s ({merged} months); "
        f"import + merge {both:.1f} s = {result.lines / both:,.0f} lines/s"
    )
    if goaccess_seconds:
        ratio = goaccess_seconds / yiyun_seconds
        print(
            f"  ratio yiyun import / GoAccess: {ratio:.1f}× wall (target ≥ 8×) "
            f"{'OK' if ratio >= 8 else 'BELOW TARGET'}; {goaccess_cpu / yiyun_cpu:.1f}× CPU time "
            f"(the figure a busy machine does not distort)"
        )
        print(
            f"  ratio yiyun import + merge / GoAccess: {goaccess_seconds / both:.1f}× wall, "
            f"{goaccess_cpu / (yiyun_cpu + merge_cpu):.1f}× CPU time"
        )
    share = parquet_size / raw_size
    print(
        f"  Parquet {parquet_size / 2**20:.1f} MiB = 1/{1 / share:.1f} of raw (target ≤ 1/8) "
        f"{'OK' if share <= 1 / 8 else 'ABOVE TARGET'}"
    )

    # The spool path: lines as the HTTP ingest and the listener write them, then compacted.
    spool_site = website_create(
        organisation=customer, domain="spool.kpxyy.cn", name="spool", by=None, log_format="combined"
    )
    spool_lines = min(args.lines, 1_000_000)
    writer = SpoolWriter()
    started = time.perf_counter()
    with open(raw) as handle:
        batch = []
        for count, line in enumerate(handle, 1):
            batch.append(line.rstrip("\n"))
            if len(batch) == 5000:
                writer.append(spool_site.pk, batch)
                batch = []
            if count >= spool_lines:
                break
        if batch:
            writer.append(spool_site.pk, batch)
    writer.close()
    spooled = time.perf_counter() - started
    started = time.perf_counter()
    compacted = archive.compact(idle_seconds=None, max_segments=1000)
    compact_seconds = time.perf_counter() - started
    print(
        f"yiyun spool (5,000-line fsync'd batches): {spool_lines / spooled:,.0f} lines/s append, "
        f"{compacted.lines / compact_seconds:,.0f} lines/s compaction, "
        f"{compacted.lines / (spooled + compact_seconds):,.0f} lines/s together"
    )

    # Lookups: a client seen on many days, and one seen rarely; all days, and 7 days.
    import duckdb

    paths = [str(archive.archive_root() / f.path) for f in files]
    query = f"SELECT ip, count(*) AS n FROM read_parquet({paths}) WHERE ip IS NOT NULL"  # noqa: S608
    counts = duckdb.sql(query + " GROUP BY ip ORDER BY n DESC").fetchall()
    frequent = counts[min(200, len(counts) - 1)][0]
    rare = next((ip for ip, n in counts if n <= 3), counts[-1][0])
    last_day = max(f.last_day for f in files)
    week_end = datetime.combine(last_day, datetime.min.time(), tzinfo=CST) + timedelta(days=1)
    week = (week_end - timedelta(days=7), week_end)

    def lookup(ip, since=None, until=None):
        rows, cursor = 0, ""
        while True:
            page = accesslog_page(
                websites=[website],
                cursor=cursor,
                limit=1000,
                log_filter=LogFilter(ip=ip, since=since, until=until),
            )
            rows += len(page.rows)
            cursor = page.next_cursor
            if not cursor:
                return rows

    from yiyun.websites import archive as archive_module
    from yiyun.websites import selectors

    for label, ip, window in [
        (f"IP lookup, all {args.days} days, frequent client {frequent}", frequent, (None, None)),
        (f"IP lookup, all {args.days} days, rare client {rare}", rare, (None, None)),
        (f"IP + last 7 days, frequent client {frequent}", frequent, week),
    ]:
        archive_module._bloom_cache.clear()
        selectors._connection = None
        cold, rows = timed(lookup, ip, *window)
        warm, _rows = timed(lookup, ip, *window, repeat=5)
        verdict = "OK" if warm < 0.05 else "ABOVE TARGET"
        print(
            f"{label}: {rows} rows, cold {cold * 1000:.1f} ms, warm {warm * 1000:.1f} ms "
            f"(target < 50 ms) {verdict if 'all' in label else ''}"
        )
    archive_module._bloom_cache.clear()
    selectors._connection = None
    browse = lambda: accesslog_page(websites=[website], log_filter=LogFilter(), limit=100)  # noqa: E731
    cold, _page = timed(browse)
    warm, _page = timed(browse, repeat=5)
    print(f"newest 100 lines, no filter: cold {cold * 1000:.1f} ms, warm {warm * 1000:.1f} ms")
    started = time.perf_counter()
    problems = archive.verify()
    print(f"yiyun logs verify: {len(problems)} problems, {time.perf_counter() - started:.1f} s")
    print(
        f"(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
