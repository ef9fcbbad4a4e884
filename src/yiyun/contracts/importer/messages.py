"""What each extraction note means, in words (stored as a code and parameters; rendered
in the reader's language when shown)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NOTES = {
    "not_found": gettext_lazy("原文中未找到"),
    "signing_date_blank": gettext_lazy("签订日期在原文中为空"),
    "title_from_service": gettext_lazy("原文标题只有“合同”二字：按服务名称拟定合同名称"),
    "title_first_line": gettext_lazy("以原文第一行作为合同名称"),
    "signature_block_order": gettext_lazy(
        "签署页为左右两栏（甲方在左、乙方在右），按出现顺序判断归属"
    ),
    "configuration_label_only": gettext_lazy("“配置要求”栏只有标签“%(cell)s”，未填写内容，视为空"),
    "table_not_found": gettext_lazy("未找到服务项目价格表（一）"),
    "table_total_from_items": gettext_lazy("未找到合同总价：按各行小计合计"),
    "capitals_disagree": gettext_lazy("大写金额（%(capitals)s）与小写（%(figures)s）不符"),
    "circuit_component_name": gettext_lazy("电路价款的名称按带宽拟定"),
    "circuit_annual_disagrees": gettext_lazy(
        "电路一年合同额 %(stated)s 与 月租×条数×12 = %(computed)s 不符"
    ),
    "schedule_not_found": gettext_lazy("未找到付款方式（二.2）：付款计划为空，请补充"),
    "schedule_unparsed": gettext_lazy("付款方式一节未能识别出付款项：请补充"),
    "due_end_of_month": gettext_lazy("原文只写到月（%(written)s）：到期日按该月最后一天"),
    "due_end_of_year": gettext_lazy("原文只写到年（%(written)s年）：到期日按该年12月31日"),
    "component_by_keyword": gettext_lazy("按名称关键词对应到价款“%(component)s”"),
    "date_end_of_month": gettext_lazy("原文日期只写到月：按该月最后一天"),
    "entitlement_not_found": gettext_lazy("未找到资源配额：%(resource)s"),
    "binary_unit": gettext_lazy("原文单位 %(written)s 按云平台惯例理解为 %(unit)s"),
    "circuits_unparsed": gettext_lazy("原文提到点对点电路，但未能识别端点"),
    "township_health_centre": gettext_lazy("电路端点“%(township)s”按该乡镇卫生院理解"),
    "circuit_count_disagrees": gettext_lazy("原文写 %(written)s 个点位，实际列出 %(listed)s 个"),
    "site_from_circuit": gettext_lazy("站点由电路端点推断"),
    "site_kind_from_name": gettext_lazy("站点类型按名称推断"),
    "clause_not_found": gettext_lazy("未找到条款 %(clause)s"),
    "clause_found_elsewhere": gettext_lazy("在条款 %(found_in)s 中找到，与模板的条款编号不同"),
    "clause_differs": gettext_lazy(
        "条款 %(clause)s 写作“%(written)s”，模板通常为 %(usual)s。已按原文导入 %(value)s；"
        "平台该条款的期限规则按 %(usual)s 计时，请核对"
    ),
    "penalty_differs": gettext_lazy(
        "条款 %(clause)s 的违约金比例为 %(n)s%%，模板通常为 %(usual_n)s%%"
    ),
}


def _period(n, clock: str) -> str:
    from yiyun.obligations.choices import ObligationClock

    if clock in ObligationClock.values:
        return f"{n} {ObligationClock(clock).label}"
    return f"{n} {clock}"


def note_message(code: str, params: dict | None = None) -> str:
    """The note `code` in words, with its parameters."""
    template = NOTES.get(code)
    if template is None:
        return code
    params = dict(params or {})
    if "usual_clock" in params:
        params["usual"] = _period(params.get("usual_n"), params["usual_clock"])
        params["value"] = _period(params.get("n"), params.get("clock", ""))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def flag_label(flag: str) -> str:
    from yiyun.contracts.importer.choices import FieldFlag

    return FieldFlag(flag).label if flag in FieldFlag.values else (flag or _("无"))
