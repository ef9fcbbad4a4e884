from django import template

from yiyun.core.money import in_capitals, in_figures

register = template.Library()


@register.filter
def cny(value) -> str:
    """{{ amount|cny }} → ¥492,000.00"""
    return in_figures(value)


@register.filter
def daxie(value) -> str:
    """{{ amount|daxie }} → 肆拾玖万贰仟元整"""
    return in_capitals(value)
