"""Portal pages and API operations beyond the isolation cases: what they show and do."""

from datetime import datetime, timedelta

import pytest

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.models import Website
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import archive_in, combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


@pytest.mark.django_db
def test_register_a_website_on_its_page(world, login, settings, tmp_path):
    archive_in(settings, tmp_path)
    client = login(world.admin_a)
    response = client.post(
        "/websites/new/",
        {
            "organisation": world.customer_a.pk,
            "site": world.site_a2.pk,
            "domain": "WWW.GZLK.cn",
            "name": "盖孜力克镇卫生院",
            "retention_days": 180,
        },
    )
    website = Website.objects.get(domain="www.gzlk.cn")
    assert response.status_code == 302 and website.site == world.site_a2
    refused = client.post(
        "/websites/new/",
        {
            "organisation": world.customer_a.pk,
            "site": world.site_b.pk,
            "domain": "b.cn",
            "name": "x",
            "retention_days": 180,
        },
    )
    assert refused.status_code == 200 and not Website.objects.filter(domain="b.cn").exists()
    assert login(world.member_a).get("/websites/new/").status_code == 403


@pytest.mark.django_db
def test_api_registers_queries_and_pages(site, world, login):
    client = login(world.admin_a)
    made = client.post(
        "/api/websites",
        {
            "organisation": world.customer_a.pk,
            "site": world.site_a.pk,
            "domain": "api.kpxyy.cn",
            "name": "接口",
        },
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["site"] == world.site_a.pk
    assert (
        client.post(
            "/api/websites",
            {"organisation": world.customer_b.pk, "domain": "x.wsxyy.cn", "name": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    writer = SpoolWriter(site.root)
    writer.append(
        site.website.pk,
        [combined("2001:db8::1", DAY + timedelta(minutes=i), path=f"/{i}") for i in range(25)],
    )
    writer.close()
    archive.compact(idle_seconds=None)
    url = f"/api/websites/{site.website.pk}/logs"
    first = client.get(url, {"ip": "2001:db8::/64", "limit": 10}).json()
    assert len(first["rows"]) == 10 and first["next_cursor"]
    paths = [r["path"] for r in first["rows"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(url, {"ip": "2001:db8::/64", "limit": 10, "cursor": cursor}).json()
        paths += [r["path"] for r in page["rows"]]
        cursor = page["next_cursor"]
    assert paths == [f"/{i}" for i in reversed(range(25))]
    assert client.get(url, {"ip": "nonsense"}).status_code == 400
    coverage = client.get(
        f"/api/websites/{site.website.pk}/coverage", {"first": "2026-03-02", "last": "2026-03-02"}
    ).json()
    assert coverage[0]["lines"] == 25
