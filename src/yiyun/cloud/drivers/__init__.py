"""Compute drivers. `driver_for(host)` gives the one the host is configured for."""

from yiyun.cloud.drivers.base import (
    ComputeDriver,
    DiskUsage,
    DomainInfo,
    DomainNotFound,
    DomainSpec,
    DomainUsage,
    DriverError,
)

__all__ = [
    "ComputeDriver",
    "DiskUsage",
    "DomainInfo",
    "DomainNotFound",
    "DomainSpec",
    "DomainUsage",
    "DriverError",
    "driver_for",
]


def driver_for(host) -> ComputeDriver:
    from yiyun.cloud.choices import DriverKind

    if host.driver == DriverKind.LIBVIRT:
        from yiyun.cloud.drivers.libvirt import LibvirtDriver

        return LibvirtDriver(host)
    raise DriverError(f"no driver for {host.driver!r}", code="unknown_driver")
