"""The notices app's part of the end-of-service export and purge (6.5, see datalife.hooks).

Export: notices.json — the in-site messages of the organisation's people; the notices it
sent (with where each went); the notices others sent its people, with each delivery to
them (channel, address, state, time, SHA-256) — and the PDF of every written contract
notice it sent or received, under letters/. Channel secrets are never exported.

Purge — what goes:
- in-site messages (站内信) of the organisation's people: deleted. Their subjects and
  bodies are copies of notices, reminders and the desk's messages, and may name patients.
  Nothing refers to them (an inbox delivery names its message only as text).
- notices the organisation sent, but its written contract notices: announcements (also
  taken off the public page) and drafts, deleted with their recipients and deliveries.
  One an obligation still names (as subject, in its clocks, or as the duty it fulfils)
  keeps its row and loses its text instead, in its in-site copies in other
  organisations' inboxes too (the provider's staff; read receipts stay) and in the copy
  each delivery stored of it (the delivery's SHA-256 stays, as the proof).
- its people's details in the notices others sent them: the name, email, phone and site
  a recipient row copied at send time, and on each delivery to them the address, the
  stored copy of what was sent (it holds the address and the text) and the channel's
  answers and errors. The delivery's state, times, idempotency key and the SHA-256 of
  what was sent stay, as the proof of delivery (4.5): a copy the customer kept still
  verifies against it, and the audit log anchors the same hashes. A delivery not yet
  sent is cancelled first (state failed, status "purged"): it must never go out empty.
- the organisation's notification channels (mail sender, SMS gateway, group robots):
  deleted, or — when a kept delivery names one — disabled and stripped of its endpoint,
  parameters and secrets.

What stays, as evidence of the contract's performance: written contract notices (书面合同
通知, 4.5) sent by or to the organisation, with their PDF letters — terminations,
non-renewals, violation and complaint letters, the contract register keeps them too —
and the provider's own notices (maintenance under 4.4, announcements) with their
obligations. Rows of other organisations are never touched.
"""

import json
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.notices.choices import DeliveryState, NoticeKind
from yiyun.notices.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    InboxMessage,
    Notice,
    NoticeLetter,
    NoticeRecipient,
)
from yiyun.obligations.models import Obligation

NOTICE_BLANKS = {"subject": "", "body": "", "reason": "", "published_at": None}
RECIPIENT_BLANKS = {"name": "", "email": "", "phone": "", "site": ""}
DELIVERY_BLANKS = {"address": "", "payload": b"", "response_text": "", "last_error": ""}
ATTEMPT_BLANKS = {"response": "", "error": ""}
CHANNEL_BLANKS = {
    "enabled": False,
    "endpoint": "",
    "options": {},
    "secrets_encrypted": "",
    "secrets_env": {},
}
PURGED_STATUS = "purged"
CHUNK = 500


# -- export -------------------------------------------------------------------------------


def _delivery(delivery: Delivery) -> dict:
    return {
        "channel": delivery.kind,
        "recipient": delivery.recipient.name if delivery.recipient_id else "",
        "address": delivery.address,
        "state": delivery.state,
        "sent_at": delivery.sent_at,
        "sha256": delivery.sha256,
    }


def _notice(notice: Notice, deliveries) -> dict:
    letter = getattr(notice, "letter", None) if notice.kind == NoticeKind.LETTER else None
    return {
        "id": notice.pk,
        "from": notice.organisation.name,
        "kind": notice.kind,
        "letter_kind": notice.letter_kind,
        "contract": notice.contract.number if notice.contract_id else "",
        "subject": notice.subject,
        "body": notice.body,
        "reason": notice.reason,
        "channels": notice.channels,
        "created_at": notice.created_at,
        "sent_at": notice.sent_at,
        "delivered_at": notice.delivered_at,
        "published_at": notice.published_at,
        "letter": {"reference": letter.reference, "sha256": letter.sha256} if letter else None,
        "deliveries": [_delivery(d) for d in deliveries],
    }


def export_for(organisation) -> list[tuple[str, bytes | Path]]:
    """notices.json and the PDF of every letter the organisation sent or received."""
    inbox = [
        {
            "recipient": message.recipient.name,
            "subject": message.subject,
            "body": message.body,
            "link": message.link,
            "created_at": message.created_at,
            "read_at": message.read_at,
        }
        for message in InboxMessage.objects.filter(organisation=organisation)
        .select_related("recipient")
        .order_by("created_at", "pk")
    ]
    related = ("organisation", "contract", "letter")
    # As on the notice's page: only the deliveries to the organisation's own people.
    ours = Delivery.objects.filter(organisation=organisation).select_related("recipient")
    sent = [
        _notice(notice, ours.filter(notice=notice).order_by("pk"))
        for notice in Notice.objects.filter(organisation=organisation)
        .select_related(*related)
        .order_by("created_at", "pk")
    ]
    received = [
        _notice(notice, ours.filter(notice=notice).order_by("pk"))
        for notice in Notice.objects.filter(deliveries__organisation=organisation)
        .exclude(organisation=organisation)
        .select_related(*related)
        .distinct()
        .order_by("created_at", "pk")
    ]
    document = {"inbox": inbox, "sent": sent, "received": received}
    members: list[tuple[str, bytes | Path]] = [
        ("notices.json", json.dumps(document, ensure_ascii=False, indent=2, default=str).encode())
    ]
    letters = NoticeLetter.objects.filter(
        Q(notice__organisation=organisation) | Q(addressee=organisation)
    ).order_by("generated_at", "pk")
    for letter in letters:
        members.append((f"letters/{letter.reference}.pdf", bytes(letter.pdf)))
    return members


# -- purge --------------------------------------------------------------------------------


def _blank(queryset, blanks: dict) -> int:
    """Clear what `blanks` names on the rows that still hold some; how many did. Raises
    when any is left (the purge then fails and is retried)."""
    count = queryset.exclude(**blanks).update(**blanks)
    left = queryset.exclude(**blanks).count()
    if left:
        raise RuntimeError(f"{queryset.model._meta.label}: {left} rows still hold data")
    return count


def _referenced(notices) -> set[int]:
    """Which of `notices` an obligation names: as subject, among its clocks, as fulfilled."""
    named = set(
        Obligation.objects.filter(
            subject_type=ContentType.objects.get_for_model(Notice),
            subject_id__in=notices.annotate(key=Cast("pk", CharField())).values("key"),
        ).values_list("subject_id", flat=True)
    )
    return (
        {int(pk) for pk in named}
        | set(notices.filter(obligations__isnull=False).values_list("pk", flat=True))
        | set(notices.filter(fulfils__isnull=False).values_list("pk", flat=True))
    )


def _purge_inbox(organisation) -> dict:
    messages = InboxMessage.objects.filter(organisation=organisation)
    deleted, _detail = messages.delete()
    if messages.exists():
        raise RuntimeError(f"inbox messages of organisation {organisation.pk} remain")
    return {
        "what": _("本单位人员的站内信 %(count)d 条") % {"count": deleted},
        "where": "notices_inboxmessage",
        "count": deleted,
        "verified": _("按单位查询结果为 0 条"),
    }


def _purge_own_notices(organisation) -> dict:
    own = Notice.objects.filter(organisation=organisation).exclude(
        kind=NoticeKind.LETTER, sent_at__isnull=False
    )
    kept = _referenced(own)
    gone = list(own.exclude(pk__in=kept).values_list("pk", flat=True))
    for start in range(0, len(gone), CHUNK):
        chunk = gone[start : start + CHUNK]
        # Their in-site copies in other organisations' inboxes go with them.
        InboxMessage.objects.filter(source__in=[f"notice:{pk}" for pk in chunk]).delete()
        Notice.objects.filter(pk__in=chunk).delete()
    deleted = len(gone)
    blanked = _blank(own.filter(pk__in=kept), NOTICE_BLANKS)
    # A kept notice loses its text everywhere it was copied: in others' inboxes (kept,
    # blank, for their read receipts) and in what each delivery stored of it (its hash,
    # the proof of delivery, stays).
    kept_sources = [f"notice:{pk}" for pk in kept]
    for start in range(0, len(kept_sources), CHUNK):
        copies = InboxMessage.objects.filter(source__in=kept_sources[start : start + CHUNK])
        _blank(copies, {"subject": "", "body": ""})
    _blank(Delivery.objects.filter(notice__in=kept), {"payload": b"", "response_text": ""})
    _blank(DeliveryAttempt.objects.filter(delivery__notice__in=kept), ATTEMPT_BLANKS)
    if own.exclude(pk__in=kept).exists():
        raise RuntimeError(f"notices of organisation {organisation.pk} remain")
    return {
        "what": _("本单位发出的公告与草稿 %(count)d 份（含其通知对象与送达记录）")
        % {"count": deleted + blanked},
        "where": "notices_notice",
        "count": deleted + blanked,
        "verified": _("除书面合同通知外按单位查询结果为 0 份")
        if not kept
        else _("除书面合同通知外仅余 %(count)d 份无文字的记录（履约义务引用）")
        % {"count": len(kept)},
    }


def _purge_deliveries(organisation) -> list[dict]:
    deliveries = Delivery.objects.filter(organisation=organisation)
    # A delivery a worker is sending right now (its lease live) is left to finish: the
    # worker would write its payload back. The purge fails below and runs again later.
    waiting = deliveries.filter(
        Q(state=DeliveryState.PENDING)
        | Q(state=DeliveryState.SENDING, lease_until__lte=clock.now())
        | Q(state=DeliveryState.SENDING, lease_until__isnull=True)
    )
    cancelled = waiting.update(
        state=DeliveryState.FAILED,
        response_status=PURGED_STATUS,
        next_attempt_at=None,
        claimed_by="",
        lease_until=None,
    )
    if deliveries.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING]).exists():
        raise RuntimeError(f"deliveries to organisation {organisation.pk} still being sent")
    recipients = _blank(NoticeRecipient.objects.filter(organisation=organisation), RECIPIENT_BLANKS)
    blanked = _blank(deliveries, DELIVERY_BLANKS)
    _blank(DeliveryAttempt.objects.filter(delivery__organisation=organisation), ATTEMPT_BLANKS)
    items = [
        {
            "what": _("通知对象中本单位人员的姓名、电子邮箱、电话 %(count)d 条")
            % {"count": recipients},
            "where": "notices_noticerecipient",
            "count": recipients,
            "verified": _("仍含个人信息的记录为 0 条"),
        },
        {
            "what": _("送达本单位的记录 %(count)d 条中的收件地址与发送内容副本")
            % {"count": blanked},
            "where": "notices_delivery；notices_deliveryattempt",
            "count": blanked,
            "verified": _("仍含地址或内容的记录为 0 条；发送时间与 SHA-256 作为送达证明保留"),
        },
    ]
    if cancelled:
        items.append(
            {
                "what": _("尚未发出的送达 %(count)d 条已取消") % {"count": cancelled},
                "where": "notices_delivery",
                "count": cancelled,
                "verified": _("待发送的记录为 0 条"),
            }
        )
    return items


def _purge_channels(organisation) -> dict:
    channels = Channel.objects.filter(organisation=organisation)
    deleted, _detail = channels.filter(deliveries__isnull=True).delete()
    wiped = _blank(channels, CHANNEL_BLANKS)
    return {
        "what": _("通知渠道配置 %(count)d 个（含加密保存的密钥）") % {"count": deleted + wiped},
        "where": "notices_channel",
        "count": deleted + wiped,
        "verified": _("仍含地址、参数或密钥的渠道为 0 个"),
    }


def purge_for(organisation) -> list[dict]:
    """Delete the organisation's inbox messages, its announcements and drafts and its
    channels; strip its people's details from the notices others sent them (the
    letters and the proofs of delivery stay, see the module's docstring). Idempotent."""
    with transaction.atomic():
        items = [_purge_inbox(organisation), _purge_own_notices(organisation)]
        items += _purge_deliveries(organisation)
        items.append(_purge_channels(organisation))
    return items
