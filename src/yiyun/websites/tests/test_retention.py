"""Retention (2.4): never below 60 days, 180 by default; expiry by the worker; holds."""

from datetime import date, datetime, timedelta

import duckdb
import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.websites import archive, jobs
from yiyun.websites.models import ArchiveFile, ManifestEntry
from yiyun.websites.services import (
    legal_hold_place,
    legal_hold_release,
    website_create,
    website_update,
)
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


@pytest.mark.django_db
def test_clause_2_4_retention_59_refused_with_the_reason_60_accepted(site, world):
    with pytest.raises(DomainError) as refused:
        website_update(website=site.website, by=world.admin_a, retention_days=59)
    assert "互联网信息服务管理办法" in refused.value.message and "60" in refused.value.message
    assert refused.value.field == "retention_days"
    site.website.refresh_from_db()
    assert site.website.retention_days == 180  # the default (网络安全法 art. 21)
    website_update(website=site.website, by=world.admin_a, retention_days=60)
    site.website.refresh_from_db()
    assert site.website.retention_days == 60
    with pytest.raises(DomainError):
        website_create(
            organisation=world.customer_a, domain="x.kpxyy.cn", name="x", by=None, retention_days=30
        )
    with pytest.raises(PermissionDenied):
        website_update(website=site.website, by=world.auditor_a, retention_days=365)


@pytest.mark.django_db
def test_clause_2_4_retention_through_the_api_and_the_page(site, world, login):
    client = login(world.admin_a)
    response = client.patch(
        f"/api/websites/{site.website.pk}",
        {"retention_days": 59},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "第十四条" in response.json()["detail"]
    response = client.post(
        f"/websites/{site.website.pk}/edit/",
        {"name": "门户", "status": "online", "retention_days": 59},
    )
    assert response.status_code == 200 and "第十四条" in response.content.decode()


def _day_of_lines(site, when):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined("203.0.113.7", when, path=f"/{when:%m%d}")] * 3)
    writer.close()
    archive.compact(idle_seconds=None)


def _live_days(site):
    """The days whose lines are still in the website's live files (read from the files)."""
    live = ArchiveFile.objects.filter(website=site.website, removed_at__isnull=True)
    paths = [str(site.root / "archive" / f.path) for f in live]
    if not paths:
        return []
    days = duckdb.sql(f"SELECT DISTINCT day FROM read_parquet({paths})").fetchall()  # noqa: S608
    return sorted(day for (day,) in days)


@pytest.mark.django_db
def test_clause_2_4_expiry_after_retention_and_legal_hold(site, world):
    website_update(website=site.website, by=world.admin_a, retention_days=60)
    days = [START, START + timedelta(days=1), START + timedelta(days=2)]
    for when in days:
        _day_of_lines(site, when)
    # One file for the month: expiry has to rewrite it without the expired days.
    assert archive.merge_months(now=days[2] + timedelta(days=1)) == 1
    assert _live_days(site) == [d.date() for d in days]
    hold = legal_hold_place(
        website=site.website,
        reason="公安机关调查",
        starts_on=days[1].date(),
        ends_on=days[1].date(),
        by=world.admin_a,
    )
    # 2 March ended at 3 March 00:00; sixty full days later is 2 May 00:00.
    with time_machine.travel(datetime(2026, 5, 1, 23, 59, tzinfo=SHANGHAI), tick=False):
        jobs.expire()
        assert _live_days(site) == [d.date() for d in days]
    with time_machine.travel(datetime(2026, 5, 2, 0, 1, tzinfo=SHANGHAI), tick=False):
        jobs.expire()
        assert _live_days(site) == [days[1].date(), days[2].date()]
        [rewritten] = ArchiveFile.objects.filter(website=site.website, removed_at__isnull=True)
        assert rewritten.first_day == days[1].date() and rewritten.rows == 6
    with time_machine.travel(datetime(2026, 5, 20, tzinfo=SHANGHAI), tick=False):
        jobs.expire()
        # The held day stays; the day after it goes.
        assert _live_days(site) == [days[1].date()]
        # Run again (the worker does, hourly): nothing left to delete, nothing rewritten.
        entries, audits = ManifestEntry.objects.count(), AuditEntry.objects.count()
        jobs.expire()
        assert (ManifestEntry.objects.count(), AuditEntry.objects.count()) == (entries, audits)
        legal_hold_release(hold=hold, by=world.admin_a)
        jobs.expire()
        assert _live_days(site) == []
    assert archive.verify() == []
    assert not list((site.root / "archive" / str(site.website.pk)).rglob("*.parquet"))
    expired = AuditEntry.objects.filter(action="accesslog.expired")
    assert sorted(day for entry in expired for day in entry.data["days"]) == [
        d.date().isoformat() for d in days
    ]


@pytest.mark.django_db
def test_a_hold_on_the_whole_website_keeps_everything(site, world):
    _day_of_lines(site, START)
    legal_hold_place(website=site.website, reason="诉讼", by=world.admin_a)
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=SHANGHAI), tick=False):
        jobs.expire()
    assert _live_days(site) == [date(2026, 3, 2)]
