"""`yiyun report sla --contract NUMBER --month 2026-10 --out FILE.pdf` and
`yiyun report verify FILE.pdf`."""

import hashlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiyun.contracts.models import Contract
from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.servicedesk.reports import parse_month, sla_report_issue, sla_report_verify


class Command(BaseCommand):
    help = (
        "Reports: `sla` issues a contract's monthly SLA report as PDF (Chinese by default) "
        "and records its SHA-256; `verify` checks a PDF against the recorded ones."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="report", required=True)
        sla = commands.add_parser("sla", help="issue a monthly SLA report as PDF")
        sla.add_argument("--contract", required=True, help="the contract number")
        sla.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-10")
        sla.add_argument("--out", required=True, help="where to write the PDF ('-': stdout)")
        sla.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        verify = commands.add_parser("verify", help="is this PDF one the platform issued?")
        verify.add_argument("file", help="the PDF file")

    def handle(self, *args, report, **options):
        if report == "sla":
            return self._sla(**options)
        return self._verify(options["file"])

    def _sla(self, *, contract, month, out, language, **_options):
        found = Contract.objects.filter(number=contract).first()
        if found is None:
            raise CommandError(f"no contract {contract}")
        try:
            pdf, issued = sla_report_issue(
                contract=found, month=parse_month(month), by="cli", language=language
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if out == "-":
            sys.stdout.buffer.write(pdf)
        else:
            Path(out).write_bytes(pdf)
            self.stdout.write(f"{out}: {len(pdf)} bytes, sha256 {issued.sha256}")
            self.stdout.write(f"content sha256 {issued.content_sha256}")

    def _verify(self, file):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        found = sla_report_verify(data=data)
        if found is None:
            raise CommandError(
                f"{file}: sha256 {digest} — NOT issued by this platform (or altered)"
            )
        self.stdout.write(
            f"{file}: valid — contract {found.contract.number}, month {found.month:%Y-%m}, "
            f"issued {clock.local(found.generated_at):%Y-%m-%d %H:%M} by "
            f"{found.generated_by_label}, sha256 {digest}"
        )
