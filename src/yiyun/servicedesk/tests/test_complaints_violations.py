"""2.10 complaints and 3.6 violation notices: the customer's deadlines, and measures the
provider may record only after them."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import ComplaintStatus, MeasureKind, ViolationStatus
from yiyun.servicedesk.models import Measure
from yiyun.servicedesk.services import (
    MeasureRefused,
    complaint_answer,
    complaint_record,
    complaint_review,
    measure_record,
    violation_record,
    violation_rectification_report,
    violation_review,
)
from yiyun.servicedesk.tests.fixtures import PNG, at, contract, media, upload  # noqa: F401

pytestmark = pytest.mark.usefixtures("media", "contract")


def _complaint(world, **kwargs):
    fields = {
        "by": world.provider_admin,
        "organisation": world.customer_a,
        "complainant": "某患者家属",
        "complainant_contact": "138xxxx",
        "content": "官网发布的专家介绍涉嫌虚假宣传",
        "location": "https://www.keping-hospital.example/experts",
        "received_at": at("2026-02-13T10:00"),
    }
    fields.update(kwargs)
    return complaint_record(**fields)


def test_clause_2_10_complaint_notified_the_working_day_before_spring_festival(world, smtp_server):
    # Friday 2026-02-13 15:00. Counting starts on Saturday 02-14, a make-up working day
    # (WD 1); 02-15..02-23 is the Spring Festival holiday; 02-24..02-27 are WD 2–5,
    # Saturday 02-28 (make-up) WD 6, Monday 03-02 WD 7: answer by 24:00 of 03-02.
    with time_machine.travel(at("2026-02-13T15:00"), tick=False) as traveller:
        complaint = _complaint(world)
        assert complaint.notified_at == at("2026-02-13T15:00")
        assert complaint.obligation.rule == "2.10"
        assert complaint.obligation.bound_party == "customer"
        assert complaint.obligation.due_at == at("2026-03-03T00:00")
        # Notified at once, by email through a real SMTP server.
        to = [m["To"] for m in smtp_server.messages]
        assert "a-admin@example.invalid" in to
        mail = next(m for m in smtp_server.messages if m["To"] == "a-admin@example.invalid")
        assert "2026-03-03 00:00" in mail.get_payload(decode=True).decode()

        traveller.move_to(at("2026-03-02T23:59"))
        with pytest.raises(MeasureRefused) as early:
            measure_record(
                by=world.provider_admin, kind=MeasureKind.DELETE_CONTENT, complaint=complaint
            )
        assert early.value.allowed_from == at("2026-03-03T00:00")
        assert "2026-03-03 00:00" in early.value.message
        traveller.move_to(at("2026-03-03T00:00"))
        tick(now=at("2026-03-03T00:00"))
        complaint.refresh_from_db()
        assert complaint.obligation.state == ObligationState.BREACHED
        with pytest.raises(DomainError):
            # 2.10's measures are deletion, suspension, termination — not 3.3(1).
            measure_record(
                by=world.provider_admin, kind=MeasureKind.REQUIRE_DELETION, complaint=complaint
            )
        with pytest.raises(PermissionDenied):
            measure_record(by=world.admin_a, kind=MeasureKind.SUSPEND, complaint=complaint)
        measure = measure_record(
            by=world.provider_admin,
            kind=MeasureKind.DELETE_CONTENT,
            complaint=complaint,
            description="删除专家介绍页面",
        )
        assert "2.10" in measure.legal_ground
        assert measure.allowed_since == at("2026-03-03T00:00")
        entry = AuditEntry.objects.get(action="measure.recorded")
        assert "2.10" in entry.data["legal_ground"]


def test_clause_2_10_answer_in_time_blocks_measures_until_rejected(world):
    with time_machine.travel(at("2026-10-12T10:00"), tick=False) as traveller:
        complaint = _complaint(world, received_at=at("2026-10-12T09:00"))
        with pytest.raises(PermissionDenied):
            complaint_answer(complaint=complaint, by=world.provider_admin, answer="x")
        with pytest.raises(PermissionDenied):
            complaint_answer(complaint=complaint, by=world.admin_b, answer="x")
        traveller.move_to(at("2026-10-14T10:00"))
        complaint = complaint_answer(
            complaint=complaint,
            by=world.admin_a,
            answer="专家资质证书见附件",
            uploads=[upload("证书.png", PNG)],
        )
        assert complaint.status == ComplaintStatus.ANSWERED
        assert complaint.obligation.state == ObligationState.MET
        assert complaint.attachments.get().purpose == "evidence"
        traveller.move_to(complaint.obligation.due_at)
        with pytest.raises(MeasureRefused) as pending:
            measure_record(by=world.provider_admin, kind=MeasureKind.SUSPEND, complaint=complaint)
        assert pending.value.allowed_from is None
        complaint_review(
            complaint=complaint, by=world.provider_admin, accept=False, note="证书已过期"
        )
        measure = measure_record(
            by=world.provider_admin, kind=MeasureKind.SUSPEND, complaint=complaint
        )
        assert measure.kind == MeasureKind.SUSPEND


def _violation(world, delivered_at):
    return violation_record(
        by=world.provider_admin,
        organisation=world.customer_a,
        clause_breached="2.7.5",
        description="云服务器对外发起扫描",
        delivered_at=delivered_at,
        document=upload("书面通知.pdf", b"%PDF-1.4\n"),
    )


def test_clause_3_6_measure_refused_on_day_29_and_accepted_on_day_31(world):
    # Notice delivered Monday 2026-03-02; day 1 is 03-03 (art. 201), day 30 is 04-01:
    # the 30-day period ends at 24:00 of 04-01.
    with time_machine.travel(at("2026-03-02T10:00"), tick=False) as traveller:
        violation = _violation(world, at("2026-03-02T10:00"))
        assert violation.obligation.rule == "3.6"
        assert violation.obligation.due_at == at("2026-04-02T00:00")
        assert violation.attachments.get().purpose == "written_notice"

        traveller.move_to(at("2026-03-31T10:00"))  # day 29
        with pytest.raises(MeasureRefused) as early:
            measure_record(by=world.provider_admin, kind=MeasureKind.SUSPEND, violation=violation)
        assert early.value.allowed_from == at("2026-04-02T00:00")
        assert "2026-04-02 00:00" in early.value.message
        assert Measure.objects.count() == 0

        traveller.move_to(at("2026-04-02T10:00"))  # day 31
        tick(now=at("2026-04-02T10:00"))
        measure = measure_record(
            by=world.provider_admin,
            kind=MeasureKind.SUSPEND,
            violation=violation,
            description="暂停对外网络访问",
        )
        assert measure.allowed_since == at("2026-04-02T00:00")
        assert "3.6" in measure.legal_ground and "3.3(3)" in measure.legal_ground
        assert "2.7.5" in measure.legal_ground
        entry = AuditEntry.objects.get(action="measure.recorded")
        assert entry.data["item"] == "3.3(3)" and entry.actor == "p-admin"
        # Recording it as taken before the period ended is refused too.
        with pytest.raises(MeasureRefused):
            measure_record(
                by=world.provider_admin,
                kind=MeasureKind.BLOCK,
                violation=violation,
                taken_at=at("2026-04-01T12:00"),
            )


def test_clause_3_6_rectification_accepted_or_rejected(world):
    with time_machine.travel(at("2026-03-02T10:00"), tick=False) as traveller:
        accepted = _violation(world, at("2026-03-02T10:00"))
        rejected = _violation(world, at("2026-03-02T10:00"))
        traveller.move_to(at("2026-03-10T10:00"))
        for violation in (accepted, rejected):
            violation_rectification_report(
                violation=violation, by=world.admin_a, text="已关闭扫描程序"
            )
        accepted = violation_review(
            violation=accepted, by=world.provider_admin, accept=True, note="复查无扫描"
        )
        assert accepted.status == ViolationStatus.RECTIFIED
        assert accepted.obligation.state == ObligationState.MET
        assert accepted.obligation.met_at == at("2026-03-10T10:00")
        rejected = violation_review(
            violation=rejected, by=world.provider_admin, accept=False, note="仍在扫描"
        )
        assert rejected.status == ViolationStatus.REJECTED
        # Rejected: still not before the 30 days are over.
        with pytest.raises(MeasureRefused):
            measure_record(by=world.provider_admin, kind=MeasureKind.BLOCK, violation=rejected)
        traveller.move_to(at("2026-04-02T00:00"))
        with pytest.raises(MeasureRefused) as never:
            measure_record(by=world.provider_admin, kind=MeasureKind.BLOCK, violation=accepted)
        assert never.value.allowed_from is None
        assert measure_record(by=world.provider_admin, kind=MeasureKind.BLOCK, violation=rejected)


def test_clause_3_6_is_about_clause_2(world):
    with time_machine.travel(at("2026-03-02T10:00"), tick=False):
        with pytest.raises(DomainError) as wrong:
            violation_record(
                by=world.provider_admin,
                organisation=world.customer_a,
                clause_breached="5.1",
                description="x",
                delivered_at=at("2026-03-02T09:00"),
            )
        assert wrong.value.field == "clause_breached"
        with pytest.raises(PermissionDenied):
            violation_record(
                by=world.admin_a,
                organisation=world.customer_a,
                clause_breached="2.7",
                description="x",
                delivered_at=at("2026-03-02T09:00"),
            )
