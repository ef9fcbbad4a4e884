"""The libvirt driver against libvirt's built-in test driver (`test:///default`): the real
library, no daemon, no mock."""

import gc

import libvirt
import pytest

from yiyun.cloud.choices import ServerState
from yiyun.cloud.drivers import DomainNotFound, DomainSpec, DriverError, driver_for
from yiyun.cloud.models import Host
from yiyun.cloud.tests.factories import TEST_URI


def _host(pool: str = "default-pool") -> Host:
    # Not saved: the driver only reads the host's name, URI and pool.
    return Host(name="kvm-test", uri=TEST_URI, storage_pool=pool)


@pytest.fixture
def held():
    connection = libvirt.open(TEST_URI)
    yield connection
    connection.close()


def test_state_lives_while_a_connection_is_open_and_resets_after_the_last_one_closes():
    gc.collect()  # connections other tests left to the garbage collector are closed now
    first = libvirt.open(TEST_URI)
    driver = driver_for(_host(pool=""))
    created = driver.create(DomainSpec("vm-persist", 1, 512, 10))
    # The driver closed its own connection; ours keeps the state alive.
    assert [d.name for d in driver.list_domains() if d.uuid == created.uuid] == ["vm-persist"]
    first.close()
    # No connection left: the next open starts from the test driver's fixed default.
    names = [d.name for d in driver.list_domains()]
    assert "vm-persist" not in names and "test" in names


def test_create_resize_stop_and_read_usage(held):
    driver = driver_for(_host())
    info = driver.create(DomainSpec("his-app-01", 2, 2048, 20, (30, 10)))
    assert info.state == ServerState.RUNNING
    assert (info.vcpu, info.memory_mib, info.system_disk_gib, info.data_disks_gib) == (
        2,
        2048,
        20,
        (30, 10),
    )
    # The disks are real volumes in the host's storage pool.
    pool = held.storagePoolLookupByName("default-pool")
    assert sorted(v for v in pool.listVolumes() if v.startswith("his-app-01")) == [
        "his-app-01-disk0.qcow2",
        "his-app-01-disk1.qcow2",
        "his-app-01-disk2.qcow2",
    ]

    # Running: shrinking is live; growing beyond the started maxima needs a stop.
    smaller = driver.resize(info.uuid, vcpu=1, memory_mib=1024)
    assert (smaller.vcpu, smaller.state) == (1, ServerState.RUNNING)
    assert held.lookupByUUIDString(info.uuid).info()[2] == 1024 * 1024  # current memory, KiB
    with pytest.raises(DriverError) as refused:
        driver.resize(info.uuid, vcpu=4, memory_mib=4096)
    assert refused.value.code == "stop_first"

    stopped = driver.stop(info.uuid)
    assert stopped.state == ServerState.STOPPED
    bigger = driver.resize(info.uuid, vcpu=4, memory_mib=4096)
    assert (bigger.vcpu, bigger.memory_mib) == (4, 4096)
    assert driver.start(info.uuid).state == ServerState.RUNNING

    first, second = (driver.usage([info.uuid])[info.uuid] for _ in range(2))
    assert first.vcpu == 4 and first.memory_mib == 4096
    assert second.cpu_time_ns >= first.cpu_time_ns and second.read_ns > first.read_ns
    assert [disk.target for disk in first.disks] == ["vda", "vdb", "vdc"]
    assert all(disk.capacity_bytes > 0 for disk in first.disks)

    driver.delete(info.uuid)
    assert not [v for v in pool.listVolumes() if v.startswith("his-app-01")]
    with pytest.raises(DomainNotFound):
        driver.info(info.uuid)
    assert driver.usage([info.uuid]) == {}


def test_existing_domains_are_listed_for_import(held):
    (existing,) = [d for d in driver_for(_host()).list_domains() if d.name == "test"]
    # The test driver's own machine: sizes read from the hypervisor (no metadata of ours).
    assert existing.name == "test"
    assert existing.vcpu == 2 and existing.memory_mib == 8192
    assert existing.system_disk_gib == 1024 and existing.data_disks_gib == ()


def test_errors_become_driver_errors(held):
    driver = driver_for(_host())
    with pytest.raises(DriverError, match="Not enough free space"):
        driver.create(DomainSpec("too-big", 1, 512, 500))
    # Nothing half-made is left behind.
    assert "too-big" not in [d.name for d in driver.list_domains()]
    assert not [
        v for v in held.storagePoolLookupByName("default-pool").listVolumes() if "too-big" in v
    ]
    with pytest.raises(DriverError):
        driver_for(Host(name="nowhere", uri="test:///no/such/file.xml")).list_domains()
