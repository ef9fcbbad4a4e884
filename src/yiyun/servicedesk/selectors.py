"""Reads of the service desk: scoped lists, filters, timelines, the contact list, who is
on duty. Every list goes through `yiyun.tenancy.selectors.scoped`."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Count, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from yiyun.contracts.choices import ContractStatus
from yiyun.contracts.models import Contract
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation, ObligationEvent
from yiyun.obligations.selectors import obligations_for
from yiyun.servicedesk.choices import (
    OPEN_STATUSES,
    ContactAction,
    ContactChangeStatus,
    DutyRole,
    TicketKind,
    TicketStatus,
)
from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    ContactChange,
    DutyShift,
    Measure,
    SlaReport,
    Ticket,
    TicketEvent,
    ViolationNotice,
)
from yiyun.tenancy.choices import PROVIDER_ROLES, OrganisationKind, Role
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.selectors import person_of, scoped, visible_organisations

# -- who is who --------------------------------------------------------------------------


def is_provider_staff(user) -> bool:
    """Staff of a provider (or the operator): they work tickets, the customer does not."""
    if user is None or isinstance(user, str):
        return False
    if user.is_authenticated and user.is_superuser:
        return True
    person = person_of(user)
    return (
        person is not None
        and person.role in PROVIDER_ROLES
        and person.organisation.kind == OrganisationKind.PROVIDER
    )


def customer_organisations(user) -> QuerySet[Organisation]:
    """The customer organisations `user` may open tickets for."""
    return visible_organisations(user).filter(kind=OrganisationKind.CUSTOMER)


def active_contract(
    *, organisation: Organisation, contract: Contract | None = None, by=None
) -> Contract:
    """The contract a request of `organisation` runs under: `contract` when given (it must
    be the customer's and active), else the customer's one active contract. A provider's
    staff (`by`) reach only their own provider's contracts with the customer."""
    contracts = Contract.objects.filter(customer=organisation, status=ContractStatus.ACTIVE)
    person = None if by is None or isinstance(by, str) else person_of(by)
    if person is not None and person.organisation.kind == OrganisationKind.PROVIDER:
        contracts = contracts.filter(provider=person.organisation)
    if contract is not None:
        if not contracts.filter(pk=contract.pk).exists():
            raise DomainError(_("该合同不是此客户的有效合同"), field="contract", code="no_contract")
        return contract
    found = list(contracts.order_by("-start")[:2])
    if not found:
        raise DomainError(_("该客户没有有效合同"), field="contract", code="no_contract")
    if len(found) > 1:
        raise DomainError(_("该客户有多份有效合同，请选择合同"), field="contract", code="ambiguous")
    return found[0]


# -- tickets -----------------------------------------------------------------------------


def tickets_visible(user) -> QuerySet[Ticket]:
    """The tickets of the organisations `user` may see.

    Scoped through the (few) visible organisations as a subquery, so the DISTINCT
    `scoped()` adds stays on them, and a list walks the newest-first index.
    """
    organisations = scoped(Organisation.objects.all(), user, via="pk").values("pk")
    return (
        Ticket.objects.filter(organisation__in=organisations)
        .select_related("organisation", "site", "assignee", "reporter", "contract", "obligation")
        # The contract's stored source data is large JSON: not decoded once per row.
        .defer("contract__source_data", "contract__circuits")
    )


def _breached_ticket_ids():
    """Ids of tickets with a breached clock: few among many, found through the
    obligations' (state, …) index and joined as a set, not probed once per ticket."""
    return (
        Obligation.objects.filter(
            subject_type=ContentType.objects.get_for_model(Ticket),
            state=ObligationState.BREACHED,
        )
        .annotate(ticket_id=Cast("subject_id", BigIntegerField()))
        .values("ticket_id")
    )


def tickets_filter(
    queryset: QuerySet[Ticket],
    *,
    kind: str | None = None,
    status: str | None = None,
    site: int | None = None,
    organisation: int | None = None,
    due_before: datetime | None = None,
    breached: bool | None = None,
    open_only: bool = False,
    q: str | None = None,
) -> QuerySet[Ticket]:
    """Narrow a ticket list. `due_before`: the clock it carries now is due before then;
    `breached`: any clock it ever carried was breached."""
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if open_only:
        queryset = queryset.exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    if site:
        queryset = queryset.filter(site_id=site)
    if organisation:
        queryset = queryset.filter(organisation_id=organisation)
    if due_before:
        queryset = queryset.filter(
            obligation__state=ObligationState.OPEN, obligation__due_at__lt=due_before
        )
    if breached is not None:
        ids = _breached_ticket_ids()
        queryset = queryset.filter(pk__in=ids) if breached else queryset.exclude(pk__in=ids)
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return queryset


def ticket_obligations(ticket: Ticket) -> QuerySet[Obligation]:
    """Every clock the ticket carried (one per kind it had), oldest first."""
    return obligations_for(ticket)


def ticket_timeline(ticket: Ticket, user) -> QuerySet[TicketEvent]:
    """The ticket's timeline; internal notes only for the provider's staff."""
    events = ticket.events.select_related("attachment").order_by("at", "pk")
    if not is_provider_staff(user):
        events = events.filter(internal=False)
    return events


def ticket_attachments(ticket: Ticket, user) -> QuerySet[Attachment]:
    attachments = ticket.attachments.order_by("uploaded_at", "pk")
    if not is_provider_staff(user):
        attachments = attachments.filter(internal=False)
    return attachments


def assignable_people(organisation: Organisation) -> QuerySet[Person]:
    """Provider staff of the providers serving `organisation`."""
    return Person.objects.filter(
        organisation__in=organisation.served_by.all(), role__in=PROVIDER_ROLES
    ).order_by("name")


def attachments_visible(user) -> QuerySet[Attachment]:
    attachments = scoped(Attachment.objects.all(), user, via="organisation")
    if not is_provider_staff(user):
        attachments = attachments.filter(internal=False)
    return attachments


# -- the contact list (2.3) --------------------------------------------------------------


def contacts_removed(organisation: Organisation) -> QuerySet[ContactChange]:
    return ContactChange.objects.filter(
        organisation=organisation,
        action=ContactAction.REMOVE,
        status=ContactChangeStatus.CONFIRMED,
    )


def contact_list(organisation: Organisation) -> QuerySet[Person]:
    """The customer's contact list in force: its people, less those whose removal the
    provider confirmed (2.3). Pending changes do not count until confirmed."""
    removed = contacts_removed(organisation).values("person_id")
    return (
        Person.objects.filter(organisation=organisation)
        .exclude(pk__in=removed)
        .select_related("site")
        .order_by("name")
    )


def contact_changes_visible(user) -> QuerySet[ContactChange]:
    return scoped(
        ContactChange.objects.select_related("organisation", "person", "obligation", "site"),
        user,
        via="organisation",
    )


def contact_changes_pending(organisation: Organisation) -> QuerySet[ContactChange]:
    return ContactChange.objects.filter(
        organisation=organisation, status=ContactChangeStatus.PENDING
    ).select_related("person", "obligation", "site")


def customer_contacts(organisation: Organisation) -> list[Person]:
    """Whom to tell about something of the customer's: its administrators on the contact
    list, or everyone on it when it has none (auditors never)."""
    people = list(contact_list(organisation).exclude(role=Role.AUDITOR))
    admins = [person for person in people if person.role == Role.CUSTOMER_ADMIN]
    return admins or people


# -- complaints, violations, measures ----------------------------------------------------


def complaints_visible(user) -> QuerySet[Complaint]:
    return scoped(
        Complaint.objects.select_related("organisation", "contract", "obligation"),
        user,
        via="organisation",
    )


def violations_visible(user) -> QuerySet[ViolationNotice]:
    return scoped(
        ViolationNotice.objects.select_related("organisation", "contract", "obligation"),
        user,
        via="organisation",
    )


def measures_visible(user) -> QuerySet[Measure]:
    return scoped(
        Measure.objects.select_related("organisation", "contract", "complaint", "violation"),
        user,
        via="organisation",
    )


# -- the duty roster ---------------------------------------------------------------------


def shifts_visible(user) -> QuerySet[DutyShift]:
    """The roster of the user's own provider; a customer sees none of it."""
    shifts = DutyShift.objects.select_related("person", "person__organisation")
    if user is not None and user.is_authenticated and user.is_superuser:
        return shifts
    person = person_of(user)
    if person is None or not is_provider_staff(user):
        return shifts.none()
    return shifts.filter(person__organisation=person.organisation_id)


def on_duty_filter(shifts: QuerySet[DutyShift], *, at: datetime) -> QuerySet[DutyShift]:
    """Shifts covering `at`: started, and not yet ended (the desk never ends)."""
    return shifts.filter(starts_at__lte=at).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def on_duty(
    *, providers, at: datetime | None = None, roles: tuple[str, ...] | None = None
) -> list[Person]:
    """The people of `providers` (organisations or ids) on duty at `at` (default now),
    optionally only in `roles` — the 24×7 desk is always among them when it is asked for."""
    at = at or clock.now()
    shifts = on_duty_filter(
        DutyShift.objects.filter(person__organisation__in=providers), at=at
    ).select_related("person")
    if roles:
        shifts = shifts.filter(role__in=roles)
    seen, people = set(), []
    for shift in shifts.order_by("role", "starts_at", "pk"):
        if shift.person_id not in seen:
            seen.add(shift.person_id)
            people.append(shift.person)
    return people


def is_on_duty(person: Person, *, at: datetime | None = None) -> bool:
    at = at or clock.now()
    return on_duty_filter(DutyShift.objects.filter(person=person), at=at).exists()


DESK_AND_LEADS = (DutyRole.DESK, DutyRole.LEAD)


# -- reports -----------------------------------------------------------------------------


def sla_reports_visible(user) -> QuerySet[SlaReport]:
    return scoped(SlaReport.objects.select_related("contract"), user, via="contract__customer")


def obligation_pause_events(obligation_ids) -> QuerySet[ObligationEvent]:
    return ObligationEvent.objects.filter(
        obligation_id__in=obligation_ids, kind__in=["paused", "resumed"]
    ).order_by("obligation_id", "at", "pk")


def metrics() -> list[tuple]:
    """Gauges for /metrics: open tickets by kind, open ticket clocks already past due
    (the tick has not run yet, or it is failing), pending 2.3 confirmations."""
    rows = []
    counts = dict(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    for kind in TicketKind.values:
        rows.append(
            (
                "yiyun_servicedesk_open_tickets",
                "Open service desk tickets",
                counts.get(kind, 0),
                {"kind": kind},
            )
        )
    rows.append(
        (
            "yiyun_servicedesk_overdue_clocks",
            "Open ticket clocks past their due time",
            Ticket.objects.filter(
                obligation__state=ObligationState.OPEN, obligation__due_at__lt=clock.now()
            ).count(),
        )
    )
    rows.append(
        (
            "yiyun_servicedesk_pending_contact_changes",
            "Contact-list changes (2.3) awaiting the provider's confirmation",
            ContactChange.objects.filter(status=ContactChangeStatus.PENDING).count(),
        )
    )
    return rows
