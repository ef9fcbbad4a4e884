"""The durable outbox: `yiyun worker` sends queued deliveries, retries with backoff, and
keeps one proof per recipient and channel (4.5).

How a delivery moves, and why nothing is sent twice or lost when a worker dies:

1. **claim** (one short transaction): due rows (`pending` and `next_attempt_at <= now`,
   or `sending` whose lease ran out or whose worker on this host is dead) become
   `sending`, with `claimed_by` and `lease_until`. On PostgreSQL the rows are locked
   with SKIP LOCKED, so N workers share the queue; on SQLite the write lock serialises
   claims.
2. **attempt** (per row): renew the lease only if still ours (a fence: a worker that lost
   its lease never sends), count the attempt and log it, *commit*, then send.
3. **record**: sent → `sent` with the channel's answer and the SHA-256 of exactly what
   went out (and an audit entry); failed → back to `pending` at the next backoff step, or
   `failed` after the last attempt or on an answer that will not change. Committed in the
   same transaction as the next row's step 2: one commit per delivery.

A worker killed between 1 and 3 leaves the row `sending`: it is claimed again when its
lease runs out, at once when the dead worker was on this host. The one send whose outcome
a crash leaves unknown goes out again with the *same* idempotency key (the mail's
Message-ID, the gateway's Idempotency-Key / OutId), so the receiver can drop the repeat;
no other message is ever repeated, and none is forgotten.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.notices.choices import AttemptOutcome, DeliveryState
from yiyun.notices.models import Delivery, DeliveryAttempt
from yiyun.notices.transports import DeliveryError, SendResult, transport_send

log = logging.getLogger("yiyun.notices.outbox")

# Long enough for one send (transports time out after 15 s), short enough that a row a
# dead worker on another host held is retried within minutes.
LEASE = timedelta(minutes=5)
# Wait before attempt 2, 3, …; the last step repeats. Eight attempts span about 4 h.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
MAX_ATTEMPTS = 8
BATCH = 20
# One worker run stops taking new batches after this long, so other jobs get their turn.
RUN_BUDGET_SECONDS = 30.0

SENT, PENDING, SENDING, FAILED = (
    DeliveryState.SENT,
    DeliveryState.PENDING,
    DeliveryState.SENDING,
    DeliveryState.FAILED,
)


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed attempts."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _process_start_ticks(pid: int) -> str | None:
    # Field 22 of /proc/<pid>/stat: when the process started. With the pid it names a
    # process uniquely, even after the pid is reused.
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


_IDENTITY: str | None = None


def worker_identity() -> str:
    """`host:pid:start`: who holds a claim, and how to tell later that it died."""
    global _IDENTITY
    pid = os.getpid()
    if _IDENTITY is None or _IDENTITY.split(":")[1] != str(pid):
        _IDENTITY = f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid) or '?'}"
    return _IDENTITY


def _is_dead(claimer: str) -> bool:
    """Whether `claimer` was a worker on this host that no longer runs."""
    host, _sep, rest = claimer.partition(":")
    pid_text, _sep, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or start == "?":
        return False
    return _process_start_ticks(int(pid_text)) != start


def _dead_claimers(now) -> list[str]:
    claimers = (
        Delivery.objects.filter(state=SENDING, lease_until__gt=now)
        .order_by()  # the model's ordering would make DISTINCT cover every row
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    return [claimer for claimer in claimers if claimer and _is_dead(claimer)]


def outbox_claim(*, worker: str, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` due deliveries for `worker`; returns their ids, oldest first."""
    with transaction.atomic():
        now = clock.now()
        due = Q(state=PENDING, next_attempt_at__lte=now) | Q(state=SENDING, lease_until__lte=now)
        dead = _dead_claimers(now)
        if dead:
            due |= Q(state=SENDING, claimed_by__in=dead)
        rows = Delivery.objects.filter(due).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("pk", flat=True)[:limit])
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                state=SENDING, claimed_by=worker, lease_until=now + LEASE
            )
    return ids


@dataclass
class OutboxReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "lost_lease": self.lost_lease,
        }


def _begin_attempt(delivery_id: int, worker: str) -> tuple[Delivery, DeliveryAttempt] | None:
    """Fence, count and log the attempt (inside the caller's transaction, committed before
    anything is sent). None when the row is no longer ours."""
    now = clock.now()
    still_ours = Delivery.objects.filter(pk=delivery_id, state=SENDING, claimed_by=worker).update(
        lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not still_ours:
        return None
    delivery = Delivery.objects.select_related("channel", "notice").get(pk=delivery_id)
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, worker=worker, started_at=now
    )
    return delivery, attempt


def _send(delivery: Delivery) -> SendResult | DeliveryError:
    """The one step outside any transaction: the network call."""
    try:
        return transport_send(delivery, bytes(delivery.payload))
    except DeliveryError as error:
        return error
    except DomainError as error:
        # A channel that cannot work as configured (a missing secret): no retry helps.
        return DeliveryError(error.message, retry=False)
    except Exception as error:
        log.exception("delivery %s: unexpected error", delivery.pk)
        return DeliveryError(_("内部错误：%(e)s") % {"e": error}, retry=True)


def _record_sent(delivery: Delivery, attempt: DeliveryAttempt, result: SendResult, worker: str):
    """Inside the caller's transaction: the delivery is sent; the proof and its audit anchor."""
    wire = result.wire or bytes(delivery.payload)
    digest = hashlib.sha256(wire).hexdigest()
    now = clock.now()
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now,
        outcome=AttemptOutcome.SENT,
        status=result.status[:40],
        response=result.response[:2000],
        sha256=digest,
    )
    # Exactly what went out becomes the payload of record (an Aliyun request differs from
    # the queued one by its signature, nonce and timestamp).
    Delivery.objects.filter(pk=delivery.pk).update(
        state=SENT,
        sent_at=now,
        payload=wire,
        sha256=digest,
        response_status=result.status[:40],
        response_id=result.message_id[:200],
        response_text=result.response[:2000],
        last_error="",
        claimed_by="",
        lease_until=None,
        next_attempt_at=None,
    )
    # The proof's anchor in the hash-chained audit log: which delivery, when, what hash.
    audit_record(
        actor=worker,
        action="notice.delivery_sent",
        obj=delivery,
        organisation=delivery.organisation_id,
        data={
            "notice": delivery.notice_id,
            "channel": delivery.kind,
            "key": delivery.idempotency_key,
            "sent_at": now,
            "attempt": attempt.number,
            "status": result.status[:40],
            "message_id": result.message_id[:200],
            "sha256": digest,
        },
    )
    return now


def _record_failure(delivery: Delivery, attempt: DeliveryAttempt, error: DeliveryError) -> str:
    """Inside the caller's transaction: back in the queue at the next backoff, or failed."""
    give_up = not error.retry or delivery.attempts >= MAX_ATTEMPTS
    outcome = AttemptOutcome.FAILED if give_up else AttemptOutcome.RETRY
    now = clock.now()
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now,
        outcome=outcome,
        status=error.status[:40],
        response=error.response,
        error=error.message[:2000],
        sha256=hashlib.sha256(error.wire).hexdigest() if error.wire else "",
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        state=FAILED if give_up else PENDING,
        next_attempt_at=None if give_up else now + backoff(delivery.attempts),
        response_status=error.status[:40],
        response_text=error.response,
        last_error=error.message[:2000],
        claimed_by="",
        lease_until=None,
    )
    return outcome


def _record(delivery, attempt, outcome, worker: str, report: OutboxReport):
    """Record an attempt's outcome; returns when it was sent (None when it was not)."""
    if isinstance(outcome, SendResult):
        report.sent += 1
        return _record_sent(delivery, attempt, outcome, worker)
    if _record_failure(delivery, attempt, outcome) == AttemptOutcome.RETRY:
        report.retried += 1
    else:
        report.failed += 1
    return None


def _delivered(delivery, sent_at) -> None:
    """4.5's consequences of a notice's first delivery (4.4 met or breached, a letter
    recorded), after the delivery itself is committed: the delivery is a fact whatever
    they say. If this process dies first, the sweep in `outbox_run` finishes the job."""
    from yiyun.notices.services import notice_delivered

    if sent_at is None or delivery.notice.delivered_at is not None:
        return  # not sent, or an earlier delivery of this notice already counted
    try:
        notice_delivered(notice=delivery.notice, at=sent_at)
    except Exception:
        log.exception("notice %s: delivered, consequences not yet recorded", delivery.notice_id)


def _attempt_batch(ids: list[int], worker: str, report: OutboxReport) -> None:
    """Attempt each claimed delivery in turn.

    One transaction records an attempt's outcome and begins (counts and logs) the next,
    so a delivery costs one commit, and still nothing is sent that is not counted first.
    """
    done = None  # (delivery, attempt, outcome) tried but not yet recorded
    for delivery_id in ids:
        sent_at = None
        with transaction.atomic():
            if done is not None:
                sent_at = _record(*done, worker, report)
            begun = _begin_attempt(delivery_id, worker)
        if done is not None:
            _delivered(done[0], sent_at)
            done = None
        if begun is None:
            report.lost_lease += 1
            continue
        delivery, attempt = begun
        done = (delivery, attempt, _send(delivery))
    if done is not None:
        with transaction.atomic():
            sent_at = _record(*done, worker, report)
        _delivered(done[0], sent_at)


def outbox_process(*, worker: str | None = None, limit: int = BATCH, budget: float | None = None):
    """Send what is due: claim a batch, attempt each, repeat until nothing is due (or the
    time budget is spent). Returns an OutboxReport."""
    worker = worker or worker_identity()
    report = OutboxReport()
    started = time.monotonic()
    while budget is None or time.monotonic() - started < budget:
        ids = outbox_claim(worker=worker, limit=limit)
        if not ids:
            break
        report.claimed += len(ids)
        _attempt_batch(ids, worker, report)
    return report


def delivered_sweep() -> int:
    """Notices with a sent delivery whose delivery (4.5) was not yet recorded: record it at
    the first delivery's time. Returns how many."""
    from django.db.models import Min

    from yiyun.notices.models import Notice
    from yiyun.notices.services import notice_delivered

    pending = (
        Notice.objects.filter(delivered_at__isnull=True, deliveries__state=SENT)
        .annotate(first=Min("deliveries__sent_at"))
        .order_by("pk")
    )
    done = 0
    for notice in pending[:BATCH]:
        notice_delivered(notice=notice, at=notice.first)
        done += 1
    return done


def outbox_run() -> None:
    """The worker's periodic job."""
    report = outbox_process(budget=RUN_BUDGET_SECONDS)
    delivered_sweep()
    if report.claimed:
        log.info("outbox: %s", report.as_dict())
