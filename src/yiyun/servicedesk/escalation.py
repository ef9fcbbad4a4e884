"""Telling people: the in-site inbox (4.5) and email, and the escalation dispatcher.

The obligations engine's tick decides *when*: it sends the reminders of each clause
(2.2: at half-time and 2 h before due) and marks breaches, each as an ObligationEvent.
`escalations_dispatch` (a periodic job, run right after the tick by `yiyun worker`)
follows those events for the desk's own subjects and decides *who*:

- a reminder on a ticket → its assignee when on duty, else the people on duty (the 24×7
  desk is always on duty);
- a breach on a ticket → the on-duty leads and the desk;
- a reminder or breach of the provider's 2.3 confirmation → the people on duty;
- the customer missing 2.10's or 3.6's deadline → the people on duty (measures are now
  open to the provider).

Each (event, person) is sent once, whatever how often the dispatcher runs.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.datalife.selectors import service_over
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import EventKind as ObligationEventKind
from yiyun.obligations.models import ObligationEvent
from yiyun.servicedesk import conf
from yiyun.servicedesk.choices import EventKind
from yiyun.servicedesk.models import (
    Complaint,
    ContactChange,
    Escalation,
    EscalationCursor,
    Ticket,
    TicketEvent,
    ViolationNotice,
)
from yiyun.servicedesk.selectors import DESK_AND_LEADS, is_on_duty, on_duty
from yiyun.tenancy.models import Person

log = logging.getLogger("yiyun.servicedesk")

WATCHED = (ObligationEventKind.REMINDED, ObligationEventKind.BREACHED)


@dataclass(frozen=True)
class Sent:
    person: Person
    emailed: bool


def notify(*, people, subject: str, body: str, link: str = "", source: str = "") -> list[Sent]:
    """Tell each person: an inbox message (the record, 4.5) and an email when the person
    has an address. A failing mail server does not undo what caused the message: the
    failure is logged and the inbox message stands."""
    people = list({person.pk: person for person in people}.values())
    delivered = {
        message.recipient_id
        for message in inbox_send(
            recipients=people, subject=subject, body=body, link=link, source=source
        )
    }
    sent = []
    for person in people:
        if source and person.pk not in delivered:
            continue  # already told about this before
        emailed = False
        if person.email:
            emailed = _email(person.email, subject, body, link)
        sent.append(Sent(person, emailed))
    return sent


def _email(address: str, subject: str, body: str, link: str) -> bool:
    site = _site_url()
    text = body + (f"\n\n{site.rstrip('/')}{link}" if site and link else "")
    try:
        send_mail(subject[:200], text, None, [address], fail_silently=False)
    except (smtplib.SMTPException, OSError):
        log.warning("email to a recipient failed", exc_info=True)
        return False
    return True


def _site_url() -> str:
    return getattr(settings, "SITE_URL", "")


def _providers_of(organisation) -> list[int]:
    return list(organisation.served_by.values_list("pk", flat=True))


def desk_people(organisation, *, roles=None) -> list[Person]:
    """Who of the providers serving `organisation` is on duty now (optionally by role)."""
    return on_duty(providers=_providers_of(organisation), roles=roles)


# -- new things the desk must hear about at once ------------------------------------------


def notify_new_ticket(ticket: Ticket) -> list[Sent]:
    """A new request: to its assignee if any, else to the people on duty."""
    people = [ticket.assignee] if ticket.assignee_id else desk_people(ticket.organisation)
    return notify(
        people=people,
        subject=_("新工单 #%(number)s：%(title)s")
        % {"number": ticket.number, "title": ticket.title},
        body=_("%(customer)s，%(kind)s，报告时间 %(at)s（北京时间）。")
        % {
            "customer": ticket.organisation.name,
            "kind": ticket.get_kind_display(),
            "at": f"{clock.local(ticket.reported_at):%Y-%m-%d %H:%M}",
        },
        link=reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk}),
        source=f"servicedesk:ticket:{ticket.pk}:new",
    )


# -- the dispatcher ----------------------------------------------------------------------


def escalations_dispatch_now() -> int:
    """The worker's job: dispatch at the current time."""
    return escalations_dispatch()


def escalations_dispatch(*, now=None) -> int:
    """Pass on the reminders and breaches the tick recorded for the desk's subjects.

    Looks at the events after the last one seen, plus a window of earlier ones (a
    transaction that committed late is not missed); each (event, person) is sent once.
    Returns how many messages were sent.
    """
    now = now or clock.now()
    cursor, _created = EscalationCursor.objects.get_or_create(pk=1)
    start = max(cursor.last_event_id - conf.escalation_rescan(), 0)
    types = ContentType.objects.get_for_models(Ticket, ContactChange, Complaint, ViolationNotice)
    by_type = {content_type.pk: model for model, content_type in types.items()}
    events = list(
        ObligationEvent.objects.filter(
            pk__gt=start,
            kind__in=WATCHED,
            obligation__subject_type__in=list(by_type),
        )
        .select_related("obligation")
        .order_by("pk")
    )
    done = set(
        Escalation.objects.filter(event_id__in=[event.pk for event in events]).values_list(
            "event_id", flat=True
        )
    )
    sent = 0
    subjects = {}
    for event in events:
        if event.pk in done:
            continue
        model = by_type[event.obligation.subject_type_id]
        subject = model.objects.filter(pk=event.obligation.subject_id).first()
        if subject is not None:
            subjects[event.pk] = subject
    # A customer whose service is over (6.5): its purge settles the clocks still running,
    # and nobody is to be called out for them, nor its blanked records written on.
    over = service_over({subject.contract_id for subject in subjects.values()}, now=now)
    for event in events:
        subject = subjects.get(event.pk)
        if subject is not None and subject.contract_id not in over:
            sent += _dispatch(event, subject, now=now)
    last = ObligationEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if last > cursor.last_event_id:
        EscalationCursor.objects.filter(pk=1).update(last_event_id=last)
    return sent


def _dispatch(event: ObligationEvent, subject, *, now) -> int:
    obligation = event.obligation
    breached = event.kind == ObligationEventKind.BREACHED
    if not breached and isinstance(subject, (Complaint, ViolationNotice)):
        # The customer's own deadline: the engine reminds the customer; the desk hears
        # only when it is missed (measures become possible).
        return 0
    ticket = subject if isinstance(subject, Ticket) else None
    organisation = subject.organisation
    if ticket is not None:
        if breached:
            people = desk_people(organisation, roles=DESK_AND_LEADS)
        elif ticket.assignee_id and is_on_duty(ticket.assignee, at=now):
            people = [ticket.assignee]
        else:
            people = desk_people(organisation)
    else:
        people = desk_people(organisation)
    if not people:
        # Nobody on the roster: the engine already told both parties' administrators.
        return 0
    due = clock.local(obligation.due_at) if obligation.due_at else None
    label = _subject_label(subject)
    if breached:
        title = _("已逾期：%(subject)s（第%(clause)s条）") % {
            "subject": label,
            "clause": obligation.clause,
        }
    else:
        title = _("提醒：%(subject)s（第%(clause)s条）截止 %(due)s") % {
            "subject": label,
            "clause": obligation.clause,
            "due": f"{due:%Y-%m-%d %H:%M}" if due else "",
        }
    body = _("%(title)s。%(consequence)s") % {
        "title": obligation.title,
        "consequence": obligation.consequence,
    }
    kind = "breach" if breached else "reminder"
    sent = 0
    for person in people:
        try:
            with transaction.atomic():
                row = Escalation.objects.create(
                    event=event, person=person, ticket=ticket, kind=kind, sent_at=now
                )
        except IntegrityError:
            continue  # another worker sent this one
        results = notify(
            people=[person],
            subject=title,
            body=body,
            link=_link(subject),
            source=f"servicedesk:escalation:{event.pk}",
        )
        if results and results[0].emailed:
            Escalation.objects.filter(pk=row.pk).update(emailed=True)
        sent += 1
    names = "、".join(person.name for person in people)
    if ticket is not None:
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.ESCALATED,
            at=now,
            actor_label="system",
            text=(
                _("已逾期，已通知值班负责人：%(names)s")
                if breached
                else _("到期提醒已发送：%(names)s")
            )
            % {"names": names},
            internal=True,
            data={"obligation": obligation.pk, "event": event.pk, "kind": kind},
        )
    audit_record(
        actor="escalation",
        action=f"servicedesk.escalation_{kind}",
        obj=subject,
        organisation=organisation,
        data={
            "obligation": obligation.pk,
            "clause": obligation.clause,
            "event": event.pk,
            "recipients": [person.pk for person in people],
        },
    )
    return sent


def _subject_label(subject) -> str:
    if isinstance(subject, Ticket):
        return _("工单 #%(number)s %(title)s") % {"number": subject.number, "title": subject.title}
    if isinstance(subject, ContactChange):
        return _("联系人变更 #%(id)s") % {"id": subject.pk}
    if isinstance(subject, Complaint):
        return _("投诉 #%(id)s") % {"id": subject.pk}
    return _("违约通知 #%(id)s") % {"id": subject.pk}


def _link(subject) -> str:
    name = {
        Ticket: "servicedesk:ticket_detail",
        ContactChange: "servicedesk:contact_change_detail",
        Complaint: "servicedesk:complaint_detail",
        ViolationNotice: "servicedesk:violation_detail",
    }[type(subject)]
    return reverse(name, kwargs={"pk": subject.pk})


__all__ = [
    "Sent",
    "desk_people",
    "escalations_dispatch",
    "escalations_dispatch_now",
    "notify",
    "notify_new_ticket",
]
