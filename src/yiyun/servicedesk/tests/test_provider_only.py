"""What only the provider's staff may record — a complaint (2.10), a violation notice
(3.6), the duty roster — is refused to the provider's own read-only auditor by the
services themselves (the pages and the API: portal/tests/test_tenant_isolation.py)."""

import pytest
from django.core.exceptions import PermissionDenied

from yiyun.core import clock
from yiyun.core.models import AuditEntry
from yiyun.servicedesk.choices import DutyRole
from yiyun.servicedesk.models import Complaint, DutyShift, ViolationNotice
from yiyun.servicedesk.services import (
    complaint_record,
    duty_shift_add,
    duty_shift_end,
    violation_record,
)
from yiyun.servicedesk.tests.fixtures import contract, media  # noqa: F401

pytestmark = pytest.mark.usefixtures("media", "contract")


def test_the_providers_auditor_records_no_complaint_notice_or_shift(world):
    now = clock.now()
    shift = duty_shift_add(
        by=world.provider_admin, person=world.engineer.person, role=DutyRole.DESK, starts_at=now
    )
    writes = [
        lambda by: complaint_record(
            by=by,
            organisation=world.customer_a,
            complainant="第三方",
            content="被投诉内容",
            received_at=now,
        ),
        lambda by: violation_record(
            by=by,
            organisation=world.customer_a,
            clause_breached="2.7.5",
            description="违约事实",
            delivered_at=now,
        ),
        lambda by: duty_shift_add(
            by=by, person=world.engineer.person, role=DutyRole.DESK, starts_at=now
        ),
        lambda by: duty_shift_end(shift=shift, by=by),
    ]
    entries = AuditEntry.objects.count()
    for write in writes:
        with pytest.raises(PermissionDenied):
            write(world.provider_auditor)
    assert not Complaint.objects.exists()
    assert not ViolationNotice.objects.exists()
    assert list(DutyShift.objects.values_list("pk", "ends_at")) == [(shift.pk, None)]
    assert AuditEntry.objects.count() == entries
    # The very same calls go through for the provider's admin: the refusals above are
    # about who asks, not about what was asked.
    for write in writes:
        write(world.provider_admin)
    assert Complaint.objects.count() == ViolationNotice.objects.count() == 1
