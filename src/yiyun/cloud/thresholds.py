"""2.7.4: what counts as overuse, as the parties set it.

The contract forbids occupying the platform's CPU, memory or bandwidth so heavily that it
burdens the platform or other users, and sets no figures: the parties set them in the
contract's open parameter `overuse_thresholds` (the contract page's "待约定事项"), in
this form, items separated by ";" (or new lines):

    cpu>90%/30min; memory>95%/30min; storage>95%/30min; response=3wd

- `<metric>>P%/Mmin`: sustained use above P per cent of what the tenant holds, in every
  sample for M minutes, is a finding (metrics: cpu, memory, storage);
- `<metric>=off`: the parties do not watch that metric;
- `response=Nwd`: the customer's time to respond to a finding, in working days.

A metric the parties did not mention keeps its default. Until they set anything the
defaults apply and every page says so: CPU > 90 % for 30 min, memory > 95 % for 30 min,
storage > 95 % for 30 min, response within 3 working days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from yiyun.cloud.choices import OveruseMetric
from yiyun.core.errors import DomainError

PARAMETER_KEY = "overuse_thresholds"


@dataclass(frozen=True)
class Threshold:
    metric: str
    permille: int
    window_minutes: int

    @property
    def percent(self) -> float:
        return self.permille / 10


DEFAULTS = {
    OveruseMetric.CPU: Threshold(OveruseMetric.CPU, 900, 30),
    OveruseMetric.MEMORY: Threshold(OveruseMetric.MEMORY, 950, 30),
    OveruseMetric.STORAGE: Threshold(OveruseMetric.STORAGE, 950, 30),
}
DEFAULT_RESPONSE_WORKDAYS = 3

_METRIC = re.compile(
    r"^(?P<metric>[a-z]+)\s*>\s*(?P<percent>\d+(?:\.\d)?)\s*%\s*/\s*(?P<minutes>\d+)\s*min$"
)
_OFF = re.compile(r"^(?P<metric>[a-z]+)\s*=\s*off$")
_RESPONSE = re.compile(r"^response\s*=\s*(?P<days>\d+)\s*wd$")


@dataclass(frozen=True)
class Thresholds:
    metrics: dict[str, Threshold] = field(default_factory=lambda: dict(DEFAULTS))
    response_workdays: int = DEFAULT_RESPONSE_WORKDAYS
    agreed: bool = False
    text: str = ""

    def describe(self) -> str:
        return format_thresholds(self)


def parse_thresholds(text: str | None) -> Thresholds:
    """The thresholds a parameter value sets (defaults for what it leaves out).

    Raises DomainError naming every item it cannot read.
    """
    if text is None or not text.strip():
        return Thresholds()
    metrics = dict(DEFAULTS)
    response = DEFAULT_RESPONSE_WORKDAYS
    errors = []
    for raw in re.split(r"[;\n]", text):
        item = raw.strip().lower().replace("％", "%")
        if not item:
            continue
        if match := _METRIC.match(item):
            metric = match["metric"]
            percent = float(match["percent"])
            minutes = int(match["minutes"])
            if metric not in OveruseMetric.values:
                errors.append(_("未知指标“%(item)s”") % {"item": raw.strip()})
            elif not 0 < percent <= 100 or minutes <= 0:
                errors.append(
                    _("阈值须在 0–100%% 之间且时长大于 0：“%(item)s”") % {"item": raw.strip()}
                )
            else:
                metrics[metric] = Threshold(metric, round(percent * 10), minutes)
        elif match := _OFF.match(item):
            if match["metric"] not in OveruseMetric.values:
                errors.append(_("未知指标“%(item)s”") % {"item": raw.strip()})
            else:
                metrics.pop(match["metric"], None)
        elif match := _RESPONSE.match(item):
            response = int(match["days"])
            if response <= 0:
                errors.append(_("回应期限须大于 0 个工作日"))
        else:
            errors.append(
                _("无法识别“%(item)s”（格式：cpu>90%%/30min; storage>95%%/30min; response=3wd）")
                % {"item": raw.strip()}
            )
    if errors:
        raise DomainError("；".join(errors), code="invalid_thresholds", field="value")
    return Thresholds(metrics=metrics, response_workdays=response, agreed=True, text=text.strip())


def format_thresholds(thresholds: Thresholds) -> str:
    """The canonical text of `thresholds` (what `parse_thresholds` reads back)."""
    parts = []
    for metric in OveruseMetric.values:
        threshold = thresholds.metrics.get(metric)
        if threshold is None:
            parts.append(f"{metric}=off")
        else:
            parts.append(f"{metric}>{threshold.percent:g}%/{threshold.window_minutes}min")
    parts.append(f"response={thresholds.response_workdays}wd")
    return "; ".join(parts)
