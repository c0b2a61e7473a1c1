"""The summary workbook as a package: shared strings written in one piece, parts deflated in threads.

:class:`FastWorkbook` is an xlsxwriter ``Workbook`` whose worksheets are
:class:`~needsassess.write_xlsx.FastWorksheet`.  When it is closed its
packager writes the parts (sheets, shared strings, styles, ...) one after
another; here each part is handed to a thread to deflate as soon as it is
complete, while the next part is assembled (zlib works without Python's
lock, so a second core deflates while the first writes XML), and the zip
file gets each part already deflated.  The bytes are those ``zipfile``
would write at the same level.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from io import StringIO
from typing import Any

import xlsxwriter.workbook as _xlsxwriter_workbook
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.url import Url
from xlsxwriter.workbook import Workbook

from .write_xlsx import FastWorksheet

#: What xlsxwriter escapes in a shared string (control characters, "_x0000_" look-alikes, non-characters).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPE_LIKE = re.compile("_x[0-9a-fA-F]{4}_")
_SPACE = re.compile(r"\s")
#: Joins the shared strings, and marks those whose outer spaces are kept, while they are written in one piece.
_SEPARATOR, _KEEP_SPACES = "\x1e", "\x1f"
#: The control characters xlsxwriter escapes, but the two above, as bytes (never part of a UTF-8 sequence).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x1E)])


def plain_strings(joined: str) -> bool:
    """Whether ``joined`` holds nothing a shared string must escape.

    That is: no control character but tab, line feed and the two of
    ``_SEPARATOR`` and ``_KEEP_SPACES``, no U+FFFE or U+FFFF, and nothing
    that reads like an ``_xHHHH_`` escape.  (One scan of the bytes instead
    of a regular expression over every character: several times faster.)
    """
    try:
        raw = joined.encode("latin-1")  # a copy when every character is below 256, the usual case
    except UnicodeEncodeError:
        if "\ufffe" in joined or "\uffff" in joined:
            return False
        raw = joined.encode("utf-8", "surrogatepass")
    if len(raw.translate(None, _CONTROL_BYTES)) != len(raw):
        return False
    return "_x" not in joined or not _ESCAPE_LIKE.search(joined)


class FastSharedStrings(SharedStrings):
    """The shared-string part, written in one piece (the same XML as xlsxwriter's)."""

    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        if not strings:
            return
        # All strings at once when none needs more than escaping: joined by a
        # separator no such string holds, escaped, split and tagged.
        joined = _SEPARATOR.join(strings)
        if (not plain_strings(joined) or "<r>" in joined or _KEEP_SPACES in joined
                or joined.count(_SEPARATOR) != len(strings) - 1):
            self._write_sst_strings_one_by_one()
            return
        spaced = [i for i, t in enumerate(strings) if t and (t[0].isspace() or t[-1].isspace())]
        if spaced:  # marked to keep their outer spaces
            marked = list(strings)
            for i in spaced:
                marked[i] = _KEEP_SPACES + marked[i]
            joined = _SEPARATOR.join(marked)
        if "&" in joined:
            joined = joined.replace("&", "&amp;")
        if "<" in joined:
            joined = joined.replace("<", "&lt;")
        if ">" in joined:
            joined = joined.replace(">", "&gt;")
        body = "<si><t>" + joined.replace(_SEPARATOR, "</t></si><si><t>") + "</t></si>"
        if spaced:
            body = body.replace("<si><t>" + _KEEP_SPACES, '<si><t xml:space="preserve">')
        self.fh.write(body)

    def _write_sst_strings_one_by_one(self) -> None:
        parts = []
        for s in self.string_table.string_array:
            if _CONTROL.search(s):
                s = self._escape_control_characters(s)
            if s.startswith("<r>") and s.endswith("</r>"):  # a rich string, written as it is
                parts.append(f"<si>{s}</si>")
                continue
            preserve = ' xml:space="preserve"' if s and (_SPACE.match(s[0]) or _SPACE.match(s[-1])) else ""
            if "&" in s or "<" in s or ">" in s:
                s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f"<si><t{preserve}>{s}</t></si>")
        self.fh.write("".join(parts))


def deflate(data: bytes, level: int) -> tuple[bytes, int]:
    """``data`` deflated as a zip member (raw deflate, as ``zipfile`` does it) and its CRC-32."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data)


class Deflater:
    """Deflates the parts of a package in threads, by part name."""

    def __init__(self, level: int, workers: int = 2) -> None:
        self.level = level
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="needsassess-deflate")
        self._parts: dict[str, Future[tuple[bytes, int, int]]] = {}

    def submit(self, name: str, text: StringIO) -> None:
        """Start deflating the finished part ``name`` (its XML in ``text``)."""
        self._parts[name] = self._pool.submit(self._deflate_text, text)

    def _deflate_text(self, text: StringIO) -> tuple[bytes, int, int]:
        data = text.getvalue().encode("utf-8")
        return (*deflate(data, self.level), len(data))

    def take(self, name: str, data: bytes) -> tuple[bytes, int]:
        """``data`` (part ``name``) deflated, and its CRC-32: done already in a thread, or now."""
        future = self._parts.pop(name, None)
        if future is not None:
            packed, crc, size = future.result()
            if size == len(data):
                return packed, crc
        return deflate(data, self.level)

    def close(self) -> None:
        """Stop the threads (any part not taken is dropped)."""
        for future in self._parts.values():
            future.cancel()
        self._pool.shutdown(wait=True)
        self._parts.clear()


class FastPackager(Packager):
    """xlsxwriter's packager, with :class:`FastSharedStrings`; each part finished goes to the deflater.

    The shared strings, the largest part, are written first so that they
    are deflated while the sheets are written; the package lists them in
    xlsxwriter's place all the same.
    """

    deflater: Deflater | None = None
    _strings_written = False

    def _filename(self, xml_filename: str) -> Any:
        self._hand_over_last()  # parts are written one at a time: the last one is finished
        return super()._filename(xml_filename)

    def _create_package(self) -> Any:
        files = super()._create_package()
        self._hand_over_last()
        names = [name for _, name, _ in files]
        if "xl/sharedStrings.xml" in names and "xl/styles.xml" in names:
            entry = files.pop(names.index("xl/sharedStrings.xml"))
            files.insert([name for _, name, _ in files].index("xl/styles.xml"), entry)
        return files

    def _write_worksheet_files(self) -> None:
        if self.deflater is None or self.workbook.constant_memory:
            super()._write_worksheet_files()
            return
        self._write_shared_strings_file()
        self._strings_written = True
        # The largest sheets first, so that the last part to deflate is a small one; each keeps
        # its own part name, and the package lists them in order all the same.
        sheets = [ws for ws in self.workbook.worksheets() if not ws.is_chartsheet]
        start = len(self.filenames)
        for index, worksheet in sorted(enumerate(sheets, start=1), key=lambda item: -_size(item[1])):
            worksheet._set_xml_writer(self._filename(f"xl/worksheets/sheet{index}.xml"))
            worksheet._assemble_xml_file()
        prefix = len("xl/worksheets/sheet")
        self.filenames[start:] = sorted(self.filenames[start:], key=lambda f: int(f[1][prefix:-len(".xml")]))

    def _hand_over_last(self) -> None:
        if self.deflater is not None and self.filenames:
            text, name, binary = self.filenames[-1]
            if not binary and isinstance(text, StringIO):
                self.deflater.submit(name, text)

    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count or self._strings_written:
            return
        sst = FastSharedStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


def _size(worksheet: Any) -> int:
    """About how many rows of cells a worksheet writes."""
    return len(getattr(worksheet, "_row_xml", ())) + len(worksheet.table) + getattr(worksheet, "_rendered_rows", 0)


class _DeflatedZip(zipfile.ZipFile):
    """A ZipFile that stores parts deflated by a :class:`Deflater` (else at its own ``compresslevel``)."""

    deflater: Deflater | None = None

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        deflater = self.deflater
        if (deflater is None or not isinstance(zinfo_or_arcname, zipfile.ZipInfo)
                or zinfo_or_arcname.compress_type != zipfile.ZIP_DEFLATED or compress_type is not None
                or not isinstance(data, bytes) or self._writing or not self._seekable):
            super().writestr(zinfo_or_arcname, data, compress_type,
                             self.compresslevel if compresslevel is None else compresslevel)
            return
        packed, crc = deflater.take(zinfo_or_arcname.filename, data)
        self._write_deflated(zinfo_or_arcname, data, packed, crc)

    def _write_deflated(self, zinfo: zipfile.ZipInfo, data: bytes, packed: bytes, crc: int) -> None:
        """Store a member deflated already: what ``writestr`` does, with the sizes known before."""
        with self._lock:
            zinfo.file_size, zinfo.compress_size, zinfo.CRC = len(data), len(packed), crc
            zinfo._compresslevel = self.compresslevel
            zinfo.flag_bits = 0x00
            if not zinfo.external_attr:
                zinfo.external_attr = 0o600 << 16  # ?rw-------
            zip64 = zinfo.file_size * 1.05 > zipfile.ZIP64_LIMIT or zinfo.compress_size > zipfile.ZIP64_LIMIT
            if zip64 and not self._allowZip64:
                raise zipfile.LargeZipFile("Filesize would require ZIP64 extensions")
            self.fp.seek(self.start_dir)
            zinfo.header_offset = self.fp.tell()
            self._writecheck(zinfo)
            self._didModify = True
            self.fp.write(zinfo.FileHeader(zip64))
            self.fp.write(packed)
            self.start_dir = self.fp.tell()
            self.filelist.append(zinfo)
            self.NameToInfo[zinfo.filename] = zinfo


_ZIP_LOCK = threading.Lock()


class FastWorkbook(Workbook):
    """An xlsxwriter workbook whose worksheets are :class:`~needsassess.write_xlsx.FastWorksheet`,
    whose shared strings are written by :class:`FastSharedStrings` and whose parts are deflated at
    :attr:`zip_level`, in threads."""

    worksheet_class = FastWorksheet
    #: zlib level of the package's parts.  xlsxwriter uses zlib's default (6);
    #: on the summary's XML level 4 deflates twice as fast for a file about an
    #: eighth larger (level 1: 2.4 times as fast, 45 % larger).  Deflating in
    #: threads, beside the writing of the next part, hides most of it.
    zip_level = 2
    #: Threads that deflate parts (0: deflate each part when it is stored, in the calling thread).
    zip_threads = min(2, os.cpu_count() or 1)

    def __init__(self, filename: Any = None, options: dict[str, Any] | None = None) -> None:
        super().__init__(filename, options)
        self._urls: dict[tuple[str, str], Url] = {}
        self._places: list[Url] = []
        self._deflater: Deflater | None = None

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Any:
        sheet = super().add_worksheet(name, worksheet_class)
        if isinstance(sheet, FastWorksheet):
            sheet._urls = self._urls  # a link's target and text are the same on every sheet
            sheet._places = self._places  # so each sheet places the links it took from another
        return sheet

    def _get_packager(self) -> Packager:
        packager = FastPackager()
        packager.deflater = self._deflater
        return packager

    def _store_workbook(self) -> None:
        # xlsxwriter makes its ZipFile inside this method and offers no level;
        # its module's name for the class is swapped for the length of the call.
        self._deflater = Deflater(self.zip_level, self.zip_threads) if self.in_memory and self.zip_threads else None
        zip_class = type("_Zip", (_DeflatedZip,), {"deflater": self._deflater})
        try:
            with _ZIP_LOCK:
                stock = _xlsxwriter_workbook.ZipFile
                _xlsxwriter_workbook.ZipFile = partial(zip_class, compresslevel=self.zip_level)  # type: ignore[misc]
                try:
                    super()._store_workbook()
                finally:
                    _xlsxwriter_workbook.ZipFile = stock  # type: ignore[misc]
        finally:
            if self._deflater is not None:
                self._deflater.close()
                self._deflater = None
