"""The outbox: what it costs to queue and send notices, against plain HTTP in the same run.

Builds a throw-away database (an SQLite file in a temporary directory; with DATABASE_URL
set, a scratch database `yy_bench_notices` on that server, dropped afterwards) and a
local SMS gateway (http.server on 127.0.0.1), then measures:

  reference   N plain urllib POSTs of the same payloads to the gateway (no database)
  queue       notice_send to N people on SMS (audience resolved and kept, payloads
              frozen, audit entry)
  send        outbox_process of those N SMS deliveries (claim, lease, attempt log,
              proof with SHA-256, 4.5 bookkeeping)
  claim       an empty claim with 0 due among B stored deliveries, and among none

and prints send/reference (the outbox's overhead per message over the bare HTTP call)
and claim(B stored)/claim(0 stored) (about 1 when the claim follows what is due).

    python bench/notices.py [--people 500] [--backlog 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/notices.py
"""

import sys
from pathlib import Path

# `python bench/notices.py` puts bench/ first on sys.path, where bench/calendar.py would
# shadow the standard library's calendar module: take it off before any import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from datetime import datetime  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]


def _setup(tmp: Path):
    os.environ.setdefault("YIYUN_VAR_DIR", str(tmp))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyun.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    postgres = bool(os.environ.get("DATABASE_URL"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases

    test_name = "yy_bench_notices" if postgres else str(tmp / "bench-test.sqlite3")
    connections["default"].settings_dict["TEST"]["NAME"] = test_name
    return setup_databases(verbosity=0, interactive=False)


def _gateway(request):
    return 200, {"id": "gw-" + request.headers.get("idempotency-key", "")}


def _world(people: int, gateway_url: str):
    from yiyun.notices.choices import ChannelKind, SmsGateway
    from yiyun.notices.models import Channel
    from yiyun.notices.services import channel_save
    from yiyun.tenancy.choices import OrganisationKind, Role
    from yiyun.tenancy.models import Person
    from yiyun.tenancy.services import organisation_ensure

    provider = organisation_ensure(name="联通阿克苏", kind=OrganisationKind.PROVIDER)
    customer = organisation_ensure(name="柯坪县人民医院", kind=OrganisationKind.CUSTOMER)
    customer.served_by.add(provider)
    Person.objects.bulk_create(
        Person(
            organisation=customer,
            name=f"联系人{n:05d}",
            role=Role.CUSTOMER_MEMBER,
            phone=f"138{n:08d}",
        )
        for n in range(people)
    )
    channel_save(
        channel=Channel(
            organisation=provider,
            kind=ChannelKind.SMS,
            name="网关",
            sms_gateway=SmsGateway.HTTP,
            endpoint=gateway_url,
        ),
        by="bench",
        secrets={"token": "bench-token"},
    )
    return provider, customer


def _reference(url: str, payloads: list[bytes]) -> float:
    start = time.perf_counter()
    for number, payload in enumerate(payloads):
        request = urllib.request.Request(  # noqa: S310 — the local gateway
            url,
            data=payload,
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer bench-token",
                "Idempotency-Key": f"ref-{number}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            response.read()
    return time.perf_counter() - start


def _backlog(notice, count: int) -> None:
    """`count` deliveries waiting far in the future (a retry backlog): never due here."""
    from django.db import transaction

    from yiyun.notices.models import Delivery

    later = datetime(2099, 1, 1, tzinfo=SHANGHAI)
    moment = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    with transaction.atomic():
        for start in range(0, count, 5000):
            Delivery.objects.bulk_create(
                Delivery(
                    notice=notice,
                    kind="sms",
                    organisation_id=notice.organisation_id,
                    address="13800000000",
                    idempotency_key=f"backlog-{n}",
                    payload=b"{}",
                    created_at=moment,
                    next_attempt_at=later,
                    attempts=1,
                )
                for n in range(start, min(count, start + 5000))
            )


def _timed_claim(repeat: int = 20) -> float:
    from yiyun.notices.outbox import outbox_claim

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        assert outbox_claim(worker="bench") == []
        best = min(best, time.perf_counter() - start)
    return best


def _analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _run(args) -> None:
    from django.db import connection

    from yiyun.notices.choices import ChannelKind, NoticeKind
    from yiyun.notices.models import Delivery
    from yiyun.notices.outbox import outbox_process
    from yiyun.notices.services import notice_create, notice_send
    from yiyun.notices.tests.peers import http_peer

    print(f"database: {connection.vendor}")
    # A running server or worker has its URLconf loaded; load it before timing.
    from django.urls import reverse

    reverse("notices:list")
    with http_peer(_gateway) as peer:
        provider, customer = _world(args.people, f"{peer.url}/sms")
        notice = notice_create(
            by="bench",
            organisation=provider,
            kind=NoticeKind.ANNOUNCEMENT,
            subject="平台通知",
            body="医疗云平台将于本周六进行例行巡检。",
            channels=[ChannelKind.SMS],
            audience_organisations=[customer],
        )
        start = time.perf_counter()
        notice_send(notice=notice, by="bench")
        queued = time.perf_counter() - start
        sms = Delivery.objects.filter(notice=notice, kind=ChannelKind.SMS)
        payloads = [bytes(p) for p in sms.values_list("payload", flat=True)]
        total = Delivery.objects.filter(notice=notice).count()
        print(
            f"queue  {total:>7,} SMS deliveries ({args.people:,} people):            "
            f"{queued:7.2f} s  {queued / total * 1000:6.2f} ms each"
        )

        reference = _reference(f"{peer.url}/sms", payloads)
        print(
            f"reference {len(payloads):>5,} plain POSTs:        {reference:7.2f} s  "
            f"{len(payloads) / reference:7.0f} msg/s"
        )
        start = time.perf_counter()
        report = outbox_process()
        sent = time.perf_counter() - start
        assert report.sent == len(payloads), report
        print(
            f"send   {report.sent:>7,} through the outbox:   {sent:7.2f} s  "
            f"{report.sent / sent:7.0f} msg/s"
        )
        print(f"ratio  send / reference: {sent / reference:5.2f}")

    _analyze()
    empty = _timed_claim()
    start = time.perf_counter()
    _backlog(notice, args.backlog)
    _analyze()
    print(f"stored {args.backlog:>9,} waiting deliveries in {time.perf_counter() - start:6.2f} s")
    full = _timed_claim()
    print(
        f"claim, 0 due / {Delivery.objects.count():>9,} stored: {full * 1000:7.2f} ms; "
        f"with nothing waiting: {empty * 1000:7.2f} ms"
    )
    print(f"ratio  claim(backlog) / claim(empty): {full / empty:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yy-bench-") as tmp:
        old_config = _setup(Path(tmp))
        from django.test.utils import teardown_databases

        try:
            _run(args)
        finally:
            teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
