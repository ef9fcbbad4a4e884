"""Service desk pages: thin views over the selectors and services.

Every object is looked up through a scoped selector (another customer's id is a 404);
auditors never write (403); what only the provider may do is refused by the service.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.contracts.selectors import contracts_visible
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.selectors import countdown
from yiyun.servicedesk import conf, reports
from yiyun.servicedesk.choices import (
    ComplaintStatus,
    ContactAction,
    DutyRole,
    TicketKind,
    TicketStatus,
    ViolationStatus,
)
from yiyun.servicedesk.forms import (
    ComplaintForm,
    ContactChangeForm,
    DecisionForm,
    DutyShiftForm,
    GroundActionForm,
    MonthForm,
    TicketActionForm,
    TicketFilterForm,
    TicketForm,
    VerifyForm,
    ViolationForm,
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
    ticket_attachments,
    ticket_obligations,
    ticket_timeline,
    tickets_filter,
    tickets_visible,
    violations_visible,
)
from yiyun.servicedesk.services import (
    MeasureRefused,
    complaint_answer,
    complaint_record,
    complaint_review,
    contact_change_confirm,
    contact_change_submit,
    contact_change_withdraw,
    duty_shift_add,
    duty_shift_end,
    measure_record,
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
from yiyun.tenancy.choices import PROVIDER_ROLES
from yiyun.tenancy.models import Person, Site
from yiyun.tenancy.selectors import is_read_only, person_of, scoped


def _require_write(user) -> None:
    if is_read_only(user):
        raise PermissionDenied


def _errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))


def _domain_error(request, form, exc: DomainError) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    messages.error(request, exc.message)


def _refusal(exc) -> str:
    return exc.message if isinstance(exc, DomainError) else (str(exc) or _("无权执行此操作"))


def _uploads(request, name: str = "attachment") -> list:
    return request.FILES.getlist(name)


def _upload_hint() -> str:
    return _("单个文件不超过 %(mb)s MB；类型：%(types)s") % {
        "mb": round(conf.attachment_max_bytes() / 1024 / 1024, 1),
        "types": ", ".join(conf.attachment_types()),
    }


def _base(request) -> dict:
    return {
        "provider": is_provider_staff(request.user),
        "can_write": not is_read_only(request.user),
        "upload_hint": _upload_hint(),
    }


def _obligation_rows(obligations, now=None) -> list[dict]:
    now = now or clock.now()
    rows = []
    for obligation in obligations:
        left = countdown(obligation, now=now)
        rows.append({"obligation": obligation, "text": left.text, "colour": left.colour})
    return rows


# -- tickets -----------------------------------------------------------------------------


@login_required
def ticket_list(request):
    visible = tickets_visible(request.user)
    sites = scoped(Site.objects.all(), request.user)
    form = TicketFilterForm(request.GET or None, sites=sites)
    tickets = visible
    if form.is_bound and form.is_valid():
        tickets = tickets_filter(visible, **form.filters())
    rows = list(tickets.order_by("-reported_at", "-pk")[:200])
    return render(
        request,
        "servicedesk/ticket_list.html",
        {
            **_base(request),
            "form": form,
            "rows": [
                {"ticket": t, "clock": countdown(t.obligation) if t.obligation else None}
                for t in rows
            ],
        },
    )


def _ticket_form(request, data=None, files=None) -> TicketForm:
    organisations = customer_organisations(request.user)
    desk = is_provider_staff(request.user)
    me = person_of(request.user)
    if desk and me is not None:
        assignees = Person.objects.filter(organisation=me.organisation, role__in=PROVIDER_ROLES)
    elif desk:
        assignees = Person.objects.filter(role__in=PROVIDER_ROLES)
    else:
        assignees = Person.objects.none()
    return TicketForm(
        data,
        files,
        organisations=organisations,
        sites=scoped(Site.objects.select_related("organisation"), request.user),
        assignees=assignees,
        desk=desk,
    )


@login_required
def ticket_new(request):
    """The new-ticket form: short for the hospital's users (fits a phone), with call
    time and caller for the provider's hotline desk."""
    if request.method == "POST":
        _require_write(request.user)
    form = _ticket_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        desk = is_provider_staff(request.user)
        me = person_of(request.user)
        organisation = data.get("organisation") if desk else (me.organisation if me else None)
        if organisation is None:
            raise PermissionDenied
        try:
            ticket = ticket_create(
                by=request.user,
                organisation=organisation,
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                site=data.get("site"),
                priority=data["priority"],
                affected_system=data["affected_system"],
                affected_circuit=data["affected_circuit"],
                rectification_due_at=data.get("rectification_due_at"),
                channel=data.get("channel") or "portal",
                reported_at=data.get("reported_at") if desk else None,
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                assignee=data.get("assignee"),
            )
            for upload in _uploads(request):
                ticket_comment(ticket=ticket, by=request.user, text="", uploads=[upload])
            messages.success(request, _("工单 #%(number)s 已提交。") % {"number": ticket.number})
            return HttpResponseRedirect(
                reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk})
            )
        except DomainError as exc:
            _domain_error(request, form, exc)
    elif request.method == "POST":
        _errors(request, form)
    return render(request, "servicedesk/ticket_new.html", {**_base(request), "form": form})


def _ticket_context(request, ticket) -> dict:
    obligations = list(ticket_obligations(ticket))
    return {
        **_base(request),
        "ticket": ticket,
        "clocks": _obligation_rows(obligations),
        "events": ticket_timeline(ticket, request.user),
        "attachments": ticket_attachments(ticket, request.user),
    }


@login_required
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(tickets_visible(request.user), pk=pk)
    context = _ticket_context(request, ticket)
    provider = context["provider"]
    context["form"] = TicketActionForm(
        assignees=assignable_people(ticket.organisation) if provider else None,
        initial={"action": "comment"},
    )
    context["kinds"] = TicketKind
    return render(request, "servicedesk/ticket_detail.html", context)


@login_required
def ticket_clocks(request, pk: int):
    """The ticket's countdowns, for htmx to refresh in place."""
    ticket = get_object_or_404(tickets_visible(request.user), pk=pk)
    return render(
        request,
        "servicedesk/_ticket_clocks.html",
        {"ticket": ticket, "clocks": _obligation_rows(ticket_obligations(ticket))},
    )


@login_required
@require_POST
def ticket_act(request, pk: int):
    """One endpoint for the timeline's actions; with htmx it answers with the refreshed
    clocks and timeline, otherwise it redirects back to the ticket."""
    ticket = get_object_or_404(tickets_visible(request.user), pk=pk)
    _require_write(request.user)
    provider = is_provider_staff(request.user)
    form = TicketActionForm(
        request.POST,
        request.FILES,
        assignees=assignable_people(ticket.organisation) if provider else None,
    )
    if form.is_valid():
        data = form.cleaned_data
        action, text = data["action"], data["text"]
        try:
            if action in ("comment", "note"):
                ticket_comment(
                    ticket=ticket,
                    by=request.user,
                    text=text,
                    internal=action == "note",
                    uploads=_uploads(request),
                )
            elif action == "assign":
                ticket_update(ticket=ticket, by=request.user, assignee=data.get("assignee"))
            elif action == "kind":
                ticket_kind_change(
                    ticket=ticket,
                    kind=data.get("kind") or "",
                    by=request.user,
                    reason=text,
                    rectification_due_at=data.get("rectification_due_at"),
                )
            elif action == "wait":
                ticket_wait(ticket=ticket, by=request.user, reason=text)
            elif action == "resume":
                ticket_resume(ticket=ticket, by=request.user, reason=text)
            elif action == "resolve":
                ticket_resolve(ticket=ticket, by=request.user, resolution=text, at=data.get("at"))
            elif action == "close":
                ticket_close(ticket=ticket, by=request.user, reason=text)
            else:
                ticket_reopen(ticket=ticket, by=request.user, reason=text)
            messages.success(request, _("已记录。"))
        except (DomainError, PermissionDenied) as exc:
            # What the other party does (or only the provider may) is refused with a message.
            messages.error(request, _refusal(exc))
    else:
        _errors(request, form)
    if request.htmx:
        ticket = get_object_or_404(tickets_visible(request.user), pk=pk)
        context = _ticket_context(request, ticket)
        context["messages_list"] = list(messages.get_messages(request))
        return render(request, "servicedesk/_ticket_live.html", context)
    return HttpResponseRedirect(reverse("servicedesk:ticket_detail", kwargs={"pk": ticket.pk}))


@login_required
def attachment_download(request, pk: int):
    """A file, only to those who may see what it is attached to (never internal files
    to the customer); always as a download, never rendered in the page's origin."""
    attachment = get_object_or_404(attachments_visible(request.user), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- contact changes (2.3) ---------------------------------------------------------------


def _chosen_customer(request):
    organisations = customer_organisations(request.user)
    chosen = request.GET.get("organisation") or request.POST.get("organisation")
    if chosen and str(chosen).isdigit():
        return get_object_or_404(organisations, pk=chosen)
    me = person_of(request.user)
    if me is not None and not is_provider_staff(request.user):
        return organisations.filter(pk=me.organisation_id).first()
    return organisations.order_by("name").first()


@login_required
def contact_changes(request):
    """The contact list in force beside the changes waiting for the provider (2.3)."""
    organisation = _chosen_customer(request)
    context = {**_base(request), "organisation": organisation}
    if organisation is not None:
        pending = list(contact_changes_pending(organisation))
        context.update(
            {
                "contacts": contact_list(organisation),
                "pending": _with_clocks(pending),
                "pending_by_person": {change.person_id: change for change in pending},
                "recent": contact_changes_visible(request.user)
                .filter(organisation=organisation)
                .exclude(status="pending")[:50],
                "organisations": customer_organisations(request.user),
            }
        )
    return render(request, "servicedesk/contact_changes.html", context)


def _with_clocks(rows) -> list[dict]:
    now = clock.now()
    result = []
    for row in rows:
        left = countdown(row.obligation, now=now) if row.obligation else None
        result.append({"row": row, "clock": left})
    return result


@login_required
def contact_change_new(request):
    if request.method == "POST":
        _require_write(request.user)
    desk = is_provider_staff(request.user)
    organisation = _chosen_customer(request)
    organisations = customer_organisations(request.user)
    people = contact_list(organisation) if organisation else Person.objects.none()
    if desk:
        people = Person.objects.filter(organisation__in=organisations)
    form = ContactChangeForm(
        request.POST or None,
        request.FILES or None,
        organisations=organisations,
        people=people,
        sites=scoped(Site.objects.all(), request.user),
        desk=desk,
        initial={"organisation": organisation},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = data.get("organisation") if desk else organisation
        if target is None:
            raise PermissionDenied
        try:
            change = contact_change_submit(
                by=request.user,
                organisation=target,
                action=data["action"],
                person=data.get("person"),
                name=data["name"],
                title=data["title"],
                phone=data["phone"],
                email=data["email"],
                role=data["role"],
                site=data.get("site"),
                reason=data["reason"],
                notified_by=data["notified_by"],
                received_at=data.get("received_at") if desk else None,
                document=request.FILES.get("document"),
            )
            messages.success(request, _("联系人变更已提交，等待乙方确认。"))
            return HttpResponseRedirect(
                reverse("servicedesk:contact_change_detail", kwargs={"pk": change.pk})
            )
        except DomainError as exc:
            _domain_error(request, form, exc)
    elif request.method == "POST":
        _errors(request, form)
    return render(
        request,
        "servicedesk/contact_change_new.html",
        {**_base(request), "form": form, "organisation": organisation, "actions": ContactAction},
    )


@login_required
def contact_change_detail(request, pk: int):
    change = get_object_or_404(contact_changes_visible(request.user), pk=pk)
    return render(
        request,
        "servicedesk/contact_change_detail.html",
        {
            **_base(request),
            "change": change,
            "clock": countdown(change.obligation) if change.obligation else None,
            "attachments": change.attachments.filter(internal=False),
            "form": DecisionForm(),
            "contacts": contact_list(change.organisation),
        },
    )


@login_required
@require_POST
def contact_change_act(request, pk: int):
    change = get_object_or_404(contact_changes_visible(request.user), pk=pk)
    _require_write(request.user)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["action"] == "confirm":
                contact_change_confirm(
                    change=change, by=request.user, note=form.cleaned_data["note"]
                )
                messages.success(request, _("已确认，联系人名单已更新。"))
            else:
                contact_change_withdraw(
                    change=change, by=request.user, reason=form.cleaned_data["note"]
                )
                messages.success(request, _("变更已撤回。"))
        except (DomainError, PermissionDenied) as exc:
            # What the other party does (or only the provider may) is refused with a message.
            messages.error(request, _refusal(exc))
    else:
        _errors(request, form)
    return HttpResponseRedirect(
        reverse("servicedesk:contact_change_detail", kwargs={"pk": change.pk})
    )


# -- complaints (2.10) and violation notices (3.6) --------------------------------------


@login_required
def complaint_list(request):
    rows = complaints_visible(request.user)[:200]
    return render(
        request,
        "servicedesk/complaint_list.html",
        {**_base(request), "rows": _with_clocks(rows)},
    )


@login_required
def complaint_new(request):
    if request.method == "POST":
        _require_write(request.user)
        if not is_provider_staff(request.user):
            raise PermissionDenied
    form = ComplaintForm(
        request.POST or None,
        request.FILES or None,
        organisations=customer_organisations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaint_record(
                by=request.user,
                organisation=data["organisation"],
                complainant=data["complainant"],
                complainant_contact=data["complainant_contact"],
                received_at=data["received_at"],
                notified_at=data.get("notified_at"),
                content=data["content"],
                location=data["location"],
                uploads=_uploads(request),
            )
            messages.success(request, _("投诉已登记，已通知甲方。"))
            return HttpResponseRedirect(
                reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk})
            )
        except DomainError as exc:
            _domain_error(request, form, exc)
    elif request.method == "POST":
        _errors(request, form)
    return render(request, "servicedesk/complaint_new.html", {**_base(request), "form": form})


@login_required
def complaint_detail(request, pk: int):
    complaint = get_object_or_404(complaints_visible(request.user), pk=pk)
    return render(
        request,
        "servicedesk/ground_detail.html",
        {
            **_base(request),
            "ground": complaint,
            "is_complaint": True,
            "clock": countdown(complaint.obligation) if complaint.obligation else None,
            "attachments": complaint.attachments.filter(internal=False),
            "measures": complaint.measures.all(),
            "form": GroundActionForm(initial={"action": "answer"}),
            "open": complaint.status
            in (
                ComplaintStatus.AWAITING_ANSWER,
                ComplaintStatus.ANSWER_REJECTED,
                ComplaintStatus.ANSWERED,
            ),
            "act_url": reverse("servicedesk:complaint_act", kwargs={"pk": complaint.pk}),
        },
    )


def _measure(request, **ground) -> None:
    try:
        measure_record(
            by=request.user,
            kind=request.POST.get("measure_kind", ""),
            description=request.POST.get("text", ""),
            **ground,
        )
        messages.success(request, _("处理措施已登记。"))
    except MeasureRefused as exc:
        messages.error(request, exc.message)


def _ground_action(request, *, answer, review, measure, answered: str) -> None:
    """One posted action on a complaint (2.10) or a violation (3.6): the customer's answer,
    the provider's review of it, or a measure; refusals become messages."""
    form = GroundActionForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, form)
        return
    action, text = form.cleaned_data["action"], form.cleaned_data["text"]
    try:
        if action == "answer":
            answer(text, _uploads(request))
            messages.success(request, answered)
        elif action in ("accept", "reject"):
            review(action == "accept", text)
            messages.success(request, _("已记录。"))
        else:
            measure()
    except (DomainError, PermissionDenied) as exc:
        # What the other party does (or only the provider may) is refused with a message.
        messages.error(request, _refusal(exc))


@login_required
@require_POST
def complaint_act(request, pk: int):
    complaint = get_object_or_404(complaints_visible(request.user), pk=pk)
    _require_write(request.user)
    _ground_action(
        request,
        answer=lambda text, uploads: complaint_answer(
            complaint=complaint, by=request.user, answer=text, uploads=uploads
        ),
        review=lambda accept, note: complaint_review(
            complaint=complaint, by=request.user, accept=accept, note=note
        ),
        measure=lambda: _measure(request, complaint=complaint),
        answered=_("说明已提交。"),
    )
    return HttpResponseRedirect(
        reverse("servicedesk:complaint_detail", kwargs={"pk": complaint.pk})
    )


@login_required
def violation_list(request):
    rows = violations_visible(request.user)[:200]
    return render(
        request,
        "servicedesk/violation_list.html",
        {
            **_base(request),
            "rows": _with_clocks(rows),
            "measures": measures_visible(request.user)[:50],
        },
    )


@login_required
def violation_new(request):
    if request.method == "POST":
        _require_write(request.user)
        if not is_provider_staff(request.user):
            raise PermissionDenied
    form = ViolationForm(
        request.POST or None,
        request.FILES or None,
        organisations=customer_organisations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            violation = violation_record(
                by=request.user,
                organisation=data["organisation"],
                clause_breached=data["clause_breached"],
                description=data["description"],
                delivered_at=data["delivered_at"],
                document=request.FILES.get("document"),
            )
            messages.success(request, _("违约通知已登记，30天整改期开始计算。"))
            return HttpResponseRedirect(
                reverse("servicedesk:violation_detail", kwargs={"pk": violation.pk})
            )
        except DomainError as exc:
            _domain_error(request, form, exc)
    elif request.method == "POST":
        _errors(request, form)
    return render(request, "servicedesk/violation_new.html", {**_base(request), "form": form})


@login_required
def violation_detail(request, pk: int):
    violation = get_object_or_404(violations_visible(request.user), pk=pk)
    return render(
        request,
        "servicedesk/ground_detail.html",
        {
            **_base(request),
            "ground": violation,
            "is_complaint": False,
            "clock": countdown(violation.obligation) if violation.obligation else None,
            "attachments": violation.attachments.filter(internal=False),
            "measures": violation.measures.all(),
            "form": GroundActionForm(initial={"action": "answer"}),
            "open": violation.status != ViolationStatus.CLOSED,
            "act_url": reverse("servicedesk:violation_act", kwargs={"pk": violation.pk}),
        },
    )


@login_required
@require_POST
def violation_act(request, pk: int):
    violation = get_object_or_404(violations_visible(request.user), pk=pk)
    _require_write(request.user)
    _ground_action(
        request,
        answer=lambda text, uploads: violation_rectification_report(
            violation=violation, by=request.user, text=text, uploads=uploads
        ),
        review=lambda accept, note: violation_review(
            violation=violation, by=request.user, accept=accept, note=note
        ),
        measure=lambda: _measure(request, violation=violation),
        answered=_("整改情况已报告。"),
    )
    return HttpResponseRedirect(
        reverse("servicedesk:violation_detail", kwargs={"pk": violation.pk})
    )


# -- the duty roster ---------------------------------------------------------------------


@login_required
def roster(request):
    """The provider's duty roster: who is on duty now, the shifts, and adding one."""
    shifts = shifts_visible(request.user)
    me = person_of(request.user)
    people = (
        Person.objects.filter(organisation=me.organisation, role__in=PROVIDER_ROLES)
        if me is not None and is_provider_staff(request.user)
        else Person.objects.none()
    )
    form = DutyShiftForm(people=people)
    if request.method == "POST":
        _require_write(request.user)
        if not is_provider_staff(request.user):
            raise PermissionDenied
        if request.POST.get("end"):
            shift = get_object_or_404(shifts, pk=request.POST["end"])
            try:
                duty_shift_end(shift=shift, by=request.user)
                messages.success(request, _("已结束该班次。"))
            except DomainError as exc:
                messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("servicedesk:roster"))
        form = DutyShiftForm(request.POST, people=people)
        if form.is_valid():
            try:
                duty_shift_add(by=request.user, **form.cleaned_data)
                messages.success(request, _("班次已登记。"))
                return HttpResponseRedirect(reverse("servicedesk:roster"))
            except DomainError as exc:
                _domain_error(request, form, exc)
        else:
            _errors(request, form)
    now = clock.now()
    return render(
        request,
        "servicedesk/roster.html",
        {
            **_base(request),
            "on_duty": on_duty_filter(shifts, at=now).order_by("role", "starts_at"),
            "upcoming": shifts.filter(starts_at__gt=now).order_by("starts_at")[:100],
            "form": form,
            "roles": DutyRole,
        },
    )


# -- SLA reports -------------------------------------------------------------------------


def _month(request):
    form = MonthForm(request.GET or None)
    if form.is_bound and form.is_valid():
        try:
            return reports.parse_month(form.cleaned_data["month"]), form
        except DomainError:
            pass
    today = clock.local(clock.now()).date()
    return today.replace(day=1), MonthForm(initial={"month": f"{today:%Y-%m}"})


@login_required
def sla_report(request, pk: int):
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    month, form = _month(request)
    figures = reports.sla_figures(contract=contract, month=month)
    return render(
        request,
        "servicedesk/sla_report.html",
        {
            **_base(request),
            "contract": contract,
            "month": month,
            "form": form,
            "body": mark_safe(reports.sla_html(figures, standalone=False)),  # noqa: S308 — template-escaped
            "figures": figures,
            "issued": sla_reports_visible(request.user).filter(contract=contract)[:20],
        },
    )


@login_required
def sla_report_pdf(request, pk: int):
    """Issue the month's PDF (its SHA-256 is recorded) and download it."""
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    month, _form = _month(request)
    language = request.GET.get("language") or "zh-hans"
    if language not in ("zh-hans", "en"):
        language = "zh-hans"
    pdf, report = reports.sla_report_issue(
        contract=contract, month=month, by=request.user, language=language
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{reports.report_filename(contract, month)}"'
    )
    response["X-Report-SHA256"] = report.sha256
    return response


@login_required
def sla_verify(request):
    """Is this PDF (or SHA-256) a report the platform issued? Only reports the user may
    see are found."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result, checked, digest = None, False, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload is not None:
                data = b"".join(upload.chunks())
                digest = hashlib.sha256(data).hexdigest()
                result = reports.sla_report_verify(
                    data=data, queryset=sla_reports_visible(request.user)
                )
            else:
                digest = form.cleaned_data.get("sha256", "")
                result = reports.sla_report_verify(
                    sha256=digest, queryset=sla_reports_visible(request.user)
                )
            checked = True
        except (DomainError, PermissionDenied) as exc:
            # What the other party does (or only the provider may) is refused with a message.
            messages.error(request, _refusal(exc))
    return render(
        request,
        "servicedesk/sla_verify.html",
        {**_base(request), "form": form, "result": result, "checked": checked, "digest": digest},
    )


# -- the dashboard -----------------------------------------------------------------------


def dashboard_panel(request) -> str:
    """The dashboard card: open tickets with the nearest clocks."""
    tickets = tickets_filter(tickets_visible(request.user), open_only=True)
    nearest = list(
        tickets.filter(obligation__state="open", obligation__due_at__isnull=False).order_by(
            "obligation__due_at"
        )[:6]
    )
    html = render_to_string(
        "servicedesk/_panel.html",
        {
            "rows": [{"ticket": t, "clock": countdown(t.obligation)} for t in nearest],
            "open_count": tickets.count(),
            "waiting": tickets.filter(status=TicketStatus.WAITING).count(),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308 — rendered by a template, escaped
