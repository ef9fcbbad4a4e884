"""Contract texts for the import tests: the seed contract and variants written from it
(other parties and amounts, a 12 h fault limit, full-width digits, no payment schedule),
and the same text as GB18030 bytes, a .docx and a PDF with a text layer."""

from __future__ import annotations

import html
import io
from functools import cache
from pathlib import Path

# The seed contract's text (shared/seeds/000_798606f6da3f1fa3.txt), kept in the
# repository beside its structured form so a clean clone can test the import.
SEED = Path(__file__).resolve().parents[1] / "data" / "keping-2024.txt"


@cache
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def replaced(text: str, *pairs: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced everywhere; each old must occur."""
    for old, new in pairs:
        assert old in text, f"not in the text: {old!r}"
        text = text.replace(old, new)
    return text


def other_parties_text() -> str:
    """Another hospital and provider, other amounts, thousands separators, ISO dates, a
    signing date, three 200M circuits."""
    return replaced(
        seed_text(),
        ("11N4580043372024116202", "11N4580043372025000777"),
        ("柯坪县人民医院", "乌什县人民医院"),
        ("中国联合网络通信有限公司阿克苏地区分公司", "中国电信股份有限公司阿克苏分公司"),
        ("盖孜力克镇、阿恰勒镇、玉尔其乡、启浪乡四个点位", "亚曼苏乡、阿合雅镇、依麻木镇三个点位"),
        ("100M点对点电路", "200M点对点电路"),
        ("月租125元", "月租180元"),
        ("4条电路一年合同额6000元", "3条电路一年合同额6480元"),
        ("492000.00", "360,000.00"),
        ("肆拾玖万贰仟元整", "叁拾陆万元整"),
        ("合同一年价款总额为498000元", "合同一年价款总额为366,000元"),
        ("云服务器费用492000元/年", "云服务器费用360000元/年"),
        (
            "2024年12月支付云服务器费用492000元，2025年支付电路费用6000元。",
            "2025年1月15日支付云服务器费用360,000元，2025-06-30前支付电路费用6,480元。",
        ),
        ("2024年1月1日至2026年12月31日", "2025-01-01至2027-12-31"),
        (
            "CPU合计212核，内存合计716G，存储合计15.3T；业务系统盘2.96T",
            "CPU合计128核，内存合计512GB，存储合计10T；业务系统盘1.5T",
        ),
        ("中国建设银行股份有限公司阿克苏市迎宾路支行", "中国银行股份有限公司乌什县支行"),
        ("65001690200052500195", "1077 0000 1234 5678"),
        ("签订日期：\n\n签订日期：", "签订日期：2024年12月20日\n\n签订日期：2024年12月20日"),
    )


def fault_limit_text(hours: str = "12") -> str:
    """2.2 with another fault limit than the template's 24 h."""
    return replaced(seed_text(), ("故障发生后24小时之内", f"故障发生后{hours}小时之内"))


_FULL_WIDTH = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, "%": "％"})


def full_width_text() -> str:
    """Every digit full-width (２４, ４９２０００．００), decimal points and spaces too."""
    text = seed_text().translate(_FULL_WIDTH)
    for digit in "０１２３４５６７８９":
        text = text.replace(f"{digit}.", f"{digit}．")
    return text.replace(" ", "\u3000")


def no_schedule_text() -> str:
    """二.2 left out."""
    return replaced(
        seed_text(),
        ("2、付款方式\n\n2024年12月支付云服务器费用492000元，2025年支付电路费用6000元。\n", ""),
    )


def docx_bytes(text: str) -> bytes:
    """The text as a Word document: one paragraph a line, the price table as a table."""
    import docx

    document = docx.Document()
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if "\t" in lines[index]:
            rows = []
            while index < len(lines) and "\t" in lines[index]:
                rows.append([cell for cell in lines[index].split("\t")])
                index += 1
            width = max(len(row) for row in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
            continue
        document.add_paragraph(lines[index])
        index += 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(text: str) -> bytes:
    """The text as a PDF with a text layer (WeasyPrint with Noto CJK): paragraphs, the
    price table as a table, lines wrapped wherever the page ends them."""
    from weasyprint import HTML

    parts = []
    rows = []
    for line in text.split("\n") + [""]:
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        if rows:
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                for row in rows
            )
            parts.append(f"<table>{body}</table>")
            rows = []
        if line.strip():
            parts.append(f"<p>{html.escape(line)}</p>")
    page = (
        "<html><head><meta charset='utf-8'><style>"
        "body{font-family:'Noto Sans CJK SC';font-size:10pt} p{margin:0 0 4pt}"
        "td{border:1px solid #999;padding:2pt 4pt} table{border-collapse:collapse}"
        "</style></head><body>" + "".join(parts) + "</body></html>"
    )
    return HTML(string=page).write_pdf()


def assert_seed_fields(data: dict) -> None:
    """Every field of the seed contract (CLAUSES.md), one assertion each."""
    assert data["number"] == "11N4580043372024116202"
    assert data["title"] == "阿克苏医疗云服务合同"
    assert data["procurement_project"] == "新疆维吾尔自治区定点服务“全疆一张网”（第二期）"
    assert data["signed_on"] is None
    assert data["currency"] == "CNY"
    # 一: the price table
    assert data["table_total"] == "492000.00"
    assert data["table_total_capitals"] == "肆拾玖万贰仟元整"
    (item,) = data["line_items"]
    assert item["item"] == "云租赁服务、电路/互联网宽带/固定电话服务"
    assert item["brand"] == "医疗云"
    assert item["model"] == "-"
    assert "configuration" not in item  # "品牌:" is a label left unfilled
    assert item["quantity"] == "1"
    assert item["unit"] == "年"
    assert item["unit_price"] == "492000.00"
    assert item["subtotal"] == "492000.00"
    # 二.1: the annual total and the price components
    assert data["annual_total"] == "498000.00"
    cloud, circuit = data["price_components"]
    assert cloud["name"] == "云服务器费用"
    assert cloud["kind"] == "cloud"
    assert cloud["amount"] == "492000.00"
    assert cloud["period"] == "year"
    assert cloud["quantity"] == "1"
    assert cloud["tax_included"] is True
    assert circuit["name"] == "点对点电路（100M）"
    assert circuit["kind"] == "circuit"
    assert circuit["amount"] == "125.00"
    assert circuit["period"] == "month"
    assert circuit["quantity"] == "4"
    assert circuit["tax_included"] is True
    # 二.2: the payment schedule
    first, second = data["payment_schedule"]
    assert first == {
        "label": "云服务器费用",
        "due": "2024-12-31",
        "amount": "492000.00",
        "component": "云服务器费用",
    }
    assert second == {
        "label": "电路费用",
        "due": "2025-12-31",
        "amount": "6000.00",
        "component": "点对点电路（100M）",
    }
    # 1.3 / 11.1: the service period and the renewal
    assert data["service_period"] == {"start": "2024-01-01", "end": "2026-12-31"}
    assert data["renewal"] == {"notice_months_before_end": 1, "renews_for_months": 12}
    # parties
    customer, provider = data["parties"]["customer"], data["parties"]["provider"]
    assert customer["name"] == "柯坪县人民医院"
    assert provider["name"] == "中国联合网络通信有限公司阿克苏地区分公司"
    assert provider["bank_name"] == "中国建设银行股份有限公司阿克苏市迎宾路支行"
    assert provider["bank_account"] == "65001690200052500195"
    assert "bank_name" not in customer and "bank_account" not in customer
    assert customer["sites"] == [
        {"name": "柯坪县人民医院", "kind": "hospital"},
        {"name": "盖孜力克镇卫生院", "kind": "health_centre", "township": "盖孜力克镇"},
        {"name": "阿恰勒镇卫生院", "kind": "health_centre", "township": "阿恰勒镇"},
        {"name": "玉尔其乡卫生院", "kind": "health_centre", "township": "玉尔其乡"},
        {"name": "启浪乡卫生院", "kind": "health_centre", "township": "启浪乡"},
    ]
    # 1.2: the resource entitlement, with units
    vcpu, memory, storage, disks = data["entitlements"]
    assert vcpu == {"resource": "vcpu", "quantity": "212", "unit": "core", "stated": "CPU合计212核"}
    assert memory == {
        "resource": "memory",
        "quantity": "716",
        "unit": "GiB",
        "stated": "内存合计716G",
    }
    assert storage == {
        "resource": "storage",
        "quantity": "15.3",
        "unit": "TiB",
        "stated": "存储合计15.3T",
    }
    assert disks == {
        "resource": "system_disk",
        "quantity": "2.96",
        "unit": "TiB",
        "stated": "业务系统盘2.96T",
    }
    # 1.2: the circuits
    assert [c["z_end"] for c in data["circuits"]] == [
        "盖孜力克镇卫生院",
        "阿恰勒镇卫生院",
        "玉尔其乡卫生院",
        "启浪乡卫生院",
    ]
    for circuit_row in data["circuits"]:
        assert circuit_row["a_end"] == "柯坪县人民医院"
        assert circuit_row["bandwidth_mbps"] == 100
        assert circuit_row["monthly_fee"] == "125.00"
    # what the contract leaves open
    keys = [parameter["key"] for parameter in data["open_parameters"]]
    assert keys == [
        "penalty_base",
        "buffer_period_days",
        "backup_default_rules",
        "rectification_deadline",
        "problem_classes",
        "price_catalogue",
        "overuse_thresholds",
    ]
    assert data["open_parameters"][0]["choices"] == ["table_total", "annual_total"]
    assert "492,000" in data["open_parameters"][0]["label"]
    assert "498,000" in data["open_parameters"][0]["label"]


# Registry key → (clock, number) as the seed writes it.
SEED_CLAUSES = {
    "2.2": ("hours", 24),
    "2.3": ("workdays", 2),
    "2.10": ("workdays", 7),
    "3.6": ("days", 30),
    "4.2.complex": ("hours", 48),
    "4.2.special": ("hours", 48),
    "4.4": ("hours", 24),
    "8.1.1": ("days", 15),
    "11.1": ("months", 1),
    "11.2": ("workdays", 20),
    "5.1": ("percent", 5),
    "5.2": ("percent", 20),
    "3.5": ("percent", 10),
}


def with_provider(text: str, provider: str) -> str:
    """`text` with another 乙方 (the `world` fixture's provider, say)."""
    return replaced(text, ("中国联合网络通信有限公司阿克苏地区分公司", provider))
