"""Periodic jobs run by `yiyun worker` (see WebsitesConfig.periodic_jobs)."""

import logging
import threading

from yiyun.websites import archive, services
from yiyun.websites.conf import listen_config, seal_after_seconds
from yiyun.websites.models import Website

log = logging.getLogger("yiyun.websites.jobs")
_listener = None
_listener_lock = threading.Lock()


def compact() -> None:
    """Seal idle spool segments, compact them, merge months into IP-sorted files (2.4)."""
    # Keeps the listener's token file current (say, after a restore of the database).
    if Website.objects.exclude(ingest_token_digest="").exists():
        services.ingest_tokens_publish()
    result = services.accesslog_compact(idle_seconds=seal_after_seconds())
    if result.lines:
        log.info(
            "compacted %s lines (%s parse errors) from %s segments",
            result.lines,
            result.parse_errors,
            result.segments,
        )
    archive.merge_months()


def expire() -> None:
    """Delete partitions past retention, except under a legal hold (2.4)."""
    expired = services.accesslog_expire()
    if expired:
        log.info("expired access-log days: %s", {k: len(v) for k, v in expired.items()})


def listener() -> None:
    """Start the syslog/HTTP listener inside the worker when ACCESSLOG_LISTEN says so."""
    global _listener
    config = listen_config()
    if not config:
        return
    with _listener_lock:
        if _listener is None:
            from yiyun.websites.listener import Listener

            services.ingest_tokens_publish()
            _listener = Listener(
                host=config.get("host", "0.0.0.0"),  # noqa: S104 — syslog from other hosts
                udp=config.get("udp"),
                tcp=config.get("tcp"),
                http=config.get("http"),
            )
            log.info("access-log listener on %s", _listener.ports)
