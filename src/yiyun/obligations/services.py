"""Writes of the obligations engine: open, meet, waive, pause, resume, recompute, tick.

Other apps open an obligation with one call:

    obligation_open(contract=contract, clause="2.3", subject=change, trigger_at=received_at)

Every change is an `ObligationEvent` and an audit entry. `tick(now=…)` is the
heartbeat: it sends reminders, marks breaches (with their consequences in the contract's
breach ledger), lapses options and runs out periods (renewal at expiry, 11.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyun.contracts.choices import Party
from yiyun.contracts.ledger import breach_consequences_record
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.core.periods import deadline
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import (
    CALENDAR_CLOCKS,
    EventKind,
    ObligationClock,
    ObligationKind,
    ObligationState,
)
from yiyun.obligations.models import Obligation, ObligationEvent, TickState
from yiyun.obligations.registry import ClauseRule, Reminder, rule_for
from yiyun.tenancy.choices import ADMIN_ROLES
from yiyun.tenancy.models import Person

log = logging.getLogger("yiyun.obligations")

OPEN = ObligationState.OPEN
# Obligations handled per transaction of a tick; it keeps going until nothing is left.
BATCH = 100


# -- opening -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    at: datetime
    unconfirmed_years: tuple[int, ...] = ()


def _compute_due(
    *, clock_name: str, n, before: bool, trigger_at: datetime, close_time=None, due_at=None
) -> _Due:
    if clock_name == ObligationClock.SET:
        return _Due(at=due_at)
    result = deadline(trigger_at, clock=clock_name, n=n, before=before, close_time=close_time)
    return _Due(at=result.due_at, unconfirmed_years=tuple(sorted(result.unconfirmed_years)))


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(_("%(name)s 必须是带时区的日期时间") % {"name": name}, field=name)
    return value


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


@transaction.atomic
def obligation_open(
    *,
    contract,
    clause: str,
    subject=None,
    trigger_at: datetime,
    due_at: datetime | None = None,
    note: str = "",
    by=None,
) -> Obligation:
    """Open the obligation the rule registered under `clause` imposes, and start its clock.

    `clause` is a registry key ("2.3", "4.2.complex"); `subject` any saved model instance
    the duty is about (a ticket, a contact change…); `trigger_at` when the clock starts
    (for "before" clauses such as 4.4: the event the notice must precede). `due_at` only
    for clauses whose limit a party sets (2.1's rectification deadline, 3.7's planned
    change): for every other clause the clock computes it. Raises DomainError.
    """
    rule = rule_for(clause)
    trigger_at = _aware(trigger_at, "trigger_at")
    if rule.clock == ObligationClock.SET:
        if due_at is None:
            raise DomainError(
                _("条款 %(clause)s 的期限由当事人约定：请给出截止时间") % {"clause": clause},
                field="due_at",
            )
        due_at = _aware(due_at, "due_at")
        if due_at <= trigger_at:
            raise DomainError(_("截止时间必须晚于起算时间"), field="due_at")
    elif due_at is not None:
        raise DomainError(
            _("条款 %(clause)s 的期限按规则计算，不能另行指定截止时间") % {"clause": clause},
            field="due_at",
        )
    if subject is not None and subject.pk is None:
        raise DomainError(_("事由对象尚未保存"), field="subject")
    # The contract's own limit where it departs from the template (e.g. 2.2 in 12 h).
    own = (contract.clause_limits or {}).get(rule.key, {})
    clock_name, limit = own.get("clock", rule.clock), own.get("n", rule.n)
    due = _compute_due(
        clock_name=clock_name,
        n=limit,
        before=rule.before,
        trigger_at=trigger_at,
        close_time=rule.close_time,
        due_at=due_at,
    )
    moment = clock.now()
    obligation = Obligation(
        contract=contract,
        rule=rule.key,
        clause=rule.clause,
        # Stored in the source language whatever the caller's; pages show `label`.
        title=_source_text(rule.title)[:200],
        kind=rule.kind,
        bound_party=rule.bound,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
        trigger_at=trigger_at,
        clock=clock_name,
        limit=limit,
        before=rule.before,
        base_due_at=due.at,
        due_at=due.at,
        due_unconfirmed=bool(due.unconfirmed_years),
        unconfirmed_years=list(due.unconfirmed_years),
        pausable=rule.pausable,
        penalty_rule=rule.penalty,
        right=rule.right,
        consequence=_source_text(rule.consequence)[:300],
        opened_at=moment,
        note=note,
    )
    _plan_reminders(obligation, rule.reminders)
    obligation.save()
    _event(
        obligation,
        EventKind.OPENED,
        by=by,
        data={
            "rule": rule.key,
            "trigger_at": trigger_at,
            "due_at": due.at,
            "unconfirmed_years": list(due.unconfirmed_years),
            "subject": _subject_label(obligation),
        },
        note=note,
    )
    return obligation


def _source_text(text) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _subject_label(obligation: Obligation) -> str:
    if obligation.subject_type_id is None:
        return ""
    return f"{obligation.subject_type.app_label}.{obligation.subject_type.model}:{obligation.subject_id}"


def _reminders_of(obligation: Obligation) -> tuple[Reminder, ...]:
    try:
        return rule_for(obligation.rule).reminders
    except DomainError:
        return ()


def _plan_reminders(obligation: Obligation, reminders: tuple[Reminder, ...]) -> None:
    """(Re)plan reminders between the (pause-shifted) trigger and the due time.

    Reminders already sent stay sent; one that would fall at or before the trigger (a
    "24 h before" on a 24 h clock) is left out.
    """
    sent = {entry["key"] for entry in obligation.reminder_plan if entry.get("sent")}
    plan = [entry for entry in obligation.reminder_plan if entry.get("sent")]
    if obligation.due_at is not None:
        start = obligation.trigger_at + obligation.paused_for
        if obligation.before:
            start = min(obligation.opened_at or clock.now(), obligation.due_at)
        opened = obligation.opened_at or clock.now()
        stale = []
        for reminder in reminders:
            if reminder.key in sent:
                continue
            at = reminder.at(start, obligation.due_at)
            if not start < at < obligation.due_at:
                continue
            entry = {"key": reminder.key, "at": at.astimezone(UTC).isoformat(), "sent": False}
            (stale if at <= opened else plan).append(entry)
        if stale:
            # Opened late (a contract loaded mid-term): of the reminders already past,
            # only the latest is still worth sending.
            plan.append(max(stale, key=lambda entry: entry["at"]))
    obligation.reminder_plan = sorted(plan, key=lambda entry: entry["at"])
    pending = [entry["at"] for entry in obligation.reminder_plan if not entry["sent"]]
    obligation.next_remind_at = (
        datetime.fromisoformat(min(pending)) if pending and obligation.state == OPEN else None
    )


def _event(
    obligation: Obligation, kind: str, *, by=None, at=None, data=None, note: str = ""
) -> ObligationEvent:
    """Record one event of an obligation, and the same as an audit entry."""
    data = dict(data or {})
    event = ObligationEvent.objects.create(
        obligation=obligation,
        kind=kind,
        at=at or clock.now(),
        actor=_actor_label(by),
        data=_jsonable(data),
        note=note,
    )
    audit_record(
        actor=by,
        action=f"obligation.{kind}",
        obj=obligation,
        organisation=obligation.contract.customer_id,
        data={
            "contract": obligation.contract.number,
            "clause": obligation.clause,
            "rule": obligation.rule,
            "state": obligation.state,
            **_jsonable(data),
            **({"note": note} if note else {}),
        },
    )
    return event


def _jsonable(data: dict) -> dict:
    """Moments as Beijing-time ISO strings, as people read them."""
    return {
        key: clock.local(value).isoformat() if isinstance(value, datetime) else value
        for key, value in data.items()
    }


def _locked(obligation: Obligation) -> Obligation:
    return Obligation.objects.select_for_update().select_related("contract").get(pk=obligation.pk)


# -- acting on one obligation ------------------------------------------------------------


@transaction.atomic
def obligation_meet(
    *, obligation: Obligation, at: datetime | None = None, by, evidence: str = ""
) -> Obligation:
    """Record that the bound party did what the obligation asked, at `at` (default: now).

    Met strictly before `due_at`: MET. At or after it: the obligation is (or stays)
    BREACHED with its consequences, and the late performance is recorded. A period
    (TERM) cannot be met: it runs out by itself.
    """
    obligation = _locked(obligation)
    moment = clock.now()
    at = _aware(at, "at") if at is not None else moment
    if at > moment:
        raise DomainError(_("履行时间不能晚于现在"), field="at")
    if obligation.kind == ObligationKind.TERM:
        raise DomainError(_("期间到期自动届满，无需登记履行"), code="not_a_duty")
    if obligation.state == OPEN and obligation.due_at is not None and at >= obligation.due_at:
        _breach(obligation, by=by, now=moment)
    if obligation.state == ObligationState.BREACHED:
        if obligation.met_at is not None:
            raise DomainError(_("已登记过逾期履行"), code="already_closed")
        obligation.met_at = at
        obligation.evidence = evidence
        obligation.save(update_fields=["met_at", "evidence"])
        _event(obligation, EventKind.MET_LATE, by=by, data={"met_at": at}, note=evidence)
        return obligation
    if obligation.state != OPEN:
        raise DomainError(
            _("该义务已结束（%(state)s）") % {"state": obligation.get_state_display()},
            code="already_closed",
        )
    if at < obligation.trigger_at and not obligation.before:
        raise DomainError(_("履行时间早于起算时间"), field="at")
    obligation.state = ObligationState.MET
    obligation.met_at = at
    obligation.closed_at = moment
    obligation.evidence = evidence
    obligation.next_remind_at = None
    obligation.paused_at = None
    obligation.save()
    _event(obligation, EventKind.MET, by=by, data={"met_at": at}, note=evidence)
    return obligation


@transaction.atomic
def obligation_waive(*, obligation: Obligation, by, reason: str) -> Obligation:
    """Close an open obligation without consequence (the other party waived it, or the
    matter it was about went away); `reason` is required."""
    obligation = _locked(obligation)
    if not reason.strip():
        raise DomainError(_("请说明豁免理由"), field="reason")
    if obligation.state != OPEN:
        raise DomainError(_("只有进行中的义务可以豁免"), code="already_closed")
    obligation.state = ObligationState.WAIVED
    obligation.closed_at = clock.now()
    obligation.next_remind_at = None
    obligation.save()
    _event(obligation, EventKind.WAIVED, by=by, note=reason)
    return obligation


@transaction.atomic
def obligation_pause(*, obligation: Obligation, by, reason: str) -> Obligation:
    """Stop the clock (only where the rule allows it, e.g. 4.2 waiting on the customer;
    never 2.2). While paused the obligation cannot come due; `reason` is required."""
    obligation = _locked(obligation)
    moment = clock.now()
    if not obligation.pausable:
        raise DomainError(
            _("条款 %(clause)s 的期限不能暂停") % {"clause": obligation.clause},
            code="not_pausable",
        )
    if not reason.strip():
        raise DomainError(_("请说明暂停理由"), field="reason")
    if obligation.state != OPEN or obligation.paused_at is not None:
        raise DomainError(_("只有进行中且未暂停的义务可以暂停"), code="not_open")
    if obligation.due_at <= moment:
        raise DomainError(_("已到期的义务不能暂停"), code="already_due")
    obligation.paused_at = moment
    obligation.due_at = None
    obligation.next_remind_at = None
    obligation.save()
    _event(obligation, EventKind.PAUSED, by=by, note=reason)
    return obligation


@transaction.atomic
def obligation_resume(*, obligation: Obligation, by, reason: str = "") -> Obligation:
    """Restart a paused clock: the due time moves later by the time spent paused."""
    obligation = _locked(obligation)
    moment = clock.now()
    if obligation.state != OPEN or obligation.paused_at is None:
        raise DomainError(_("该义务未暂停"), code="not_paused")
    paused = moment - obligation.paused_at
    obligation.paused_for += paused
    obligation.paused_at = None
    obligation.due_at = obligation.base_due_at + obligation.paused_for
    _plan_reminders(obligation, _reminders_of(obligation))
    obligation.save()
    _event(
        obligation,
        EventKind.RESUMED,
        by=by,
        data={"paused_seconds": int(paused.total_seconds()), "due_at": obligation.due_at},
        note=reason,
    )
    return obligation


@transaction.atomic
def obligation_retrigger(
    *,
    obligation: Obligation,
    by,
    reason: str,
    trigger_at: datetime | None = None,
    due_at: datetime | None = None,
) -> Obligation:
    """Move an open obligation's trigger (or, for a party-set limit, its due time) and
    recompute — e.g. 1.3: a rectification period moves the service period's end, and
    with it 11.1's notice deadline and the expiry."""
    obligation = _locked(obligation)
    if obligation.state != OPEN:
        raise DomainError(_("只有进行中的义务可以变更期限"), code="already_closed")
    old = {"trigger_at": obligation.trigger_at, "due_at": obligation.due_at}
    if trigger_at is not None:
        obligation.trigger_at = _aware(trigger_at, "trigger_at")
    rule = _rule_or_none(obligation)
    due = _compute_due(
        clock_name=obligation.clock,
        n=obligation.limit,
        before=obligation.before,
        trigger_at=obligation.trigger_at,
        close_time=rule.close_time if rule else None,
        due_at=_aware(due_at, "due_at") if due_at is not None else obligation.base_due_at,
    )
    _set_base_due(obligation, due)
    obligation.save()
    _event(
        obligation,
        EventKind.RETRIGGERED,
        by=by,
        data={
            "old_trigger_at": old["trigger_at"],
            "trigger_at": obligation.trigger_at,
            "old_due_at": old["due_at"],
            "due_at": obligation.due_at,
        },
        note=reason,
    )
    return obligation


def _rule_or_none(obligation: Obligation) -> ClauseRule | None:
    try:
        return rule_for(obligation.rule)
    except DomainError:
        return None


def _set_base_due(obligation: Obligation, due: _Due) -> None:
    obligation.base_due_at = due.at
    obligation.due_unconfirmed = bool(due.unconfirmed_years)
    obligation.unconfirmed_years = list(due.unconfirmed_years)
    if obligation.paused_at is None:
        obligation.due_at = due.at + obligation.paused_for
    _plan_reminders(obligation, _reminders_of(obligation))


# -- the calendar changed ----------------------------------------------------------------


@transaction.atomic
def obligations_recompute_for_years(*, years) -> list[dict]:
    """Recompute every open obligation whose due time depends on one of `years`, and
    flag for review the closed ones whose due time would move (`_flag_for_recheck`).

    Registered as a `calendar_changed_hooks` entry: called after a year's holiday
    schedule is imported or corrected. An obligation depends on a year when its
    calendar-counted period (days, working days, months) touches it. Each open one that
    moved gets a RECOMPUTED event; one audit entry lists them all, old and new due time.
    """
    years = sorted({int(year) for year in years})
    if not years:
        return []
    start = datetime(years[0], 1, 1, tzinfo=SHANGHAI)
    end = datetime(years[-1] + 1, 1, 2, tzinfo=SHANGHAI)  # +1 day: 24:00 of 12-31
    from django.db.models import Q

    candidates = (
        Obligation.objects.select_for_update()
        .select_related("contract")
        .filter(clock__in=CALENDAR_CLOCKS)
        .filter(
            Q(before=False, trigger_at__lt=end, base_due_at__gte=start)
            | Q(before=True, base_due_at__lt=end, trigger_at__gte=start)
        )
        .order_by("pk")
    )
    moved = []
    for obligation in candidates.filter(state=OPEN):
        due = _recomputed_due(obligation)
        unchanged = due.at == obligation.base_due_at and list(due.unconfirmed_years) == list(
            obligation.unconfirmed_years
        )
        if unchanged:
            continue
        old_due, old_unconfirmed = obligation.due_at, list(obligation.unconfirmed_years)
        _set_base_due(obligation, due)
        obligation.save()
        change = {
            "obligation": obligation.pk,
            "contract": obligation.contract.number,
            "clause": obligation.clause,
            "old_due_at": old_due,
            "due_at": obligation.due_at,
            "old_unconfirmed_years": old_unconfirmed,
            "unconfirmed_years": list(due.unconfirmed_years),
        }
        _event(obligation, EventKind.RECOMPUTED, by="calendar", data={**change, "years": years})
        moved.append(_jsonable(change))
    if moved:
        audit_record(
            actor="calendar",
            action="obligations.recomputed",
            data={"years": years, "moved": moved},
        )
    # Duties only: a period that ran out or an option that lapsed was not performed by
    # anyone, and its consequence already ran. One met while its clock was stopped has
    # no due time: it was in time, whatever the calendar says.
    closed = candidates.filter(
        kind=ObligationKind.DUTY,
        state__in=[ObligationState.MET, ObligationState.BREACHED],
        due_at__isnull=False,
    )
    _flag_for_recheck(closed, years)
    return moved


def _recomputed_due(obligation: Obligation) -> _Due:
    rule = _rule_or_none(obligation)
    return _compute_due(
        clock_name=obligation.clock,
        n=obligation.limit,
        before=obligation.before,
        trigger_at=obligation.trigger_at,
        close_time=rule.close_time if rule else None,
    )


RECHECK_VERDICTS = {
    # A recorded breach, performed before the corrected due time.
    "in_time_after_all": gettext_lazy("按更正后的日历，履行并未逾期"),
    # A recorded breach, not performed, whose corrected due time is still to come.
    "not_yet_due": gettext_lazy("按更正后的日历，尚未到期"),
    # A recorded timely performance, at or after the corrected due time.
    "late_after_all": gettext_lazy("按更正后的日历，履行已逾期"),
    "due_moved": gettext_lazy("到期时间变化，结论不变"),
}


def _recheck_verdict(obligation: Obligation, corrected: datetime, now: datetime) -> str:
    met_at = obligation.met_at
    if obligation.state == ObligationState.BREACHED:
        if met_at is not None and met_at < corrected:
            return "in_time_after_all"
        if met_at is None and corrected > now:
            return "not_yet_due"
    elif met_at is not None and met_at >= corrected:
        return "late_after_all"
    return "due_moved"


def _flag_for_recheck(closed, years: list[int]) -> None:
    """Closed obligations (met or breached) whose due time a calendar correction moves
    keep what was recorded: a breach and its penalty, or a timely performance, were
    judged under the schedule in force then, and only the parties can revisit that. Each
    gets a RECHECK event with the corrected due time and what it would mean, both
    parties are told, and one audit entry lists them."""
    from yiyun.datalife.selectors import service_over

    now = clock.now()
    flagged = []
    # Per contract and organisation, once per correction: many duties share them.
    ended: dict[int, bool] = {}
    people: dict = {}
    for obligation in closed:
        due = _recomputed_due(obligation)
        if due.at == obligation.base_due_at:
            continue
        corrected_at = due.at + obligation.paused_for  # as _set_base_due would make it
        corrected = clock.local(corrected_at).isoformat()  # as _jsonable stores it
        if obligation.events.filter(
            kind=EventKind.RECHECK, data__corrected_due_at=corrected
        ).exists():
            continue  # flagged for this correction already
        verdict = _recheck_verdict(obligation, corrected_at, now)
        change = {
            "obligation": obligation.pk,
            "contract": obligation.contract.number,
            "clause": obligation.clause,
            "state": obligation.state,
            "due_at": obligation.due_at,
            "corrected_due_at": corrected_at,
            "verdict": verdict,
        }
        _event(obligation, EventKind.RECHECK, by="calendar", data={**change, "years": years})
        flagged.append(_jsonable(change))
        # A customer no longer served (its data purged, 6.5) is not written to again.
        if obligation.contract_id not in ended:
            ended[obligation.contract_id] = bool(service_over({obligation.contract_id}))
        party = Party.PROVIDER if ended[obligation.contract_id] else Party.EITHER
        inbox_send(
            recipients=_party_people(obligation.contract, party, people),
            subject=_("日历更正：%(title)s（第%(clause)s条）待复核")
            % {"title": obligation.title, "clause": obligation.clause},
            body=_(
                "合同 %(number)s：%(title)s 原截止于 %(due)s，按更正后的节假日安排应截止于"
                " %(corrected)s。%(verdict)s。已记录的结论未改变，请双方复核。"
            )
            % {
                "number": obligation.contract.number,
                "title": obligation.title,
                "due": f"{clock.local(obligation.due_at):%Y-%m-%d %H:%M}",
                "corrected": f"{clock.local(corrected_at):%Y-%m-%d %H:%M}",
                "verdict": RECHECK_VERDICTS[verdict],
            },
            link=reverse("obligations:detail", kwargs={"pk": obligation.pk}),
            source=f"obligation:{obligation.pk}:recheck:{corrected}",
        )
    if flagged:
        audit_record(
            actor="calendar",
            action="obligations.recheck",
            data={"years": years, "flagged": flagged},
        )


# -- the heartbeat -----------------------------------------------------------------------


@dataclass
class TickReport:
    now: datetime
    reminded: int = 0
    breached: int = 0
    lapsed: int = 0
    ran_out: int = 0
    obligations: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Per-tick cache: people per organisation, penalty bases per contract.
    cache: dict = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {
            "now": self.now.isoformat(),
            "reminded": self.reminded,
            "breached": self.breached,
            "lapsed": self.lapsed,
            "ran_out": self.ran_out,
            "failed": len(self.failed),
        }


def tick(*, now: datetime) -> TickReport:
    """Evaluate every obligation due by `now`: remind, breach, lapse, run out.

    Idempotent (the same `now` twice changes nothing the second time) and monotonic (a
    `now` earlier than the last tick is refused with DomainError). Its cost follows what
    is due: both selections go through an index on (state, due_at / next_remind_at).

    The tick time is claimed first (a short transaction on the one-row TickState); the
    due obligations are then handled in batches of BATCH, each batch its own
    transaction, its rows locked with SKIP LOCKED: several workers share the work and
    never handle one obligation twice, a long tick never holds one huge transaction
    open, and an interrupted tick is finished by the next one (same `now` or later).
    An obligation whose handling fails is logged, left open and retried next tick; it
    does not stop the others.
    """
    now = _aware(now, "now")
    _claim(now)
    report = TickReport(now=now)
    _in_batches(
        lambda: Obligation.objects.filter(state=OPEN, next_remind_at__lte=now).order_by(
            "next_remind_at", "pk"
        ),
        lambda obligation: _remind(obligation, now, report),
        report,
    )
    # A late tick may find a renewal (11.1.expiry) opening obligations that are already
    # due: the loop goes on until nothing due by `now` is left open.
    _in_batches(
        lambda: Obligation.objects.filter(state=OPEN, due_at__lte=now).order_by("due_at", "pk"),
        lambda obligation: _come_due(obligation, now, report),
        report,
    )
    return report


@transaction.atomic
def obligation_settle(*, obligation: Obligation, now: datetime | None = None) -> Obligation:
    """What the tick would do to this one obligation now: if it is open, not paused and
    due, it comes due (a duty is breached with its consequences, an option lapses, a
    period runs out). For closing an obligation early (a waiver at the end of service)
    without taking a breach that already happened off the record."""
    now = _aware(now, "now") if now is not None else clock.now()
    obligation = _locked(obligation)
    if obligation.state == OPEN and obligation.due_at is not None and obligation.due_at <= now:
        _come_due(obligation, now, TickReport(now=now))
    return obligation


@transaction.atomic
def _claim(now: datetime) -> None:
    state = TickState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        TickState.objects.get_or_create(pk=1)
        state = TickState.objects.select_for_update().get(pk=1)
    if state.last_tick_at is not None and now < state.last_tick_at:
        raise DomainError(
            _("拒绝倒退：%(now)s 早于上次运行时间 %(last)s")
            % {"now": now.isoformat(), "last": state.last_tick_at.isoformat()},
            code="tick_backwards",
            field="now",
        )
    state.last_tick_at = now
    state.ticks += 1
    state.save()


def _in_batches(select, handle, report: TickReport) -> None:
    while True:
        with transaction.atomic():
            batch = list(
                select()
                .exclude(pk__in=report.failed)
                .select_related("contract", "contract__customer", "contract__provider")
                .select_for_update(skip_locked=True, of=("self",))[:BATCH]
            )
            if not batch:
                return
            for obligation in batch:
                try:
                    with transaction.atomic():
                        handle(obligation)
                except Exception:
                    # One bad row must not stop the heartbeat: logged, retried next tick.
                    log.exception("tick: obligation %s failed", obligation.pk)
                    report.failed.append(obligation.pk)


def tick_now() -> TickReport | None:
    """The worker's job (every 60 s): a tick at the current time.

    With several workers, one may read the clock just before another claims a later
    tick: nothing is left for it to do, so it skips.
    """
    try:
        return tick(now=clock.now())
    except DomainError as error:
        if error.code != "tick_backwards":
            raise
        log.info("tick skipped: another worker ticked later")
        return None


def _remind(obligation: Obligation, now: datetime, report: TickReport) -> None:
    if obligation.due_at is None or obligation.due_at <= now:
        # Due already: the due pass deals with it; a reminder now would come too late.
        obligation.next_remind_at = None
        obligation.save(update_fields=["next_remind_at"])
        return
    recipients = _party_people(obligation.contract, obligation.bound_party, report.cache)
    due_local = clock.local(obligation.due_at)
    for entry in obligation.reminder_plan:
        if entry["sent"] or datetime.fromisoformat(entry["at"]) > now:
            continue
        inbox_send(
            recipients=recipients,
            subject=_("提醒：%(title)s（第%(clause)s条）截止 %(due)s")
            % {
                "title": obligation.title,
                "clause": obligation.clause,
                "due": f"{due_local:%Y-%m-%d %H:%M}",
            },
            body=_("合同 %(number)s：%(title)s，截止时间 %(due)s（北京时间）。%(consequence)s")
            % {
                "number": obligation.contract.number,
                "title": obligation.title,
                "due": f"{due_local:%Y-%m-%d %H:%M}",
                "consequence": obligation.consequence,
            },
            link=reverse("obligations:detail", kwargs={"pk": obligation.pk}),
            source=f"obligation:{obligation.pk}:{entry['key']}",
        )
        entry["sent"] = True
        _event(
            obligation,
            EventKind.REMINDED,
            by="tick",
            at=now,
            data={"reminder": entry["key"], "recipients": [person.pk for person in recipients]},
        )
        report.reminded += 1
    pending = [entry["at"] for entry in obligation.reminder_plan if not entry["sent"]]
    obligation.next_remind_at = datetime.fromisoformat(min(pending)) if pending else None
    obligation.save(update_fields=["reminder_plan", "next_remind_at"])


def _party_people(contract, party: str, cache: dict | None = None) -> list[Person]:
    """Who hears about an obligation of `party`: that organisation's admins, or everyone
    of it when it has no admin (both organisations for EITHER). `cache` keeps the answer
    per organisation for the length of one tick."""
    organisations = (
        [contract.customer_id, contract.provider_id]
        if party == Party.EITHER
        else [contract.customer_id if party == Party.CUSTOMER else contract.provider_id]
    )
    cache = {} if cache is None else cache
    people = []
    for organisation_id in organisations:
        if organisation_id not in cache:
            admins = list(
                Person.objects.filter(organisation_id=organisation_id, role__in=ADMIN_ROLES)
            )
            cache[organisation_id] = admins or list(
                Person.objects.filter(organisation_id=organisation_id)
            )
        people.extend(cache[organisation_id])
    return people


def _come_due(obligation: Obligation, now: datetime, report: TickReport) -> None:
    report.obligations.append(obligation.pk)
    if obligation.kind == ObligationKind.DUTY:
        _breach(obligation, by="tick", now=now, cache=report.cache)
        report.breached += 1
        return
    rule = _rule_or_none(obligation)
    obligation.closed_at = now
    obligation.next_remind_at = None
    if obligation.kind == ObligationKind.OPTION:
        obligation.state = ObligationState.WAIVED
        obligation.save()
        _event(obligation, EventKind.LAPSED, by="tick", at=now, data={"due_at": obligation.due_at})
        report.lapsed += 1
    else:
        obligation.state = ObligationState.MET
        obligation.met_at = obligation.due_at
        obligation.save()
        _event(obligation, EventKind.RAN_OUT, by="tick", at=now, data={"due_at": obligation.due_at})
        report.ran_out += 1
    if rule is not None and rule.on_due:
        import_string(rule.on_due)(obligation=obligation, now=now)


def _breach(obligation: Obligation, *, by, now: datetime, cache: dict | None = None) -> None:
    """Mark a duty breached at its due time and record what follows from it."""
    obligation.state = ObligationState.BREACHED
    obligation.breached_at = obligation.due_at
    obligation.closed_at = now
    obligation.next_remind_at = None
    obligation.save(update_fields=["state", "breached_at", "closed_at", "next_remind_at"])
    ledger = breach_consequences_record(obligation=obligation, at=obligation.due_at, cache=cache)
    _event(
        obligation,
        EventKind.BREACHED,
        by=by,
        at=now,
        data={
            "due_at": obligation.due_at,
            "penalties": [
                {"rule": p.rule, "base": p.base_key, "amount": str(p.amount)}
                for p in ledger.penalties
            ],
            "rights": [right.code for right in ledger.rights],
        },
    )
    contract = obligation.contract
    inbox_send(
        recipients=_party_people(contract, Party.EITHER, cache),
        subject=_("违约：%(title)s（第%(clause)s条）已逾期")
        % {"title": obligation.title, "clause": obligation.clause},
        body=_("合同 %(number)s：%(title)s 截止于 %(due)s，未按时履行。%(consequence)s")
        % {
            "number": contract.number,
            "title": obligation.title,
            "due": f"{clock.local(obligation.due_at):%Y-%m-%d %H:%M}",
            "consequence": obligation.consequence,
        },
        link=reverse("obligations:detail", kwargs={"pk": obligation.pk}),
        source=f"obligation:{obligation.pk}:breached",
    )
    rule = _rule_or_none(obligation)
    if rule is not None and rule.on_breach:
        import_string(rule.on_breach)(obligation=obligation, now=now)


__all__ = [
    "TickReport",
    "obligation_meet",
    "obligation_open",
    "obligation_pause",
    "obligation_resume",
    "obligation_retrigger",
    "obligation_waive",
    "obligation_settle",
    "obligations_recompute_for_years",
    "tick",
    "tick_now",
]
