"""Tenant-isolation cases for every service desk page and API operation (see
yiyun/testing/isolation.py). Each callable creates what it names for customer A under
the seed contract; actions use what customer A's own admin may do (comment, withdraw,
answer, report a rectification)."""

import base64
from datetime import timedelta

from django.core.files.base import ContentFile

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.servicedesk.choices import ContactAction, MeasureKind, TicketKind
from yiyun.servicedesk.services import (
    complaint_record,
    contact_change_submit,
    measure_record,
    ticket_attach,
    ticket_create,
    violation_record,
)
from yiyun.testing.isolation import Operation, Page


def _ticket(w):
    seed_contract(w)
    return ticket_create(
        by=w.member_a,
        organisation=w.customer_a,
        title="甲方的工单",
        kind=TicketKind.FAULT,
        site=w.site_a2,
    )


def _ticket_a(w) -> dict:
    return {"pk": _ticket(w).pk}


def _ticket_id(w) -> dict:
    return {"ticket_id": _ticket(w).pk}


def _attachment(w):
    # A 2-byte file under MEDIA_ROOT: the download must find a real file.
    return ticket_attach(
        ticket=_ticket(w), by=w.member_a, upload=ContentFile(b"ok", name="isolation.txt")
    )


def _change(w):
    seed_contract(w)
    return contact_change_submit(
        by=w.admin_a,
        organisation=w.customer_a,
        action=ContactAction.ADD,
        name="甲方新联系人",
        notified_by="信息科",
    )


def _complaint(w, **kwargs):
    seed_contract(w)
    moment = clock.now()
    return complaint_record(
        by=w.provider_admin,
        organisation=w.customer_a,
        complainant="甲方的投诉人",
        content="被投诉内容",
        received_at=moment,
        **kwargs,
    )


def _violation(w, delivered_at=None):
    seed_contract(w)
    return violation_record(
        by=w.provider_admin,
        organisation=w.customer_a,
        clause_breached="2.7.5",
        description="甲方的违约事实",
        delivered_at=delivered_at or clock.now(),
    )


def _measure(w):
    # Delivered 40 days ago: the 3.6 period is over, the measure is allowed.
    violation = _violation(w, delivered_at=clock.now() - timedelta(days=40))
    return measure_record(
        by=w.provider_admin,
        kind=MeasureKind.REQUIRE_DELETION,
        violation=violation,
        description="甲方的措施",
    )


def _contract_a(w) -> dict:
    return {"pk": seed_contract(w).pk}


def _ticket_body(w) -> dict:
    seed_contract(w)
    return {"kind": "fault", "title": "API 工单"}


def _change_body(w) -> dict:
    seed_contract(w)
    return {"action": "add", "name": "API 联系人", "notified_by": "信息科"}


def _complaint_body(w) -> dict:
    seed_contract(w)
    return {
        "organisation": w.customer_a.pk,
        "complainant": "API 投诉人",
        "received_at": clock.now().isoformat(),
        "content": "被投诉内容",
    }


def _violation_body(w) -> dict:
    seed_contract(w)
    return {
        "organisation": w.customer_a.pk,
        "clause_breached": "2.7.5",
        "description": "API 违约事实",
        "delivered_at": clock.now().isoformat(),
    }


def _shift_body(w) -> dict:
    return {"person": w.engineer.person.pk, "role": "desk", "starts_at": clock.now().isoformat()}


def _local_input(moment) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%dT%H:%M}"


def _complaint_form(w) -> dict:
    seed_contract(w)
    return {
        "organisation": w.customer_a.pk,
        "complainant": "第三方",
        "received_at": _local_input(clock.now()),
        "content": "内容",
    }


def _violation_form(w) -> dict:
    seed_contract(w)
    return {
        "organisation": w.customer_a.pk,
        "clause_breached": "2.7.5",
        "description": "x",
        "delivered_at": _local_input(clock.now()),
    }


CASES = [
    # tickets
    Page("servicedesk:ticket_list"),
    Page(
        "servicedesk:ticket_new",
        write=True,
        data=lambda w: {"kind": "fault", "title": "页面工单", "priority": "normal"},
    ),
    Page("servicedesk:ticket_detail", _ticket_a),
    Page(
        "servicedesk:ticket_act",
        _ticket_a,
        write=True,
        data=lambda w: {"action": "comment", "text": "请尽快处理"},
    ),
    Page("servicedesk:ticket_clocks", _ticket_a),
    Page("servicedesk:attachment", lambda w: {"pk": _attachment(w).pk}),
    Operation("servicedesk_ticket_list", marker=lambda w: _ticket(w).title),
    Operation("servicedesk_ticket_add", write=True, body=_ticket_body),
    Operation("servicedesk_ticket_get", _ticket_id),
    Operation(
        "servicedesk_ticket_change", _ticket_id, write=True, body=lambda w: {"priority": "high"}
    ),
    Operation(
        "servicedesk_ticket_act",
        _ticket_id,
        write=True,
        body=lambda w: {"action": "comment", "text": "请尽快处理"},
    ),
    Operation("servicedesk_ticket_timeline_get", _ticket_id),
    Operation(
        "servicedesk_ticket_attachment_add",
        _ticket_id,
        write=True,
        body=lambda w: {"name": "a.txt", "content_base64": base64.b64encode(b"ok").decode()},
    ),
    Operation("servicedesk_attachment_get", lambda w: {"attachment_id": _attachment(w).pk}),
    # the contact list (2.3)
    Page("servicedesk:contact_changes"),
    Page(
        "servicedesk:contact_change_new",
        write=True,
        data=lambda w: {"action": "add", "name": "页面联系人", "notified_by": "信息科"},
    ),
    Page("servicedesk:contact_change_detail", lambda w: {"pk": _change(w).pk}),
    Page(
        "servicedesk:contact_change_act",
        lambda w: {"pk": _change(w).pk},
        write=True,
        data=lambda w: {"action": "withdraw", "note": "不再需要"},
    ),
    Operation("servicedesk_contact_list_get", marker=lambda w: w.member_a.person.name),
    Operation("servicedesk_contact_change_list", marker=lambda w: _change(w).name),
    Operation("servicedesk_contact_change_add", write=True, body=_change_body),
    Operation("servicedesk_contact_change_get", lambda w: {"change_id": _change(w).pk}),
    Operation(
        "servicedesk_contact_change_act",
        lambda w: {"change_id": _change(w).pk},
        write=True,
        body=lambda w: {"action": "withdraw", "note": "不再需要"},
    ),
    # complaints (2.10)
    Page("servicedesk:complaint_list"),
    Page(
        "servicedesk:complaint_new",
        write=True,
        provider_only=True,
        data=_complaint_form,
    ),
    Page("servicedesk:complaint_detail", lambda w: {"pk": _complaint(w).pk}),
    Page(
        "servicedesk:complaint_act",
        lambda w: {"pk": _complaint(w).pk},
        write=True,
        data=lambda w: {"action": "answer", "text": "该内容有授权，见附件"},
    ),
    Operation("servicedesk_complaint_list", marker=lambda w: _complaint(w).complainant),
    # Recording one is the provider's (the customer is told and answers).
    Operation("servicedesk_complaint_add", write=True, body=_complaint_body, provider_only=True),
    Operation("servicedesk_complaint_get", lambda w: {"complaint_id": _complaint(w).pk}),
    Operation(
        "servicedesk_complaint_act",
        lambda w: {"complaint_id": _complaint(w).pk},
        write=True,
        body=lambda w: {"action": "answer", "text": "该内容有授权"},
    ),
    # violation notices (3.6) and measures (3.3)
    Page("servicedesk:violation_list"),
    Page(
        "servicedesk:violation_new",
        write=True,
        provider_only=True,
        data=_violation_form,
    ),
    Page("servicedesk:violation_detail", lambda w: {"pk": _violation(w).pk}),
    Page(
        "servicedesk:violation_act",
        lambda w: {"pk": _violation(w).pk},
        write=True,
        data=lambda w: {"action": "answer", "text": "已整改"},
    ),
    Operation("servicedesk_violation_list", marker=lambda w: _violation(w).description),
    Operation("servicedesk_violation_add", write=True, body=_violation_body, provider_only=True),
    Operation("servicedesk_violation_get", lambda w: {"violation_id": _violation(w).pk}),
    Operation(
        "servicedesk_violation_act",
        lambda w: {"violation_id": _violation(w).pk},
        write=True,
        body=lambda w: {"action": "answer", "text": "已整改"},
    ),
    Operation("servicedesk_measure_list", marker=lambda w: _measure(w).description),
    # the roster (the provider's own; a customer sees none) and reports
    Page(
        "servicedesk:roster",
        write=True,
        provider_only=True,
        data=lambda w: {
            "person": w.engineer.person.pk,
            "role": "desk",
            "starts_at": "2026-10-01T00:00",
        },
    ),
    Operation("servicedesk_duty_list"),
    Operation("servicedesk_duty_add", write=True, body=_shift_body, provider_only=True),
    Page("servicedesk:sla_report", _contract_a),
    Page("servicedesk:sla_report_pdf", _contract_a),
    Page("servicedesk:sla_verify", post=True, data=lambda w: {"sha256": "0" * 64}),
    Operation("servicedesk_sla_report_get", lambda w: {"contract_id": seed_contract(w).pk}),
    Operation("servicedesk_sla_report_verify", body=lambda w: {"sha256": "0" * 64}),
]
