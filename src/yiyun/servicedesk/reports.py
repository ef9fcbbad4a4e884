"""The monthly SLA report of a contract: figures, HTML, PDF (WeasyPrint, Noto CJK), and
verification of an issued PDF by its SHA-256.

The figures come from the obligations engine and the tickets: tickets by kind,
obligations per clause (opened, met, met late, breached, waived, still open), time to
handle/resolve (median and worst, pauses excluded), pauses with their reasons, and the
5.1 penalties accrued on every candidate base. `content_sha256` is a digest of the
figures themselves (the same data gives the same digest, so it can be recomputed);
each issued PDF's own SHA-256 is recorded, so a copy handed around can be verified.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from datetime import date, datetime, time
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from yiyun.contracts.ledger import BASE_LABELS
from yiyun.contracts.models import Contract, Penalty
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.core.money import cny, in_capitals, in_figures
from yiyun.obligations.choices import EventKind, ObligationState
from yiyun.obligations.models import Obligation, ObligationEvent
from yiyun.servicedesk.choices import KIND_RULE, TicketKind
from yiyun.servicedesk.models import SlaReport, Ticket

# Under templates/ so it ships with the package (package-data), never served to browsers.
PDF_CSS = Path(__file__).resolve().parent / "templates" / "servicedesk" / "pdf" / "sla.css"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """'2026-10' → 2026-10-01; DomainError otherwise."""
    match = MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise DomainError(_("月份格式应为 YYYY-MM，例如 2026-10"), field="month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month in Asia/Shanghai: [00:00 of its first day, 00:00 of the next month's)."""
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=SHANGHAI)
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime.combine(following, time(0), tzinfo=SHANGHAI)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("%(m)s分钟") % {"m": minutes}


def _local(moment: datetime | None) -> str:
    return f"{clock.local(moment):%Y-%m-%d %H:%M}" if moment else ""


def _in(field: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def sla_figures(*, contract: Contract, month: date) -> dict:
    """Everything the report shows, as plain data (labels in the active language)."""
    start, end = month_bounds(month)
    tickets = Ticket.objects.filter(contract=contract)
    kinds = []
    for kind in TicketKind:
        of_kind = tickets.filter(kind=kind)
        kinds.append(
            {
                "kind": kind.value,
                "label": str(kind.label),
                "clause": KIND_RULE[kind],
                "reported": of_kind.filter(_in("reported_at", start, end)).count(),
                "resolved": of_kind.filter(_in("resolved_at", start, end)).count(),
                "open_at_end": of_kind.filter(reported_at__lt=end)
                .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
                .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
                .count(),
            }
        )
    obligations = Obligation.objects.filter(contract=contract)
    clauses = _clause_rows(obligations, start, end)
    ticket_type = ContentType.objects.get_for_model(Ticket)
    durations = _durations(obligations.filter(subject_type=ticket_type), start, end)
    pauses = _pauses(obligations, start, end, ticket_type)
    penalties, totals = _penalties(contract, start, end)
    figures = {
        "contract": {
            "number": contract.number,
            "title": contract.title,
            "customer": contract.customer.name,
            "provider": contract.provider.name,
            "service_period": f"{contract.start} — {contract.end}",
            "status": str(contract.get_status_display()),
        },
        "month": f"{month:%Y-%m}",
        "period": f"{_local(start)} — {_local(end)}",
        "tickets": {
            "by_kind": kinds,
            "reported": sum(row["reported"] for row in kinds),
            "resolved": sum(row["resolved"] for row in kinds),
            "open_at_end": sum(row["open_at_end"] for row in kinds),
        },
        "clauses": clauses,
        "obligations": {
            key: sum(row[key] for row in clauses)
            for key in ("opened", "met", "met_late", "breached", "waived", "open_at_end")
        },
        "durations": durations,
        "pauses": pauses,
        "penalties": penalties,
        "penalty_totals": totals,
    }
    figures["content_sha256"] = content_digest(figures)
    return figures


def content_digest(figures: dict) -> str:
    """SHA-256 of the figures (without the digest itself), canonical JSON."""
    payload = {key: value for key, value in figures.items() if key != "content_sha256"}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _clause_key(rule: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 999 for part in rule.split("."))


def _clause_rows(obligations, start, end) -> list[dict]:
    relevant = obligations.filter(
        _in("trigger_at", start, end)
        | _in("met_at", start, end)
        | _in("breached_at", start, end)
        | _in("closed_at", start, end)
        | Q(trigger_at__lt=end, state=ObligationState.OPEN)
        | Q(trigger_at__lt=end, closed_at__gte=end)
    ).values("rule", "clause", "title", "state", "trigger_at", "met_at", "breached_at", "closed_at")
    rows: dict[str, dict] = {}
    for row in relevant:
        entry = rows.setdefault(
            row["rule"],
            {
                "rule": row["rule"],
                "clause": row["clause"],
                "title": row["title"],
                "opened": 0,
                "met": 0,
                "met_late": 0,
                "breached": 0,
                "waived": 0,
                "open_at_end": 0,
            },
        )
        state, met_at, breached_at, closed_at = (
            row["state"],
            row["met_at"],
            row["breached_at"],
            row["closed_at"],
        )
        if start <= row["trigger_at"] < end:
            entry["opened"] += 1
        if met_at and start <= met_at < end:
            entry["met" if state == ObligationState.MET else "met_late"] += 1
        if breached_at and start <= breached_at < end:
            entry["breached"] += 1
        if state == ObligationState.WAIVED and closed_at and start <= closed_at < end:
            entry["waived"] += 1
        still_open = closed_at is None or closed_at >= end
        if row["trigger_at"] < end and still_open and not (breached_at and breached_at < end):
            entry["open_at_end"] += 1
    return [rows[key] for key in sorted(rows, key=_clause_key)]


def _durations(obligations, start, end) -> list[dict]:
    """Per rule: time from the report to handling/resolution/solution, paused time
    excluded, for the obligations met (in time or late) this month."""
    done = obligations.filter(_in("met_at", start, end)).values(
        "rule", "clause", "title", "trigger_at", "met_at", "paused_for", "state"
    )
    groups: dict[str, dict] = {}
    for row in done:
        seconds = (row["met_at"] - row["trigger_at"] - row["paused_for"]).total_seconds()
        group = groups.setdefault(
            row["rule"],
            {"rule": row["rule"], "clause": row["clause"], "title": row["title"], "values": []},
        )
        group["values"].append(max(seconds, 0))
    result = []
    for key in sorted(groups, key=_clause_key):
        values = groups[key]["values"]
        median = statistics.median(values)
        worst = max(values)
        result.append(
            {
                "rule": key,
                "clause": groups[key]["clause"],
                "title": groups[key]["title"],
                "count": len(values),
                "median_seconds": int(median),
                "worst_seconds": int(worst),
                "median": duration_text(median),
                "worst": duration_text(worst),
            }
        )
    return result


def _pauses(obligations, start, end, ticket_type) -> list[dict]:
    events = list(
        ObligationEvent.objects.filter(
            obligation__in=obligations,
            kind__in=[EventKind.PAUSED, EventKind.RESUMED],
            at__lt=end,
        )
        .select_related("obligation")
        .order_by("obligation_id", "at", "pk")
    )
    ticket_ids = {
        int(event.obligation.subject_id)
        for event in events
        if event.obligation.subject_type_id == ticket_type.pk
    }
    numbers = {
        pk: f"#{pk:06d}"
        for pk in Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", flat=True)
    }
    rows, current = [], {}
    for event in events:
        obligation = event.obligation
        if event.kind == EventKind.PAUSED:
            current[obligation.pk] = event
            continue
        paused = current.pop(obligation.pk, None)
        if paused is not None:
            rows.append(_pause_row(paused, event.at, obligation, numbers, ticket_type))
    for paused in current.values():
        # Still paused, or the obligation ended (met, waived) while paused.
        ended = paused.obligation.closed_at
        ended = ended if ended is not None and ended < end else None
        rows.append(_pause_row(paused, ended, paused.obligation, numbers, ticket_type))
    # A pause belongs to the month when any of it falls in the month.
    rows = [
        row
        for row in rows
        if row["_from"] < end and (row["_until"] is None or row["_until"] >= start)
    ]
    rows.sort(key=lambda row: row["_from"])
    for row in rows:
        row.pop("_from")
        row.pop("_until")
    return rows


def _pause_row(paused, resumed_at, obligation, numbers, ticket_type) -> dict:
    subject = ""
    if obligation.subject_type_id == ticket_type.pk:
        subject = _("工单 %(number)s") % {"number": numbers.get(int(obligation.subject_id), "")}
    seconds = (resumed_at - paused.at).total_seconds() if resumed_at else None
    return {
        "clause": obligation.clause,
        "subject": subject,
        "from": _local(paused.at),
        "until": _local(resumed_at) if resumed_at else _("仍在暂停"),
        "duration": duration_text(seconds) if seconds is not None else "—",
        "reason": paused.note,
        "_from": paused.at,
        "_until": resumed_at,
    }


def _penalties(contract, start, end) -> tuple[list[dict], list[dict]]:
    # 5.1: 5% of the contract total per breached clause; every candidate base is shown
    # until the parties settle which total is meant.
    rows = Penalty.objects.filter(contract=contract, rule="5.1").filter(
        _in("recorded_at", start, end)
    )
    penalties, totals = [], {}
    for penalty in rows.order_by("recorded_at", "pk"):
        label = str(BASE_LABELS.get(penalty.base_key, penalty.base_key))
        penalties.append(
            {
                "clause": penalty.clause,
                "at": _local(penalty.recorded_at),
                "base": label,
                "base_amount": in_figures(penalty.base_amount),
                "amount": in_figures(penalty.amount),
                "status": str(penalty.get_status_display()),
            }
        )
        if penalty.status != "void":
            totals[label] = totals.get(label, cny(0)) + penalty.amount
    return penalties, [
        {"base": label, "amount": in_figures(amount), "capitals": in_capitals(amount)}
        for label, amount in totals.items()
    ]


# -- rendering ---------------------------------------------------------------------------


def sla_html(figures: dict, *, standalone: bool, generated_at: datetime | None = None) -> str:
    template = "servicedesk/sla_report_pdf.html" if standalone else "servicedesk/_sla_body.html"
    return render_to_string(
        template,
        {"figures": figures, "generated_at": _local(generated_at or clock.now())},
    )


def sla_pdf_bytes(figures: dict, *, generated_at: datetime) -> bytes:
    from weasyprint import CSS, HTML

    html = sla_html(figures, standalone=True, generated_at=generated_at)
    return HTML(string=html, base_url=str(PDF_CSS.parent)).write_pdf(
        stylesheets=[CSS(filename=str(PDF_CSS))]
    )


@transaction.atomic
def sla_report_issue(
    *, contract: Contract, month: date, by, language: str = "zh-hans"
) -> tuple[bytes, SlaReport]:
    """Render the month's report as PDF (Chinese by default), record its SHA-256 (and the
    figures' digest) so the copy can be verified later, and audit the issue."""
    moment = clock.now()
    with translation.override(language):
        figures = sla_figures(contract=contract, month=month)
        pdf = sla_pdf_bytes(figures, generated_at=moment)
    digest = hashlib.sha256(pdf).hexdigest()
    report = SlaReport.objects.create(
        contract=contract,
        month=month,
        language=language,
        sha256=digest,
        content_sha256=figures["content_sha256"],
        size=len(pdf),
        figures=figures,
        generated_at=moment,
        generated_by_label=by if isinstance(by, str) else by.get_username(),
    )
    audit_record(
        actor=by,
        action="sla_report.issued",
        obj=report,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "month": f"{month:%Y-%m}",
            "sha256": digest,
            "content_sha256": figures["content_sha256"],
            "size": len(pdf),
        },
    )
    return pdf, report


def sla_report_verify(*, data: bytes | None = None, sha256: str = "", queryset=None):
    """The issued report a PDF (or its SHA-256) belongs to, or None when the platform
    never issued it (or it was altered). `queryset` narrows the search (scoping)."""
    if data is not None:
        sha256 = hashlib.sha256(data).hexdigest()
    sha256 = (sha256 or "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise DomainError(_("SHA-256 应为64位十六进制"), field="sha256")
    queryset = SlaReport.objects.all() if queryset is None else queryset
    return queryset.select_related("contract").filter(sha256=sha256).order_by("pk").first()


def report_filename(report_or_contract, month: date) -> str:
    number = getattr(report_or_contract, "number", None) or report_or_contract.contract.number
    return f"SLA-{number}-{month:%Y-%m}.pdf"


__all__ = [
    "content_digest",
    "duration_text",
    "month_bounds",
    "parse_month",
    "report_filename",
    "sla_figures",
    "sla_html",
    "sla_pdf_bytes",
    "sla_report_issue",
    "sla_report_verify",
]
