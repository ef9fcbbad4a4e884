"""Rule-based extraction for the 定点服务“全疆一张网” contract template family.

`contract_extract(text)` returns an `Extraction`: `data` in exactly the format
`yiyun contract load` reads (contracts/dataformat.py), `fields` with the span of the
original text each value came from, its confidence (0..1) and a flag when the reviewer
should look (missing, uncertain, inferred, differs, inconsistent), and `clauses` with the
clock or percentage of every clause the obligations registry and the breach ledger know
(2.2's 24 h, 2.3's 2 working days, … 5.1's 5 %). A clause whose number differs from
what the registry runs (a 12 h fault limit) keeps its own value and is flagged, never
normalised.

Field paths are those of the loader's error messages ("line_items[0].subtotal"), so a
loader error and an extraction flag land on the same field of the review page.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from yiyun.contracts.importer.choices import FieldFlag
from yiyun.contracts.importer.numbers import (
    AMOUNT,
    CAPITALS,
    CN_NUMERAL,
    COUNT,
    DATE,
    FIGURE,
    YEAR_ONLY,
    amount_of,
    capitals_value,
    cn_int,
    date_of,
    figure,
    money_text,
    named_date_pattern,
    quantity_text,
)
from yiyun.contracts.importer.text import Source, View

# Below this, a value is shown as uncertain even without a flag.
CONFIDENT = 0.8
HAN = r"\u4e00-\u9fff"
# Item names of the programme's catalogue: splits an item cell a PDF fused with the next.
CATALOGUE_ITEMS = ("云租赁服务、电路/互联网宽带/固定电话服务",)
TABLE_COLUMNS = (
    "序号",
    "商品名称",
    "品牌",
    "型号",
    "配置要求",
    "采购数量",
    "计数单位",
    "成交单价",
    "小计",
)
UNIT_WORDS = {
    "G": "GiB",
    "GB": "GiB",
    "GiB": "GiB",
    "T": "TiB",
    "TB": "TiB",
    "TiB": "TiB",
    "M": "MiB",
    "MB": "MiB",
    "MiB": "MiB",
    "P": "PiB",
    "PB": "PiB",
    "PiB": "PiB",
}
CLOCK_WORDS = {
    "小时": "hours",
    "个小时": "hours",
    "h": "hours",
    "H": "hours",
    "工作日": "workdays",
    "个工作日": "workdays",
    "天": "days",
    "日": "days",
    "自然日": "days",
    "个自然日": "days",
    "个月": "months",
    "月": "months",
}
CLOCK_UNIT = r"(?P<u>个?小时|[hH]|个?工作日|个?自然日|天|日|个?月)"


@dataclass
class Meta:
    """Where a value came from and how sure the rule is."""

    span: tuple[int, int] | None
    confidence: float
    flag: str = ""
    note: str = ""
    params: dict = field(default_factory=dict)

    def as_dict(self, source: Source) -> dict:
        out = {
            "span": list(self.span) if self.span else None,
            "text": source.excerpt(self.span),
            "confidence": round(self.confidence, 2),
        }
        if self.flag:
            out["flag"] = self.flag
        if self.note:
            out["note"] = self.note
        if self.params:
            out["params"] = self.params
        return out


@dataclass
class ClauseValue:
    """A clause's clock (or percentage) as the contract states it, beside the usual one."""

    key: str
    clause: str
    clock: str
    n: Decimal | int | None
    usual_clock: str
    usual_n: Decimal | int | None
    before: bool = False
    meta: Meta = field(default_factory=lambda: Meta(None, 0.0))

    def as_dict(self, source: Source) -> dict:
        def number(value):
            if isinstance(value, Decimal):
                return quantity_text(value)
            return value

        return {
            "clause": self.clause,
            "clock": self.clock,
            "n": number(self.n),
            "before": self.before,
            "usual": {"clock": self.usual_clock, "n": number(self.usual_n)},
            **self.meta.as_dict(source),
        }


class Hit:
    """A regex match in a view, with original spans of its groups."""

    def __init__(self, match: re.Match, view: View):
        self.match = match
        self.view = view

    def __getitem__(self, group):
        return self.match.group(group)

    def span(self, group=0) -> tuple[int, int] | None:
        start, end = self.match.span(group)
        if start < 0:
            return None
        return self.view.span(start, end)

    @property
    def start(self) -> int:
        """The original offset where the match starts."""
        return self.view.starts[self.match.start()]


class Extraction:
    """What the rules found: loader data, field metadata, clause clocks."""

    def __init__(self, source: Source):
        self.source = source
        self.data: dict = {}
        self.fields: dict[str, Meta] = {}
        self.clauses: dict[str, ClauseValue] = {}
        self._clause_index = _clause_index(source)

    # -- bookkeeping -----------------------------------------------------------------------

    def mark(self, path: str, span, confidence: float, flag: str = "", note: str = "", **params):
        self.fields[path] = Meta(span, confidence, flag, note, params)

    def missing(self, path: str, note: str = "not_found", **params) -> None:
        self.fields[path] = Meta(None, 0.0, FieldFlag.MISSING, note, params)

    def flags(self) -> list[tuple[str, Meta]]:
        found = [(path, meta) for path, meta in self.fields.items() if meta.flag]
        found += [(f"clauses.{key}", c.meta) for key, c in self.clauses.items() if c.meta.flag]
        return found

    # -- searching -------------------------------------------------------------------------

    def clause_range(self, number: str) -> tuple[int, int] | None:
        return self._clause_index.get(number)

    def clause_at(self, position: int) -> str:
        """The number of the innermost numbered clause containing original `position`."""
        best, size = "", None
        for number, (start, end) in self._clause_index.items():
            if start <= position < end and (size is None or end - start < size):
                best, size = number, end - start
        return best

    def search(self, pattern: str, *, within: str | None = None, flags=0) -> Hit | None:
        """First match in the prose view, inside clause `within` when given."""
        view = self.source.prose
        start, end = 0, len(view.text)
        if within is not None:
            bounds = self.clause_range(within)
            if bounds is None:
                return None
            start = bisect.bisect_left(view.starts, bounds[0])
            end = bisect.bisect_left(view.starts, bounds[1])
        match = re.compile(pattern, flags).search(view.text, start, end)
        return Hit(match, view) if match else None

    def finditer(self, pattern: str, *, start: int = 0, end: int | None = None):
        view = self.source.prose
        lo = bisect.bisect_left(view.starts, start)
        hi = len(view.text) if end is None else bisect.bisect_left(view.starts, end)
        for match in re.compile(pattern).finditer(view.text, lo, hi):
            yield Hit(match, view)

    def line_hits(self, pattern: str):
        """Matches of `pattern` against each line of the lines view, in order."""
        view = self.source.lines
        compiled = re.compile(pattern, re.MULTILINE)
        for offset, line in view.lines():
            match = compiled.search(view.text, offset, offset + len(line))
            if match:
                yield Hit(match, view)


def _clause_index(source: Source) -> dict[str, tuple[int, int]]:
    """Numbered clauses ("2.2", "2.7.4", "8.1.1") → original [start, end): each runs to
    the next numbered clause or article heading."""
    view = source.lines
    starts: list[tuple[int, str]] = []
    # "2.2 因乙方…", "2.7. 甲方…"; not a wrapped line that starts "15.3T；…".
    clause = re.compile(rf"\s*(\d{{1,2}}(?:\.\d{{1,2}}){{1,3}})\.?(?=\s|[{HAN}(]|$)")
    heading = re.compile(r"\s*(?:第[一二三四五六七八九十]+条|[一二三四五六七八九十]+、)")
    for offset, line in view.lines():
        match = clause.match(view.text, offset, offset + len(line))
        if match:
            starts.append((view.starts[match.start(1)], match.group(1)))
        elif heading.match(view.text, offset, offset + len(line)) and line.strip():
            starts.append((view.starts[offset + len(line) - len(line.lstrip())], ""))
    index: dict[str, tuple[int, int]] = {}
    for position, (start, number) in enumerate(starts):
        if not number or number in index:
            continue
        # A clause runs until the next clause that is not one of its sub-clauses.
        end = len(source.text)
        for later_start, later in starts[position + 1 :]:
            if not later.startswith(number + "."):
                end = later_start
                break
        index[number] = (start, end)
    return index


# -- the rules -------------------------------------------------------------------------------


def contract_extract(text: str) -> Extraction:
    """Extract the structured contract from its text (see the module docstring)."""
    ex = Extraction(Source(text))
    _header(ex)
    _parties(ex)
    _table(ex)
    _prices(ex)
    _schedule(ex)
    _period(ex)
    _entitlements(ex)
    _circuits(ex)
    _sites(ex)
    _open_parameters(ex)
    _clauses(ex)
    for meta in ex.fields.values():
        if not meta.flag and meta.confidence < CONFIDENT:
            meta.flag = FieldFlag.UNCERTAIN
    ex.data = _ordered(ex.data)
    return ex


def _header(ex: Extraction) -> None:
    hit = ex.search(r"(?:合同)?编号:?([0-9A-Za-z][0-9A-Za-z\-_/]{3,59})")
    if hit:
        ex.data["number"] = hit[1]
        ex.mark("number", hit.span(1), 0.95)
    else:
        ex.missing("number")

    first = next((line.strip() for _o, line in ex.source.lines.lines() if line.strip()), "")
    title_line = next(ex.line_hits(r"^\s*(\S.*合同)\s*$"), None)
    service = ex.search(rf"向甲方提供([{HAN}A-Za-z0-9]{{2,20}}?服务)和?售后") or ex.search(
        rf"提供([{HAN}]{{2,20}}?云服务)"
    )
    if title_line is not None and len(title_line[1].strip()) > 2 and first == title_line[1].strip():
        ex.data["title"] = title_line[1].strip()
        ex.mark("title", title_line.span(1), 0.9)
    elif service is not None:
        ex.data["title"] = f"{service[1]}合同"
        ex.mark("title", service.span(1), 0.6, FieldFlag.INFERRED, "title_from_service")
    elif first:
        ex.data["title"] = first[:300]
        ex.mark("title", None, 0.4, FieldFlag.UNCERTAIN, "title_first_line")
    else:
        ex.missing("title")

    hit = ex.search(r"组织(.{4,80}?\(第[一二三四五六七八九十\d]{1,3}期\))项目")
    if hit is None:
        hit = ex.search(r"遵循.{0,40}?([^,。、;:]{4,80}?\(第[一二三四五六七八九十\d]{1,3}期\))项目")
    if hit:
        ex.data["procurement_project"] = ex.source.compact(hit.span(1))
        ex.mark("procurement_project", hit.span(1), 0.85)
    else:
        ex.missing("procurement_project")

    signed = list(ex.line_hits(rf"签订日期\s*:\s*(?P<date>{_lines_date()})?\s*$"))
    dated = [hit for hit in signed if hit["date"]]
    if dated:
        on, _precision = date_of(re.search(DATE, dated[0]["date"].replace(" ", "")))
        ex.data["signed_on"] = on.isoformat()
        ex.mark("signed_on", dated[0].span("date"), 0.9)
    else:
        ex.data["signed_on"] = None
        if signed:
            ex.mark("signed_on", signed[0].span(0), 0.0, FieldFlag.MISSING, "signing_date_blank")
        else:
            ex.missing("signed_on")
    ex.data["currency"] = "CNY"


def _lines_date() -> str:
    # DATE, tolerating the spaces the lines view keeps ("2024 年 1 月 1 日").
    return r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"


_CUSTOMER_LABEL = (
    r"(?:采购单位\s*\(\s*甲方\s*\)|甲方\s*\(\s*采购(?:单位|人)\s*\)|采购人\s*\(\s*甲方\s*\))"
)
_PROVIDER_LABEL = (
    r"(?:服务单位\s*\(\s*乙方\s*\)|乙方\s*\(\s*(?:服务单位|供应商)\s*\)|供应商\s*\(\s*乙方\s*\))"
)


def _parties(ex: Extraction) -> None:
    ex.data["parties"] = {"customer": {}, "provider": {}}
    for role, label, bare in (
        ("customer", _CUSTOMER_LABEL, "甲方"),
        ("provider", _PROVIDER_LABEL, "乙方"),
    ):
        path = f"parties.{role}.name"
        seal = r"(?:\s*\((?:盖章|公章|签章)\))?"
        hit = next(ex.line_hits(rf"^\s*{label}\s*:\s*(\S.*?){seal}\s*$"), None)
        confidence = 0.95
        if hit is None:
            hit = next(ex.line_hits(rf"^\s*{bare}\s*:\s*(\S.*?){seal}\s*$"), None)
            confidence = 0.75
        if hit is None:
            ex.missing(path)
            continue
        ex.data["parties"][role]["name"] = _original(ex, hit.span(1))
        ex.mark(path, hit.span(1), confidence)
    _signature_block(ex)


def _original(ex: Extraction, span: tuple[int, int]) -> str:
    """The original text of `span`, whitespace runs as one space (names keep their
    full-width brackets as the contract writes them)."""
    return re.sub(r"\s+", " ", ex.source.excerpt(span)).strip()


def _signature_block(ex: Extraction) -> None:
    """Bank, account and address of each party from the signature block.

    The block is laid out in two columns (甲方 left, 乙方 right); as text each label comes
    twice, the customer's first. A label that says its party ("乙方开户银行") wins.
    """
    for key, label in (("bank_name", "开户银行"), ("bank_account", "账号"), ("address", "地址")):
        explicit = {
            role: next(ex.line_hits(rf"^\s*{side}\s*{label}\s*:\s*(\S.*?)\s*$"), None)
            for role, side in (("customer", "甲方"), ("provider", "乙方"))
        }
        positional = list(ex.line_hits(rf"^\s*{label}\s*:\s*(\S.*?)?\s*$"))
        for position, role in enumerate(("customer", "provider")):
            path = f"parties.{role}.{key}"
            if explicit[role] is not None:
                hit, confidence, note = explicit[role], 0.9, ""
            elif len(positional) == 2 and positional[position][1]:
                hit, confidence, note = positional[position], 0.75, "signature_block_order"
            else:
                continue
            if key == "bank_account":
                value = re.sub(r"\s+", "", hit[1])
            else:
                value = _original(ex, hit.span(1))
            if role in ex.data["parties"] and value:
                ex.data["parties"][role][key] = value
                ex.mark(path, hit.span(1), confidence, "", note)


# -- 一、the price table -------------------------------------------------------------------------


def _table(ex: Extraction) -> None:
    view = ex.source.lines
    lines = list(view.lines())
    header = None
    for index, (_offset, line) in enumerate(lines):
        if "序号" in line and ("名称" in line or "单价" in line):
            header = index
            break
    items: list[dict] = []
    if header is not None:
        # Rows as view ranges [start, end): a row whose cells wrapped onto further lines
        # (a PDF table) runs on until it ends with its unit price and subtotal.
        rows: list[list[int]] = []
        for offset, line in lines[header + 1 :]:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("合同总价") or re.match(r"[一二三四五六七八九十]+、", stripped):
                break
            if rows and not _row_complete(view.text[rows[-1][0] : rows[-1][1]]):
                rows[-1][1] = offset + len(line)
            elif re.match(r"\d{1,3}(?:\s|$)", stripped):
                rows.append([offset, offset + len(line)])
            else:
                break
        for start, end in rows:
            wrapped = "\n" in view.text[start:end]
            item = _table_row(ex, f"line_items[{len(items)}]", start, end, wrapped=wrapped)
            if item is None:
                break
            items.append(item)
    ex.data["line_items"] = items
    if not items:
        ex.missing("line_items", "table_not_found")

    total = ex.search(
        rf"合同总价(?:\((?:元|小写|人民币元?)\))?:?(?:人民币)?¥?(?P<fig>{FIGURE})(?!\d)"
    )
    subtotal_sum = sum(
        (Decimal(item["subtotal"]) for item in items if "subtotal" in item), Decimal(0)
    )
    if total:
        ex.data["table_total"] = money_text(figure(total["fig"]))
        ex.mark("table_total", total.span("fig"), 0.95)
    elif items:
        ex.data["table_total"] = money_text(subtotal_sum)
        ex.mark("table_total", None, 0.5, FieldFlag.INFERRED, "table_total_from_items")
    else:
        ex.missing("table_total")

    capitals = ex.search(rf"合同总价\(大写\):?(?:人民币)?(?P<cap>{CAPITALS})")
    if capitals:
        stated = capitals["cap"]
        ex.data["table_total_capitals"] = stated
        value = capitals_value(stated)
        if "table_total" in ex.data and value != Decimal(ex.data["table_total"]):
            ex.mark(
                "table_total_capitals",
                capitals.span("cap"),
                0.9,
                FieldFlag.INCONSISTENT,
                "capitals_disagree",
                figures=ex.data["table_total"],
                capitals=money_text(value),
            )
        else:
            ex.mark("table_total_capitals", capitals.span("cap"), 0.95)
    else:
        ex.missing("table_total_capitals")


def _row_complete(text: str) -> bool:
    return re.search(rf"(?:{FIGURE})\s+¥?(?:{FIGURE})\s*$", text) is not None


def _joined(left: str, right: str) -> str:
    """Two pieces of one cell split by a line wrap: CJK text joins without a space."""
    if re.search(r"[A-Za-z0-9]$", left) and re.match(r"[A-Za-z0-9]", right):
        return f"{left} {right}"
    return left + right


def _table_row(
    ex: Extraction, path: str, start: int, end: int, *, wrapped: bool = False
) -> dict | None:
    view = ex.source.lines
    tokens = [
        (m.start(), m.end(), m.group()) for m in re.compile(r"\S+").finditer(view.text, start, end)
    ]
    if len(tokens) < 5 or not tokens[0][2].isdigit():
        return None

    def span(token):
        return view.span(token[0], token[1])

    money = re.compile(rf"^¥?({FIGURE})$")
    subtotal, unit_price = tokens[-1], tokens[-2]
    if not (money.match(subtotal[2]) and money.match(unit_price[2])):
        return None
    rest = tokens[1:-2]
    unit_token, quantity_token = rest[-1], rest[-2]
    fused = re.fullmatch(rf"({FIGURE})([^\d,.]+)", unit_token[2])
    if fused and not re.fullmatch(FIGURE, quantity_token[2]):
        # "1年": quantity and unit in one cell.
        quantity_value, unit_value = fused.group(1), fused.group(2)
        quantity_token = unit_token
        middle = rest[:-1]
    elif re.fullmatch(FIGURE, quantity_token[2]):
        quantity_value, unit_value = quantity_token[2], unit_token[2]
        middle = rest[:-2]
    else:
        return None
    item: dict = {}
    confidence = 0.9
    cells = [token[2] for token in middle]
    spans = [span(token) for token in middle]
    if len(cells) > 4 and wrapped:
        # Cells wrapped over several lines: the item (the long one) first.
        for name in CATALOGUE_ITEMS:
            for count in range(2, len(cells) - 2):
                joined = cells[0]
                for piece in cells[1:count]:
                    joined = _joined(joined, piece)
                if joined == name:
                    cells[0:count] = [joined]
                    spans[0:count] = [(spans[0][0], spans[count - 1][1])]
                    break
        while len(cells) > 4:
            cells[0:2] = [_joined(cells[0], cells[1])]
            spans[0:2] = [(spans[0][0], spans[1][1])]
            confidence = min(confidence, 0.7)
    if len(cells) < 4 and cells:
        for name in CATALOGUE_ITEMS:
            if cells[0].startswith(name) and cells[0] != name:
                # A PDF lost the gap between the item and the brand.
                first_span = spans[0]
                cut = (
                    first_span[0]
                    + ex.source.text[first_span[0] : first_span[1]].find(name[-2:])
                    + 2
                )
                cells[0:1] = [name, cells[0][len(name) :]]
                spans[0:1] = [(first_span[0], cut), (cut, first_span[1])]
                confidence = 0.75
                break
    if len(cells) != 4:
        confidence = min(confidence, 0.6)
    if len(cells) > 4:
        cells = [*cells[:3], " ".join(cells[3:])]
        spans = [*spans[:3], (spans[3][0], spans[-1][1])]
    for key, cell, cell_span in zip(
        ("item", "brand", "model", "configuration"), cells, spans, strict=False
    ):
        if key == "configuration" and re.fullmatch(r"[^:]*:", cell):
            # A label left unfilled ("品牌:") is no configuration.
            ex.mark(f"{path}.{key}", cell_span, 0.8, "", "configuration_label_only", cell=cell)
            continue
        item[key] = cell if "\n" in ex.source.excerpt(cell_span) else _original(ex, cell_span)
        ex.mark(f"{path}.{key}", cell_span, confidence)
    if "item" not in item:
        return None
    item["quantity"] = quantity_text(figure(quantity_value))
    ex.mark(f"{path}.quantity", span(quantity_token), 0.9)
    item["unit"] = unit_value if fused else _original(ex, span(unit_token))
    ex.mark(f"{path}.unit", span(unit_token), 0.9)
    item["unit_price"] = money_text(figure(money.match(unit_price[2]).group(1)))
    ex.mark(f"{path}.unit_price", span(unit_price), 0.95)
    item["subtotal"] = money_text(figure(money.match(subtotal[2]).group(1)))
    ex.mark(f"{path}.subtotal", span(subtotal), 0.95)
    return item


# -- 二.1 prices, 二.2 payments ------------------------------------------------------------------


def _section(ex: Extraction, title: str, *, until: str) -> tuple[int, int] | None:
    """Original range of a section: from the line naming `title` to the first line after
    it that matches `until`."""
    view = ex.source.lines
    start = None
    for offset, line in view.lines():
        stripped = line.strip()
        if start is None:
            if re.match(
                rf"(?:\d+\s*、|[一二三四五六七八九十]+\s*、|\(\d+\))?\s*{title}\s*:?\s*$", stripped
            ):
                start = view.starts[offset + len(line) - len(line.lstrip())] if line else 0
            continue
        if stripped and re.match(until, stripped):
            return start, view.starts[offset + len(line) - len(line.lstrip())]
    if start is None:
        return None
    return start, len(ex.source.text)


_SECTION_END = r"(?:\d+\s*、|[一二三四五六七八九十]+\s*、|第[一二三四五六七八九十]+条)"


def _prices(ex: Extraction) -> None:
    hit = ex.search(rf"合同(?:一年|每年|年度)?价款总额(?:为|是|:)?{AMOUNT}")
    if hit:
        ex.data["annual_total"] = money_text(amount_of(hit.match))
        group = "fig" if hit["fig"] is not None else "cap"
        ex.mark(
            "annual_total", hit.span(group), 0.9 if "一年" in hit[0] or "每年" in hit[0] else 0.75
        )
    else:
        ex.data["annual_total"] = None
        ex.missing("annual_total")

    section = _section(ex, "合同价款", until=rf"{_SECTION_END}") or (0, len(ex.source.text))
    components: list[dict] = []
    for hit in ex.finditer(
        rf"(?P<name>[{HAN}A-Za-z]{{1,16}}?费用?)(?P<fig>{FIGURE})(?P<wan>万)?元/(?:每)?(?P<per>年|月)(?P<tax>\((?:含税|不含税)价?\))?",
        start=section[0],
        end=section[1],
    ):
        name = re.split(r"包含:?|包括:?", hit["name"])[-1]
        path = f"price_components[{len(components)}]"
        value = figure(hit["fig"]) * (10000 if hit["wan"] else 1)
        component = {
            "name": name,
            "kind": "cloud" if "云" in name else ("circuit" if "电路" in name else ""),
            "amount": money_text(value),
            "period": "year" if hit["per"] == "年" else "month",
            "quantity": "1",
            "tax_included": hit["tax"] is None or "不含税" not in hit["tax"],
        }
        components.append(component)
        ex.mark(f"{path}.name", hit.span("name"), 0.85)
        ex.mark(f"{path}.amount", hit.span("fig"), 0.9)
        ex.mark(f"{path}.period", hit.span("per"), 0.9)
        ex.mark(
            f"{path}.kind",
            hit.span("name"),
            0.8,
            FieldFlag.INFERRED if not component["kind"] else "",
        )
        ex.mark(
            f"{path}.tax_included",
            hit.span("tax") or hit.span("fig"),
            0.9 if hit["tax"] else 0.6,
            "" if hit["tax"] else FieldFlag.INFERRED,
        )
    circuit = _circuit_component(ex, section, len(components))
    if circuit is not None:
        components.append(circuit)
    ex.data["price_components"] = components
    if not components:
        ex.missing("price_components")


def _circuit_component(ex: Extraction, section, position: int) -> dict | None:
    lines_hit = ex.search(
        rf"各?(?P<per>{COUNT})条(?P<bw>\d+)(?P<bwu>M|G|兆|千兆)?(?:bps|b/s|比特)?点对点电路"
    )
    fee = ex.search(rf"月租(?:费)?(?:为)?(?P<fig>{FIGURE})元")
    if fee is None or lines_hit is None:
        return None
    path = f"price_components[{position}]"
    bandwidth = _mbps(lines_hit["bw"], lines_hit["bwu"])
    count = ex.search(rf"(?P<n>{COUNT})条电路")
    endpoints = _endpoint_count(ex)
    quantity = None
    if count is not None:
        quantity = cn_int(count["n"])
        ex.mark(f"{path}.quantity", count.span("n"), 0.85)
    elif endpoints:
        quantity = endpoints * cn_int(lines_hit["per"])
        ex.mark(f"{path}.quantity", lines_hit.span("per"), 0.7, FieldFlag.INFERRED)
    component = {
        "name": f"点对点电路（{bandwidth}M）",
        "kind": "circuit",
        "amount": money_text(figure(fee["fig"])),
        "period": "month",
        "quantity": str(quantity or 1),
    }
    tail = ex.source.prose.text[fee.match.end() : fee.match.end() + 80]
    component["tax_included"] = "不含税" not in tail
    ex.mark(f"{path}.name", lines_hit.span(0), 0.8, FieldFlag.INFERRED, "circuit_component_name")
    ex.mark(f"{path}.amount", fee.span("fig"), 0.9)
    ex.mark(f"{path}.period", fee.span(0), 0.9)
    ex.mark(f"{path}.kind", lines_hit.span(0), 0.9)
    ex.mark(f"{path}.tax_included", fee.span(0), 0.8 if "含税" in tail else 0.6)
    annual = ex.search(rf"电路一年(?:合同额|费用|合计)(?:为)?(?P<fig>{FIGURE})元")
    if annual is not None and quantity:
        stated = figure(annual["fig"])
        computed = figure(fee["fig"]) * quantity * 12
        if stated != computed:
            ex.mark(
                f"{path}.amount",
                fee.span("fig"),
                0.8,
                FieldFlag.INCONSISTENT,
                "circuit_annual_disagrees",
                stated=money_text(stated),
                computed=money_text(computed),
            )
    return component


def _mbps(figure_text: str, unit: str | None) -> int:
    value = int(figure_text)
    return value * 1000 if unit in ("G", "千兆") else value


def _endpoint_count(ex: Extraction) -> int:
    found = _circuit_sentence(ex)
    return len(found[1]) if found else 0


def _schedule(ex: Extraction) -> None:
    section = _section(ex, "付款方式", until=_SECTION_END)
    payments: list[dict] = []
    if section is None:
        ex.data["payment_schedule"] = []
        ex.missing("payment_schedule", "schedule_not_found")
        return
    components = ex.data.get("price_components", [])
    pattern = rf"(?:{DATE}|{YEAR_ONLY})(?:前|之前|内|底)?(?:,)?支付(?P<label>[{HAN}A-Za-z]{{1,16}}?费用?)?{AMOUNT}"
    for hit in ex.finditer(pattern, start=section[0], end=section[1]):
        path = f"payment_schedule[{len(payments)}]"
        if hit["yo"] is not None:
            due, precision = date(int(hit["yo"]), 12, 31), "year"
        else:
            due, precision = date_of(hit.match)
        label = hit["label"] or "付款"
        payment = {
            "label": label,
            "due": due.isoformat(),
            "amount": money_text(amount_of(hit.match)),
        }
        component = _component_for(label, components)
        if component is not None:
            payment["component"] = component
            if component == label:
                ex.mark(f"{path}.component", hit.span("label"), 0.85)
            else:
                ex.mark(
                    f"{path}.component",
                    hit.span("label"),
                    0.7,
                    FieldFlag.INFERRED,
                    "component_by_keyword",
                    component=component,
                )
        payments.append(payment)
        date_span = _date_span(hit) if hit["yo"] is None else hit.span("yo")
        if precision == "day":
            ex.mark(f"{path}.due", date_span, 0.9)
        else:
            ex.mark(
                f"{path}.due",
                date_span,
                0.7,
                FieldFlag.INFERRED,
                f"due_end_of_{precision}",
                written=ex.source.compact(date_span),
            )
        ex.mark(f"{path}.label", hit.span("label"), 0.85 if hit["label"] else 0.4)
        ex.mark(f"{path}.amount", hit.span("fig") or hit.span("cap"), 0.9)
    ex.data["payment_schedule"] = payments
    if not payments:
        ex.mark("payment_schedule", section, 0.0, FieldFlag.MISSING, "schedule_unparsed")


def _component_for(label: str, components: list[dict]) -> str | None:
    names = [c["name"] for c in components]
    if label in names:
        return label
    for key in ("电路", "云"):
        if key in label:
            matching = [c["name"] for c in components if key in c["name"]]
            if len(matching) == 1:
                return matching[0]
    return None


# -- 1.3 service period, 11.1 renewal ----------------------------------------------------------


def _period(ex: Extraction) -> None:
    between = r"(?:起)?(?:至|到|-|~|—)"
    pattern = (
        rf"服务(?:期限|期|周期)(?:为|是|:|自)*(?:{named_date_pattern('a_')}){between}"
        rf"(?:{named_date_pattern('b_')})(?:止)?"
    )
    hit = ex.search(pattern)
    confidence = 0.95
    if hit is None:
        hit = ex.search(rf"(?:{named_date_pattern('a_')}){between}(?:{named_date_pattern('b_')})")
        confidence = 0.6
    if hit is None:
        ex.missing("service_period")
        return
    start, start_precision = date_of(hit.match, prefix="a_")
    end, end_precision = date_of(hit.match, prefix="b_")
    ex.data["service_period"] = {"start": start.isoformat(), "end": end.isoformat()}
    for key, prefix, precision in (
        ("start", "a_", start_precision),
        ("end", "b_", end_precision),
    ):
        span = _date_span(hit, prefix)
        if precision == "day":
            ex.mark(f"service_period.{key}", span, confidence)
        else:
            ex.mark(f"service_period.{key}", span, 0.6, FieldFlag.INFERRED, "date_end_of_month")
    ex.mark("service_period", hit.span(0), confidence)

    notice = ex.search(rf"届满前(?P<n>{COUNT})个?月", within="11.1") or ex.search(
        rf"届满前(?P<n>{COUNT})个?月(?:内)?书面通知"
    )
    renews = ex.search(rf"顺延(?P<n>{COUNT})(?P<u>年|个月)", within="11.1") or ex.search(
        rf"顺延(?P<n>{COUNT})(?P<u>年|个月)"
    )
    if notice or renews:
        ex.data["renewal"] = {}
    if notice:
        ex.data["renewal"]["notice_months_before_end"] = cn_int(notice["n"])
        ex.mark("renewal.notice_months_before_end", notice.span("n"), 0.9)
    else:
        ex.missing("renewal.notice_months_before_end")
    if renews:
        months = cn_int(renews["n"]) * (12 if renews["u"] == "年" else 1)
        ex.data["renewal"]["renews_for_months"] = months
        ex.mark("renewal.renews_for_months", renews.span(0), 0.9)
    else:
        ex.missing("renewal.renews_for_months")


_DATE_GROUPS = ("y", "m", "d", "y2", "m2", "d2", "y3", "m3", "d3")


def _date_span(hit: Hit, prefix: str = "") -> tuple[int, int]:
    """The original span of a DATE (its groups named with `prefix`), 日 included."""
    groups = [
        prefix + name
        for name in _DATE_GROUPS
        if prefix + name in hit.match.groupdict() and hit.match.group(prefix + name) is not None
    ]
    starts = [hit.match.start(name) for name in groups]
    ends = [hit.match.end(name) for name in groups]
    end = max(ends)
    # Include the 日 / 号 / 月 that closes the date.
    text = hit.view.text
    if end < len(text) and text[end] in "日号月":
        end += 1
    return hit.view.span(min(starts), end)


# -- 1.2 entitlements and circuits ---------------------------------------------------------------

_ENTITLEMENTS = (
    (
        "vcpu",
        rf"(?:v?CPU|vCPU|处理器)(?:核数)?(?:合计|共计|总计|总量)?:?(?P<q>{FIGURE})(?P<u>核|vCPU|个|颗)",
    ),
    (
        "memory",
        rf"内存(?:容量)?(?:合计|共计|总计|总量)?:?(?P<q>{FIGURE})(?P<u>GiB|GB|G|TiB|TB|T)(?![A-Za-z])",
    ),
    (
        "storage",
        rf"(?<!系统)(?:存储|数据盘|存储空间)(?:容量)?(?:合计|共计|总计|总量)?:?(?P<q>{FIGURE})(?P<u>GiB|GB|G|TiB|TB|T|PiB|PB|P)(?![A-Za-z])",
    ),
    (
        "system_disk",
        rf"(?:业务)?系统盘(?:容量)?(?:合计|共计|总计|总量)?:?(?P<q>{FIGURE})(?P<u>GiB|GB|G|TiB|TB|T)(?![A-Za-z])",
    ),
)


def _entitlements(ex: Extraction) -> None:
    found = []
    for resource, pattern in _ENTITLEMENTS:
        hit = ex.search(pattern, within="1.2")
        confidence = 0.95
        if hit is None:
            hit = ex.search(pattern)
            confidence = 0.7
        path = f"entitlements[{len(found)}]"
        if hit is None:
            ex.missing(f"entitlements.{resource}", "entitlement_not_found", resource=resource)
            continue
        unit = "core" if resource == "vcpu" else UNIT_WORDS[hit["u"]]
        found.append(
            {
                "resource": resource,
                "quantity": quantity_text(figure(hit["q"])),
                "unit": unit,
                "stated": unicodedata.normalize("NFKC", ex.source.compact(hit.span(0))),
            }
        )
        ex.mark(f"{path}.resource", hit.span(0), confidence)
        ex.mark(f"{path}.quantity", hit.span("q"), confidence)
        if unit != hit["u"] and resource != "vcpu":
            ex.mark(
                f"{path}.unit",
                hit.span("u"),
                min(confidence, 0.85),
                "",
                "binary_unit",
                written=hit["u"],
                unit=unit,
            )
        else:
            ex.mark(f"{path}.unit", hit.span("u"), confidence)
        ex.mark(f"{path}.stated", hit.span(0), confidence)
    ex.data["entitlements"] = found


def _circuit_sentence(ex: Extraction):
    pattern = (
        rf"(?P<a>[{HAN}]{{2,30}}?)至(?P<list>[{HAN}、和及]+?)(?P<cnt>{COUNT})个?(?:点位|站点|地点)"
        rf"各?(?P<per>{COUNT})条(?P<bw>\d+)(?P<bwu>M|G|兆|千兆)?(?:bps|b/s|比特)?点对点电路"
    )
    hit = ex.search(pattern, within="1.2")
    confidence = 0.9
    if hit is None:
        hit = ex.search(pattern)
        confidence = 0.75
    if hit is None:
        return None
    names = []
    position = hit.match.start("list")
    for part in re.split(r"(、|和|及)", hit["list"]):
        if part and part not in ("、", "和", "及"):
            names.append((part, hit.view.span(position, position + len(part))))
        position += len(part)
    return hit, names, confidence


def _circuits(ex: Extraction) -> None:
    found = _circuit_sentence(ex)
    if found is None:
        ex.data["circuits"] = []
        if ex.search("点对点电路"):
            ex.missing("circuits", "circuits_unparsed")
        return
    hit, names, confidence = found
    customer = unicodedata.normalize("NFKC", ex.data["parties"]["customer"].get("name", ""))
    a_end = hit["a"]
    if customer and a_end.endswith(customer):
        a_end = customer
    a_span = hit.span("a")
    if a_end != hit["a"]:
        a_span = (a_span[1] - len(a_end), a_span[1])
    written = cn_int(hit["cnt"])
    per = cn_int(hit["per"])
    fee = ex.search(rf"月租(?:费)?(?:为)?(?P<fig>{FIGURE})元")
    bandwidth = _mbps(hit["bw"], hit["bwu"])
    circuits = []
    for name, span in names:
        for _copy in range(per):
            path = f"circuits[{len(circuits)}]"
            circuit = {"a_end": a_end, "z_end": _site_name(name), "bandwidth_mbps": bandwidth}
            ex.mark(f"{path}.a_end", a_span, confidence)
            if circuit["z_end"] != name:
                ex.mark(
                    f"{path}.z_end",
                    span,
                    0.75,
                    FieldFlag.INFERRED,
                    "township_health_centre",
                    township=name,
                )
            else:
                ex.mark(f"{path}.z_end", span, confidence)
            ex.mark(f"{path}.bandwidth_mbps", hit.span("bw"), confidence)
            if fee is not None:
                circuit["monthly_fee"] = money_text(figure(fee["fig"]))
                ex.mark(f"{path}.monthly_fee", fee.span("fig"), 0.85)
            else:
                ex.missing(f"{path}.monthly_fee")
            circuits.append(circuit)
    if written != len(names):
        ex.mark(
            "circuits",
            hit.span(0),
            0.6,
            FieldFlag.INCONSISTENT,
            "circuit_count_disagrees",
            written=written,
            listed=len(names),
        )
    else:
        ex.mark("circuits", hit.span(0), confidence)
    ex.data["circuits"] = circuits


def _site_name(endpoint: str) -> str:
    """A township named as a circuit's end means its health centre (卫生院)."""
    if endpoint.endswith(("镇", "乡")):
        return f"{endpoint}卫生院"
    return endpoint


def _sites(ex: Extraction) -> None:
    """The customer's sites: the circuits' ends (a township's end is its health centre)."""
    customer = ex.data["parties"].get("customer") or {}
    if not customer.get("name"):
        return
    sites: list[dict] = []

    def add(name: str, span, township: str = "") -> None:
        if any(site["name"] == name for site in sites):
            return
        path = f"parties.customer.sites[{len(sites)}]"
        kind = "health_centre" if "卫生院" in name else ("hospital" if "医院" in name else "office")
        site = {"name": name, "kind": kind}
        if township:
            site["township"] = township
        sites.append(site)
        # A township's site is already flagged on its circuit (township_health_centre).
        ex.mark(f"{path}.name", span, 0.8 if township else 0.85, "", "site_from_circuit")
        if kind == "office":
            ex.mark(f"{path}.kind", span, 0.5, FieldFlag.INFERRED, "site_kind_from_name")
        else:
            ex.mark(f"{path}.kind", span, 0.85)

    for index, circuit in enumerate(ex.data.get("circuits", [])):
        add(circuit["a_end"], ex.fields[f"circuits[{index}].a_end"].span)
        z_end = ex.fields[f"circuits[{index}].z_end"]
        add(circuit["z_end"], z_end.span, z_end.params.get("township", ""))
    if sites:
        customer["sites"] = sites


# -- what the contract leaves open -------------------------------------------------------------

_OPEN = (
    ("buffer_period_days", "服务终止后的数据缓冲期（天）", "6.5", r"缓冲期"),
    ("backup_default_rules", "乙方默认备份规则（离线数据的保存与删除）", "6.4", r"默认的?规则"),
    (
        "rectification_deadline",
        "验收不合格或要求整改时的整改期限",
        "1.3, 2.1",
        r"限定时间内整改|限期完成整改",
    ),
    ("problem_classes", "“复杂问题”与“特殊问题”的界定", "4.2", r"复杂问题"),
    ("price_catalogue", "升级、改造、增加资源适用的政府定价目录", "1.3", r"政府定价"),
    ("overuse_thresholds", "资源超量占用的判定阈值", "2.7.4", r"大量占用"),
)


def _open_parameters(ex: Extraction) -> None:
    parameters = []
    table, annual = ex.data.get("table_total"), ex.data.get("annual_total")
    base = ex.search(r"合同总金额")
    if table and annual and Decimal(table) != Decimal(annual) and base is not None:
        # 5.1: "the contract total" is ambiguous when the two totals differ.
        parameters.append(
            {
                "key": "penalty_base",
                "label": f"违约金计算基数（合同总金额取 {_grouped(table)} 还是 {_grouped(annual)}）",
                "clause": "5.1",
                "choices": ["table_total", "annual_total"],
            }
        )
        ex.mark("open_parameters[0].key", base.span(0), 0.9)
    for key, label, clause, pattern in _OPEN:
        hit = ex.search(pattern)
        if hit is None:
            continue
        ex.mark(f"open_parameters[{len(parameters)}].key", hit.span(0), 0.85)
        parameters.append({"key": key, "label": label, "clause": clause})
    ex.data["open_parameters"] = parameters


def _grouped(amount: str) -> str:
    value = Decimal(amount)
    return f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"


# -- clauses with a clock (obligations registry) and penalty rates (breach ledger) -------------

# key → (the clause it lives in, the pattern, what its number is)
_CLAUSE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("2.2", "2.2", rf"故障发生后(?P<n>{COUNT}){CLOCK_UNIT}之?内"),
    ("2.3", "2.3", rf"收到通知后(?P<n>{COUNT}){CLOCK_UNIT}内"),
    ("2.10", "2.10", rf"(?P<n>{COUNT}){CLOCK_UNIT}内进行说明"),
    ("3.6", "3.6", rf"给予甲方(?P<n>{COUNT}){CLOCK_UNIT}的?(?:整改|改正)期"),
    ("4.2.complex", "4.2", rf"复杂问题解决时限不能?超过(?P<n>{COUNT}){CLOCK_UNIT}"),
    ("4.2.special", "4.2", rf"特殊问题须?在(?P<n>{COUNT}){CLOCK_UNIT}内"),
    ("4.4", "4.4", rf"至少提前(?P<n>{COUNT}){CLOCK_UNIT}"),
    ("8.1.1", "8.1.1", rf"(?:可|应)?提前(?P<n>{COUNT}){CLOCK_UNIT}书面通知"),
    ("11.1", "11.1", rf"届满前(?P<n>{COUNT}){CLOCK_UNIT}"),
    ("11.2", "11.2", rf"提前(?P<n>{COUNT}){CLOCK_UNIT}以?书面形式"),
)
PERCENT = rf"(?:(?P<p>\d+(?:\.\d+)?)%|百分之(?P<pc>[{CN_NUMERAL}点]+))"
_PENALTY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("5.1", rf"每违约一(?:个)?条款.{{0,10}}?合同总金额的?{PERCENT}"),
    ("5.2", rf"无故(?:终止|解除)合同.{{0,40}}?合同总金额的?{PERCENT}"),
    ("3.5", rf"转让予?给?第三方.{{0,30}}?合同总金额的?{PERCENT}"),
)
# Clauses with a clock the registry knows whose limit a party sets (no number to read).
_SET_CLAUSES = (
    ("2.1", "2.1", r"限期完成整改|限期整改"),
    ("3.7", "3.7", r"调整前必须征得甲方的?同意"),
)


def _clauses(ex: Extraction) -> None:
    from yiyun.contracts.ledger import PENALTY_RATES
    from yiyun.obligations.registry import registered

    for key, clause, pattern in _CLAUSE_PATTERNS:
        rule = registered(key)
        usual_clock, usual_n = (str(rule.clock), rule.n) if rule else ("", None)
        before = bool(rule.before) if rule else False
        hit, confidence = ex.search(pattern, within=clause), 0.95
        if hit is None:
            hit, confidence = ex.search(pattern), 0.7
        value = ClauseValue(key, clause, usual_clock, None, usual_clock, usual_n, before)
        if hit is None:
            value.meta = Meta(None, 0.0, FieldFlag.MISSING, "clause_not_found", {"clause": clause})
        else:
            value.n = cn_int(hit["n"])
            value.clock = CLOCK_WORDS.get(hit["u"], hit["u"])
            found_in = ex.clause_at(hit.start)
            value.meta = Meta(hit.span(0), confidence)
            if found_in and found_in != clause:
                value.meta = Meta(
                    hit.span(0),
                    0.7,
                    FieldFlag.UNCERTAIN,
                    "clause_found_elsewhere",
                    {"found_in": found_in},
                )
            if (value.n, value.clock) != (usual_n, usual_clock):
                value.meta = Meta(
                    hit.span(0),
                    confidence,
                    FieldFlag.DIFFERS,
                    "clause_differs",
                    {
                        "clause": clause,
                        "written": ex.source.compact(hit.span(0)),
                        "n": value.n,
                        "clock": value.clock,
                        "usual_n": usual_n,
                        "usual_clock": usual_clock,
                    },
                )
        ex.clauses[key] = value
    # Kept as written, so the engine runs this contract's own clock (not the template's).
    limits = {
        key: {"clock": value.clock, "n": int(value.n)}
        for key, value in ex.clauses.items()
        if value.meta.flag == FieldFlag.DIFFERS and value.clock in _OWN_CLOCKS
    }
    if limits:
        ex.data["clause_limits"] = limits

    for key, pattern in _PENALTY_PATTERNS:
        usual = PENALTY_RATES[key] * 100
        hit, confidence = ex.search(pattern, within=key), 0.95
        if hit is None:
            hit, confidence = ex.search(pattern), 0.7
        value = ClauseValue(key, key, "percent", None, "percent", usual.normalize())
        if hit is None:
            value.meta = Meta(None, 0.0, FieldFlag.MISSING, "clause_not_found", {"clause": key})
        else:
            if hit["p"] is not None:
                rate = Decimal(hit["p"])
            else:
                whole, _dot, decimals = hit["pc"].partition("点")
                rate = Decimal(cn_int(whole)) + (
                    Decimal("0." + "".join(str(cn_int(ch)) for ch in decimals)) if decimals else 0
                )
            value.n = rate.normalize()
            # The phrase, not the bare number: "合同总金额的5%" reads on its own.
            span = hit.span(0)
            value.meta = Meta(span, confidence)
            if rate != usual:
                value.meta = Meta(
                    span,
                    confidence,
                    FieldFlag.DIFFERS,
                    "penalty_differs",
                    {"clause": key, "n": quantity_text(rate), "usual_n": quantity_text(usual)},
                )
        ex.clauses[key] = value

    for key, clause, pattern in _SET_CLAUSES:
        rule = registered(key)
        hit = ex.search(pattern, within=clause) or ex.search(pattern)
        value = ClauseValue(key, clause, "set", None, str(rule.clock) if rule else "set", None)
        value.meta = (
            Meta(hit.span(0), 0.9)
            if hit
            else Meta(None, 0.0, FieldFlag.MISSING, "clause_not_found", {"clause": clause})
        )
        ex.clauses[key] = value


# -- output order ----------------------------------------------------------------------------------

_OWN_CLOCKS = {"hours", "days", "workdays", "months"}

_ORDER = (
    "number",
    "title",
    "procurement_project",
    "signed_on",
    "currency",
    "table_total",
    "table_total_capitals",
    "annual_total",
    "service_period",
    "renewal",
    "parties",
    "line_items",
    "price_components",
    "payment_schedule",
    "entitlements",
    "circuits",
    "open_parameters",
    "clause_limits",
)


def _ordered(data: dict) -> dict:
    return {key: data[key] for key in _ORDER if key in data}
