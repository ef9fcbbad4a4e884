"""Custom log formats: a time out of range (year 0 or 10000, a `$msec` past DuckDB's range)
is a parse error of that line, not a failed batch. The listener's spool segments mix
websites: a failed batch would keep other customers' lines out of the archive."""

from datetime import datetime, timedelta

import pytest
import time_machine

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.services import website_update
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("log_format", "line"),
    [
        (
            '$remote_addr [$time_iso8601] "$request" $status',
            '203.0.113.9 [9999-12-31T23:59:59-12:00] "GET / HTTP/1.1" 200',
        ),
        (
            '$remote_addr [$time_iso8601] "$request" $status',
            '203.0.113.9 [0000-06-01T00:00:00+00:00] "GET / HTTP/1.1" 200',
        ),
        ('$remote_addr $msec "$request" $status', '203.0.113.9 1e13 "GET / HTTP/1.1" 200'),
    ],
    ids=["year-10000", "year-0", "msec-out-of-range"],
)
def test_one_custom_format_line_out_of_range_does_not_cost_other_lines(
    world, settings, tmp_path, log_format, line
):
    site = sites_for(world, settings, tmp_path)
    # Customer B uses a custom format; customer A the default one.
    website_update(website=site.other, by=world.admin_b, log_format=log_format)
    good = [combined(f"198.51.100.{i}", DAY + timedelta(minutes=i)) for i in range(50)]
    writer = SpoolWriter(site.root)  # as the listener does: one segment, both websites
    writer.append(site.website.pk, good)
    writer.append(site.other.pk, [line])
    writer.close()
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        result = archive.compact(idle_seconds=None)
    assert (result.lines, result.parse_errors) == (51, 1)
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=100).rows
    assert len(rows) == 50
    assert not list((site.root / "spool" / "failed").glob("*"))
