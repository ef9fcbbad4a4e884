"""Circuit pages: thin views over selectors and services, all through `scoped`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.circuits.charts import hours_chart
from yiyun.circuits.choices import CircuitState
from yiyun.circuits.forms import ConfigureForm
from yiyun.circuits.selectors import (
    availability,
    availability_months,
    circuits_visible,
    hours_of,
    outages_of,
    parse_month,
)
from yiyun.circuits.services import CONFIGURABLE, circuit_configure
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.tenancy.selectors import is_read_only


def _month(request) -> tuple[int, int]:
    text = request.GET.get("month", "")
    if text:
        try:
            return parse_month(text)
        except DomainError:
            messages.error(request, _("月份格式应为 YYYY-MM"))
    today = clock.local(clock.now())
    return today.year, today.month


@login_required
def circuit_list(request):
    year, month = _month(request)
    rows = [
        {"circuit": circuit, "month": availability(circuit, year=year, month=month)}
        for circuit in circuits_visible(request.user)
    ]
    return render(
        request,
        "circuits/list.html",
        {"rows": rows, "month": f"{year:04d}-{month:02d}"},
    )


@login_required
def circuit_detail(request, pk: int):
    circuit = get_object_or_404(circuits_visible(request.user), pk=pk)
    now = clock.now()
    since = now - timedelta(days=7)
    hours = list(hours_of(circuit, since=since))
    initial = {key: getattr(circuit, key) for key in CONFIGURABLE}
    return render(
        request,
        "circuits/detail.html",
        {
            "circuit": circuit,
            "months": availability_months(circuit, now=now),
            "outages": outages_of(circuit)[:50],
            "chart": hours_chart(hours, start=since, end=now) if hours else None,
            "form": ConfigureForm(initial=initial),
            "writer": not is_read_only(request.user),
            "down": circuit.state == CircuitState.DOWN,
        },
    )


@login_required
@require_POST
def circuit_configure_view(request, pk: int):
    circuit = get_object_or_404(circuits_visible(request.user), pk=pk)
    if is_read_only(request.user):
        raise PermissionDenied(_("只读账号不能修改"))
    url = reverse("circuits:detail", args=[pk])
    form = ConfigureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return HttpResponseRedirect(url)
    try:
        circuit_configure(circuit=circuit, by=request.user, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("探测设置已保存。"))
    return HttpResponseRedirect(url)


def dashboard_panel(request) -> str:
    circuits = list(circuits_visible(request.user))
    if not circuits:
        return ""
    today = clock.local(clock.now())
    rows = [
        {"circuit": circuit, "month": availability(circuit, year=today.year, month=today.month)}
        for circuit in circuits
    ]
    return render_to_string("circuits/_panel.html", {"rows": rows}, request=request)
