"""The compute driver interface: what the cloud app asks of a hypervisor.

A driver works on one `Host`. Every method opens what it needs and closes it again, so
a driver object is cheap and holds no connection between calls. Sizes: vCPU in cores,
memory in MiB, disks in GiB. Errors from the hypervisor become `DriverError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from yiyun.core.errors import DomainError


class DriverError(DomainError):
    """The hypervisor refused or failed (HTTP 502 at the API, a message in the portal)."""

    status = 502

    def __init__(self, message: str, *, code: str = "driver_error"):
        super().__init__(message, code=code)


class DomainNotFound(DriverError):
    def __init__(self, message: str):
        super().__init__(message, code="domain_not_found")


@dataclass(frozen=True)
class DomainSpec:
    """A virtual machine to create."""

    name: str
    vcpu: int
    memory_mib: int
    system_disk_gib: int
    data_disks_gib: tuple[int, ...] = ()


@dataclass(frozen=True)
class DomainInfo:
    """A virtual machine as the hypervisor describes it. `state` is a ServerState value."""

    uuid: str
    name: str
    state: str
    vcpu: int
    memory_mib: int
    system_disk_gib: int
    data_disks_gib: tuple[int, ...]


@dataclass(frozen=True)
class DiskUsage:
    target: str
    capacity_bytes: int
    allocation_bytes: int


@dataclass(frozen=True)
class DomainUsage:
    """One reading of a virtual machine's use.

    `cpu_time_ns` is the guest's cumulative CPU time; `read_ns` the host's monotonic
    clock at the reading: two readings give the CPU share as
    Δcpu_time / (Δread × vcpu). `memory_used_mib` is None when the guest reports no
    balloon statistics. The first disk is the system disk.
    """

    uuid: str
    state: str
    vcpu: int
    memory_mib: int
    memory_used_mib: int | None
    cpu_time_ns: int
    read_ns: int
    disks: tuple[DiskUsage, ...]


class ComputeDriver(ABC):
    def __init__(self, host):
        self.host = host

    @abstractmethod
    def list_domains(self) -> list[DomainInfo]:
        """Every virtual machine defined on the host (to import existing ones)."""

    @abstractmethod
    def info(self, uuid: str) -> DomainInfo:
        """One virtual machine; DomainNotFound when the host has no such domain."""

    @abstractmethod
    def create(self, spec: DomainSpec) -> DomainInfo:
        """Define the machine with its disks and start it."""

    @abstractmethod
    def resize(self, uuid: str, *, vcpu: int, memory_mib: int) -> DomainInfo:
        """Set vCPU and memory: live when the running machine's maxima allow it, else only
        on a stopped machine (DriverError code "stop_first")."""

    @abstractmethod
    def start(self, uuid: str) -> DomainInfo: ...

    @abstractmethod
    def stop(self, uuid: str, *, force: bool = False) -> DomainInfo:
        """Ask the guest to shut down (ACPI), or pull the plug with `force`."""

    @abstractmethod
    def delete(self, uuid: str) -> None:
        """Stop the machine if running, remove its definition and the disks it created."""

    @abstractmethod
    def usage(self, uuids: list[str]) -> dict[str, DomainUsage]:
        """A reading of each machine found (machines not on the host are left out)."""
