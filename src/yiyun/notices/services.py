"""Notices. For now: the in-site inbox (站内信, one of 4.5's channels)."""

from collections.abc import Iterable

from django.db import transaction

from yiyun.core import clock
from yiyun.notices.models import InboxMessage
from yiyun.tenancy.models import Person


@transaction.atomic
def inbox_send(
    *, recipients: Iterable[Person], subject: str, body: str = "", link: str = "", source: str = ""
) -> list[InboxMessage]:
    """Put a message in each recipient's inbox. With a `source`, a person gets it once only,
    however often it is sent (so a retried reminder never doubles)."""
    sent = []
    at = clock.now()
    for person in recipients:
        if source and InboxMessage.objects.filter(recipient=person, source=source).exists():
            continue
        sent.append(
            InboxMessage.objects.create(
                recipient=person,
                organisation_id=person.organisation_id,
                subject=subject[:200],
                body=body,
                link=link,
                source=source,
                created_at=at,
            )
        )
    return sent


def inbox_mark_read(*, message: InboxMessage) -> InboxMessage:
    """Record the read receipt (first read only)."""
    if message.read_at is None:
        message.read_at = clock.now()
        message.save(update_fields=["read_at"])
    return message
