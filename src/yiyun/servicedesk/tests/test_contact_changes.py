"""2.3: the customer's contact list changes only when the provider confirms, within 2
working days of receiving the written notice."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import ContactAction, ContactChangeStatus
from yiyun.servicedesk.selectors import contact_changes_pending, contact_list
from yiyun.servicedesk.services import (
    contact_change_confirm,
    contact_change_submit,
    contact_change_withdraw,
)
from yiyun.servicedesk.tests.fixtures import PDF, at, contract, media, upload  # noqa: F401
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Person

pytestmark = pytest.mark.usefixtures("media", "contract")


def _names(world) -> set[str]:
    return set(contact_list(world.customer_a).values_list("name", flat=True))


def test_clause_2_3_new_contact_applies_only_when_confirmed_within_two_working_days(world):
    # Friday 16:00; Saturday 09-19 off, Sunday 09-20 a make-up working day, Monday 09-21:
    # the provider must confirm by 24:00 of 09-21.
    with time_machine.travel(at("2026-09-18T16:00"), tick=False) as traveller:
        before = _names(world)
        change = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.ADD,
            name="李主任",
            title="信息科主任",
            phone="13800000000",
            email="li@keping.example",
            role=Role.CUSTOMER_ADMIN,
            notified_by="柯坪县人民医院信息科",
            document=upload("变更通知.pdf", PDF),
        )
        assert change.received_at == at("2026-09-18T16:00")
        assert change.obligation.rule == "2.3"
        assert change.obligation.due_at == at("2026-09-22T00:00")
        assert change.attachments.get().name == "变更通知.pdf"
        # Until confirmed: the old list stays, the pending change is shown beside it.
        assert _names(world) == before
        assert list(contact_changes_pending(world.customer_a)) == [change]

        traveller.move_to(at("2026-09-21T10:00"))
        with pytest.raises(PermissionDenied):
            contact_change_confirm(change=change, by=world.admin_a)
        change = contact_change_confirm(change=change, by=world.provider_admin, note="已更新")
        assert change.status == ContactChangeStatus.CONFIRMED
        assert change.obligation.state == ObligationState.MET
        person = Person.objects.get(name="李主任")
        assert person.organisation == world.customer_a and person.role == Role.CUSTOMER_ADMIN
        assert _names(world) == before | {"李主任"}
        assert list(contact_changes_pending(world.customer_a)) == []
        entry = AuditEntry.objects.get(action="contact_change.confirmed")
        assert entry.actor == "p-admin" and entry.data["person"] == person.pk
        assert AuditEntry.objects.filter(action="person.created", object_id=str(person.pk)).exists()
        with pytest.raises(DomainError):
            contact_change_confirm(change=change, by=world.provider_admin)


def test_clause_2_3_update_and_removal_of_a_contact(world):
    member = world.member_a.person
    with time_machine.travel(at("2026-10-12T09:00"), tick=False):
        update = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.UPDATE,
            person=member,
            phone="13900000000",
            notified_by="信息科",
        )
        with pytest.raises(DomainError) as twice:
            contact_change_submit(
                by=world.admin_a,
                organisation=world.customer_a,
                action=ContactAction.REMOVE,
                person=member,
                notified_by="信息科",
            )
        assert twice.value.code == "pending"
        member.refresh_from_db()
        assert member.phone == ""  # not yet
        contact_change_confirm(change=update, by=world.provider_admin)
        member.refresh_from_db()
        assert member.phone == "13900000000"
        assert update.__class__.objects.get(pk=update.pk).before["phone"] == ""

        removal = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.REMOVE,
            person=member,
            notified_by="信息科",
            reason="调离",
        )
        assert "a-member" in _names(world)
        contact_change_confirm(change=removal, by=world.provider_admin)
        assert "a-member" not in _names(world)
        with pytest.raises(DomainError):
            contact_change_submit(
                by=world.admin_a,
                organisation=world.customer_a,
                action=ContactAction.UPDATE,
                person=member,
                phone="1",
                notified_by="信息科",
            )


def test_clause_2_3_late_confirmation_is_the_providers_breach(world):
    with time_machine.travel(at("2026-09-30T11:00"), tick=False) as traveller:
        change = contact_change_submit(
            by=world.admin_a,
            organisation=world.customer_a,
            action=ContactAction.ADD,
            name="赵工",
            notified_by="信息科",
        )
        # National Day: 10-08 and 10-09 are the two working days.
        assert change.obligation.due_at == at("2026-10-10T00:00")
        traveller.move_to(at("2026-10-10T00:00"))
        tick(now=at("2026-10-10T00:00"))
        traveller.move_to(at("2026-10-10T09:00"))
        change = contact_change_confirm(change=change, by=world.provider_admin)
        assert change.obligation.state == ObligationState.BREACHED
        assert change.obligation.met_at == at("2026-10-10T09:00")
        assert "赵工" in _names(world)


def test_clause_2_3_who_may_notify_and_paper_notices(world):
    with time_machine.travel(at("2026-10-12T09:00"), tick=False):
        with pytest.raises(PermissionDenied):
            contact_change_submit(
                by=world.member_a,
                organisation=world.customer_a,
                action=ContactAction.ADD,
                name="x",
                notified_by="x",
            )
        with pytest.raises(PermissionDenied):
            contact_change_submit(
                by=world.auditor_a,
                organisation=world.customer_a,
                action=ContactAction.ADD,
                name="x",
                notified_by="x",
            )
        with pytest.raises(PermissionDenied):
            contact_change_submit(
                by=world.admin_b,
                organisation=world.customer_a,
                action=ContactAction.ADD,
                name="x",
                notified_by="x",
            )
        with pytest.raises(DomainError):
            contact_change_submit(
                by=world.admin_a,
                organisation=world.customer_a,
                action=ContactAction.ADD,
                name="x",
                role=Role.PROVIDER_ADMIN,
                notified_by="x",
            )
        # The provider enters a paper notice received on Friday: the clock runs from then.
        paper = contact_change_submit(
            by=world.provider_admin,
            organisation=world.customer_a,
            action=ContactAction.ADD,
            name="孙工",
            notified_by="柯坪县人民医院（纸质函）",
            received_at=at("2026-10-09T17:00"),
        )
        assert paper.obligation.due_at == at("2026-10-13T00:00")  # Sat 10-10 make-up, Mon 10-12
        with pytest.raises(DomainError):
            contact_change_submit(
                by=world.provider_admin,
                organisation=world.customer_a,
                action=ContactAction.ADD,
                name="y",
                notified_by="y",
                received_at=at("2026-10-12T09:01"),
            )
        withdrawn = contact_change_withdraw(change=paper, by=world.admin_a, reason="写错了")
        assert withdrawn.status == ContactChangeStatus.WITHDRAWN
        assert withdrawn.obligation.state == ObligationState.WAIVED
        assert "孙工" not in _names(world)
