"""The contract check (lint): what in a contract disagrees with itself or is left open.

Findings are computed on demand from the register (nothing stored): the contract page,
`GET /api/contracts/{id}/findings` and `yiyun contract check NUMBER [--json]` all call
`contract_findings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from yiyun.contracts.choices import PricePeriod, Severity
from yiyun.contracts.models import Contract
from yiyun.contracts.selectors import add_months
from yiyun.core.money import in_capitals, in_figures

ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    clause: str
    title: str
    explanation: str
    data: dict = field(default_factory=dict)

    @property
    def colour(self) -> str:
        return Severity(self.severity).colour

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "clause": self.clause,
            "title": self.title,
            "explanation": self.explanation,
            "data": self.data,
        }


def _money(value) -> str:
    return in_figures(value)


def _months_between(contract: Contract) -> int:
    """Whole months of the service period (start .. end inclusive)."""
    months = 0
    while add_months(contract.start, months + 1) <= contract.end + timedelta(days=1):
        months += 1
    return months


def contract_findings(contract: Contract) -> list[Finding]:
    """Every finding of the contract check, errors first."""
    findings: list[Finding] = []
    items = list(contract.line_items.all())
    components = list(contract.price_components.all())
    schedule = list(contract.payment_schedule.all())
    findings += _line_items(contract, items)
    findings += _totals(contract, items, components)
    findings += _capitals(contract)
    findings += _schedule(contract, components, schedule)
    findings += _recurring(contract, components)
    findings += _open_parameters(contract)
    findings += _header(contract)
    findings += _units(contract)
    return sorted(findings, key=lambda finding: ORDER[finding.severity])


def _line_items(contract, items) -> list[Finding]:
    found = []
    for item in items:
        expected = (item.quantity * item.unit_price).quantize(Decimal("0.01"))
        if expected != item.subtotal:
            found.append(
                Finding(
                    "line_subtotal",
                    Severity.ERROR,
                    "一",
                    _("第 %(n)s 行小计与数量×单价不符") % {"n": item.position},
                    _("%(item)s：%(qty)s × %(price)s = %(expected)s，表中小计为 %(subtotal)s。")
                    % {
                        "item": item.item,
                        "qty": item.quantity.normalize(),
                        "price": _money(item.unit_price),
                        "expected": _money(expected),
                        "subtotal": _money(item.subtotal),
                    },
                    {
                        "position": item.position,
                        "expected": str(expected),
                        "subtotal": str(item.subtotal),
                    },
                )
            )
    return found


def _totals(contract, items, components) -> list[Finding]:
    """The same money stated several ways: line items, table total, annual total, prices."""
    totals = [
        ("line_items", _("服务项目小计合计（一）"), sum((i.subtotal for i in items), Decimal(0))),
        ("table_total", _("合同总价（一）"), contract.table_total),
    ]
    if contract.annual_total is not None:
        totals.append(("annual_total", _("合同一年价款总额（二.1）"), contract.annual_total))
    annual = [c.annual_amount for c in components if c.annual_amount is not None]
    if annual:
        parts = " + ".join(
            f"{c.name} {_money(c.annual_amount)}" for c in components if c.annual_amount is not None
        )
        totals.append(
            (
                "price_components",
                _("价款组成每年合计（二.1：%(parts)s）") % {"parts": parts},
                sum(annual, Decimal(0)),
            )
        )
    values = sorted({amount.quantize(Decimal("0.01")) for _key, _label, amount in totals})
    if len(values) < 2:
        return []
    listing = "；".join(f"{label} {_money(amount)}" for _key, label, amount in totals)
    return [
        Finding(
            "totals_disagree",
            Severity.ERROR,
            "一, 二.1",
            _("合同金额前后不一致：%(values)s") % {"values": " / ".join(_money(v) for v in values)},
            _(
                "%(listing)s。相差 %(diff)s。合同未说明以哪一个为准；"
                "5.1、5.2、3.5 的违约金均按“合同总金额”计算，基数因此不明确，"
                "平台在双方约定前按各候选基数分别列出。"
            )
            % {"listing": listing, "diff": _money(values[-1] - values[0])},
            {key: str(amount) for key, _label, amount in totals},
        )
    ]


def _capitals(contract) -> list[Finding]:
    expected = in_capitals(contract.table_total)
    if not contract.table_total_capitals:
        return [
            Finding(
                "capitals_missing",
                Severity.WARNING,
                "一",
                _("合同总价缺少大写金额"),
                _("合同总价 %(figures)s 应写作 %(capitals)s。")
                % {"figures": _money(contract.table_total), "capitals": expected},
            )
        ]
    if contract.table_total_capitals != expected:
        return [
            Finding(
                "capitals_disagree",
                Severity.ERROR,
                "一",
                _("合同总价的大写与小写不符"),
                _("小写 %(figures)s 的大写应为 %(expected)s，合同写作 %(stated)s。")
                % {
                    "figures": _money(contract.table_total),
                    "expected": expected,
                    "stated": contract.table_total_capitals,
                },
                {"expected": expected, "stated": contract.table_total_capitals},
            )
        ]
    return []


def _schedule(contract, components, schedule) -> list[Finding]:
    """二.2 against 1.3: does the payment schedule pay for the whole service period?"""
    found = []
    months = _months_between(contract)
    annual = sum((c.annual_amount for c in components if c.annual_amount is not None), Decimal(0))
    once = sum(
        (c.amount * c.quantity for c in components if c.period == PricePeriod.ONCE), Decimal(0)
    )
    period_value = (annual * months / 12 + once).quantize(Decimal("0.01"))
    scheduled = sum((item.amount for item in schedule), Decimal(0))
    uncovered_years = []
    year_start = contract.start
    while year_start <= contract.end:
        year_end = min(add_months(year_start, 12) - timedelta(days=1), contract.end)
        if not any(year_start <= item.due_on <= year_end for item in schedule):
            uncovered_years.append(f"{year_start.isoformat()}~{year_end.isoformat()}")
        year_start = add_months(year_start, 12)
    outside = [item for item in schedule if not contract.start <= item.due_on <= contract.end]
    if components and (scheduled < period_value or uncovered_years):
        found.append(
            Finding(
                "schedule_short",
                Severity.WARNING,
                "二.2, 1.3",
                _("付款计划未覆盖整个服务期"),
                _(
                    "服务期 %(start)s 至 %(end)s 共 %(months)s 个月，按二.1 的单价计 %(value)s；"
                    "付款计划合计 %(scheduled)s。%(years)s"
                )
                % {
                    "start": contract.start.isoformat(),
                    "end": contract.end.isoformat(),
                    "months": months,
                    "value": _money(period_value),
                    "scheduled": _money(scheduled),
                    "years": (
                        _("没有安排付款的合同年度：%(years)s。")
                        % {"years": "、".join(uncovered_years)}
                        if uncovered_years
                        else ""
                    ),
                },
                {
                    "period_value": str(period_value),
                    "scheduled": str(scheduled),
                    "uncovered_years": uncovered_years,
                },
            )
        )
    for item in outside:
        found.append(
            Finding(
                "payment_outside_period",
                Severity.WARNING,
                "二.2",
                _("付款日期在服务期之外"),
                _("%(label)s 的付款日期 %(due)s 不在服务期 %(start)s 至 %(end)s 内。")
                % {
                    "label": item.label,
                    "due": item.due_on.isoformat(),
                    "start": contract.start.isoformat(),
                    "end": contract.end.isoformat(),
                },
            )
        )
    return found


def _recurring(contract, components) -> list[Finding]:
    """Prices per year/month, a period of several years, and a total of one year."""
    months = _months_between(contract)
    recurring = [c for c in components if c.period in (PricePeriod.YEAR, PricePeriod.MONTH)]
    if not recurring or months <= 12:
        return []
    annual = sum((c.annual_amount for c in recurring), Decimal(0))
    whole_period = (annual * months / 12).quantize(Decimal("0.01"))
    if contract.table_total >= whole_period:
        return []
    return [
        Finding(
            "recurring_vs_period",
            Severity.WARNING,
            "一, 二.1, 1.3",
            _("按年/月计价，服务期跨多年，合同总价只相当于一年"),
            _(
                "价款按年或按月计（每年 %(annual)s），服务期 %(months)s 个月（按此计全期 %(whole)s），"
                "而合同总价为 %(total)s。合同总价是一年的价款还是全期的价款，需双方确认。"
            )
            % {
                "annual": _money(annual),
                "months": months,
                "whole": _money(whole_period),
                "total": _money(contract.table_total),
            },
            {"annual": str(annual), "months": months, "whole_period": str(whole_period)},
        )
    ]


def _open_parameters(contract) -> list[Finding]:
    return [
        Finding(
            "open_parameter",
            Severity.WARNING,
            parameter.clause,
            _("双方尚未约定：%(label)s") % {"label": parameter.label},
            _("合同（%(clause)s）把此事项留给双方约定；约定之前，平台无法据此执行。")
            % {"clause": parameter.clause},
            {"key": parameter.key},
        )
        for parameter in contract.open_parameters.all()
        if not parameter.is_set
    ]


def _header(contract) -> list[Finding]:
    if contract.signed_on is None:
        return [
            Finding(
                "signing_date_missing",
                Severity.WARNING,
                _("合同首部/签署页"),
                _("合同未填写签订日期"),
                _("签订日期为空；合同生效时间以双方确认的日期为准。"),
            )
        ]
    return []


def _units(contract) -> list[Finding]:
    stated = [e for e in contract.entitlements.all() if e.unit in ("GiB", "TiB")]
    if not stated:
        return []
    return [
        Finding(
            "entitlement_units",
            Severity.INFO,
            "1.2",
            _("资源单位的理解：G 按 GiB、T 按 TiB"),
            _(
                "合同写作 %(stated)s；平台按云平台控制台的惯例理解为二进制单位（1 GiB = 2³⁰ 字节，1 TiB = 2⁴⁰ 字节）。"
            )
            % {
                "stated": "、".join(e.stated or f"{e.quantity.normalize()}{e.unit}" for e in stated)
            },
        )
    ]
