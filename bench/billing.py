"""Billing and acceptance (issue 10): what a statement, a settlement, an export and the
signed acceptance PDF cost, each against a reference measured in the same run.

Builds a throw-away database (an SQLite file in a temporary directory; with
DATABASE_URL set, a scratch database `yy_bench_billing` on that server, dropped
afterwards), loads the seed contract and times (median of --runs):

  statement of one contract year           reference: payment_lines (one schedule read)
  statement of the three years             (36 circuit months, 3 cloud years)
  … with --changes priced changes          (monthly prices, applied through the years)
  settlement of the whole contract
  xlsx export of the three years           reference: the three-year statement
  acceptance record PDF (验收记录单)        reference: WeasyPrint on a one-line page

The ratios say how the cost grows with the lines of a statement, and what the documents
add to computing it.

    python -m bench.billing [--runs 5] [--changes 100]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.billing
"""

import sys
from pathlib import Path

# `python bench/billing.py` puts bench/ first on sys.path, where bench/calendar.py would
# shadow the standard library's calendar module: take it off before any import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

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

    test_name = "yy_bench_billing" if postgres else str(tmp / "bench-test.sqlite3")
    connections["default"].settings_dict["TEST"]["NAME"] = test_name
    return setup_databases(verbosity=0, interactive=False, serialized_aliases=set())


def _median(call, runs: int) -> float:
    call()  # warm: templates, translations, fonts, the calendar
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _line(label: str, seconds: float, reference: float | None = None, name: str = "") -> None:
    ratio = f"  ×{seconds / reference:6.2f} {name}" if reference else "  (reference)"
    print(f"{label:<46} {seconds * 1000:9.2f} ms{ratio}")


def _run(args) -> None:
    from weasyprint import HTML

    from yiyun.contracts.acceptance import (
        acceptance_conclude,
        acceptance_criterion_record,
        acceptance_pdf_render,
        acceptance_record_create,
    )
    from yiyun.contracts.billing import (
        PricedChange,
        PricedChangeLine,
        billing_workbook,
        settlement_compute,
        statement_compute,
    )
    from yiyun.contracts.selectors import payment_lines
    from yiyun.contracts.services import SEED_CONTRACT, contract_load_file
    from yiyun.core import clock

    contract, _ = contract_load_file(path=SEED_CONTRACT, by="bench")
    start, end = contract.start, contract.end
    year_end = date(2024, 12, 31)
    changes = [
        PricedChange(
            reference=f"变更 #{n}",
            title="扩容",
            applied_on=start + timedelta(days=7 * n % 1000),
            lines=(
                PricedChangeLine(description="内存 16 GiB", amount=Decimal("400"), period="month"),
            ),
        )
        for n in range(args.changes)
    ]
    from django.db import connection

    print(f"database: {connection.vendor}; median of {args.runs}")
    reference = _median(lambda: payment_lines(contract), args.runs)
    _line("payment_lines (二.2 schedule)", reference)
    one_year = _median(
        lambda: statement_compute(contract, start=start, end=year_end, changes=[]), args.runs
    )
    _line("statement, one year (13 lines)", one_year, reference, "payment_lines")
    three = _median(
        lambda: statement_compute(contract, start=start, end=end, changes=[]), args.runs
    )
    lines = len(statement_compute(contract, start=start, end=end, changes=[]).lines)
    _line(f"statement, three years ({lines} lines)", three, one_year, "one year")
    many = statement_compute(contract, start=start, end=end, changes=changes)
    with_changes = _median(
        lambda: statement_compute(contract, start=start, end=end, changes=changes), args.runs
    )
    _line(
        f"… with {args.changes} changes ({len(many.lines)} lines)",
        with_changes,
        three,
        "no changes",
    )
    settle = _median(lambda: settlement_compute(contract), args.runs)
    _line("settlement, whole contract", settle, three, "statement")
    export = _median(lambda: billing_workbook(contract, start=start, end=end), args.runs)
    _line("xlsx export, three years", export, three, "statement")

    record = acceptance_record_create(
        contract=contract,
        held_at=clock.now(),
        place="机房",
        customer_participants="信息科",
        provider_participants="客户经理",
        by="bench",
    )
    for criterion in record.criteria.all():
        acceptance_criterion_record(
            criterion=criterion, measured="实测符合", passed=True, by="bench"
        )
    acceptance_conclude(record=record, by="bench")
    minimal = _median(lambda: HTML(string="<p>验收记录单</p>").write_pdf(), args.runs)
    _line("WeasyPrint, one-line page", minimal)
    pdf = _median(lambda: acceptance_pdf_render(record), args.runs)
    _line("acceptance record PDF (8 criteria)", pdf, minimal, "one-line page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changes", type=int, default=100)
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
