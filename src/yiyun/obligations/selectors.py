"""Reads of the obligations engine: scoped lists, filters, what is due soon."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiyun.contracts.choices import Party
from yiyun.core import clock
from yiyun.obligations.choices import ObligationClock, ObligationState
from yiyun.obligations.models import Obligation, ObligationEvent
from yiyun.obligations.registry import rules
from yiyun.tenancy.selectors import scoped

DUE_SOON = timedelta(days=7)


def obligations_visible(user) -> QuerySet[Obligation]:
    """The obligations of the contracts `user` may see."""
    return scoped(
        Obligation.objects.select_related("contract", "contract__customer", "contract__provider"),
        user,
        via="contract__customer",
    )


def obligations_for(subject) -> QuerySet[Obligation]:
    """Every obligation opened about `subject` (a ticket, a notice, a contact change…)."""
    return Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
    ).order_by("opened_at", "pk")


def obligations_filter(
    queryset: QuerySet[Obligation],
    *,
    contract: int | None = None,
    clause: str | None = None,
    rule: str | None = None,
    state: str | None = None,
    bound_party: str | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
) -> QuerySet[Obligation]:
    if contract:
        queryset = queryset.filter(contract_id=contract)
    if clause:
        queryset = queryset.filter(clause=clause)
    if rule:
        queryset = queryset.filter(rule=rule)
    if state:
        queryset = queryset.filter(state=state)
    if bound_party:
        queryset = queryset.filter(bound_party=bound_party)
    if due_before:
        queryset = queryset.filter(due_at__lt=due_before)
    if due_after:
        queryset = queryset.filter(due_at__gte=due_after)
    return queryset


def obligations_due(*, before: datetime, queryset: QuerySet[Obligation] | None = None):
    """Open obligations due before `before`, nearest first."""
    queryset = Obligation.objects.all() if queryset is None else queryset
    return queryset.filter(state=ObligationState.OPEN, due_at__lt=before).order_by("due_at", "pk")


def obligations_nearest(queryset: QuerySet[Obligation], *, limit: int = 5) -> list[Obligation]:
    """The open obligations with the nearest due times (paused ones have none)."""
    return list(
        queryset.filter(state=ObligationState.OPEN, due_at__isnull=False).order_by("due_at", "pk")[
            :limit
        ]
    )


def obligation_events(obligation: Obligation) -> QuerySet[ObligationEvent]:
    return obligation.events.order_by("at", "pk")


def clause_counts(queryset: QuerySet[Obligation]) -> list[tuple[str, dict]]:
    """Per clause: how many obligations are in each state."""
    counts: dict[str, Counter] = {}
    for clause, state in queryset.values_list("clause", "state"):
        counts.setdefault(clause, Counter())[state] += 1
    key = lambda clause: tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))  # noqa: E731
    return [(clause, dict(counts[clause])) for clause in sorted(counts, key=key)]


@dataclass(frozen=True)
class Countdown:
    text: str
    colour: str


def countdown(obligation: Obligation, *, now: datetime | None = None) -> Countdown:
    """How long until (or since) the due time, in words, with a badge colour."""
    if obligation.state != ObligationState.OPEN:
        return Countdown(obligation.get_state_display(), ObligationState(obligation.state).colour)
    if obligation.due_at is None:
        return Countdown(_("已暂停"), "")
    now = now or clock.now()
    left = obligation.due_at - now
    if left <= timedelta(0):
        return Countdown(_("已到期 %(span)s") % {"span": _span(-left)}, "bad")
    colour = "bad" if left <= timedelta(hours=24) else "warn" if left <= DUE_SOON else "ok"
    return Countdown(_("剩余 %(span)s") % {"span": _span(left)}, colour)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("%(m)s分钟") % {"m": minutes}


def contract_clause_rows(contract) -> list[dict]:
    """The contract's clauses with clocks, each with its obligations (open ones first)."""
    obligations = list(
        contract.obligations.exclude(
            state__in=[ObligationState.MET, ObligationState.WAIVED]
        ).order_by("due_at", "pk")
    ) + list(
        contract.obligations.filter(
            state__in=[ObligationState.MET, ObligationState.WAIVED]
        ).order_by("-closed_at", "-pk")[:50]
    )
    rows, seen = [], set()
    for rule in rules():
        seen.add(rule.key)
        if rule.clock == ObligationClock.SET:
            limit = _("约定时限")
        else:
            limit = f"{rule.n} {ObligationClock(rule.clock).label}" + (
                _("前") if rule.before else ""
            )
        rows.append(
            {
                "rule": rule,
                "limit": limit,
                "bound": Party(rule.bound).label,
                "obligations": [o for o in obligations if o.rule == rule.key],
            }
        )
    others = [o for o in obligations if o.rule not in seen]
    if others:
        rows.append({"rule": None, "limit": "", "obligations": others})
    return rows
