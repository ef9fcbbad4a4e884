"""Written contract notices: a PDF letter with the contract header, delivered on the
chosen channels, its delivery recorded (4.5) and what it sets in motion; the delivery
proof as a page, a PDF and `yiyun notices proof ID`."""

import hashlib
import json
import subprocess
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.notices.choices import ChannelKind, LetterKind
from yiyun.notices.tests.factories import a_contract, a_letter

NOW = datetime(2026, 6, 1, 10, 30, tzinfo=SHANGHAI)


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


@pytest.fixture
def contract(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        return a_contract(world, number="11N4580043372024116202")


def test_clause_4_5_letter_pdf_carries_the_contract_header(world, contract, login):
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(world, contract=contract, reason="网站首页存在违规链接")
    letter = notice.letter
    pdf = bytes(letter.pdf)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    text = pdf_text(pdf)
    for expected in (
        "11N4580043372024116202",  # contract number
        "阿克苏医疗云服务合同",
        "柯坪县人民医院",  # 甲方
        "联通阿克苏",  # 乙方
        "违约整改通知（3.6）",
        letter.reference,
        "网站首页存在违规链接",
        "2026年6月1日",
    ):
        assert expected in text, expected
    assert letter.addressee == world.customer_a
    # The customer downloads exactly the letter that was sent.
    response = login(world.admin_a).get(reverse("notices:letter", kwargs={"pk": notice.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert response.content == pdf


def test_clause_3_6_violation_letter_starts_the_30_day_clock_on_delivery(world, contract):
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(world, contract=contract)
    notice.refresh_from_db()
    assert notice.delivered_at == NOW
    (obligation,) = notice.obligations.all()
    assert (obligation.clause, obligation.bound_party, obligation.state) == (
        "3.6",
        "customer",
        "open",
    )
    assert obligation.trigger_at == NOW
    assert obligation.due_at == datetime(2026, 7, 2, 0, 0, tzinfo=SHANGHAI)  # 30 days, 24:00


def test_clause_11_1_non_renewal_letter_is_recorded_in_the_contract_register(world, contract):
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(
            world,
            contract=contract,
            by=world.admin_a,
            letter_kind=LetterKind.NON_RENEWAL,
            subject="关于合同期满不再续签的通知",
            body="本合同于2026年12月31日期满后不再续签。",
        )
    written = contract.notices.get()
    assert written.kind == "non_renewal"
    assert written.from_party == "customer"
    assert written.delivered_at == NOW
    assert written.timely
    with written.document.open("rb") as document:
        assert hashlib.sha256(document.read()).hexdigest() == notice.letter.sha256
    # Addressed to the provider: its people received it.
    assert notice.letter.addressee == world.provider
    assert {r.organisation_id for r in notice.recipients.all()} == {world.provider.pk}


def test_letters_check_who_may_send_what(world, contract):
    with pytest.raises(DomainError) as refused:
        a_letter(world, contract=contract, letter_kind=LetterKind.TERMINATION_5_3, reason="x")
    assert refused.value.field == "letter_kind"  # 5.3 is the customer's right
    with pytest.raises(DomainError) as refused:
        a_letter(world, contract=contract, by=world.admin_a, letter_kind=LetterKind.TERMINATION_5_3)
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        a_letter(world, contract=contract, letter_kind=LetterKind.TERMINATION_8_1_1)
    assert refused.value.field == "force_majeure_since"
    with pytest.raises(DomainError) as refused:
        a_letter(world, contract=contract, channels=[ChannelKind.WEB])
    assert refused.value.field == "channels"  # a letter is not a public announcement


def test_clause_4_5_proof_page_pdf_and_command(world, contract, login):
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(world, contract=contract)
    deliveries = list(notice.deliveries.order_by("pk"))
    assert deliveries and all(d.state == "sent" for d in deliveries)

    page = login(world.provider_admin).get(reverse("notices:detail", kwargs={"pk": notice.pk}))
    html = page.content.decode()
    for delivery in deliveries:
        assert delivery.recipient.name in html
        assert delivery.sha256[:17] in html

    proof = login(world.admin_a).get(reverse("notices:proof", kwargs={"pk": notice.pk}))
    assert proof["Content-Type"] == "application/pdf"
    text = pdf_text(proof.content)
    assert "送达证明" in text and notice.letter.reference in text
    assert all(d.recipient.name in text for d in deliveries)

    out = StringIO()
    call_command("notices", "proof", str(notice.pk), stdout=out)
    printed = out.getvalue()
    assert f"notice #{notice.pk}" in printed and f"{len(deliveries)} deliveries" in printed
    for delivery in deliveries:
        assert f"key={delivery.idempotency_key} sha256={delivery.sha256}" in printed
    assert "MISMATCH" not in printed

    out = StringIO()
    call_command("notices", "proof", str(notice.pk), "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["delivered_at"] == "2026-06-01T10:30:00+08:00"
    assert [row["sha256"] for row in document["deliveries"]] == [d.sha256 for d in deliveries]
    assert all(row["intact"] for row in document["deliveries"])
    assert document["letter"]["sha256"] == notice.letter.sha256


def test_proof_command_reports_a_tampered_payload(world, contract):
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(world, contract=contract)
    delivery = notice.deliveries.first()
    type(delivery).objects.filter(pk=delivery.pk).update(payload=b"something else")
    out = StringIO()
    call_command("notices", "proof", str(notice.pk), stdout=out)
    assert "MISMATCH" in out.getvalue()


def test_clause_2_3_confirmation_letter_meets_the_open_obligation_on_delivery(world, contract):
    from yiyun.obligations.services import obligation_open

    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        # 2.3: the customer notified a change of its contact list yesterday.
        duty = obligation_open(
            contract=contract, clause="2.3", trigger_at=NOW - timedelta(days=1), by="test"
        )
    with time_machine.travel(NOW, tick=False):
        notice = a_letter(
            world,
            contract=contract,
            letter_kind=LetterKind.CONTACT_CHANGE,
            subject="关于联系人变更的确认函",
            body="贵方2026年5月31日通知的联系人变更已确认并更新。",
            fulfils=duty,
        )
    duty.refresh_from_db()
    assert duty.state == "met" and duty.met_at == NOW
    assert notice.letter.reference in duty.evidence and notice.letter.sha256 in duty.evidence
