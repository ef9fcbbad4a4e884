"""Numbers, amounts and dates as contracts of this family write them.

Figures with or without thousands separators ("498,000.00", "498000"), in 万元
("49.8万元"), Chinese numerals ("二十四", "两", "壹年") and 大写 amounts
("肆拾玖万贰仟元整"); dates as 2024年1月1日, 2024-01-01, 2024/1/1, 2024.1.1 or
二〇二四年一月一日. Everything here works on the NFKC-normalised view (half-width).
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal, InvalidOperation

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "O": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "貳": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "叁": 3,
    "參": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "陸": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}

CN_DIGIT = "零〇○一壹二贰貳两兩三叁參四肆五伍六陆陸七柒八捌九玖"
CN_NUMERAL = CN_DIGIT + "十拾百佰千仟万萬亿億"
# A count written in figures or in Chinese numerals ("24", "二十四", "两", "壹").
COUNT = rf"(?:\d+|[{CN_NUMERAL}]+)"
# A figure: 498,000.00 or 498000 or 498000.5
FIGURE = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CAPITALS = r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+[元圆](?:[零壹贰叁肆伍陆柒捌玖]角)?(?:[零壹贰叁肆伍陆柒捌玖]分)?[整正]?"
# An amount of money: figures (optionally in 万元) or 大写, with its 元.
AMOUNT = rf"(?:人民币)?(?:¥)?(?:(?P<fig>{FIGURE})(?P<wan>万)?元|(?P<cap>{CAPITALS}))"


def cn_int(text: str) -> int:
    """'二十四' → 24, '两' → 2, '壹' → 1, '一百零五' → 105, '二〇二四' → 2024, '24' → 24."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch not in _UNITS and ch not in _BIG for ch in text):
        raise ValueError(f"not a number: {text!r}")
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = wan = section = number = 0
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _UNITS:
            section += (number or 1) * _UNITS[ch]
            number = 0
        elif _BIG[ch] == 10**4:
            wan += (section + number) * 10**4
            section = number = 0
        else:
            total = (total + wan + section + number) * 10**8
            wan = section = number = 0
    return total + wan + section + number


def figure(text: str) -> Decimal:
    """'498,000.00' → Decimal('498000.00')."""
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a figure: {text!r}") from None


def capitals_value(text: str) -> Decimal:
    """'肆拾玖万贰仟元整' → Decimal('492000.00'); '壹佰元伍角' → 100.50."""
    match = re.fullmatch(
        r"(?:人民币)?([零壹贰叁肆伍陆柒捌玖拾佰仟万亿]*)[元圆]"
        r"(?:([零壹贰叁肆伍陆柒捌玖])角)?(?:([零壹贰叁肆伍陆柒捌玖])分)?[整正]?",
        text.strip(),
    )
    if match is None:
        raise ValueError(f"not an amount in capitals: {text!r}")
    whole = cn_int(match.group(1)) if match.group(1).strip("零") else 0
    jiao = _DIGITS[match.group(2)] if match.group(2) else 0
    fen = _DIGITS[match.group(3)] if match.group(3) else 0
    return Decimal(whole) + Decimal(jiao) / 10 + Decimal(fen) / 100


def amount_of(match: re.Match) -> Decimal:
    """The value of an AMOUNT match, in 元 with two decimals."""
    if match.group("fig") is not None:
        value = figure(match.group("fig"))
        if match.group("wan"):
            value *= 10000
    else:
        value = capitals_value(match.group("cap"))
    return value.quantize(Decimal("0.01"))


def money_text(value: Decimal) -> str:
    """The format's way to write an amount: '492000.00'."""
    return f"{value.quantize(Decimal('0.01'))}"


def quantity_text(value: Decimal) -> str:
    """'1', '15.3', '2.96' (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text


# -- dates ---------------------------------------------------------------------------------

_CN_DATE_DIGITS = "零〇○O一二三四五六七八九十"
DATE = (
    r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})[日号])?"
    r"|(?P<y2>\d{4})[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})"
    rf"|(?P<y3>[{_CN_DATE_DIGITS}]{{4}})年(?P<m3>[{_CN_DATE_DIGITS}]{{1,3}})月"
    rf"(?:(?P<d3>[{_CN_DATE_DIGITS}]{{1,3}})[日号])?"
)
# A year on its own ("2025年支付…"): only where a rule allows it.
YEAR_ONLY = r"(?P<yo>\d{4})年(?!\d{1,2}月)"


def date_of(match: re.Match, *, prefix: str = "") -> tuple[date, str]:
    """(date, precision) of a DATE match: precision 'day', or 'month' when only the
    month was written (then the date is the month's last day)."""

    def group(name: str):
        return match.group(prefix + name)

    if group("y") is not None:
        year, month, day = int(group("y")), int(group("m")), group("d")
        day = int(day) if day else None
    elif group("y2") is not None:
        year, month, day = int(group("y2")), int(group("m2")), int(group("d2"))
    else:
        year, month = cn_int(group("y3")), cn_int(group("m3"))
        day = cn_int(group("d3")) if group("d3") else None
    if day is None:
        return date(year, month, calendar.monthrange(year, month)[1]), "month"
    return date(year, month, day), "day"


def named_date_pattern(prefix: str) -> str:
    """DATE with its group names prefixed, to use it twice in one pattern."""
    return re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<{prefix}{m.group(1)}>", DATE)
