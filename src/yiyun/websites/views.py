"""Website pages: thin views over selectors and services, all through `scoped`."""

import threading
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import OrganisationKind
from yiyun.tenancy.selectors import can_manage, is_read_only, visible_organisations
from yiyun.websites import services
from yiyun.websites.conf import archive_dir
from yiyun.websites.forms import (
    ExportForm,
    FilingForm,
    FilingRenewForm,
    HoldForm,
    QueryForm,
    WebsiteEditForm,
    WebsiteForm,
)
from yiyun.websites.listener import MAX_BODY, bearer_token, ingest_http
from yiyun.websites.selectors import (
    LogFilter,
    accesslog_page,
    coverage_calendar,
    exports_visible,
    filing_state,
    filings_visible,
    holds_visible,
    websites_visible,
    websites_without_filing,
)
from yiyun.websites.spool import SpoolWriter


def _require_manage(user, website) -> None:
    if is_read_only(user) or not can_manage(user, website.organisation):
        raise PermissionDenied(_("只读账号或无管理权限"))


def _back(request, url: str, error: DomainError | None = None, ok: str = ""):
    if error is not None:
        messages.error(request, error.message)
    elif ok:
        messages.success(request, ok)
    return HttpResponseRedirect(url)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def dashboard_panel(request) -> str:
    """Websites serving without a current ICP filing (2.6), on the dashboard."""
    if not request.user.is_authenticated:
        return ""
    missing = websites_without_filing(websites_visible(request.user))[:20]
    if not missing:
        return ""
    html = render_to_string("websites/_panel.html", {"missing": missing}, request=request)
    return mark_safe(html)  # noqa: S308 — rendered by a template, escaped


@login_required
def website_list(request):
    websites = list(websites_visible(request.user))
    unfiled = set(
        websites_without_filing(websites_visible(request.user)).values_list("pk", flat=True)
    )
    return render(
        request,
        "websites/list.html",
        {
            "websites": websites,
            "unfiled": unfiled,
            "may_add": not is_read_only(request.user) and bool(_manageable(request.user)),
        },
    )


def _manageable(user):
    return [
        organisation
        for organisation in visible_organisations(user).filter(kind=OrganisationKind.CUSTOMER)
        if can_manage(user, organisation)
    ]


@login_required
def website_new(request):
    organisations = _manageable(request.user)
    if is_read_only(request.user) or not organisations:
        raise PermissionDenied(_("只读账号或无管理权限"))
    form = WebsiteForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organisation = next(o for o in organisations if o.pk == data.pop("organisation"))
        site_id = data.pop("site")
        site = organisation.sites.filter(pk=site_id).first() if site_id else None
        try:
            if site_id and site is None:
                raise DomainError(_("站点不属于该单位。"), field="site")
            website = services.website_create(
                organisation=organisation, site=site, by=request.user, **data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("网站已登记。请生成接入令牌并配置日志发送。"))
            return HttpResponseRedirect(reverse("websites:detail", args=[website.pk]))
    return render(request, "websites/form.html", {"form": form, "title": _("登记网站")})


def _detail_context(request, website) -> dict:
    filings = list(filings_visible(request.user).filter(website=website))
    for filing in filings:
        filing.state = filing_state(filing)
    listen_host = request.get_host().split(":")[0]
    return {
        "website": website,
        "filings": filings,
        "holds": holds_visible(request.user).filter(website=website),
        "exports": exports_visible(request.user).filter(website=website)[:50],
        "calendar": coverage_calendar(website=website),
        "may_manage": can_manage(request.user, website.organisation)
        and not is_read_only(request.user),
        "filing_form": FilingForm(),
        "hold_form": HoldForm(),
        "listen_host": listen_host,
        "ingest_url": request.build_absolute_uri(reverse("websites:ingest")),
    }


@login_required
def website_detail(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    return render(request, "websites/detail.html", _detail_context(request, website))


@login_required
def website_edit(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    _require_manage(request.user, website)
    initial = {
        field: getattr(website, field)
        for field in ("name", "business_system", "server", "status", "retention_days", "log_format")
    }
    form = WebsiteEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.website_update(website=website, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return _back(request, reverse("websites:detail", args=[pk]), ok=_("已保存。"))
    return render(
        request, "websites/form.html", {"form": form, "title": website.domain, "website": website}
    )


@login_required
@require_POST
def website_token(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    _require_manage(request.user, website)
    token = services.website_token_rotate(website=website, by=request.user)
    context = _detail_context(request, website)
    context["new_token"] = token
    return render(request, "websites/detail.html", context)


@login_required
@require_POST
def filing_new(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    _require_manage(request.user, website)
    form = FilingForm(request.POST)
    url = reverse("websites:detail", args=[pk])
    if not form.is_valid():
        return _back(request, url, DomainError(_("备案信息不完整。")))
    try:
        services.filing_add(website=website, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("已登记。"))


@login_required
@require_POST
def filing_renew_view(request, pk: int):
    filing = get_object_or_404(filings_visible(request.user), pk=pk)
    _require_manage(request.user, filing.website)
    form = FilingRenewForm(request.POST)
    url = reverse("websites:detail", args=[filing.website_id])
    if not form.is_valid():
        return _back(request, url, DomainError(_("换发信息不完整。")))
    try:
        services.filing_renew(filing=filing, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("已登记换发。"))


@login_required
@require_POST
def hold_new(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    _require_manage(request.user, website)
    form = HoldForm(request.POST)
    url = reverse("websites:detail", args=[pk])
    if not form.is_valid():
        return _back(request, url, DomainError(_("请说明保全原因。")))
    try:
        services.legal_hold_place(website=website, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _back(request, url, error)
    return _back(request, url, ok=_("已设置保全，相关日志在解除前不会删除。"))


@login_required
@require_POST
def hold_release(request, pk: int):
    hold = get_object_or_404(holds_visible(request.user), pk=pk)
    _require_manage(request.user, hold.website)
    services.legal_hold_release(hold=hold, by=request.user)
    return _back(request, reverse("websites:detail", args=[hold.website_id]), ok=_("已解除。"))


def _filter_from(form) -> LogFilter:
    data = form.cleaned_data
    return LogFilter(
        ip=data.get("ip") or "",
        since=_aware(data.get("since")),
        until=_aware(data.get("until")),
        domain=data.get("domain") or "",
        path=data.get("path") or "",
        status=data.get("status"),
        errors_only=bool(data.get("errors_only")),
    )


@login_required
def log_search(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    form = QueryForm(request.GET or None)
    page, error = None, None
    if form.is_bound and form.is_valid():
        try:
            page = accesslog_page(
                websites=[website],
                log_filter=_filter_from(form),
                cursor=request.GET.get("cursor", ""),
                limit=100,
            )
        except DomainError as exc:
            error = exc.message
    elif not form.is_bound:
        page = accesslog_page(websites=[website], log_filter=LogFilter(), limit=100)
    next_query = None
    if page and page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_query = query.urlencode()
    return render(
        request,
        "websites/logs.html",
        {"website": website, "form": form, "page": page, "error": error, "next_query": next_query},
    )


@login_required
def export_new(request, pk: int):
    website = get_object_or_404(websites_visible(request.user), pk=pk)
    _require_manage(request.user, website)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = services.accesslog_export(
                website=website,
                log_filter=_filter_from(form),
                basis=data["basis"],
                authority=data["authority"],
                document_number=data["document_number"],
                legal_basis=data["legal_basis"],
                approved_by=data["approved_by"],
                scope_note=data["scope_note"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return _back(
                request,
                reverse("websites:detail", args=[pk]),
                ok=_("已导出 %(rows)s 行，并登记为数据披露。") % {"rows": export.rows},
            )
    return render(request, "websites/export.html", {"form": form, "website": website})


@login_required
def export_download(request, pk: int, name: str):
    export = get_object_or_404(exports_visible(request.user), pk=pk)
    _require_manage(request.user, export.website)
    try:
        path = services.export_file_path(export=export, name=name)
    except DomainError:
        raise Http404 from None
    if not path.exists():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115


_writers: dict[str, SpoolWriter] = {}
_writers_lock = threading.Lock()


def _writer() -> SpoolWriter:
    root = archive_dir()
    with _writers_lock:
        writer = _writers.get(str(root))
        if writer is None:
            writer = _writers[str(root)] = SpoolWriter(root)
        return writer


@csrf_exempt
@require_POST
def ingest(request):
    """2.4: bulk lines from a shipper (raw or NDJSON, gzip accepted), for one website.

    `Authorization: Bearer <website token>`; 200 {"accepted": n} once fsync'd.
    """
    # Read from the stream: DATA_UPLOAD_MAX_MEMORY_SIZE is for forms, not log batches.
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return JsonResponse({"detail": "body too large"}, status=413)
    status, payload = ingest_http(
        writer=_writer(),
        token=bearer_token(request.headers.get("Authorization", "")),
        body=body,
        content_type=request.content_type or "",
        content_encoding=request.headers.get("Content-Encoding", ""),
    )
    payload.setdefault("received_at", clock.now().isoformat())
    return JsonResponse(payload, status=status)
