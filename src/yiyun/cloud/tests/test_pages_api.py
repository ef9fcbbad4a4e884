"""The cloud pages and API: what a person sees and what a program gets."""

import json
import re
from datetime import datetime, timedelta

import time_machine

from yiyun.cloud.models import Server
from yiyun.cloud.tests.factories import (
    a_catalogue,
    a_host,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
    small_entitlement,
)
from yiyun.core.clock import SHANGHAI

NOW = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


def _post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_capacity_page_draws_its_own_chart_and_states_the_units(world, login, libvirt_test):
    contract = contract_for(world.customer_a, world.provider)
    a_host(world.provider, pool=False)
    client = login(world.admin_a)
    created = client.post(
        "/cloud/servers/new/",
        {
            "contract": contract.pk,
            "name": "his-app-01",
            "business_system": "HIS",
            "business_kind": "his",
            "site": world.site_a.pk,
            "vcpu": 16,
            "memory_gib": 64,
            "system_disk_gib": 100,
            "data_disks": "500, 200",
        },
    )
    server = Server.objects.get(name="his-app-01")
    assert created.status_code == 302 and created["Location"] == f"/cloud/servers/{server.pk}/"
    page = client.get(f"/cloud/contracts/{contract.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    # The chart is SVG drawn by the platform; the page has no script and no inline style.
    assert '<svg class="chart"' in html
    assert "剩余 196 / 212 core" in html
    assert "T 按 TiB（1 TiB = 1024 GiB）" in html
    assert "存储合计15.3T" in html
    assert "<script" not in html.split("<main>")[1]
    assert not re.search(r"\sstyle=", html)
    # Per site and per business system.
    assert html.count("HIS") >= 2 and world.site_a.name in html


def test_over_entitlement_is_told_on_the_page_and_as_400_in_the_api(world, login, libvirt_test):
    contract = contract_for(
        world.customer_a,
        world.provider,
        number="YY-SMALL",
        entitlements=small_entitlement(vcpu="4", memory="8"),
    )
    a_host(world.provider, pool=False)
    client = login(world.admin_a)
    body = {
        "contract": contract.pk,
        "name": "pacs-01",
        "vcpu": 8,
        "memory_gib": 4,
        "system_disk_gib": 10,
    }
    response = _post_json(client, "/api/cloud/servers", body)
    assert response.status_code == 400
    assert response.json()["code"] == "over_entitlement"
    page = client.post(
        "/cloud/servers/new/",
        {**body, "business_kind": "pacs", "next": "/cloud/servers/"},
        follow=True,
    )
    assert "超出配额 4 core" in page.content.decode()
    body["vcpu"] = 4
    response = _post_json(client, "/api/cloud/servers", body)
    assert response.status_code == 201, response.content
    capacity = client.get(f"/api/cloud/contracts/{contract.pk}/capacity").json()
    vcpu = next(line for line in capacity["lines"] if line["resource"] == "vcpu")
    assert (vcpu["entitled"], vcpu["allocated"], vcpu["remaining"]) == ("4", "4", "0")


@time_machine.travel(NOW, tick=False)
def test_clause_3_7_through_the_api(world, login):
    contract = contract_for(world.customer_a, world.provider)
    a_catalogue(world.provider)
    provider = login(world.provider_admin)
    customer = login(world.admin_a)
    proposed = _post_json(
        provider,
        "/api/cloud/changes",
        {
            "contract": contract.pk,
            "kind": "provider_3_7",
            "title": "监控代理升级",
            "planned_at": (NOW + timedelta(days=3)).isoformat(),
        },
    )
    assert proposed.status_code == 201, proposed.content
    change_id = proposed.json()["id"]
    refused = provider.post(f"/api/cloud/changes/{change_id}/apply")
    assert refused.status_code == 400 and refused.json()["code"] == "consent_required"
    assert _post_json(provider, f"/api/cloud/changes/{change_id}/approve", {}).status_code == 403
    consent = _post_json(customer, f"/api/cloud/changes/{change_id}/approve", {"note": "同意"})
    assert consent.status_code == 200 and consent.json()["consent_by"] == "a-admin"
    applied = provider.post(f"/api/cloud/changes/{change_id}/apply")
    assert applied.status_code == 200 and applied.json()["state"] == "applied"


def test_pages_render_for_each_role(world, login, libvirt_test):
    contract_for(world.customer_a, world.provider)
    a_catalogue(world.provider)
    for user in (world.provider_admin, world.admin_a, world.auditor_a):
        client = login(user)
        for url in (
            "/cloud/",
            "/cloud/servers/",
            "/cloud/changes/",
            "/cloud/prices/",
            "/cloud/overuse/",
            "/cloud/hosts/",
            "/",
        ):
            assert client.get(url).status_code == 200, (user, url)
    # Forms to write are offered to those who may write, not to the auditor.
    assert "新建云服务器" in login(world.admin_a).get("/cloud/servers/").content.decode()
    assert "新建云服务器" not in login(world.auditor_a).get("/cloud/servers/").content.decode()
    assert "登记价格" in login(world.provider_admin).get("/cloud/prices/").content.decode()


def test_the_page_returns_only_to_this_site(world, login, libvirt_test):
    contract = contract_for(world.customer_a, world.provider)
    a_host(world.provider, pool=False)
    response = login(world.admin_a).post(
        "/cloud/servers/new/",
        {"contract": contract.pk, "name": "bad name!", "vcpu": 1, "memory_gib": 1,
         "system_disk_gib": 10, "business_kind": "other", "next": "//evil.example/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/cloud/servers/"
