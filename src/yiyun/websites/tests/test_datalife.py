"""The access-log archive in the end-of-service export and purge (6.5)."""

import json
from datetime import datetime, timedelta

import duckdb
import pytest

from yiyun.core.clock import SHANGHAI
from yiyun.datalife.hooks import export_hooks, purge_hooks
from yiyun.websites import archive
from yiyun.websites.datalife import export_for, purge_for
from yiyun.websites.models import ArchiveFile, DailyCoverage, LogExport
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.services import accesslog_export, legal_hold_place
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
MARKER = "/patient/7731"


@pytest.fixture
def site(world, settings, tmp_path):
    site = sites_for(world, settings, tmp_path)
    writer = SpoolWriter(site.root)
    for n in range(3):  # 2, 3 and 4 March
        writer.append(site.website.pk, [combined("203.0.113.7", DAY + timedelta(days=n), MARKER)])
    writer.append(site.other.pk, [combined("198.51.100.1", DAY, host="www.wsxyy.cn")])
    writer.close()
    archive.compact(idle_seconds=None)
    archive.merge_months(now=DAY + timedelta(days=5))
    return site


def _rows(website):
    return accesslog_page(websites=[website], log_filter=LogFilter(), limit=100).rows


@pytest.mark.django_db
def test_the_apps_hooks_are_registered():
    assert ("websites", export_for) in export_hooks()
    assert ("websites", purge_for) in purge_hooks()


@pytest.mark.django_db
def test_clause_6_5_export_holds_the_register_and_the_customers_own_logs(site, world):
    members = dict(export_for(world.customer_a))
    register = json.loads(members.pop("websites.json"))
    assert [w["domain"] for w in register] == ["www.kpxyy.cn"]
    [(name, path)] = members.items()
    assert name.startswith("accesslogs/www.kpxyy.cn/2026-03/") and name.endswith(".parquet")
    paths = duckdb.sql(f"SELECT path FROM read_parquet('{path}')").fetchall()  # noqa: S608
    assert paths == [(MARKER,)] * 3


@pytest.mark.django_db
def test_clause_6_5_purge_deletes_the_logs_but_the_days_under_a_legal_hold(site, world):
    export = accesslog_export(
        website=site.website,
        log_filter=LogFilter(ip="203.0.113.7"),
        by=world.admin_a,
        basis="6.3.1",
        authority="柯坪县公安局网安大队",
        document_number="柯公(网)调证字〔2026〕7号",
        legal_basis="《中华人民共和国网络安全法》第二十八条",
        approved_by="信息科主任 艾力",
    )
    copies = site.root / "exports" / export.files[0]["dir"]
    assert copies.is_dir()
    legal_hold_place(
        website=site.website,
        reason="公安机关调查",
        starts_on=DAY.date() + timedelta(days=1),
        ends_on=DAY.date() + timedelta(days=1),
        by=world.admin_a,
    )
    items = purge_for(world.customer_a)
    assert items[0]["count"] == 2  # the lines of 2 and 4 March
    assert "法律保全" in items[-1]["what"] and items[-1]["count"] == 1
    [kept] = _rows(site.website)
    assert kept["ts"].date() == DAY.date() + timedelta(days=1)
    assert not copies.exists() and LogExport.objects.filter(pk=export.pk).exists()
    assert not DailyCoverage.objects.filter(website=site.website).exists()
    # Customer B's logs are not touched; a second run deletes nothing more.
    assert len(_rows(site.other)) == 1
    assert purge_for(world.customer_a)[0]["count"] == 0
    assert archive.verify() == []
    removed = ArchiveFile.objects.filter(website=site.website, removed_reason="purged")
    assert removed.count() == 1


@pytest.mark.django_db
def test_clause_6_5_purge_without_a_hold_leaves_no_file(site, world):
    items = purge_for(world.customer_a)
    assert items[0]["count"] == 3 and len(items) == 3
    assert not ArchiveFile.objects.filter(website=site.website, removed_at__isnull=True)
    assert not list((site.root / "archive" / str(site.website.pk)).rglob("*.parquet"))
    assert _rows(site.website) == []
