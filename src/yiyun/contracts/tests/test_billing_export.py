"""Export for the hospital's finance office: statement, schedule and payments as xlsx,
opened with openpyxl and its totals checked."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yiyun.contracts.billing import billing_payment_record
from yiyun.contracts.tests.factories import seed_contract
from yiyun.obligations.tests.helpers import at


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        contract = seed_contract(world)
    with at(2024, 12, 20, 10):
        billing_payment_record(
            schedule_item=contract.payment_schedule.get(position=1),
            amount="400000.00",
            paid_on=date(2024, 12, 18),
            reference="CZ-2024-118",
            invoice_number="65001234",
            by=world.admin_a,
        )
        billing_payment_record(
            schedule_item=contract.payment_schedule.get(position=1),
            amount="92000.00",
            paid_on=date(2024, 12, 20),
            reference="CZ-2024-121",
            invoice_number="65001235",
            by=world.admin_a,
        )
    return contract


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_statement_and_payments_exported_to_xlsx(contract, world, login):
    with at(2025, 1, 5, 10):
        response = login(world.admin_a).get(
            reverse("contracts:billing_export", kwargs={"pk": contract.pk}),
            {"start": "2024-01-01", "end": "2024-12-31"},
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["对账单", "付款计划", "付款记录"]

    statement = book["对账单"]
    assert statement["B2"].value == "11N4580043372024116202"
    rows = list(statement.iter_rows(min_row=8, values_only=True))
    lines, total = rows[:-1], rows[-1]
    # One cloud line (2024 in full) and twelve circuit months.
    assert len(lines) == 13
    assert lines[0][3] == "云服务器费用" and _money(lines[0][9]) == Decimal("492000.00")
    assert isinstance(lines[0][4], datetime) and lines[0][4].date() == date(2024, 1, 1)
    assert all(_money(line[9]) == Decimal("500.00") for line in lines[1:])
    # The total row: 492,000 + 12 × 500 = 498,000, equal to the sum of the lines.
    assert total[0] == "合计"
    assert _money(total[9]) == Decimal("498000.00") == sum(_money(line[9]) for line in lines)
    assert total[10] == "肆拾玖万捌仟元整"
    assert statement["J8"].number_format == "#,##0.00"

    schedule = list(book["付款计划"].iter_rows(min_row=2, values_only=True))
    *items, schedule_total = schedule
    assert [(item[1], _money(item[3]), _money(item[4])) for item in items] == [
        ("云服务器费用", Decimal("492000.00"), Decimal("492000.00")),
        ("电路费用", Decimal("6000.00"), Decimal("0.00")),
    ]
    # Scheduled 492,000 + 6,000 = 498,000; paid 492,000; open 6,000.
    assert [_money(value) for value in schedule_total[3:6]] == [
        Decimal("498000.00"),
        Decimal("492000.00"),
        Decimal("6000.00"),
    ]

    payments = list(book["付款记录"].iter_rows(min_row=2, values_only=True))
    *paid, paid_total = payments
    assert [(row[3], row[4], _money(row[2])) for row in paid] == [
        ("CZ-2024-118", "65001234", Decimal("400000.00")),
        ("CZ-2024-121", "65001235", Decimal("92000.00")),
    ]
    # 400,000 + 92,000 = 492,000
    assert _money(paid_total[2]) == Decimal("492000.00")
