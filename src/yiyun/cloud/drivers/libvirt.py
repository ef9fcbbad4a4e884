"""The libvirt compute driver (libvirt-python), for KVM hosts and libvirt's test driver.

Every call opens a connection to the host's URI and closes it when done.

About `test:///default` (libvirt's built-in test driver, used by the tests): it needs no
daemon and keeps its state inside the process. All connections open at the same time
share one state; when the last one closes, the state is dropped, and the next `open()`
starts again from the driver's fixed default (one running domain "test", a storage pool
"default-pool" of 100 GiB). So a test that wants state to last across several driver
calls holds a connection of its own open for its duration (the `libvirt_host` fixture
does), and each test starts fresh once its connections are closed. The test driver
reports a guest's CPU time as the host's wall clock and has no balloon statistics, does
not resize volumes nor attach devices to a defined domain: this driver therefore
describes every disk in the domain XML at creation, and only resizes vCPU and memory.
"""

from __future__ import annotations

import contextlib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import libvirt

from yiyun.cloud.choices import ServerState
from yiyun.cloud.drivers.base import (
    ComputeDriver,
    DiskUsage,
    DomainInfo,
    DomainNotFound,
    DomainSpec,
    DomainUsage,
    DriverError,
)

NS = "https://yiyun.invalid/ns/cloud/1"
GIB = 1024**3
_silenced = threading.Lock()
_handler_set = False

STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: ServerState.STOPPED,
    libvirt.VIR_DOMAIN_RUNNING: ServerState.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: ServerState.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: ServerState.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: ServerState.RUNNING,  # shutting down: still running
    libvirt.VIR_DOMAIN_SHUTOFF: ServerState.STOPPED,
    libvirt.VIR_DOMAIN_CRASHED: ServerState.STOPPED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: ServerState.PAUSED,
}


def _quiet() -> None:
    """libvirt prints every error to stderr by default; we raise them instead."""
    global _handler_set
    with _silenced:
        if not _handler_set:
            libvirt.registerErrorHandler(lambda _ctx, _error: None, None)
            _handler_set = True


def _xml_of(domain) -> ET.Element:
    # The hypervisor's own description of a domain: trusted input (libvirtd writes it;
    # expat ≥ 2.4 refuses entity expansion attacks anyway).
    return ET.fromstring(domain.XMLDesc(0))  # noqa: S314


def _ceil_gib(size_bytes: int) -> int:
    return -(-int(size_bytes) // GIB)


class LibvirtDriver(ComputeDriver):
    @contextlib.contextmanager
    def _connection(self) -> Iterator[libvirt.virConnect]:
        _quiet()
        try:
            connection = libvirt.open(self.host.uri)
        except libvirt.libvirtError as exc:
            raise DriverError(f"{self.host.name}: {exc.get_error_message()}") from exc
        try:
            yield connection
        except libvirt.libvirtError as exc:
            raise DriverError(
                f"{self.host.name}: {exc.get_error_message()}",
                code=_CODES.get(exc.get_error_code(), "driver_error"),
            ) from exc
        finally:
            connection.close()

    def _domain(self, connection, uuid: str):
        try:
            return connection.lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise DomainNotFound(f"{self.host.name}: no domain {uuid}") from exc
            raise

    # -- reading -------------------------------------------------------------------------

    def _describe(self, domain) -> DomainInfo:
        root = _xml_of(domain)
        state, _reason = domain.state()
        system, data = self._disk_sizes(domain, root)
        return DomainInfo(
            uuid=domain.UUIDString(),
            name=domain.name(),
            state=STATES.get(state, ServerState.STOPPED),
            vcpu=int(domain.info()[3]),
            memory_mib=domain.maxMemory() // 1024,
            system_disk_gib=system,
            data_disks_gib=data,
        )

    def _disk_sizes(self, domain, root) -> tuple[int, tuple[int, ...]]:
        """Sizes as configured when we created the domain (our metadata), else as the disks
        report them (an imported domain)."""
        mine = root.find(f"metadata/{{{NS}}}server")
        if mine is not None:
            data = mine.get("data-disks-gib", "")
            return int(mine.get("system-disk-gib", "0")), tuple(
                int(size) for size in data.split(",") if size
            )
        sizes = [_ceil_gib(disk.capacity_bytes) for disk in self._disks(domain, root)]
        return (sizes[0] if sizes else 0), tuple(sizes[1:])

    def _disks(self, domain, root) -> list[DiskUsage]:
        disks = []
        for disk in root.findall("devices/disk[@device='disk']"):
            target = disk.find("target")
            if target is None:
                continue
            capacity, allocation, _physical = domain.blockInfo(target.get("dev"), 0)
            disks.append(DiskUsage(target.get("dev"), int(capacity), int(allocation)))
        return disks

    def list_domains(self) -> list[DomainInfo]:
        with self._connection() as connection:
            return [self._describe(domain) for domain in connection.listAllDomains(0)]

    def info(self, uuid: str) -> DomainInfo:
        with self._connection() as connection:
            return self._describe(self._domain(connection, uuid))

    def usage(self, uuids: list[str]) -> dict[str, DomainUsage]:
        readings = {}
        with self._connection() as connection:
            for uuid in uuids:
                try:
                    domain = self._domain(connection, uuid)
                except DomainNotFound:
                    continue
                state, max_kib, _memory_kib, vcpus, cpu_time = domain.info()
                read_ns = time.monotonic_ns()
                root = _xml_of(domain)
                readings[uuid] = DomainUsage(
                    uuid=uuid,
                    state=STATES.get(state, ServerState.STOPPED),
                    vcpu=int(vcpus),
                    memory_mib=int(max_kib) // 1024,
                    memory_used_mib=self._memory_used(domain, state),
                    cpu_time_ns=int(cpu_time),
                    read_ns=read_ns,
                    disks=tuple(self._disks(domain, root)),
                )
        return readings

    def _memory_used(self, domain, state: int) -> int | None:
        if state not in (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_BLOCKED):
            return 0
        try:
            stats = domain.memoryStats()
        except libvirt.libvirtError:
            return None
        if "available" in stats and "unused" in stats:
            return int(stats["available"] - stats["unused"]) // 1024
        if "rss" in stats:
            return int(stats["rss"]) // 1024
        return None

    # -- changing ------------------------------------------------------------------------

    def _domain_xml(self, connection, spec: DomainSpec, paths: list[str]) -> str:
        kind = "test" if connection.getType().lower() == "test" else "kvm"
        domain = ET.Element("domain", type=kind)
        ET.SubElement(domain, "name").text = spec.name
        metadata = ET.SubElement(domain, "metadata")
        ET.SubElement(
            metadata,
            f"{{{NS}}}server",
            {
                "system-disk-gib": str(spec.system_disk_gib),
                "data-disks-gib": ",".join(str(size) for size in spec.data_disks_gib),
            },
        )
        ET.SubElement(domain, "memory", unit="MiB").text = str(spec.memory_mib)
        ET.SubElement(domain, "currentMemory", unit="MiB").text = str(spec.memory_mib)
        ET.SubElement(domain, "vcpu", placement="static").text = str(spec.vcpu)
        os_element = ET.SubElement(domain, "os")
        ET.SubElement(os_element, "type").text = "hvm"
        devices = ET.SubElement(domain, "devices")
        for index, path in enumerate(paths):
            disk = ET.SubElement(devices, "disk", type="file", device="disk")
            ET.SubElement(disk, "driver", name="qemu", type="qcow2")
            ET.SubElement(disk, "source", file=path)
            ET.SubElement(disk, "target", dev=f"vd{chr(ord('a') + index)}", bus="virtio")
        ET.register_namespace("yiyun", NS)
        return ET.tostring(domain, encoding="unicode")

    def _create_volumes(self, connection, spec: DomainSpec) -> list[str]:
        sizes = [spec.system_disk_gib, *spec.data_disks_gib]
        names = [f"{spec.name}-disk{index}.qcow2" for index in range(len(sizes))]
        if not self.host.storage_pool:
            return [f"/var/lib/libvirt/images/{name}" for name in names]
        pool = connection.storagePoolLookupByName(self.host.storage_pool)
        paths = []
        try:
            for name, size in zip(names, sizes, strict=True):
                volume = ET.Element("volume")
                ET.SubElement(volume, "name").text = name
                ET.SubElement(volume, "capacity", unit="GiB").text = str(size)
                target = ET.SubElement(volume, "target")
                ET.SubElement(target, "format", type="qcow2")
                paths.append(pool.createXML(ET.tostring(volume, encoding="unicode"), 0).path())
        except libvirt.libvirtError:
            self._delete_volumes(connection, paths)
            raise
        return paths

    def _delete_volumes(self, connection, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(libvirt.libvirtError):
                connection.storageVolLookupByPath(path).delete(0)

    def create(self, spec: DomainSpec) -> DomainInfo:
        with self._connection() as connection:
            paths = self._create_volumes(connection, spec)
            try:
                domain = connection.defineXML(self._domain_xml(connection, spec, paths))
            except libvirt.libvirtError:
                self._delete_volumes(connection, paths if self.host.storage_pool else [])
                raise
            try:
                domain.create()
            except libvirt.libvirtError:
                domain.undefine()
                self._delete_volumes(connection, paths if self.host.storage_pool else [])
                raise
            return self._describe(domain)

    def resize(self, uuid: str, *, vcpu: int, memory_mib: int) -> DomainInfo:
        live = libvirt.VIR_DOMAIN_AFFECT_LIVE
        config = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        maximum = libvirt.VIR_DOMAIN_VCPU_MAXIMUM
        memory_kib = memory_mib * 1024
        with self._connection() as connection:
            domain = self._domain(connection, uuid)
            if domain.isActive():
                max_vcpu = domain.vcpusFlags(config | maximum)
                if vcpu > max_vcpu or memory_kib > domain.maxMemory():
                    raise DriverError(
                        f"{domain.name()}: above its maxima ({max_vcpu} vCPU, "
                        f"{domain.maxMemory() // 1024} MiB) a running machine cannot grow; "
                        "stop it first",
                        code="stop_first",
                    )
                # The test driver refuses LIVE|CONFIG together for memory: one at a time.
                for flags in (live, config):
                    domain.setVcpusFlags(vcpu, flags)
                    domain.setMemoryFlags(memory_kib, flags)
            else:
                current_vcpu = domain.vcpusFlags(config)
                if vcpu >= current_vcpu:
                    domain.setVcpusFlags(vcpu, config | maximum)
                    domain.setVcpusFlags(vcpu, config)
                else:
                    domain.setVcpusFlags(vcpu, config)
                    domain.setVcpusFlags(vcpu, config | maximum)
                if memory_kib >= domain.maxMemory():
                    domain.setMaxMemory(memory_kib)
                    domain.setMemoryFlags(memory_kib, config)
                else:
                    domain.setMemoryFlags(memory_kib, config)
                    domain.setMaxMemory(memory_kib)
            return self._describe(domain)

    def start(self, uuid: str) -> DomainInfo:
        with self._connection() as connection:
            domain = self._domain(connection, uuid)
            if not domain.isActive():
                domain.create()
            return self._describe(domain)

    def stop(self, uuid: str, *, force: bool = False) -> DomainInfo:
        with self._connection() as connection:
            domain = self._domain(connection, uuid)
            if domain.isActive():
                domain.destroy() if force else domain.shutdown()
            return self._describe(domain)

    def delete(self, uuid: str) -> None:
        with self._connection() as connection:
            domain = self._domain(connection, uuid)
            root = _xml_of(domain)
            created = root.find(f"metadata/{{{NS}}}server") is not None
            paths = [
                source.get("file")
                for source in root.findall("devices/disk[@device='disk']/source")
                if source.get("file")
            ]
            if domain.isActive():
                domain.destroy()
            domain.undefine()
            if created and self.host.storage_pool:
                # Only the volumes this driver created; an imported machine's disks stay.
                self._delete_volumes(connection, paths)


_CODES = {
    libvirt.VIR_ERR_NO_DOMAIN: "domain_not_found",
    libvirt.VIR_ERR_OPERATION_INVALID: "operation_invalid",
    libvirt.VIR_ERR_INVALID_ARG: "invalid_argument",
    libvirt.VIR_ERR_NO_SUPPORT: "not_supported",
}
