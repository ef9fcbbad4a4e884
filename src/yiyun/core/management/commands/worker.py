import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from yiyun.core.apps_registry import periodic_jobs

log = logging.getLogger("yiyun.worker")


class Command(BaseCommand):
    help = (
        "Run the background jobs every app registers (obligation tick, outbox, ingest "
        "compaction, backups…), each at its own interval. Several workers may run at once "
        "against one PostgreSQL: every job is idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between checks")

    def handle(self, *args, once, poll, **options):
        jobs = [(import_string(path), path, interval) for path, interval in periodic_jobs()]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last_run: dict[str, float] = {}
        self.stdout.write(f"worker: {len(jobs)} jobs: " + ", ".join(path for _f, path, _i in jobs))
        while not stopping:
            for job, path, interval in jobs:
                if stopping:
                    break
                if time.monotonic() - last_run.get(path, float("-inf")) < interval:
                    continue
                last_run[path] = time.monotonic()
                close_old_connections()
                try:
                    job()
                except Exception:
                    # One failing job must not stop the others; it is retried next interval.
                    log.exception("job %s failed", path)
            if once:
                break
            time.sleep(poll)
