"""`yiyun cloud host-add | import | collect`."""

import pytest
from django.core.management import CommandError, call_command

from yiyun.cloud.models import Host, Server, UsageSample
from yiyun.cloud.tests.factories import (
    TEST_URI,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
    small_entitlement,
)


def test_host_add_import_and_collect(world, libvirt_test, capsys):
    contract = contract_for(
        world.customer_a, world.provider, entitlements=small_entitlement(vcpu="1")
    )
    call_command(
        "cloud",
        "host-add",
        "--provider",
        world.provider.name,
        "--name",
        "kvm-01",
        "--uri",
        TEST_URI,
    )
    assert Host.objects.get(name="kvm-01").uri == TEST_URI
    # The test driver's own running machine "test" (2 vCPU, 8 GiB, a 1 TiB disk).
    call_command("cloud", "import", "--contract", contract.number, "--host", "kvm-01")
    out, err = capsys.readouterr()
    server = Server.objects.get(contract=contract, name="test")
    assert (server.vcpu, server.memory_gib, server.system_disk_gib) == (2, 8, 1024)
    assert "+ test" in out
    # Imported even beyond the entitlement (the machine exists), and said so.
    assert "超出配额" in err and "vCPU 2/1" in err
    call_command("cloud", "import", "--contract", contract.number, "--host", "kvm-01")
    assert "= test" in capsys.readouterr().out
    call_command("cloud", "collect")
    call_command("cloud", "collect")
    assert UsageSample.objects.filter(contract=contract).count() == 2
    with pytest.raises(CommandError):
        call_command("cloud", "import", "--contract", "NO-SUCH", "--host", "kvm-01")
