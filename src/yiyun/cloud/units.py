"""Units of the entitlement (1.2): the contract writes "716G" and "15.3T".

We read G as GiB (1024³ bytes) and T as TiB (1024 GiB), as cloud consoles count, and say
so on every page that shows a figure. Everything is counted in cores (vCPU) or GiB.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyun.core.errors import DomainError

# How many base units (core, GiB) one unit is.
FACTORS = {
    "core": Decimal(1),
    "cores": Decimal(1),
    "vcpu": Decimal(1),
    "核": Decimal(1),
    "MiB": Decimal(1) / Decimal(1024),
    "GiB": Decimal(1),
    "G": Decimal(1),
    "TiB": Decimal(1024),
    "T": Decimal(1024),
    "PiB": Decimal(1024 * 1024),
}

UNIT_NOTE = gettext_lazy(
    "合同中的 G 按 GiB（1 GiB = 1024³ 字节）、T 按 TiB（1 TiB = 1024 GiB）理解，与云平台控制台一致。"
)


def to_base(quantity, unit: str) -> Decimal:
    """`quantity` `unit` in cores or GiB. DomainError for a unit we do not know."""
    try:
        factor = FACTORS[unit.strip()]
    except KeyError:
        raise DomainError(
            _("无法识别的单位“%(unit)s”（可用：%(known)s）")
            % {"unit": unit, "known": ", ".join(sorted(FACTORS))},
            code="unknown_unit",
            field="unit",
        ) from None
    return (Decimal(str(quantity)) * factor).normalize()


def tib(gib) -> Decimal:
    return (Decimal(str(gib)) / Decimal(1024)).quantize(Decimal("0.01"))
