"""Data lifecycle pages: thin views over selectors and services, all through `scoped`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.datalife import backups, endofservice
from yiyun.datalife.choices import ExportState
from yiyun.datalife.forms import (
    AnnotationForm,
    DataSetForm,
    ExportRequestForm,
    ItemDeleteForm,
    PolicyForm,
    PolicyUpdateForm,
    ServiceEndForm,
)
from yiyun.datalife.models import DeletedItem, DeletionRecord
from yiyun.datalife.selectors import (
    checks_visible,
    data_sets_visible,
    deletion_records_visible,
    disclosures_visible,
    drills_visible,
    exports_visible,
    last_good_runs,
    policies_visible,
    runs_visible,
    service_ends_visible,
)
from yiyun.datalife.services import disclosure_annotate, disclosure_content_hash
from yiyun.tenancy.selectors import is_read_only, scoped


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


def _back(request, url: str, error: DomainError | None = None, ok: str = ""):
    if error is not None:
        messages.error(request, error.message)
    elif ok:
        messages.success(request, ok)
    return HttpResponseRedirect(url)


# -- the disclosure register (6.3) ------------------------------------------------------


@login_required
def disclosure_list(request):
    return render(
        request,
        "datalife/disclosure_list.html",
        {"disclosures": disclosures_visible(request.user)[:500]},
    )


@login_required
def disclosure_detail(request, pk: int):
    disclosure = get_object_or_404(disclosures_visible(request.user), pk=pk)
    return render(
        request,
        "datalife/disclosure_detail.html",
        {
            "disclosure": disclosure,
            "intact": disclosure_content_hash(disclosure) == disclosure.content_hash,
            "form": AnnotationForm(),
        },
    )


@login_required
@require_POST
def disclosure_annotate_view(request, pk: int):
    disclosure = get_object_or_404(disclosures_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    form = AnnotationForm(request.POST)
    if form.is_valid():
        disclosure_annotate(disclosure=disclosure, text=form.cleaned_data["text"], by=request.user)
        messages.success(request, _("批注已添加。"))
    else:
        messages.error(request, _("批注不能为空。"))
    return HttpResponseRedirect(reverse("datalife:disclosure", args=[pk]))


# -- backups (2.11, 6.4) ----------------------------------------------------------------


@login_required
def backup_overview(request):
    data_sets = list(data_sets_visible(request.user))
    last_good = last_good_runs(data_sets)
    rows = [{"data_set": d, "last_good": last_good.get(d.pk)} for d in data_sets]
    return render(
        request,
        "datalife/backups.html",
        {
            "rows": rows,
            "policies": policies_visible(request.user),
            "runs": runs_visible(request.user)[:20],
            "drills": drills_visible(request.user)[:10],
            "checks": checks_visible(request.user)[:10],
            "data_set_form": DataSetForm(user=request.user),
            "policy_form": PolicyForm(user=request.user),
        },
    )


@login_required
@require_POST
def data_set_new(request):
    _refuse_read_only(request.user)
    form = DataSetForm(request.POST, user=request.user)
    url = reverse("datalife:backups")
    if not form.is_valid():
        return _back(request, url, DomainError(_("请检查填写的内容。")))
    try:
        backups.data_set_create(by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("数据集已创建。"))


@login_required
@require_POST
def policy_new(request):
    _refuse_read_only(request.user)
    form = PolicyForm(request.POST, user=request.user)
    url = reverse("datalife:backups")
    if not form.is_valid():
        return _back(request, url, DomainError(_("请检查填写的内容。")))
    data = form.cleaned_data
    try:
        policy = backups.backup_policy_create(
            by=request.user,
            organisation=data["organisation"],
            name=data["name"],
            data_sets=list(data["data_sets"]),
            interval_hours=data["interval_hours"],
            keep_daily=data["keep_daily"],
            keep_weekly=data["keep_weekly"],
            keep_monthly=data["keep_monthly"],
        )
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, reverse("datalife:policy", args=[policy.pk]), ok=_("备份策略已创建。"))


@login_required
def policy_detail(request, pk: int):
    policy = get_object_or_404(policies_visible(request.user), pk=pk)
    return render(
        request,
        "datalife/policy_detail.html",
        {
            "policy": policy,
            "form": PolicyUpdateForm(instance=policy),
            "runs": runs_visible(request.user).filter(policy=policy)[:100],
        },
    )


@login_required
@require_POST
def policy_update(request, pk: int):
    policy = get_object_or_404(policies_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("datalife:policy", args=[pk])
    form = PolicyUpdateForm(request.POST, instance=type(policy).objects.get(pk=pk))
    if not form.is_valid():
        return _back(request, url, DomainError(_("请检查填写的内容。")))
    try:
        backups.backup_policy_update(policy=policy, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("备份策略已更新。"))


@login_required
@require_POST
def policy_run(request, pk: int):
    policy = get_object_or_404(policies_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    backups.backup_policy_run_now(policy=policy, by=request.user)
    return _back(request, reverse("datalife:policy", args=[pk]), ok=_("已安排立即备份。"))


@login_required
def run_list(request):
    return render(request, "datalife/run_list.html", {"runs": runs_visible(request.user)[:500]})


@login_required
@require_POST
def run_drill(request, pk: int):
    run = get_object_or_404(runs_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("datalife:drills")
    try:
        backups.restore_drill_request(run=run, by=request.user)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("恢复演练已安排。"))


@login_required
def drill_list(request):
    return render(
        request, "datalife/drill_list.html", {"drills": drills_visible(request.user)[:500]}
    )


@login_required
def data_set_detail(request, pk: int):
    data_set = get_object_or_404(data_sets_visible(request.user), pk=pk)
    return render(
        request,
        "datalife/data_set_detail.html",
        {
            "data_set": data_set,
            "files": backups.data_set_files(data_set),
            "deleted": scoped(DeletedItem.objects.filter(data_set=data_set), request.user)[:200],
            "runs": runs_visible(request.user).filter(data_set=data_set)[:50],
        },
    )


@login_required
@require_POST
def data_set_item_delete(request, pk: int):
    data_set = get_object_or_404(data_sets_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    url = reverse("datalife:data_set", args=[pk])
    form = ItemDeleteForm(request.POST)
    if not form.is_valid():
        return _back(request, url, DomainError(_("请选择文件。")))
    try:
        item = backups.data_set_item_delete(
            data_set=data_set, path=form.cleaned_data["path"], by=request.user
        )
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("已删除 %(path)s。") % {"path": item.path})


# -- end of service (6.5) and deletion records (6.6) ------------------------------------


@login_required
def service_end_list(request):
    return render(
        request,
        "datalife/service_end_list.html",
        {
            "service_ends": service_ends_visible(request.user)[:200],
            "exports": exports_visible(request.user)[:50],
            "form": ServiceEndForm(user=request.user),
            "export_form": ExportRequestForm(user=request.user),
        },
    )


@login_required
@require_POST
def service_end_new(request):
    _refuse_read_only(request.user)
    form = ServiceEndForm(request.POST, user=request.user)
    url = reverse("datalife:service_ends")
    if not form.is_valid():
        return _back(request, url, DomainError(_("请检查填写的内容。")))
    try:
        service_end = endofservice.service_end_start(by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(
        request, reverse("datalife:service_end", args=[service_end.pk]), ok=_("数据缓冲期已开始。")
    )


@login_required
def service_end_detail(request, pk: int):
    service_end = get_object_or_404(service_ends_visible(request.user), pk=pk)
    from yiyun.obligations.selectors import obligations_for

    return render(
        request,
        "datalife/service_end_detail.html",
        {
            "service_end": service_end,
            "exports": exports_visible(request.user).filter(organisation=service_end.organisation),
            "obligations": obligations_for(service_end),
            "record": DeletionRecord.objects.filter(service_end=service_end).first(),
        },
    )


@login_required
def export_list(request):
    return render(
        request,
        "datalife/export_list.html",
        {
            "exports": exports_visible(request.user)[:200],
            "form": ExportRequestForm(user=request.user),
        },
    )


@login_required
@require_POST
def export_new(request):
    _refuse_read_only(request.user)
    form = ExportRequestForm(request.POST, user=request.user)
    url = reverse("datalife:exports")
    if not form.is_valid():
        return _back(request, url, DomainError(_("请检查填写的内容。")))
    try:
        endofservice.export_request(organisation=form.cleaned_data["organisation"], by=request.user)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("导出已申请，生成后可下载。"))


@login_required
def export_download(request, pk: int):
    export = get_object_or_404(exports_visible(request.user).filter(state=ExportState.READY), pk=pk)
    path = endofservice.export_file(export)
    if not path.is_file():
        raise Http404("archive gone")
    audit_record(
        actor=request.user,
        action="export.downloaded",
        obj=export,
        organisation=export.organisation_id,
        data={"sha256": export.sha256},
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=export.file_name)


@login_required
def deletion_record_detail(request, pk: int):
    record = get_object_or_404(deletion_records_visible(request.user), pk=pk)
    return render(
        request,
        "datalife/deletion_record.html",
        {
            "record": record,
            "service_end": record.service_end,
            "intact": endofservice.deletion_record_content_hash(record) == record.content_hash,
        },
    )


@login_required
def deletion_record_pdf(request, pk: int):
    record = get_object_or_404(deletion_records_visible(request.user), pk=pk)
    response = HttpResponse(
        endofservice.deletion_record_pdf(record), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="deletion-record-{record.pk}.pdf"'
    return response


def dashboard_panel(request) -> str:
    """Last good backup per data set and any buffer period running, for the dashboard."""
    data_sets = list(data_sets_visible(request.user).filter(purged_at__isnull=True)[:20])
    if not data_sets and not service_ends_visible(request.user).exists():
        return ""
    last_good = last_good_runs(data_sets)
    return render_to_string(
        "datalife/_dashboard_panel.html",
        {
            "rows": [{"data_set": d, "last_good": last_good.get(d.pk)} for d in data_sets],
            "buffers": service_ends_visible(request.user).filter(state="buffer")[:5],
        },
        request=request,
    )
