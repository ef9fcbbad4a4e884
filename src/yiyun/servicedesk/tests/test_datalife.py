"""The service desk in the end-of-service export and purge (6.5): the customer gets its
tickets and files back; the purge deletes the files and the free text, keeps the rows the
obligations and the SLA figures stand on, and never touches another customer."""

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.db import models

from yiyun.contracts.tests.factories import seed_contract
from yiyun.datalife.choices import ServiceEndReason, ServiceEndState
from yiyun.datalife.hooks import export_hooks, purge_hooks
from yiyun.datalife.models import ServiceEnd
from yiyun.notices.models import InboxMessage
from yiyun.obligations.models import Obligation
from yiyun.obligations.selectors import obligations_for
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import (
    ContactAction,
    EventKind,
    MeasureKind,
    TicketKind,
    TicketStatus,
)
from yiyun.servicedesk.datalife import PURGE_ACTOR, attachment_dir, export_for, purge_for
from yiyun.servicedesk.escalation import escalations_dispatch
from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    Escalation,
    Measure,
    Ticket,
    TicketEvent,
)
from yiyun.servicedesk.reports import sla_figures
from yiyun.servicedesk.services import (
    complaint_answer,
    complaint_record,
    complaint_review,
    contact_change_submit,
    measure_record,
    ticket_attach,
    ticket_comment,
    ticket_create,
    ticket_update,
    ticket_wait,
    violation_record,
    violation_rectification_report,
)
from yiyun.servicedesk.tests.fixtures import PDF, PNG, at, media, roster, upload  # noqa: F401
from yiyun.tenancy.choices import Role

# Free text that may name a patient: nowhere in the desk's rows after the purge.
MARKER = "患者王某某-ID-7731"


@pytest.fixture
def desk(world, media):  # noqa: F811
    """Customer A's tickets, contact change, complaint, violation notice and measure,
    with files; customer B's ticket with a file. Desk people on duty get the messages."""
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        roster(world, starts_at=at("2026-10-01T00:00"), ends_at=at("2026-12-31T00:00"))
        contract = seed_contract(world)
        seed_contract(world, customer=world.customer_b, number="TEST-B-0001")
        ticket = ticket_create(
            by=world.member_a,
            organisation=world.customer_a,
            title=f"HIS 无法打开病历 {MARKER}",
            kind=TicketKind.FAULT,
            description=f"门诊医生打开 {MARKER} 的病历时报错",
            reporter_phone="13800000001",
            affected_system="HIS",
        )
        ticket_comment(
            ticket=ticket,
            by=world.member_a,
            text=f"截图见附件（{MARKER}）",
            uploads=[upload(f"{MARKER}.png", PNG)],
        )
        ticket_comment(
            ticket=ticket,
            by=world.engineer,
            text=f"内部：查过 {MARKER} 的记录",
            internal=True,
            uploads=[upload("内部.txt", MARKER.encode())],
        )
        ticket_update(ticket=ticket, by=world.engineer, title=f"HIS 登录后报错 {MARKER}")
        ticket_wait(ticket=ticket, by=world.engineer, reason=f"等待 {MARKER} 的就诊号")
        change = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.ADD,
            name=MARKER,
            title="信息科主任",
            phone="13900000002",
            email="li@keping.example",
            role=Role.CUSTOMER_ADMIN,
            notified_by="柯坪县人民医院信息科",
            document=upload("变更通知.pdf", PDF),
        )
        complaint = complaint_record(
            by=world.provider_admin,
            organisation=world.customer_a,
            complainant=f"{MARKER}的家属",
            complainant_contact="13700000003",
            content=f"官网公开了 {MARKER} 的检查结果",
            received_at=at("2026-10-12T08:00"),
        )
        violation = violation_record(
            by=world.provider_admin,
            organisation=world.customer_a,
            clause_breached="2.7.5",
            description=f"云服务器上公开存放 {MARKER} 的影像",
            delivered_at=at("2026-10-12T09:00"),
            document=upload("书面通知.pdf", PDF),
        )
        other = ticket_create(
            by=world.member_b,
            organisation=world.customer_b,
            title=f"乙院工单 {MARKER}",
            kind=TicketKind.FAULT,
            description="乙院的描述",
        )
        other_file = ticket_attach(ticket=other, by=world.member_b, upload=upload("b.txt", b"B"))

        traveller.move_to(at("2026-10-14T10:00"))
        complaint_answer(
            complaint=complaint,
            by=world.admin_a,
            answer=f"已删除 {MARKER} 的页面",
            uploads=[upload("说明.png", PNG)],
        )
        violation_rectification_report(
            violation=violation,
            by=world.admin_a,
            text=f"已删除 {MARKER} 的影像",
            uploads=[upload("整改.pdf", PDF)],
        )
        complaint.refresh_from_db()
        traveller.move_to(complaint.obligation.due_at)
        complaint_review(
            complaint=complaint, by=world.provider_admin, accept=False, note=f"{MARKER} 仍可见"
        )
        measure = measure_record(
            by=world.provider_admin,
            kind=MeasureKind.DELETE_CONTENT,
            complaint=complaint,
            description=f"删除 {MARKER} 的页面",
        )
    return SimpleNamespace(
        contract=contract,
        ticket=ticket,
        change=change,
        complaint=complaint,
        violation=violation,
        measure=measure,
        other=other,
        other_file=other_file,
    )


def _rows_containing(needle: str) -> set[tuple[str, int]]:
    """(model, pk) of every row of the desk's, the notices' and the engine's tables (where
    the desk copies resolutions, answers and pause reasons) holding `needle`."""
    found = set()
    for label in ("servicedesk", "notices", "obligations"):
        for model in apps.get_app_config(label).get_models():
            columns = [
                field.attname
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField | models.JSONField)
            ]
            for pk, *row in model.objects.values_list("pk", *columns):
                if needle in json.dumps(row, ensure_ascii=False, default=str):
                    found.add((model._meta.label, pk))
    return found


def test_the_apps_hooks_are_registered():
    assert ("servicedesk", export_for) in export_hooks()
    assert ("servicedesk", purge_for) in purge_hooks()


def test_clause_6_5_export_holds_the_customers_records_and_files_not_the_internal_ones(world, desk):
    members = dict(export_for(world.customer_a))
    document = json.loads(members.pop("servicedesk.json"))
    [ticket] = document["tickets"]
    assert ticket["number"] == desk.ticket.number and MARKER in ticket["title"]
    assert ticket["reporter_phone"] == "13800000001"
    texts = " ".join(event["text"] for event in ticket["events"])
    assert f"截图见附件（{MARKER}）" in texts and "内部" not in texts
    assert [a["name"] for a in ticket["attachments"]] == [f"{MARKER}.png"]
    [change] = document["contact_changes"]
    assert change["name"] == MARKER and change["attachments"][0]["name"] == "变更通知.pdf"
    [complaint] = document["complaints"]
    assert complaint["answer"] == f"已删除 {MARKER} 的页面"
    [violation] = document["violation_notices"]
    assert violation["clause_breached"] == "2.7.5" and len(violation["attachments"]) == 2
    [measure] = document["measures"]
    assert measure["kind"] == MeasureKind.DELETE_CONTENT and "2.10" in measure["legal_ground"]
    # Every visible file as it is on disk, nothing of customer B's, no internal file.
    assert len(members) == 5
    visible = Attachment.objects.filter(organisation=world.customer_a, internal=False)
    for attachment in visible:
        [(name, path)] = [
            (n, p) for n, p in members.items() if n.startswith(f"attachments/{attachment.pk}-")
        ]
        assert name.endswith(attachment.name) and path.read_bytes() == attachment.file.read()
    assert "乙院" not in json.dumps(document, ensure_ascii=False)
    assert not any("b.txt" in name for name in members)


def test_clause_6_5_purge_deletes_files_and_text_keeps_the_evidence(world, desk, media):  # noqa: F811
    customer_a = world.customer_a
    sla_before = sla_figures(contract=desk.contract, month=date(2026, 10, 1))
    clocks_before = {o.pk: o.state for o in obligations_for(desk.ticket)}
    subjects = [desk.ticket, desk.change, desk.complaint, desk.violation]
    running = [o.pk for s in subjects for o in obligations_for(s) if o.state == "open"]
    assert desk.ticket.obligation_id in running
    other_running = [o.pk for o in obligations_for(desk.other) if o.state == "open"]
    assert other_running
    events_before = TicketEvent.objects.filter(ticket=desk.ticket).count()
    files = list(attachment_dir(customer_a).rglob("*.*"))
    assert len(files) == 6  # comment, internal note, change, answer, notice, rectification
    # The people on duty were told of each new ticket, its title in the subject.
    desk_messages = InboxMessage.objects.filter(recipient__organisation=world.provider)
    about_a = desk_messages.filter(source=f"servicedesk:ticket:{desk.ticket.pk}:new")
    about_b = set(desk_messages.filter(source=f"servicedesk:ticket:{desk.other.pk}:new"))
    assert about_a.exists() and about_b

    # An hour after the desk's records were made: no clock of theirs is due yet.
    with time_machine.travel(at("2026-10-12T10:00"), tick=False):
        items = purge_for(customer_a)

    counts = {item["where"].split("；")[-1]: item["count"] for item in items}
    assert counts == {
        "servicedesk_attachment": 6,
        "servicedesk_ticket": 1,
        "servicedesk_ticketevent": events_before,
        "servicedesk_contactchange": 1,
        "servicedesk_complaint": 1,
        "servicedesk_violationnotice": 1,
        "servicedesk_measure": 1,
        # The engine's copies of the complaint's answer: the 2.10 clock's evidence and
        # the note of its "met" event.
        "obligations_obligationevent": 2,
        # The clocks still running stop: nothing is left to do them for.
        "obligations_obligation": len(running),
        "notices_inboxmessage": counts["notices_inboxmessage"],
    }
    assert counts["notices_inboxmessage"] > 1
    assert all(item["what"] and item["verified"] for item in items)
    # No file and no text of customer A's is left in the desk's (or its messages') rows ...
    assert not attachment_dir(customer_a).exists()
    assert not any(path.exists() for path in files)
    assert not Attachment.objects.filter(organisation=customer_a).exists()
    assert _rows_containing(MARKER) == {("servicedesk.Ticket", desk.other.pk)} | {
        ("notices.InboxMessage", message.pk) for message in about_b
    }
    assert not InboxMessage.objects.filter(
        source__startswith=f"servicedesk:ticket:{desk.ticket.pk}:"
    )
    # ... but the rows stay, with their numbers and times, for the obligations and the SLA.
    ticket = Ticket.objects.get(pk=desk.ticket.pk)
    assert (ticket.number, ticket.status, ticket.reported_at) == (
        desk.ticket.number,
        TicketStatus.WAITING,
        desk.ticket.reported_at,
    )
    assert (ticket.title, ticket.description, ticket.reporter_phone) == ("", "", "")
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before
    # The timeline keeps its links to the clocks, not the text of a change or a reason.
    clock_event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CLOCK)
    assert clock_event.data["obligation"] == desk.ticket.obligation_id
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.CHANGED).data == {}
    assert not TicketEvent.objects.filter(ticket=ticket, data__has_key="reason").exists()
    assert {o.pk: o.state for o in obligations_for(ticket)} == {
        pk: "waived" if pk in running else state for pk, state in clocks_before.items()
    }
    for obligation in Obligation.objects.filter(pk__in=running):
        assert obligation.state == "waived"
        waived = obligation.events.get(kind="waived")
        assert waived.actor == PURGE_ACTOR and "6.5" in waived.note
    assert set(Obligation.objects.filter(pk__in=other_running).values_list("state", flat=True)) == {
        "open"
    }
    assert all(o.subject == ticket for o in obligations_for(ticket))
    complaint = Complaint.objects.get(pk=desk.complaint.pk)
    assert complaint.content == "" and complaint.obligation_id == desk.complaint.obligation_id
    measure = Measure.objects.get(pk=desk.measure.pk)
    assert measure.description == "" and "2.10" in measure.legal_ground
    # The blanked text is in no figure; the clocks the purge stopped count as waived.
    sla_after = sla_figures(contract=desk.contract, month=date(2026, 10, 1))
    unchanged = ("contract", "tickets", "durations", "pauses", "penalties", "penalty_totals")
    assert {key: sla_after[key] for key in unchanged} == {key: sla_before[key] for key in unchanged}
    waived = sla_after["obligations"]["waived"] - sla_before["obligations"]["waived"]
    assert waived == len(running)

    # Customer B's ticket and file are untouched.
    other = Ticket.objects.get(pk=desk.other.pk)
    assert other.title == f"乙院工单 {MARKER}" and other.description == "乙院的描述"
    assert (media / desk.other_file.file.name).read_bytes() == b"B"
    assert Attachment.objects.filter(pk=desk.other_file.pk).exists()

    # A second run finds nothing more to delete (nor any clock left running).
    again = purge_for(customer_a)
    assert [item["count"] for item in again] == [0] * len(again)
    assert (media / desk.other_file.file.name).exists()


def test_clause_6_5_export_after_the_purge_holds_no_text_and_no_file(world, desk):
    purge_for(world.customer_a)
    members = dict(export_for(world.customer_a))
    document = members.pop("servicedesk.json").decode()
    assert members == {}
    assert MARKER not in document
    assert json.loads(document)["tickets"][0]["number"] == desk.ticket.number


def test_clause_6_5_the_purge_leaves_a_breach_that_already_happened(world, desk):
    """A duty overdue when the purge runs, which the tick has not marked yet (it runs
    every minute; a worker may be down): breached, with its consequences, not waived."""
    subjects = [desk.ticket, desk.change, desk.complaint, desk.violation]
    running = [o for s in subjects for o in obligations_for(s) if o.state == "open"]
    moment = at("2026-11-20T09:00")
    overdue = {o.pk for o in running if o.due_at <= moment}
    assert desk.ticket.obligation_id in overdue
    with time_machine.travel(moment, tick=False):
        items = purge_for(world.customer_a)
        tick(now=moment)
    states = dict(
        Obligation.objects.filter(pk__in=[o.pk for o in running]).values_list("pk", "state")
    )
    assert {states[pk] for pk in overdue} == {"breached"}
    assert {states[o.pk] for o in running if o.pk not in overdue} <= {"waived"}
    [stopped] = [item for item in items if item["where"] == "obligations_obligation"]
    assert stopped["count"] == len(running) - len(overdue)


def test_clause_6_5_nobody_is_called_out_for_a_customer_whose_service_is_over(world, desk):
    """The breaches the purge settles are the record's, not work for the desk: the
    escalation writes nothing on the blanked tickets and calls nobody."""
    moment = at("2026-11-20T09:00")
    ServiceEnd.objects.create(
        contract=desk.contract,
        organisation=world.customer_a,
        reason=ServiceEndReason.EXPIRY,
        state=ServiceEndState.BUFFER,
        started_at=moment - timedelta(days=31),
        started_by="test",
        buffer_n=30,
        buffer_ends_at=moment - timedelta(hours=1),
    )
    escalated = set(Escalation.objects.values_list("pk", flat=True))
    with time_machine.travel(moment, tick=False):
        purge_for(world.customer_a)
        escalations_dispatch(now=moment)
        # Customer B's breach that falls due now is escalated as ever.
        tick(now=moment)
        escalations_dispatch(now=moment)
    texts = TicketEvent.objects.filter(ticket=desk.ticket).exclude(text="")
    assert not texts.exists()
    new = Escalation.objects.exclude(pk__in=escalated)
    assert not new.filter(ticket__organisation=world.customer_a).exists()
    assert new.filter(ticket=desk.other).exists()
    with time_machine.travel(moment, tick=False):
        again = purge_for(world.customer_a)
    assert [item["count"] for item in again] == [0] * len(again)
