"""Obligations API: list and filter, one obligation with its events, and the acts that
change one (meet, waive, pause, resume). The rule registry is readable too."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.obligations.registry import rules
from yiyun.obligations.schemas import EventOut, MeetIn, ObligationOut, ReasonIn, RuleOut
from yiyun.obligations.selectors import obligation_events, obligations_filter, obligations_visible
from yiyun.obligations.services import (
    obligation_meet,
    obligation_pause,
    obligation_resume,
    obligation_waive,
)
from yiyun.tenancy.selectors import is_read_only

PREFIX = "/obligations"
router = Router(tags=["obligations"])
MAX_ROWS = 1000


def _obligation(request, obligation_id: int):
    return get_object_or_404(
        obligations_visible(request.user).select_related("subject_type"), pk=obligation_id
    )


def _writable(request, obligation_id: int):
    obligation = _obligation(request, obligation_id)
    if is_read_only(request.user):
        raise PermissionDenied("read-only account")
    return obligation


@router.get("", response=list[ObligationOut])
def obligation_list(
    request,
    contract: int | None = None,
    clause: str | None = None,
    rule: str | None = None,
    state: str | None = None,
    bound_party: str | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    limit: int = 200,
):
    """Obligations of the contracts you may see, nearest due first; filters combine."""
    queryset = obligations_filter(
        obligations_visible(request.user).select_related("subject_type"),
        contract=contract,
        clause=clause,
        rule=rule,
        state=state,
        bound_party=bound_party,
        due_before=due_before,
        due_after=due_after,
    )
    return list(queryset.order_by("due_at", "pk")[: max(1, min(limit, MAX_ROWS))])


@router.get("/rules", response=list[RuleOut])
def rule_list(request):
    """The clause registry: each clause's clock, bound party and consequence."""
    return [
        {
            "key": rule.key,
            "clause": rule.clause,
            "title": str(rule.title),
            "trigger": str(rule.trigger),
            "clock": rule.clock,
            "n": rule.n,
            "before": rule.before,
            "bound": rule.bound,
            "kind": rule.kind,
            "penalty": rule.penalty,
            "right": rule.right,
            "consequence": str(rule.consequence),
            "pausable": rule.pausable,
            "reminders": [reminder.key for reminder in rule.reminders],
        }
        for rule in rules()
    ]


@router.get("/{int:obligation_id}", response=ObligationOut)
def obligation_get(request, obligation_id: int):
    return _obligation(request, obligation_id)


@router.get("/{int:obligation_id}/events", response=list[EventOut])
def event_list(request, obligation_id: int):
    return list(obligation_events(_obligation(request, obligation_id)))


@router.post("/{int:obligation_id}/meet", response=ObligationOut)
def obligation_meet_op(request, obligation_id: int, payload: MeetIn):
    obligation = _writable(request, obligation_id)
    return obligation_meet(
        obligation=obligation, at=payload.at, by=request.user, evidence=payload.evidence
    )


@router.post("/{int:obligation_id}/waive", response=ObligationOut)
def obligation_waive_op(request, obligation_id: int, payload: ReasonIn):
    obligation = _writable(request, obligation_id)
    return obligation_waive(obligation=obligation, by=request.user, reason=payload.reason)


@router.post("/{int:obligation_id}/pause", response=ObligationOut)
def obligation_pause_op(request, obligation_id: int, payload: ReasonIn):
    obligation = _writable(request, obligation_id)
    return obligation_pause(obligation=obligation, by=request.user, reason=payload.reason)


@router.post("/{int:obligation_id}/resume", response=ObligationOut)
def obligation_resume_op(request, obligation_id: int, payload: ReasonIn):
    obligation = _writable(request, obligation_id)
    return obligation_resume(obligation=obligation, by=request.user, reason=payload.reason)
