"""Obligation pages: the list (due soon, breached, by clause), one obligation with its
events, the dashboard panel, and the contract page's clause table (refreshed by htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.contracts.selectors import contracts_visible
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.forms import ObligationActionForm, ObligationFilterForm
from yiyun.obligations.selectors import (
    DUE_SOON,
    clause_counts,
    contract_clause_rows,
    obligation_events,
    obligations_due,
    obligations_filter,
    obligations_nearest,
    obligations_visible,
)
from yiyun.obligations.services import (
    obligation_meet,
    obligation_pause,
    obligation_resume,
    obligation_waive,
)
from yiyun.tenancy.selectors import is_read_only


@login_required
def obligation_list(request):
    visible = obligations_visible(request.user)
    form = ObligationFilterForm(request.GET or None)
    filtered = None
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        filtered = obligations_filter(visible, **form.cleaned_data).order_by("due_at", "pk")[:200]
    now = clock.now()
    return render(
        request,
        "obligations/obligation_list.html",
        {
            "form": form,
            "filtered": filtered,
            "due_soon": obligations_due(before=now + DUE_SOON, queryset=visible)[:100],
            "breached": visible.filter(state=ObligationState.BREACHED).order_by("-breached_at")[
                :100
            ],
            "by_clause": [
                (clause, [counts.get(state, 0) for state in ObligationState.values])
                for clause, counts in clause_counts(visible)
            ],
            "states": ObligationState,
        },
    )


@login_required
def obligation_detail(request, pk: int):
    obligation = get_object_or_404(obligations_visible(request.user), pk=pk)
    return render(
        request,
        "obligations/obligation_detail.html",
        {
            "obligation": obligation,
            "events": obligation_events(obligation),
            "penalties": obligation.penalties.all(),
            "rights": obligation.rights.all(),
            "form": ObligationActionForm(),
            "can_write": not is_read_only(request.user),
        },
    )


@login_required
@require_POST
def obligation_action(request, pk: int):
    obligation = get_object_or_404(obligations_visible(request.user), pk=pk)
    if is_read_only(request.user):
        raise PermissionDenied
    form = ObligationActionForm(request.POST)
    if form.is_valid():
        action, text = form.cleaned_data["action"], form.cleaned_data["text"]
        try:
            if action == "meet":
                obligation_meet(obligation=obligation, by=request.user, evidence=text)
            elif action == "waive":
                obligation_waive(obligation=obligation, by=request.user, reason=text)
            elif action == "pause":
                obligation_pause(obligation=obligation, by=request.user, reason=text)
            else:
                obligation_resume(obligation=obligation, by=request.user, reason=text)
            messages.success(request, _("已记录。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请检查填写的内容。"))
    return HttpResponseRedirect(reverse("obligations:detail", kwargs={"pk": obligation.pk}))


def _panel_html(request) -> str:
    nearest = obligations_nearest(obligations_visible(request.user), limit=6)
    return render_to_string("obligations/_panel.html", {"nearest": nearest}, request=request)


def dashboard_panel(request) -> str:
    """The dashboard's "nearest deadlines" card (registered in ObligationsConfig)."""
    return mark_safe(_panel_html(request))  # noqa: S308 — rendered by a template, escaped


@login_required
def panel(request):
    """The same card, for htmx to refresh every minute."""
    return HttpResponse(_panel_html(request))


@login_required
def contract_clauses(request, pk: int):
    """The contract page's clause table with live countdowns (htmx, every 60 s)."""
    contract = get_object_or_404(contracts_visible(request.user), pk=pk)
    return render(
        request,
        "obligations/_contract_clauses.html",
        {"contract": contract, "clause_rows": contract_clause_rows(contract)},
    )
