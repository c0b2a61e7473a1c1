"""The workbook file as a container: what kind it is, whether it is safe to
open, and the few things calamine does not tell (tab colours, the theme).

Everything here works on the file's bytes, read once.  A file that cannot
be opened raises :class:`Unreadable` with a stable problem code; the reader
turns it into a problem record and goes on with the batch.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Sequence

import python_calamine as calamine

from .colors import TabColour, theme_palette
from .biff import xls_error_cells
from .extents import error_value_cells, ods_error_cells, ods_extents, sheet_extent, uncached_formula_cells
from .package import Unreadable, inflate, join_path, local_name, mb, parse_xml, part_head, read_part, why

#: Largest sheet XML the container keeps after its size check, for a later look-up of formula and
#: error cells (a tab of the tool is some 10 KB; larger ones are inflated again when looked up).
_KEEP_XML_BYTES = 256 << 10

#: File name endings taken for workbooks when a folder is listed.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".xlsb", ".ods"})

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in a compound file are stored as UTF-16LE.
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

_TAB_COLOR = re.compile(rb"<(?:\w+:)?tabColor\b([^>]*)>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*\"([^\"]*)\"")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A sheet part's <sheetPr> (its tab colour) sits in its first few hundred bytes.
_SMALL_HEAD = 1024
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"


@dataclass(frozen=True)
class Limits:
    """Safety caps checked on the zip directory before anything is inflated.

    Parameters
    ----------
    part_bytes : int
        Largest uncompressed size of one part (a sheet, the shared strings).
    total_bytes : int
        Largest uncompressed size of all parts together.
    ratio : float
        Largest compression ratio of a part bigger than ``ratio_min_bytes``;
        real sheets stay far below it, zip bombs far above.
    ratio_min_bytes : int
        Parts smaller than this are not ratio-checked.
    head_bytes : int
        How much of a sheet part is inflated to find its ``<sheetPr>``.
    sheet_cells : int
        Largest used range (rows x columns from the first to the last cell
        holding a value) of a tab that is loaded; a tab of a few bytes can
        claim billions of cells, which would exhaust memory.
    workbook_cells : int
        Largest number of cells loaded from one workbook, all tabs together.
    file_bytes : int
        Largest file read at all (checked on its size before it is opened).
    """

    part_bytes: int = 50 * 2**20
    total_bytes: int = 200 * 2**20
    ratio: float = 250.0
    ratio_min_bytes: int = 2**20
    head_bytes: int = 8192
    sheet_cells: int = 2_000_000
    workbook_cells: int = 6_000_000
    file_bytes: int = 200 * 2**20


@dataclass
class SheetEntry:
    """One tab as listed in the workbook."""

    name: str
    part: str = ""           # zip member holding the sheet ("" for .xls / .ods)
    state: str = "visible"   # visible, hidden or veryHidden
    colour: TabColour | None = None
    kind: str = "worksheet"  # worksheet, chartsheet, dialogsheet, macrosheet


def sniff(data: bytes) -> str:
    """Kind of container from the magic bytes: empty, zip, cfb or other.

    Examples
    --------
    >>> sniff(b""), sniff(b"PK\\x03\\x04rest"), sniff(b"name,id\\n")
    ('empty', 'zip', 'other')
    """
    if not data:
        return "empty"
    if data.startswith(_ZIP_MAGIC):
        return "zip"
    if data.startswith(_CFB_MAGIC):
        return "cfb"
    return "other"


@dataclass
class Container:
    """An opened workbook: its kind, tabs, theme and calamine handle."""

    kind: str
    book: Any
    sheets: list[SheetEntry]
    notes: list[tuple[str, str]] = field(default_factory=list)
    archive: zipfile.ZipFile | None = None
    theme_part: str = ""
    limits: Limits = field(default_factory=Limits)
    data: bytes = field(default=b"", repr=False)
    _formulas: dict[str, frozenset[tuple[int, int]]] = field(default_factory=dict)
    _errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    _cells_loaded: int = 0
    #: Sheet XML inflated for the size check, kept (when small) for the look-ups above.
    _xml: dict[str, bytes] = field(default_factory=dict, repr=False)

    def palette(self, fallback: Sequence[str]) -> list[str]:
        """Theme colours in Excel's index order (the fallback fills gaps)."""
        return theme_palette(self._theme_slots, fallback)

    @cached_property
    def _theme_slots(self) -> dict[str, str]:
        if self.archive is None or not self.theme_part:
            return {}
        try:
            return dict(_theme_colours(read_part(self.archive, self.theme_part, self.limits.part_bytes)))
        except Unreadable:
            return {}

    def rows(self, sheet: SheetEntry) -> tuple[list[list[Any]], list[tuple[tuple[int, int], tuple[int, int]]]]:
        """Cell values (row lists from A1) and merged ranges of one sheet.

        Raises
        ------
        Unreadable
            ``tab-unreadable`` when calamine cannot load the sheet;
            ``tab-too-large`` when its used range is past the limits (checked
            before calamine, which would allocate every cell of it).
        """
        limits = self.limits
        budget = min(limits.sheet_cells, limits.workbook_cells - self._cells_loaded)
        cells = self._extent_cells(sheet, max(budget, 0))
        if cells > limits.sheet_cells:
            raise Unreadable("tab-too-large", f"tab {sheet.name!r} spans {cells:,} cells from its first to its "
                             f"last value, more than the {limits.sheet_cells:,} allowed; it was not read")
        if cells > budget:
            raise Unreadable("tab-too-large", f"tab {sheet.name!r} ({cells:,} cells) would bring the cells read "
                             f"from this workbook past the {limits.workbook_cells:,} allowed; it was not read")
        try:
            ws = self.book.get_sheet_by_name(sheet.name)
            rows = ws.to_python(skip_empty_area=False)
            merged = ws.merged_cell_ranges or []
        except BaseException as exc:  # calamine raises its own and builtin errors, and panics
            if not failed(exc):
                raise
            raise Unreadable("tab-unreadable", f"tab {sheet.name!r} could not be read: {why(exc)}") from exc
        self._cells_loaded += len(rows) * max((len(r) for r in rows), default=0)
        return rows, merged

    def _extent_cells(self, sheet: SheetEntry, budget: int) -> int:
        """Cells of the sheet's used range as calamine will lay it out, or a bound within ``budget``.

        0 when not known beforehand (.xls, .ods).
        """
        if self.archive is None or not sheet.part:
            return 0  # .xls (at most 65,536 x 256 cells) and .ods (checked when opened) are loaded already
        try:
            xml = inflate(self.archive, self.data, sheet.part, self.limits.part_bytes)
        except Exception:  # damage of any kind: calamine meets it too and says so
            return 0
        # kept for a later look-up of its formula and error cells, which then needs no second inflate
        # (a blank T/TA answer, say, is looked up in most workbooks)
        if len(xml) <= _KEEP_XML_BYTES:
            self._xml[sheet.name] = xml
        return sheet_extent(xml, budget)

    def uncached_formulas(self, sheet: SheetEntry) -> frozenset[tuple[int, int]]:
        """Cells (row, column from 0) of a sheet holding a formula with no saved value.

        Looked up only when the reader finds an empty cell where a value was
        expected, so the sheet XML is scanned at most once and only then.
        """
        if sheet.name not in self._formulas:
            self._formulas[sheet.name] = uncached_formula_cells(self._sheet_xml(sheet))
        return self._formulas[sheet.name]

    def error_cells(self, sheet: SheetEntry) -> dict[tuple[int, int], str]:
        """Cells (row, column from 0) of a sheet holding an error value such as ``#REF!``, with that value.

        calamine reads them as empty cells, so only the file tells them
        apart: the sheet XML (.xlsx), the OpenDocument content (.ods, every
        tab at once) or the BIFF records (.xls, every tab at once).  Looked
        up, like :meth:`uncached_formulas`, only when a value is missing.
        """
        if self.kind in ("ods", "xls"):
            return self._book_errors.get(sheet.name, {})
        if sheet.name not in self._errors:
            self._errors[sheet.name] = error_value_cells(self._sheet_xml(sheet))
        return self._errors[sheet.name]

    @cached_property
    def _book_errors(self) -> dict[str, dict[tuple[int, int], str]]:
        """The error cells of every tab of an .ods or .xls workbook, by tab name."""
        if self.kind == "xls":
            tabs = xls_error_cells(self.data)
            # the records list the tabs in calamine's order; its names are the ones looked up
            names = [s.name for s in self.sheets] if len(tabs) == len(self.sheets) else [n for n, _ in tabs]
            return {name: cells for name, (_, cells) in zip(names, tabs) if cells}
        if self.archive is None:
            return {}
        try:
            return ods_error_cells(read_part(self.archive, "content.xml", self.limits.part_bytes))
        except Unreadable:
            return {}

    def _sheet_xml(self, sheet: SheetEntry) -> bytes:
        """The sheet part's XML (empty when there is none, or it cannot be read: loading the sheet says so)."""
        if self.archive is None or not sheet.part:
            return b""
        if sheet.name in self._xml:
            return self._xml[sheet.name]
        try:
            return read_part(self.archive, sheet.part, self.limits.part_bytes)
        except Unreadable:
            return b""

    def close(self) -> None:
        """Release the calamine workbook, the zip directory and the sheet XML kept."""
        self._xml.clear()
        try:
            self.book.close()
        except BaseException as exc:  # already closed, or a calamine state we cannot act on
            if not failed(exc):
                raise
        if self.archive is not None:
            self.archive.close()


@lru_cache(maxsize=16)
def _theme_colours(xml: bytes) -> tuple[tuple[str, str], ...]:
    """The colours of a theme part's colour scheme, by slot name ("accent4", "dk1"...).

    Parsed once per distinct theme: the workbooks of a batch mostly carry
    the same one.
    """
    slots: dict[str, str] = {}
    for scheme in parse_xml(xml).iter():
        if local_name(scheme.tag) != "clrScheme":
            continue
        for slot in scheme:
            for colour in slot:
                value = colour.get("val") if local_name(colour.tag) == "srgbClr" else colour.get("lastClr")
                if value and len(value) >= 6:
                    slots[local_name(slot.tag)] = value[-6:].upper()
        break
    return tuple(slots.items())


def open_container(data: bytes, *, suffix: str = "", limits: Limits | None = None) -> Container:
    """Open a workbook from its bytes after checking it is safe to.

    Parameters
    ----------
    data : bytes
        The whole file.
    suffix : str
        The file name's ending (".xlsm"), used only to name the kind.
    limits : Limits, optional
        Size caps; the defaults suit real workbooks.

    Raises
    ------
    Unreadable
        With code ``file-empty``, ``file-not-workbook``, ``file-corrupt``,
        ``file-encrypted``, ``file-too-large``, ``file-unsafe-xml`` or
        ``file-unsupported``.
    """
    limits = limits or Limits()
    magic = sniff(data)
    if magic == "empty":
        raise Unreadable("file-empty", "the file is empty (0 bytes)")
    if magic == "zip":
        return _open_zip(data, suffix.lower(), limits)
    if magic == "cfb":
        return _open_cfb(data)
    raise Unreadable("file-not-workbook", f"the file is not an Excel workbook ({_describe_text(data)})")


# ---------------------------------------------------------------- zip (xlsx, xlsm, ods)
def _open_zip(data: bytes, suffix: str, limits: Limits) -> Container:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise Unreadable("file-corrupt", f"the workbook is damaged or truncated ({why(exc)})") from exc
    names = {info.filename for info in infos}
    _check_sizes(infos, limits)
    if "xl/workbook.bin" in names:
        raise Unreadable("file-unsupported", "binary workbooks (.xlsb) cannot be read; save it as .xlsx")
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and zf.read("mimetype").strip() == _ODS_MIMETYPE:
            for part in ("content.xml", "styles.xml"):
                if part in names:
                    _refuse_entities(zf, data, part, limits)
            if "content.xml" in names:
                _check_ods_extents(read_part(zf, "content.xml", limits.part_bytes), limits)
            book = _calamine(data)
            return Container("ods", book, _sheets_from_calamine(book), archive=zf, limits=limits)
        what = "a Word document" if "word/document.xml" in names else (
            "a PowerPoint file" if "ppt/presentation.xml" in names else "a zip archive")
        raise Unreadable("file-not-workbook", f"the file is {what}, not an Excel workbook")
    kind = "xlsm" if suffix in (".xlsm", ".xltm") or "xl/vbaProject.bin" in names else "xlsx"
    sheets, theme_part, parsed = _workbook_sheets(zf, data, names, limits)
    for part in parsed:
        if part in names:
            _refuse_entities(zf, data, part, limits)
    for sheet in sheets:
        if sheet.part in names:
            sheet.colour = _tab_colour(zf, data, sheet, limits)
    book = _calamine(data)
    return Container(kind, book, sheets, archive=zf, theme_part=theme_part, limits=limits, data=data)


def _check_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.part_bytes:
            raise Unreadable("file-too-large", f"part {info.filename} would expand to {mb(size)}, "
                             f"more than the {mb(limits.part_bytes)} allowed per part")
        if size >= limits.ratio_min_bytes and size > limits.ratio * max(info.compress_size, 1):
            raise Unreadable("file-too-large", f"part {info.filename} would expand {size // max(info.compress_size, 1)}"
                             f" times (to {mb(size)}); refused as a possible zip bomb")
    if total > limits.total_bytes:
        raise Unreadable("file-too-large", f"the workbook would expand to {mb(total)}, "
                         f"more than the {mb(limits.total_bytes)} allowed")


def _workbook_sheets(zf: zipfile.ZipFile, data: bytes, names: set[str], limits: Limits
                     ) -> tuple[list[SheetEntry], str, list[str]]:
    """Tabs in workbook order, the theme part, and the other XML parts calamine parses."""
    book = _inflated(zf, data, "xl/workbook.xml", limits)
    rels = _inflated(zf, data, _WORKBOOK_RELS, limits) if _WORKBOOK_RELS in names else b""
    listed, theme_part, parsed = _parse_workbook(book, rels)
    return [SheetEntry(name=name, part=part, state=state, kind=kind) for name, part, state, kind in listed], \
        theme_part, list(parsed)


@lru_cache(maxsize=64)
def _parse_workbook(book: bytes, rels: bytes) -> tuple[tuple[tuple[str, str, str, str], ...], str, tuple[str, ...]]:
    """What :func:`_workbook_sheets` reads from the workbook part and its relationships (``rels``: b"" if none).

    The workbooks of a batch mostly share these two parts byte for byte
    (the tool's tabs, saved by the same program), so each is parsed once.
    """
    root = parse_xml(book)
    targets: dict[str, tuple[str, str]] = {}
    if rels:
        for rel in parse_xml(rels):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else join_path("xl", target)
            targets[rel.get("Id", "")] = (part, rel.get("Type", "").rsplit("/", 1)[-1])
    theme_part = next((part for part, typ in targets.values() if typ == "theme"), "")
    parsed = {part for part, typ in targets.values() if typ in ("sharedStrings", "styles")}
    parsed.update(("xl/sharedStrings.xml", "xl/styles.xml"))
    sheets: list[tuple[str, str, str, str]] = []
    for element in root.iter():
        tag = element.tag
        if not tag.endswith("sheet") or local_name(tag) != "sheet":  # the suffix test spares most elements
            continue
        rid = next((v for k, v in element.attrib.items() if local_name(k) == "id"), "")
        part, typ = targets.get(rid, ("", "worksheet"))
        sheets.append((element.get("name", ""), part, element.get("state", "visible") or "visible", typ))
    return tuple(sheets), theme_part, tuple(sorted(parsed))


def _inflated(zf: zipfile.ZipFile, data: bytes, part: str, limits: Limits) -> bytes:
    """A part (known to be in the zip), inflated from the file's bytes; ``Unreadable`` when damaged or too large."""
    try:
        return inflate(zf, data, part, limits.part_bytes)
    except Unreadable:
        raise
    except Exception as exc:  # zlib.error, BadZipFile and friends (the CRC is checked by calamine)
        raise Unreadable("file-corrupt", f"the workbook part {part} is damaged ({why(exc)})") from exc


def _check_ods_extents(content: bytes, limits: Limits) -> None:
    """Refuse an OpenDocument file whose tables span too many cells: calamine loads them all when it opens it."""
    extents = ods_extents(content)
    for name, cells in extents.items():
        if cells > limits.sheet_cells:
            raise Unreadable("file-too-large", f"tab {name!r} spans {cells:,} cells from its first to its last "
                             f"value, more than the {limits.sheet_cells:,} allowed; the workbook was not read")
    if sum(extents.values()) > limits.workbook_cells:
        raise Unreadable("file-too-large", f"the tabs span {sum(extents.values()):,} cells together, more than "
                         f"the {limits.workbook_cells:,} allowed; the workbook was not read")


def _refuse_entities(zf: zipfile.ZipFile, data: bytes, part: str, limits: Limits) -> None:
    """Refuse a part that declares a DTD or entities ("billion laughs") before calamine parses it.

    A DTD can only stand in the prolog, before the root element, so the
    first kilobytes of the part tell.
    """
    try:
        head = part_head(zf, data, part, limits.head_bytes)
    except Exception as exc:  # zlib.error, BadZipFile, EOFError and friends
        raise Unreadable("file-corrupt", f"the workbook part {part} is damaged ({why(exc)})") from exc
    if b"<!" in head and _DTD.search(head):
        raise Unreadable("file-unsafe-xml", f"the workbook part {part} declares XML entities or a DTD; "
                         "refused for safety")


def _tab_colour(zf: zipfile.ZipFile, data: bytes, sheet: SheetEntry, limits: Limits) -> TabColour | None:
    try:
        head = part_head(zf, data, sheet.part, min(_SMALL_HEAD, limits.head_bytes))
        end = head.find(b"</sheetPr>")
        if end < 0:
            end = head.find(b"sheetData")
        if end < 0 or b"<!" in head:
            # <sheetPr> not within the first kilobyte (or a declaration to check): the full head
            head = part_head(zf, data, sheet.part, limits.head_bytes)
            end = -1
    except Exception as exc:  # zlib.error, BadZipFile, EOFError and friends
        raise Unreadable("file-corrupt", f"the part holding tab {sheet.name!r} is damaged ({why(exc)})") from exc
    if b"<!" in head and _DTD.search(head):
        raise Unreadable("file-unsafe-xml", f"tab {sheet.name!r} declares XML entities; refused for safety")
    if end < 0:
        end = head.find(b"</sheetPr>")
        if end < 0:
            end = head.find(b"sheetData")
    colour = _TAB_COLOR.search(head, 0, end if end >= 0 else len(head))
    if not colour:
        return None
    return _colour_of(colour.group(1))


@lru_cache(maxsize=1024)
def _colour_of(attributes: bytes) -> TabColour | None:
    """The colour a ``<tabColor>`` element's attributes give (a batch repeats a few)."""
    attrs = {local_name(k.decode()): v.decode() for k, v in _ATTR.findall(attributes)}
    return TabColour.from_attributes(attrs)


# ---------------------------------------------------------------- compound files (xls, encrypted)
def _open_cfb(data: bytes) -> Container:
    if all(stream in data for stream in _ENCRYPTED_STREAMS):
        raise Unreadable("file-encrypted", "the workbook is password-protected; "
                         "ask the LEA for a copy saved without a password")
    if not any(stream in data for stream in _XLS_STREAMS):
        raise Unreadable("file-not-workbook", "the file is an Office document but not an Excel workbook")
    book = _calamine(data)
    notes = [("file-legacy-xls", "legacy .xls workbook: read without tab colours")]
    return Container("xls", book, _sheets_from_calamine(book), notes=notes, data=data)


def _sheets_from_calamine(book: Any) -> list[SheetEntry]:
    states = {"Visible": "visible", "Hidden": "hidden", "VeryHidden": "veryHidden"}
    out = []
    for meta in book.sheets_metadata:
        state = states.get(getattr(meta.visible, "name", ""), "visible")
        kind = "worksheet" if getattr(meta.typ, "name", "WorkSheet") == "WorkSheet" else "chartsheet"
        out.append(SheetEntry(name=meta.name, state=state, kind=kind))
    return out


def _calamine(data: bytes) -> Any:
    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError as exc:
        raise Unreadable("file-encrypted", "the workbook is password-protected; "
                         "ask the LEA for a copy saved without a password") from exc
    except (calamine.ZipError, calamine.XmlError) as exc:
        raise Unreadable("file-corrupt", f"the workbook is damaged and could not be opened ({why(exc)})") from exc
    except Exception as exc:  # CalamineError and the builtin errors it may pass through
        raise Unreadable("file-corrupt", f"the workbook could not be opened ({why(exc)})") from exc
    except BaseException as exc:
        if not panicked(exc):
            raise
        raise Unreadable("file-corrupt", f"the workbook is damaged and could not be opened ({why(exc)})") from exc


def panicked(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic of calamine's Rust code (a damaged file can cause one).

    pyo3 raises a panic as ``PanicException``, which derives from
    BaseException so that ``except Exception`` lets it through; the reader
    takes it for the file's failure, not the batch's.
    """
    return type(exc).__name__ == "PanicException"


def failed(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure to read (an error, or a panic of calamine), not an interrupt or exit."""
    return isinstance(exc, Exception) or panicked(exc)


def _describe_text(data: bytes) -> str:
    head = data[:512].lstrip()
    if head[:5].lower() in (b"<html", b"<!doc"):
        return "it is a web page"
    if head.startswith(b"%PDF"):
        return "it is a PDF"
    if head.startswith(b"<?xml"):
        return "it is an XML file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary content"
    return "it is plain text" + (" or CSV" if b"," in head else "")
