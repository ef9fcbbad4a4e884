"""Reads for notices: what a user may see (always through `scoped`), the public page, the
maintenance windows that are coming or running, and the audience a notice resolves to."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from yiyun.core import clock
from yiyun.datalife.selectors import purges_finished
from yiyun.notices.choices import MAINTENANCE_KINDS, DeliveryState, NoticeKind
from yiyun.notices.models import Delivery, InboxMessage, MaintenanceWindow, Notice, NoticeRecipient
from yiyun.tenancy.choices import ADMIN_ROLES
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.selectors import person_of, scoped


def notices_visible(user) -> QuerySet[Notice]:
    """Notices `user` may see: sent ones of every organisation concerned, and drafts of the
    sending organisation only (a draft has not reached its audience yet)."""
    sent = scoped(Notice.objects.filter(sent_at__isnull=False), user, via="parties")
    drafts = scoped(Notice.objects.filter(sent_at__isnull=True), user, via="organisation")
    return Notice.objects.filter(Q(pk__in=sent.values("pk")) | Q(pk__in=drafts.values("pk")))


def notice_list(user, *, kind: str = "") -> QuerySet[Notice]:
    notices = notices_visible(user).select_related("organisation", "window")
    if kind:
        notices = notices.filter(kind=kind)
    return notices.annotate(delivery_count=Count("deliveries")).order_by("-created_at", "-pk")


def deliveries_visible(notice: Notice, user) -> QuerySet[Delivery]:
    """A notice's deliveries that `user` may see: those to their organisations (a provider's
    announcement to many customers shows each customer only its own people)."""
    return scoped(
        notice.deliveries.select_related("recipient", "channel", "organisation"), user
    ).order_by("kind", "pk")


def recipients_visible(notice: Notice, user) -> QuerySet[NoticeRecipient]:
    return scoped(notice.recipients.select_related("organisation"), user).order_by(
        "organisation__name", "name", "pk"
    )


def delivery_summary(deliveries) -> list[tuple[str, int, str]]:
    """(state label, count, badge colour) for each state that has deliveries."""
    counts = {state: 0 for state in DeliveryState}
    for delivery in deliveries:
        counts[DeliveryState(delivery.state)] += 1
    return [(state.label, count, state.colour) for state, count in counts.items() if count]


def deliveries_purged(deliveries) -> set[int]:
    """Which of `deliveries` (pks) lost their stored copy to the end-of-service purge (6.5),
    which keeps the SHA-256 as the proof of delivery (4.5).

    Such a delivery has an empty payload and a recorded hash, and a purge finished
    (`ServiceEnd.purged_at`) after it was created, of the organisation it went to or of
    the one that sent its notice: the notices purge hook blanks exactly those. Any other
    empty payload was emptied by something else (tampering, a bug), and the proof must
    report it as a mismatch, not as deleted. Two queries, none when no payload is empty.
    """
    emptied = [d for d in deliveries if d.sha256 and not bytes(d.payload)]
    if not emptied:
        return set()
    # After a purge that failed half-way, its blanked copies show as MISMATCH until a
    # retry finishes it.
    # A written contract notice the sender sent is kept whole by its purge (4.5): only
    # the sender's other notices lose the copies their deliveries stored.
    senders = dict(
        Notice.objects.filter(pk__in={d.notice_id for d in emptied})
        .exclude(kind=NoticeKind.LETTER, sent_at__isnull=False)
        .values_list("pk", "organisation_id")
    )
    purged = purges_finished({d.organisation_id for d in emptied} | set(senders.values()))

    def purged_after(organisation_id, delivery) -> bool:
        return organisation_id in purged and delivery.created_at <= purged[organisation_id]

    return {
        d.pk
        for d in emptied
        if purged_after(d.organisation_id, d) or purged_after(senders.get(d.notice_id), d)
    }


def public_announcements(*, provider: int | None = None, limit: int = 100) -> QuerySet[Notice]:
    """What the public page and feed show: notices published on the web, newest first."""
    notices = Notice.objects.filter(published_at__isnull=False).select_related(
        "organisation", "window"
    )
    if provider is not None:
        notices = notices.filter(organisation_id=provider)
    return notices.order_by("-published_at", "-pk")[:limit]


def publishing_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(notices_sent__published_at__isnull=False).distinct()


def maintenance_windows(
    user,
    *,
    site=None,
    now: datetime | None = None,
    horizon: timedelta | None = timedelta(days=30),
) -> QuerySet[MaintenanceWindow]:
    """Maintenance windows that are running or start within `horizon`, that `user` may see.

    With `site`: those naming the site as affected, or addressed to its organisation as a
    whole. For the dashboard, and for any resource page that shows its own windows.
    """
    now = now or clock.now()
    windows = MaintenanceWindow.objects.filter(
        notice__in=notices_visible(user).filter(sent_at__isnull=False),
        notice__kind__in=MAINTENANCE_KINDS,
        ends_at__gt=now,
    )
    if horizon is not None:
        windows = windows.filter(starts_at__lt=now + horizon)
    if site is not None:
        windows = windows.filter(
            Q(affected_sites=site)
            | Q(notice__audience_sites=site)
            | Q(notice__audience_organisations=site.organisation_id)
        )
    return (
        windows.select_related("notice", "notice__organisation")
        .prefetch_related("affected_sites")
        .distinct()
        .order_by("starts_at", "pk")
    )


def windows_affecting(
    user, *, system: str = "", circuit: str = "", now: datetime | None = None
) -> list[MaintenanceWindow]:
    """Running and upcoming windows that name a business system or a circuit as affected
    (for the cloud and circuits pages: systems and circuits are named, not linked)."""
    return [
        window
        for window in maintenance_windows(user, now=now)
        if (system and system in window.affected_systems)
        or (circuit and circuit in window.affected_circuits)
    ]


def inbox_of(user) -> QuerySet[InboxMessage]:
    # The inbox is personal: only messages addressed to the signed-in person.
    return InboxMessage.objects.filter(recipient=person_of(user))


def read_receipts(notice: Notice) -> dict[int, datetime | None]:
    """Person id → when they opened the notice in their inbox (None: not yet)."""
    return dict(
        InboxMessage.objects.filter(source=f"notice:{notice.pk}").values_list(
            "recipient_id", "read_at"
        )
    )


def inbox_unread_count(user) -> int:
    person = person_of(user)
    if person is None:
        return 0
    return InboxMessage.objects.filter(recipient=person, read_at__isnull=True).count()


def contract_contacts(contract) -> QuerySet[Person]:
    """2.3: the contract's contact list: the people both parties named to run it.

    Until the contact list of 2.3 is a register of its own, it is each party's
    administrators (the people who confirm list changes).
    """
    return Person.objects.filter(
        organisation__in=[contract.customer_id, contract.provider_id], role__in=ADMIN_ROLES
    )


def audience_people(notice: Notice) -> QuerySet[Person]:
    """The people a notice's audience means now: members of the organisations and sites
    chosen (narrowed to the roles chosen, if any), plus the contract's contact list."""
    organisations = list(notice.audience_organisations.values_list("pk", flat=True))
    sites = list(notice.audience_sites.values_list("pk", flat=True))
    match = Q(pk__in=[])
    if organisations:
        match |= Q(organisation__in=organisations)
    if sites:
        match |= Q(site__in=sites)
    people = Person.objects.filter(match)
    if notice.audience_roles:
        people = people.filter(role__in=notice.audience_roles)
    if notice.audience_contacts and notice.contract_id:
        people = Person.objects.filter(
            Q(pk__in=people.values("pk"))
            | Q(pk__in=contract_contacts(notice.contract).values("pk"))
        )
    return people.select_related("site", "organisation").order_by("organisation_id", "name", "pk")


def outbox_depth() -> dict[str, int]:
    """Deliveries by state (the outbox's queue depth)."""
    counts = dict.fromkeys(DeliveryState.values, 0)
    for row in Delivery.objects.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


def metrics() -> list[tuple]:
    """Gauges for /metrics: the outbox by state, and how long the oldest due one waits."""
    now = clock.now()
    rows: list[tuple] = [
        ("yiyun_notices_deliveries", "Notice deliveries by state", count, {"state": state})
        for state, count in outbox_depth().items()
    ]
    oldest = (
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    rows.append(
        (
            "yiyun_notices_outbox_lag_seconds",
            "How long the oldest due delivery has been waiting (0: none)",
            (now - oldest).total_seconds() if oldest else 0,
        )
    )
    return rows
