import tempfile
from datetime import date
from pathlib import Path

from django.conf import settings

from yiyun.testing.isolation import Operation, Page
from yiyun.websites.models import Website
from yiyun.websites.selectors import LogFilter
from yiyun.websites.services import (
    accesslog_export,
    filing_add,
    legal_hold_place,
    website_create,
)


def _website_a(world) -> Website:
    # Token files and exports go to one scratch archive under the system's temporary
    # directory, never under var/ (the central test has no per-test directory to give).
    if not getattr(settings, "ACCESSLOG_DIR", None):
        settings.ACCESSLOG_DIR = str(Path(tempfile.gettempdir()) / "yiyun-websites-isolation")
    website = Website.objects.filter(organisation=world.customer_a).first()
    return website or website_create(
        organisation=world.customer_a, domain="www.kpxyy.cn", name="柯坪县人民医院门户", by=None
    )


def _pk(world) -> dict:
    return {"pk": _website_a(world).pk}


def _id(world) -> dict:
    return {"website_id": _website_a(world).pk}


def _filing(world):
    return filing_add(
        website=_website_a(world), kind="icp_filing", number="新ICP备00000001号-1", by=None
    )


def _hold(world):
    return legal_hold_place(website=_website_a(world), reason="公安调查", by=None)


def _export(world):
    return accesslog_export(
        website=_website_a(world),
        log_filter=LogFilter(ip="203.0.113.7"),
        basis="6.3.1",
        authority="柯坪县公安局",
        document_number="柯公(网)调证字〔2026〕1号",
        legal_basis="《网络安全法》第二十八条",
        approved_by="信息科主任",
        by=world.admin_a,
    )


_EXPORT_BODY = {
    "ip": "203.0.113.7",
    "basis": "6.3.1",
    "authority": "柯坪县公安局",
    "document_number": "柯公(网)调证字〔2026〕2号",
    "legal_basis": "《网络安全法》第二十八条",
    "approved_by": "信息科主任",
}

CASES = [
    Page("websites:list"),
    Page(
        "websites:create",
        write=True,
        data=lambda w: {"organisation": w.customer_a.pk, "domain": "new.kpxyy.cn", "name": "新站"},
    ),
    Page("websites:detail", _pk),
    Page(
        "websites:edit",
        _pk,
        write=True,
        data=lambda w: {"name": "门户", "status": "online", "retention_days": 180},
    ),
    Page("websites:token", _pk, write=True),
    Page(
        "websites:filing_add",
        _pk,
        write=True,
        data=lambda w: {"kind": "icp_filing", "number": "新ICP备00000002号"},
    ),
    Page(
        "websites:filing_renew",
        lambda w: {"pk": _filing(w).pk},
        write=True,
        data=lambda w: {"number": "新ICP备00000003号"},
    ),
    Page("websites:hold_add", _pk, write=True, data=lambda w: {"reason": "诉讼保全"}),
    Page("websites:hold_release", lambda w: {"pk": _hold(w).pk}, write=True),
    Page("websites:logs", _pk),
    Page(
        "websites:export", _pk, write=True, data=lambda w: {**_EXPORT_BODY, "approved_by": "主任"}
    ),
    Page(
        "websites:export_file",
        lambda w: {"pk": (e := _export(w)).pk, "name": e.files[0]["name"]},
    ),
    # Authenticated by the website's ingest token, not a session: tested in test_ingest.
    Page("websites:ingest", public=True),
    Operation("websites_website_list", marker=lambda w: _website_a(w).domain),
    Operation(
        "websites_website_add",
        write=True,
        body=lambda w: {"organisation": w.customer_a.pk, "domain": "api.kpxyy.cn", "name": "接口"},
    ),
    Operation("websites_website_get", _id),
    Operation("websites_website_change", _id, write=True, body=lambda w: {"server": "web-01"}),
    Operation("websites_website_token", _id, write=True),
    Operation("websites_filing_list", _id),
    Operation(
        "websites_filing_add",
        _id,
        write=True,
        body=lambda w: {"kind": "icp_filing", "number": "新ICP备00000004号"},
    ),
    Operation("websites_hold_list", _id),
    Operation("websites_hold_add", _id, write=True, body=lambda w: {"reason": "调查"}),
    Operation("websites_hold_release", lambda w: {"hold_id": _hold(w).pk}, write=True),
    Operation("websites_log_query", _id),
    Operation("websites_coverage", _id),
    Operation("websites_export_list", _id),
    Operation(
        "websites_export_create",
        _id,
        write=True,
        body=lambda w: {**_EXPORT_BODY, "since": date(2026, 1, 1).isoformat() + "T00:00:00+08:00"},
    ),
]
