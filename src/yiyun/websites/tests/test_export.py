"""Lawful export (6.3): only for a recorded request; a disclosure the customer sees."""

import csv
import hashlib
import io
from datetime import datetime, timedelta

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.datalife.models import Disclosure
from yiyun.datalife.selectors import disclosures_visible
from yiyun.websites import archive
from yiyun.websites.models import LogExport
from yiyun.websites.selectors import LogFilter
from yiyun.websites.services import accesslog_export
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
REQUEST = {
    "basis": "6.3.1",
    "authority": "柯坪县公安局网安大队",
    "document_number": "柯公(网)调证字〔2026〕7号",
    "legal_basis": "《中华人民共和国网络安全法》第二十八条",
    "approved_by": "信息科主任 艾力",
}


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _archive(site):
    writer = SpoolWriter(site.root)
    lines = [combined("203.0.113.7", DAY + timedelta(minutes=i), path=f"/p{i}") for i in range(30)]
    lines += [combined("198.51.100.1", DAY, path="/other")] * 5
    writer.append(site.website.pk, lines)
    writer.close()
    archive.compact(idle_seconds=None)


def _export_dir(site):
    return site.root / "exports"


@pytest.mark.django_db
def test_clause_6_3_export_without_a_lawful_request_is_refused(site, world):
    _archive(site)
    for missing in ("authority", "legal_basis", "document_number"):
        with pytest.raises(DomainError):
            accesslog_export(
                website=site.website,
                log_filter=LogFilter(ip="203.0.113.7"),
                by=world.admin_a,
                **{**REQUEST, missing: ""},
            )
    with pytest.raises(DomainError):
        accesslog_export(
            website=site.website,
            log_filter=LogFilter(),
            by=world.admin_a,
            **{**REQUEST, "basis": "x"},
        )
    with pytest.raises(PermissionDenied):
        accesslog_export(
            website=site.website, log_filter=LogFilter(), by=world.auditor_a, **REQUEST
        )
    with pytest.raises(PermissionDenied):
        accesslog_export(website=site.website, log_filter=LogFilter(), by=world.admin_b, **REQUEST)
    assert not LogExport.objects.exists() and not Disclosure.objects.exists()
    # Nothing left on disk either: files exist only with their recorded disclosure.
    assert not list(site.root.rglob("*.csv"))


@pytest.mark.django_db
def test_clause_6_3_export_records_a_disclosure_visible_to_that_customer_only(site, world, login):
    _archive(site)
    export = accesslog_export(
        website=site.website,
        log_filter=LogFilter(ip="203.0.113.7", since=DAY, until=DAY + timedelta(minutes=20)),
        by=world.provider_admin,
        **REQUEST,
    )
    assert export.rows == 20
    csv_file, parquet_file = (_export_dir(site) / f["dir"] / f["name"] for f in export.files)
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text())))
    assert len(rows) == 20 and {r["client_ip"] for r in rows} == {"203.0.113.7"}
    assert rows[0]["time"] == "2026-03-02T08:00:00+08:00" and rows[0]["path"] == "/p0"
    assert pq.read_metadata(parquet_file).num_rows == 20
    disclosure = export.disclosure
    assert disclosure.organisation == world.customer_a
    assert disclosure.basis == "6.3.1"
    assert disclosure.document_number == REQUEST["document_number"]
    assert {f["sha256"] for f in disclosure.files} == {
        hashlib.sha256(csv_file.read_bytes()).hexdigest(),
        hashlib.sha256(parquet_file.read_bytes()).hexdigest(),
    }
    assert disclosure.scope["query"]["ip"] == "203.0.113.7"
    # The customer sees it in its register; another customer does not.
    assert disclosure in disclosures_visible(world.admin_a)
    assert disclosure in disclosures_visible(world.auditor_a)
    assert disclosure not in disclosures_visible(world.admin_b)
    assert login(world.admin_b).get(f"/datalife/disclosures/{disclosure.pk}/").status_code == 404
    page = login(world.admin_a).get(f"/websites/{site.website.pk}/")
    assert REQUEST["document_number"] in page.content.decode()
    download = login(world.admin_a).get(f"/websites/exports/{export.pk}/{export.files[0]['name']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == csv_file.read_bytes()
    assert (
        login(world.admin_b)
        .get(f"/websites/exports/{export.pk}/{export.files[0]['name']}")
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_export_through_the_api(site, world, login):
    _archive(site)
    client = login(world.admin_a)
    url = f"/api/websites/{site.website.pk}/exports"
    refused = client.post(url, {"ip": "203.0.113.7"}, content_type="application/json")
    assert refused.status_code in (400, 422)
    made = client.post(url, {**REQUEST, "ip": "198.51.100.1"}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["rows"] == 5
    assert Disclosure.objects.get(pk=made.json()["disclosure"]).organisation == world.customer_a
