"""Money: Decimal CNY, shown in figures and in Chinese capital numerals (大写)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

CENT = Decimal("0.01")


def cny(value) -> Decimal:
    """A CNY amount rounded to the fen, half up as accountants do.

    Raises ValueError for anything that is not a finite number.
    """
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def in_figures(value) -> str:
    """'¥492,000.00'."""
    amount = cny(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def in_capitals(value) -> str:
    """'肆拾玖万贰仟元整'. cn2an truncates past two decimals, so round first."""
    amount = cny(value)
    if amount < 0:
        return "负" + cn2an.an2cn(str(-amount), "rmb")
    return cn2an.an2cn(str(amount), "rmb")
