"""The monthly SLA report: figures from the tickets and the obligations engine, the PDF
(WeasyPrint, Noto CJK) read back with pdftotext, and verification by SHA-256."""

import hashlib
import io
import shutil
import subprocess

import pytest
import time_machine
from django.core.management import CommandError, call_command

from yiyun.core.models import AuditEntry
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import TicketKind
from yiyun.servicedesk.models import SlaReport
from yiyun.servicedesk.reports import content_digest, parse_month, sla_figures
from yiyun.servicedesk.services import ticket_create, ticket_resolve, ticket_resume, ticket_wait
from yiyun.servicedesk.tests.fixtures import at, contract, media  # noqa: F401

pytestmark = pytest.mark.usefixtures("media")


def _october(world, traveller):
    """Five tickets in October 2026: a fault handled in 4 h, a fault breached (handled
    after 27 h), a complex problem resolved in 24 h with 2 h waiting for the customer,
    a support question and a special problem still open at the end of the month."""

    def create(kind, title, when):
        traveller.move_to(when)
        return ticket_create(
            by=world.member_a, organisation=world.customer_a, title=title, kind=kind
        )

    def resolve(ticket, when, text="已处理"):
        traveller.move_to(when)
        tick(now=when)
        ticket_resolve(ticket=ticket, by=world.engineer, resolution=text)

    quick = create(TicketKind.FAULT, "HIS 登录失败", at("2026-10-08T10:00"))
    resolve(quick, at("2026-10-08T14:00"))
    slow = create(TicketKind.FAULT, "PACS 中断", at("2026-10-10T09:00"))
    resolve(slow, at("2026-10-11T12:00"))
    complex_ = create(TicketKind.COMPLEX, "检验接口报错", at("2026-10-12T09:00"))
    traveller.move_to(at("2026-10-12T10:00"))
    ticket_wait(ticket=complex_, by=world.engineer, reason="等待医院提供接口日志")
    traveller.move_to(at("2026-10-12T12:00"))
    ticket_resume(ticket=complex_, by=world.member_a, reason="日志已提供")
    resolve(complex_, at("2026-10-13T09:00"))
    create(TicketKind.SUPPORT, "如何申请VPN", at("2026-10-20T09:00"))
    create(TicketKind.SPECIAL, "等保整改方案", at("2026-10-30T20:00"))
    traveller.move_to(at("2026-11-02T09:00"))
    tick(now=at("2026-11-02T09:00"))


def test_sla_figures_for_a_month(world, contract):  # noqa: F811
    with time_machine.travel(at("2026-10-01T08:00"), tick=False) as traveller:
        _october(world, traveller)
        figures = sla_figures(contract=contract, month=parse_month("2026-10"))
    tickets = {row["kind"]: row for row in figures["tickets"]["by_kind"]}
    assert figures["tickets"]["reported"] == 5 and figures["tickets"]["resolved"] == 3
    assert tickets["fault"]["reported"] == 2 and tickets["special"]["open_at_end"] == 1
    clauses = {row["rule"]: row for row in figures["clauses"]}
    assert clauses["2.2"]["opened"] == 2
    assert clauses["2.2"]["met"] == 1 and clauses["2.2"]["met_late"] == 1
    assert clauses["2.2"]["breached"] == 1
    assert clauses["4.2.complex"]["met"] == 1
    assert clauses["4.2.special"]["open_at_end"] == 1
    durations = {row["rule"]: row for row in figures["durations"]}
    # 2.2: 4 h and 27 h → median 15 h 30 min, worst 27 h.
    assert durations["2.2"]["median_seconds"] == 15.5 * 3600
    assert durations["2.2"]["worst_seconds"] == 27 * 3600
    # 4.2: 24 h less the 2 h waiting for the customer.
    assert durations["4.2.complex"]["worst_seconds"] == 22 * 3600
    (pause,) = figures["pauses"]
    assert pause["reason"] == "等待医院提供接口日志" and pause["duration"] == "2小时0分"
    # 5.1: 5 % on both candidate bases, 492,000 and 498,000, until the parties settle it.
    assert sorted(row["amount"] for row in figures["penalties"]) == ["¥24,600.00", "¥24,900.00"]
    assert figures["content_sha256"] == content_digest(figures)
    # The same data gives the same digest.
    with time_machine.travel(at("2026-11-03T09:00"), tick=False):
        again = sla_figures(contract=contract, month=parse_month("2026-10"))
    assert again["content_sha256"] == figures["content_sha256"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_sla_pdf_text_has_the_contract_number_and_the_counts(world, contract, tmp_path):  # noqa: F811
    with time_machine.travel(at("2026-10-01T08:00"), tick=False) as traveller:
        _october(world, traveller)
        out = tmp_path / "sla.pdf"
        stdout = io.StringIO()
        call_command(
            "report",
            "sla",
            "--contract",
            contract.number,
            "--month",
            "2026-10",
            "--out",
            str(out),
            stdout=stdout,
        )
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    digest = hashlib.sha256(data).hexdigest()
    assert digest in stdout.getvalue()
    report = SlaReport.objects.get()
    assert report.sha256 == digest and report.contract == contract
    assert AuditEntry.objects.filter(action="sla_report.issued", data__sha256=digest).exists()

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, check=True
    ).stdout.decode()
    flat = "".join(text.split())
    assert "11N4580043372024116202" in flat
    assert "柯坪县人民医院" in flat
    assert "本月报告工单：5；本月解决：3；月末未结：2" in flat
    assert "按时履行：2；逾期履行：1；违约：1" in flat
    assert "¥24,600.00" in flat and "¥24,900.00" in flat
    assert "等待医院提供接口日志" in flat
    assert report.content_sha256 in flat

    # Verify: the file as issued, then one altered byte.
    verified = io.StringIO()
    call_command("report", "verify", str(out), stdout=verified)
    assert "valid" in verified.getvalue() and contract.number in verified.getvalue()
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(data[:-8] + b"%%EOF\n  ")
    with pytest.raises(CommandError, match="NOT issued"):
        call_command("report", "verify", str(altered))


def test_sla_report_in_english_on_request(world, contract, tmp_path):  # noqa: F811
    with time_machine.travel(at("2026-10-05T08:00"), tick=False):
        out = tmp_path / "sla-en.pdf"
        call_command(
            "report",
            "sla",
            "--contract",
            contract.number,
            "--month",
            "2026-10",
            "--out",
            str(out),
            "--language",
            "en",
            stdout=io.StringIO(),
        )
    assert SlaReport.objects.get().language == "en"
    with pytest.raises(CommandError):
        call_command(
            "report", "sla", "--contract", "NO-SUCH", "--month", "2026-10", "--out", str(out)
        )
    with pytest.raises(CommandError):
        call_command(
            "report", "sla", "--contract", contract.number, "--month", "2026-13", "--out", str(out)
        )
