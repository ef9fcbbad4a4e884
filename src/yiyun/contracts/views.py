"""Contract pages: the register, one contract in full, and the forms that record what
happens to it (notices, consent, payments, open parameters, shifts, penalties)."""

from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.contracts.billing import service_window
from yiyun.contracts.checks import contract_findings
from yiyun.contracts.choices import ContractStatus
from yiyun.contracts.forms import (
    ConsentForm,
    NoticeForm,
    ParameterForm,
    PaymentForm,
    PenaltyForm,
    ShiftForm,
)
from yiyun.contracts.ledger import penalty_bases, penalty_record
from yiyun.contracts.models import OpenParameter, PaymentScheduleItem, WrittenNotice
from yiyun.contracts.selectors import (
    contract_children_visible,
    contracts_visible,
    payment_lines,
    prorata_owed,
)
from yiyun.contracts.services import (
    notice_consent_record,
    notice_record,
    open_parameter_set,
    payment_record,
    service_period_shift,
)
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.selectors import contract_clause_rows
from yiyun.tenancy.selectors import can_manage, is_read_only

# 1.2: the contract's G and T read as binary units, as cloud consoles count.
BINARY_UNITS = {"GiB": 2**30, "TiB": 2**40}
DECIMAL_UNITS = {"GiB": ("GB", 10**9), "TiB": ("TB", 10**12)}


def _may_write(user, contract) -> bool:
    return not is_read_only(user) and can_manage(user, contract.customer)


def _require_write(user, contract) -> None:
    if not _may_write(user, contract):
        raise PermissionDenied


def _back(contract, anchor: str = ""):
    return HttpResponseRedirect(reverse("contracts:detail", kwargs={"pk": contract.pk}) + anchor)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))


@login_required
def contract_list(request):
    contracts = contracts_visible(request.user).order_by("number")
    return render(request, "contracts/contract_list.html", {"contracts": contracts})


def _entitlement_rows(contract) -> list[dict]:
    rows = []
    for entitlement in contract.entitlements.all():
        decimal = ""
        if entitlement.unit in BINARY_UNITS:
            unit, size = DECIMAL_UNITS[entitlement.unit]
            value = entitlement.quantity * BINARY_UNITS[entitlement.unit] / size
            decimal = f"≈ {value.quantize(Decimal('0.01'))} {unit}"
        rows.append({"entitlement": entitlement, "decimal": decimal})
    return rows


@login_required
def contract_detail(request, pk: int):
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    bases, settled = penalty_bases(contract)
    prorata = None
    if contract.status == ContractStatus.TERMINATED and contract.end_clause == "5.3":
        # Up to the last day served, as the settlement (结算单) charges.
        _first, last_day = service_window(contract)
        prorata = prorata_owed(contract, until=last_day)
    today = clock.local(clock.now()).date()
    components = list(contract.price_components.all())
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "line_items": contract.line_items.all(),
            "components": components,
            "components_annual": sum(
                (c.annual_amount for c in components if c.annual_amount is not None), Decimal(0)
            ),
            "payments": payment_lines(contract, today=today),
            "entitlements": _entitlement_rows(contract),
            "shifts": contract.shifts.all(),
            "renewals": contract.renewals.all(),
            "parameters": contract.open_parameters.all(),
            "notices": contract.notices.all(),
            "penalties": contract.penalties.select_related("obligation"),
            "rights": contract.rights.select_related("obligation"),
            "bases": bases,
            "base_settled": settled,
            "findings": contract_findings(contract),
            "clause_rows": contract_clause_rows(contract),
            "prorata": prorata,
            "can_write": _may_write(request.user, contract)
            and contract.status == ContractStatus.ACTIVE,
            "may_record": _may_write(request.user, contract),
            "notice_form": NoticeForm(),
            "payment_form": PaymentForm(initial={"paid_on": today}, auto_id=False),
            "parameter_form": ParameterForm(auto_id=False),
            "shift_form": ShiftForm(),
            "penalty_form": PenaltyForm(),
            "consent_form": ConsentForm(),
        },
    )


@login_required
@require_POST
def notice_add(request, pk: int):
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    _require_write(request.user, contract)
    form = NoticeForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(contract, "#notices")
    data = form.cleaned_data
    try:
        notice = notice_record(
            contract=contract,
            kind=data["kind"],
            from_party=data["from_party"],
            sender=data["sender"],
            recipient=data["recipient"],
            delivered_at=data["delivered_at"],
            document=data["document"],
            reason=data["reason"],
            force_majeure_since=data["force_majeure_since"],
            consent_at=data["consent_at"],
            consent_by=data["consent_by"],
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(contract, "#notices")
    if notice.timely:
        messages.success(request, _("书面通知已登记。"))
    else:
        messages.warning(request, _("书面通知已登记，但晚于 11.1 的期限：合同仍将到期顺延。"))
    return _back(contract, "#notices")


@login_required
def notice_document(request, pk: int):
    """A notice's written document (?consent=1: the consent), to those who may see the
    contract only — never as a public media URL."""
    notice = get_object_or_404(
        contract_children_visible(WrittenNotice.objects.all(), request.user), pk=pk
    )
    document = notice.consent_document if request.GET.get("consent") else notice.document
    if not document:
        raise Http404
    return FileResponse(document.open("rb"), as_attachment=True, filename=Path(document.name).name)


@login_required
@require_POST
def notice_consent(request, pk: int):
    notice = get_object_or_404(
        contract_children_visible(WrittenNotice.objects.select_related("contract"), request.user),
        pk=pk,
    )
    _require_write(request.user, notice.contract)
    form = ConsentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            notice_consent_record(
                notice=notice,
                consent_at=form.cleaned_data["consent_at"],
                consent_by=form.cleaned_data["consent_by"],
                document=form.cleaned_data["document"],
                by=request.user,
            )
            messages.success(request, _("已登记对方书面同意。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return _back(notice.contract, "#notices")


@login_required
@require_POST
def payment_add(request, pk: int):
    item = get_object_or_404(
        contract_children_visible(
            PaymentScheduleItem.objects.select_related("contract"), request.user
        ),
        pk=pk,
    )
    _require_write(request.user, item.contract)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment_record(schedule_item=item, by=request.user, **form.cleaned_data)
            messages.success(request, _("付款已登记。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return _back(item.contract, "#payments")


@login_required
@require_POST
def parameter_set(request, pk: int):
    parameter = get_object_or_404(
        contract_children_visible(OpenParameter.objects.select_related("contract"), request.user),
        pk=pk,
    )
    _require_write(request.user, parameter.contract)
    form = ParameterForm(request.POST)
    if form.is_valid():
        try:
            open_parameter_set(
                parameter=parameter, value=form.cleaned_data["value"], by=request.user
            )
            messages.success(request, _("约定已登记。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return _back(parameter.contract, "#parameters")


@login_required
@require_POST
def shift_add(request, pk: int):
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    _require_write(request.user, contract)
    form = ShiftForm(request.POST)
    if form.is_valid():
        try:
            service_period_shift(contract=contract, by=request.user, **form.cleaned_data)
            messages.success(request, _("服务期已顺延。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return _back(contract, "#period")


@login_required
@require_POST
def penalty_add(request, pk: int):
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    _require_write(request.user, contract)
    form = PenaltyForm(request.POST)
    if form.is_valid():
        try:
            penalty_record(contract=contract, by=request.user, **form.cleaned_data)
            messages.success(request, _("违约金已记录。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return _back(contract, "#ledger")
