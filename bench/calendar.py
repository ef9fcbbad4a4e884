"""Adding N working days: yiyun's precomputed index against chinese_calendar.find_workday.

Standalone (`python bench/calendar.py [--count 100000]`): migrates a throw-away SQLite
database (which loads 2004–2026 from the package), then times both on the same random
inputs (dates 2005–2025, N 1–30) in the same run and prints operations per second and the
ratio. Three yiyun figures: the index alone (`working_day_after`), the index as the
application gets it (`calendar_index()` each time: the cache check included), and the
whole `periods.deadline()` (aware datetimes in and out, unconfirmed years).
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path


def _setup(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiyun.settings"
    os.environ["YIYUN_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)  # the throw-away SQLite file under var_dir
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _rate(run, count: int, repeats: int) -> float:
    """Operations per second: best of `repeats`, each run over all inputs as many times as
    fit in about half a second (at least once), so fast and slow candidates are timed on
    the same inputs with comparable precision."""
    best = 0.0
    for _ in range(repeats):
        rounds, started = 0, time.perf_counter()
        while True:
            run()
            rounds += 1
            elapsed = time.perf_counter() - started
            if elapsed >= 0.5:
                break
        best = max(best, rounds * count / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # chinese_calendar needs about a millisecond a call: 5,000 inputs keep the run short.
    parser.add_argument("--count", type=int, default=5_000, help="random inputs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261127)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yiyun-bench-") as var_dir:
        _setup(var_dir)
        import chinese_calendar

        from yiyun.core.choices import Clock
        from yiyun.core.clock import SHANGHAI
        from yiyun.core.periods import deadline
        from yiyun.core.selectors import calendar_index

        rng = random.Random(options.seed)
        first, span = date(2005, 1, 1), (date(2025, 12, 31) - date(2005, 1, 1)).days
        inputs = [
            (first + timedelta(days=rng.randrange(span + 1)), rng.randint(1, 30))
            for _ in range(options.count)
        ]
        moments = [(datetime(d.year, d.month, d.day, 10, tzinfo=SHANGHAI), n) for d, n in inputs]
        index = calendar_index()

        # Same answers first: from a working day, find_workday(n, d) is the n-th working
        # day after d (from a rest day it counts the next working day as day 0).
        for d, n in inputs[:500]:
            if chinese_calendar.is_workday(d):
                assert index.working_day_after(d, n) == chinese_calendar.find_workday(n, d)

        def reference():
            find = chinese_calendar.find_workday
            for d, n in inputs:
                find(n, d)

        def index_alone():
            after = index.working_day_after
            for d, n in inputs:
                after(d, n)

        def index_cached():
            for d, n in inputs:
                calendar_index().working_day_after(d, n)

        def full_deadline():
            for moment, n in moments:
                deadline(moment, clock=Clock.WORKDAYS, n=n)

        count, repeats = options.count, options.repeats
        reference_rate = _rate(reference, count, repeats)
        print(f"inputs: {count} (dates 2005–2025, N 1–30), best of {repeats} runs")
        print(f"{'chinese_calendar.find_workday':<36} {reference_rate:>12,.0f} ops/s {1:>7}×")
        for label, run in (
            ("yiyun index.working_day_after", index_alone),
            ("yiyun calendar_index() + index", index_cached),
            ("yiyun periods.deadline()", full_deadline),
        ):
            rate = _rate(run, count, repeats)
            print(f"{label:<36} {rate:>12,.0f} ops/s {rate / reference_rate:>7,.0f}×")


if __name__ == "__main__":
    main()
