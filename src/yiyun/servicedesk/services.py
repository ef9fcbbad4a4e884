"""Writes of the service desk.

Tickets carry the clock of their kind's clause (2.2, 4.2 complex/special, 2.1), always an
obligation opened through `obligation_open`; contact-list changes carry 2.3's, complaints
2.10's, violation notices 3.6's. Every change is audited and, for tickets, written to
the timeline.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.contracts.models import Contract
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.registry import rule_for
from yiyun.obligations.services import (
    obligation_meet,
    obligation_open,
    obligation_pause,
    obligation_resume,
    obligation_waive,
)
from yiyun.servicedesk import conf
from yiyun.servicedesk.choices import (
    COMPLAINT_MEASURES,
    KIND_RULE,
    MEASURE_ITEM,
    OPEN_STATUSES,
    Channel,
    ComplaintStatus,
    ContactAction,
    ContactChangeStatus,
    DutyRole,
    EventKind,
    MeasureKind,
    TicketKind,
    TicketPriority,
    TicketStatus,
    ViolationStatus,
)
from yiyun.servicedesk.escalation import desk_people, notify, notify_new_ticket
from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    ContactChange,
    DutyShift,
    Measure,
    Ticket,
    TicketEvent,
    ViolationNotice,
)
from yiyun.servicedesk.selectors import (
    active_contract,
    assignable_people,
    contact_list,
    customer_contacts,
    is_provider_staff,
)
from yiyun.tenancy.choices import PROVIDER_ROLES, OrganisationKind, Role
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.selectors import can_manage, is_read_only, person_of, visible_organisations
from yiyun.tenancy.services import person_create, person_update

OPEN = ObligationState.OPEN

# -- who may do what ---------------------------------------------------------------------


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _user(by):
    return None if by is None or isinstance(by, str) else by


def _require_writer(by) -> None:
    """Auditors (and accounts without a person) never write."""
    if _user(by) is not None and is_read_only(by):
        raise PermissionDenied(_("只读账号不能修改"))


def _require_provider(by, what: str) -> None:
    _require_writer(by)
    if _user(by) is not None and not is_provider_staff(by):
        raise PermissionDenied(_("只有乙方（服务方）人员可以%(what)s") % {"what": what})


def _require_customer_of(by, organisation: Organisation, what: str) -> None:
    """`by` speaks for the customer `organisation` (one of its people, not an auditor)."""
    _require_writer(by)
    user = _user(by)
    if user is None or user.is_superuser:
        return
    person = person_of(user)
    if person is None or person.organisation_id != organisation.pk:
        raise PermissionDenied(_("只有甲方人员可以%(what)s") % {"what": what})


def _require_sees(by, organisation: Organisation) -> None:
    user = _user(by)
    if user is not None and not visible_organisations(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("无权访问该单位"))


def _local(moment: datetime | None) -> str:
    return f"{clock.local(moment):%Y-%m-%d %H:%M}" if moment else ""


def _past_moment(value: datetime | None, field: str, label: str) -> datetime:
    """An aware moment not in the future (default: now)."""
    moment = clock.now()
    if value is None:
        return moment
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(_("%(label)s必须带时区") % {"label": label}, field=field)
    if value > moment:
        raise DomainError(
            _("%(label)s（%(at)s）不能晚于现在") % {"label": label, "at": _local(value)},
            field=field,
            code="in_the_future",
        )
    return value


def _check_within_contract(contract: Contract, moment: datetime, field: str) -> None:
    start = datetime.combine(contract.start, time(0), tzinfo=SHANGHAI)
    if moment < start:
        raise DomainError(
            _("时间早于合同服务期开始（%(start)s）") % {"start": contract.start},
            field=field,
        )


# -- attachments -------------------------------------------------------------------------


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _clean_name(name: str) -> str:
    """The uploaded name as shown to people: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return cleaned.strip()[:200] or "file"


def _check_content(extension: str, head: bytes, upload) -> str:
    content_type, signatures = conf.CONTENT_TYPES.get(extension, ("application/octet-stream", ()))
    if signatures is None:
        # Text: UTF-8, no NUL bytes.
        upload.seek(0)
        data = b"".join(upload.chunks())
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError(_("文本文件必须是 UTF-8 编码"), field="file") from None
        if b"\x00" in data:
            raise DomainError(_("文件内容与扩展名不符"), field="file")
    elif signatures and not any(head.startswith(sig) for sig in signatures):
        raise DomainError(
            _("文件内容与扩展名 .%(ext)s 不符") % {"ext": extension},
            field="file",
            code="bad_content",
        )
    return content_type


@transaction.atomic
def attachment_store(
    *,
    organisation: Organisation,
    upload,
    by,
    ticket: Ticket | None = None,
    contact_change: ContactChange | None = None,
    complaint: Complaint | None = None,
    violation: ViolationNotice | None = None,
    internal: bool = False,
    purpose: str = "",
) -> Attachment:
    """Store an uploaded file (a Django UploadedFile or ContentFile with a name) under
    MEDIA_ROOT, after checking its size, type and content against the settings.

    Raises DomainError naming the limit broken.
    """
    name = _clean_name(getattr(upload, "name", "") or "")
    extension = _extension(name)
    allowed = conf.attachment_types()
    if extension not in allowed:
        raise DomainError(
            _("不支持的文件类型“%(ext)s”，允许：%(allowed)s")
            % {"ext": extension or "?", "allowed": ", ".join(allowed)},
            field="file",
            code="bad_type",
        )
    limit = conf.attachment_max_bytes()
    if upload.size is None or upload.size > limit:
        raise DomainError(
            _("文件超过大小上限 %(limit)s MB") % {"limit": round(limit / 1024 / 1024, 1)},
            field="file",
            code="too_large",
        )
    if upload.size == 0:
        raise DomainError(_("文件为空"), field="file")
    upload.seek(0)
    head = upload.read(16)
    content_type = _check_content(extension, head, upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    moment = clock.now()
    stored = default_storage.save(
        Attachment.storage_name(organisation.pk, extension, moment), upload
    )
    try:
        attachment = Attachment.objects.create(
            organisation=organisation,
            ticket=ticket,
            contact_change=contact_change,
            complaint=complaint,
            violation=violation,
            purpose=purpose,
            internal=internal,
            file=stored,
            name=name,
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=_user(by),
            uploaded_by_label=_actor_label(by),
            uploaded_at=moment,
        )
    except Exception:
        default_storage.delete(stored)
        raise
    audit_record(
        actor=by,
        action="servicedesk.attachment_stored",
        obj=attachment,
        organisation=organisation,
        data={
            "name": name,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "internal": internal,
            "purpose": purpose,
        },
    )
    return attachment


def attachment_from_bytes(*, name: str, data: bytes) -> ContentFile:
    """An upload from bytes (the API sends files as base64 in JSON)."""
    return ContentFile(data, name=name)


# -- tickets -----------------------------------------------------------------------------


def _event(
    ticket: Ticket,
    kind: str,
    *,
    by,
    text: str = "",
    internal: bool = False,
    attachment: Attachment | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        at=at or clock.now(),
        actor=_user(by),
        actor_label=_actor_label(by),
        text=text,
        internal=internal,
        attachment=attachment,
        data=data or {},
    )


def _audit(ticket: Ticket, action: str, *, by, data: dict) -> None:
    audit_record(
        actor=by,
        action=f"ticket.{action}",
        obj=ticket,
        organisation=ticket.organisation_id,
        data={"ticket": ticket.pk, **data},
    )


def _clock_text(obligation: Obligation) -> str:
    due = _local(obligation.due_at) if obligation.due_at else _("已暂停")
    return _("第%(clause)s条：%(title)s，截止 %(due)s（北京时间）") % {
        "clause": obligation.clause,
        "title": obligation.title,
        "due": due,
    }


def _open_clock(ticket: Ticket, *, by, trigger_at: datetime, note: str = "") -> Obligation | None:
    """Start the clock of the ticket's kind (none for a plain support request)."""
    rule = KIND_RULE[TicketKind(ticket.kind)]
    if not rule:
        ticket.obligation = None
        return None
    obligation = obligation_open(
        contract=ticket.contract,
        clause=rule,
        subject=ticket,
        trigger_at=trigger_at,
        due_at=ticket.rectification_due_at if rule == "2.1" else None,
        note=note,
        by=by,
    )
    ticket.obligation = obligation
    _event(
        ticket,
        EventKind.CLOCK,
        by=by,
        text=_clock_text(obligation),
        data={"obligation": obligation.pk, "rule": rule},
    )
    return obligation


def _check_rectification_due(kind: str, due_at: datetime | None, reported_at: datetime) -> None:
    if kind != TicketKind.RECTIFICATION:
        return
    if due_at is None:
        # 2.1: the customer sets the deadline.
        raise DomainError(_("整改要求须写明整改期限"), field="rectification_due_at")
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise DomainError(_("整改期限必须带时区"), field="rectification_due_at")
    if due_at <= max(reported_at, clock.now()):
        raise DomainError(_("整改期限必须晚于现在"), field="rectification_due_at")


@transaction.atomic
def ticket_create(
    *,
    by,
    organisation: Organisation,
    title: str,
    kind: str,
    description: str = "",
    site=None,
    priority: str = TicketPriority.NORMAL,
    reporter: Person | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    affected_system: str = "",
    affected_circuit: str = "",
    channel: str = Channel.PORTAL,
    reported_at: datetime | None = None,
    contract: Contract | None = None,
    rectification_due_at: datetime | None = None,
    assignee: Person | None = None,
) -> Ticket:
    """Open a ticket and start the clock its kind's clause sets.

    The customer's own users open tickets for their organisation at the current
    moment. The provider's desk opens them on the customer's behalf, e.g. for a call to
    the hotline (`channel` PHONE): then `reported_at` is the time of the call — the clock
    starts then, not when it was typed — and it may not be in the future; who typed it
    and when is recorded beside it. Raises DomainError / PermissionDenied.
    """
    _require_writer(by)
    _require_sees(by, organisation)
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise DomainError(_("工单只能为客户单位登记"), field="organisation")
    provider = is_provider_staff(by) or _user(by) is None
    if kind not in TicketKind.values:
        raise DomainError(_("未知的工单类型"), field="kind")
    if priority not in TicketPriority.values:
        raise DomainError(_("未知的优先级"), field="priority")
    if channel not in Channel.values:
        raise DomainError(_("未知的来源渠道"), field="channel")
    if not title.strip():
        raise DomainError(_("请填写标题"), field="title")
    if not provider:
        _require_customer_of(by, organisation, _("为本单位提交工单"))
        if channel == Channel.PHONE:
            raise PermissionDenied(_("电话工单由乙方服务台代为登记"))
        if reported_at is not None:
            raise DomainError(_("只有服务台可以登记来电时间"), field="reported_at")
        if assignee is not None:
            raise PermissionDenied(_("只有乙方人员可以指派处理人"))
        reporter = reporter or person_of(_user(by))
    if channel == Channel.PHONE:
        if reported_at is None:
            raise DomainError(_("请填写来电时间"), field="reported_at")
        if not (reporter_name.strip() or reporter is not None):
            raise DomainError(_("请填写来电人"), field="reporter_name")
    entered_at = clock.now()
    reported_at = _past_moment(reported_at, "reported_at", _("报告时间"))
    contract = active_contract(organisation=organisation, contract=contract, by=by)
    _check_within_contract(contract, reported_at, "reported_at")
    if site is not None and site.organisation_id != organisation.pk:
        raise DomainError(_("站点不属于该单位"), field="site")
    if reporter is not None and reporter.organisation_id != organisation.pk:
        raise DomainError(_("报告人不属于该单位"), field="reporter")
    if assignee is not None:
        _check_assignee(organisation, assignee)
    _check_rectification_due(kind, rectification_due_at, reported_at)
    ticket = Ticket.objects.create(
        contract=contract,
        organisation=organisation,
        site=site,
        reporter=reporter,
        reporter_name=(reporter_name or (reporter.name if reporter else ""))[:100],
        reporter_phone=(reporter_phone or (reporter.phone if reporter else ""))[:40],
        kind=kind,
        priority=priority,
        title=title.strip()[:200],
        description=description,
        affected_system=affected_system[:200],
        affected_circuit=affected_circuit[:200],
        assignee=assignee,
        status=TicketStatus.IN_PROGRESS if assignee else TicketStatus.NEW,
        channel=channel,
        reported_at=reported_at,
        entered_at=entered_at,
        entered_by=_user(by),
        entered_by_label=_actor_label(by),
        rectification_due_at=rectification_due_at if kind == TicketKind.RECTIFICATION else None,
    )
    back_dated = reported_at < entered_at - timedelta(minutes=1)
    _event(
        ticket,
        EventKind.CREATED,
        by=by,
        text=(
            _("%(channel)s来电于 %(reported)s，由 %(by)s 于 %(entered)s 录入")
            if back_dated
            else _("经%(channel)s提交，报告时间 %(reported)s")
        )
        % {
            "channel": ticket.get_channel_display(),
            "reported": _local(reported_at),
            "entered": _local(entered_at),
            "by": _actor_label(by),
        },
        data={"reported_at": reported_at.isoformat(), "entered_at": entered_at.isoformat()},
    )
    _audit(
        ticket,
        "created",
        by=by,
        data={
            "contract": contract.number,
            "kind": kind,
            "channel": channel,
            "reported_at": reported_at,
            "entered_at": entered_at,
            "entered_by": _actor_label(by),
            "back_dated": back_dated,
            "rectification_due_at": ticket.rectification_due_at,
        },
    )
    _open_clock(ticket, by=by, trigger_at=reported_at)
    ticket.save(update_fields=["obligation"])
    notify_new_ticket(ticket)
    return ticket


def _check_assignee(organisation: Organisation, assignee: Person) -> None:
    if not assignable_people(organisation).filter(pk=assignee.pk).exists():
        raise DomainError(_("处理人必须是服务该客户的乙方人员"), field="assignee")


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(
            _("工单已%(status)s") % {"status": ticket.get_status_display()}, code="ticket_closed"
        )


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("contract", "organisation", "obligation")
        .get(pk=ticket.pk)
    )


def _current_obligation(ticket: Ticket) -> Obligation | None:
    if ticket.obligation_id is None:
        return None
    return Obligation.objects.get(pk=ticket.obligation_id)


@transaction.atomic
def ticket_update(*, ticket: Ticket, by, **changes) -> Ticket:
    """Change a ticket's details: title, description, priority, site, affected system or
    circuit (either party), and the assignee (provider only)."""
    _require_writer(by)
    ticket = _locked(ticket)
    allowed = {
        "title",
        "description",
        "priority",
        "site",
        "affected_system",
        "affected_circuit",
        "assignee",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "assignee" in changes:
        return _assign(ticket, changes.pop("assignee"), by=by, rest=changes)
    return _update(ticket, by=by, changes=changes)


def _update(ticket: Ticket, *, by, changes: dict) -> Ticket:
    if "priority" in changes and changes["priority"] not in TicketPriority.values:
        raise DomainError(_("未知的优先级"), field="priority")
    if "title" in changes and not str(changes["title"]).strip():
        raise DomainError(_("请填写标题"), field="title")
    site = changes.get("site")
    if site is not None and site.organisation_id != ticket.organisation_id:
        raise DomainError(_("站点不属于该单位"), field="site")
    changed = {}
    for field, value in changes.items():
        old = getattr(ticket, field)
        if old != value:
            changed[field] = [str(old or ""), str(value or "")]
            setattr(ticket, field, value)
    if changed:
        ticket.save()
        _event(ticket, EventKind.CHANGED, by=by, text="；".join(changed), data=changed)
        _audit(ticket, "updated", by=by, data=changed)
    return ticket


def _assign(ticket: Ticket, assignee: Person | None, *, by, rest: dict) -> Ticket:
    _require_provider(by, _("指派处理人"))
    if assignee is not None:
        _check_assignee(ticket.organisation, assignee)
    if rest:
        ticket = _update(ticket, by=by, changes=rest)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    previous = ticket.assignee
    ticket.assignee = assignee
    if assignee is not None and ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.IN_PROGRESS
    ticket.save()
    _event(
        ticket,
        EventKind.ASSIGNED,
        by=by,
        text=_("处理人：%(name)s") % {"name": assignee.name if assignee else _("（无）")},
        data={"from": previous.pk if previous else None, "to": assignee.pk if assignee else None},
    )
    _audit(
        ticket,
        "assigned",
        by=by,
        data={"from": previous.pk if previous else None, "to": assignee.pk if assignee else None},
    )
    if assignee is not None:
        notify(
            people=[assignee],
            subject=_("工单 #%(number)s 已指派给您：%(title)s")
            % {"number": ticket.number, "title": ticket.title},
            body=_clock_text(ticket.obligation) if ticket.obligation else ticket.title,
            link=reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk}),
            source=f"servicedesk:ticket:{ticket.pk}:assigned:{assignee.pk}:{clock.now().timestamp()}",
        )
    return ticket


@transaction.atomic
def ticket_comment(
    *, ticket: Ticket, by, text: str, internal: bool = False, uploads=()
) -> TicketEvent:
    """Add a comment (seen by both parties) or an internal note (the provider's only),
    with attachments. A customer's comment on a ticket waiting for it resumes the clock."""
    _require_writer(by)
    ticket = _locked(ticket)
    if internal:
        _require_provider(by, _("添加内部备注"))
    if not text.strip() and not uploads:
        raise DomainError(_("请填写内容"), field="text")
    kind = EventKind.NOTE if internal else EventKind.COMMENT
    event = None
    if text.strip():
        event = _event(ticket, kind, by=by, text=text, internal=internal)
    for upload in uploads:
        attachment = attachment_store(
            organisation=ticket.organisation, upload=upload, by=by, ticket=ticket, internal=internal
        )
        attached = _event(
            ticket,
            EventKind.ATTACHMENT,
            by=by,
            text=attachment.name,
            internal=internal,
            attachment=attachment,
        )
        event = event or attached
    _audit(
        ticket,
        "noted" if internal else "commented",
        by=by,
        # Audit entries are readable by the customer: an internal note's text stays out.
        data={"event": event.pk, "internal": internal, "attachments": len(uploads)},
    )
    if (
        not internal
        and ticket.status == TicketStatus.WAITING
        and not is_provider_staff(by)
        and _user(by) is not None
    ):
        _resume(ticket, by=by, reason=_("甲方已回复"))
    return event


@transaction.atomic
def ticket_attach(*, ticket: Ticket, by, upload, internal: bool = False) -> Attachment:
    """Attach one file to a ticket (shown on its timeline)."""
    _require_writer(by)
    if internal:
        _require_provider(by, _("上传内部附件"))
    ticket = _locked(ticket)
    attachment = attachment_store(
        organisation=ticket.organisation, upload=upload, by=by, ticket=ticket, internal=internal
    )
    _event(
        ticket,
        EventKind.ATTACHMENT,
        by=by,
        text=attachment.name,
        internal=internal,
        attachment=attachment,
    )
    return attachment


def _pause_credit(obligation: Obligation) -> timedelta:
    credit = obligation.paused_for
    if obligation.paused_at is not None:
        credit += clock.now() - obligation.paused_at
    return credit


@transaction.atomic
def ticket_kind_change(
    *,
    ticket: Ticket,
    kind: str,
    by,
    reason: str,
    rectification_due_at: datetime | None = None,
) -> Ticket:
    """Reclassify a ticket while it is worked; the clock follows the new kind's clause.

    The clock of the old kind is closed (waived, with the reason) unless it already ended
    (a breach stays a breach); the new kind's clock runs from the original report, as
    the clause counts from the request (4.2: 48 h from when the customer asked). Between
    the two 4.2 clocks, time already spent waiting for the customer is carried over,
    and a running pause continues. Audited, and on the timeline.
    """
    _require_writer(by)
    ticket = _locked(ticket)
    _require_open(ticket)
    if kind not in TicketKind.values:
        raise DomainError(_("未知的工单类型"), field="kind")
    if kind == ticket.kind:
        raise DomainError(_("类型未改变"), field="kind")
    if not reason.strip():
        raise DomainError(_("请说明变更理由"), field="reason")
    old_kind = ticket.kind
    if kind == TicketKind.RECTIFICATION:
        _check_rectification_due(kind, rectification_due_at, ticket.reported_at)
    old = _current_obligation(ticket)
    credit, was_paused, pause_reason = timedelta(0), False, ""
    why = _("工单类型由“%(old)s”改为“%(new)s”：%(reason)s") % {
        "old": TicketKind(old_kind).label,
        "new": TicketKind(kind).label,
        "reason": reason,
    }
    new_rule = KIND_RULE[TicketKind(kind)]
    if old is not None and old.state == OPEN:
        if old.pausable and new_rule and rule_for(new_rule).pausable:
            credit = _pause_credit(old)
            was_paused = old.paused_at is not None
            if was_paused:
                last = old.events.filter(kind="paused").order_by("-at", "-pk").first()
                pause_reason = last.note if last else ""
        obligation_waive(obligation=old, by=by, reason=why)
    ticket.kind = kind
    ticket.rectification_due_at = rectification_due_at if kind == TicketKind.RECTIFICATION else None
    _event(
        ticket,
        EventKind.KIND,
        by=by,
        text=why,
        data={"from": old_kind, "to": kind, "old_obligation": old.pk if old else None},
    )
    note = ""
    if credit:
        # The engine cannot move a pause from one obligation to another: the time already
        # spent waiting for the customer moves the new clock's start instead.
        note = _("含类型变更前等待甲方的暂停时间 %(minutes)s 分钟") % {
            "minutes": int(credit.total_seconds() // 60)
        }
    new = _open_clock(ticket, by=by, trigger_at=ticket.reported_at + credit, note=note)
    ticket.save()
    if new is not None and was_paused and new.due_at is not None and new.due_at > clock.now():
        new = obligation_pause(
            obligation=new, by=by, reason=pause_reason or _("继续等待甲方（类型变更前已暂停）")
        )
        ticket.obligation = new
    _audit(
        ticket,
        "kind_changed",
        by=by,
        data={
            "from": old_kind,
            "to": kind,
            "reason": reason,
            "old_obligation": old.pk if old else None,
            "old_state": old.state if old else None,
            "new_obligation": new.pk if new else None,
            "pause_carried_seconds": int(credit.total_seconds()),
        },
    )
    # The other party hears of it: a reclassification changes whose clock runs.
    if is_provider_staff(by):
        people = [ticket.reporter] if ticket.reporter_id else customer_contacts(ticket.organisation)
    else:
        people = [ticket.assignee] if ticket.assignee_id else desk_people(ticket.organisation)
    notify(
        people=people,
        subject=_("工单 #%(number)s 类型已变更：%(old)s → %(new)s")
        % {
            "number": ticket.number,
            "old": TicketKind(old_kind).label,
            "new": TicketKind(kind).label,
        },
        body=why + ("\n" + _clock_text(new) if new is not None else ""),
        link=reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk}),
        source=f"servicedesk:ticket:{ticket.pk}:kind:{clock.now().timestamp()}",
    )
    return ticket


@transaction.atomic
def ticket_wait(*, ticket: Ticket, by, reason: str) -> Ticket:
    """The provider waits for the customer (information, access, a test window…).

    The clock pauses only where its clause allows it (4.2; never 2.2 or 2.1): a reason
    is required, and the pause shows on the timeline and in the SLA report.
    """
    _require_provider(by, _("设置等待甲方"))
    ticket = _locked(ticket)
    _require_open(ticket)
    if not reason.strip():
        raise DomainError(_("请说明等待甲方的原因"), field="reason")
    if ticket.status == TicketStatus.WAITING:
        raise DomainError(_("工单已在等待甲方"), code="already_waiting")
    obligation = _current_obligation(ticket)
    ticket.status = TicketStatus.WAITING
    ticket.save()
    if obligation is not None and obligation.state == OPEN and obligation.pausable:
        obligation_pause(obligation=obligation, by=by, reason=reason)
        text = _("等待甲方，计时暂停：%(reason)s") % {"reason": reason}
        kind = EventKind.PAUSED
    elif obligation is not None and obligation.state == OPEN:
        text = _("等待甲方：%(reason)s（第%(clause)s条的期限不能暂停，继续计时）") % {
            "reason": reason,
            "clause": obligation.clause,
        }
        kind = EventKind.STATUS
    else:
        text = _("等待甲方：%(reason)s") % {"reason": reason}
        kind = EventKind.STATUS
    _event(ticket, kind, by=by, text=text, data={"reason": reason})
    _audit(ticket, "waiting", by=by, data={"reason": reason, "paused": kind == EventKind.PAUSED})
    return ticket


def _resume(ticket: Ticket, *, by, reason: str) -> Ticket:
    obligation = _current_obligation(ticket)
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.save()
    resumed = False
    if obligation is not None and obligation.state == OPEN and obligation.paused_at is not None:
        obligation_resume(obligation=obligation, by=by, reason=reason)
        resumed = True
    _event(
        ticket,
        EventKind.RESUMED if resumed else EventKind.STATUS,
        by=by,
        text=(_("恢复计时：%(reason)s") if resumed else _("继续处理：%(reason)s"))
        % {"reason": reason or "—"},
    )
    _audit(ticket, "resumed", by=by, data={"reason": reason, "clock_resumed": resumed})
    return ticket


@transaction.atomic
def ticket_resume(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    """Stop waiting for the customer (either party); a paused clock runs again."""
    _require_writer(by)
    ticket = _locked(ticket)
    if ticket.status != TicketStatus.WAITING:
        raise DomainError(_("工单不在等待甲方"), code="not_waiting")
    return _resume(ticket, by=by, reason=reason)


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, by, resolution: str, at: datetime | None = None) -> Ticket:
    """The provider handled the fault (2.2), resolved the complex problem or submitted the
    special problem's solution (4.2), or completed the rectification (2.1): the clock's
    obligation is met at `at` (default now; late means breached, recorded as such)."""
    _require_provider(by, _("登记处理结果"))
    ticket = _locked(ticket)
    _require_open(ticket)
    if not resolution.strip():
        raise DomainError(_("请填写处理结果"), field="resolution")
    at = _past_moment(at, "at", _("解决时间"))
    if at < ticket.reported_at:
        raise DomainError(_("解决时间早于报告时间"), field="at")
    obligation = _current_obligation(ticket)
    if obligation is not None and (
        obligation.state == OPEN
        or (obligation.state == ObligationState.BREACHED and obligation.met_at is None)
    ):
        obligation = obligation_meet(obligation=obligation, at=at, by=by, evidence=resolution)
    ticket.status = TicketStatus.RESOLVED
    ticket.resolution = resolution
    ticket.resolved_at = at
    ticket.save()
    _event(ticket, EventKind.STATUS, by=by, text=_("已解决：%(text)s") % {"text": resolution})
    _audit(
        ticket,
        "resolved",
        by=by,
        data={
            "at": at,
            "obligation": obligation.pk if obligation else None,
            "obligation_state": obligation.state if obligation else None,
        },
    )
    people = [ticket.reporter] if ticket.reporter_id else customer_contacts(ticket.organisation)
    notify(
        people=people,
        subject=_("工单 #%(number)s 已解决：%(title)s")
        % {"number": ticket.number, "title": ticket.title},
        body=resolution,
        link=reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk}),
        source=f"servicedesk:ticket:{ticket.pk}:resolved:{at.timestamp()}",
    )
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    """Close a ticket: the customer confirms a resolution, or withdraws its request (an
    open clock is then waived with the reason); the provider closes resolved tickets."""
    _require_writer(by)
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(_("工单已关闭"), code="ticket_closed")
    provider = is_provider_staff(by)
    if ticket.status != TicketStatus.RESOLVED:
        if provider:
            raise DomainError(_("乙方只能关闭已解决的工单"), code="not_resolved")
        _require_customer_of(by, ticket.organisation, _("撤回工单"))
        if not reason.strip():
            raise DomainError(_("请说明撤回理由"), field="reason")
        obligation = _current_obligation(ticket)
        if obligation is not None and obligation.state == OPEN:
            obligation_waive(
                obligation=obligation, by=by, reason=_("甲方撤回：%(reason)s") % {"reason": reason}
            )
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = clock.now()
    ticket.save()
    _event(
        ticket, EventKind.STATUS, by=by, text=_("已关闭：%(reason)s") % {"reason": reason or "—"}
    )
    _audit(ticket, "closed", by=by, data={"reason": reason})
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Reopen a resolved or closed ticket (the problem is back). The kind's clock runs
    again from now, as a new report of the same problem."""
    _require_writer(by)
    ticket = _locked(ticket)
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise DomainError(_("工单未解决，无需重新打开"), code="not_resolved")
    if not reason.strip():
        raise DomainError(_("请说明重新打开的理由"), field="reason")
    ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.NEW
    ticket.resolved_at = None
    ticket.closed_at = None
    _event(ticket, EventKind.STATUS, by=by, text=_("重新打开：%(reason)s") % {"reason": reason})
    moment = clock.now()
    new = None
    if ticket.kind != TicketKind.RECTIFICATION:
        new = _open_clock(
            ticket, by=by, trigger_at=moment, note=_("重新打开：%(r)s") % {"r": reason}
        )
    elif ticket.rectification_due_at and ticket.rectification_due_at > moment:
        new = _open_clock(ticket, by=by, trigger_at=moment, note=reason)
    ticket.save()
    _audit(
        ticket, "reopened", by=by, data={"reason": reason, "obligation": new.pk if new else None}
    )
    return ticket


# -- the contact list (2.3) --------------------------------------------------------------

CUSTOMER_CONTACT_ROLES = (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER)


@transaction.atomic
def contact_change_submit(
    *,
    by,
    organisation: Organisation,
    action: str,
    notified_by: str,
    person: Person | None = None,
    name: str = "",
    title: str = "",
    phone: str = "",
    email: str = "",
    role: str = "",
    site=None,
    reason: str = "",
    received_at: datetime | None = None,
    contract: Contract | None = None,
    document=None,
) -> ContactChange:
    """2.3: the customer's written notice that its contact/administrator list changes.

    Submitted by the customer's administrator through the platform (received at once,
    4.5), or entered by the provider from a paper notice with the time it was received
    (not in the future). The provider must confirm within 2 working days of receipt
    (the obligation); the change applies to the list only then.
    """
    _require_writer(by)
    _require_sees(by, organisation)
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise DomainError(_("联系人名单属于客户单位"), field="organisation")
    provider = is_provider_staff(by) or _user(by) is None
    if not provider:
        _require_customer_of(by, organisation, _("提交本单位联系人变更"))
        if not can_manage(by, organisation):
            raise PermissionDenied(_("只有甲方管理员可以提交联系人变更"))
        if received_at is not None:
            raise DomainError(_("经平台提交的通知即时送达，不能指定收到时间"), field="received_at")
    if action not in ContactAction.values:
        raise DomainError(_("未知的变更类型"), field="action")
    if not notified_by.strip():
        raise DomainError(_("请填写书面通知的通知人"), field="notified_by")
    if role and role not in CUSTOMER_CONTACT_ROLES:
        raise DomainError(_("联系人角色只能是甲方的角色"), field="role")
    if site is not None and site.organisation_id != organisation.pk:
        raise DomainError(_("站点不属于该单位"), field="site")
    if action == ContactAction.ADD:
        if person is not None:
            raise DomainError(_("新增联系人不需要指定已有人员"), field="person")
        if not name.strip():
            raise DomainError(_("请填写姓名"), field="name")
    else:
        if person is None:
            raise DomainError(_("请选择要变更的人员"), field="person")
        if person.organisation_id != organisation.pk:
            raise DomainError(_("该人员不属于此单位"), field="person")
        if not contact_list(organisation).filter(pk=person.pk).exists():
            raise DomainError(_("该人员已不在联系人名单上"), field="person")
        if ContactChange.objects.filter(person=person, status=ContactChangeStatus.PENDING).exists():
            raise DomainError(_("该人员已有待确认的变更"), code="pending", field="person")
        if action == ContactAction.UPDATE and not any(
            [name.strip(), title, phone, email, role, site]
        ):
            raise DomainError(_("请填写要变更的内容"), field="name")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("电子邮箱格式不正确"), field="email") from None
    received_at = _past_moment(received_at, "received_at", _("收到时间"))
    contract = active_contract(organisation=organisation, contract=contract, by=by)
    moment = clock.now()
    change = ContactChange.objects.create(
        contract=contract,
        organisation=organisation,
        action=action,
        person=person,
        name=name.strip()[:100],
        title=title[:100],
        phone=phone[:40],
        email=email,
        role=role,
        site=site,
        reason=reason,
        notified_by=notified_by.strip()[:100],
        received_at=received_at,
        submitted_by=_user(by),
        submitted_by_label=_actor_label(by),
        submitted_at=moment,
    )
    if document is not None:
        attachment_store(
            organisation=organisation,
            upload=document,
            by=by,
            contact_change=change,
            purpose="written_notice",
        )
    # 2.3: confirm within 2 working days after receipt.
    change.obligation = obligation_open(
        contract=contract, clause="2.3", subject=change, trigger_at=received_at, by=by
    )
    change.save(update_fields=["obligation"])
    audit_record(
        actor=by,
        action="contact_change.submitted",
        obj=change,
        organisation=organisation,
        data={
            "action": action,
            "person": person.pk if person else None,
            "proposed": {k: str(v) for k, v in change.proposed().items()},
            "notified_by": change.notified_by,
            "received_at": received_at,
            "due_at": change.obligation.due_at,
        },
    )
    notify(
        people=desk_people(organisation),
        subject=_("联系人变更待确认（2.3）：%(customer)s") % {"customer": organisation.name},
        body=_("%(action)s：%(who)s。请于 %(due)s 前确认。")
        % {
            "action": change.get_action_display(),
            "who": change.name or (person.name if person else ""),
            "due": _local(change.obligation.due_at),
        },
        link=reverse("servicedesk:contact_change_detail", kwargs={"pk": change.pk}),
        source=f"servicedesk:contact_change:{change.pk}:submitted",
    )
    return change


def _locked_change(change: ContactChange) -> ContactChange:
    return (
        ContactChange.objects.select_for_update(of=("self",))
        .select_related("organisation", "person", "obligation")
        .get(pk=change.pk)
    )


def _person_snapshot(person: Person | None) -> dict:
    if person is None:
        return {}
    return {
        "id": person.pk,
        "name": person.name,
        "title": person.title,
        "phone": person.phone,
        "email": person.email,
        "role": person.role,
        "site": person.site_id,
    }


@transaction.atomic
def contact_change_confirm(*, change: ContactChange, by, note: str = "") -> ContactChange:
    """2.3: the provider confirms the change; it is applied to the contact list now
    (through tenancy's services) and the 2.3 obligation is met (late: breached)."""
    _require_provider(by, _("确认联系人变更"))
    change = _locked_change(change)
    if change.status != ContactChangeStatus.PENDING:
        raise DomainError(
            _("该变更已%(status)s") % {"status": change.get_status_display()}, code="decided"
        )
    change.before = _person_snapshot(change.person)
    if change.action == ContactAction.ADD:
        change.person = person_create(
            organisation=change.organisation,
            name=change.name,
            by=_user(by) or _actor_label(by),
            title=change.title,
            phone=change.phone,
            email=change.email,
            role=change.role or Role.CUSTOMER_MEMBER,
            site=change.site,
        )
    elif change.action == ContactAction.UPDATE:
        fields = {
            key: value
            for key, value in {
                "name": change.name,
                "title": change.title,
                "phone": change.phone,
                "email": change.email,
                "role": change.role,
            }.items()
            if value
        }
        if change.site_id:
            fields["site"] = change.site
        person_update(person=change.person, by=_user(by) or _actor_label(by), **fields)
    # REMOVE: the person leaves the contact list (selectors.contact_list) from now on.
    moment = clock.now()
    change.status = ContactChangeStatus.CONFIRMED
    change.decided_by_label = _actor_label(by)
    change.decided_at = moment
    change.decision_note = note
    change.save()
    obligation = change.obligation
    if obligation is not None and (
        obligation.state == OPEN
        or (obligation.state == ObligationState.BREACHED and obligation.met_at is None)
    ):
        # Late (after the tick marked the breach): the late confirmation is recorded.
        change.obligation = obligation_meet(
            obligation=obligation,
            at=moment,
            by=by,
            evidence=_("已确认并更新联系人名单（变更 #%(id)s）") % {"id": change.pk},
        )
    audit_record(
        actor=by,
        action="contact_change.confirmed",
        obj=change,
        organisation=change.organisation,
        data={
            "action": change.action,
            "person": change.person_id,
            "before": change.before,
            "after": _person_snapshot(change.person)
            if change.action != ContactAction.REMOVE
            else {},
            "obligation_state": change.obligation.state if change.obligation else None,
            "note": note,
        },
    )
    recipients = [p for p in [person_of(change.submitted_by)] if p is not None]
    notify(
        people=recipients or customer_contacts(change.organisation),
        subject=_("联系人变更已确认：%(action)s %(who)s")
        % {"action": change.get_action_display(), "who": change.name or change.person},
        body=note or _("乙方已确认并更新联系人名单。"),
        link=reverse("servicedesk:contact_change_detail", kwargs={"pk": change.pk}),
        source=f"servicedesk:contact_change:{change.pk}:confirmed",
    )
    return change


@transaction.atomic
def contact_change_withdraw(*, change: ContactChange, by, reason: str = "") -> ContactChange:
    """The customer withdraws a change not yet confirmed; the 2.3 clock is waived."""
    _require_writer(by)
    change = _locked_change(change)
    if not is_provider_staff(by):
        _require_customer_of(by, change.organisation, _("撤回联系人变更"))
    if change.status != ContactChangeStatus.PENDING:
        raise DomainError(
            _("该变更已%(status)s") % {"status": change.get_status_display()}, code="decided"
        )
    change.status = ContactChangeStatus.WITHDRAWN
    change.decided_by_label = _actor_label(by)
    change.decided_at = clock.now()
    change.decision_note = reason
    change.save()
    if change.obligation is not None and change.obligation.state == OPEN:
        change.obligation = obligation_waive(
            obligation=change.obligation,
            by=by,
            reason=_("甲方撤回变更：%(reason)s") % {"reason": reason or "—"},
        )
    audit_record(
        actor=by,
        action="contact_change.withdrawn",
        obj=change,
        organisation=change.organisation,
        data={"reason": reason},
    )
    return change


# -- complaints (2.10) -------------------------------------------------------------------


@transaction.atomic
def complaint_record(
    *,
    by,
    organisation: Organisation,
    complainant: str,
    content: str,
    received_at: datetime,
    complainant_contact: str = "",
    location: str = "",
    notified_at: datetime | None = None,
    contract: Contract | None = None,
    uploads=(),
) -> Complaint:
    """2.10: record a third party's complaint about the customer's content and notify the
    customer at once (inbox and email to its administrators). The customer then has 7
    working days from the notice to answer with evidence (the obligation, bound on
    the customer)."""
    _require_provider(by, _("登记投诉"))
    _require_sees(by, organisation)
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise DomainError(_("投诉针对的是客户单位"), field="organisation")
    if not complainant.strip():
        raise DomainError(_("请填写投诉人"), field="complainant")
    if not content.strip():
        raise DomainError(_("请填写被投诉的内容"), field="content")
    received_at = _past_moment(received_at, "received_at", _("收到投诉时间"))
    notified_at = _past_moment(notified_at, "notified_at", _("通知时间"))
    if notified_at < received_at:
        raise DomainError(_("通知时间不能早于收到投诉时间"), field="notified_at")
    contract = active_contract(organisation=organisation, contract=contract, by=by)
    complaint = Complaint.objects.create(
        contract=contract,
        organisation=organisation,
        complainant=complainant.strip()[:200],
        complainant_contact=complainant_contact[:200],
        received_at=received_at,
        content=content,
        location=location[:300],
        notified_at=notified_at,
        recorded_by_label=_actor_label(by),
        recorded_at=clock.now(),
    )
    for upload in uploads:
        attachment_store(
            organisation=organisation,
            upload=upload,
            by=by,
            complaint=complaint,
            purpose="complaint",
        )
    # 2.10: the customer answers with evidence within 7 working days of the notice.
    complaint.obligation = obligation_open(
        contract=contract, clause="2.10", subject=complaint, trigger_at=notified_at, by=by
    )
    complaint.save(update_fields=["obligation"])
    audit_record(
        actor=by,
        action="complaint.recorded",
        obj=complaint,
        organisation=organisation,
        data={
            "complainant": complaint.complainant,
            "received_at": received_at,
            "notified_at": notified_at,
            "due_at": complaint.obligation.due_at,
        },
    )
    notify(
        people=customer_contacts(organisation),
        subject=_("第三方投诉通知（2.10）：请于 %(due)s 前说明并提供证明材料")
        % {"due": _local(complaint.obligation.due_at)},
        body=_(
            "投诉人：%(who)s\n被投诉内容：%(content)s\n位置：%(where)s\n"
            "依合同第2.10条，请在7个工作日内（%(due)s 前，北京时间）进行说明并出具证明材料；"
            "逾期未反馈的，乙方将采取删除相应信息、暂停或终止服务等处理措施。"
        )
        % {
            "who": complaint.complainant,
            "content": complaint.content,
            "where": complaint.location or "—",
            "due": _local(complaint.obligation.due_at),
        },
        link=reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk}),
        source=f"servicedesk:complaint:{complaint.pk}:notified",
    )
    return complaint


def _locked_complaint(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("organisation", "obligation", "contract")
        .get(pk=complaint.pk)
    )


@transaction.atomic
def complaint_answer(*, complaint: Complaint, by, answer: str, uploads=()) -> Complaint:
    """2.10: the customer answers the complaint with evidence (uploads). In time, the
    obligation is met; late, it stays breached and the late answer is recorded."""
    complaint = _locked_complaint(complaint)
    _require_customer_of(by, complaint.organisation, _("答复投诉"))
    if complaint.status not in (ComplaintStatus.AWAITING_ANSWER, ComplaintStatus.ANSWER_REJECTED):
        raise DomainError(
            _("投诉已%(status)s") % {"status": complaint.get_status_display()}, code="decided"
        )
    if not answer.strip():
        raise DomainError(_("请填写说明"), field="answer")
    moment = clock.now()
    for upload in uploads:
        attachment_store(
            organisation=complaint.organisation,
            upload=upload,
            by=by,
            complaint=complaint,
            purpose="evidence",
        )
    complaint.answer = answer
    complaint.answered_at = moment
    complaint.answered_by_label = _actor_label(by)
    complaint.status = ComplaintStatus.ANSWERED
    complaint.save()
    obligation = complaint.obligation
    if obligation is not None and (
        obligation.state == OPEN
        or (obligation.state == ObligationState.BREACHED and obligation.met_at is None)
    ):
        complaint.obligation = obligation_meet(
            obligation=obligation, at=moment, by=by, evidence=answer[:2000]
        )
    audit_record(
        actor=by,
        action="complaint.answered",
        obj=complaint,
        organisation=complaint.organisation,
        data={
            "answered_at": moment,
            "evidence_files": len(uploads),
            "in_time": complaint.obligation.state == ObligationState.MET
            if complaint.obligation
            else None,
        },
    )
    notify(
        people=desk_people(complaint.organisation),
        subject=_("甲方已答复投诉 #%(id)s") % {"id": complaint.pk},
        body=answer[:500],
        link=reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk}),
        source=f"servicedesk:complaint:{complaint.pk}:answered:{moment.timestamp()}",
    )
    return complaint


@transaction.atomic
def complaint_review(*, complaint: Complaint, by, accept: bool, note: str) -> Complaint:
    """The provider accepts the customer's answer (the complaint is closed) or does not
    (the answer is no contrary evidence, 2.10: measures become possible once the
    deadline has passed)."""
    _require_provider(by, _("审查投诉答复"))
    complaint = _locked_complaint(complaint)
    if complaint.status != ComplaintStatus.ANSWERED:
        raise DomainError(_("只有甲方已说明的投诉可以审查"), code="not_answered")
    if not note.strip():
        raise DomainError(_("请填写审查意见"), field="note")
    complaint.status = ComplaintStatus.CLOSED if accept else ComplaintStatus.ANSWER_REJECTED
    complaint.review_note = note
    complaint.reviewed_at = clock.now()
    complaint.reviewed_by_label = _actor_label(by)
    complaint.save()
    audit_record(
        actor=by,
        action="complaint.answer_accepted" if accept else "complaint.answer_rejected",
        obj=complaint,
        organisation=complaint.organisation,
        data={"note": note},
    )
    notify(
        people=customer_contacts(complaint.organisation),
        subject=(_("投诉 #%(id)s：说明已采纳") if accept else _("投诉 #%(id)s：说明未被采纳"))
        % {"id": complaint.pk},
        body=note,
        link=reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk}),
        source=f"servicedesk:complaint:{complaint.pk}:reviewed:{complaint.reviewed_at.timestamp()}",
    )
    return complaint


# -- violation notices (3.6) -------------------------------------------------------------


@transaction.atomic
def violation_record(
    *,
    by,
    organisation: Organisation,
    clause_breached: str,
    description: str,
    delivered_at: datetime,
    contract: Contract | None = None,
    document=None,
) -> ViolationNotice:
    """3.6: record the provider's written notice that the customer breached clause 2
    (which provision, what happened, when it was delivered, the document). The
    customer has 30 days from delivery to rectify (the obligation); no 3.3 measure
    before that period ends."""
    _require_provider(by, _("登记违约通知"))
    _require_sees(by, organisation)
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise DomainError(_("违约通知针对的是客户单位"), field="organisation")
    clause = clause_breached.strip()
    parts = clause.split(".")
    if not parts or parts[0] != "2" or not all(part.isdigit() for part in parts):
        # 3.6 is about a breach of clause 2 ("第二条所述的任何约定").
        raise DomainError(
            _("3.6 适用于违反第二条的约定：条款号应为 2 或 2.x（例如 2.7.5）"),
            field="clause_breached",
        )
    if not description.strip():
        raise DomainError(_("请填写违约事实"), field="description")
    delivered_at = _past_moment(delivered_at, "delivered_at", _("送达时间"))
    contract = active_contract(organisation=organisation, contract=contract, by=by)
    _check_within_contract(contract, delivered_at, "delivered_at")
    violation = ViolationNotice.objects.create(
        contract=contract,
        organisation=organisation,
        clause_breached=clause,
        description=description,
        delivered_at=delivered_at,
        recorded_by_label=_actor_label(by),
        recorded_at=clock.now(),
    )
    if document is not None:
        attachment_store(
            organisation=organisation,
            upload=document,
            by=by,
            violation=violation,
            purpose="written_notice",
        )
    # 3.6: 30 days to rectify from the written notice.
    violation.obligation = obligation_open(
        contract=contract, clause="3.6", subject=violation, trigger_at=delivered_at, by=by
    )
    violation.save(update_fields=["obligation"])
    audit_record(
        actor=by,
        action="violation.recorded",
        obj=violation,
        organisation=organisation,
        data={
            "clause_breached": clause,
            "delivered_at": delivered_at,
            "rectify_by": violation.obligation.due_at,
        },
    )
    notify(
        people=customer_contacts(organisation),
        subject=_("违约整改通知（3.6）：请于 %(due)s 前整改")
        % {"due": _local(violation.obligation.due_at)},
        body=_("违反第%(clause)s条：%(text)s\n整改期30天，截止 %(due)s（北京时间）。")
        % {
            "clause": clause,
            "text": description,
            "due": _local(violation.obligation.due_at),
        },
        link=reverse("servicedesk:violation_detail", kwargs={"pk": violation.pk}),
        source=f"servicedesk:violation:{violation.pk}:notified",
    )
    return violation


def _locked_violation(violation: ViolationNotice) -> ViolationNotice:
    return (
        ViolationNotice.objects.select_for_update(of=("self",))
        .select_related("organisation", "obligation", "contract")
        .get(pk=violation.pk)
    )


@transaction.atomic
def violation_rectification_report(
    *, violation: ViolationNotice, by, text: str, uploads=()
) -> ViolationNotice:
    """The customer reports its rectification (with evidence) for the provider to review."""
    violation = _locked_violation(violation)
    _require_customer_of(by, violation.organisation, _("报告整改情况"))
    if violation.status not in (ViolationStatus.RECTIFYING, ViolationStatus.REJECTED):
        raise DomainError(
            _("违约通知已%(status)s") % {"status": violation.get_status_display()},
            code="decided",
        )
    if not text.strip():
        raise DomainError(_("请填写整改情况"), field="text")
    for upload in uploads:
        attachment_store(
            organisation=violation.organisation,
            upload=upload,
            by=by,
            violation=violation,
            purpose="rectification",
        )
    violation.rectification = text
    violation.reported_at = clock.now()
    violation.reported_by_label = _actor_label(by)
    violation.status = ViolationStatus.REPORTED
    violation.save()
    audit_record(
        actor=by,
        action="violation.rectification_reported",
        obj=violation,
        organisation=violation.organisation,
        data={"reported_at": violation.reported_at, "files": len(uploads)},
    )
    notify(
        people=desk_people(violation.organisation),
        subject=_("甲方已报告整改：违约通知 #%(id)s") % {"id": violation.pk},
        body=text[:500],
        link=reverse("servicedesk:violation_detail", kwargs={"pk": violation.pk}),
        source=f"servicedesk:violation:{violation.pk}:reported:{violation.reported_at.timestamp()}",
    )
    return violation


@transaction.atomic
def violation_review(*, violation: ViolationNotice, by, accept: bool, note: str) -> ViolationNotice:
    """The provider accepts the reported rectification (the 3.6 obligation is met at the
    time it was reported) or rejects it (measures of 3.3 become possible once the
    30-day period is over)."""
    _require_provider(by, _("审查整改"))
    violation = _locked_violation(violation)
    if violation.status != ViolationStatus.REPORTED:
        raise DomainError(_("只有甲方已报告整改的通知可以审查"), code="not_reported")
    if not note.strip():
        raise DomainError(_("请填写审查意见"), field="note")
    violation.review_note = note
    violation.reviewed_at = clock.now()
    violation.reviewed_by_label = _actor_label(by)
    violation.status = ViolationStatus.RECTIFIED if accept else ViolationStatus.REJECTED
    violation.save()
    obligation = violation.obligation
    if (
        accept
        and obligation is not None
        and (
            obligation.state == OPEN
            or (obligation.state == ObligationState.BREACHED and obligation.met_at is None)
        )
    ):
        violation.obligation = obligation_meet(
            obligation=obligation, at=violation.reported_at, by=by, evidence=note
        )
    audit_record(
        actor=by,
        action="violation.rectification_accepted" if accept else "violation.rectification_rejected",
        obj=violation,
        organisation=violation.organisation,
        data={"note": note},
    )
    notify(
        people=customer_contacts(violation.organisation),
        subject=(_("违约通知 #%(id)s：整改已确认") if accept else _("违约通知 #%(id)s：整改未通过"))
        % {"id": violation.pk},
        body=note,
        link=reverse("servicedesk:violation_detail", kwargs={"pk": violation.pk}),
        source=f"servicedesk:violation:{violation.pk}:reviewed:{violation.reviewed_at.timestamp()}",
    )
    return violation


# -- measures (2.10, 3.3 after 3.6) ------------------------------------------------------


class MeasureRefused(DomainError):
    """A measure recorded before it is allowed; `allowed_from` says when it will be
    (None when no date can be given, e.g. the rectification was accepted)."""

    status = 409

    def __init__(self, message: str, *, allowed_from: datetime | None):
        super().__init__(message, code="measure_not_allowed")
        self.allowed_from = allowed_from


def measure_allowed_from(*, complaint: Complaint | None = None, violation=None) -> datetime:
    """When a measure on this ground becomes allowed; raises MeasureRefused when it is not
    allowed yet, naming the moment from which it will be (Beijing time)."""
    now = clock.now()
    if complaint is not None:
        obligation = complaint.obligation
        due = obligation.due_at if obligation else None
        if due is None:
            raise MeasureRefused(_("投诉没有答复期限"), allowed_from=None)
        if now < due:
            # 2.10: only after the customer's 7 working days have passed.
            raise MeasureRefused(
                _(
                    "甲方的说明期限（第2.10条，7个工作日）尚未届满：自 %(at)s（北京时间）起方可采取措施"
                )
                % {"at": _local(due)},
                allowed_from=due,
            )
        if complaint.status == ComplaintStatus.CLOSED:
            raise MeasureRefused(_("投诉已结案，甲方说明已被采纳"), allowed_from=None)
        if complaint.status == ComplaintStatus.ANSWERED and complaint.answered_at < due:
            raise MeasureRefused(
                _("甲方已在期限内说明：请先审查其说明，不采纳后方可采取措施"), allowed_from=None
            )
        return due
    obligation = violation.obligation
    due = obligation.due_at if obligation else None
    if violation.status == ViolationStatus.RECTIFIED:
        raise MeasureRefused(_("甲方整改已确认，不得依3.3采取措施"), allowed_from=None)
    if due is None:
        raise MeasureRefused(_("违约通知没有整改期"), allowed_from=None)
    if now < due:
        # 3.6: 30 days to rectify; only then the measures of 3.3.
        raise MeasureRefused(
            _("第3.6条的30天整改期尚未届满：自 %(at)s（北京时间）起方可采取第3.3条所列措施")
            % {"at": _local(due)},
            allowed_from=due,
        )
    if violation.status == ViolationStatus.REPORTED:
        raise MeasureRefused(_("甲方已报告整改：请先审查，未通过后方可采取措施"), allowed_from=None)
    return due


def _legal_ground(kind: str, *, complaint, violation) -> str:
    if complaint is not None:
        return _("第2.10条：甲方逾期未说明或未能提供相反证据（投诉 #%(id)s）") % {
            "id": complaint.pk
        }
    return _(
        "第3.6条：书面通知（%(delivered)s 送达）后30天整改期满未改正；第%(item)s条（违反第%(clause)s条）"
    ) % {
        "delivered": _local(violation.delivered_at),
        "item": MEASURE_ITEM[MeasureKind(kind)],
        "clause": violation.clause_breached,
    }


@transaction.atomic
def measure_record(
    *,
    by,
    kind: str,
    description: str = "",
    complaint: Complaint | None = None,
    violation: ViolationNotice | None = None,
    taken_at: datetime | None = None,
) -> Measure:
    """Record a measure the provider takes, with its legal ground: on a complaint (2.10:
    delete the content, suspend or end the service) only after the customer's 7-working-
    day deadline passed unanswered; on a violation notice (3.3 (1)–(5)) only after 3.6's
    30-day period. An early attempt is refused with the moment from which it is allowed."""
    _require_provider(by, _("采取处理措施"))
    if (complaint is None) == (violation is None):
        raise DomainError(_("措施须依据一项投诉或一份违约通知"))
    if kind not in MeasureKind.values:
        raise DomainError(_("未知的措施"), field="kind")
    if complaint is not None:
        complaint = _locked_complaint(complaint)
        if kind not in COMPLAINT_MEASURES:
            raise DomainError(_("第2.10条的措施为删除信息、暂停或终止服务"), field="kind")
        ground = complaint
    else:
        violation = _locked_violation(violation)
        ground = violation
    allowed_from = measure_allowed_from(complaint=complaint, violation=violation)
    taken_at = _past_moment(taken_at, "taken_at", _("采取时间"))
    if taken_at < allowed_from:
        raise MeasureRefused(
            _("采取时间早于允许的时间 %(at)s") % {"at": _local(allowed_from)},
            allowed_from=allowed_from,
        )
    legal_ground = _legal_ground(kind, complaint=complaint, violation=violation)
    measure = Measure.objects.create(
        contract=ground.contract,
        organisation=ground.organisation,
        complaint=complaint,
        violation=violation,
        kind=kind,
        legal_ground=legal_ground[:300],
        allowed_since=allowed_from,
        description=description,
        taken_at=taken_at,
        recorded_by_label=_actor_label(by),
        recorded_at=clock.now(),
    )
    audit_record(
        actor=by,
        action="measure.recorded",
        obj=measure,
        organisation=ground.organisation,
        data={
            "kind": kind,
            "item": MEASURE_ITEM[MeasureKind(kind)],
            "legal_ground": legal_ground,
            "allowed_since": allowed_from,
            "taken_at": taken_at,
            "complaint": complaint.pk if complaint else None,
            "violation": violation.pk if violation else None,
        },
    )
    notify(
        people=customer_contacts(ground.organisation),
        subject=_("乙方已采取处理措施：%(kind)s") % {"kind": measure.get_kind_display()},
        body=_("依据：%(ground)s\n%(text)s") % {"ground": legal_ground, "text": description},
        link=reverse(
            "servicedesk:complaint_detail" if complaint else "servicedesk:violation_detail",
            kwargs={"pk": ground.pk},
        ),
        source=f"servicedesk:measure:{measure.pk}",
    )
    return measure


# -- the duty roster ---------------------------------------------------------------------


@transaction.atomic
def duty_shift_add(
    *,
    by,
    person: Person,
    role: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    note: str = "",
) -> DutyShift:
    """Put a person of the provider on the roster. The 24×7 desk needs no end (always on
    duty); a lead's or engineer's shift must end after it starts."""
    _require_provider(by, _("编排值班"))
    user = _user(by)
    if user is not None and not can_manage(user, person.organisation):
        raise PermissionDenied(_("只有乙方管理员可以编排值班"))
    if person.role not in PROVIDER_ROLES or person.organisation.kind != OrganisationKind.PROVIDER:
        raise DomainError(_("值班人员必须是乙方人员"), field="person")
    if role not in DutyRole.values:
        raise DomainError(_("未知的值班角色"), field="role")
    if starts_at.tzinfo is None:
        raise DomainError(_("开始时间必须带时区"), field="starts_at")
    if role != DutyRole.DESK and ends_at is None:
        raise DomainError(_("请填写结束时间"), field="ends_at")
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(_("结束时间必须晚于开始时间"), field="ends_at")
    shift = DutyShift.objects.create(
        person=person,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note[:200],
        created_by_label=_actor_label(by),
        created_at=clock.now(),
    )
    audit_record(
        actor=by,
        action="duty_shift.added",
        obj=shift,
        organisation=person.organisation,
        data={"person": person.pk, "role": role, "starts_at": starts_at, "ends_at": ends_at},
    )
    return shift


@transaction.atomic
def duty_shift_end(*, shift: DutyShift, by, at: datetime | None = None) -> DutyShift:
    """End a shift (or take a person off the desk) at `at` (default now)."""
    _require_provider(by, _("编排值班"))
    user = _user(by)
    if user is not None and not can_manage(user, shift.person.organisation):
        raise PermissionDenied(_("只有乙方管理员可以编排值班"))
    at = at or clock.now()
    if at <= shift.starts_at:
        shift_pk = shift.pk
        shift.delete()
        audit_record(
            actor=by,
            action="duty_shift.removed",
            organisation=shift.person.organisation,
            data={"shift": shift_pk},
        )
        return shift
    if shift.ends_at is not None and shift.ends_at <= at:
        raise DomainError(_("该班次已结束"), code="ended")
    shift.ends_at = at
    shift.save(update_fields=["ends_at"])
    audit_record(
        actor=by,
        action="duty_shift.ended",
        obj=shift,
        organisation=shift.person.organisation,
        data={"ends_at": at},
    )
    return shift
