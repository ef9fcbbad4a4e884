import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiyun.circuits.selectors import availability, parse_month
from yiyun.circuits.services import (
    circuits_from_contract,
    circuits_sync_all,
    probe_run,
    probes_rollup,
)
from yiyun.contracts.models import Contract
from yiyun.core.errors import DomainError


class Command(BaseCommand):
    help = _(
        "点对点电路：`sync --contract 编号`（或 --all）按合同数据建立电路；`probe` 探测到期的电路一次；"
        "`rollup` 生成小时汇总并清理旧的原始结果；`availability --month YYYY-MM` 输出每条电路的可用率。"
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        sync = actions.add_parser("sync", help=_("按合同数据建立电路（已有的不变）"))
        which = sync.add_mutually_exclusive_group(required=True)
        which.add_argument("--contract", help=_("合同编号"))
        which.add_argument("--all", action="store_true", help=_("所有有效合同"))
        actions.add_parser("probe", help=_("探测到期的电路一次"))
        actions.add_parser("rollup", help=_("小时汇总与清理"))
        report = actions.add_parser("availability", help=_("每条电路某月的可用率（JSON）"))
        report.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _sync(self, *, contract=None, all=False, **options):  # noqa: A002 — the flag's name
        if all:
            created = circuits_sync_all(by="yiyun circuits sync")
            self.stdout.write(_("新建电路 %(n)d 条") % {"n": created})
            return
        found = Contract.objects.filter(number=contract).first()
        if found is None:
            raise CommandError(_("没有编号为 %(n)s 的合同") % {"n": contract})
        for circuit in circuits_from_contract(found, by="yiyun circuits sync"):
            self.stdout.write(
                f"{circuit.circuit_id}\t{circuit.a_end} — {circuit.z_end}\t{circuit.bandwidth_mbps} Mbit/s"
            )

    def _probe(self, **options):
        for result in probe_run():
            self.stdout.write(
                f"{result.circuit.circuit_id}\t{'ok' if result.ok else 'FAIL'}\t{result.error}"
            )

    def _rollup(self, **options):
        self.stdout.write(_("写入小时汇总 %(n)d 条") % {"n": probes_rollup()})

    def _availability(self, *, month, **options):
        from yiyun.circuits.models import Circuit

        year, number = parse_month(month)
        rows = []
        for circuit in Circuit.objects.select_related("contract").order_by("contract", "position"):
            figure = availability(circuit, year=year, month=number)
            rows.append(
                {
                    "circuit": circuit.circuit_id,
                    "month": figure.label,
                    "down_seconds": figure.down_seconds,
                    "period_seconds": figure.period_seconds,
                    "availability_percent": str(figure.percent)
                    if figure.percent is not None
                    else None,
                }
            )
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
