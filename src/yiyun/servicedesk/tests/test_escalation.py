"""Reminders and escalations: the engine's tick decides when, the desk decides who —
only people on duty (the 24×7 desk always is), by inbox and by email through a real SMTP
server."""

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import time_machine

from yiyun.notices.models import InboxMessage
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import EventKind, TicketKind
from yiyun.servicedesk.escalation import escalations_dispatch
from yiyun.servicedesk.models import Escalation
from yiyun.servicedesk.selectors import on_duty
from yiyun.servicedesk.services import ticket_create, ticket_update
from yiyun.servicedesk.tests.fixtures import at, contract, media, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("media", "contract")


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _to(server) -> list[str]:
    return [message["To"] for message in server.messages]


def _step(traveller, moment) -> int:
    traveller.move_to(moment)
    tick(now=moment)
    return escalations_dispatch(now=moment)


def test_clause_2_2_reminders_to_the_assignee_and_breach_to_the_lead_on_duty(
    world,
    smtp_server,
):
    with time_machine.travel(at("2026-10-12T08:00"), tick=False) as traveller:
        desk, lead, off = roster(
            world, starts_at=at("2026-10-12T08:00"), ends_at=at("2026-10-14T08:00")
        )
        # "off" is a lead too, but on duty only from 10-14 08:00.
        assert {p.pk for p in on_duty(providers=[world.provider.pk])} == {
            desk.pk,
            lead.pk,
            world.engineer.person.pk,
        }
        traveller.move_to(at("2026-10-12T09:00"))
        ticket = ticket_create(
            by=world.member_a,
            organisation=world.customer_a,
            title="检验系统中断",
            kind=TicketKind.FAULT,
        )
        # The new ticket went to the people on duty (no assignee yet).
        assert sorted(_to(smtp_server)) == sorted(
            ["desk@unicom.example", "lead@unicom.example", "p-eng@example.invalid"]
        )
        ticket_update(ticket=ticket, by=world.provider_admin, assignee=world.engineer.person)
        smtp_server.messages.clear()

        # Half-time (21:00): the reminder goes to the assignee, on duty.
        assert _step(traveller, at("2026-10-12T21:00")) == 1
        assert _to(smtp_server) == ["p-eng@example.invalid"]
        subject = _subject(smtp_server.messages[0])
        assert "检验系统中断" in subject and "第2.2条" in subject and "2026-10-13 09:00" in subject
        # 2 h before due (07:00): again the assignee.
        assert _step(traveller, at("2026-10-13T07:00")) == 1
        assert _to(smtp_server) == ["p-eng@example.invalid"] * 2
        smtp_server.messages.clear()

        # Due at 09:00 and not handled: the on-duty lead and the desk, nobody off duty.
        assert _step(traveller, at("2026-10-13T09:00")) == 2
        assert sorted(_to(smtp_server)) == ["desk@unicom.example", "lead@unicom.example"]
        assert "off@unicom.example" not in _to(smtp_server)
        body = smtp_server.messages[0].get_payload(decode=True).decode()
        assert "甲方有权解除合同" in body
        # Each is sent once, however often the dispatcher runs.
        assert escalations_dispatch(now=at("2026-10-13T09:01")) == 0
        assert Escalation.objects.filter(ticket=ticket, kind="breach").count() == 2
        assert Escalation.objects.filter(ticket=ticket, kind="reminder").count() == 2
        assert InboxMessage.objects.filter(recipient=lead, subject__contains="已逾期").exists()
        escalated = ticket.events.filter(kind=EventKind.ESCALATED)
        assert escalated.count() == 3 and all(event.internal for event in escalated)


def test_reminder_for_an_assignee_off_duty_goes_to_the_desk(world, smtp_server):
    with time_machine.travel(at("2026-10-12T08:00"), tick=False) as traveller:
        desk, lead, _off = roster(
            world, starts_at=at("2026-10-12T08:00"), ends_at=at("2026-10-12T20:00")
        )
        ticket = ticket_create(
            by=world.engineer,
            organisation=world.customer_a,
            title="电路中断",
            kind=TicketKind.FAULT,
            affected_circuit="柯坪县人民医院—启浪乡卫生院",
            assignee=world.engineer.person,
        )
        smtp_server.messages.clear()
        # Half-time is 20:00: the engineer's and the lead's shifts just ended; the
        # 24×7 desk is always on duty ("off" started its lead shift at 20:00).
        assert _step(traveller, at("2026-10-12T20:00")) == 2
        assert sorted(_to(smtp_server)) == ["desk@unicom.example", "off@unicom.example"]
        assert Escalation.objects.filter(ticket=ticket, person=world.engineer.person).count() == 0
        assert ticket.obligation.due_at - ticket.reported_at == timedelta(hours=24)


def test_a_failing_mail_server_does_not_lose_the_inbox_message(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nothing listens
    with time_machine.travel(at("2026-10-12T08:00"), tick=False):
        desk, _lead, _off = roster(
            world, starts_at=at("2026-10-12T08:00"), ends_at=at("2026-10-12T20:00")
        )
        ticket = ticket_create(
            by=world.member_a, organisation=world.customer_a, title="x", kind=TicketKind.FAULT
        )
        assert InboxMessage.objects.filter(
            recipient=desk, source=f"servicedesk:ticket:{ticket.pk}:new"
        ).exists()


def test_clause_2_3_reminder_and_2_10_breach_reach_the_people_on_duty(
    world,
    smtp_server,
):
    from yiyun.servicedesk.choices import ContactAction
    from yiyun.servicedesk.services import complaint_record, contact_change_submit

    with time_machine.travel(at("2026-09-18T16:00"), tick=False) as traveller:
        desk, lead, _off = roster(
            world, starts_at=at("2026-09-18T08:00"), ends_at=at("2026-09-30T08:00")
        )
        change = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.ADD,
            name="李主任",
            notified_by="信息科",
        )
        complaint = complaint_record(
            by=world.provider_admin,
            organisation=world.customer_a,
            complainant="第三方",
            content="内容",
            received_at=at("2026-09-18T15:00"),
        )
        smtp_server.messages.clear()
        # 2.3 (the provider's duty) at half-time (40 of 80 h): the people on duty hear of it;
        # the complaint's reminders go to the customer only.
        assert _step(traveller, at("2026-09-20T08:00")) == 3
        assert sorted(_to(smtp_server)) == sorted(
            ["desk@unicom.example", "lead@unicom.example", "p-eng@example.invalid"]
        )
        assert "联系人变更" in _subject(smtp_server.messages[0])
        assert Escalation.objects.filter(event__obligation=change.obligation).count() == 3
        # 2.10 (the customer's duty) missed: the desk learns that measures are now open.
        smtp_server.messages.clear()
        due = complaint.obligation.due_at
        traveller.move_to(due)
        tick(now=due)
        sent = escalations_dispatch(now=due)
        assert sent >= 3
        breach = [m for m in smtp_server.messages if "已逾期" in _subject(m)]
        assert {m["To"] for m in breach} >= {"desk@unicom.example", "lead@unicom.example"}
        assert any("投诉" in _subject(m) for m in breach)


def test_metrics_report_open_tickets_and_overdue_clocks(world):
    from yiyun.servicedesk.selectors import metrics

    with time_machine.travel(at("2026-10-12T08:00"), tick=False) as traveller:
        ticket_create(
            by=world.member_a, organisation=world.customer_a, title="x", kind=TicketKind.FAULT
        )
        traveller.move_to(at("2026-10-13T09:00"))  # past due, no tick yet
        values = {
            (name, tuple(sorted(rest[0].items())) if rest else ()): value
            for name, _h, value, *rest in metrics()
        }
    assert values[("yiyun_servicedesk_open_tickets", (("kind", "fault"),))] == 1
    assert values[("yiyun_servicedesk_overdue_clocks", ())] == 1
    assert values[("yiyun_servicedesk_pending_contact_changes", ())] == 0
