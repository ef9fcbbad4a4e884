"""The service desk under load, each figure against a reference measured in the same run.

Standalone (`python bench/servicedesk.py [--tickets 10000]`): migrates a throw-away
SQLite database (or uses DATABASE_URL when --postgres is given), loads the seed contract,
then measures:

1. `ticket_create` (clock opened through the obligations engine, audit, timeline, inbox)
   against a bare `Ticket.objects.create` of the same row;
2. the ticket list filtered by "breached" (the set of breached clocks) among
   `--tickets` tickets, against the unfiltered scoped list;
3. `escalations_dispatch` with nothing new among `--events` stored obligation events,
   against one indexed `exists()` on the events table;
4. the SLA report of a month with `--month-tickets` tickets: figures, then the PDF,
   against WeasyPrint rendering a one-line page.

Prints seconds and ratios; never asserts on time.
"""

import sys
from pathlib import Path

# bench/calendar.py would shadow the standard library's `calendar` (Python puts the
# script's directory first on sys.path): take the directory off before anything imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402


def _setup(var_dir: str, postgres: bool) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiyun.settings"
    os.environ["YIYUN_VAR_DIR"] = var_dir
    if not postgres:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _best_of(repeats: int, run) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _line(label: str, seconds: float, reference: float, unit: str = "") -> None:
    print(f"  {label:<58} {seconds * 1000:10.2f} ms{unit}   ×{seconds / reference:8.1f}")


def main() -> None:  # noqa: C901 — a script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--month-tickets", type=int, default=1_000)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="use DATABASE_URL")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yiyun-bench-") as var_dir:
        _setup(var_dir, options.postgres)
        import time_machine
        from django.contrib.contenttypes.models import ContentType

        from yiyun.contracts.services import SEED_CONTRACT, contract_load_file
        from yiyun.core.clock import SHANGHAI
        from yiyun.obligations.choices import ObligationState
        from yiyun.obligations.models import Obligation, ObligationEvent
        from yiyun.servicedesk import reports
        from yiyun.servicedesk.choices import Channel, TicketKind
        from yiyun.servicedesk.escalation import escalations_dispatch
        from yiyun.servicedesk.models import Ticket
        from yiyun.servicedesk.selectors import tickets_filter, tickets_visible
        from yiyun.servicedesk.services import ticket_create
        from yiyun.tenancy.choices import Role
        from yiyun.tenancy.services import person_create, user_create

        start = datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI)
        with time_machine.travel(start, tick=False) as traveller:
            contract, _created = contract_load_file(path=SEED_CONTRACT, by="bench")
            customer, provider = contract.customer, contract.provider
            member = user_create(
                username="bench-member",
                password="bench-password-1",  # noqa: S106
                person=person_create(organisation=customer, name="bench", role=Role.CUSTOMER_ADMIN),
            )
            engineer = user_create(
                username="bench-engineer",
                password="bench-password-1",  # noqa: S106
                person=person_create(
                    organisation=provider, name="eng", role=Role.PROVIDER_ENGINEER
                ),
            )
            print(f"database: {'PostgreSQL' if options.postgres else 'SQLite'}")

            # 1. ticket_create against a bare row insert.
            creates = []

            def through_service():
                for index in range(options.creates):
                    traveller.shift(timedelta(seconds=1))
                    started = time.perf_counter()
                    ticket_create(
                        by=member, organisation=customer, title=f"t{index}", kind=TicketKind.FAULT
                    )
                    creates.append(time.perf_counter() - started)

            def bare():
                now = datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
                for index in range(options.creates):
                    Ticket.objects.create(
                        contract=contract,
                        organisation=customer,
                        title=f"b{index}",
                        kind=TicketKind.FAULT,
                        channel=Channel.PORTAL,
                        reported_at=now,
                        entered_at=now,
                        entered_by_label="bench",
                    )

            service_total = _best_of(1, through_service)
            bare_total = _best_of(1, bare)
            print(f"1. opening {options.creates} tickets")
            _line(
                "bare Ticket.objects.create (reference), per ticket",
                bare_total / options.creates,
                bare_total / options.creates,
            )
            _line(
                "ticket_create (clock, audit, timeline, inbox), per ticket",
                service_total / options.creates,
                bare_total / options.creates,
            )
            print(
                f"     ticket_create median {statistics.median(creates) * 1000:.2f} ms, "
                f"p95 {sorted(creates)[int(len(creates) * 0.95)] * 1000:.2f} ms"
            )

            # 2. the breached filter among many tickets.
            ticket_type = ContentType.objects.get_for_model(Ticket)
            existing = Ticket.objects.count()
            missing = max(options.tickets - existing, 0)
            moment = datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI)
            Ticket.objects.bulk_create(
                Ticket(
                    contract=contract,
                    organisation=customer,
                    title=f"bulk {index}",
                    kind=TicketKind.FAULT,
                    channel=Channel.PORTAL,
                    reported_at=moment,
                    entered_at=moment,
                    entered_by_label="bench",
                )
                for index in range(missing)
            )
            bulk = list(Ticket.objects.filter(obligation__isnull=True).values_list("pk", flat=True))
            Obligation.objects.bulk_create(
                Obligation(
                    contract=contract,
                    rule="2.2",
                    clause="2.2",
                    title="bench",
                    bound_party="provider",
                    subject_type=ticket_type,
                    subject_id=str(pk),
                    trigger_at=moment,
                    clock="hours",
                    limit=24,
                    base_due_at=moment + timedelta(hours=24),
                    due_at=moment + timedelta(hours=24),
                    state=ObligationState.BREACHED if pk % 50 == 0 else ObligationState.MET,
                    opened_at=moment,
                )
                for pk in bulk
            )
            if options.postgres:
                from django.db import connection

                with connection.cursor() as cursor:  # what autovacuum does after a load
                    cursor.execute("ANALYZE")
            total = Ticket.objects.count()
            visible = tickets_visible(engineer)
            reference = _best_of(
                options.repeats, lambda: list(visible.order_by("-reported_at")[:200])
            )
            breached = _best_of(
                options.repeats,
                lambda: list(tickets_filter(visible, breached=True).order_by("-reported_at")[:200]),
            )
            print(f"2. ticket list among {total} tickets ({total // 50} with a breach)")
            _line("scoped list, first 200 (reference)", reference, reference)
            _line("filtered by breached (set of breached clocks), first 200", breached, reference)

            # 3. the escalation dispatcher with nothing new to do.
            anchor = Obligation.objects.filter(subject_type=ticket_type).first()
            ObligationEvent.objects.bulk_create(
                ObligationEvent(obligation=anchor, kind="opened", at=moment, actor="bench")
                for _ in range(options.events)
            )
            if options.postgres:
                from django.db import connection

                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            escalations_dispatch()
            last = ObligationEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
            reference = _best_of(
                options.repeats, lambda: ObligationEvent.objects.filter(pk__gt=last).exists()
            )
            idle = _best_of(options.repeats, escalations_dispatch)
            print(
                f"3. escalation dispatch among {ObligationEvent.objects.count()} events, none new"
            )
            _line("events.filter(pk > last).exists() (reference)", reference, reference)
            _line("escalations_dispatch()", idle, reference)

            # 4. the SLA report of a busy month.
            month = reports.parse_month("2026-10")
            in_month = Ticket.objects.filter(contract=contract).count()
            from weasyprint import HTML

            reference = _best_of(
                options.repeats,
                lambda: HTML(string="<p>医云 SLA</p>").write_pdf(),
            )
            figures_time = _best_of(
                options.repeats, lambda: reports.sla_figures(contract=contract, month=month)
            )
            figures = reports.sla_figures(contract=contract, month=month)
            pdf_time = _best_of(
                options.repeats,
                lambda: reports.sla_pdf_bytes(figures, generated_at=start),
            )
            size = len(reports.sla_pdf_bytes(figures, generated_at=start))
            print(f"4. SLA report, {in_month} tickets in the month, PDF {size // 1024} KiB")
            _line("WeasyPrint, one line of Chinese (reference)", reference, reference)
            _line("sla_figures (queries)", figures_time, reference)
            _line("PDF of the report (render only)", pdf_time, reference)


if __name__ == "__main__":
    main()
