"""Safe reading of uploads (customers.xlsx): size, content, zip bombs, merged headers, empty
rows, full-width digits, formulas, GB18030 csv."""

from __future__ import annotations

import io
import zipfile

import pytest

from guanxi.customers import imports, xlsx

from .conftest import HEADERS, credit_code, good_row, xlsx_bytes


def read(data: bytes, name: str = "f.xlsx") -> xlsx.Table:
    return xlsx.read_table(io.BytesIO(data), name, header_matcher=lambda t: imports.match_header(t) is not None)


def test_header_auto_mapping():
    mapping = imports.auto_mapping([*HEADERS, "客户简称*", "注册资本（万元）", "备注"])
    by_field = {v: HEADERS[int(k)] if int(k) < len(HEADERS) else k for k, v in mapping.items()}
    assert by_field["name"] == "客户名称"
    assert by_field["credit_code"] == "统一社会信用代码"
    assert by_field["category"] == "客户类别"
    assert by_field["industry"] == "行业"
    assert by_field["region"] == "地区"
    assert by_field["address"] == "地址"
    assert by_field["phone"] == "电话"
    assert by_field["contact_name"] == "联系人"
    assert by_field["contact_mobile"] == "手机"
    assert by_field["email"] == "邮箱"
    assert by_field["source"] == "来源"
    assert by_field["status"] == "状态"
    assert by_field["owner"] == "负责人"
    assert "short_name" in mapping.values() and "registered_capital" in mapping.values()
    assert str(len(HEADERS) + 2) not in mapping  # 备注 is not a field
    assert imports.match_header("区域") == "region"
    assert imports.match_header("联系人 手机") == "contact_mobile"
    assert imports.match_header("客户名称(必填)") == "name"


def test_plain_table():
    table = read(xlsx_bytes([good_row(1), good_row(2)]))
    assert table.kind == "xlsx"
    assert table.headers == HEADERS
    assert [n for n, _cells in table.rows] == [2, 3]


def test_too_big_refused():
    with pytest.raises(xlsx.FileRejected, match="at most 20 MB"):
        read(b"PK\x03\x04" + b"\0" * (30 * 1024 * 1024))


def test_exe_renamed_xlsx_refused():
    with pytest.raises(xlsx.FileRejected, match="program"):
        read(b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 2000, "customers.xlsx")


def test_non_zip_named_xlsx_refused():
    with pytest.raises(xlsx.FileRejected, match="not an Excel workbook"):
        read("客户名称,电话\n华新,021\n".encode(), "customers.xlsx")


def test_plain_zip_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(xlsx.FileRejected, match="not an Excel workbook"):
        read(out.getvalue())


def test_zip_bomb_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * (60 * 1024 * 1024) + b"</a>")
    data = out.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(xlsx.FileRejected, match="zip bomb"):
        read(data)


def test_zip_with_lying_sizes_refused():
    """A member whose header declares a small size but unpacks to more is caught by the CRC."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>" * 100)
    data = bytearray(out.getvalue())
    # Patch the central directory's uncompressed size of xl/workbook.xml to 10 bytes.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    with pytest.raises(xlsx.FileRejected):
        read(bytes(data))


def test_doctype_refused():
    good = xlsx_bytes([good_row(1)])
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + body
            dst.writestr(info, body)
    with pytest.raises(xlsx.FileRejected, match="DOCTYPE"):
        read(out.getvalue())


def test_merged_title_and_group_header():
    # Row 1: a merged title; rows 2-3: a two-level header (客户名称 merged down, 联系人 over 姓名/手机).
    rows = [
        ["客户名称", "电话", "联系人", None],
        [None, None, "姓名", "手机"],
        ["华新钢铁有限公司", "021-62345678", "王五", "13912345678"],
    ]
    data = xlsx_bytes(rows, headers=None, title="2024年客户导入表", merges=("A1:D1", "A2:A3", "B2:B3", "C2:D2"))
    table = read(data)
    assert table.headers == ["客户名称", "电话", "联系人 姓名", "联系人 手机"]
    mapping = imports.auto_mapping(table.headers)
    assert mapping == {"0": "name", "1": "phone", "2": "contact_name", "3": "contact_mobile"}
    assert table.rows == [(4, ["华新钢铁有限公司", "021-62345678", "王五", "13912345678"])]


def test_empty_rows_skipped():
    rows = [good_row(1), [None] * len(HEADERS), ["", " ", None], good_row(2)]
    table = read(xlsx_bytes(rows))
    assert [n for n, _c in table.rows] == [2, 5]


def test_full_width_digits_and_numbers():
    rows = [["华新（集团）有限公司", "１３９１２３４５６７８", 13812345678, 1.5, "ＡＢＣ"]]
    table = read(xlsx_bytes(rows, headers=["客户名称", "手机", "电话", "数字", "字母"]))
    assert table.rows[0][1] == ["华新（集团）有限公司", "13912345678", "13812345678", "1.5", "ABC"]


def test_formula_cells_give_the_cached_value_never_evaluated():
    rows = [['="华新"&"钢铁"', "=13800000000+138", '=HYPERLINK("http://evil")']]
    data = xlsx_bytes(rows, headers=["客户名称", "手机", "网址"], cached={"A2": "华新钢铁", "B2": "13800000138"})
    table = read(data)
    assert table.rows[0][1] == ["华新钢铁", "13800000138", ""]  # no cached value → empty, never the formula text


def test_csv_gb18030():
    text = f"客户名称,统一社会信用代码,手机\n华新钢铁有限公司,{credit_code(5)},13912345678\n\n"
    table = read(text.encode("gb18030"), "客户.csv")
    assert table.kind == "csv"
    assert table.headers == ["客户名称", "统一社会信用代码", "手机"]
    assert table.rows == [(2, ["华新钢铁有限公司", credit_code(5), "13912345678"])]


def test_csv_utf8_bom_and_tabs():
    text = "\ufeff客户名称\t手机\n华新\t１３９１２３４５６７８\n"
    table = read(text.encode("utf-8"), "x.csv")
    assert table.rows == [(2, ["华新", "13912345678"])]


def test_binary_junk_refused():
    with pytest.raises(xlsx.FileRejected):
        read(bytes(range(256)) * 10, "x.csv")


def test_neutralise():
    assert xlsx.neutralise("=1+1") == "'=1+1"
    assert xlsx.neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert xlsx.neutralise("+86") == "'+86"
    assert xlsx.neutralise("-2") == "'-2"
    assert xlsx.neutralise("华新") == "华新"
    assert xlsx.neutralise(5) == 5
