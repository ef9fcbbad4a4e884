import json
import signal
import sys
import threading
from datetime import datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.websites import archive, services
from yiyun.websites.models import Website
from yiyun.websites.selectors import LogFilter, accesslog_page


def _moment(value: str | None) -> datetime | None:
    """ISO date or time; without a zone it is Asia/Shanghai."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"not an ISO date/time: {value}") from error
    if len(value) <= 10:
        parsed = datetime.combine(parsed.date(), time(0))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def _website(domain: str) -> Website:
    try:
        return Website.objects.select_related("organisation").get(domain=domain.lower())
    except Website.DoesNotExist:
        raise CommandError(f"no website {domain}") from None


class Command(BaseCommand):
    help = (
        "The access-log archive (2.4): listen (syslog UDP/TCP, HTTP ingest), import a file, "
        "compact the spool, expire past retention, query, verify the files."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="syslog (UDP/TCP) and HTTP ingest into the spool")
        listen.add_argument("--host", default="0.0.0.0")  # noqa: S104 — a network listener
        listen.add_argument("--udp", type=int)
        listen.add_argument("--tcp", type=int)
        listen.add_argument("--http", type=int)
        imp = sub.add_parser("import", help="import a log file (plain or .gz) once")
        imp.add_argument("file")
        imp.add_argument("--website", required=True, help="the website's domain")
        sub.add_parser("compact", help="compact every spool segment now (idle or not)")
        sub.add_parser("expire", help="delete days past retention (legal holds respected)")
        query = sub.add_parser("query", help="lines matching a query, newest first")
        query.add_argument("--website", required=True, action="append")
        query.add_argument("--ip", default="", help="address or CIDR")
        query.add_argument("--since")
        query.add_argument("--until")
        query.add_argument("--domain", default="")
        query.add_argument("--path", default="", help="substring of the path")
        query.add_argument("--status", type=int)
        query.add_argument("--errors", action="store_true", help="only unparsed lines")
        query.add_argument("--limit", type=int, default=100, help="0: every matching line")
        query.add_argument("--format", choices=["text", "json"], default="text")
        verify = sub.add_parser("verify", help="check manifests and files; exit 1 on a problem")
        verify.add_argument("--website", action="append")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _listen(self, *, host, udp, tcp, http, **_options):
        from yiyun.websites.listener import Listener

        if udp is None and tcp is None and http is None:
            raise CommandError("give at least one of --udp, --tcp, --http")
        # No database here: websites are authenticated from the token file, which the
        # platform rewrites on every change (and the worker every 30 s).
        listener = Listener(host=host, udp=udp, tcp=tcp, http=http)
        self.stdout.write(json.dumps({"listening": listener.ports}))
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        stop.wait()
        listener.stop()

    def _import(self, *, file, website, **_options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            result = services.accesslog_import(website=_website(website), path=path, by="cli")
        except DomainError as error:
            raise CommandError(error.message) from error
        # Sorted by client IP now rather than at the worker's next turns.
        merged = archive.merge_months(limit=None, everything=True)
        self.stdout.write(
            f"{result.lines} lines, {result.parse_errors} parse errors, {len(result.files)} files, "
            f"{merged} months merged"
        )

    def _compact(self, **_options):
        result = services.accesslog_compact(idle_seconds=None)
        merged = archive.merge_months(limit=None, everything=True)
        self.stdout.write(
            f"{result.segments} segments, {result.lines} lines "
            f"({result.parse_errors} parse errors), {merged} months merged"
        )

    def _expire(self, **_options):
        for domain, days in services.accesslog_expire().items():
            self.stdout.write(f"{domain}: {len(days)} days deleted ({days[0]} … {days[-1]})")

    def _query(
        self, *, website, ip, since, until, domain, path, status, errors, limit, format, **_o
    ):
        websites = [_website(name) for name in website]
        try:
            log_filter = LogFilter(
                ip=ip,
                since=_moment(since),
                until=_moment(until),
                domain=domain,
                path=path,
                status=status,
                errors_only=errors,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        cursor, printed = "", 0
        while True:
            want = 1000 if limit == 0 else min(1000, limit - printed)
            page = accesslog_page(
                websites=websites, log_filter=log_filter, cursor=cursor, limit=want
            )
            for row in page.rows:
                self.stdout.write(self._format(row, format))
            printed += len(page.rows)
            cursor = page.next_cursor
            if not cursor or (limit and printed >= limit):
                break

    @staticmethod
    def _format(row: dict, kind: str) -> str:
        moment = row["ts"].astimezone(SHANGHAI).isoformat()
        if kind == "json":
            return json.dumps({**row, "ts": moment, "received_at": row["received_at"].isoformat()})
        if row["parse_error"]:
            return f"{moment} PARSE-ERROR {row['raw']}"
        return (
            f"{moment} {row['ip']} {row['host']} {row['method']} {row['path']} "
            f"{row['status']} {row['bytes']}"
        )

    def _verify(self, *, website, **_options):
        ids = [_website(name).pk for name in website] if website else None
        problems = archive.verify(website_ids=ids)
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            self.stderr.write(f"{len(problems)} problems")
            sys.exit(1)
        self.stdout.write("ok")
