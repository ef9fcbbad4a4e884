"""The review page's model: every field of the loader's format as an input named by its
path, beside the source text with a mark for every span.

`review_sections(draft)` lays out the fields (with value, confidence, flag, message,
check error and the number of its mark); `data_from_post(draft.data, post)` turns the
submitted inputs back into loader data; `source_html(text, marks)` renders the text with
its marks on the server (no script: each field links to `#src-N`, each mark to `#f-N`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import PricePeriod
from yiyun.contracts.importer.choices import FieldFlag
from yiyun.contracts.importer.extract import CONFIDENT
from yiyun.contracts.importer.messages import flag_label, note_message
from yiyun.tenancy.choices import SiteKind

NULLABLE = {"signed_on", "annual_total"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, date, money, int, bool, list, choice
    choices: tuple = ()


@dataclass(frozen=True)
class Group:
    """A mapping (`rows` False: one input per column) or a list of rows at `path`."""

    key: str
    title: str
    path: str
    columns: tuple[Column, ...]
    rows: bool = False


PARTY_COLUMNS = (
    Column("name", _("名称")),
    Column("short_name", _("简称")),
    Column("address", _("地址")),
    Column("bank_name", _("开户银行")),
    Column("bank_account", _("账号")),
)

GROUPS = (
    Group(
        "header",
        _("合同首部"),
        "",
        (
            Column("number", _("合同编号")),
            Column("title", _("合同名称")),
            Column("procurement_project", _("采购项目")),
            Column("signed_on", _("签订日期"), "date"),
            Column("table_total", _("合同总价（一）"), "money"),
            Column("table_total_capitals", _("合同总价（大写）")),
            Column("annual_total", _("一年价款总额（二.1）"), "money"),
        ),
    ),
    Group(
        "period",
        _("服务期（1.3）与续签（11.1）"),
        "",
        (
            Column("service_period.start", _("服务期起"), "date"),
            Column("service_period.end", _("服务期止"), "date"),
            Column("renewal.notice_months_before_end", _("不续签通知提前月数"), "int"),
            Column("renewal.renews_for_months", _("顺延月数"), "int"),
        ),
    ),
    Group("customer", _("采购单位（甲方）"), "parties.customer", PARTY_COLUMNS),
    Group(
        "sites",
        _("甲方站点"),
        "parties.customer.sites",
        (
            Column("name", _("名称")),
            Column("kind", _("类型"), "choice", tuple(SiteKind.choices)),
            Column("township", _("乡镇")),
        ),
        rows=True,
    ),
    Group("provider", _("服务单位（乙方）"), "parties.provider", PARTY_COLUMNS),
    Group(
        "line_items",
        _("一、服务项目、价格"),
        "line_items",
        (
            Column("item", _("商品名称")),
            Column("brand", _("品牌")),
            Column("model", _("型号")),
            Column("configuration", _("配置要求")),
            Column("quantity", _("数量")),
            Column("unit", _("单位")),
            Column("unit_price", _("单价"), "money"),
            Column("subtotal", _("小计"), "money"),
        ),
        rows=True,
    ),
    Group(
        "price_components",
        _("二.1 价款组成"),
        "price_components",
        (
            Column("name", _("名称")),
            Column("kind", _("类别")),
            Column("amount", _("单价"), "money"),
            Column("period", _("计费周期"), "choice", tuple(PricePeriod.choices)),
            Column("quantity", _("数量")),
            Column("tax_included", _("含税"), "bool"),
        ),
        rows=True,
    ),
    Group(
        "payment_schedule",
        _("二.2 付款计划"),
        "payment_schedule",
        (
            Column("label", _("名称")),
            Column("due", _("到期日"), "date"),
            Column("amount", _("金额"), "money"),
            Column("component", _("对应价款")),
        ),
        rows=True,
    ),
    Group(
        "entitlements",
        _("1.2 资源配额"),
        "entitlements",
        (
            Column("resource", _("资源")),
            Column("quantity", _("数量")),
            Column("unit", _("单位")),
            Column("stated", _("原文")),
        ),
        rows=True,
    ),
    Group(
        "circuits",
        _("1.2 点对点电路"),
        "circuits",
        (
            Column("a_end", _("A 端")),
            Column("z_end", _("Z 端")),
            Column("bandwidth_mbps", _("带宽（Mbit/s）"), "int"),
            Column("monthly_fee", _("月租"), "money"),
        ),
        rows=True,
    ),
    Group(
        "open_parameters",
        _("合同留待双方约定的事项"),
        "open_parameters",
        (
            Column("key", _("键")),
            Column("label", _("事项")),
            Column("clause", _("条款")),
            Column("choices", _("可选值（逗号分隔）"), "list"),
            Column("value", _("约定值")),
        ),
        rows=True,
    ),
)
GROUP_KEYS = {group.key for group in GROUPS}


# -- reading and writing values by path ---------------------------------------------------------


def _parts(path: str) -> list:
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return parts


def value_at(data, path: str):
    node = data
    for part in _parts(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
        elif not isinstance(node, dict):
            return None
        node = node[part] if isinstance(part, int) else node.get(part)
    return node


def _set(data: dict, path: str, value) -> None:
    parts = _parts(path)
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if value is None and parts[-1] not in NULLABLE:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def _shown(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "1" if value else ""
    if kind == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _parsed(raw: str | None, kind: str):
    """An input's text as the loader's value; None for an empty input. Text that does not
    parse is kept as it is, so the check names the field instead of losing it."""
    if kind == "bool":
        return bool(raw)
    raw = (raw or "").strip()
    if not raw:
        return None
    if kind == "int":
        return int(raw) if re.fullmatch(r"\d+", raw) else raw
    if kind == "money":
        return raw.replace(",", "").replace("，", "").replace("¥", "").strip()
    if kind == "list":
        return [part.strip() for part in re.split(r"[,，]", raw) if part.strip()]
    return raw


def data_from_post(data: dict, post) -> dict:
    """The draft's data with the submitted groups replaced by their inputs.

    Only groups named in the form's `groups` inputs change. A row whose text inputs are
    all empty, or whose remove box is ticked, is dropped; the blank row each list shows
    adds one when filled in.
    """
    result = copy.deepcopy(data) if isinstance(data, dict) else {}
    submitted = set(post.getlist("groups")) & GROUP_KEYS
    for group in GROUPS:
        if group.key not in submitted:
            continue
        if not group.rows:
            for column in group.columns:
                path = f"{group.path}.{column.key}" if group.path else column.key
                _set(result, path, _parsed(post.get(path), column.kind))
            continue
        indices = sorted(
            {
                int(match.group(1))
                for name in post
                if (match := re.match(rf"^{re.escape(group.path)}\[(\d+)\]\.", name))
            }
        )
        rows = []
        for index in indices:
            prefix = f"{group.path}[{index}]"
            if post.get(f"{prefix}.remove"):
                continue
            row = {}
            for column in group.columns:
                value = _parsed(post.get(f"{prefix}.{column.key}"), column.kind)
                if value is not None and not (column.kind == "bool" and not value):
                    row[column.key] = value
                elif column.kind == "bool":
                    row[column.key] = False
            if any(key for key, value in row.items() if not isinstance(value, bool)):
                rows.append(row)
        _set(result, group.path, rows)
    return result


# -- what the page shows ------------------------------------------------------------------------


@dataclass
class Cell:
    path: str
    column: Column
    value: str
    meta: dict = field(default_factory=dict)
    error: str = ""
    number: int | None = None

    @property
    def css(self) -> str:
        if self.error:
            return "bad"
        return _css(self.meta)

    @property
    def flag_label(self) -> str:
        return flag_label(self.meta.get("flag", "")) if self.meta.get("flag") else ""

    @property
    def message(self) -> str:
        return (
            note_message(self.meta["note"], self.meta.get("params"))
            if self.meta.get("note")
            else ""
        )

    @property
    def confidence(self) -> str:
        if "confidence" not in self.meta:
            return ""
        return f"{round(self.meta['confidence'] * 100)}%"


def _css(meta: dict) -> str:
    flag = meta.get("flag", "")
    if flag in FieldFlag.values:
        return FieldFlag(flag).colour
    if meta and meta.get("confidence", 1) < CONFIDENT:
        return "warn"
    return ""


@dataclass
class SectionView:
    group: Group
    cells: list[Cell] = field(default_factory=list)  # a mapping's inputs
    rows: list[list[Cell]] = field(default_factory=list)  # a list's rows, then one blank
    notes: list[dict] = field(default_factory=list)  # flags about the list as a whole


def review_sections(data: dict, review: dict, errors: list[dict]) -> tuple[list[SectionView], dict]:
    """The review form, and the numbering of marks: {path: number}."""
    fields = review.get("fields", {}) if isinstance(review, dict) else {}
    numbers = mark_numbers(fields)
    error_at = {}
    for error in errors or []:
        error_at.setdefault(error.get("path", ""), error.get("message", ""))
    sections = []
    for group in GROUPS:
        section = SectionView(group)
        if not group.rows:
            for column in group.columns:
                path = f"{group.path}.{column.key}" if group.path else column.key
                section.cells.append(
                    Cell(
                        path,
                        column,
                        _shown(value_at(data, path), column.kind),
                        fields.get(path, {}),
                        error_at.get(path, ""),
                        numbers.get(path),
                    )
                )
        else:
            rows = value_at(data, group.path)
            rows = rows if isinstance(rows, list) else []
            for index in range(len(rows) + 1):
                row = []
                for column in group.columns:
                    path = f"{group.path}[{index}].{column.key}"
                    value = value_at(data, path) if index < len(rows) else None
                    if column.kind == "bool" and index == len(rows):
                        value = True
                    row.append(
                        Cell(
                            path,
                            column,
                            _shown(value, column.kind),
                            fields.get(path, {}),
                            error_at.get(path, "") or error_at.get(f"{group.path}[{index}]", ""),
                            numbers.get(path),
                        )
                    )
                section.rows.append(row)
            for path, meta in fields.items():
                if meta.get("flag") and (path == group.path or path.startswith(group.path + ".")):
                    section.notes.append(
                        {
                            **meta,
                            "path": path,
                            "css": _css(meta),
                            "message": note_message(meta.get("note", ""), meta.get("params")),
                            "flag_label": flag_label(meta["flag"]),
                            "number": numbers.get(path),
                        }
                    )
            if error_at.get(group.path):
                section.notes.append(
                    {
                        "path": group.path,
                        "css": "bad",
                        "message": error_at[group.path],
                        "flag_label": _("格式错误"),
                    }
                )
        sections.append(section)
    return sections, numbers


def mark_numbers(fields: dict) -> dict[str, int]:
    """Each field with a span gets a number, in the order its span appears in the text."""
    spanned = [(meta["span"][0], path) for path, meta in fields.items() if meta.get("span")]
    return {path: number for number, (_start, path) in enumerate(sorted(spanned), start=1)}


@dataclass(frozen=True)
class Mark:
    number: int
    start: int
    end: int
    css: str
    title: str
    prefix: str = "f"


def source_marks(review: dict, numbers: dict[str, int]) -> list[Mark]:
    marks = []
    for path, meta in review.get("fields", {}).items():
        span = meta.get("span")
        if span and path in numbers:
            marks.append(Mark(numbers[path], span[0], span[1], _css(meta), path))
    for key, meta in review.get("clauses", {}).items():
        span = meta.get("span")
        if span:
            marks.append(Mark(0, span[0], span[1], _css(meta), key, prefix=f"c-{key}"))
    return marks


def source_html(text: str, marks: list[Mark]) -> SafeString:
    """`text` escaped, each mark a <mark id="src-N"> starting with a link to its field.

    Marks are nested where spans nest; a span that crosses an enclosing one is cut at the
    enclosing one's end (HTML elements cannot cross).
    """
    out: list[str] = []
    position = 0
    stack: list[int] = []  # ends of the open marks, innermost last

    def close_until(limit: int) -> None:
        nonlocal position
        while stack and stack[-1] <= limit:
            end = stack.pop()
            out.append(escape(text[position:end]))
            out.append("</mark>")
            position = end

    for mark in sorted(marks, key=lambda m: (m.start, -m.end, m.number)):
        if mark.start < position:
            continue
        close_until(mark.start)
        out.append(escape(text[position : mark.start]))
        position = mark.start
        end = min(mark.end, stack[-1]) if stack else mark.end
        if mark.prefix == "f":
            anchor, target = f"src-{mark.number}", f"#f-{mark.number}"
            label = str(mark.number)
        else:
            anchor, target = f"src-{mark.prefix}", f"#{mark.prefix}"
            label = mark.title
        out.append(
            format_html(
                '<mark id="{}" class="src {}" title="{}"><a class="ref" href="{}">{}</a>',
                anchor,
                mark.css,
                mark.title,
                target,
                label,
            )
        )
        stack.append(end)
    close_until(len(text))
    out.append(escape(text[position:]))
    return mark_safe("".join(str(part) for part in out))  # noqa: S308 — every piece escaped above
