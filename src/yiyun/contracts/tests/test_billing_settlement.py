"""Settlement (5.3): fees up to the date the termination took effect, payments made,
penalties from the breach ledger on the settled base; page, PDF, API."""

import subprocess
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from yiyun.contracts.billing import (
    billing_payment_record,
    billing_setup,
    billing_sync,
    settlement_compute,
    settlement_pdf,
)
from yiyun.contracts.services import open_parameter_set
from yiyun.contracts.tests.factories import seed_contract, terminated_under_5_3
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import obligation_open, tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def terminated(world):
    with at(2024, 1, 5, 9):
        contract = seed_contract(world)
        billing_setup(contract=contract)
    with at(2024, 12, 20, 10):
        billing_payment_record(
            schedule_item=contract.payment_schedule.get(position=1),
            amount="492000.00",
            paid_on=date(2024, 12, 20),
            reference="CZ-2024-201",
            invoice_number="65009876",
            by=world.admin_a,
        )
    # A fault (2.2) the provider does not handle within 24 h: breached on 2025-02-11 10:00.
    with at(2025, 2, 10, 10):
        obligation_open(contract=contract, clause="2.2", trigger_at=bj(2025, 2, 10, 10))
    tick(now=bj(2025, 2, 11, 11))
    # The parties settle 5.1's base: the table's 492,000.
    with at(2025, 3, 1, 10):
        open_parameter_set(
            parameter=contract.open_parameters.get(key="penalty_base"),
            value="table_total",
            by=world.admin_a,
        )
    # 5.3: the customer terminates; effective when its notice is delivered, 03-15 10:00.
    return terminated_under_5_3(world, contract)


def test_clause_5_3_termination_settlement_figures_by_hand(terminated):
    settlement = settlement_compute(terminated)
    assert settlement.final and settlement.basis == "5.3"
    assert settlement.last_day == date(2025, 3, 15)
    lines = {(line.description, line.period_start): line for line in settlement.statement.lines}
    # Cloud: contract year 2024 in full, 492,000.00; then 2025-01-01..03-15 = 31 + 28 + 15 =
    # 74 of 365 days: 492,000 × 74 / 365 = 36,408,000 / 365 = 99,747.945… → 99,747.95.
    assert lines[("云服务器费用", date(2024, 1, 1))].amount == Decimal("492000.00")
    assert lines[("云服务器费用", date(2025, 1, 1))].amount == Decimal("99747.95")
    # Circuits: 14 whole months (2024-01 .. 2025-02) × 500 = 7,000.00, then 15 of March's
    # 31 days: 500 × 15 / 31 = 241.935… → 241.94.
    circuits = [
        line for line in settlement.statement.lines if line.description.startswith("点对点")
    ]
    assert len(circuits) == 15
    assert sum(line.amount for line in circuits[:-1]) == Decimal("7000.00")
    assert circuits[-1].amount == Decimal("241.94")
    # Fees: 492,000 + 99,747.95 + 7,000 + 241.94 = 598,989.89
    assert settlement.fees == Decimal("598989.89")
    assert settlement.paid == Decimal("492000.00")
    # The ledger, on the settled base (492,000): the provider's 5.1 penalty for 2.2,
    # 5% × 492,000 = 24,600.00; the customer paid on time, so it owes none.
    assert settlement.base_settled
    (line,) = settlement.lines
    assert line.base.key == "table_total"
    assert (line.customer_penalties, line.provider_penalties) == (Decimal(0), Decimal("24600.00"))
    # Balance: 598,989.89 − 492,000 + 0 − 24,600 = 82,389.89, owed by the customer.
    assert line.balance == Decimal("82389.89")
    assert line.balance_capitals == "捌万贰仟叁佰捌拾玖元捌角玖分"
    assert [right.code for right in settlement.rights] == ["customer_may_terminate"]


def test_clause_5_3_pending_payments_give_way_to_the_settlement(terminated):
    circuits_due = Obligation.objects.get(rule="二.2", state=ObligationState.OPEN)
    with at(2025, 3, 15, 11, 1):
        billing_sync()
    circuits_due.refresh_from_db()
    assert circuits_due.state == ObligationState.WAIVED
    # Nothing breaches at 2026-01-01 for a contract that ended in March 2025.
    tick(now=bj(2026, 1, 1, 0, 1))
    assert not terminated.penalties.filter(liable_party="customer").exists()


def test_clause_5_3_settlement_page_pdf_and_api(terminated, world, login):
    client = login(world.admin_a)
    page = client.get(reverse("contracts:billing_settlement", kwargs={"pk": terminated.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("¥598,989.89", "¥492,000.00", "¥24,600.00", "¥82,389.89", "甲方应付乙方"):
        assert text in html, text
    api = client.get(f"/api/contracts/{terminated.pk}/billing/settlement").json()
    assert api["fees"] == "598989.89" and api["balances"][0]["balance"] == "82389.89"

    pdf = settlement_pdf(settlement_compute(terminated))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settlement.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    flat = "".join(text.split())
    for expected in (
        "结算单",
        "¥598,989.89",
        "¥82,389.89",
        "捌万贰仟叁佰捌拾玖元捌角玖分",
        "65009876",
    ):
        assert expected in flat, expected
    response = client.get(reverse("contracts:billing_settlement_pdf", kwargs={"pk": terminated.pk}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
