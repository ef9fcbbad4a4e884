"""`yiyun worker` runs the archive's jobs: listener (when configured), compaction, expiry."""

import socket
import time
from datetime import datetime

import pytest

from yiyun.core.apps_registry import periodic_jobs
from yiyun.core.clock import SHANGHAI
from yiyun.websites import jobs
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def test_jobs_are_registered_with_the_worker():
    registered = dict(periodic_jobs())
    assert registered["yiyun.websites.jobs.compact"] == 30
    assert registered["yiyun.websites.jobs.expire"] == 3600
    assert "yiyun.websites.jobs.listener" in registered


@pytest.mark.django_db
def test_compaction_job_takes_segments_idle_long_enough(site, settings):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", DAY)])
    settings.ACCESSLOG_SEAL_AFTER = 3600
    jobs.compact()  # the segment is fresh: it stays with its writer
    assert accesslog_page(websites=[site.website], log_filter=LogFilter()).rows == []
    settings.ACCESSLOG_SEAL_AFTER = 0
    jobs.compact()
    assert len(accesslog_page(websites=[site.website], log_filter=LogFilter()).rows) == 1
    # The writer notices its segment was sealed and starts a new one.
    writer.append(site.website.pk, [combined("203.0.113.8", DAY)])
    writer.close()
    jobs.compact()
    assert len(accesslog_page(websites=[site.website], log_filter=LogFilter()).rows) == 2


@pytest.mark.django_db
def test_the_worker_starts_the_listener_when_configured(site, settings):
    settings.ACCESSLOG_LISTEN = {}
    jobs.listener()
    assert jobs._listener is None
    settings.ACCESSLOG_LISTEN = {"host": "127.0.0.1", "udp": 0}
    try:
        jobs.listener()
        jobs.listener()  # idempotent: one listener per worker
        port = jobs._listener.ports["udp"]
        message = f"<190>Mar  2 08:00:00 web01 {site.token}: {combined('203.0.113.9', DAY)}"
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
            message.encode(), ("127.0.0.1", port)
        )
        deadline = time.monotonic() + 10
        while jobs._listener.batcher.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jobs._listener.batcher.accepted == 1
    finally:
        if jobs._listener is not None:
            jobs._listener.stop()
            jobs._listener = None


@pytest.mark.django_db
def test_metrics_report_ingest_lag_and_archive_size(site):
    from yiyun.websites.selectors import metrics

    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", DAY)] * 3)
    values = {name: value for name, _help, value in metrics()}
    assert values["yiyun_accesslog_spool_bytes"] > 0
    assert values["yiyun_accesslog_ingest_lag_seconds"] >= 0
    writer.close()
    jobs.archive.compact(idle_seconds=None)
    values = {name: value for name, _help, value in metrics()}
    assert values["yiyun_accesslog_spool_bytes"] == 0
    assert values["yiyun_accesslog_archive_rows"] == 3


def test_disk_space_check(settings, tmp_path, monkeypatch):
    from yiyun.websites import checks

    settings.ACCESSLOG_DIR = str(tmp_path / "not-yet-created")
    monkeypatch.setattr(checks, "MIN_FREE_SHARE", 0)
    monkeypatch.setattr(checks, "MIN_FREE_BYTES", 1)
    assert checks.archive_disk_space() == []
    monkeypatch.setattr(checks, "MIN_FREE_BYTES", 1 << 60)
    [warning] = checks.archive_disk_space()
    assert warning.id == "websites.W001"
