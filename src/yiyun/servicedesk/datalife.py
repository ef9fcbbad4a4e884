"""The service desk's part of the end-of-service export and purge (6.5, see datalife.hooks).

Export: servicedesk.json — the organisation's tickets with their timelines, its contact
changes (2.3), complaints (2.10), violation notices (3.6), the measures taken on them,
and its issued SLA reports (month and SHA-256) — and every attachment file, under
attachments/. What only the provider ever saw (internal notes, internal attachments)
stays out, as it does on the customer's pages.

Purge — what goes:
- attachments: every file of the organisation's (MEDIA_ROOT/servicedesk/org-<id>/ and
  wherever a row names one) and the rows, whose file names may themselves be personal
  data. Nothing but a ticket event's SET_NULL link refers to an attachment.
- the free text of the rows that stay: a ticket's title, description, resolution,
  reporter name and phone, affected system and circuit; every timeline entry's text
  (comments, internal notes, file names, reasons) and what of its data is text (a
  change's old and new values, a reason — its links to obligations, people and kinds
  stay); a contact change's name, job title, phone, email, notice and decision notes
  and its "before" snapshot; a complaint's complainant and contact, the content
  complained of, its location, the answer and the review note; a violation notice's
  facts, rectification report and review note; a measure's description. All of it, not
  some: anything written by or about the customer may hold a patient's or a person's
  details.
- the in-site messages the desk sent about these (in every inbox, the provider's staff
  included: a new ticket's message carries its title), found by their `source`.

What stays, as evidence of the contract's performance: the rows themselves with their
numbers, kinds, statuses, priorities, channels and timestamps, the clause breached, a
measure's kind and legal ground, account names of who acted, and the SLA reports.
Obligations (and the SLA figures computed from them and the tickets) name these rows as
their subjects; circuits' outages name tickets by id; measures PROTECT their complaint
or violation notice — deleting the rows would break all of that. Escalation rows (who
of the provider was told when) and the duty roster are the provider's and hold no text.
People (tenancy.Person) linked as reporter or contact belong to the tenancy app.
"""

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import EventKind as ObligationEventKind
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation, ObligationEvent
from yiyun.obligations.services import obligation_settle, obligation_waive
from yiyun.servicedesk.choices import EventKind
from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    ContactChange,
    Measure,
    SlaReport,
    Ticket,
    TicketEvent,
    ViolationNotice,
)

# The free text each kept row loses, and what it is set to.
TICKET_BLANKS = {
    "title": "",
    "description": "",
    "resolution": "",
    "reporter_name": "",
    "reporter_phone": "",
    "affected_system": "",
    "affected_circuit": "",
}
CONTACT_CHANGE_BLANKS = {
    "name": "",
    "title": "",
    "phone": "",
    "email": "",
    "reason": "",
    "notified_by": "",
    "decision_note": "",
    "before": {},
}
COMPLAINT_BLANKS = {
    "complainant": "",
    "complainant_contact": "",
    "content": "",
    "location": "",
    "answer": "",
    "review_note": "",
}
VIOLATION_BLANKS = {"description": "", "rectification": "", "review_note": ""}
MEASURE_BLANKS = {"description": ""}
CHUNK = 500
# Who stops the clocks still running at the purge (see _stop_open_clocks); the spaces
# keep it from ever being a user's name.
PURGE_ACTOR = "end-of-service purge (6.5)"


def attachment_dir(organisation) -> Path:
    """Where the organisation's attachments are stored (see Attachment.storage_name)."""
    return Path(settings.MEDIA_ROOT) / "servicedesk" / f"org-{organisation.pk}"


# -- export -------------------------------------------------------------------------------


def _attachment(attachment: Attachment, members: list) -> dict:
    entry = {
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "purpose": attachment.purpose,
        "uploaded_by": attachment.uploaded_by_label,
        "uploaded_at": attachment.uploaded_at,
        "file": None,
    }
    path = Path(default_storage.path(attachment.file.name))
    if path.is_file():
        entry["file"] = f"attachments/{attachment.pk}-{attachment.name}"
        members.append((entry["file"], path))
    return entry


def _attachments(rows: Iterable[Attachment], members: list) -> list[dict]:
    return [_attachment(a, members) for a in rows if not a.internal]


def export_for(organisation) -> list[tuple[str, bytes | Path]]:
    """servicedesk.json and every attachment the customer may see, as it is on disk."""
    members: list[tuple[str, bytes | Path]] = []
    tickets = []
    for ticket in (
        Ticket.objects.filter(organisation=organisation)
        .select_related("contract", "site")
        .prefetch_related("events", "attachments")
        .order_by("pk")
    ):
        tickets.append(
            {
                "number": ticket.number,
                "contract": ticket.contract.number,
                "kind": ticket.kind,
                "priority": ticket.priority,
                "status": ticket.status,
                "channel": ticket.channel,
                "title": ticket.title,
                "description": ticket.description,
                "site": ticket.site.name if ticket.site_id else "",
                "reporter_name": ticket.reporter_name,
                "reporter_phone": ticket.reporter_phone,
                "affected_system": ticket.affected_system,
                "affected_circuit": ticket.affected_circuit,
                "reported_at": ticket.reported_at,
                "entered_at": ticket.entered_at,
                "entered_by": ticket.entered_by_label,
                "rectification_due_at": ticket.rectification_due_at,
                "resolution": ticket.resolution,
                "resolved_at": ticket.resolved_at,
                "closed_at": ticket.closed_at,
                "events": [
                    {
                        "kind": event.kind,
                        "at": event.at,
                        "by": event.actor_label,
                        "text": event.text,
                    }
                    for event in ticket.events.all()
                    if not event.internal
                ],
                "attachments": _attachments(ticket.attachments.all(), members),
            }
        )
    contact_changes = [
        {
            "id": change.pk,
            "action": change.action,
            "person": change.person.name if change.person_id else "",
            "name": change.name,
            "title": change.title,
            "phone": change.phone,
            "email": change.email,
            "role": change.role,
            "reason": change.reason,
            "notified_by": change.notified_by,
            "received_at": change.received_at,
            "submitted_by": change.submitted_by_label,
            "status": change.status,
            "decided_by": change.decided_by_label,
            "decided_at": change.decided_at,
            "decision_note": change.decision_note,
            "attachments": _attachments(change.attachments.all(), members),
        }
        for change in ContactChange.objects.filter(organisation=organisation)
        .select_related("person")
        .prefetch_related("attachments")
        .order_by("pk")
    ]
    measures = Measure.objects.filter(organisation=organisation).order_by("pk")
    complaints = [
        {
            "id": complaint.pk,
            "complainant": complaint.complainant,
            "complainant_contact": complaint.complainant_contact,
            "content": complaint.content,
            "location": complaint.location,
            "received_at": complaint.received_at,
            "notified_at": complaint.notified_at,
            "status": complaint.status,
            "answer": complaint.answer,
            "answered_at": complaint.answered_at,
            "answered_by": complaint.answered_by_label,
            "review_note": complaint.review_note,
            "reviewed_at": complaint.reviewed_at,
            "attachments": _attachments(complaint.attachments.all(), members),
        }
        for complaint in Complaint.objects.filter(organisation=organisation)
        .prefetch_related("attachments")
        .order_by("pk")
    ]
    violations = [
        {
            "id": violation.pk,
            "clause_breached": violation.clause_breached,
            "description": violation.description,
            "delivered_at": violation.delivered_at,
            "status": violation.status,
            "rectification": violation.rectification,
            "reported_at": violation.reported_at,
            "reported_by": violation.reported_by_label,
            "review_note": violation.review_note,
            "reviewed_at": violation.reviewed_at,
            "attachments": _attachments(violation.attachments.all(), members),
        }
        for violation in ViolationNotice.objects.filter(organisation=organisation)
        .prefetch_related("attachments")
        .order_by("pk")
    ]
    document = {
        "tickets": tickets,
        "contact_changes": contact_changes,
        "complaints": complaints,
        "violation_notices": violations,
        "measures": [
            {
                "kind": measure.kind,
                "complaint": measure.complaint_id,
                "violation_notice": measure.violation_id,
                "legal_ground": measure.legal_ground,
                "allowed_since": measure.allowed_since,
                "description": measure.description,
                "taken_at": measure.taken_at,
            }
            for measure in measures
        ],
        "sla_reports": [
            {
                "contract": report.contract.number,
                "month": f"{report.month:%Y-%m}",
                "language": report.language,
                "sha256": report.sha256,
                "content_sha256": report.content_sha256,
                "generated_at": report.generated_at,
            }
            for report in SlaReport.objects.filter(contract__customer=organisation)
            .select_related("contract")
            .order_by("month", "pk")
        ],
    }
    data = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
    return [("servicedesk.json", data), *members]


# -- purge --------------------------------------------------------------------------------


def _holding(queryset, blanks: dict):
    """The rows of `queryset` that still hold something `blanks` would clear."""
    return queryset.exclude(**blanks)


def _blank(queryset, blanks: dict) -> int:
    """Clear the free text of the rows that still hold some; how many did. Raises when
    any is left (the purge then fails and is retried)."""
    count = _holding(queryset, blanks).update(**blanks)
    left = _holding(queryset, blanks).count()
    if left:
        raise RuntimeError(f"{queryset.model._meta.label}: {left} rows still hold text")
    return count


def _blank_events(organisation) -> int:
    """Clear the timeline's text, and of its data what is text: a change's old and new
    values, a reason. How many entries held some."""
    events = TicketEvent.objects.filter(ticket__organisation=organisation)
    texts = events.exclude(text="")
    touched = set(texts.values_list("pk", flat=True))
    texts.update(text="")
    textual = events.filter((Q(kind=EventKind.CHANGED) & ~Q(data={})) | Q(data__has_key="reason"))
    rows = []
    for event in textual.only("pk", "kind", "data"):
        if event.kind == EventKind.CHANGED:
            event.data = {}
        else:
            event.data = {key: value for key, value in event.data.items() if key != "reason"}
        rows.append(event)
    TicketEvent.objects.bulk_update(rows, ["data"], batch_size=CHUNK)
    touched |= {event.pk for event in rows}
    if texts.exists() or textual.exists():
        raise RuntimeError(f"ticket events of organisation {organisation.pk} still hold text")
    return len(touched)


def _purge_attachments(organisation) -> dict:
    directory = attachment_dir(organisation)
    rows = Attachment.objects.filter(organisation=organisation)
    files = {Path(default_storage.path(name)) for name in rows.values_list("file", flat=True)}
    if directory.exists():
        files |= set(directory.rglob("*"))
    files = {path for path in files if path.is_file()}
    for path in files:
        path.unlink(missing_ok=True)
    with transaction.atomic():
        deleted, _detail = rows.delete()
    shutil.rmtree(directory, ignore_errors=True)
    left = [path for path in files if path.exists()]
    if directory.exists() or left or rows.exists():
        raise OSError(f"attachments of organisation {organisation.pk} are still there")
    return {
        "what": _("服务台附件 %(files)d 个文件（附件记录 %(rows)d 条）")
        % {"files": len(files), "rows": deleted},
        "where": f"{directory}；servicedesk_attachment",
        "count": len(files),
        "verified": _("附件目录已不存在；按单位查询附件记录为 0 条"),
    }


def _subject_obligations(model, ids) -> models.QuerySet:
    """The obligations whose subject is one of `ids` of `model`."""
    return Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(model),
        subject_id__in=ids.annotate(key=Cast("pk", models.CharField())).values("key"),
    )


def _blank_obligation_texts(organisation) -> int:
    """The desk copies a resolution, an answer, a review note or a pause reason into the
    engine's obligations and their events: clear those copies, keep states and times."""
    count = 0
    for model in (Ticket, ContactChange, Complaint, ViolationNotice):
        ids = model.objects.filter(organisation=organisation)
        obligations = _subject_obligations(model, ids)
        count += obligations.filter(~Q(evidence="") | ~Q(note="")).update(evidence="", note="")
        events = _subject_events(model, ids).exclude(note="")
        # The purge's own reason for stopping a clock is no customer text.
        events = events.exclude(kind=ObligationEventKind.WAIVED, actor=PURGE_ACTOR)
        count += events.update(note="")
    return count


def _stop_open_clocks(organisation) -> int:
    """The clocks still running on the organisation's tickets, contact changes,
    complaints and violation notices: waived, as their matter went with the service
    (6.5); left running, they would fall due later and be reported as breaches. One
    already due is settled first, as the tick would: a breach that happened stays."""
    count = 0
    for model in (Ticket, ContactChange, Complaint, ViolationNotice):
        ids = model.objects.filter(organisation=organisation)
        for obligation in _subject_obligations(model, ids).filter(state=ObligationState.OPEN):
            if obligation_settle(obligation=obligation).state != ObligationState.OPEN:
                continue
            obligation_waive(
                obligation=obligation,
                by=PURGE_ACTOR,
                reason=_("服务已终止，本单位数据已按合同 6.5 删除，本时限不再计算。"),
            )
            count += 1
    return count


def _subject_events(model, ids) -> models.QuerySet:
    """The obligation events of obligations whose subject is one of `ids` of `model`."""
    return ObligationEvent.objects.filter(
        obligation__subject_type=ContentType.objects.get_for_model(model),
        obligation__subject_id__in=ids.annotate(key=Cast("pk", models.CharField())).values("key"),
    )


def _message_ids(organisation) -> list[int]:
    """The inbox messages the desk sent about the organisation's rows (any recipient)."""
    tickets = Ticket.objects.filter(organisation=organisation)
    changes = ContactChange.objects.filter(organisation=organisation)
    complaints = Complaint.objects.filter(organisation=organisation)
    violations = ViolationNotice.objects.filter(organisation=organisation)
    ours = {
        "ticket": set(tickets.values_list("pk", flat=True)),
        "contact_change": set(changes.values_list("pk", flat=True)),
        "complaint": set(complaints.values_list("pk", flat=True)),
        "violation": set(violations.values_list("pk", flat=True)),
        "measure": set(
            Measure.objects.filter(organisation=organisation).values_list("pk", flat=True)
        ),
        "escalation": set(),
    }
    for model, ids in (
        (Ticket, tickets),
        (ContactChange, changes),
        (Complaint, complaints),
        (ViolationNotice, violations),
    ):
        ours["escalation"] |= set(_subject_events(model, ids).values_list("pk", flat=True))
    found = []
    # "servicedesk:<kind>:<id>[:...]", see services.py and escalation.py.
    messages = InboxMessage.objects.filter(source__startswith="servicedesk:")
    for pk, source in messages.values_list("pk", "source").iterator():
        parts = source.split(":")
        if len(parts) >= 3 and parts[2].isdigit() and int(parts[2]) in ours.get(parts[1], ()):
            found.append(pk)
    return found


def _purge_messages(organisation) -> dict:
    ids = _message_ids(organisation)
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        count, _detail = InboxMessage.objects.filter(pk__in=ids[start : start + CHUNK]).delete()
        deleted += count
    left = len(_message_ids(organisation))
    if left:
        raise RuntimeError(f"{left} service desk messages about organisation {organisation.pk}")
    return {
        "what": _("服务台就本单位事项发出的站内信 %(count)d 条（含乙方人员收件箱中的）")
        % {"count": deleted},
        "where": "notices_inboxmessage",
        "count": deleted,
        "verified": _("按来源查询结果为 0 条"),
    }


def purge_for(organisation) -> list[dict]:
    """Delete the organisation's attachments and the desk's messages about it; blank the
    free text of its tickets, timelines, contact changes, complaints, violation notices
    and measures (the rows stay as evidence, see the module's docstring). Idempotent."""
    items = [_purge_attachments(organisation)]
    kept = _("仍含文字的记录为 0 条")
    with transaction.atomic():
        tickets = _blank(Ticket.objects.filter(organisation=organisation), TICKET_BLANKS)
        events = _blank_events(organisation)
        changes = _blank(
            ContactChange.objects.filter(organisation=organisation), CONTACT_CHANGE_BLANKS
        )
        complaints = _blank(Complaint.objects.filter(organisation=organisation), COMPLAINT_BLANKS)
        violations = _blank(
            ViolationNotice.objects.filter(organisation=organisation), VIOLATION_BLANKS
        )
        measures = _blank(Measure.objects.filter(organisation=organisation), MEASURE_BLANKS)
        obligation_texts = _blank_obligation_texts(organisation)
        stopped = _stop_open_clocks(organisation)
    items += [
        {
            "what": _(
                "工单 %(count)d 张的标题、描述、处理结果、报告人姓名与电话（工单号、时间与状态作为履约证据保留）"
            )
            % {"count": tickets},
            "where": "servicedesk_ticket",
            "count": tickets,
            "verified": kept,
        },
        {
            "what": _("工单处理记录 %(count)d 条的内容（留言、内部备注、变更前后的值）")
            % {"count": events},
            "where": "servicedesk_ticketevent",
            "count": events,
            "verified": kept,
        },
        {
            "what": _("联系人变更 %(count)d 条中的姓名、职务、电话、电子邮箱与说明")
            % {"count": changes},
            "where": "servicedesk_contactchange",
            "count": changes,
            "verified": kept,
        },
        {
            "what": _("投诉 %(count)d 件中的投诉人及其联系方式、被投诉内容、说明与审查意见")
            % {"count": complaints},
            "where": "servicedesk_complaint",
            "count": complaints,
            "verified": kept,
        },
        {
            "what": _("违约通知 %(count)d 份中的违约事实、整改情况与审查意见（所违反的条款保留）")
            % {"count": violations},
            "where": "servicedesk_violationnotice",
            "count": violations,
            "verified": kept,
        },
        {
            "what": _("处理措施 %(count)d 项的说明（措施类型与依据保留）") % {"count": measures},
            "where": "servicedesk_measure",
            "count": measures,
            "verified": kept,
        },
        {
            "what": _("上述记录的履约期限中抄录的文字 %(count)d 处（处理结果、答复、暂停原因等）")
            % {"count": obligation_texts},
            "where": "obligations_obligation；obligations_obligationevent",
            "count": obligation_texts,
            "verified": _("期限的状态与时间作为履约证据保留"),
        },
        {
            "what": _("仍在计时的期限 %(count)d 项已豁免（服务终止，数据已删除）")
            % {"count": stopped},
            "where": "obligations_obligation",
            "count": stopped,
            "verified": _("本单位工单、联系人变更、投诉与违约通知的进行中期限为 0 项"),
        },
        _purge_messages(organisation),
    ]
    return items
