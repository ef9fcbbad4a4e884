from decimal import Decimal

import pytest
from django.template import Context, Template

from yiyun.core.money import cny, in_capitals, in_figures


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("492000", "肆拾玖万贰仟元整"),
        ("498000", "肆拾玖万捌仟元整"),
        ("6000", "陆仟元整"),
        ("0.05", "伍分"),
        ("498000.5", "肆拾玖万捌仟元伍角"),
        ("1000000.07", "壹佰万元零柒分"),
        ("0", "零元整"),
    ],
)
def test_header_contract_total_in_capitals(amount, capitals):
    # 一: the total in figures and in 大写 must agree.
    assert in_capitals(amount) == capitals


def test_third_decimal_rounds_half_up_before_capitals():
    # cn2an truncates beyond two decimals; we round like an accountant first.
    assert cny("0.005") == Decimal("0.01")
    assert cny("12.344") == Decimal("12.34")
    assert cny("2.675") == Decimal("2.68")  # float would give 2.67
    assert in_capitals("498000.495") == "肆拾玖万捌仟元伍角"
    assert in_capitals("0.045") == "伍分"


def test_figures():
    assert in_figures(Decimal("492000")) == "¥492,000.00"
    assert in_figures("6000.5") == "¥6,000.50"
    assert in_figures("-24600") == "-¥24,600.00"
    assert in_capitals("-6000") == "负陆仟元整"


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", None])
def test_not_money_is_refused(bad):
    with pytest.raises(ValueError, match="not an amount of money"):
        cny(bad)


def test_template_filters():
    out = Template("{% load money %}{{ x|cny }} {{ x|daxie }}").render(Context({"x": "492000"}))
    assert out == "¥492,000.00 肆拾玖万贰仟元整"
