"""Pages of acceptance (1.3) and billing (二.1, 二.2, 5.3, 6.5): thin views over
`contracts.acceptance` and `contracts.billing`. Every object is reached through a scoped
queryset (another customer gets 404); read-only accounts are refused writes (403); a
refusal the rules make (an unauthorised signature…) is a message on the page."""

from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.contracts import acceptance, billing
from yiyun.contracts.billing_forms import (
    AcceptanceForm,
    BillingPaymentForm,
    ConcludeForm,
    CriterionAddForm,
    CriterionRecordForm,
    FinanceContactForm,
    PeriodForm,
    RectificationDoneForm,
    RectificationForm,
    ScanForm,
    SignForm,
    VerifyForm,
)
from yiyun.contracts.choices import AcceptanceStage, ContractStatus, Party
from yiyun.contracts.models import FinanceContact, PaymentScheduleItem
from yiyun.contracts.selectors import contract_children_visible, contracts_visible, payment_lines
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.selectors import obligations_for
from yiyun.tenancy.selectors import is_read_only


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied


def _contract(request, pk: int):
    return get_object_or_404(contracts_visible(request.user), pk=pk)


def _record(request, pk: int):
    return get_object_or_404(acceptance.acceptance_records_visible(request.user), pk=pk)


def _to_record(record, anchor: str = ""):
    return HttpResponseRedirect(
        reverse("contracts:acceptance_detail", kwargs={"pk": record.pk}) + anchor
    )


def _to_billing(contract, anchor: str = ""):
    return HttpResponseRedirect(reverse("contracts:billing", kwargs={"pk": contract.pk}) + anchor)


def _form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))


def _run(request, call, ok: str) -> bool:
    """Run a service call; its refusals (rules, permissions) become messages."""
    try:
        call()
    except DomainError as error:
        messages.error(request, error.message)
        return False
    except PermissionDenied as error:
        messages.error(request, str(error) or _("您无权执行此操作"))
        return False
    messages.success(request, ok)
    return True


def _submit(request, form, action, ok: str) -> None:
    """A posted form: when valid, `action(cleaned_data)` runs (refusals become messages);
    otherwise its errors are shown."""
    if form.is_valid():
        _run(request, lambda: action(form.cleaned_data), ok)
    else:
        _form_errors(request, form)


# -- acceptance (1.3) ----------------------------------------------------------------------


@login_required
def acceptance_list(request, pk: int):
    contract = _contract(request, pk)
    return render(
        request,
        "contracts/acceptance/list.html",
        {
            "contract": contract,
            "records": contract.acceptance_records.all(),
            "shifts": contract.shifts.all(),
            "may_edit": acceptance.may_edit(request.user, contract)
            and contract.status == ContractStatus.ACTIVE,
            "form": AcceptanceForm(contract=contract),
        },
    )


@login_required
@require_POST
def acceptance_new(request, pk: int):
    contract = _contract(request, pk)
    _refuse_read_only(request.user)
    form = AcceptanceForm(request.POST, contract=contract)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(reverse("contracts:acceptance_list", kwargs={"pk": pk}))
    created = {}

    def call():
        created["record"] = acceptance.acceptance_record_create(
            contract=contract, by=request.user, **form.cleaned_data
        )

    if _run(request, call, _("验收记录单已建立，验收标准已按合同列出。")):
        return _to_record(created["record"])
    return HttpResponseRedirect(reverse("contracts:acceptance_list", kwargs={"pk": pk}))


@login_required
def acceptance_detail(request, pk: int):
    record = _record(request, pk)
    contract = record.contract
    user = request.user
    signatures = {signature.party: signature for signature in record.signatures.all()}
    sides = []
    for party in (Party.CUSTOMER, Party.PROVIDER):
        sides.append(
            {
                "party": party,
                "label": Party(party).label,
                "signature": signatures.get(party),
                "signers": acceptance.signers_for(record, party),
                "may_sign": acceptance.may_sign(user, record, party)
                and record.stage == AcceptanceStage.CONCLUDED
                and party not in signatures,
            }
        )
    check = acceptance.acceptance_pdf_verify(record=record) if record.pdf_sha256 else None
    return render(
        request,
        "contracts/acceptance/detail.html",
        {
            "record": record,
            "contract": contract,
            "criteria": record.criteria.all(),
            "sides": sides,
            "obligations": obligations_for(record),
            "may_edit": acceptance.may_edit(user, contract)
            and record.stage == AcceptanceStage.DRAFT,
            "may_write": acceptance.may_edit(user, contract),
            "may_set_rectification": acceptance.may_act_for(user, record, Party.CUSTOMER),
            "stored_check": check,
            "criterion_add_form": CriterionAddForm(),
            "record_form": CriterionRecordForm(auto_id=False),
            "conclude_form": ConcludeForm(),
            "rectification_form": RectificationForm(),
            "done_form": RectificationDoneForm(),
            "scan_form": ScanForm(),
            "verify_form": VerifyForm(),
        },
    )


@login_required
@require_POST
def acceptance_criterion_add(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        CriterionAddForm(request.POST),
        lambda data: acceptance.acceptance_criterion_add(record=record, by=request.user, **data),
        _("验收标准已增加。"),
    )
    return _to_record(record, "#criteria")


@login_required
@require_POST
def acceptance_criterion_record(request, pk: int):
    criterion = get_object_or_404(acceptance.acceptance_criteria_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    form = CriterionRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            lambda: acceptance.acceptance_criterion_record(
                criterion=criterion,
                measured=data["measured"],
                passed=data["passed"] == "yes",
                problems=data["problems"],
                by=request.user,
            ),
            _("验收情况已记录。"),
        )
    else:
        _form_errors(request, form)
    return _to_record(criterion.record, "#criteria")


@login_required
@require_POST
def acceptance_cloud_check(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    filled = {}

    def call():
        filled["n"] = acceptance.acceptance_cloud_check(record=record, by=request.user)

    if _run(request, call, _("已按云资源记录核对资源配额。")) and not filled["n"]:
        messages.warning(request, _("云资源中还没有本合同的云服务器，请手工记录。"))
    return _to_record(record, "#criteria")


@login_required
@require_POST
def acceptance_conclude(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    form = ConcludeForm(request.POST)
    conclusion = form.cleaned_data["conclusion"] if form.is_valid() else ""
    _run(
        request,
        lambda: acceptance.acceptance_conclude(
            record=record, conclusion=conclusion, by=request.user
        ),
        _("已出验收结论，请双方授权代表签字。"),
    )
    return _to_record(record)


@login_required
@require_POST
def acceptance_sign(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        SignForm(request.POST),
        lambda data: acceptance.acceptance_sign(
            record=record, party=data["party"], by=request.user
        ),
        _("已签字确认。"),
    )
    return _to_record(record, "#signatures")


@login_required
@require_POST
def acceptance_rectification(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        RectificationForm(request.POST),
        lambda data: acceptance.acceptance_rectification_set(
            record=record, due_at=data["due_at"], by=request.user
        ),
        _("整改期限已限定，乙方已收到通知。"),
    )
    return _to_record(record, "#rectification")


@login_required
@require_POST
def acceptance_rectification_done(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        RectificationDoneForm(request.POST),
        lambda data: acceptance.acceptance_rectification_complete(
            record=record,
            at=data["at"],
            note=data["note"],
            by=request.user,
        ),
        _("已登记整改完毕，服务期已相应顺延。"),
    )
    return _to_record(record, "#rectification")


@login_required
@require_POST
def acceptance_scan(request, pk: int):
    record = _record(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        ScanForm(request.POST, request.FILES),
        lambda data: acceptance.acceptance_scan_attach(
            record=record, scan=data["scan"], by=request.user
        ),
        _("扫描件已上传。"),
    )
    return _to_record(record, "#documents")


@login_required
def acceptance_scan_file(request, pk: int):
    record = _record(request, pk)
    if not record.scan:
        raise Http404
    return FileResponse(
        record.scan.open("rb"), as_attachment=True, filename=Path(record.scan.name).name
    )


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def acceptance_pdf(request, pk: int):
    """The signed record's PDF as stored; before both signatures, a draft rendered now."""
    record = _record(request, pk)
    content = bytes(record.pdf) if record.pdf else acceptance.acceptance_pdf_render(record)
    suffix = "" if record.pdf else "-draft"
    return _pdf(content, f"acceptance-{record.contract.number}-{record.round}{suffix}.pdf")


@login_required
@require_POST
def acceptance_verify(request, pk: int):
    """Check a PDF someone holds against the signed record's SHA-256 (a read: auditors
    may)."""
    record = _record(request, pk)
    form = VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_record(record, "#documents")
    check = acceptance.acceptance_pdf_verify(record=record, data=form.cleaned_data["file"].read())
    if check.matches:
        messages.success(
            request,
            _("一致：该 PDF 与平台保存的已签字验收记录单相同（SHA-256 %(sha)s）。")
            % {"sha": check.sha256},
        )
    elif check.matches is None:
        messages.warning(request, _("该验收记录单尚未由双方签字，没有可核对的 PDF。"))
    else:
        messages.error(
            request,
            _("不一致：该 PDF 的 SHA-256 为 %(sha)s，与平台保存的 %(stored)s 不同。")
            % {"sha": check.sha256, "stored": record.pdf_sha256},
        )
    return _to_record(record, "#documents")


# -- billing ------------------------------------------------------------------------------


@login_required
def billing_index(request):
    """Every contract the user may see, with what is open and overdue."""
    rows = []
    for contract in contracts_visible(request.user).order_by("number"):
        arrears = billing.arrears_of(contract)
        lines = payment_lines(contract)
        rows.append(
            {
                "contract": contract,
                "outstanding": sum((line.outstanding for line in lines), 0),
                "arrears": arrears,
                "accepted": contract.acceptance_records.order_by("-round").first(),
            }
        )
    return render(request, "contracts/billing/index.html", {"rows": rows})


def _period(request, contract) -> tuple[date, date]:
    """The statement period asked for (?start=&end=, or ?year=N), else the contract year
    that holds today (or the last one)."""
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"]
    years = billing.contract_years(contract)
    wanted = request.GET.get("year", "")
    for number, first, last in years:
        if wanted == str(number):
            return first, last
    today = clock.local(clock.now()).date()
    for _number, first, last in years:
        if first <= today <= last:
            return first, last
    _number, first, last = years[-1] if years else (0, contract.start, contract.end)
    return first, last


@login_required
def billing_overview(request, pk: int):
    contract = _contract(request, pk)
    start, end = _period(request, contract)
    today = clock.local(clock.now()).date()
    writable = billing.may_record(request.user, contract)
    return render(
        request,
        "contracts/billing/overview.html",
        {
            "contract": contract,
            "start": start,
            "end": end,
            "years": billing.contract_years(contract),
            "statement": billing.statement_compute(contract, start=start, end=end),
            "lines": payment_lines(contract, today=today),
            "arrears": billing.arrears_of(contract),
            "grace_parameter": contract.open_parameters.filter(key=billing.GRACE_KEY).first(),
            "statements": contract.statements.order_by("-issued_at"),
            "contacts": FinanceContact.objects.filter(contract=contract).select_related("person"),
            "may_record": writable,
            "may_pay": writable and contract.status == ContractStatus.ACTIVE,
            "payment_form": BillingPaymentForm(initial={"paid_on": today}, auto_id=False),
            "period_form": PeriodForm(initial={"start": start, "end": end}),
            "contact_form": FinanceContactForm(contract=contract),
            "service_ends_url": reverse("datalife:service_ends"),
        },
    )


@login_required
def billing_export(request, pk: int):
    """The statement of the period asked for, the schedule and the payments, as xlsx."""
    contract = _contract(request, pk)
    start, end = _period(request, contract)
    content = billing.billing_workbook(contract, start=start, end=end)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="billing-{contract.number}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    )
    return response


@login_required
@require_POST
def billing_statement_issue(request, pk: int):
    contract = _contract(request, pk)
    _refuse_read_only(request.user)
    form = PeriodForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_billing(contract, "#statements")
    issued = {}

    def call():
        issued["statement"] = billing.statement_issue(
            contract=contract, by=request.user, **form.cleaned_data
        )

    if _run(request, call, _("对账单已出具。")):
        return HttpResponseRedirect(
            reverse("contracts:billing_statement", kwargs={"pk": issued["statement"].pk})
        )
    return _to_billing(contract, "#statements")


@login_required
def billing_statement(request, pk: int):
    statement = get_object_or_404(billing.statements_visible(request.user), pk=pk)
    return render(
        request,
        "contracts/billing/statement.html",
        {
            "statement": statement,
            "contract": statement.contract,
            "intact": billing.statement_verify(statement),
        },
    )


@login_required
@require_POST
def billing_payment_add(request, pk: int):
    item = get_object_or_404(
        contract_children_visible(
            PaymentScheduleItem.objects.select_related("contract"), request.user
        ),
        pk=pk,
    )
    _refuse_read_only(request.user)
    _submit(
        request,
        BillingPaymentForm(request.POST),
        lambda data: billing.billing_payment_record(schedule_item=item, by=request.user, **data),
        _("付款已登记。"),
    )
    return _to_billing(item.contract, "#schedule")


@login_required
@require_POST
def billing_finance_contact_add(request, pk: int):
    contract = _contract(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        FinanceContactForm(request.POST, contract=contract),
        lambda data: billing.finance_contact_add(
            contract=contract, person=data["person"], by=request.user
        ),
        _("财务联系人已指定，付款提醒将发送给此人。"),
    )
    return _to_billing(contract, "#contacts")


@login_required
@require_POST
def billing_finance_contact_remove(request, pk: int):
    contract = _contract(request, pk)
    _refuse_read_only(request.user)
    _submit(
        request,
        FinanceContactForm(request.POST, contract=contract),
        lambda data: billing.finance_contact_remove(
            contract=contract, person=data["person"], by=request.user
        ),
        _("财务联系人已移除。"),
    )
    return _to_billing(contract, "#contacts")


def _until(request) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("until", ""))
    except ValueError:
        return None


@login_required
def billing_settlement(request, pk: int):
    contract = _contract(request, pk)
    settlement = billing.settlement_compute(contract, until=_until(request))
    return render(
        request,
        "contracts/billing/settlement.html",
        {"contract": contract, "settlement": settlement},
    )


@login_required
def billing_settlement_pdf(request, pk: int):
    contract = _contract(request, pk)
    settlement = billing.settlement_compute(contract, until=_until(request))
    return _pdf(
        billing.settlement_pdf(settlement),
        f"settlement-{contract.number}-{settlement.last_day:%Y%m%d}.pdf",
    )
