"""Notices over the API: list, read, draft, send, deliveries (proof), maintenance windows,
and the caller's own inbox. Everything through `scoped` (selectors)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router

from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.notices import selectors, services
from yiyun.notices.schemas import (
    DeliveryOut,
    InboxOut,
    MaintenanceOut,
    NoticeDetailOut,
    NoticeIn,
    NoticeOut,
    SendIn,
)
from yiyun.tenancy.models import Organisation, Site
from yiyun.tenancy.selectors import is_read_only, scoped, visible_organisations

PREFIX = "/notices"
router = Router(tags=["notices"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


def _window_out(window) -> dict | None:
    if window is None:
        return None
    return {
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "affected_systems": window.affected_systems,
        "affected_circuits": window.affected_circuits,
        "affected_sites": [site.pk for site in window.affected_sites.all()],
        "impact": window.impact,
        "emergency_reason": window.emergency_reason,
    }


def _notice_out(notice) -> dict:
    return {
        "id": notice.pk,
        "kind": notice.kind,
        "letter_kind": notice.letter_kind,
        "organisation": notice.organisation_id,
        "organisation_name": notice.organisation.name,
        "contract": notice.contract_id,
        "subject": notice.subject,
        "body": notice.body,
        "channels": notice.channels,
        "created_at": notice.created_at,
        "latest_send_at": notice.latest_send_at,
        "sent_at": notice.sent_at,
        "delivered_at": notice.delivered_at,
        "published_at": notice.published_at,
        "window": _window_out(getattr(notice, "window", None)),
    }


def _delivery_out(delivery) -> dict:
    return {
        "id": delivery.pk,
        "kind": delivery.kind,
        "organisation": delivery.organisation_id,
        "recipient": delivery.recipient.name if delivery.recipient else "",
        "address": delivery.address,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "sent_at": delivery.sent_at,
        "response_status": delivery.response_status,
        "response_id": delivery.response_id,
        "sha256": delivery.sha256,
        "idempotency_key": delivery.idempotency_key,
        "last_error": delivery.last_error,
    }


@router.get("/maintenance", response=list[MaintenanceOut])
def maintenance_list(request, site: int | None = None):
    """Maintenance windows running now or starting within 30 days."""
    site_row = (
        get_object_or_404(scoped(Site.objects.all(), request.user), pk=site) if site else None
    )
    now = clock.now()
    return [
        {
            "notice": window.notice_id,
            "kind": window.notice.kind,
            "subject": window.notice.subject,
            "organisation_name": window.notice.organisation.name,
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
            "running": window.starts_at <= now,
            "affected_systems": window.affected_systems,
            "affected_circuits": window.affected_circuits,
            "affected_sites": [s.pk for s in window.affected_sites.all()],
            "impact": window.impact,
        }
        for window in selectors.maintenance_windows(request.user, site=site_row, now=now)
    ]


@router.get("/inbox", response=list[InboxOut])
def inbox_list(request, unread: bool = False):
    """The caller's own in-site messages."""
    messages = selectors.inbox_of(request.user)
    return messages.filter(read_at__isnull=True) if unread else messages[:200]


@router.post("/inbox/{message_id}/read", response=InboxOut)
def inbox_read(request, message_id: int):
    """Mark one of the caller's messages read (the read receipt)."""
    message = get_object_or_404(selectors.inbox_of(request.user), pk=message_id)
    return services.inbox_mark_read(message=message)


@router.get("", response=list[NoticeOut])
def notice_list(request, kind: str = ""):
    return [_notice_out(notice) for notice in selectors.notice_list(request.user, kind=kind)[:300]]


@router.post("", response={201: NoticeOut})
def notice_add(request, payload: NoticeIn):
    """Draft a notice, or draft and send it (`send`)."""
    _refuse_read_only(request.user)
    from yiyun.contracts.selectors import contracts_visible

    visible = visible_organisations(request.user)
    providers = Organisation.objects.filter(customers__in=visible.values("pk"))
    addressable = (visible | providers).distinct()
    organisations = list(addressable.filter(pk__in=payload.audience_organisations))
    if len(organisations) != len(set(payload.audience_organisations)):
        raise DomainError(_("接收单位不存在或不可见"), field="audience_organisations")
    site_ids = {*payload.audience_sites, *(payload.window.affected_sites if payload.window else [])}
    sites = {site.pk: site for site in scoped(Site.objects.filter(pk__in=site_ids), request.user)}
    if len(sites) != len(site_ids):
        raise DomainError(_("站点不存在或不可见"), field="audience_sites")
    fields = {
        "kind": payload.kind,
        "subject": payload.subject,
        "body": payload.body,
        "channels": [channel.value for channel in payload.channels],
        "organisation": (
            get_object_or_404(visible, pk=payload.organisation) if payload.organisation else None
        ),
        "audience_organisations": organisations,
        "audience_sites": [sites[pk] for pk in payload.audience_sites],
        "audience_roles": payload.audience_roles,
        "audience_contacts": payload.audience_contacts,
        "contract": (
            get_object_or_404(contracts_visible(request.user), pk=payload.contract)
            if payload.contract
            else None
        ),
        "letter_kind": payload.letter_kind.value if payload.letter_kind else "",
        "reason": payload.reason,
        "force_majeure_since": payload.force_majeure_since,
    }
    if payload.window is not None:
        window = payload.window.dict()
        window["affected_sites"] = [sites[pk] for pk in payload.window.affected_sites]
        fields["window"] = window
    if payload.send:
        notice = services.notice_issue(
            by=request.user, acknowledge_late=payload.acknowledge_late, **fields
        )
    else:
        notice = services.notice_create(by=request.user, **fields)
    return 201, _notice_out(notice)


@router.get("/{notice_id}", response=NoticeDetailOut)
def notice_get(request, notice_id: int):
    """A notice with the caller's share of its deliveries (the proof, 4.5)."""
    notice = get_object_or_404(selectors.notices_visible(request.user), pk=notice_id)
    letter = getattr(notice, "letter", None) if notice.letter_kind else None
    return {
        **_notice_out(notice),
        "deliveries": [
            _delivery_out(d) for d in selectors.deliveries_visible(notice, request.user)
        ],
        "letter_reference": letter.reference if letter else "",
        "letter_sha256": letter.sha256 if letter else "",
    }


@router.get("/{notice_id}/deliveries", response=list[DeliveryOut])
def delivery_list(request, notice_id: int):
    notice = get_object_or_404(selectors.notices_visible(request.user), pk=notice_id)
    return [_delivery_out(d) for d in selectors.deliveries_visible(notice, request.user)]


@router.post("/{notice_id}/send", response=NoticeOut)
def notice_dispatch(request, notice_id: int, payload: SendIn):
    """Send a draft on its channels."""
    notice = get_object_or_404(selectors.notices_visible(request.user), pk=notice_id)
    _refuse_read_only(request.user)
    notice = services.notice_send(
        notice=notice, by=request.user, acknowledge_late=payload.acknowledge_late
    )
    return _notice_out(notice)
