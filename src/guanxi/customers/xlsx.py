"""Safe reading of uploaded spreadsheets (F-CUS-8) and small xlsx helpers.

Nothing from an upload is trusted:
- size: at most MAX_UPLOAD_BYTES (20 MB);
- content, not the name: an xlsx must be a zip holding `[Content_Types].xml` and
  `xl/workbook.xml`; programs (.exe, ELF), plain zips, old .xls / encrypted (OLE2) files and
  binary junk are refused; a csv must decode as UTF-8 (with or without BOM), UTF-16 (BOM) or
  GB18030 and hold no NUL byte;
- zip bombs: the member count, the declared uncompressed sizes and the compression ratio are
  checked before anything is parsed, then every member is decompressed once with a hard cap
  (declared sizes can lie; zipfile stops at the declared size and the CRC check catches it);
- XML: a DOCTYPE or entity declaration anywhere in the package is refused, and the parser
  (python-calamine, Rust quick-xml) expands no entities; the openpyxl fallback parses through
  defusedxml.

Cell values: formulas give their cached value (never evaluated; a formula saved without a value
reads as empty), integral numbers lose their ".0", dates become ISO dates, full-width digits and
letters become half-width, and surrounding spaces go. Rows with no value are skipped. The header
row is found among the first rows (a merged title row above it is skipped), merged header cells
are filled across their range, and a two-level header (a merged group cell over sub-headers)
gives combined names such as "联系人 手机".
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import DomainError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024  # all members of the package together
MAX_MEMBER_RATIO = 150  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 2000
MAX_ROWS = 200_000
MAX_COLUMNS = 200
HEADER_SCAN_ROWS = 15

XLSX_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")
XML_DANGER = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class FileRejected(DomainError):
    """The upload is not a spreadsheet we read (too big, wrong content, unsafe)."""

    def __init__(self, message, **kwargs):
        kwargs.setdefault("field", "file")
        kwargs.setdefault("code", "file_rejected")
        super().__init__(message, **kwargs)


# ------------------------------------------------------------------ cell normalisation

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！..～ → !..~
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# Chinese company names use full-width brackets and punctuation on purpose: keep those.
for _keep in "（）【】，。：；！？、":
    _FULLWIDTH.pop(ord(_keep), None)
_FULLWIDTH_TABLE = str.maketrans(_FULLWIDTH)
# Whether a text holds anything halfwidth() changes: a regex search is much cheaper than
# str.translate over Chinese text, and most cells hold no full-width character.
_HAS_FULLWIDTH = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FULLWIDTH)) + "]")


def halfwidth(text: str) -> str:
    """Full-width digits, Latin letters and ASCII symbols (０-９, Ａ-ｚ, ＋, ＠…) to half-width;
    Chinese punctuation and brackets stay as typed."""
    return text.translate(_FULLWIDTH_TABLE)


def cell_text(value: Any) -> str:
    """One cell as clean text (see the module docstring)."""
    if type(value) is str:  # the common case first: a large import has millions of cells
        if not value:
            return ""
        if _HAS_FULLWIDTH.search(value) is not None:
            value = value.translate(_FULLWIDTH_TABLE)
        return value.replace("\r\n", "\n").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):  # NaN / inf
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        try:
            return format(Decimal(repr(value)).normalize(), "f")
        except InvalidOperation:
            return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return halfwidth(str(value)).replace("\r\n", "\n").strip()


# ------------------------------------------------------------------ the parsed table


@dataclass
class Table:
    """A sheet as text: `headers[i]` names column i; each row is (spreadsheet row number,
    cells) with as many cells as headers."""

    kind: str  # "xlsx" | "csv"
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    header_row: int = 1  # last spreadsheet row of the header block
    sheet_name: str = ""
    row_count: int = 0  # data rows (len(rows), also when the rows were not kept)


# ------------------------------------------------------------------ content checks


def _read_head(fileobj: IO[bytes], n: int = 8) -> bytes:
    fileobj.seek(0)
    head = fileobj.read(n)
    fileobj.seek(0)
    return head


def file_size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return int(size)
    pos = fileobj.tell()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(pos)
    return size


def sniff(fileobj: IO[bytes], name: str = "") -> str:
    """'xlsx' or 'csv' from the file's content (the name only picks the message); raises
    FileRejected for anything else."""
    size = file_size(fileobj)
    if size > MAX_UPLOAD_BYTES:
        raise FileRejected(
            _("The file is %(size).1f MB; at most %(limit)d MB can be imported.")
            % {"size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    if size == 0:
        raise FileRejected(_("The file is empty."))
    head = _read_head(fileobj, 8)
    lower = name.lower()
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf"):
        raise FileRejected(_("This file is a program, not a spreadsheet. Upload an .xlsx or .csv file."))
    if head[:4] == b"\xd0\xcf\x11\xe0":
        raise FileRejected(
            _("This is an old .xls file or a password-protected workbook. Open it in Excel, remove any password and save it as .xlsx.")
        )
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        check_xlsx_package(fileobj)
        return "xlsx"
    if lower.endswith((".xlsx", ".xlsm")):
        raise FileRejected(_("The file is named .xlsx but is not an Excel workbook."))
    if head[:4] == b"%PDF" or head[:3] == b"\x1f\x8b\x08" or head[:4] == b"Rar!" or head[:6] == b"7z\xbc\xaf\x27\x1c":
        raise FileRejected(_("This file is not a spreadsheet. Upload an .xlsx or .csv file."))
    return "csv"


def check_xlsx_package(fileobj: IO[bytes]) -> None:
    """Refuses anything but a sane xlsx package, before any XML is parsed."""
    fileobj.seek(0)
    try:
        zf = zipfile.ZipFile(fileobj)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(_("The file is a damaged zip archive, not a readable workbook.")) from exc
    names = {i.filename for i in infos}
    if not all(req in names for req in XLSX_REQUIRED):
        raise FileRejected(_("This zip archive is not an Excel workbook. Upload an .xlsx or .csv file."))
    if len(infos) > MAX_MEMBERS:
        raise FileRejected(_("The workbook holds too many parts to be imported safely."))
    bomb = _("The workbook unpacks to far more data than its size (a zip bomb?); it was not read.")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileRejected(bomb)
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileRejected(_("The workbook is encrypted. Remove the password and save it again."))
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise FileRejected(bomb)
    # The sizes above are declared; decompress once with a cap to make sure they are true,
    # and look for DTDs in the XML parts while at it.
    seen = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
            with zf.open(info) as member:
                tail = b""
                while chunk := member.read(1024 * 1024):
                    seen += len(chunk)
                    if seen > MAX_UNCOMPRESSED_BYTES:
                        raise FileRejected(bomb)
                    if is_xml and XML_DANGER.search(tail + chunk):
                        raise FileRejected(_("The workbook contains XML declarations that are refused for safety (DOCTYPE/ENTITY)."))
                    tail = chunk[-16:]
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise FileRejected(_("The workbook is damaged and cannot be read.")) from exc
    finally:
        fileobj.seek(0)


# ------------------------------------------------------------------ reading


def read_table(
    fileobj: IO[bytes],
    name: str = "",
    *,
    header_matcher: Callable[[str], bool] | None = None,
    max_rows: int = MAX_ROWS,
    keep_rows: bool = True,
) -> Table:
    """Checks and parses an upload into a Table. `header_matcher(text)` says whether a cell
    looks like a known column title (it picks the header row). With keep_rows=False the file is
    checked and parsed all the same, but the data rows are only counted (`row_count`), not
    converted to text: the same headers and count, for a fraction of the time."""
    kind = sniff(fileobj, name)
    if kind == "xlsx":
        grid, merges, sheet_name = _xlsx_grid(fileobj, max_rows)
    else:
        grid, merges, sheet_name = _csv_grid(fileobj, max_rows), [], ""
    return _to_table(kind, grid, merges, header_matcher or (lambda text: False), sheet_name, keep_rows=keep_rows)


def _too_many_rows(n: int) -> FileRejected:
    return FileRejected(_("The sheet has more than %(max)d rows; split it into smaller files.") % {"max": n})


def _xlsx_grid(fileobj: IO[bytes], max_rows: int):
    fileobj.seek(0)
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl is the fallback
        return _xlsx_grid_openpyxl(fileobj, max_rows)
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(fileobj)
        try:
            index = _first_visible_sheet(wb)
            sheet = wb.get_sheet_by_index(index)
            if sheet.total_height > max_rows + HEADER_SCAN_ROWS:
                raise _too_many_rows(max_rows)
            if sheet.total_width > MAX_COLUMNS:
                raise FileRejected(_("The sheet has more than %(max)d columns.") % {"max": MAX_COLUMNS})
            grid = sheet.to_python(skip_empty_area=False)
            merges = sheet.merged_cell_ranges or []
            return grid, merges, sheet.name
        finally:
            wb.close()
    except FileRejected:
        raise
    except Exception as exc:  # calamine raises its own error types (XmlError, ZipError, …)
        raise FileRejected(_("The workbook could not be read: it is damaged or not a real .xlsx file.")) from exc
    finally:
        fileobj.seek(0)


def _first_visible_sheet(wb) -> int:
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            if str(getattr(meta.visible, "name", meta.visible)).endswith("Visible") and "WorkSheet" in str(meta.typ):
                return i
    except Exception:  # noqa: S110 - metadata is optional; the first sheet is fine
        pass
    return 0


def _xlsx_grid_openpyxl(fileobj: IO[bytes], max_rows: int):  # pragma: no cover - fallback only
    import openpyxl
    from openpyxl import xml as openpyxl_xml

    if not openpyxl_xml.DEFUSEDXML:
        raise FileRejected(_("The server cannot read workbooks safely (defusedxml is missing)."))
    wb = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        grid = []
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if i > max_rows + HEADER_SCAN_ROWS:
                raise _too_many_rows(max_rows)
            grid.append(list(row))
        return grid, [], ws.title
    finally:
        wb.close()


def decode_text(raw: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (a superset of GBK/GB2312)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRejected(_("The text file could not be decoded.")) from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected(_("The text file is neither UTF-8 nor GB18030 encoded; save it as CSV UTF-8."))


def _csv_grid(fileobj: IO[bytes], max_rows: int) -> list[list[str]]:
    fileobj.seek(0)
    raw = fileobj.read(MAX_UPLOAD_BYTES + 1)
    fileobj.seek(0)
    text = decode_text(raw)
    if "\x00" in text:
        raise FileRejected(_("This file is not a spreadsheet. Upload an .xlsx or .csv file."))
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    grid = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if i > max_rows + HEADER_SCAN_ROWS:
                raise _too_many_rows(max_rows)
            if len(row) > MAX_COLUMNS:
                raise FileRejected(_("The sheet has more than %(max)d columns.") % {"max": MAX_COLUMNS})
            grid.append(row)
    except csv.Error as exc:
        raise FileRejected(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    return grid


def _filled(value: Any) -> bool:
    """cell_text(value) != "", without building the text: for a string, halfwidth() turns only
    the ideographic space into a space (both are whitespace to strip()) and "\r\n" into "\n"."""
    if type(value) is str:
        return not value.isspace() and value != ""
    return cell_text(value) != ""


def _to_table(
    kind: str, grid: list[list[Any]], merges, matcher: Callable[[str], bool], sheet_name: str, *, keep_rows: bool = True
) -> Table:
    width = max((len(r) for r in grid), default=0)
    if not width:
        raise FileRejected(_("The sheet is empty."))
    # Only the first rows can be the header; fill merged cells there.
    head = [[cell_text(v) for v in row] + [""] * (width - len(row)) for row in grid[:HEADER_SCAN_ROWS]]
    for (r1, c1), (r2, c2) in merges:
        if r1 >= len(head):
            continue
        value = head[r1][c1] if c1 < width else ""
        for r in range(r1, min(r2, len(head) - 1) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                head[r][c] = value
    h = _header_row(head, matcher)
    if h is None:
        raise FileRejected(_("No header row found: the first row must name the columns (客户名称, 联系人, 手机…)."))
    # A header cell merged down from a row above starts the header block there.
    moved = True
    while moved:
        moved = False
        for (r1, _c1), (r2, _c2) in merges:
            if r1 < h <= r2:
                h, moved = r1, True
    end = h
    for (r1, c1), (r2, c2) in merges:
        if r1 == h and r2 > h:
            end = max(end, min(r2, len(head) - 1))  # a header cell merged downwards
        if r1 == h and c2 > c1 and h + 1 < len(head) and any(matcher(head[h + 1][c]) for c in range(c1, min(c2, width - 1) + 1)):
            end = max(end, h + 1)  # a group header over sub-headers
    headers = []
    for c in range(width):
        parts: list[str] = []
        for r in range(h, end + 1):
            text = head[r][c]
            if text and text not in parts:
                parts.append(text)
        headers.append(" ".join(parts))
    # Drop trailing columns without a header and without any value.
    if not keep_rows:
        return _counted_table(kind, grid, end, headers, width, sheet_name)
    rows: list[tuple[int, list[str]]] = []
    for i in range(end + 1, len(grid)):
        cells = [cell_text(v) for v in grid[i]]
        if not any(cells):
            continue  # empty row
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        rows.append((i + 1, cells))
    used = [bool(headers[c]) or any(r[1][c] for r in rows) for c in range(width)]
    last = max((c for c in range(width) if used[c]), default=-1) + 1
    if last < width:
        headers = headers[:last]
        rows = [(n, cells[:last]) for n, cells in rows]
    return Table(kind=kind, headers=headers, rows=rows, header_row=end + 1, sheet_name=sheet_name, row_count=len(rows))


def _counted_table(kind: str, grid: list[list[Any]], end: int, headers: list[str], width: int, sheet_name: str) -> Table:
    """What _to_table gives without the rows: the non-empty data rows counted, and the
    trailing columns without a header dropped unless some data row fills them."""
    count = 0
    named = max((c for c in range(width) if headers[c]), default=-1) + 1
    last = named
    for i in range(end + 1, len(grid)):
        cells = grid[i]
        if not any(_filled(v) for v in cells):
            continue
        count += 1
        for c in range(len(cells) - 1, last - 1, -1):
            if _filled(cells[c]):
                last = c + 1
                break
    return Table(kind=kind, headers=headers[:last], rows=[], header_row=end + 1, sheet_name=sheet_name, row_count=count)


def _header_row(head: list[list[str]], matcher: Callable[[str], bool]) -> int | None:
    best, best_score = None, 0
    for i, row in enumerate(head):
        filled = [c for c in row if c]
        score = sum(1 for c in set(filled) if matcher(c))
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    for i, row in enumerate(head):
        if len({c for c in row if c}) >= 2:
            return i
    for i, row in enumerate(head):
        if any(row):
            return i
    return None


# ------------------------------------------------------------------ writing


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab /
    carriage return) gets a leading apostrophe. Numbers, dates and booleans pass unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES:
        return "'" + value
    return value


def write_workbook(sheets: list[tuple[str, list[str], Any]]) -> bytes:
    """An xlsx (openpyxl write-only, so memory stays flat) of `sheets`: (title, header, rows
    iterable). Every text cell is neutralised; the header is bold."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    try:
        for title, header, rows in sheets:
            ws = wb.create_sheet(title=title[:31])
            cells = []
            for text in header:
                cell = WriteOnlyCell(ws, value=neutralise(str(text)))
                cell.font = bold
                cells.append(cell)
            ws.append(cells)
            ws.freeze_panes = "A2"
            for row in rows:
                ws.append([neutralise(_xlsx_value(v)) for v in row])
    except BaseException:
        # A row source that gives up (an export past its cap) leaves each sheet's temporary
        # file open: close them before the error goes on.
        for ws in wb.worksheets:
            if not ws.closed:
                ws.close()
        raise
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool | int | float | dt.date):
        return value
    return _ILLEGAL_XML.sub("", str(value))


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# For templates listing what is accepted.
ACCEPTED_HELP = gettext_lazy("Excel .xlsx or .csv (UTF-8 or GB18030), at most 20 MB.")
