from django.db import models
from django.utils.translation import gettext_lazy as _


class CircuitState(models.TextChoices):
    UNKNOWN = "unknown", _("未探测")
    UP = "up", _("正常")
    DOWN = "down", _("中断")

    @property
    def colour(self) -> str:
        return {"unknown": "", "up": "ok", "down": "bad"}[self.value]


class ProbeMethod(models.TextChoices):
    # ICMP needs raw sockets: the `ping` binary (setuid or with cap_net_raw) does it.
    ICMP = "icmp", _("ICMP（ping）")
    # A TCP connect to a port of the far-end device; a refusal (RST) still proves the
    # path is up: only silence or an unreachable network counts as a failure.
    TCP = "tcp", _("TCP 连接")
