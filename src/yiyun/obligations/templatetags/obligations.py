from django import template

from yiyun.obligations.selectors import countdown

register = template.Library()


@register.filter
def countdown_text(obligation) -> str:
    """{{ obligation|countdown_text }} → 剩余 3天4小时"""
    return countdown(obligation).text


@register.filter
def countdown_colour(obligation) -> str:
    """{{ obligation|countdown_colour }} → ok / warn / bad (badge classes)"""
    return countdown(obligation).colour
