"""Notice pages: thin views over selectors and services, all through `scoped`.

The public announcements page and its Atom feed need no login (4.5's web announcement).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.notices import selectors, services
from yiyun.notices.choices import NoticeKind
from yiyun.notices.forms import NoticeForm, SendForm
from yiyun.notices.pdf import proof_pdf
from yiyun.tenancy.models import Organisation, Site
from yiyun.tenancy.selectors import is_read_only, scoped, visible_organisations


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


# -- the in-site inbox -------------------------------------------------------------------


@login_required
def inbox(request):
    return render(
        request, "notices/inbox.html", {"messages_in": selectors.inbox_of(request.user)[:200]}
    )


@login_required
def inbox_message(request, pk: int):
    message = get_object_or_404(selectors.inbox_of(request.user), pk=pk)
    return render(
        request,
        "notices/inbox_message.html",
        {"message": services.inbox_mark_read(message=message)},
    )


# -- notices -----------------------------------------------------------------------------


@login_required
def notice_list(request):
    kind = request.GET.get("kind", "")
    return render(
        request,
        "notices/notice_list.html",
        {
            "notices": selectors.notice_list(request.user, kind=kind)[:300],
            "kinds": NoticeKind.choices,
            "kind": kind,
            "read_only": is_read_only(request.user),
        },
    )


def _form(request, data=None):
    from yiyun.contracts.selectors import contracts_visible

    organisations = visible_organisations(request.user)
    served_by = Organisation.objects.filter(customers__in=organisations.values("pk"))
    return NoticeForm(
        data,
        organisations=(organisations | served_by).distinct().order_by("name"),
        sites=scoped(Site.objects.select_related("organisation"), request.user),
        contracts=contracts_visible(request.user),
    )


def _show_domain_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
def notice_create(request):
    _refuse_read_only(request.user)
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        send_now = request.POST.get("action") == "send"
        try:
            if send_now:
                notice = services.notice_issue(
                    by=request.user,
                    acknowledge_late=form.cleaned_data["acknowledge_late"],
                    **form.service_fields(),
                )
                messages.success(request, _("通知已发送。"))
            else:
                notice = services.notice_create(by=request.user, **form.service_fields())
                messages.success(request, _("草稿已保存。"))
        except DomainError as error:
            _show_domain_error(form, error)
        else:
            return HttpResponseRedirect(reverse("notices:detail", kwargs={"pk": notice.pk}))
    return render(request, "notices/notice_form.html", {"form": form})


@login_required
def notice_detail(request, pk: int):
    notice = get_object_or_404(
        selectors.notices_visible(request.user).select_related("organisation", "contract"), pk=pk
    )
    deliveries = list(selectors.deliveries_visible(notice, request.user))
    window = getattr(notice, "window", None) if notice.kind != NoticeKind.ANNOUNCEMENT else None
    read_receipts = selectors.read_receipts(notice)
    for delivery in deliveries:
        if delivery.recipient is not None:
            delivery.read_at = read_receipts.get(delivery.recipient.person_id)
    return render(
        request,
        "notices/notice_detail.html",
        {
            "notice": notice,
            "window": window,
            "deliveries": deliveries,
            "summary": selectors.delivery_summary(deliveries),
            "recipients": selectors.recipients_visible(notice, request.user),
            "late": services.notice_is_late(notice),
            "send_form": SendForm(),
            "read_only": is_read_only(request.user),
            "has_letter": notice.kind == NoticeKind.LETTER and notice.sent_at is not None,
        },
    )


@login_required
@require_POST
def notice_send(request, pk: int):
    notice = get_object_or_404(selectors.notices_visible(request.user), pk=pk)
    _refuse_read_only(request.user)
    form = SendForm(request.POST)
    form.is_valid()
    try:
        services.notice_send(
            notice=notice,
            by=request.user,
            acknowledge_late=form.cleaned_data.get("acknowledge_late", False),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("通知已发送。"))
    return HttpResponseRedirect(reverse("notices:detail", kwargs={"pk": notice.pk}))


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def notice_letter(request, pk: int):
    notice = get_object_or_404(selectors.notices_visible(request.user), pk=pk)
    letter = getattr(notice, "letter", None) if notice.kind == NoticeKind.LETTER else None
    if letter is None:
        raise Http404("no letter")
    return _pdf_response(bytes(letter.pdf), f"{letter.reference}.pdf")


@login_required
def notice_proof(request, pk: int):
    notice = get_object_or_404(
        selectors.notices_visible(request.user).select_related("organisation", "contract"), pk=pk
    )
    pdf = proof_pdf(
        notice=notice,
        deliveries=selectors.deliveries_visible(notice, request.user),
        recipients=selectors.recipients_visible(notice, request.user),
        at=clock.now(),
    )
    return _pdf_response(pdf, f"notice-{notice.pk}-proof.pdf")


@login_required
def maintenance(request):
    site = None
    if request.GET.get("site", "").isdigit():
        site = get_object_or_404(scoped(Site.objects.all(), request.user), pk=request.GET["site"])
    return render(
        request,
        "notices/maintenance.html",
        {
            "windows": selectors.maintenance_windows(request.user, site=site, horizon=None),
            "site": site,
            "now": clock.now(),
        },
    )


# -- public (no login) --------------------------------------------------------------------


def _provider_param(request) -> Organisation | None:
    value = request.GET.get("provider", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404("no such provider")
    return get_object_or_404(selectors.publishing_organisations(), pk=value)


def announcements(request):
    """The public announcements page: one per provider (`?provider=<id>`), or all."""
    provider = _provider_param(request)
    notices = selectors.public_announcements(provider=provider.pk if provider else None)
    return render(
        request,
        "notices/announcements.html",
        {
            "provider": provider,
            "notices": notices,
            "publishers": selectors.publishing_organisations(),
        },
    )


def feed(request):
    from yiyun.notices.feeds import AnnouncementFeed

    return AnnouncementFeed()(request, provider=_provider_param(request))
