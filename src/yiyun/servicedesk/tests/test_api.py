"""The service desk API: the same rules as the portal, scoped by tenant."""

import base64
import json

import pytest
import time_machine
from django.test import Client

from yiyun.contracts.services import contract_load
from yiyun.contracts.tests.factories import seed_data
from yiyun.core import clock
from yiyun.servicedesk.models import Complaint, ViolationNotice
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


# -- creating complaints (2.10), violation notices (3.6) and duty shifts ------------------


def test_complaint_recorded_through_the_api_opens_the_2_10_clock(world, login):
    from yiyun.obligations.selectors import obligations_for
    from yiyun.servicedesk.models import Complaint

    provider = login(world.provider_admin)
    body = {
        "organisation": world.customer_a.pk,
        "complainant": "某著作权人",
        "complainant_contact": "010-12345678",
        "received_at": "2026-02-13T14:00:00+08:00",
        "notified_at": "2026-02-13T15:00:00+08:00",
        "content": "官网转载文章未获授权",
        "location": "https://www.kpxyy.cn/news/1",
        "files": [{"name": "投诉函.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    with time_machine.travel(at("2026-02-13T15:00"), tick=False):
        created = _post(provider, "/api/servicedesk/complaints", body)
        assert created.status_code == 201, created.content
        got = created.json()
        # Notified the working day before the Spring Festival: 7 working days end 03-02.
        assert got["clock"]["clause"] == "2.10"
        assert got["clock"]["due_at"] == "2026-03-03T00:00:00+08:00"
        assert got["status"] == "awaiting_answer"
        assert [a["name"] for a in got["attachments"]] == ["投诉函.pdf"]
        complaint = Complaint.objects.get(pk=got["id"])
        (obligation,) = obligations_for(complaint)
        assert obligation.clause == "2.10" and obligation.state == "open"
        assert obligation.due_at == at("2026-03-03T00:00")
        assert complaint.obligation_id == obligation.pk
        # The customer sees it; the other customer does not.
        url = f"/api/servicedesk/complaints/{got['id']}"
        assert login(world.admin_a).get(url).json()["clock"]["id"] == obligation.pk
        assert login(world.admin_b).get(url).status_code == 404

        # Refused: the customer itself (only the provider records a complaint), an
        # auditor, a provider that does not serve the customer, a missing or blank field.
        customer = _post(login(world.admin_a), "/api/servicedesk/complaints", body)
        assert customer.status_code == 403
        auditor = _post(login(world.auditor_a), "/api/servicedesk/complaints", body)
        assert auditor.status_code == 403
        other = _post(login(world.other_provider_admin), "/api/servicedesk/complaints", body)
        assert other.status_code == 404
        missing = {k: v for k, v in body.items() if k != "received_at"}
        assert _post(provider, "/api/servicedesk/complaints", missing).status_code == 422
        blank = _post(provider, "/api/servicedesk/complaints", {**body, "complainant": " "})
        assert blank.status_code == 400 and blank.json()["field"] == "complainant"
        future = _post(
            provider,
            "/api/servicedesk/complaints",
            {**body, "received_at": "2026-02-13T16:00:00+08:00", "notified_at": None},
        )
        assert future.status_code == 400 and future.json()["code"] == "in_the_future"
        assert Complaint.objects.count() == 1


def test_violation_notice_recorded_through_the_api_opens_the_3_6_clock(world, login):
    from yiyun.obligations.selectors import obligations_for
    from yiyun.servicedesk.models import ViolationNotice

    provider = login(world.provider_admin)
    body = {
        "organisation": world.customer_a.pk,
        "clause_breached": "2.7.5",
        "description": "对外扫描",
        "delivered_at": "2026-03-02T10:00:00+08:00",
        "document": {"name": "违约通知.pdf", "content_base64": base64.b64encode(PDF).decode()},
    }
    with time_machine.travel(at("2026-03-02T10:00"), tick=False):
        created = _post(provider, "/api/servicedesk/violations", body)
        assert created.status_code == 201, created.content
        got = created.json()
        assert got["clock"]["clause"] == "3.6"
        assert got["clock"]["due_at"] == "2026-04-02T00:00:00+08:00"  # 30 days: 24:00 of 04-01
        assert got["measures_allowed_from"] == "2026-04-02T00:00:00+08:00"
        assert [a["name"] for a in got["attachments"]] == ["违约通知.pdf"]
        violation = ViolationNotice.objects.get(pk=got["id"])
        (obligation,) = obligations_for(violation)
        assert obligation.clause == "3.6" and obligation.state == "open"
        assert obligation.due_at == at("2026-04-02T00:00")
        assert (
            login(world.admin_b).get(f"/api/servicedesk/violations/{got['id']}").status_code == 404
        )

        customer = _post(login(world.admin_a), "/api/servicedesk/violations", body)
        assert customer.status_code == 403
        other = _post(login(world.other_provider_admin), "/api/servicedesk/violations", body)
        assert other.status_code == 404
        not_a_customer = _post(
            provider,
            "/api/servicedesk/violations",
            {**body, "organisation": world.other_provider.pk},
        )
        assert not_a_customer.status_code == 404
        missing = {k: v for k, v in body.items() if k != "delivered_at"}
        assert _post(provider, "/api/servicedesk/violations", missing).status_code == 422
        clause = _post(provider, "/api/servicedesk/violations", {**body, "clause_breached": "3.1"})
        assert clause.status_code == 400 and clause.json()["field"] == "clause_breached"
        assert ViolationNotice.objects.count() == 1


def test_duty_shift_added_through_the_api_by_the_provider_only(world, login):
    from yiyun.servicedesk.models import DutyShift

    provider = login(world.provider_admin)
    with time_machine.travel(at("2026-10-12T10:00"), tick=False):
        desk = _post(
            provider,
            "/api/servicedesk/duty",
            {"person": world.engineer.person.pk, "role": "desk", "starts_at": "2026-10-12T08:00"},
        )
        # A moment without an offset is refused by the service, as in the portal's form.
        assert desk.status_code == 400 and desk.json()["field"] == "starts_at"
        desk = _post(
            provider,
            "/api/servicedesk/duty",
            {
                "person": world.engineer.person.pk,
                "role": "desk",
                "starts_at": "2026-10-12T08:00:00+08:00",
            },
        )
        assert desk.status_code == 201, desk.content
        assert desk.json()["on_duty"] is True and desk.json()["ends_at"] is None
        lead = _post(
            provider,
            "/api/servicedesk/duty",
            {
                "person": world.provider_admin.person.pk,
                "role": "lead",
                "starts_at": "2026-10-13T08:00:00+08:00",
                "ends_at": "2026-10-13T20:00:00+08:00",
                "note": "白班",
            },
        )
        assert lead.status_code == 201 and lead.json()["on_duty"] is False
        roster = provider.get("/api/servicedesk/duty").json()
        assert [s["id"] for s in roster] == [desk.json()["id"], lead.json()["id"]]

        shift = {"person": world.engineer.person.pk, "role": "engineer"}
        timed = {**shift, "starts_at": "2026-10-14T08:00:00+08:00"}
        # Refused: a customer (its own or the provider's people), an auditor, the
        # provider's engineer (only its administrators draw up the roster), another
        # provider, a customer's person, a missing field, a lead's shift without an end.
        for user in (world.admin_a, world.auditor_a, world.engineer):
            assert _post(login(user), "/api/servicedesk/duty", timed).status_code == 403
        customer_own = {**timed, "person": world.member_a.person.pk}
        assert _post(login(world.admin_a), "/api/servicedesk/duty", customer_own).status_code == 403
        other = _post(login(world.other_provider_admin), "/api/servicedesk/duty", timed)
        assert other.status_code == 404
        not_staff = _post(provider, "/api/servicedesk/duty", customer_own)
        assert not_staff.status_code == 400 and not_staff.json()["field"] == "person"
        assert _post(provider, "/api/servicedesk/duty", shift).status_code == 422
        endless = _post(provider, "/api/servicedesk/duty", {**timed, "role": "lead"})
        assert endless.status_code == 400 and endless.json()["field"] == "ends_at"
        assert DutyShift.objects.count() == 2


@pytest.mark.django_db
def test_a_provider_cannot_record_under_another_providers_contract(world):
    # Customer B's only active contract is with the other provider.
    data = seed_data()
    data["parties"]["provider"] = {"name": world.other_provider.name}
    data["parties"]["customer"] = {"name": world.customer_b.name}
    data["number"] = "P2-B-0001"
    contract_load(data=data, by="test", source_name="other.yaml")
    client = Client()
    client.force_login(world.provider_admin)
    now = clock.now().isoformat()
    for path, body in [
        ("violations", {"clause_breached": "2.7.5", "description": "x", "delivered_at": now}),
        ("complaints", {"complainant": "x", "content": "y", "received_at": now}),
    ]:
        response = client.post(
            f"/api/servicedesk/{path}",
            json.dumps({"organisation": world.customer_b.pk, **body}),
            content_type="application/json",
        )
        assert response.status_code == 400 and response.json()["code"] == "no_contract"
    assert not ViolationNotice.objects.exists() and not Complaint.objects.exists()
