"""The service desk's API: tickets with their clocks and timelines, the contact list and
its changes (2.3), complaints (2.10), violation notices (3.6), measures, the duty roster
and SLA reports — every object through a scoped selector.

Files travel inline as base64 (`FileIn`); the same size and type limits apply as in the
portal.
"""

import base64
import binascii
import hashlib
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router

from yiyun.contracts.selectors import contracts_visible
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.selectors import countdown
from yiyun.servicedesk import conf, reports
from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    ContactChange,
    DutyShift,
    Ticket,
    ViolationNotice,
)
from yiyun.servicedesk.schemas import (
    AttachmentOut,
    ComplaintIn,
    ComplaintOut,
    ContactChangeIn,
    ContactChangeOut,
    ContactListOut,
    DecisionIn,
    DutyShiftIn,
    DutyShiftOut,
    EventOut,
    FileIn,
    GroundActionIn,
    MeasureOut,
    SlaOut,
    TicketActionIn,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPatch,
    VerifyIn,
    VerifyOut,
    ViolationIn,
    ViolationOut,
)
from yiyun.servicedesk.selectors import (
    assignable_people,
    attachments_visible,
    complaints_visible,
    contact_changes_pending,
    contact_changes_visible,
    contact_list,
    customer_organisations,
    is_provider_staff,
    measures_visible,
    on_duty_filter,
    shifts_visible,
    sla_reports_visible,
    ticket_obligations,
    ticket_timeline,
    tickets_filter,
    tickets_visible,
    violations_visible,
)
from yiyun.servicedesk.services import (
    MeasureRefused,
    attachment_from_bytes,
    complaint_answer,
    complaint_record,
    complaint_review,
    contact_change_confirm,
    contact_change_submit,
    contact_change_withdraw,
    duty_shift_add,
    measure_allowed_from,
    measure_record,
    ticket_attach,
    ticket_close,
    ticket_comment,
    ticket_create,
    ticket_kind_change,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_update,
    ticket_wait,
    violation_record,
    violation_rectification_report,
    violation_review,
)
from yiyun.tenancy.models import Person, Site
from yiyun.tenancy.selectors import is_read_only, person_of, scoped

PREFIX = "/servicedesk"
router = Router(tags=["servicedesk"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


def _refuse_customer(user) -> None:
    """What the portal lets only the provider's staff post (complaints, violation
    notices, the roster): refused before anything is looked up, as the pages do."""
    if not is_provider_staff(user):
        raise PermissionDenied("provider staff only")


def _files(files: list[FileIn]) -> list:
    limit = conf.attachment_max_bytes()
    uploads = []
    for item in files:
        # base64 is 4/3 of the bytes: refuse before decoding what cannot fit.
        if len(item.content_base64) > limit * 4 // 3 + 8:
            raise DomainError(_("文件超过大小上限"), field="files", code="too_large")
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("文件内容不是有效的 base64"), field="files") from None
        uploads.append(attachment_from_bytes(name=item.name, data=data))
    return uploads


def _local(data: dict) -> dict:
    """Moments as Beijing time, as people read them (stored in UTC)."""
    return {
        key: clock.local(value) if isinstance(value, datetime) else value
        for key, value in data.items()
    }


def _clock(obligation, now=None) -> dict | None:
    if obligation is None:
        return None
    left = countdown(obligation, now=now)
    return _local(
        {
            "id": obligation.pk,
            "rule": obligation.rule,
            "clause": obligation.clause,
            "title": obligation.title,
            "state": obligation.state,
            "trigger_at": obligation.trigger_at,
            "due_at": obligation.due_at,
            "paused": obligation.paused_at is not None,
            "paused_seconds": int(obligation.paused_for.total_seconds()),
            "countdown": left.text,
            "colour": left.colour,
            "consequence": obligation.consequence,
        }
    )


def _attachment(row: Attachment) -> dict:
    return _local(
        {
            "id": row.pk,
            "name": row.name,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "internal": row.internal,
            "uploaded_at": row.uploaded_at,
            "uploaded_by": row.uploaded_by_label,
            "url": reverse("api:servicedesk_attachment_get", kwargs={"attachment_id": row.pk}),
        }
    )


def _ticket(ticket: Ticket, *, detail: bool = False) -> dict:
    now = clock.now()
    out = {
        "id": ticket.pk,
        "number": ticket.number,
        "organisation": ticket.organisation_id,
        "contract": ticket.contract.number,
        "site": ticket.site_id,
        "kind": ticket.kind,
        "priority": ticket.priority,
        "status": ticket.status,
        "title": ticket.title,
        "description": ticket.description,
        "affected_system": ticket.affected_system,
        "affected_circuit": ticket.affected_circuit,
        "channel": ticket.channel,
        "reporter_name": ticket.reporter_name,
        "reporter_phone": ticket.reporter_phone,
        "assignee": ticket.assignee_id,
        "reported_at": ticket.reported_at,
        "entered_at": ticket.entered_at,
        "entered_by": ticket.entered_by_label,
        "rectification_due_at": ticket.rectification_due_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "resolution": ticket.resolution,
        "clock": _clock(ticket.obligation, now),
    }
    if detail:
        out["clocks"] = [_clock(o, now) for o in ticket_obligations(ticket)]
    return _local(out)


def _contract(user, contract_id):
    if not contract_id:
        return None
    return get_object_or_404(contracts_visible(user), pk=contract_id)


def _site(user, site_id):
    if not site_id:
        return None
    return get_object_or_404(scoped(Site.objects.all(), user), pk=site_id)


def _organisation(user, organisation_id):
    organisations = customer_organisations(user)
    if organisation_id:
        return get_object_or_404(organisations, pk=organisation_id)
    me = person_of(user)
    if me is not None:
        own = organisations.filter(pk=me.organisation_id).first()
        if own is not None:
            return own
    raise DomainError(_("请指定客户单位"), field="organisation")


# -- tickets -----------------------------------------------------------------------------


@router.get("/tickets", response=list[TicketOut])
def ticket_list(
    request,
    kind: str | None = None,
    status: str | None = None,
    site: int | None = None,
    organisation: int | None = None,
    due_before: str | None = None,
    breached: bool | None = None,
    open: bool = False,
    q: str | None = None,
    limit: int = 200,
):
    """Tickets, newest first. `due_before` (ISO 8601, Beijing time without an offset):
    the clock they carry now is due before then; `breached`: any clock was breached."""
    moment = None
    if due_before:
        try:
            moment = clock.parse_moment(due_before)
        except ValueError as exc:
            raise DomainError(str(exc), field="due_before") from None
    tickets = tickets_filter(
        tickets_visible(request.user),
        kind=kind,
        status=status,
        site=site,
        organisation=organisation,
        due_before=moment,
        breached=breached,
        open_only=open,
        q=q,
    ).order_by("-reported_at", "-pk")[: max(1, min(limit, 1000))]
    return [_ticket(ticket) for ticket in tickets]


@router.post("/tickets", response={201: TicketDetailOut})
def ticket_add(request, payload: TicketIn):
    """Open a ticket. The provider's desk may open it for a customer with the time the
    call came in (`channel` phone, `reported_at`): the clock starts then."""
    _refuse_read_only(request.user)
    organisation = _organisation(request.user, payload.organisation)
    contract = _contract(request.user, payload.contract)
    assignee = (
        get_object_or_404(assignable_people(organisation), pk=payload.assignee)
        if payload.assignee
        else None
    )
    ticket = ticket_create(
        by=request.user,
        organisation=organisation,
        contract=contract,
        title=payload.title,
        kind=payload.kind,
        description=payload.description,
        site=_site(request.user, payload.site),
        priority=payload.priority,
        affected_system=payload.affected_system,
        affected_circuit=payload.affected_circuit,
        rectification_due_at=payload.rectification_due_at,
        channel=payload.channel,
        reported_at=payload.reported_at,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        assignee=assignee,
    )
    return 201, _ticket(ticket, detail=True)


@router.get("/tickets/{ticket_id}", response=TicketDetailOut)
def ticket_get(request, ticket_id: int):
    return _ticket(get_object_or_404(tickets_visible(request.user), pk=ticket_id), detail=True)


@router.patch("/tickets/{ticket_id}", response=TicketDetailOut)
def ticket_change(request, ticket_id: int, payload: TicketPatch):
    """Change a ticket's details; `assignee` (the provider only) assigns or unassigns."""
    _refuse_read_only(request.user)
    ticket = get_object_or_404(tickets_visible(request.user), pk=ticket_id)
    changes = payload.dict(exclude_unset=True)
    if "site" in changes:
        changes["site"] = _site(request.user, changes["site"])
    if "assignee" in changes:
        changes["assignee"] = (
            get_object_or_404(assignable_people(ticket.organisation), pk=changes["assignee"])
            if changes["assignee"]
            else None
        )
    ticket = ticket_update(ticket=ticket, by=request.user, **changes)
    return _ticket(Ticket.objects.get(pk=ticket.pk), detail=True)


@router.post("/tickets/{ticket_id}/actions", response=TicketDetailOut)
def ticket_act(request, ticket_id: int, payload: TicketActionIn):
    """comment / note (provider) / kind (reclassify, with a reason) / wait (provider,
    pauses a clock where its clause allows) / resume / resolve (provider) / close /
    reopen."""
    _refuse_read_only(request.user)
    ticket = get_object_or_404(tickets_visible(request.user), pk=ticket_id)
    user, text = request.user, payload.text
    if payload.action in ("comment", "note"):
        ticket_comment(
            ticket=ticket,
            by=user,
            text=text,
            internal=payload.action == "note",
            uploads=_files(payload.files),
        )
    elif payload.action == "kind":
        ticket_kind_change(
            ticket=ticket,
            kind=payload.kind or "",
            by=user,
            reason=text,
            rectification_due_at=payload.rectification_due_at,
        )
    elif payload.action == "wait":
        ticket_wait(ticket=ticket, by=user, reason=text)
    elif payload.action == "resume":
        ticket_resume(ticket=ticket, by=user, reason=text)
    elif payload.action == "resolve":
        ticket_resolve(ticket=ticket, by=user, resolution=text, at=payload.at)
    elif payload.action == "close":
        ticket_close(ticket=ticket, by=user, reason=text)
    else:
        ticket_reopen(ticket=ticket, by=user, reason=text)
    return _ticket(Ticket.objects.get(pk=ticket.pk), detail=True)


@router.get("/tickets/{ticket_id}/timeline", response=list[EventOut])
def ticket_timeline_get(request, ticket_id: int):
    """The timeline; internal notes only for the provider's staff."""
    ticket = get_object_or_404(tickets_visible(request.user), pk=ticket_id)
    return [
        _local(
            {
                "id": event.pk,
                "kind": event.kind,
                "at": event.at,
                "actor": event.actor_label,
                "text": event.text,
                "internal": event.internal,
                "attachment": _attachment(event.attachment) if event.attachment else None,
            }
        )
        for event in ticket_timeline(ticket, request.user)
    ]


@router.post("/tickets/{ticket_id}/attachments", response={201: AttachmentOut})
def ticket_attachment_add(request, ticket_id: int, payload: FileIn, internal: bool = False):
    _refuse_read_only(request.user)
    ticket = get_object_or_404(tickets_visible(request.user), pk=ticket_id)
    (upload,) = _files([payload])
    return 201, _attachment(
        ticket_attach(ticket=ticket, by=request.user, upload=upload, internal=internal)
    )


@router.get("/attachments/{attachment_id}", url_name="servicedesk_attachment_get")
def attachment_get(request, attachment_id: int):
    """The file itself (never an internal one to the customer)."""
    attachment = get_object_or_404(attachments_visible(request.user), pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- the contact list and its changes (2.3) ----------------------------------------------


def _change(change: ContactChange) -> dict:
    return _local(
        {
            "id": change.pk,
            "organisation": change.organisation_id,
            "action": change.action,
            "person": change.person_id,
            "proposed": {
                key: (value.pk if hasattr(value, "pk") else value)
                for key, value in change.proposed().items()
            },
            "reason": change.reason,
            "notified_by": change.notified_by,
            "received_at": change.received_at,
            "submitted_by": change.submitted_by_label,
            "status": change.status,
            "decided_by": change.decided_by_label,
            "decided_at": change.decided_at,
            "clock": _clock(change.obligation),
            "documents": [_attachment(a) for a in change.attachments.filter(internal=False)],
        }
    )


@router.get("/contacts", response=ContactListOut)
def contact_list_get(request, organisation: int | None = None):
    """The customer's contact list in force, and the changes awaiting confirmation."""
    org = _organisation(request.user, organisation)
    return {
        "organisation": org.pk,
        "contacts": [
            {
                "id": p.pk,
                "name": p.name,
                "title": p.title,
                "phone": p.phone,
                "email": p.email,
                "role": p.role,
                "site": p.site_id,
            }
            for p in contact_list(org)
        ],
        "pending": [_change(change) for change in contact_changes_pending(org)],
    }


@router.get("/contact-changes", response=list[ContactChangeOut])
def contact_change_list(request, status: str | None = None):
    changes = contact_changes_visible(request.user)
    if status:
        changes = changes.filter(status=status)
    return [_change(change) for change in changes[:500]]


@router.post("/contact-changes", response={201: ContactChangeOut})
def contact_change_add(request, payload: ContactChangeIn):
    """2.3: the customer's administrator notifies a change of its contact list (or the
    provider enters a paper notice with when it was received)."""
    _refuse_read_only(request.user)
    organisation = _organisation(request.user, payload.organisation)
    person = (
        get_object_or_404(scoped(Person.objects.all(), request.user), pk=payload.person)
        if payload.person
        else None
    )
    document = _files([payload.document])[0] if payload.document else None
    change = contact_change_submit(
        by=request.user,
        organisation=organisation,
        action=payload.action,
        person=person,
        name=payload.name,
        title=payload.title,
        phone=payload.phone,
        email=payload.email,
        role=payload.role,
        site=_site(request.user, payload.site),
        reason=payload.reason,
        notified_by=payload.notified_by,
        received_at=payload.received_at,
        document=document,
    )
    return 201, _change(change)


@router.get("/contact-changes/{change_id}", response=ContactChangeOut)
def contact_change_get(request, change_id: int):
    return _change(get_object_or_404(contact_changes_visible(request.user), pk=change_id))


@router.post("/contact-changes/{change_id}/actions", response=ContactChangeOut)
def contact_change_act(request, change_id: int, payload: DecisionIn):
    """confirm (the provider: applies the change, meets 2.3) or withdraw (the customer)."""
    _refuse_read_only(request.user)
    change = get_object_or_404(contact_changes_visible(request.user), pk=change_id)
    if payload.action == "confirm":
        change = contact_change_confirm(change=change, by=request.user, note=payload.note)
    else:
        change = contact_change_withdraw(change=change, by=request.user, reason=payload.note)
    return _change(ContactChange.objects.get(pk=change.pk))


# -- complaints (2.10), violation notices (3.6), measures --------------------------------


def _allowed_from(**ground):
    try:
        return measure_allowed_from(**ground)
    except MeasureRefused as exc:
        return exc.allowed_from


def _complaint(complaint: Complaint) -> dict:
    return _local(
        {
            "id": complaint.pk,
            "organisation": complaint.organisation_id,
            "contract": complaint.contract.number,
            "complainant": complaint.complainant,
            "complainant_contact": complaint.complainant_contact,
            "received_at": complaint.received_at,
            "content": complaint.content,
            "location": complaint.location,
            "notified_at": complaint.notified_at,
            "status": complaint.status,
            "answer": complaint.answer,
            "answered_at": complaint.answered_at,
            "review_note": complaint.review_note,
            "clock": _clock(complaint.obligation),
            "measures_allowed_from": _allowed_from(complaint=complaint),
            "attachments": [_attachment(a) for a in complaint.attachments.filter(internal=False)],
        }
    )


def _violation(violation: ViolationNotice) -> dict:
    return _local(
        {
            "id": violation.pk,
            "organisation": violation.organisation_id,
            "contract": violation.contract.number,
            "clause_breached": violation.clause_breached,
            "description": violation.description,
            "delivered_at": violation.delivered_at,
            "status": violation.status,
            "rectification": violation.rectification,
            "reported_at": violation.reported_at,
            "review_note": violation.review_note,
            "clock": _clock(violation.obligation),
            "measures_allowed_from": _allowed_from(violation=violation),
            "attachments": [_attachment(a) for a in violation.attachments.filter(internal=False)],
        }
    )


@router.get("/complaints", response=list[ComplaintOut])
def complaint_list(request):
    return [_complaint(c) for c in complaints_visible(request.user)[:500]]


@router.post("/complaints", response={201: ComplaintOut})
def complaint_add(request, payload: ComplaintIn):
    """2.10 (the provider only): record a third party's complaint about the customer's
    content; the customer is notified and its 7-working-day answer clock starts at
    `notified_at`."""
    _refuse_read_only(request.user)
    _refuse_customer(request.user)
    complaint = complaint_record(
        by=request.user,
        organisation=get_object_or_404(
            customer_organisations(request.user), pk=payload.organisation
        ),
        contract=_contract(request.user, payload.contract),
        complainant=payload.complainant,
        complainant_contact=payload.complainant_contact,
        received_at=payload.received_at,
        notified_at=payload.notified_at,
        content=payload.content,
        location=payload.location,
        uploads=_files(payload.files),
    )
    return 201, _complaint(complaint)


@router.get("/complaints/{complaint_id}", response=ComplaintOut)
def complaint_get(request, complaint_id: int):
    return _complaint(get_object_or_404(complaints_visible(request.user), pk=complaint_id))


@router.post("/complaints/{complaint_id}/actions", response=ComplaintOut)
def complaint_act(request, complaint_id: int, payload: GroundActionIn):
    """answer (the customer, with evidence files), accept / reject (the provider), measure
    (the provider; 409 with `allowed_from` before the 7 working days have passed)."""
    _refuse_read_only(request.user)
    complaint = get_object_or_404(complaints_visible(request.user), pk=complaint_id)
    if payload.action == "answer":
        complaint_answer(
            complaint=complaint, by=request.user, answer=payload.text, uploads=_files(payload.files)
        )
    elif payload.action in ("accept", "reject"):
        complaint_review(
            complaint=complaint,
            by=request.user,
            accept=payload.action == "accept",
            note=payload.text,
        )
    else:
        measure_record(
            by=request.user,
            kind=payload.measure_kind or "",
            description=payload.text,
            complaint=complaint,
            taken_at=payload.taken_at,
        )
    return _complaint(Complaint.objects.get(pk=complaint.pk))


@router.get("/violations", response=list[ViolationOut])
def violation_list(request):
    return [_violation(v) for v in violations_visible(request.user)[:500]]


@router.post("/violations", response={201: ViolationOut})
def violation_add(request, payload: ViolationIn):
    """3.6 (the provider only): record the written notice of a breach of clause 2; the
    customer's 30 days to rectify run from `delivered_at`."""
    _refuse_read_only(request.user)
    _refuse_customer(request.user)
    violation = violation_record(
        by=request.user,
        organisation=get_object_or_404(
            customer_organisations(request.user), pk=payload.organisation
        ),
        contract=_contract(request.user, payload.contract),
        clause_breached=payload.clause_breached,
        description=payload.description,
        delivered_at=payload.delivered_at,
        document=_files([payload.document])[0] if payload.document else None,
    )
    return 201, _violation(violation)


@router.get("/violations/{violation_id}", response=ViolationOut)
def violation_get(request, violation_id: int):
    return _violation(get_object_or_404(violations_visible(request.user), pk=violation_id))


@router.post("/violations/{violation_id}/actions", response=ViolationOut)
def violation_act(request, violation_id: int, payload: GroundActionIn):
    """answer (the customer reports its rectification), accept / reject (the provider),
    measure (the provider; 409 with `allowed_from` before 3.6's 30 days have passed)."""
    _refuse_read_only(request.user)
    violation = get_object_or_404(violations_visible(request.user), pk=violation_id)
    if payload.action == "answer":
        violation_rectification_report(
            violation=violation, by=request.user, text=payload.text, uploads=_files(payload.files)
        )
    elif payload.action in ("accept", "reject"):
        violation_review(
            violation=violation,
            by=request.user,
            accept=payload.action == "accept",
            note=payload.text,
        )
    else:
        measure_record(
            by=request.user,
            kind=payload.measure_kind or "",
            description=payload.text,
            violation=violation,
            taken_at=payload.taken_at,
        )
    return _violation(ViolationNotice.objects.get(pk=violation.pk))


@router.get("/measures", response=list[MeasureOut])
def measure_list(request):
    return [
        _local(
            {
                "id": m.pk,
                "organisation": m.organisation_id,
                "contract": m.contract.number,
                "complaint": m.complaint_id,
                "violation": m.violation_id,
                "kind": m.kind,
                "legal_ground": m.legal_ground,
                "allowed_since": m.allowed_since,
                "description": m.description,
                "taken_at": m.taken_at,
                "recorded_by": m.recorded_by_label,
            }
        )
        for m in measures_visible(request.user)[:500]
    ]


# -- the duty roster and reports ---------------------------------------------------------


def _shift(shift: DutyShift, *, on_duty: bool) -> dict:
    return _local(
        {
            "id": shift.pk,
            "person": shift.person_id,
            "name": shift.person.name,
            "role": shift.role,
            "starts_at": shift.starts_at,
            "ends_at": shift.ends_at,
            "on_duty": on_duty,
        }
    )


@router.get("/duty", response=list[DutyShiftOut])
def duty_list(request, on_duty: bool = False):
    """The caller's provider's roster (a customer sees none); `on_duty`: only now."""
    shifts = shifts_visible(request.user)
    now = clock.now()
    current = set(on_duty_filter(shifts, at=now).values_list("pk", flat=True))
    if on_duty:
        shifts = shifts.filter(pk__in=current)
    return [_shift(s, on_duty=s.pk in current) for s in shifts.order_by("starts_at", "pk")[:500]]


@router.post("/duty", response={201: DutyShiftOut})
def duty_add(request, payload: DutyShiftIn):
    """Put a person of the caller's provider on the roster (the provider's
    administrators only; a customer is refused)."""
    _refuse_read_only(request.user)
    _refuse_customer(request.user)
    shift = duty_shift_add(
        by=request.user,
        person=get_object_or_404(scoped(Person.objects.all(), request.user), pk=payload.person),
        role=payload.role,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        note=payload.note,
    )
    on_duty = on_duty_filter(DutyShift.objects.filter(pk=shift.pk), at=clock.now()).exists()
    return 201, _shift(shift, on_duty=on_duty)


@router.get("/reports/sla/{contract_id}", response=SlaOut)
def sla_report_get(request, contract_id: int, month: str | None = None):
    """The month's SLA figures (`month` as 2026-10, default the current month); the PDF
    is issued by the portal page or `yiyun report sla`."""
    contract = get_object_or_404(contracts_visible(request.user), pk=contract_id)
    month_start = (
        reports.parse_month(month) if month else clock.local(clock.now()).date().replace(day=1)
    )
    return {
        "contract": contract.number,
        "month": f"{month_start:%Y-%m}",
        "figures": reports.sla_figures(contract=contract, month=month_start),
    }


@router.post("/reports/verify", response=VerifyOut)
def sla_report_verify(request, payload: VerifyIn):
    """Was this PDF (base64) or SHA-256 issued by the platform (for a contract the caller
    may see)?"""
    if payload.content_base64:
        try:
            data = base64.b64decode(payload.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("文件内容不是有效的 base64"), field="content_base64") from None
        digest = hashlib.sha256(data).hexdigest()
    else:
        digest = payload.sha256.strip().lower()
    report = reports.sla_report_verify(sha256=digest, queryset=sla_reports_visible(request.user))
    if report is None:
        return {"valid": False, "sha256": digest}
    return {
        "valid": True,
        "sha256": digest,
        "contract": report.contract.number,
        "month": f"{report.month:%Y-%m}",
        "generated_at": clock.local(report.generated_at),
        "content_sha256": report.content_sha256,
    }
