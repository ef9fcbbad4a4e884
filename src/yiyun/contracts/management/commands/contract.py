import json

from django.core.management.base import BaseCommand, CommandError

from yiyun.contracts.checks import contract_findings
from yiyun.contracts.dataformat import ContractDataError
from yiyun.contracts.importer.command import add_import_parser, handle_import
from yiyun.contracts.models import Contract
from yiyun.contracts.services import contract_load_file
from yiyun.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Contracts. `contract load FILE` registers a contract from a YAML or JSON file "
        "(the same data again changes nothing; different data for a registered number is "
        "refused). `contract check NUMBER [--json]` lists the contract check's findings."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load a contract file (YAML or JSON)")
        load.add_argument("file")
        check = sub.add_parser("check", help="the contract check (lint) of a registered contract")
        check.add_argument("number")
        check.add_argument("--json", action="store_true", help="machine-readable output")
        add_import_parser(sub)  # issue 11: `contract import FILE [--json]` (contracts/importer)

    def handle(self, *args, action, **options):
        if action == "load":
            return self._load(options["file"])
        if action == "import":
            return handle_import(self, options)
        return self._check(options["number"], as_json=options["json"])

    def _load(self, path: str) -> None:
        try:
            contract, created = contract_load_file(path=path, by="cli")
        except ContractDataError as exc:
            raise CommandError(
                f"{path}: invalid contract data:\n" + "\n".join(exc.errors)
            ) from None
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.message}") from None
        verb = "loaded" if created else "unchanged (already loaded with the same data)"
        self.stdout.write(f"{contract.number}: {verb}")
        errors = [f for f in contract_findings(contract) if f.severity == "error"]
        if errors:
            self.stdout.write(
                f"{len(errors)} error finding(s): yiyun contract check {contract.number}"
            )

    def _check(self, number: str, *, as_json: bool) -> None:
        contract = Contract.objects.filter(number=number).first()
        if contract is None:
            raise CommandError(f"no contract numbered {number}")
        findings = contract_findings(contract)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"contract": contract.number, "findings": [f.as_dict() for f in findings]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        for finding in findings:
            self.stdout.write(f"[{finding.severity}] {finding.clause}: {finding.title}")
            self.stdout.write(f"    {finding.explanation}")
        self.stdout.write(f"{len(findings)} finding(s)")
