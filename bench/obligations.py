"""How a tick's cost grows: with what is due, not with what is stored.

Builds a throw-away database (an SQLite file in a temporary directory; with
DATABASE_URL set, a scratch database `yy_bench_obligations` created on that server and
dropped afterwards), stores obligations of the seed contract and times `tick`:

  reference   100 due among     10,000 stored
  then          0 / 100 / 10,000 due among 1,000,000 stored

and prints the ratio of the 100-due tick over 1,000,000 stored to the same tick over
10,000 stored — about 1 when the cost follows what is due. A due obligation is a 2.2
breach with everything that follows (event, audit entry, 5.1 penalties on both bases,
the 2.2 right, in-site messages to both parties), so the 10,000-due tick does real work.

    python bench/obligations.py [--stored 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/obligations.py
"""

import sys
from pathlib import Path

# `python bench/obligations.py` puts bench/ first on sys.path, where bench/calendar.py
# would shadow the standard library's calendar module: take it off before any import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]
BATCH = 20_000


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

    test_name = "yy_bench_obligations" if postgres else str(tmp / "bench-test.sqlite3")
    connections["default"].settings_dict["TEST"]["NAME"] = test_name

    return setup_databases(verbosity=0, interactive=False, serialized_aliases=set()), postgres


def _world():
    """The seed contract, with an admin on each side to receive messages."""
    from yiyun.contracts.services import SEED_CONTRACT, contract_load_file
    from yiyun.tenancy.choices import Role
    from yiyun.tenancy.services import person_create

    contract, _ = contract_load_file(path=SEED_CONTRACT, by="bench")
    person_create(organisation=contract.customer, name="信息科", role=Role.CUSTOMER_ADMIN)
    person_create(organisation=contract.provider, name="客户经理", role=Role.PROVIDER_ADMIN)
    return contract


def _store(contract, *, count: int, due_at: datetime | None) -> None:
    """Insert `count` 2.2 obligations: due at `due_at`, or (None) the background — two
    thirds open and due far in the future, one third met long ago.

    Rows of one kind are identical but for their id, so each kind is prepared once by the
    model's own fields (`get_db_prep_save`) and inserted in bulk: executemany on SQLite,
    COPY on PostgreSQL. (Django's bulk_create does the same, some fifty times slower.)
    """
    if due_at is not None:
        _insert(_row(contract, due_at - timedelta(hours=24), due_at, "open", remind=False), count)
        return
    far = datetime(2099, 1, 1, tzinfo=SHANGHAI)
    past = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    closed = count // 3
    _insert(_row(contract, far, far + timedelta(hours=24), "open", remind=True), count - closed)
    _insert(_row(contract, past, past + timedelta(hours=24), "met", remind=False), closed)


def _row(contract, trigger: datetime, due: datetime, state: str, *, remind: bool) -> tuple:
    from django.db import connection

    from yiyun.obligations.models import Obligation

    past = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    sample = Obligation(
        contract=contract,
        rule="2.2",
        clause="2.2",
        title="故障发生后24小时内处理完毕",
        kind="duty",
        bound_party="provider",
        clock="hours",
        limit=24,
        penalty_rule="5.1",
        right="customer_may_terminate",
        consequence="甲方有权解除合同",
        opened_at=past,
        trigger_at=trigger,
        base_due_at=due,
        due_at=due,
        state=state,
        met_at=due if state == "met" else None,
        closed_at=due if state == "met" else None,
        # Background reminders fall far in the future: never due in these ticks.
        next_remind_at=datetime(2099, 1, 1, tzinfo=SHANGHAI) if remind else None,
    )
    return tuple(
        field.get_db_prep_save(getattr(sample, field.attname), connection) for field in _fields()
    )


def _fields():
    from yiyun.obligations.models import Obligation

    return [field for field in Obligation._meta.concrete_fields if not field.primary_key]


def _insert(row: tuple, count: int) -> None:
    from django.db import connection, transaction

    from yiyun.obligations.models import Obligation

    table = connection.ops.quote_name(Obligation._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in _fields())
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for _ in range(count):
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(row))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 — names from the model
        for start in range(0, count, BATCH):
            cursor.executemany(sql, [row] * min(BATCH, count - start))


def _settle():
    """Fresh statistics, and (SQLite) the bulk load checkpointed out of the WAL, so the
    first tick after a load does not pay for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _timed_tick(moment: datetime, *, expect: int) -> float:
    from yiyun.obligations.services import tick

    start = time.perf_counter()
    report = tick(now=moment)
    elapsed = time.perf_counter() - start
    assert report.breached == expect and not report.failed, report.as_dict()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=10_000)
    parser.add_argument("--many", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="0- and 100-due ticks: median of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yy-bench-") as tmp:
        old_config, postgres = _setup(Path(tmp))
        from django.db import connection
        from django.test.utils import teardown_databases

        try:
            _run(args, connection.vendor)
        finally:
            teardown_databases(old_config, verbosity=0)


def _median_ticks(moments: list[datetime], expect: int) -> float:
    return statistics.median(_timed_tick(moment, expect=expect) for moment in moments)


def _run(args, vendor: str) -> None:
    moments = iter(
        datetime(2026, 6, 1, 10, tzinfo=SHANGHAI) + timedelta(minutes=m) for m in range(1000)
    )
    contract = _world()
    print(f"database: {vendor}; 0- and 100-due ticks: median of {args.repeat}")

    # Reference: `reference` stored, among them `repeat` × 100 due at successive moments
    # (after a warm-up tick with 10 due, so measured ticks run with warm caches).
    start = time.perf_counter()
    warm = next(moments)
    idle_small = [next(moments) for _ in range(args.repeat)]
    small_due = [next(moments) for _ in range(args.repeat)]
    _store(contract, count=10, due_at=warm)
    for moment in small_due:
        _store(contract, count=100, due_at=moment)
    _store(contract, count=args.reference - 10 - 100 * args.repeat, due_at=None)
    _settle()
    print(f"stored {args.reference:>9,} obligations in {time.perf_counter() - start:7.2f} s")
    _timed_tick(warm, expect=10)
    idle = _median_ticks(idle_small, 0)
    reference = _median_ticks(small_due, 100)
    print(f"tick,      0 due / {args.reference:>9,} stored: {idle * 1000:9.1f} ms")
    print(
        f"tick,    100 due / {args.reference:>9,} stored: {reference * 1000:9.1f} ms  (reference)"
    )

    # Grow to `stored`, with `repeat` × 100 and then `many` due later on.
    start = time.perf_counter()
    idle_big = [next(moments) for _ in range(args.repeat)]
    big_due = [next(moments) for _ in range(args.repeat)]
    many_at = next(moments)
    for moment in big_due:
        _store(contract, count=100, due_at=moment)
    _store(contract, count=args.many, due_at=many_at)
    _store(
        contract,
        count=args.stored - args.reference - 100 * args.repeat - args.many,
        due_at=None,
    )
    _settle()
    from yiyun.obligations.models import Obligation

    total = Obligation.objects.count()
    print(f"stored {total:>9,} obligations in {time.perf_counter() - start:7.2f} s")
    none_due = _median_ticks(idle_big, 0)
    hundred = _median_ticks(big_due, 100)
    many = _timed_tick(many_at, expect=args.many)
    print(f"tick,      0 due / {total:>9,} stored: {none_due * 1000:9.1f} ms")
    print(f"tick,    100 due / {total:>9,} stored: {hundred * 1000:9.1f} ms")
    print(f"tick, {args.many:>6,} due / {total:>9,} stored: {many * 1000:9.1f} ms")
    print(
        f"ratio: 100-due tick over {total:,} stored / over {args.reference:,} stored = "
        f"{hundred / reference:.2f}"
    )
    print(
        f"ratio: 0-due tick over {total:,} stored / over {args.reference:,} stored = "
        f"{none_due / idle:.2f}"
    )
    print(f"per due obligation: {many / args.many * 1000:.2f} ms (breach, ledger, audit, messages)")


if __name__ == "__main__":
    main()
