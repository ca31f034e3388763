"""Cells of the workbooks the application writes, safe to open in Excel or WPS.

A text someone typed (a work unit, a name) that starts with ``=``, ``+``, ``-`` or
``@`` is read by a spreadsheet as a formula when the exported file is opened,
and a formula such as ``=HYPERLINK(...)`` can send data away or run commands
(CSV/formula injection, OWASP). A leading tab or carriage return is stripped by
some programs before they decide, so it counts too. Such a text is written
with a single quote ``'`` in front: openpyxl then stores it as a plain string
cell, and nobody's spreadsheet evaluates it. ``unquote_cell`` takes the quote off
again when such a workbook is imported back. Control characters, which the file
format cannot hold (openpyxl refuses them), are dropped.

Pure: no Flask, no database.
"""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# What makes Excel, LibreOffice or WPS read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: object) -> object:
    """The value to put in a cell: a text loses its control characters, and gets a
    leading ``'`` when a spreadsheet would take it for a formula; numbers, dates and
    None are unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def unquote_cell(text: str) -> str:
    """A text read from a cell written by ``safe_cell``, as it was typed."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
