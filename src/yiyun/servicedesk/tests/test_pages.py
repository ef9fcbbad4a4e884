"""The service desk's pages, through Django's test client."""

import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiyun.servicedesk.models import (
    Complaint,
    ContactChange,
    DutyShift,
    SlaReport,
    Ticket,
    ViolationNotice,
)
from yiyun.servicedesk.tests.fixtures import PNG, at, contract, media  # noqa: F401

pytestmark = pytest.mark.usefixtures("media", "contract")


def test_new_ticket_detail_live_clocks_and_timeline(world, login):
    member, desk = login(world.member_a), login(world.engineer)
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        form = member.get(reverse("servicedesk:ticket_new"))
        assert form.status_code == 200
        assert b'name="reported_at"' not in form.content  # the desk's fields only
        response = member.post(
            reverse("servicedesk:ticket_new"),
            {
                "kind": "fault",
                "title": "HIS 无法登录",
                "priority": "high",
                "site": world.site_a2.pk,
                "attachment": SimpleUploadedFile("截图.png", PNG),
            },
        )
        ticket = Ticket.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/{ticket.pk}/")
        assert ticket.attachments.get().name == "截图.png"
        page = member.get(response["Location"]).content.decode()
        assert "HIS 无法登录" in page and "剩余 1天0小时" in page and "2026-10-13 09:00" in page

        traveller.move_to(at("2026-10-12T21:30"))
        clocks = member.get(reverse("servicedesk:ticket_clocks", kwargs={"pk": ticket.pk}))
        assert "剩余 11小时30分" in clocks.content.decode()
        assert 'hx-trigger="every 30s, refresh"' in clocks.content.decode()

        act = reverse("servicedesk:ticket_act", kwargs={"pk": ticket.pk})
        live = desk.post(act, {"action": "note", "text": "查看交换机日志"}, HTTP_HX_REQUEST="true")
        assert live.status_code == 200 and 'id="live"' in live.content.decode()
        assert "查看交换机日志" in live.content.decode()
        assert "查看交换机日志" not in member.get(response["Location"]).content.decode()
        refused = member.post(act, {"action": "resolve", "text": "好了"}, follow=True)
        assert "只有乙方" in refused.content.decode()
        done = desk.post(act, {"action": "resolve", "text": "已重启认证服务"}, follow=True)
        assert "已解决" in done.content.decode()
        assert Ticket.objects.get().status == "resolved"

        listing = member.get(reverse("servicedesk:ticket_list"), {"kind": "fault"}).content.decode()
        assert "HIS 无法登录" in listing
        empty = member.get(reverse("servicedesk:ticket_list"), {"kind": "complex"}).content.decode()
        assert "HIS 无法登录" not in empty


def test_the_desk_enters_a_phone_call(world, login):
    desk = login(world.engineer)
    with time_machine.travel(at("2026-10-12T10:40"), tick=False):
        assert b'name="reported_at"' in desk.get(reverse("servicedesk:ticket_new")).content
        response = desk.post(
            reverse("servicedesk:ticket_new"),
            {
                "organisation": world.customer_a.pk,
                "kind": "complex",
                "title": "门诊系统慢",
                "priority": "normal",
                "channel": "phone",
                "reported_at": "2026-10-12T09:15",
                "reporter_name": "王医生",
            },
        )
        assert response.status_code == 302
        ticket = Ticket.objects.get()
        assert ticket.reported_at == at("2026-10-12T09:15")
        assert ticket.obligation.due_at == at("2026-10-14T09:15")
        future = desk.post(
            reverse("servicedesk:ticket_new"),
            {
                "organisation": world.customer_a.pk,
                "kind": "fault",
                "title": "x",
                "priority": "normal",
                "channel": "phone",
                "reported_at": "2026-10-12T11:00",
                "reporter_name": "王医生",
            },
        )
        assert future.status_code == 200 and "不能晚于现在" in future.content.decode()


def test_contact_change_pages(world, login):
    admin, provider = login(world.admin_a), login(world.provider_admin)
    with time_machine.travel(at("2026-09-18T16:00"), tick=False):
        response = admin.post(
            reverse("servicedesk:contact_change_new"),
            {
                "action": "add",
                "name": "李主任",
                "notified_by": "信息科",
                "document": SimpleUploadedFile("通知.png", PNG),
            },
        )
        change = ContactChange.objects.get()
        assert response.status_code == 302
        listing = admin.get(reverse("servicedesk:contact_changes")).content.decode()
        assert "李主任" in listing and "2026-09-22 00:00" in listing
        act = reverse("servicedesk:contact_change_act", kwargs={"pk": change.pk})
        provider.post(act, {"action": "confirm"})
        assert ContactChange.objects.get().status == "confirmed"
        detail = admin.get(reverse("servicedesk:contact_change_detail", kwargs={"pk": change.pk}))
        assert "已确认并更新" in detail.content.decode()


def test_complaint_and_violation_pages(world, login):
    admin, provider = login(world.admin_a), login(world.provider_admin)
    with time_machine.travel(at("2026-02-13T15:00"), tick=False) as traveller:
        assert admin.post(reverse("servicedesk:complaint_new"), {}).status_code == 403
        response = provider.post(
            reverse("servicedesk:complaint_new"),
            {
                "organisation": world.customer_a.pk,
                "complainant": "某患者家属",
                "received_at": "2026-02-13T10:00",
                "content": "官网专家介绍",
            },
        )
        complaint = Complaint.objects.get()
        assert response.status_code == 302
        act = reverse("servicedesk:complaint_act", kwargs={"pk": complaint.pk})
        early = provider.post(
            act, {"action": "measure", "measure_kind": "delete_content"}, follow=True
        )
        assert "2026-03-03 00:00" in early.content.decode()
        admin.post(
            act,
            {
                "action": "answer",
                "text": "已获授权",
                "attachment": SimpleUploadedFile("授权.png", PNG),
            },
        )
        assert Complaint.objects.get().status == "answered"
        detail = admin.get(reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk}))
        assert "授权.png" in detail.content.decode()

        traveller.move_to(at("2026-03-02T10:00"))
        provider.post(
            reverse("servicedesk:violation_new"),
            {
                "organisation": world.customer_a.pk,
                "clause_breached": "2.7.5",
                "description": "对外扫描",
                "delivered_at": "2026-03-02T10:00",
            },
        )
        listing = admin.get(reverse("servicedesk:violation_list")).content.decode()
        assert "2.7.5" in listing and "2026-04-02 00:00" in listing
        violation_act = reverse(
            "servicedesk:violation_act", kwargs={"pk": ViolationNotice.objects.get().pk}
        )
        # 3.6: no 3.3 measure inside the 30 days; the page says from when.
        early = provider.post(
            violation_act, {"action": "measure", "measure_kind": "delete_content"}, follow=True
        )
        assert "2026-04-02 00:00" in early.content.decode()
        admin.post(violation_act, {"action": "answer", "text": "已删除相关内容"})
        assert ViolationNotice.objects.get().status == "reported"


def test_roster_report_and_verify_pages(world, login, contract):  # noqa: F811
    provider = login(world.provider_admin)
    with time_machine.travel(at("2026-10-12T10:00"), tick=False):
        response = provider.post(
            reverse("servicedesk:roster"),
            {"person": world.engineer.person.pk, "role": "desk", "starts_at": "2026-10-12T08:00"},
        )
        assert response.status_code == 302 and DutyShift.objects.count() == 1
        assert "p-eng" in provider.get(reverse("servicedesk:roster")).content.decode()
        assert (
            "p-eng" not in login(world.admin_a).get(reverse("servicedesk:roster")).content.decode()
        )

        page = login(world.admin_a).get(
            reverse("servicedesk:sla_report", kwargs={"pk": contract.pk}), {"month": "2026-10"}
        )
        assert contract.number in page.content.decode()
        pdf = login(world.admin_a).get(
            reverse("servicedesk:sla_report_pdf", kwargs={"pk": contract.pk}), {"month": "2026-10"}
        )
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert SlaReport.objects.get().sha256 == hashlib.sha256(pdf.content).hexdigest()

        verify = reverse("servicedesk:sla_verify")
        good = login(world.admin_a).post(verify, {"file": SimpleUploadedFile("r.pdf", pdf.content)})
        assert "有效" in good.content.decode() and contract.number in good.content.decode()
        bad = login(world.admin_a).post(
            verify, {"file": SimpleUploadedFile("r.pdf", pdf.content + b"x")}
        )
        assert "未找到" in bad.content.decode()
        # Another customer cannot learn about the report from its hash.
        other = login(world.admin_b).post(
            verify, {"sha256": hashlib.sha256(pdf.content).hexdigest()}
        )
        assert "未找到" in other.content.decode()


def test_dashboard_panel_shows_the_nearest_clocks(world, login):
    from yiyun.servicedesk.services import ticket_create

    with time_machine.travel(at("2026-10-12T09:00"), tick=False):
        ticket_create(
            by=world.member_a, organisation=world.customer_a, title="PACS 中断", kind="fault"
        )
        page = login(world.member_a).get(reverse("portal:dashboard")).content.decode()
        assert "PACS 中断" in page and "未结工单 1" in page
        assert (
            "PACS 中断"
            not in login(world.admin_b).get(reverse("portal:dashboard")).content.decode()
        )
