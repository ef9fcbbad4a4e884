"""Extraction from the contract's text (issue 11): the seed field by field, each value's
span and confidence, the clause clocks, and the variants written from the seed."""

import re

import pytest

from yiyun.contracts.importer.draft import IMPORT_KEY, contract_data, draft_document
from yiyun.contracts.importer.extract import contract_extract
from yiyun.contracts.importer.numbers import capitals_value, cn_int
from yiyun.contracts.importer.readers import read_document
from yiyun.contracts.importer.services import contract_import_document
from yiyun.contracts.tests.import_samples import (
    SEED_CLAUSES,
    assert_seed_fields,
    docx_bytes,
    fault_limit_text,
    full_width_text,
    no_schedule_text,
    other_parties_text,
    pdf_bytes,
    replaced,
    seed_text,
)
from yiyun.core.errors import DomainError


@pytest.fixture(scope="module")
def seed():
    return contract_extract(seed_text())


def test_seed_imports_every_field(seed):
    assert_seed_fields(seed.data)


def test_every_value_carries_the_span_it_came_from(seed):
    text = seed.source.text

    def words(path):
        start, end = seed.fields[path].span
        return text[start:end]

    assert words("number") == "11N4580043372024116202"
    assert words("parties.customer.name") == "柯坪县人民医院"
    assert words("table_total") == "492000.00"
    assert words("table_total_capitals") == "肆拾玖万贰仟元整"
    assert words("annual_total") == "498000"
    assert words("service_period.start") == "2024年1月1日"
    assert words("service_period.end") == "2026年12月31日"
    assert words("payment_schedule[0].due") == "2024年12月"
    assert words("entitlements[2].quantity") == "15.3"
    assert words("entitlements[2].unit") == "T"
    assert words("circuits[1].z_end") == "阿恰勒镇"
    assert words("price_components[1].amount") == "125"
    # Spans point into the original text: the annual total's is inside 二.1's sentence.
    start, _end = seed.fields["annual_total"].span
    assert text[start - 9 : start] == "合同一年价款总额为"


def test_confidence_and_flags_say_what_to_look_at(seed):
    fields = seed.fields
    assert fields["number"].confidence >= 0.9 and not fields["number"].flag
    # 签订日期 is blank in the text: missing, not invented.
    assert fields["signed_on"].flag == "missing"
    # "2024年12月支付": due at the month's end, inferred and said so.
    assert fields["payment_schedule[0].due"].flag == "inferred"
    assert fields["payment_schedule[0].due"].note == "due_end_of_month"
    # A township named as a circuit's end is read as its health centre: inferred.
    assert fields["circuits[0].z_end"].flag == "inferred"
    # G and T are read as GiB and TiB, and the note says so.
    assert fields["entitlements[1].unit"].note == "binary_unit"
    # The seed's title is only "合同": the name is built from the service, flagged.
    assert fields["title"].flag == "inferred"


def test_clause_clocks_match_the_registry_on_the_seed(seed):
    for key, (clock, number) in SEED_CLAUSES.items():
        clause = seed.clauses[key]
        assert (clause.clock, clause.n) == (clock, number), key
        assert clause.meta.flag == "", key
        assert clause.meta.span is not None, key
    assert seed.source.excerpt(seed.clauses["2.2"].meta.span) == "故障发生后24小时之内"
    assert seed.source.excerpt(seed.clauses["4.4"].meta.span) == "至少提前 24 小时"
    assert seed.clauses["4.4"].before is True
    assert seed.clauses["11.1"].before is True


def test_clause_12h_fault_limit_is_imported_and_flagged_not_normalised():
    extraction = contract_extract(fault_limit_text("12"))
    clause = extraction.clauses["2.2"]
    assert clause.n == 12 and clause.clock == "hours"
    assert (clause.usual_n, clause.usual_clock) == (24, "hours")
    assert clause.meta.flag == "differs"
    assert extraction.source.excerpt(clause.meta.span) == "故障发生后12小时之内"
    document = draft_document(extraction, document=read_document(name="x.txt", content=b"x"))
    assert document[IMPORT_KEY]["clauses"]["2.2"]["n"] == 12
    assert "24 小时" in document[IMPORT_KEY]["clauses"]["2.2"]["message"]
    assert any(flag["path"] == "clauses.2.2" for flag in document[IMPORT_KEY]["flags"])
    # …and carried into the contract data, so the engine runs the contract's own clock.
    assert document["clause_limits"] == {"2.2": {"clock": "hours", "n": 12}}
    assert "clause_limits" not in contract_extract(seed_text()).data
    # Every other clause is as usual.
    assert [key for key, c in extraction.clauses.items() if c.meta.flag] == ["2.2"]


def test_clause_values_in_chinese_numerals_and_other_percentages():
    text = replaced(
        seed_text(),
        ("乙方需在收到通知后2个工作日内予以确认", "乙方需在收到通知后三个工作日内予以确认"),
        ("每违约一条款处以合同总金额的5%违约金", "每违约一条款处以合同总金额的百分之八违约金"),
    )
    extraction = contract_extract(text)
    assert (extraction.clauses["2.3"].n, extraction.clauses["2.3"].meta.flag) == (3, "differs")
    assert extraction.clauses["5.1"].n == 8
    assert extraction.clauses["5.1"].meta.flag == "differs"


def test_other_parties_and_amounts():
    data = contract_extract(other_parties_text()).data
    assert data["number"] == "11N4580043372025000777"
    assert data["parties"]["customer"]["name"] == "乌什县人民医院"
    assert data["parties"]["provider"]["name"] == "中国电信股份有限公司阿克苏分公司"
    assert data["parties"]["provider"]["bank_name"] == "中国银行股份有限公司乌什县支行"
    # The account's spaces are layout, not digits.
    assert data["parties"]["provider"]["bank_account"] == "1077000012345678"
    assert data["signed_on"] == "2024-12-20"
    # Thousands separators, in the table and in the prose.
    assert data["table_total"] == "360000.00"
    assert data["line_items"][0]["subtotal"] == "360000.00"
    assert data["table_total_capitals"] == "叁拾陆万元整"
    assert data["annual_total"] == "366000.00"
    assert data["price_components"][0]["amount"] == "360000.00"
    assert data["price_components"][1]["name"] == "点对点电路（200M）"
    assert data["price_components"][1]["amount"] == "180.00"
    assert data["price_components"][1]["quantity"] == "3"
    # Dates as 2025年1月15日 and as 2025-06-30.
    assert data["payment_schedule"] == [
        {
            "label": "云服务器费用",
            "due": "2025-01-15",
            "amount": "360000.00",
            "component": "云服务器费用",
        },
        {
            "label": "电路费用",
            "due": "2025-06-30",
            "amount": "6480.00",
            "component": "点对点电路（200M）",
        },
    ]
    assert data["service_period"] == {"start": "2025-01-01", "end": "2027-12-31"}
    assert [(e["resource"], e["quantity"], e["unit"]) for e in data["entitlements"]] == [
        ("vcpu", "128", "core"),
        ("memory", "512", "GiB"),
        ("storage", "10", "TiB"),
        ("system_disk", "1.5", "TiB"),
    ]
    assert [
        (c["a_end"], c["z_end"], c["bandwidth_mbps"], c["monthly_fee"]) for c in data["circuits"]
    ] == [
        ("乌什县人民医院", "亚曼苏乡卫生院", 200, "180.00"),
        ("乌什县人民医院", "阿合雅镇卫生院", 200, "180.00"),
        ("乌什县人民医院", "依麻木镇卫生院", 200, "180.00"),
    ]
    label = data["open_parameters"][0]["label"]
    assert "360,000" in label and "366,000" in label


def test_full_width_digits_and_punctuation():
    text = full_width_text()
    assert "２４小时" in text and "４９２０００．００" in text
    extraction = contract_extract(text)
    assert_seed_fields(extraction.data)
    assert extraction.clauses["2.2"].n == 24
    # The span still points at the full-width original.
    start, end = extraction.fields["table_total"].span
    assert text[start:end] == "４９２０００．００"


def test_missing_payment_schedule_is_flagged_not_invented():
    extraction = contract_extract(no_schedule_text())
    assert extraction.data["payment_schedule"] == []
    assert extraction.fields["payment_schedule"].flag == "missing"
    assert extraction.fields["payment_schedule"].note == "schedule_not_found"
    # Everything else is still read.
    assert extraction.data["annual_total"] == "498000.00"
    assert len(extraction.data["price_components"]) == 2


def test_disagreeing_capitals_and_circuit_amounts_are_flagged():
    text = replaced(
        seed_text(),
        ("肆拾玖万贰仟元整", "肆拾玖万捌仟元整"),
        ("4条电路一年合同额6000元", "4条电路一年合同额7000元"),
    )
    extraction = contract_extract(text)
    assert extraction.fields["table_total_capitals"].flag == "inconsistent"
    assert extraction.fields["price_components[1].amount"].flag == "inconsistent"
    assert extraction.fields["price_components[1].amount"].params == {
        "stated": "7000.00",
        "computed": "6000.00",
    }


def test_gb18030_text():
    content = seed_text().encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    document = read_document(name="合同.txt", content=content)
    assert (document.format, document.encoding) == ("txt", "gb18030")
    assert_seed_fields(contract_extract(document.text).data)


def test_docx():
    document = read_document(name="合同.docx", content=docx_bytes(seed_text()))
    assert document.format == "docx"
    # The price table came back as a table row, cells separated by tabs.
    assert re.search(r"^1\t云租赁服务", document.text, re.MULTILINE)
    assert_seed_fields(contract_extract(document.text).data)


def test_pdf_with_a_text_layer():
    content = pdf_bytes(seed_text())
    document = read_document(name="合同.pdf", content=content)
    assert document.format == "pdf"
    # pypdf gives the Chinese back (Noto CJK's text layer), wrapped where the page wraps.
    assert "柯坪县人民医院" in document.text
    assert "2026年12\n月31日" in document.text or "2026年12月31日" in document.text
    extraction = contract_extract(document.text)
    assert_seed_fields(extraction.data)
    for key, (clock, number) in SEED_CLAUSES.items():
        assert (extraction.clauses[key].clock, extraction.clauses[key].n) == (clock, number), key


def test_scanned_pdf_and_old_word_are_refused():
    from weasyprint import HTML

    blank = HTML(string="<html><body><p> </p></body></html>").write_pdf()
    with pytest.raises(DomainError) as refused:
        read_document(name="scan.pdf", content=blank)
    assert refused.value.code == "no_text_layer"
    with pytest.raises(DomainError):
        read_document(name="合同.doc", content=b"\xd0\xcf\x11\xe0" + b"\0" * 100)


def test_import_document_is_the_loader_format_plus_import():
    document = contract_import_document(name="seed.txt", content=seed_text().encode())
    meta = document[IMPORT_KEY]
    assert meta["version"] == 1
    assert meta["source"]["format"] == "txt" and len(meta["source"]["sha256"]) == 64
    assert meta["fields"]["number"]["text"] == "11N4580043372024116202"
    assert meta["clauses"]["11.2"]["usual"] == {"clock": "workdays", "n": 20}
    data = contract_data(document)
    assert IMPORT_KEY not in data
    assert_seed_fields(data)


@pytest.mark.parametrize(
    ("written", "value"),
    [("二十四", 24), ("两", 2), ("壹", 1), ("十五", 15), ("一百零五", 105), ("二〇二四", 2024)],
)
def test_chinese_numerals(written, value):
    assert cn_int(written) == value


def test_capitals():
    assert str(capitals_value("肆拾玖万贰仟元整")) == "492000"
    assert str(capitals_value("壹佰元伍角")) == "100.5"
