from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiyun.cloud.models import Host
from yiyun.cloud.services import host_add, servers_import, usage_collect_all
from yiyun.contracts.models import Contract
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import OrganisationKind
from yiyun.tenancy.models import Organisation


class Command(BaseCommand):
    help = _(
        "云资源：`host-add` 登记宿主机；`import --contract 编号 --host 名称` 导入宿主机上已有的虚拟机；"
        "`collect` 读取一次用量（并判定超量占用 2.7.4）。"
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("host-add", help=_("登记宿主机"))
        add.add_argument("--provider", required=True, help=_("服务单位名称"))
        add.add_argument("--name", required=True)
        add.add_argument("--uri", required=True, help="qemu+ssh://root@kvm1/system")
        add.add_argument("--pool", default="", help=_("存储池"))
        imp = actions.add_parser("import", help=_("导入已有虚拟机"))
        imp.add_argument("--contract", required=True, help=_("合同编号"))
        imp.add_argument("--host", required=True, help=_("宿主机名称"))
        imp.add_argument("--name", action="append", dest="names", help=_("只导入这些虚拟机"))
        actions.add_parser("collect", help=_("读取一次用量"))

    def handle(self, *args, action, **options):
        try:
            {"host-add": self._host_add, "import": self._import, "collect": self._collect}[action](
                **options
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _host_add(self, *, provider, name, uri, pool, **options):
        organisation = Organisation.objects.filter(
            name=provider, kind=OrganisationKind.PROVIDER
        ).first()
        if organisation is None:
            raise CommandError(_("没有名为 %(n)s 的服务单位") % {"n": provider})
        host = host_add(
            provider=organisation, name=name, uri=uri, storage_pool=pool, by="yiyun cloud"
        )
        self.stdout.write(_("已登记宿主机 %(n)s") % {"n": host.name})

    def _import(self, *, contract, host, names, **options):
        found = Contract.objects.filter(number=contract).first()
        if found is None:
            raise CommandError(_("没有编号为 %(n)s 的合同") % {"n": contract})
        target = Host.objects.filter(name=host).first()
        if target is None:
            raise CommandError(_("没有名为 %(n)s 的宿主机") % {"n": host})
        result = servers_import(contract=found, host=target, names=names, by="yiyun cloud import")
        for server in result.imported:
            self.stdout.write(f"+ {server.name}\t{server.vcpu} vCPU\t{server.memory_gib} GiB")
        for name in result.known:
            self.stdout.write(f"= {name}")
        for line in result.over:
            self.stderr.write(_("超出配额：%(l)s") % {"l": line})

    def _collect(self, **options):
        self.stdout.write(_("已采样合同 %(n)d 份") % {"n": usage_collect_all()})
