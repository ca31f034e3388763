"""One PDF from several, written as it goes: a long print run in bounded memory.

A print run of 10,000 tickets drawn as one ReportLab document keeps every page in memory
until the document is saved; joined with pypdf's ``PdfWriter`` every page of every part
is kept until the whole is written. ``PdfJoiner`` takes the parts one at a time (each a
complete PDF, e.g. 500 tickets): pypdf reads the part, its pages and everything they
use are written out at once with new object numbers, and the part is dropped. What
stays is a number per object (its offset, for the cross-reference table) and one per
page. The output is any binary stream with ``write`` (``jobs.runner.PartWriter`` keeps it
in the database, 1 MiB at a time).
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

CATALOG, PAGES, INFO = 1, 2, 3  # the object numbers of the joined document's own objects
# A page's attributes it may inherit from its page tree (ISO 32000-1, 7.7.3.4);
# pypdf's ``reader.pages`` copies them into each page, so they travel with it.
SKIPPED_PAGE_KEYS = ("/Parent",)


class PdfJoiner:
    """Concatenate PDFs page by page into ``out``: ``add`` each, then ``finish``."""

    def __init__(self, out: BinaryIO, *, title: str = "", creator: str = "competition"):
        self._out = out
        self._position = 0
        self._offsets: dict[int, int] = {}
        self._next = INFO + 1
        self._kids: list[int] = []
        self._digest = hashlib.md5(usedforsecurity=False)
        self.title, self.creator = title, creator
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self._kids)

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _allocate(self) -> int:
        number = self._next
        self._next += 1
        return number

    def add(self, pdf: bytes | BinaryIO) -> None:
        """Append every page of ``pdf`` (a whole PDF, as bytes or a readable stream)."""
        reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes | bytearray) else pdf)
        numbers: dict[int, int] = {}  # the part's object number → the joined one
        waiting: list[tuple[int, PdfObject]] = []

        def reference(old: IndirectObject) -> IndirectObject:
            if old.idnum not in numbers:
                numbers[old.idnum] = self._allocate()
                waiting.append((numbers[old.idnum], old))
            return IndirectObject(numbers[old.idnum], 0, None)

        def renumbered(value: PdfObject) -> PdfObject:
            if isinstance(value, IndirectObject):
                return reference(value)
            if isinstance(value, StreamObject):
                copy = StreamObject()
                copy._data = value._data  # as stored: still encoded
                copy.update({key: renumbered(item) for key, item in value.items()
                             if key != "/Length"})
                return copy
            if isinstance(value, DictionaryObject):
                return DictionaryObject({key: renumbered(item) for key, item in value.items()})
            if isinstance(value, ArrayObject):
                return ArrayObject(renumbered(item) for item in value)
            return value

        # Every page gets its number first, so that a page naming another (a link) finds
        # it, rather than copying it a second time.
        pages = list(reader.pages)
        mine = [self._allocate() for _page in pages]
        self._kids += mine
        for page, number in zip(pages, mine, strict=True):
            if page.indirect_reference is not None:
                numbers[page.indirect_reference.idnum] = number
        for page, number in zip(pages, mine, strict=True):
            content = DictionaryObject({key: renumbered(item) for key, item in page.items()
                                        if key not in SKIPPED_PAGE_KEYS})
            content[NameObject("/Parent")] = IndirectObject(PAGES, 0, None)
            self._object(number, content)
            while waiting:
                new, old = waiting.pop()
                self._object(new, renumbered(old.get_object()))

    def _object(self, number: int, value: PdfObject) -> None:
        self._offsets[number] = self._position
        buffer = io.BytesIO()
        buffer.write(f"{number} 0 obj\n".encode())
        value.write_to_stream(buffer)
        buffer.write(b"\nendobj\n")
        data = buffer.getvalue()
        self._digest.update(data[:256])
        self._write(data)

    def finish(self) -> None:
        """Write the page tree, the catalog, the document's title and the cross-reference
        table: the PDF is then complete."""
        kids = ArrayObject(IndirectObject(number, 0, None) for number in self._kids)
        self._object(PAGES, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"), NameObject("/Kids"): kids,
            NameObject("/Count"): NumberObject(len(self._kids))}))
        self._object(CATALOG, DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"),
            NameObject("/Pages"): IndirectObject(PAGES, 0, None)}))
        info = DictionaryObject({NameObject("/Creator"): TextStringObject(self.creator),
                                 NameObject("/Producer"): TextStringObject(self.creator)})
        if self.title:
            info[NameObject("/Title")] = TextStringObject(self.title)
        self._object(INFO, info)
        start = self._position
        count = self._next
        lines = [f"xref\n0 {count}\n".encode(), b"0000000000 65535 f \n"]
        lines += [f"{self._offsets[number]:010d} 00000 n \n".encode()
                  for number in range(1, count)]
        identifier = self._digest.hexdigest()
        lines.append((f"trailer\n<< /Size {count} /Root {CATALOG} 0 R /Info {INFO} 0 R "
                      f"/ID [<{identifier}> <{identifier}>] >>\n"
                      f"startxref\n{start}\n%%EOF\n").encode())
        self._write(b"".join(lines))
