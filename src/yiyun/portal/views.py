"""Portal pages: thin views over tenancy's selectors and services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.core.apps_registry import dashboard_panels
from yiyun.core.models import AuditEntry
from yiyun.portal.forms import TokenForm
from yiyun.tenancy.models import ApiToken, Person, Site
from yiyun.tenancy.selectors import person_of, scoped, visible_organisations
from yiyun.tenancy.services import api_token_create, api_token_revoke, person_update


@login_required
def dashboard(request):
    me = person_of(request.user)
    organisations = visible_organisations(request.user).prefetch_related("sites")
    panels = [panel(request) for panel in dashboard_panels()]
    return render(
        request,
        "portal/dashboard.html",
        {"organisations": organisations, "person": me, "panels": panels},
    )


@login_required
def organisation_list(request):
    organisations = visible_organisations(request.user).prefetch_related("sites")
    return render(request, "portal/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_detail(request, pk: int):
    organisation = get_object_or_404(visible_organisations(request.user), pk=pk)
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "sites": organisation.sites.all(),
            "people": organisation.people.select_related("site"),
        },
    )


@login_required
def site_detail(request, pk: int):
    site = get_object_or_404(
        scoped(Site.objects.select_related("organisation"), request.user), pk=pk
    )
    return render(request, "portal/site_detail.html", {"site": site, "people": site.people.all()})


@login_required
def people_list(request):
    people = scoped(Person.objects.select_related("organisation", "site"), request.user)
    return render(request, "portal/people_list.html", {"people": people})


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _row, new_token = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "portal/token_list.html",
        {"tokens": tokens, "form": form, "new_token": new_token},
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    # A user's own tokens only: another user's token id is a 404.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, _("令牌已撤销。"))
    return HttpResponseRedirect(reverse("portal:tokens"))


@require_POST
def set_language(request):
    """Switch the interface language: remembered on the person when signed in, else a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    target = request.POST.get("next") or reverse("portal:dashboard")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("portal:dashboard")
    person = person_of(request.user)
    if person is not None and person.language != language:
        # Everyone may choose their own language; it is not a managed change.
        person_update(person=person, by=None, language=language)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@login_required
def audit_log(request):
    """The audit trail of the organisations the user may see (auditors read it here)."""
    entries = scoped(AuditEntry.objects.all(), request.user, via="organisation_id")
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    return render(request, "portal/audit_log.html", {"entries": entries[:500], "action": action})
