"""Writes for notices: drafting and sending them (4.4, 4.5), their letters, the in-site inbox,
and channel configuration. The outbox worker lives in `yiyun.notices.outbox`.

Other apps call:
- `inbox_send(recipients=…, subject=…, body=…, link=…, source=…)`: an in-site message;
- `notice_create(...)` then `notice_send(notice=…, by=…)`, or `notice_issue(...)` for both:
  a notice on every chosen channel, with one delivery record per recipient and channel.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import Conflict, DomainError
from yiyun.notices.choices import (
    LETTER_CLAUSE,
    MAINTENANCE_KINDS,
    AttemptOutcome,
    ChannelKind,
    DeliveryState,
    LetterKind,
    NoticeKind,
)
from yiyun.notices.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    InboxMessage,
    MaintenanceWindow,
    Notice,
    NoticeLetter,
    NoticeRecipient,
)
from yiyun.tenancy.choices import OrganisationKind, Role
from yiyun.tenancy.models import Organisation, Person, Site
from yiyun.tenancy.selectors import can_manage, is_read_only, person_of, visible_organisations

log = logging.getLogger("yiyun.notices")

# Who may write notices: the provider's staff and a customer's administrators.
AUTHOR_ROLES = {Role.PROVIDER_ADMIN, Role.PROVIDER_ENGINEER, Role.CUSTOMER_ADMIN}
# Letters whose delivery starts the other side's clock (the rule is the obligations
# engine's): 3.6 30 days to rectify, 2.10 7 working days to answer a complaint.
LETTER_OPENS = {LetterKind.VIOLATION: "3.6", LetterKind.COMPLAINT: "2.10"}
# Letters the contract register records when delivered (11.1, 11.2, 5.3, 8.1.1).
CONTRACT_NOTICE_KINDS = {
    LetterKind.NON_RENEWAL,
    LetterKind.TERMINATION_11_2,
    LetterKind.TERMINATION_5_3,
    LetterKind.TERMINATION_8_1_1,
}


# -- the in-site inbox (站内信) ----------------------------------------------------------


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


# -- who may write what ----------------------------------------------------------------


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _is_user(by) -> bool:
    return by is not None and not isinstance(by, str)


def _sender_for(by, organisation: Organisation | None) -> Organisation:
    """The organisation a notice is sent in the name of, checking that `by` may do so.

    A user writes for their own organisation, or for one they manage (a provider admin for
    a customer it serves); auditors and members never write. The system (`by` None or a
    label) must name the organisation.
    """
    if not _is_user(by):
        if organisation is None:
            raise DomainError(_("请指定发出单位"), field="organisation")
        return organisation
    if is_read_only(by):
        raise PermissionDenied(_("只读账号不能发送通知"))
    person = person_of(by)
    if by.is_superuser:
        if organisation is None and person is None:
            raise DomainError(_("请指定发出单位"), field="organisation")
        return organisation or person.organisation
    if person is None or person.role not in AUTHOR_ROLES:
        raise PermissionDenied(_("您的角色不能发送通知"))
    if organisation is None or organisation.pk == person.organisation_id:
        return person.organisation
    if not can_manage(by, organisation):
        raise PermissionDenied(_("您不能以该单位的名义发送通知"))
    return organisation


def _require_may_send(by, notice: Notice) -> None:
    _sender_for(by, notice.organisation)


def _allowed_audience(by, sender: Organisation):
    """Organisations a notice of `sender` may address: those `by` sees, and a customer's
    own providers (a customer writes to its provider)."""
    providers = Organisation.objects.filter(customers=sender).values("pk")
    if not _is_user(by):
        return Organisation.objects.all()
    return (visible_organisations(by) | Organisation.objects.filter(pk__in=providers)).distinct()


# -- creating a notice --------------------------------------------------------------------


def _check_channels(channels: Iterable[str], kind: str) -> list[str]:
    chosen = []
    for channel in channels:
        if channel not in ChannelKind.values:
            raise DomainError(_("未知的发送渠道：%(c)s") % {"c": channel}, field="channels")
        if channel not in chosen:
            chosen.append(channel)
    if not chosen:
        raise DomainError(_("请至少选择一个发送渠道"), field="channels")
    if kind == NoticeKind.LETTER and ChannelKind.WEB in chosen:
        # A contract letter goes to the other party, not to the public.
        raise DomainError(_("书面合同通知不能以网站公告发布"), field="channels")
    return [value for value in ChannelKind.values if value in chosen]


def routine_latest_send_at(starts_at: datetime) -> datetime:
    """4.4: the latest moment a routine maintenance notice may go out (24 h before it starts).

    For showing the author; the obligation itself is computed by the obligations engine.
    """
    from yiyun.core.periods import deadline

    return deadline(starts_at, clock="hours", n=24, before=True).due_at


def _check_window(kind: str, window: dict | None) -> dict:
    if kind not in MAINTENANCE_KINDS:
        if window:
            raise DomainError(_("只有维护通知才有维护窗口"), field="window")
        return {}
    if not window or not window.get("starts_at") or not window.get("ends_at"):
        raise DomainError(_("维护通知须填写开始和结束时间"), field="starts_at")
    starts_at, ends_at = window["starts_at"], window["ends_at"]
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise DomainError(_("时间须带时区"), field=name)
    if ends_at <= starts_at:
        raise DomainError(_("结束时间须晚于开始时间"), field="ends_at")
    reason = (window.get("emergency_reason") or "").strip()
    if kind == NoticeKind.EMERGENCY_MAINTENANCE and not reason:
        # 4.4: emergency (non-routine) maintenance must record why.
        raise DomainError(_("紧急维护须说明原因"), field="emergency_reason")
    if kind == NoticeKind.ROUTINE_MAINTENANCE and reason:
        raise DomainError(_("例行维护无需填写紧急原因"), field="emergency_reason")
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "affected_systems": [s.strip() for s in window.get("affected_systems", []) if s.strip()],
        "affected_circuits": [s.strip() for s in window.get("affected_circuits", []) if s.strip()],
        "affected_sites": list(window.get("affected_sites", [])),
        "impact": (window.get("impact") or "").strip(),
        "emergency_reason": reason,
    }


def _check_letter(
    *, sender: Organisation, contract, letter_kind: str, reason: str, force_majeure_since
) -> Organisation:
    """A letter needs a contract the sender is party to; returns the addressee."""
    if letter_kind not in LetterKind.values:
        raise DomainError(_("请选择书面通知类型"), field="letter_kind")
    if contract is None:
        raise DomainError(_("书面合同通知须指定合同"), field="contract")
    if sender.pk == contract.customer_id:
        addressee = contract.provider
    elif sender.pk == contract.provider_id:
        addressee = contract.customer
    else:
        raise DomainError(_("发出单位不是该合同的当事人"), field="contract")
    if letter_kind == LetterKind.TERMINATION_5_3:
        # 5.3: the customer's right, for a provable reason.
        if sender.pk != contract.customer_id:
            raise DomainError(_("5.3 的提前终止只能由甲方提出"), field="letter_kind")
        if not reason.strip():
            raise DomainError(_("请说明可证明的合理原因"), field="reason")
    if letter_kind == LetterKind.TERMINATION_8_1_1 and force_majeure_since is None:
        raise DomainError(_("请填写不可抗力开始日期"), field="force_majeure_since")
    provider_letters = (LetterKind.VIOLATION, LetterKind.COMPLAINT, LetterKind.CONTACT_CHANGE)
    if letter_kind in provider_letters and sender.pk != contract.provider_id:
        # 3.6 / 2.10 / 2.3: the provider writes these to the customer.
        raise DomainError(_("该类通知由乙方发出"), field="letter_kind")
    return addressee


def _routine_contracts(notice: Notice) -> list:
    """The contracts whose 4.4 a routine maintenance notice serves: the one named, else the
    sender's active contracts with each customer in the audience."""
    from yiyun.contracts.choices import ContractStatus
    from yiyun.contracts.models import Contract

    if notice.contract_id:
        return [notice.contract]
    customers = set(notice.audience_organisations.values_list("pk", flat=True))
    customers |= set(notice.audience_sites.values_list("organisation_id", flat=True))
    return list(
        Contract.objects.filter(
            provider=notice.organisation_id,
            customer__in=customers,
            status=ContractStatus.ACTIVE,
        ).order_by("pk")
    )


def _open_routine_obligations(notice: Notice, by) -> None:
    """4.4: one obligation per contract, clock "24 h before", triggered by the window start."""
    from yiyun.obligations.services import obligation_open

    for contract in _routine_contracts(notice):
        obligation = obligation_open(
            contract=contract,
            clause="4.4",
            subject=notice,
            trigger_at=notice.window.starts_at,
            note=notice.subject,
            by=by,
        )
        notice.obligations.add(obligation)


@transaction.atomic
def notice_create(
    *,
    by,
    kind: str,
    subject: str,
    body: str,
    channels: Iterable[str],
    organisation: Organisation | None = None,
    audience_organisations: Iterable[Organisation] = (),
    audience_sites: Iterable[Site] = (),
    audience_roles: Iterable[str] = (),
    audience_contacts: bool = False,
    contract=None,
    letter_kind: str = "",
    reason: str = "",
    force_majeure_since: date | None = None,
    window: dict | None = None,
    fulfils=None,
) -> Notice:
    """Draft a notice. Nothing is sent yet (see `notice_send`).

    `window` (maintenance only): {"starts_at", "ends_at", "affected_systems": [...],
    "affected_circuits": [...], "affected_sites": [Site...], "impact", "emergency_reason"}.
    A routine maintenance notice opens 4.4's obligation now (the engine reminds before its
    latest send time and records a breach if it passes). A letter (`kind` LETTER) needs a
    `contract` and a `letter_kind`; its audience is the other party. `fulfils`: an open
    obligation this notice's delivery meets (e.g. 2.3's confirmation).
    Raises DomainError for invalid input, PermissionDenied when `by` may not send.
    """
    if kind not in NoticeKind.values:
        raise DomainError(_("未知的通知类型"), field="kind")
    sender = _sender_for(by, organisation)
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise DomainError(_("请填写标题"), field="subject")
    if not body:
        raise DomainError(_("请填写正文"), field="body")
    if kind in MAINTENANCE_KINDS and sender.kind != OrganisationKind.PROVIDER:
        raise DomainError(_("维护通知由服务单位发出"), field="kind")
    chosen = _check_channels(channels, kind)
    window_data = _check_window(kind, window)
    roles = [role for role in audience_roles if role]
    for role in roles:
        if role not in Role.values:
            raise DomainError(_("未知的角色：%(r)s") % {"r": role}, field="audience_roles")
    organisations = list(audience_organisations)
    sites = list(audience_sites)
    addressee = None
    if kind == NoticeKind.LETTER:
        addressee = _check_letter(
            sender=sender,
            contract=contract,
            letter_kind=letter_kind,
            reason=reason,
            force_majeure_since=force_majeure_since,
        )
        organisations = [addressee]
        sites = []
    elif letter_kind:
        raise DomainError(_("只有书面合同通知才有书面通知类型"), field="letter_kind")
    if contract is not None and sender.pk not in (contract.customer_id, contract.provider_id):
        raise DomainError(_("发出单位不是该合同的当事人"), field="contract")
    allowed = _allowed_audience(by, sender)
    for target in organisations:
        if not allowed.filter(pk=target.pk).exists():
            raise DomainError(
                _("不能向“%(o)s”发送通知") % {"o": target.name}, field="audience_organisations"
            )
    for site in [*sites, *window_data.get("affected_sites", [])]:
        if not allowed.filter(pk=site.organisation_id).exists():
            raise DomainError(_("不能选择站点“%(s)s”") % {"s": site.name}, field="audience_sites")
    if not organisations and not sites and not (audience_contacts and contract is not None):
        raise DomainError(_("请选择通知对象"), field="audience_organisations")
    moment = clock.now()
    notice = Notice.objects.create(
        kind=kind,
        letter_kind=letter_kind if kind == NoticeKind.LETTER else "",
        organisation=sender,
        contract=contract,
        subject=subject[:200],
        body=body,
        reason=reason.strip(),
        force_majeure_since=force_majeure_since,
        channels=chosen,
        audience_roles=roles,
        audience_contacts=audience_contacts,
        fulfils=fulfils,
        author=by if _is_user(by) else None,
        author_name=_actor_label(by),
        created_at=moment,
    )
    notice.audience_organisations.set(organisations)
    notice.audience_sites.set(sites)
    parties = {sender.pk, *(o.pk for o in organisations), *(s.organisation_id for s in sites)}
    if contract is not None:
        parties |= {contract.customer_id, contract.provider_id}
    notice.parties.set(parties)
    if window_data:
        affected_sites = window_data.pop("affected_sites")
        window_row = MaintenanceWindow.objects.create(notice=notice, **window_data)
        window_row.affected_sites.set(affected_sites)
        notice.parties.add(*(site.organisation_id for site in affected_sites))
    if kind == NoticeKind.ROUTINE_MAINTENANCE:
        # 4.4: at least 24 h before it starts.
        notice.latest_send_at = routine_latest_send_at(notice.window.starts_at)
        notice.save(update_fields=["latest_send_at"])
        _open_routine_obligations(notice, by)
    audit_record(
        actor=by,
        action="notice.created",
        obj=notice,
        organisation=sender,
        data={
            "kind": kind,
            "letter_kind": notice.letter_kind,
            "subject": notice.subject,
            "channels": chosen,
            "audience_organisations": [o.pk for o in organisations],
            "audience_sites": [s.pk for s in sites],
            "audience_roles": roles,
            "audience_contacts": audience_contacts,
            "contract": getattr(contract, "number", ""),
            "window": {
                key: value
                for key, value in window_data.items()
                if key in ("starts_at", "ends_at", "emergency_reason")
            },
            "latest_send_at": notice.latest_send_at,
            "addressee": addressee.pk if addressee else None,
        },
    )
    return notice


# -- sending ------------------------------------------------------------------------------


def notice_is_late(notice: Notice, at: datetime | None = None) -> bool:
    """4.4: would a routine maintenance notice sent at `at` (now) be later than allowed?"""
    if notice.latest_send_at is None:
        return False
    return (at or clock.now()) >= notice.latest_send_at


def _recipients_resolve(notice: Notice) -> list[NoticeRecipient]:
    """Resolve the audience to people, now, and keep the list (with addresses) with the notice."""
    from yiyun.notices.selectors import audience_people

    rows = []
    for person in audience_people(notice):
        rows.append(
            NoticeRecipient(
                notice=notice,
                person=person,
                organisation_id=person.organisation_id,
                name=person.name,
                role=person.role,
                site=person.site.name if person.site_id else "",
                email=person.email,
                phone=person.phone,
            )
        )
    NoticeRecipient.objects.bulk_create(rows)
    return list(notice.recipients.select_related("person", "organisation").order_by("pk"))


def _recipients_digest(recipients: list[NoticeRecipient]) -> str:
    """SHA-256 of the resolved audience (who, and at which addresses), in a stable form."""
    canonical = json.dumps(
        [[r.person_id, r.organisation_id, r.name, r.email, r.phone] for r in recipients],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key(notice: Notice, kind: str, target: str) -> str:
    # One key per recipient × channel: the unique constraint makes a second row impossible.
    return f"yy-{notice.uid.hex}-{kind}-{target}"


def _delivery(
    notice, *, kind, organisation_id, address, key, payload, recipient=None, channel=None
):
    moment = clock.now()
    return Delivery(
        notice=notice,
        recipient=recipient,
        channel=channel,
        kind=kind,
        organisation_id=organisation_id,
        address=address[:300],
        idempotency_key=key,
        payload=payload,
        created_at=moment,
        next_attempt_at=moment,
    )


def _sender_channel(notice: Notice, kind: str) -> Channel | None:
    return (
        Channel.objects.filter(organisation=notice.organisation_id, kind=kind, enabled=True)
        .order_by("pk")
        .first()
    )


def _group_channels(notice: Notice, kind: str) -> list[Channel]:
    """The group robots of the organisations addressed (each hears the notice once)."""
    audience = set(notice.audience_organisations.values_list("pk", flat=True))
    audience |= set(notice.audience_sites.values_list("organisation_id", flat=True))
    return list(
        Channel.objects.filter(organisation__in=audience, kind=kind, enabled=True).order_by("pk")
    )


def _robot_address(channel: Channel) -> str:
    # Never the URL itself: WeCom's key is in it.
    return f"{channel.get_kind_display()} · {channel.organisation.name} · {channel.name}"


def _deliveries_build(notice: Notice, recipients: list[NoticeRecipient], letter) -> list[Delivery]:
    from yiyun.notices import rendering

    deliveries = []
    skipped: dict[str, int] = {}
    for kind in notice.channels:
        if kind == ChannelKind.WEB:
            deliveries.append(
                _delivery(
                    notice,
                    kind=kind,
                    organisation_id=notice.organisation_id,
                    address=rendering.public_url(notice),
                    key=_key(notice, kind, "public"),
                    payload=rendering.web_payload(notice),
                )
            )
        elif kind == ChannelKind.INBOX:
            for recipient in recipients:
                if recipient.person is None or recipient.person.user_id is None:
                    skipped[kind] = skipped.get(kind, 0) + 1
                    continue
                deliveries.append(
                    _delivery(
                        notice,
                        kind=kind,
                        recipient=recipient,
                        organisation_id=recipient.organisation_id,
                        address=recipient.name,
                        key=_key(notice, kind, f"r{recipient.pk}"),
                        payload=rendering.inbox_payload(notice),
                    )
                )
        elif kind == ChannelKind.EMAIL:
            channel = _sender_channel(notice, kind)
            for recipient in recipients:
                if not recipient.email:
                    skipped[kind] = skipped.get(kind, 0) + 1
                    continue
                key = _key(notice, kind, f"r{recipient.pk}")
                deliveries.append(
                    _delivery(
                        notice,
                        kind=kind,
                        recipient=recipient,
                        channel=channel,
                        organisation_id=recipient.organisation_id,
                        address=recipient.email,
                        key=key,
                        payload=rendering.email_payload(
                            notice=notice,
                            recipient=recipient,
                            channel=channel,
                            key=key,
                            letter=letter,
                        ),
                    )
                )
        elif kind == ChannelKind.SMS:
            channel = _sender_channel(notice, kind)
            if channel is None:
                raise DomainError(
                    _("“%(o)s”尚未配置短信网关") % {"o": notice.organisation.name},
                    field="channels",
                )
            for recipient in recipients:
                if not recipient.phone:
                    skipped[kind] = skipped.get(kind, 0) + 1
                    continue
                key = _key(notice, kind, f"r{recipient.pk}")
                deliveries.append(
                    _delivery(
                        notice,
                        kind=kind,
                        recipient=recipient,
                        channel=channel,
                        organisation_id=recipient.organisation_id,
                        address=recipient.phone,
                        key=key,
                        payload=rendering.sms_payload(
                            notice=notice, recipient=recipient, channel=channel, key=key
                        ),
                    )
                )
        else:
            robots = _group_channels(notice, kind)
            if not robots:
                raise DomainError(
                    _("接收单位没有启用的%(kind)s") % {"kind": ChannelKind(kind).label},
                    field="channels",
                )
            payload = (
                rendering.wecom_payload(notice)
                if kind == ChannelKind.WECOM
                else rendering.dingtalk_payload(notice)
            )
            for channel in robots:
                deliveries.append(
                    _delivery(
                        notice,
                        kind=kind,
                        channel=channel,
                        organisation_id=channel.organisation_id,
                        address=_robot_address(channel),
                        key=_key(notice, kind, f"c{channel.pk}"),
                        payload=payload,
                    )
                )
    notice._skipped = skipped
    return deliveries


def _deliver_locally(delivery: Delivery, notice: Notice) -> None:
    """Inbox and web are this platform itself: delivered at once, in the same transaction."""
    from yiyun.notices import rendering

    moment = clock.now()
    if delivery.kind == ChannelKind.INBOX:
        (message,) = inbox_send(
            recipients=[delivery.recipient.person],
            subject=notice.subject,
            body=rendering.notice_text(notice),
            link=rendering.notice_link(notice),
            source=f"notice:{notice.pk}",
        ) or [
            InboxMessage.objects.get(
                recipient=delivery.recipient.person, source=f"notice:{notice.pk}"
            )
        ]
        delivery.response_id = f"inbox:{message.pk}"
    else:
        notice.published_at = moment
        notice.save(update_fields=["published_at"])
    payload = bytes(delivery.payload)
    delivery.state = DeliveryState.SENT
    delivery.attempts = 1
    delivery.sent_at = moment
    delivery.next_attempt_at = None
    delivery.sha256 = hashlib.sha256(payload).hexdigest()
    delivery.response_status = "stored" if delivery.kind == ChannelKind.INBOX else "published"
    delivery.save()
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=1,
        worker="web",
        started_at=moment,
        finished_at=moment,
        outcome=AttemptOutcome.SENT,
        status=delivery.response_status,
        response=delivery.response_id or delivery.address,
        sha256=delivery.sha256,
    )


def _letter_generate(notice: Notice) -> NoticeLetter:
    from yiyun.notices.pdf import letter_pdf, letter_reference

    contract = notice.contract
    addressee = (
        contract.provider if notice.organisation_id == contract.customer_id else contract.customer
    )
    reference = letter_reference(notice)
    moment = clock.now()
    pdf = letter_pdf(notice=notice, reference=reference, addressee=addressee, at=moment)
    return NoticeLetter.objects.create(
        notice=notice,
        reference=reference,
        addressee=addressee,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        generated_at=moment,
    )


@transaction.atomic
def notice_send(*, notice: Notice, by, acknowledge_late: bool = False) -> Notice:
    """Send a drafted notice on its channels.

    Resolves the audience to people (kept with the notice), generates a letter's PDF,
    and queues one delivery per recipient × channel in the outbox (inbox and web are
    delivered at once; email, SMS and the robots by `yiyun worker`). A routine
    maintenance notice later than 24 h before its start needs `acknowledge_late` (the
    author was warned); it is sent, and 4.4's breach is recorded when it goes out.
    """
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _require_may_send(by, notice)
    if notice.sent_at is not None:
        raise Conflict(_("该通知已发送"), code="already_sent")
    moment = clock.now()
    late = notice_is_late(notice, moment)
    if late and not acknowledge_late:
        raise DomainError(
            _(
                "已晚于最迟发送时间 %(latest)s（第4.4条：例行维护须至少提前24小时通知）；确认发送将记录违约"
            )
            % {"latest": f"{clock.local(notice.latest_send_at):%Y-%m-%d %H:%M}"},
            code="late_notice",
            field="acknowledge_late",
        )
    letter = _letter_generate(notice) if notice.kind == NoticeKind.LETTER else None
    recipients = _recipients_resolve(notice)
    deliveries = Delivery.objects.bulk_create(_deliveries_build(notice, recipients, letter))
    if not deliveries:
        raise DomainError(_("通知对象中没有可经所选渠道送达的人员"), field="channels")
    # Sent now that the letter, the recipients and every payload are ready.
    notice.sent_at = clock.now()
    notice.sent_by = _actor_label(by)
    notice.save(update_fields=["sent_at", "sent_by"])
    for delivery in deliveries:
        if delivery.kind in (ChannelKind.INBOX, ChannelKind.WEB):
            delivery.recipient = next(
                (r for r in recipients if r.pk == delivery.recipient_id), None
            )
            _deliver_locally(delivery, notice)
    audit_record(
        actor=by,
        action="notice.sent",
        obj=notice,
        organisation=notice.organisation,
        data={
            "kind": notice.kind,
            "subject": notice.subject,
            "late": late,
            "latest_send_at": notice.latest_send_at,
            # The list itself stays with the notice; the chain anchors it without holding
            # anybody's address.
            "recipients": [r.person_id for r in recipients],
            "recipients_sha256": _recipients_digest(recipients),
            "deliveries": len(deliveries),
            "delivered_here": {
                d.idempotency_key: d.sha256 for d in deliveries if d.state == DeliveryState.SENT
            },
            "skipped_without_address": notice._skipped,
            "letter": {"reference": letter.reference, "sha256": letter.sha256} if letter else None,
        },
    )
    local_times = [d.sent_at for d in deliveries if d.sent_at is not None]
    if local_times:
        return notice_delivered(notice=notice, at=min(local_times))
    return notice


def notice_issue(*, by, acknowledge_late: bool = False, **fields) -> Notice:
    """Draft and send in one step (`notice_create` then `notice_send`)."""
    with transaction.atomic():
        notice = notice_create(by=by, **fields)
        return notice_send(notice=notice, by=by, acknowledge_late=acknowledge_late)


# -- delivered (4.5) ----------------------------------------------------------------------


def _evidence(notice: Notice) -> str:
    letter = getattr(notice, "letter", None) if notice.kind == NoticeKind.LETTER else None
    text = _("通知 #%(id)s「%(subject)s」首次送达 %(at)s") % {
        "id": notice.pk,
        "subject": notice.subject,
        "at": f"{clock.local(notice.delivered_at):%Y-%m-%d %H:%M:%S}",
    }
    if letter is not None:
        text += f"；{letter.reference} SHA-256 {letter.sha256}"
    return text


@transaction.atomic
def notice_delivered(*, notice: Notice, at: datetime) -> Notice:
    """4.5: the notice counts as delivered when first sent on any channel.

    Runs once per notice (the first delivery): meets the 4.4 obligations of a routine
    maintenance notice (the engine records the breach when `at` is past the latest send
    time), records a letter in the contract register (11.1, 11.2, 5.3, 8.1.1), opens
    the other side's clock of a 3.6 or 2.10 letter, and meets the obligation the notice
    `fulfils`.
    """
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.delivered_at is not None:
        return notice
    notice.delivered_at = at
    notice.save(update_fields=["delivered_at"])
    audit_record(
        actor="notices",
        action="notice.delivered",
        obj=notice,
        organisation=notice.organisation,
        data={"delivered_at": at, "kind": notice.kind, "letter_kind": notice.letter_kind},
    )
    from yiyun.obligations.services import obligation_meet, obligation_open

    evidence = _evidence(notice)
    if notice.kind == NoticeKind.ROUTINE_MAINTENANCE:
        # 4.4: met if before the latest send time; the engine records the breach if not.
        for obligation in notice.obligations.all():
            _consequence(
                notice,
                "4.4",
                lambda o=obligation: obligation_meet(
                    obligation=o, at=at, by="notices", evidence=evidence
                ),
            )
    if notice.fulfils_id is not None:
        _consequence(
            notice,
            "fulfils",
            lambda: obligation_meet(
                obligation=notice.fulfils, at=at, by="notices", evidence=evidence
            ),
        )
    if notice.letter_kind in LETTER_OPENS and notice.contract_id:
        clause = LETTER_OPENS[LetterKind(notice.letter_kind)]

        def _open():
            notice.obligations.add(
                obligation_open(
                    contract=notice.contract,
                    clause=clause,
                    subject=notice,
                    trigger_at=at,
                    note=notice.subject,
                    by="notices",
                )
            )

        _consequence(notice, clause, _open)
    if notice.letter_kind in CONTRACT_NOTICE_KINDS:
        _consequence(notice, LETTER_CLAUSE[notice.letter_kind], lambda: _contract_record(notice))
    return notice


def _consequence(notice: Notice, what: str, action) -> None:
    """Run what a delivery sets in motion; when the rules refuse it, the delivery still
    stands (it happened) and the refusal is recorded for a person to act on."""
    try:
        with transaction.atomic():
            action()
    except DomainError as error:
        log.warning("notice %s: %s not recorded: %s", notice.pk, what, error.message)
        audit_record(
            actor="notices",
            action="notice.consequence_refused",
            obj=notice,
            organisation=notice.organisation,
            data={"what": what, "error": error.message, "code": error.code},
        )


def _contract_record(notice: Notice) -> None:
    """A letter the contract register must know: non-renewal, termination (11.x, 5.3, 8.1.1)."""
    from django.core.files.base import ContentFile

    from yiyun.contracts.choices import Party
    from yiyun.contracts.services import notice_record

    contract, letter = notice.contract, notice.letter
    from_party = (
        Party.CUSTOMER if notice.organisation_id == contract.customer_id else Party.PROVIDER
    )
    notice_record(
        contract=contract,
        kind=notice.letter_kind,
        from_party=from_party,
        sender=notice.organisation.name,
        recipient=letter.addressee.name,
        delivered_at=notice.delivered_at,
        by="notices",
        document=ContentFile(bytes(letter.pdf), name=f"{letter.reference}.pdf"),
        reason=notice.reason,
        force_majeure_since=notice.force_majeure_since,
    )


# -- channels ----------------------------------------------------------------------------


@transaction.atomic
def channel_save(*, channel: Channel, by, secrets: dict[str, str] | None = None) -> Channel:
    """Create or change a channel; `secrets` ({name: value}, "" removes one) are encrypted.

    The audit entry names which secrets changed, never their values.
    """
    from yiyun.notices.secrets import channel_secrets_set

    if channel.organisation_id and _is_user(by) and not can_manage(by, channel.organisation):
        raise PermissionDenied(_("您不能配置该单位的渠道"))
    if channel.kind not in (
        ChannelKind.EMAIL,
        ChannelKind.SMS,
        ChannelKind.WECOM,
        ChannelKind.DINGTALK,
    ):
        raise DomainError(_("该渠道无需配置"), field="kind")
    if channel.kind == ChannelKind.SMS and not channel.sms_gateway:
        raise DomainError(_("请选择短信网关"), field="sms_gateway")
    created = channel.pk is None
    moment = clock.now()
    if created:
        channel.created_at = moment
    channel.updated_at = moment
    if secrets:
        channel_secrets_set(channel, secrets)
    channel.full_clean()
    channel.save()
    audit_record(
        actor=by,
        action="notice_channel.created" if created else "notice_channel.changed",
        obj=channel,
        organisation=channel.organisation,
        data={
            "kind": channel.kind,
            "name": channel.name,
            "enabled": channel.enabled,
            "endpoint_host": channel.endpoint.split("/")[2] if "//" in channel.endpoint else "",
            "secrets_changed": sorted(secrets or {}),
        },
    )
    return channel
