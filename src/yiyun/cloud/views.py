"""Cloud pages: thin views over selectors and services, all through `scoped`.

A write refused by the rules (DomainError) or by the acting side's role (a customer on a
provider's action) comes back as a message on the page; a read-only account gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.cloud import services
from yiyun.cloud.charts import capacity_chart, samples_chart
from yiyun.cloud.choices import ChangeState, FindingState, ServerState
from yiyun.cloud.forms import (
    ChangeForm,
    HostForm,
    ImportForm,
    MeasureForm,
    NoteForm,
    PowerForm,
    PriceForm,
    ResizeForm,
    ResponseForm,
    ServerForm,
)
from yiyun.cloud.selectors import (
    capacity,
    catalogues_visible,
    changes_visible,
    cloud_contracts_visible,
    findings_visible,
    hosts_visible,
    price_entries_visible,
    samples_between,
    servers_visible,
    thresholds_for,
)
from yiyun.cloud.units import UNIT_NOTE
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import OrganisationKind
from yiyun.tenancy.selectors import is_read_only, person_of


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied(_("只读账号不能修改"))


def _act(request, url: str, action, ok: str):
    """Run a service call for a POST; its refusal becomes a message on the next page."""
    _refuse_read_only(request.user)
    try:
        result = action()
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(url)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("您无权执行此操作"))
        return HttpResponseRedirect(url)
    messages.success(request, ok)
    return result if isinstance(result, HttpResponseRedirect) else HttpResponseRedirect(url)


def _invalid(request, url: str, form):
    errors = "；".join(
        f"{form.fields[name].label if name in form.fields else ''} {' '.join(e)}".strip()
        for name, e in form.errors.items()
    )
    messages.error(request, errors or _("请检查填写的内容。"))
    return HttpResponseRedirect(url)


def _is_provider(user) -> bool:
    person = person_of(user)
    return user.is_superuser or (
        person is not None and person.organisation.kind == OrganisationKind.PROVIDER
    )


# -- the entitlement -----------------------------------------------------------------------


@login_required
def overview(request):
    rows = []
    for contract in cloud_contracts_visible(request.user).prefetch_related("entitlements"):
        report = capacity(contract)
        rows.append({"contract": contract, "report": report, "chart": capacity_chart(report.lines)})
    return render(
        request,
        "cloud/overview.html",
        {"rows": rows, "unit_note": UNIT_NOTE, "writer": not is_read_only(request.user)},
    )


@login_required
def contract_capacity(request, pk: int):
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=pk)
    report = capacity(contract)
    end = clock.now()
    start = end - timedelta(hours=24)
    samples = list(samples_between(contract, start, end))
    thresholds = thresholds_for(contract)
    return render(
        request,
        "cloud/contract.html",
        {
            "contract": contract,
            "report": report,
            "chart": capacity_chart(report.lines),
            "samples_chart": samples_chart(samples, thresholds, start=start, end=end)
            if samples
            else None,
            "thresholds": thresholds,
            "unit_note": UNIT_NOTE,
            "servers": servers_visible(request.user)
            .filter(contract=contract)
            .exclude(state=ServerState.DELETED),
            "server_form": ServerForm(user=request.user, initial={"contract": contract.pk}),
            "import_form": ImportForm(user=request.user),
            "writer": not is_read_only(request.user),
            "provider": _is_provider(request.user),
            "findings": findings_visible(request.user).filter(contract=contract)[:10],
        },
    )


# -- servers -------------------------------------------------------------------------------


@login_required
def server_list(request):
    servers = servers_visible(request.user).exclude(state=ServerState.DELETED)
    return render(
        request,
        "cloud/server_list.html",
        {
            "servers": servers,
            "form": ServerForm(user=request.user),
            "writer": not is_read_only(request.user),
        },
    )


@login_required
def server_detail(request, pk: int):
    server = get_object_or_404(servers_visible(request.user), pk=pk)
    return render(
        request,
        "cloud/server_detail.html",
        {
            "server": server,
            "resize_form": ResizeForm(
                initial={"vcpu": server.vcpu, "memory_gib": server.memory_gib}
            ),
            "writer": not is_read_only(request.user) and server.state != ServerState.DELETED,
        },
    )


@login_required
@require_POST
def server_new(request):
    _refuse_read_only(request.user)
    form = ServerForm(request.POST, user=request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("cloud:servers")
    if not form.is_valid():
        return _invalid(request, back, form)
    data = form.cleaned_data
    contract = data["contract"]

    def create():
        system = None
        if data["business_system"]:
            system = services.business_system_ensure(
                organisation=contract.customer,
                name=data["business_system"],
                kind=data["business_kind"],
                by=request.user,
            )
        server = services.server_create(
            contract=contract,
            host=data["host"],
            name=data["name"],
            vcpu=data["vcpu"],
            memory_gib=data["memory_gib"],
            system_disk_gib=data["system_disk_gib"],
            data_disks_gib=data["data_disks"],
            business_system=system,
            site=data["site"],
            by=request.user,
        )
        return HttpResponseRedirect(reverse("cloud:server", args=[server.pk]))

    return _act(request, back, create, _("云服务器已创建。"))


@login_required
@require_POST
def server_resize(request, pk: int):
    server = get_object_or_404(servers_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("cloud:server", args=[pk])
    form = ResizeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, url, form)
    return _act(
        request,
        url,
        lambda: services.server_resize(server=server, by=request.user, **form.cleaned_data),
        _("配置已调整。"),
    )


@login_required
@require_POST
def server_power(request, pk: int):
    server = get_object_or_404(servers_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("cloud:server", args=[pk])
    form = PowerForm(request.POST)
    if not form.is_valid():
        return _invalid(request, url, form)
    return _act(
        request,
        url,
        lambda: services.server_power(
            server=server, action=form.cleaned_data["action"], by=request.user
        ),
        _("操作已执行。"),
    )


@login_required
@require_POST
def server_delete(request, pk: int):
    server = get_object_or_404(servers_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    return _act(
        request,
        reverse("cloud:server", args=[pk]),
        lambda: services.server_delete(server=server, by=request.user),
        _("云服务器已删除，其资源已释放。"),
    )


@login_required
@require_POST
def servers_import(request, pk: int):
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("cloud:contract", args=[pk])
    form = ImportForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, url, form)

    def run():
        result = services.servers_import(
            contract=contract,
            host=form.cleaned_data["host"],
            names=form.cleaned_data["names"],
            by=request.user,
        )
        if result.over:
            messages.warning(request, _("导入后超出配额：") + "；".join(result.over))
        messages.info(
            request,
            _("导入 %(n)d 台，已登记 %(known)d 台。")
            % {"n": len(result.imported), "known": len(result.known)},
        )

    return _act(request, url, run, _("导入完成。"))


@login_required
def host_list(request):
    return render(
        request,
        "cloud/host_list.html",
        {
            "hosts": hosts_visible(request.user),
            "form": HostForm(),
            "provider": _is_provider(request.user),
        },
    )


@login_required
@require_POST
def host_new(request):
    _refuse_read_only(request.user)
    url = reverse("cloud:hosts")
    form = HostForm(request.POST)
    if not form.is_valid():
        return _invalid(request, url, form)
    person = person_of(request.user)
    if person is None or person.organisation.kind != OrganisationKind.PROVIDER:
        messages.error(request, _("只有服务方管理员可以登记宿主机"))
        return HttpResponseRedirect(url)
    return _act(
        request,
        url,
        lambda: services.host_add(
            provider=person.organisation, by=request.user, **form.cleaned_data
        ),
        _("宿主机已登记。"),
    )


# -- change requests (1.3, 3.7) --------------------------------------------------------------


@login_required
def change_list(request):
    return render(
        request,
        "cloud/change_list.html",
        {
            "changes": changes_visible(request.user)[:500],
            "form": ChangeForm(user=request.user),
            "writer": not is_read_only(request.user),
        },
    )


@login_required
def change_detail(request, pk: int):
    change = get_object_or_404(changes_visible(request.user), pk=pk)
    return render(
        request,
        "cloud/change_detail.html",
        {
            "change": change,
            "items": change.items.select_related("server"),
            "note_form": NoteForm(),
            "writer": not is_read_only(request.user),
            "open": change.state in (ChangeState.SUBMITTED, ChangeState.APPROVED),
        },
    )


@login_required
@require_POST
def change_new(request):
    _refuse_read_only(request.user)
    url = reverse("cloud:changes")
    form = ChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, url, form)
    data = form.cleaned_data

    def create():
        change = services.change_request_create(
            contract=data["contract"],
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            items=form.items(),
            planned_at=data["planned_at"],
            by=request.user,
        )
        return HttpResponseRedirect(reverse("cloud:change", args=[change.pk]))

    return _act(request, url, create, _("变更申请已提交。"))


def _change_action(request, pk: int, action, ok: str):
    change = get_object_or_404(changes_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(request, reverse("cloud:change", args=[pk]), lambda: action(change, note), ok)


@login_required
@require_POST
def change_approve(request, pk: int):
    return _change_action(
        request,
        pk,
        lambda change, note: services.change_request_approve(
            change=change, by=request.user, note=note
        ),
        _("已批准（3.7 调整：甲方同意已记录）。"),
    )


@login_required
@require_POST
def change_reject(request, pk: int):
    return _change_action(
        request,
        pk,
        lambda change, note: services.change_request_reject(
            change=change, by=request.user, note=note
        ),
        _("已拒绝。"),
    )


@login_required
@require_POST
def change_withdraw(request, pk: int):
    return _change_action(
        request,
        pk,
        lambda change, note: services.change_request_withdraw(
            change=change, by=request.user, reason=note
        ),
        _("已撤回。"),
    )


@login_required
@require_POST
def change_apply(request, pk: int):
    return _change_action(
        request,
        pk,
        lambda change, note: services.change_request_apply(change=change, by=request.user),
        _("变更已实施。"),
    )


# -- the price catalogue (1.3) ---------------------------------------------------------------


@login_required
def catalogue(request):
    return render(
        request,
        "cloud/catalogue.html",
        {
            "catalogues": catalogues_visible(request.user),
            "entries": price_entries_visible(request.user).order_by(
                "catalogue__name", "resource", "-valid_from"
            ),
            "form": PriceForm(user=request.user),
            "provider": _is_provider(request.user),
            "today": clock.local(clock.now()).date(),
        },
    )


@login_required
@require_POST
def price_new(request):
    _refuse_read_only(request.user)
    url = reverse("cloud:catalogue")
    form = PriceForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, url, form)
    data = form.cleaned_data
    person = person_of(request.user)

    def add():
        chosen = data["catalogue"]
        if chosen is None:
            if person is None or person.organisation.kind != OrganisationKind.PROVIDER:
                raise PermissionDenied(_("只有服务方管理员可以维护价格目录"))
            chosen = services.price_catalogue_ensure(
                provider=person.organisation,
                name=data["new_catalogue"],
                source=data["source"],
                by=request.user,
            )
        services.price_entry_add(
            catalogue=chosen,
            resource=data["resource"],
            unit_price=data["unit_price"],
            period=data["period"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            code=data["code"],
            by=request.user,
        )

    return _act(request, url, add, _("价格已登记。"))


# -- overuse (2.7.4) ------------------------------------------------------------------------


@login_required
def finding_list(request):
    contracts = list(cloud_contracts_visible(request.user))
    return render(
        request,
        "cloud/finding_list.html",
        {
            "findings": findings_visible(request.user)[:500],
            "thresholds": [(contract, thresholds_for(contract)) for contract in contracts],
        },
    )


@login_required
def finding_detail(request, pk: int):
    finding = get_object_or_404(findings_visible(request.user), pk=pk)
    start = finding.started_at - timedelta(minutes=finding.window_minutes)
    end = max(finding.ended_at or clock.now(), finding.detected_at + timedelta(minutes=10))
    samples = list(samples_between(finding.contract, start, end)[:2000])
    return render(
        request,
        "cloud/finding_detail.html",
        {
            "finding": finding,
            "chart": samples_chart(samples, thresholds_for(finding.contract), start=start, end=end)
            if samples
            else None,
            "response_form": ResponseForm(),
            "measure_form": MeasureForm(),
            "writer": not is_read_only(request.user) and finding.state != FindingState.CLOSED,
        },
    )


@login_required
@require_POST
def finding_respond(request, pk: int):
    finding = get_object_or_404(findings_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("cloud:finding", args=[pk])
    form = ResponseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, url, form)
    return _act(
        request,
        url,
        lambda: services.finding_respond(
            finding=finding, response=form.cleaned_data["response"], by=request.user
        ),
        _("说明已提交。"),
    )


@login_required
@require_POST
def finding_measure(request, pk: int):
    finding = get_object_or_404(findings_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("cloud:finding", args=[pk])
    form = MeasureForm(request.POST)
    if not form.is_valid():
        return _invalid(request, url, form)
    return _act(
        request,
        url,
        lambda: services.finding_measure_record(
            finding=finding, measure=form.cleaned_data["measure"], by=request.user
        ),
        _("处置措施已记录。"),
    )


@login_required
@require_POST
def finding_close(request, pk: int):
    finding = get_object_or_404(findings_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        reverse("cloud:finding", args=[pk]),
        lambda: services.finding_close(finding=finding, note=note, by=request.user),
        _("已关闭。"),
    )


# -- the dashboard --------------------------------------------------------------------------


def dashboard_panel(request) -> str:
    """What is left of each visible contract's entitlement, and findings waiting."""
    rows = []
    for contract in cloud_contracts_visible(request.user).prefetch_related("entitlements")[:5]:
        report = capacity(contract)
        if report.servers or any(line.entitled for line in report.lines):
            rows.append({"contract": contract, "report": report})
    waiting = findings_visible(request.user).filter(
        state__in=[FindingState.AWAITING_RESPONSE, FindingState.RESPONSE_OVERDUE]
    )
    return render_to_string(
        "cloud/_panel.html", {"rows": rows, "waiting": waiting[:5]}, request=request
    )
