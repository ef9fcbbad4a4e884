"""Tickets and their contract clocks: 2.2 (faults), 4.2 (complex/special), 2.1
(rectification); intake by the hotline desk; kind changes; pauses."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from yiyun.contracts.choices import RightCode
from yiyun.contracts.models import Right
from yiyun.core.audit import audit_verify
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import Channel, EventKind, TicketKind, TicketStatus
from yiyun.servicedesk.selectors import (
    ticket_obligations,
    ticket_timeline,
    tickets_filter,
    tickets_visible,
)
from yiyun.servicedesk.services import (
    ticket_close,
    ticket_comment,
    ticket_create,
    ticket_kind_change,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_update,
    ticket_wait,
)
from yiyun.servicedesk.tests.fixtures import at, contract, media  # noqa: F401

pytestmark = pytest.mark.usefixtures("media")


def _fault(world, **kwargs):
    fields = {
        "by": world.member_a,
        "organisation": world.customer_a,
        "title": "HIS 无法登录",
        "kind": TicketKind.FAULT,
        "site": world.site_a2,
    }
    fields.update(kwargs)
    return ticket_create(**fields)


def test_clause_2_2_fault_at_2330_before_holiday_runs_24_hours_through_it(world, contract):  # noqa: F811
    # 23:30 on the eve of National Day: the 24 h clock runs 24×7, holiday or not.
    with time_machine.travel(at("2026-09-30T23:30"), tick=False) as traveller:
        ticket = _fault(world)
        obligation = ticket.obligation
        assert obligation.rule == "2.2" and obligation.clause == "2.2"
        assert obligation.trigger_at == at("2026-09-30T23:30")
        assert obligation.due_at == at("2026-10-01T23:30")
        # Reminders at half-time and 2 h before due.
        planned = {
            entry["key"]: datetime.fromisoformat(entry["at"]) for entry in obligation.reminder_plan
        }
        assert planned == {"half": at("2026-10-01T11:30"), "2h": at("2026-10-01T21:30")}

        # Waiting for the customer does not stop 2.2's clock.
        ticket_update(ticket=ticket, by=world.engineer, priority="urgent")
        ticket_wait(ticket=ticket, by=world.engineer, reason="等待医院开放机房")
        obligation.refresh_from_db()
        assert obligation.paused_at is None and obligation.due_at == at("2026-10-01T23:30")

        traveller.move_to(at("2026-10-01T23:29"))
        tick(now=at("2026-10-01T23:29"))
        obligation.refresh_from_db()
        assert obligation.state == ObligationState.OPEN
        traveller.move_to(at("2026-10-01T23:30"))
        tick(now=at("2026-10-01T23:30"))
        obligation.refresh_from_db()
        assert obligation.state == ObligationState.BREACHED
        assert Right.objects.filter(
            obligation=obligation, code=RightCode.CUSTOMER_MAY_TERMINATE
        ).exists()


def test_clause_2_2_fault_handled_in_time_is_met(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = _fault(world)
        traveller.move_to(at("2026-10-12T15:00"))
        ticket_resolve(ticket=ticket, by=world.engineer, resolution="重启认证服务")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.RESOLVED
        assert ticket.obligation.state == ObligationState.MET
        assert ticket.obligation.met_at == at("2026-10-12T15:00")
        # The customer may not mark its own fault handled.
        other = _fault(world, title="打印机")
        with pytest.raises(PermissionDenied):
            ticket_resolve(ticket=other, by=world.admin_a, resolution="好了")
        ticket_close(ticket=ticket, by=world.member_a)
        assert ticket.__class__.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED


def test_clause_2_2_late_handling_is_a_breach_with_the_late_time_recorded(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = _fault(world)
        traveller.move_to(at("2026-10-13T11:00"))
        ticket_resolve(ticket=ticket, by=world.engineer, resolution="更换交换机")
        obligation = Obligation.objects.get(pk=ticket.obligation_id)
        assert obligation.state == ObligationState.BREACHED
        assert obligation.breached_at == at("2026-10-13T09:00")
        assert obligation.met_at == at("2026-10-13T11:00")


def test_clause_4_2_phone_ticket_back_dated_to_the_call(world, contract):  # noqa: F811
    # The customer called the hotline at 09:15; the desk typed it in at 10:40.
    with time_machine.travel(at("2026-10-12T10:40"), tick=False):
        ticket = ticket_create(
            by=world.engineer,
            organisation=world.customer_a,
            title="门诊系统慢",
            kind=TicketKind.COMPLEX,
            channel=Channel.PHONE,
            reported_at=at("2026-10-12T09:15"),
            reporter_name="王医生",
            reporter_phone="0997-1234567",
        )
        assert ticket.reported_at == at("2026-10-12T09:15")
        assert ticket.entered_at == at("2026-10-12T10:40")
        assert ticket.entered_by == world.engineer
        # 4.2: the clock starts at the call, not at the typing.
        assert ticket.obligation.rule == "4.2.complex"
        assert ticket.obligation.trigger_at == at("2026-10-12T09:15")
        assert ticket.obligation.due_at == at("2026-10-14T09:15")
        entry = AuditEntry.objects.get(action="ticket.created", object_id=str(ticket.pk))
        assert entry.actor == "p-eng"
        assert entry.data["back_dated"] is True
        assert datetime.fromisoformat(entry.data["reported_at"]) == at("2026-10-12T09:15")
        assert datetime.fromisoformat(entry.data["entered_at"]) == at("2026-10-12T10:40")
        created = ticket.events.get(kind=EventKind.CREATED)
        assert "09:15" in created.text and "10:40" in created.text and "p-eng" in created.text

        # A call time in the future is refused; so is a customer back-dating its own ticket.
        with pytest.raises(DomainError) as refused:
            ticket_create(
                by=world.engineer,
                organisation=world.customer_a,
                title="x",
                kind=TicketKind.FAULT,
                channel=Channel.PHONE,
                reported_at=at("2026-10-12T10:41"),
                reporter_name="王医生",
            )
        assert refused.value.code == "in_the_future" and refused.value.field == "reported_at"
        with pytest.raises(DomainError):
            ticket_create(
                by=world.member_a,
                organisation=world.customer_a,
                title="x",
                kind=TicketKind.FAULT,
                reported_at=at("2026-10-12T08:00"),
            )
        with pytest.raises(PermissionDenied):
            ticket_create(
                by=world.member_a,
                organisation=world.customer_a,
                title="x",
                kind=TicketKind.FAULT,
                channel=Channel.PHONE,
            )
        # A phone ticket needs the call time.
        with pytest.raises(DomainError):
            ticket_create(
                by=world.engineer,
                organisation=world.customer_a,
                title="x",
                kind=TicketKind.FAULT,
                channel=Channel.PHONE,
                reporter_name="王医生",
            )
    assert audit_verify().ok


def test_clause_4_2_kind_change_support_to_complex_runs_from_the_report(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = ticket_create(
            by=world.member_a,
            organisation=world.customer_a,
            title="如何导出检验报告",
            kind=TicketKind.SUPPORT,
        )
        assert ticket.obligation is None  # a plain 4.2 support request has no limit
        traveller.move_to(at("2026-10-12T12:00"))
        ticket = ticket_kind_change(
            ticket=ticket, kind=TicketKind.COMPLEX, by=world.engineer, reason="需改造接口"
        )
        obligation = ticket.obligation
        assert obligation.rule == "4.2.complex"
        # 4.2: 48 h from when the customer asked, not from the reclassification.
        assert obligation.trigger_at == at("2026-10-12T09:00")
        assert obligation.due_at == at("2026-10-14T09:00")
        kind_event = ticket.events.get(kind=EventKind.KIND)
        assert "需改造接口" in kind_event.text
        entry = AuditEntry.objects.get(action="ticket.kind_changed")
        assert entry.data["from"] == "support" and entry.data["to"] == "complex"
        assert entry.actor == "p-eng"
        # The reporter is told: a reclassification changes whose clock runs.
        told = InboxMessage.objects.get(
            recipient=world.member_a.person, subject__contains="类型已变更"
        )
        assert "咨询支持 → 复杂问题" in told.subject and "2026-10-14 09:00" in told.body

        # complex → special while waiting for the customer: the old clock is waived,
        # the time already spent waiting carries over and the pause continues.
        traveller.move_to(at("2026-10-12T13:00"))
        ticket_wait(ticket=ticket, by=world.engineer, reason="等待医院提供日志")
        traveller.move_to(at("2026-10-12T15:00"))
        ticket = ticket_kind_change(
            ticket=ticket, kind=TicketKind.SPECIAL, by=world.engineer, reason="需厂商出方案"
        )
        old = Obligation.objects.get(pk=obligation.pk)
        assert old.state == ObligationState.WAIVED
        new = Obligation.objects.get(pk=ticket.obligation_id)
        assert new.rule == "4.2.special"
        assert new.paused_at is not None  # still waiting
        traveller.move_to(at("2026-10-12T16:00"))
        ticket_comment(ticket=ticket, by=world.member_a, text="日志已上传")
        new.refresh_from_db()
        # waited 13:00–16:00 (3 h): due 48 h + 3 h after the 09:00 report.
        assert new.paused_at is None
        assert new.due_at == at("2026-10-14T12:00")
        assert [o.rule for o in ticket_obligations(ticket)] == ["4.2.complex", "4.2.special"]


def test_clause_2_2_kind_change_fault_to_complex_waives_the_24h_clock(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = _fault(world)
        traveller.move_to(at("2026-10-12T10:00"))
        ticket = ticket_kind_change(
            ticket=ticket,
            kind=TicketKind.COMPLEX,
            by=world.engineer,
            reason="非故障，为复杂配置问题",
        )
        rules = {o.rule: o.state for o in ticket_obligations(ticket)}
        assert rules == {"2.2": ObligationState.WAIVED, "4.2.complex": ObligationState.OPEN}
        with pytest.raises(DomainError):
            ticket_kind_change(
                ticket=ticket, kind=TicketKind.COMPLEX, by=world.engineer, reason="x"
            )
        with pytest.raises(DomainError):
            ticket_kind_change(ticket=ticket, kind=TicketKind.FAULT, by=world.engineer, reason="")


def test_clause_4_2_pause_while_waiting_moves_the_due_time(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = _fault(world, kind=TicketKind.COMPLEX)
        traveller.move_to(at("2026-10-12T10:00"))
        with pytest.raises(DomainError):
            ticket_wait(ticket=ticket, by=world.engineer, reason=" ")
        with pytest.raises(PermissionDenied):
            ticket_wait(ticket=ticket, by=world.member_a, reason="x")
        ticket_wait(ticket=ticket, by=world.engineer, reason="等待甲方确认停机窗口")
        obligation = Obligation.objects.get(pk=ticket.obligation_id)
        assert obligation.due_at is None and obligation.paused_at == at("2026-10-12T10:00")
        paused = [e for e in ticket_timeline(ticket, world.member_a) if e.kind == EventKind.PAUSED]
        assert paused and "停机窗口" in paused[0].text
        traveller.move_to(at("2026-10-12T14:30"))
        ticket_resume(ticket=ticket, by=world.engineer, reason="窗口已确认")
        obligation.refresh_from_db()
        assert obligation.due_at == at("2026-10-14T13:30")
        assert ticket.__class__.objects.get(pk=ticket.pk).status == TicketStatus.IN_PROGRESS


def test_clause_2_1_rectification_by_the_deadline_the_customer_sets(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        with pytest.raises(DomainError) as missing:
            _fault(world, kind=TicketKind.RECTIFICATION, by=world.admin_a, title="整改备份策略")
        assert missing.value.field == "rectification_due_at"
        ticket = _fault(
            world,
            kind=TicketKind.RECTIFICATION,
            by=world.admin_a,
            title="整改备份策略",
            rectification_due_at=at("2026-10-20T18:00"),
        )
        assert ticket.obligation.rule == "2.1"
        assert ticket.obligation.due_at == at("2026-10-20T18:00")
        traveller.move_to(at("2026-10-20T18:00"))
        tick(now=at("2026-10-20T18:00"))
        obligation = Obligation.objects.get(pk=ticket.obligation_id)
        assert obligation.state == ObligationState.BREACHED
        assert Right.objects.filter(
            obligation=obligation, code=RightCode.CUSTOMER_MAY_TERMINATE
        ).exists()


def test_internal_notes_stay_with_the_provider(world, contract, media):  # noqa: F811
    from yiyun.servicedesk.tests.fixtures import upload

    with time_machine.travel(at("2026-10-12T09:00"), tick=False):
        ticket = _fault(world)
        ticket_comment(ticket=ticket, by=world.engineer, text="怀疑是交换机固件", internal=True)
        ticket_comment(
            ticket=ticket, by=world.engineer, text="", internal=True, uploads=[upload("log.txt")]
        )
        ticket_comment(ticket=ticket, by=world.engineer, text="正在处理")
        with pytest.raises(PermissionDenied):
            ticket_comment(ticket=ticket, by=world.member_a, text="x", internal=True)
        customer_view = [e.text for e in ticket_timeline(ticket, world.admin_a)]
        provider_view = [e.text for e in ticket_timeline(ticket, world.engineer)]
        assert "正在处理" in customer_view and "怀疑是交换机固件" not in customer_view
        assert "log.txt" not in customer_view
        assert "怀疑是交换机固件" in provider_view and "log.txt" in provider_view
        # The note's text stays out of the audit log, which the customer can read.
        entries = AuditEntry.objects.filter(action="ticket.noted")
        assert entries.count() == 2
        assert all("交换机" not in str(entry.data) for entry in entries)


def test_reopen_starts_the_clock_again_and_filters(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-12T09:00"), tick=False) as traveller:
        ticket = _fault(world)
        traveller.move_to(at("2026-10-12T10:00"))
        ticket_resolve(ticket=ticket, by=world.engineer, resolution="已重启")
        traveller.move_to(at("2026-10-12T11:00"))
        with pytest.raises(DomainError):
            ticket_reopen(ticket=ticket, by=world.member_a, reason="")
        ticket = ticket_reopen(ticket=ticket, by=world.member_a, reason="又不能登录了")
        assert ticket.obligation.trigger_at == at("2026-10-12T11:00")
        assert ticket.obligation.due_at == at("2026-10-13T11:00")
        late = _fault(world, title="检验系统中断")
        traveller.move_to(at("2026-10-13T12:00"))
        tick(now=at("2026-10-13T12:00"))
        visible = tickets_visible(world.admin_a)
        assert set(tickets_filter(visible, breached=True)) == {ticket, late}
        assert list(tickets_filter(visible, breached=False)) == []
        assert set(tickets_filter(visible, kind="fault", site=world.site_a2.pk)) == {ticket, late}
        assert list(tickets_visible(world.admin_b)) == []
        assert (
            list(tickets_filter(visible, due_before=at("2026-10-13T00:00") + timedelta(days=1)))
            == []
        )
