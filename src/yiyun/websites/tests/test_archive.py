"""The archive: spool → Parquet compaction, parse errors, query, merge, integrity."""

from datetime import datetime, timedelta

import duckdb
import pytest

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive, selectors
from yiyun.websites.models import ArchiveFile, CompactedSegment, DailyCoverage
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.spool import SpoolWriter, segments_ready, spool_dirs
from yiyun.websites.tests.factories import combined, lines_over, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
IPS = ["203.0.113.7", "2001:db8::1", "198.51.100.23", "2001:db8:0:0:0:0:0:42"]


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _ingest(site, lines, website=None):
    writer = SpoolWriter(site.root)
    writer.append((website or site.website).pk, lines)
    writer.close()
    return archive.compact(idle_seconds=None)


def _all(site, **filters):
    page = accesslog_page(websites=[site.website], log_filter=LogFilter(**filters), limit=1000)
    return page.rows


@pytest.mark.django_db
def test_clause_2_4_lines_are_archived_then_merged_sorted_by_client_ip(site):
    lines = lines_over(DAY, 200, step=timedelta(minutes=3), ips=IPS)
    result = _ingest(site, lines)
    assert result.lines == 200 and result.parse_errors == 0
    assert not segments_ready(root=site.root)

    def lookups():
        rows = _all(site, ip="2001:db8::42")
        assert len(rows) == 50
        assert {row["ip"] for row in rows} == {"2001:db8::42"}
        assert rows[0]["host"] == "www.kpxyy.cn" and rows[0]["method"] == "GET"
        assert rows[0]["ts"] > rows[-1]["ts"]  # newest first
        assert len(_all(site, ip="203.0.113.0/24")) == 50
        assert len(_all(site, ip="2001:db8::/32")) == 100
        assert len(_all(site, ip="192.0.2.1")) == 0

    [fresh] = ArchiveFile.objects.filter(website=site.website, removed_at__isnull=True)
    assert (fresh.first_day, fresh.last_day, fresh.ip_sorted) == (DAY.date(), DAY.date(), False)
    assert fresh.path.startswith(f"{site.website.pk}/2026-03/")
    lookups()  # answered from the file as written, before any merge
    assert archive.merge_months(now=DAY + timedelta(hours=10)) == 0  # the day is still open
    assert archive.merge_months(now=DAY + timedelta(days=1)) == 1
    [merged] = ArchiveFile.objects.filter(website=site.website, removed_at__isnull=True)
    assert merged.ip_sorted and merged.rows == 200
    # Sorted by client address within the file (what makes an IP lookup cheap).
    path = str(site.root / "archive" / merged.path)
    keys = duckdb.sql(f"SELECT ip_hi, ip_lo FROM read_parquet('{path}')").fetchall()  # noqa: S608
    assert keys == sorted(keys)
    lookups()
    coverage = DailyCoverage.objects.get(website=site.website, day=DAY.date())
    assert coverage.lines == 200 and sum(coverage.hours) == 200
    assert archive.verify() == []


@pytest.mark.django_db
def test_clause_2_4_malformed_line_is_kept_verbatim_and_flagged(site):
    bad = 'this is "not a log line at all'
    control = "tab\there and a bell \x07"
    lines = [combined("203.0.113.7", DAY), bad, combined("203.0.113.8", DAY), control]
    result = _ingest(site, lines)
    assert result.lines == 4 and result.parse_errors == 2
    errors = _all(site, errors_only=True)
    assert sorted(row["raw"] for row in errors) == sorted([bad, "tab\\x09here and a bell \\x07"])
    assert all(row["ip"] is None for row in errors)
    # Unparsed lines count on the day they were received (their own time is unknown).
    coverage = DailyCoverage.objects.filter(website=site.website)
    assert sum(row.parse_errors for row in coverage) == 2
    assert sum(row.lines for row in coverage) == 4


@pytest.mark.django_db
def test_combined_without_host_takes_the_websites_domain(site):
    _ingest(site, [combined("203.0.113.7", DAY, host=None, path="/a b")])
    [row] = _all(site)
    assert row["host"] == "www.kpxyy.cn" and row["path"] == "/a" and row["protocol"] == "b"


@pytest.mark.django_db
def test_query_filters_and_pages_through_every_row(site):
    lines = lines_over(DAY, 300, step=timedelta(minutes=17), ips=IPS)  # over 4 days
    lines.append(combined("203.0.113.7", DAY, path="/special/x", status=404))
    _ingest(site, lines)
    seen, cursor = [], ""
    while True:
        page = accesslog_page(
            websites=[site.website], log_filter=LogFilter(), cursor=cursor, limit=37
        )
        seen.extend(page.rows)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 301
    assert len({(row["website_id"], row["rid"]) for row in seen}) == 301
    assert [row["ts"] for row in seen] == sorted((row["ts"] for row in seen), reverse=True)
    assert len(_all(site, status=404)) == 1
    assert len(_all(site, path="/special/")) == 1
    since = DAY + timedelta(hours=24)
    window = _all(site, since=since, until=since + timedelta(hours=6))
    assert window and all(since <= row["ts"] < since + timedelta(hours=6) for row in window)
    ip_window = _all(site, ip="198.51.100.23", since=since, until=since + timedelta(hours=6))
    assert {row["ip"] for row in ip_window} == {"198.51.100.23"}
    assert len(ip_window) == len([r for r in window if r["ip"] == "198.51.100.23"])
    assert _all(site, domain="WWW.KPXYY.CN") and not _all(site, domain="other.example")


@pytest.mark.django_db
def test_compaction_is_exactly_once_when_a_segment_is_seen_again(site):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", DAY)] * 5)
    segment = writer.seal()
    writer.close()
    copy = segment.read_bytes()
    archive.compact(idle_seconds=None)
    assert CompactedSegment.objects.filter(segment_id=segment.stem).exists()
    # A crash after the commit, before the segment was deleted, brings it back.
    segment.write_bytes(copy)
    archive.compact(idle_seconds=None)
    assert not segment.exists()
    assert len(_all(site)) == 5


@pytest.mark.django_db
def test_a_months_files_are_merged_keeping_every_row(site):
    for i in range(3):
        _ingest(site, [combined(IPS[i], DAY + timedelta(days=i))] * 4)
    assert ArchiveFile.objects.filter(removed_at__isnull=True).count() == 3
    merged = archive.merge_months(now=DAY + timedelta(days=5))
    assert merged == 1
    [live] = ArchiveFile.objects.filter(removed_at__isnull=True)
    assert live.rows == 12 and live.ip_sorted
    assert (live.first_day, live.last_day) == (DAY.date(), DAY.date() + timedelta(days=2))
    assert len(_all(site)) == 12
    assert archive.verify() == []
    assert archive.merge_months(now=DAY + timedelta(days=6)) == 0  # nothing left to do


@pytest.mark.django_db
def test_a_month_still_open_is_merged_once_it_has_many_files(site):
    for i in range(archive.MERGE_AT):
        _ingest(site, [combined(IPS[i % 4], DAY + timedelta(minutes=i))])
    assert archive.merge_months(now=DAY + timedelta(hours=1)) == 1
    [live] = ArchiveFile.objects.filter(removed_at__isnull=True)
    assert live.rows == archive.MERGE_AT and live.ip_sorted


@pytest.mark.django_db
def test_todays_files_are_sorted_beside_the_months_file_then_folded_in(site, monkeypatch):
    monkeypatch.setattr(archive, "MERGE_AT", 3)
    _ingest(site, [combined(IPS[0], DAY - timedelta(days=1))] * 5)  # 1 March
    assert archive.merge_months(now=DAY) == 1
    [main] = ArchiveFile.objects.filter(removed_at__isnull=True)
    for i in range(3):  # three batches on 2 March, its day still open
        _ingest(site, [combined(IPS[i], DAY + timedelta(minutes=i))] * 2)
    assert archive.merge_months(now=DAY + timedelta(hours=1)) == 1
    live = ArchiveFile.objects.filter(removed_at__isnull=True).order_by("first_day")
    assert [(f.pk == main.pk, f.rows, f.ip_sorted) for f in live] == [
        (True, 5, True),
        (False, 6, True),
    ]
    assert archive.merge_months(now=DAY + timedelta(hours=2)) == 0
    # Once 2 March has closed, the file beside is folded into the month's one file.
    assert archive.merge_months(now=DAY + timedelta(days=1)) == 1
    [folded] = ArchiveFile.objects.filter(removed_at__isnull=True)
    assert folded.rows == 11 and len(_all(site)) == 11
    assert archive.verify() == []


@pytest.mark.django_db
def test_one_call_merges_a_few_months_at_most(site, monkeypatch):
    monkeypatch.setattr(archive, "MERGE_MONTHS", 2)
    _ingest(site, [combined(IPS[0], DAY + timedelta(days=31 * n)) for n in range(3)])
    later = DAY + timedelta(days=120)
    assert archive.merge_months(now=later, limit=archive.MERGE_MONTHS) == 2
    assert archive.merge_months(now=later, limit=archive.MERGE_MONTHS) == 1
    assert archive.merge_months(now=later) == 0


@pytest.mark.django_db
def test_a_large_unsorted_file_is_merged_even_while_its_day_is_open(site, monkeypatch):
    monkeypatch.setattr(archive, "MERGE_ROWS", 10)
    _ingest(site, [combined(IPS[i % 4], DAY + timedelta(minutes=i)) for i in range(9)])
    assert archive.merge_months(now=DAY + timedelta(hours=1)) == 0
    _ingest(site, [combined(IPS[i % 4], DAY + timedelta(minutes=i)) for i in range(10)])
    assert archive.merge_months(now=DAY + timedelta(hours=1)) == 1
    [live] = ArchiveFile.objects.filter(removed_at__isnull=True)
    assert live.rows == 19 and live.ip_sorted


@pytest.mark.django_db
def test_lines_over_several_months_go_to_one_file_per_month(site):
    lines = [combined(IPS[0], DAY + timedelta(days=15 * n)) for n in range(5)]  # Mar–May
    _ingest(site, lines)
    files = ArchiveFile.objects.filter(removed_at__isnull=True).order_by("first_day")
    assert [(f.first_day.month, f.rows) for f in files] == [(3, 2), (4, 2), (5, 1)]
    assert archive.merge_months(now=DAY + timedelta(days=90)) == 3
    assert ArchiveFile.objects.filter(removed_at__isnull=True, ip_sorted=True).count() == 3
    page = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=2)
    assert [row["ts"].month for row in page.rows] == [5, 4]  # newest first, across months
    assert len(_all(site, ip=IPS[0])) == 5


@pytest.mark.django_db
def test_other_websites_lines_stay_apart(site):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", DAY)])
    writer.append(site.other.pk, [combined("203.0.113.7", DAY, host="www.wsxyy.cn")] * 2)
    writer.close()
    archive.compact(idle_seconds=None)
    assert len(_all(site)) == 1
    other = accesslog_page(websites=[site.other], log_filter=LogFilter(ip="203.0.113.7"))
    assert len(other.rows) == 2


@pytest.mark.django_db
def test_a_segment_that_cannot_be_read_is_set_aside_not_lost(site):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", DAY)] * 2)
    writer.close()
    _open, ready = spool_dirs(site.root)
    poison = ready / "poison.log"
    poison.write_bytes(b"not\x1fa\x1fnumber\n0\x1f1\x1f\n")
    result = archive.compact(idle_seconds=None)
    assert result.lines == 2
    assert (site.root / "spool" / "failed" / "poison.log").exists()
    assert not list(ready.glob("*.log"))
    assert archive.verify() == []


@pytest.mark.django_db
def test_a_page_read_while_a_merge_replaces_its_files_is_read_again(site, monkeypatch):
    for i in range(2):
        _ingest(site, [combined(IPS[i], DAY + timedelta(minutes=i))] * 3)
    listed = archive.files_for(website_ids=[site.website.pk])
    archive.merge_months(now=DAY + timedelta(days=2))  # the listed files are gone now
    calls = []

    def stale_then_fresh(**kwargs):
        calls.append(kwargs)
        return listed if len(calls) == 1 else archive.files_for(**kwargs)

    monkeypatch.setattr(selectors, "files_for", stale_then_fresh)
    assert len(_all(site)) == 6 and len(calls) == 2
