"""Parts of a workbook package (a zip) read safely: bounded inflation, a part's first bytes,
XML parsed without entity declarations, and the error every failure becomes.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.etree.ElementTree import fromstring as _plain_fromstring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class Unreadable(Exception):
    """A file or sheet that cannot be read; carries a problem code.

    Never leaves the reader: :mod:`needsassess.read` turns it into a
    problem record.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def inflate(zf: zipfile.ZipFile, data: bytes, name: str, cap: int) -> bytes:
    """A whole part, inflated straight from the file's bytes (no CRC check: calamine does that).

    Raises ``Unreadable("file-too-large")`` past ``cap`` bytes.
    """
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_DEFLATED or not data:
        return read_part(zf, name, cap)
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {name}")
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_len + extra_len
    out = zlib.decompressobj(-15).decompress(memoryview(data)[begin:begin + info.compress_size], cap + 1)
    if len(out) > cap:
        raise Unreadable("file-too-large", f"part {name} expands past {mb(cap)}")
    return out


def part_head(zf: zipfile.ZipFile, data: bytes, name: str, limit: int) -> bytes:
    """The first bytes of a part, inflated straight from the file's bytes.

    ``<sheetPr>`` sits at the start of a sheet part, so a few kB of a
    deflated part are inflated and the rest is never touched.
    """
    info = zf.getinfo(name)
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {name}")
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_len + extra_len
    raw = memoryview(data)[begin:begin + min(info.compress_size, limit)]
    if info.compress_type == zipfile.ZIP_STORED:
        return bytes(raw[:limit])
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with zf.open(name) as fh:
            return fh.read(limit)
    return zlib.decompressobj(-15).decompress(raw, limit)


def read_part(zf: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """A whole part through zipfile (CRC checked); ``Unreadable`` when missing, damaged or past ``cap`` bytes."""
    try:
        with zf.open(name) as fh:
            data = fh.read(cap + 1)
    except KeyError as exc:
        raise Unreadable("file-corrupt", f"the workbook lacks its part {name}") from exc
    except Exception as exc:  # zlib.error, BadZipFile (bad CRC), EOFError
        raise Unreadable("file-corrupt", f"the workbook part {name} is damaged ({why(exc)})") from exc
    if len(data) > cap:
        raise Unreadable("file-too-large", f"part {name} expands past {mb(cap)}")
    return data


def parse_xml(xml: bytes) -> Any:
    """An element tree; a part declaring entities or a DTD is refused (``file-unsafe-xml``)."""
    try:
        if b"<!" not in xml:
            # no DTD, hence no entity declarations: the plain parser is as safe and much cheaper
            return _plain_fromstring(xml)
        return fromstring(xml)
    except DefusedXmlException as exc:
        raise Unreadable("file-unsafe-xml", "the workbook declares XML entities or a DTD; "
                         "refused for safety") from exc
    except ParseError as exc:
        raise Unreadable("file-corrupt", f"the workbook's XML is damaged ({exc})") from exc


def local_name(tag: str) -> str:
    """A tag or attribute name without its namespace or prefix."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def join_path(base: str, target: str) -> str:
    """A relationship target resolved against the folder of the part that names it."""
    parts = base.split("/")
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def mb(n: int) -> str:
    """A size for messages: "50 MB", or bytes below one MB."""
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n:,} bytes"


def why(exc: BaseException) -> str:
    """An exception as a short reason for a message: its type and first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
