"""Probe results, outages and availability; usage samples and the overuse check.

Standalone (`python bench/circuits.py`): migrates a throw-away SQLite database, loads the
seed contract and its four circuits, then times in the same run:

- `probe_record` (row lock, state machine, result row) against a bare insert of the
  same result row (the least any recording costs);
- `sample_record` with the 2.7.4 check on three metrics, with `--samples` samples
  already stored, against a bare insert of a sample row; once with values below the
  thresholds (the usual case), once with CPU above (the look back over the window);
- `availability()` of one month with `--outages` outages stored for the circuit, against
  a bare count of that circuit's outages;
- `probes_rollup` of one day of raw results (4 circuits, one a minute) against the bare
  GROUP BY query it runs.

Prints operations per second and the ratio to the reference of each pair.
"""

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/calendar.py would
# shadow the standard library's `calendar` (which yiyun.core.periods imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402


def _setup(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiyun.settings"
    os.environ["YIYUN_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _rate(run, count: int) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def _line(label: str, rate: float, reference: float) -> None:
    print(f"{label:<52} {rate:>10,.0f} ops/s {rate / reference:>8.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=3_000)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--outages", type=int, default=1_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yiyun-bench-") as var_dir:
        _setup(var_dir)
        import time_machine
        from django.db import connection
        from django.db.models import Count, Q
        from django.db.models.functions import TruncHour

        from yiyun.circuits.models import Outage, ProbeResult
        from yiyun.circuits.selectors import availability
        from yiyun.circuits.services import circuits_from_contract, probe_record, probes_rollup
        from yiyun.cloud.models import OveruseFinding, UsageSample
        from yiyun.cloud.services import sample_record
        from yiyun.contracts.services import SEED_CONTRACT, contract_load_file
        from yiyun.core.clock import SHANGHAI

        contract, _created = contract_load_file(path=SEED_CONTRACT, by="bench")
        circuits = circuits_from_contract(contract)
        circuit, other = circuits[0], circuits[1]
        start = datetime(2026, 3, 1, tzinfo=SHANGHAI)
        minute = timedelta(minutes=1)
        print(f"SQLite, {connection.vendor}; seed contract, {len(circuits)} circuits")

        # 1. probe results
        count = options.probes

        def bare_probes():
            for n in range(count):
                ProbeResult.objects.create(
                    circuit=other, at=start + n * minute, ok=True, rtt_us=900
                )

        def recorded_probes():
            for n in range(count):
                at = start + n * minute
                with time_machine.travel(at, tick=False):
                    probe_record(circuit=circuit, at=at, ok=n % 100 != 0, rtt_us=900)

        reference = _rate(bare_probes, count)
        print(f"\n{'bare ProbeResult insert':<52} {reference:>10,.0f} ops/s {1:>8.2f}×")
        _line("probe_record (lock, state, result)", _rate(recorded_probes, count), reference)

        # 2. usage samples and the 2.7.4 check
        stored = options.samples
        step = timedelta(minutes=5)
        UsageSample.objects.bulk_create(
            UsageSample(contract=contract, at=start + n * step, cpu=500, memory=600, storage=700)
            for n in range(stored)
        )
        later = start + stored * step
        count = 1_000

        def bare_samples():
            for n in range(count):
                UsageSample.objects.create(contract=contract, at=later + n * step + minute, cpu=500)

        def checked_samples():
            for n in range(count):
                sample_record(
                    contract=contract,
                    at=later + n * step,
                    cpu=500 + n % 300,
                    memory=600,
                    storage=700,
                )

        def hot_samples():
            # CPU above 90 % with every tenth sample back at 50 %: runs of 45 minutes,
            # so a finding opens after 30 minutes of each and its run then ends.
            for n in range(count):
                sample_record(
                    contract=contract,
                    at=later + (count + n) * step,
                    cpu=500 if n % 10 == 0 else 950,
                    memory=600,
                    storage=700,
                )

        reference = _rate(bare_samples, count)
        print(f"\n{stored:,} samples stored")
        print(f"{'bare UsageSample insert':<52} {reference:>10,.0f} ops/s {1:>8.2f}×")
        _line(
            "sample_record + overuse check, below thresholds",
            _rate(checked_samples, count),
            reference,
        )
        _line("sample_record + overuse check, CPU above", _rate(hot_samples, count), reference)
        print(f"{'':<52} ({OveruseFinding.objects.count()} findings opened)")

        # 3. availability of a month with many outages stored
        Outage.objects.bulk_create(
            Outage(
                circuit=other,
                started_at=start - timedelta(days=400) + n * timedelta(hours=9),
                detected_at=start - timedelta(days=400) + n * timedelta(hours=9) + 2 * minute,
                ended_at=start - timedelta(days=400) + n * timedelta(hours=9, minutes=30),
                duration_seconds=1800,
                failures=3,
            )
            for n in range(options.outages)
        )
        count = 300
        now = start + timedelta(days=400)

        def bare_count():
            for _ in range(count):
                Outage.objects.filter(circuit=other).count()

        def month_figures():
            for n in range(count):
                availability(other, year=2025, month=1 + n % 12, now=now)

        reference = _rate(bare_count, count)
        print(f"\n{options.outages:,} outages stored for the circuit")
        print(f"{'bare count of the outages':<52} {reference:>10,.0f} ops/s {1:>8.2f}×")
        _line("availability(month)", _rate(month_figures, count), reference)

        # 4. hourly roll-ups of a day of raw results for four circuits
        ProbeResult.objects.all().delete()
        day = datetime(2026, 4, 1, tzinfo=SHANGHAI)
        ProbeResult.objects.bulk_create(
            ProbeResult(circuit=c, at=day + n * minute, ok=n % 50 != 0, rtt_us=800 + n % 200)
            for c in circuits
            for n in range(1440)
        )

        def bare_group():
            list(
                ProbeResult.objects.order_by()
                .annotate(hour=TruncHour("at"))
                .values("circuit", "hour")
                .annotate(probes=Count("id"), failures=Count("id", filter=Q(ok=False)))
            )

        def rollup():
            probes_rollup(now=day + timedelta(days=1, hours=1))

        reference = _rate(bare_group, 1)
        print("\n4 circuits × 1,440 raw results (one day)")
        print(f"{'bare GROUP BY circuit, hour':<52} {reference:>10,.2f} runs/s {1:>7.2f}×")
        rate = _rate(rollup, 1)
        print(
            f"{'probes_rollup (96 hourly rows written)':<52} {rate:>10,.2f} runs/s {rate / reference:>7.2f}×"
        )


if __name__ == "__main__":
    main()
