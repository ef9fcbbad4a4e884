"""The service desk API: the same rules as the portal, scoped by tenant."""

import base64
import json

import pytest
import time_machine

from yiyun.servicedesk.tests.fixtures import PDF, at, contract, media  # noqa: F401

pytestmark = pytest.mark.usefixtures("media", "contract")


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_ticket_lifecycle_through_the_api(world, login):
    customer, desk = login(world.member_a), login(world.engineer)
    with time_machine.travel(at("2026-10-12T10:40"), tick=False) as traveller:
        created = _post(
            customer,
            "/api/servicedesk/tickets",
            {"kind": "fault", "title": "HIS 无法登录", "site": world.site_a2.pk},
        )
        assert created.status_code == 201, created.content
        ticket = created.json()
        assert ticket["channel"] == "api" and ticket["clock"]["clause"] == "2.2"
        assert ticket["clock"]["due_at"] == "2026-10-13T10:40:00+08:00"
        assert ticket["clock"]["countdown"].startswith("剩余")

        # The hotline desk enters a call from 09:15 for the customer.
        phoned = _post(
            desk,
            "/api/servicedesk/tickets",
            {
                "organisation": world.customer_a.pk,
                "kind": "complex",
                "title": "门诊慢",
                "channel": "phone",
                "reported_at": "2026-10-12T09:15:00+08:00",
                "reporter_name": "王医生",
            },
        ).json()
        assert phoned["reported_at"] == "2026-10-12T09:15:00+08:00"
        assert phoned["clock"]["due_at"] == "2026-10-14T09:15:00+08:00"
        future = _post(
            desk,
            "/api/servicedesk/tickets",
            {
                "organisation": world.customer_a.pk,
                "kind": "fault",
                "title": "x",
                "channel": "phone",
                "reported_at": "2026-10-12T11:00:00+08:00",
                "reporter_name": "王医生",
            },
        )
        assert future.status_code == 400 and future.json()["field"] == "reported_at"
        refused = _post(
            customer,
            "/api/servicedesk/tickets",
            {"kind": "fault", "title": "x", "channel": "phone", "reported_at": "2026-10-12T09:00"},
        )
        assert refused.status_code == 403

        url = f"/api/servicedesk/tickets/{ticket['id']}"
        patched = desk.patch(
            url,
            data=json.dumps({"assignee": world.engineer.person.pk}),
            content_type="application/json",
        )
        assert (
            patched.json()["assignee"] == world.engineer.person.pk
            and patched.json()["status"] == "in_progress"
        )
        assert (
            customer.patch(
                url,
                data=json.dumps({"assignee": world.engineer.person.pk}),
                content_type="application/json",
            ).status_code
            == 403
        )
        note = _post(desk, f"{url}/actions", {"action": "note", "text": "内部：查交换机"})
        assert note.status_code == 200
        upload = {"name": "截图.pdf", "content_base64": base64.b64encode(PDF).decode()}
        commented = _post(
            customer, f"{url}/actions", {"action": "comment", "text": "附截图", "files": [upload]}
        )
        assert commented.status_code == 200
        bad = _post(customer, f"{url}/attachments", {"name": "x.exe", "content_base64": "TVo="})
        assert bad.status_code == 400 and bad.json()["code"] == "bad_type"

        timeline = customer.get(f"{url}/timeline").json()
        texts = [event["text"] for event in timeline]
        assert "附截图" in texts and not any("交换机" in text for text in texts)
        attachment = next(e["attachment"] for e in timeline if e["attachment"])
        downloaded = customer.get(attachment["url"])
        assert b"".join(downloaded.streaming_content) == PDF
        assert any("交换机" in e["text"] for e in desk.get(f"{url}/timeline").json())

        changed = _post(
            desk, f"{url}/actions", {"action": "kind", "kind": "complex", "text": "配置问题"}
        )
        assert [c["rule"] for c in changed.json()["clocks"]] == ["2.2", "4.2.complex"]
        traveller.move_to(at("2026-10-12T12:00"))
        resolved = _post(desk, f"{url}/actions", {"action": "resolve", "text": "已修复"})
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["clock"]["state"] == "met"

        listed = customer.get("/api/servicedesk/tickets", {"kind": "complex"}).json()
        assert {t["id"] for t in listed} == {ticket["id"], phoned["id"]}
        due_soon = desk.get("/api/servicedesk/tickets", {"due_before": "2026-10-15T00:00"}).json()
        assert [t["id"] for t in due_soon] == [phoned["id"]]
        assert login(world.admin_b).get(url).status_code == 404


def test_contact_change_complaint_and_violation_through_the_api(world, login):
    admin, provider = login(world.admin_a), login(world.provider_admin)
    with time_machine.travel(at("2026-03-02T10:00"), tick=False) as traveller:
        change = _post(
            admin,
            "/api/servicedesk/contact-changes",
            {
                "action": "add",
                "name": "李主任",
                "phone": "13800000000",
                "notified_by": "信息科",
                "document": {"name": "通知.pdf", "content_base64": base64.b64encode(PDF).decode()},
            },
        )
        assert change.status_code == 201, change.content
        change = change.json()
        # Monday: Tuesday and Wednesday are the two working days: by 24:00 of 03-04.
        assert change["clock"]["due_at"] == "2026-03-05T00:00:00+08:00"
        assert change["documents"][0]["name"] == "通知.pdf"
        contacts = admin.get("/api/servicedesk/contacts").json()
        assert "李主任" not in [c["name"] for c in contacts["contacts"]]
        assert [p["id"] for p in contacts["pending"]] == [change["id"]]
        act = f"/api/servicedesk/contact-changes/{change['id']}/actions"
        assert _post(admin, act, {"action": "confirm"}).status_code == 403
        assert _post(provider, act, {"action": "confirm"}).json()["status"] == "confirmed"
        contacts = admin.get("/api/servicedesk/contacts").json()
        assert "李主任" in [c["name"] for c in contacts["contacts"]]

        from yiyun.servicedesk.services import violation_record

        violation = violation_record(
            by=world.provider_admin,
            organisation=world.customer_a,
            clause_breached="2.7.5",
            description="对外扫描",
            delivered_at=at("2026-03-02T10:00"),
        )
        url = f"/api/servicedesk/violations/{violation.pk}"
        got = admin.get(url).json()
        assert got["measures_allowed_from"] == "2026-04-02T00:00:00+08:00"  # 24:00 of 04-01
        traveller.move_to(at("2026-03-31T10:00"))
        early = _post(provider, f"{url}/actions", {"action": "measure", "measure_kind": "suspend"})
        assert early.status_code == 409 and "2026-04-02 00:00" in early.json()["detail"]
        traveller.move_to(at("2026-04-02T10:00"))
        done = _post(provider, f"{url}/actions", {"action": "measure", "measure_kind": "suspend"})
        assert done.status_code == 200
        measures = admin.get("/api/servicedesk/measures").json()
        assert [m["kind"] for m in measures] == ["suspend"] and "3.6" in measures[0]["legal_ground"]
        assert login(world.admin_b).get("/api/servicedesk/measures").json() == []


def test_reports_and_roster_through_the_api(world, login, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T10:00"), tick=False):
        figures = login(world.admin_a).get(
            f"/api/servicedesk/reports/sla/{contract.pk}", {"month": "2026-10"}
        )
        assert figures.json()["figures"]["contract"]["number"] == contract.number
        assert (
            login(world.admin_b).get(f"/api/servicedesk/reports/sla/{contract.pk}").status_code
            == 404
        )
        verify = _post(
            login(world.admin_a), "/api/servicedesk/reports/verify", {"sha256": "a" * 64}
        )
        assert verify.json() == {
            "valid": False,
            "sha256": "a" * 64,
            "contract": None,
            "month": None,
            "generated_at": None,
            "content_sha256": None,
        }
        assert login(world.admin_a).get("/api/servicedesk/duty").json() == []
