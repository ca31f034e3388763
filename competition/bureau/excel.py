"""The bureau's figures as one workbook: a sheet per table of the page, in its order.

Each sheet starts with the table's title and the filters in words, then the header row,
the rows and the total; counts are numbers, every text goes through
``spreadsheet.workbook_bytes`` (``safe_cell``), so no spreadsheet takes a name for a
formula.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from competition.bureau.tables import Table
from competition.spreadsheet import workbook_bytes

# The header row of each sheet (after the title and the filters).
HEADER_ROW = 3
# What a sheet's name may not hold, and its length, as Excel allows.
_NOT_IN_SHEET_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
MAX_SHEET_NAME = 31


def sheet_name(title: str, taken: set[str]) -> str:
    """``title`` as a sheet name Excel accepts, unique among ``taken``."""
    name = title.translate(_NOT_IN_SHEET_NAMES)[:MAX_SHEET_NAME]
    number = 2
    while name in taken:
        suffix = f" ({number})"
        name = title.translate(_NOT_IN_SHEET_NAMES)[:MAX_SHEET_NAME - len(suffix)] + suffix
        number += 1
    return name


def statistics_workbook(tables: list[Table], scope: str) -> bytes:
    """One sheet per table, titled like it, under ``scope`` (the filters in words)."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(sheet_name(table.title, taken))
        taken.add(sheet.title)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([scope])
        sheet.append([table.label_header, *table.columns])
        for cell in sheet[HEADER_ROW]:
            cell.font = bold
        for row in table.rows:
            sheet.append([row.label, *row.values])
        if table.total is not None:
            sheet.append([table.total.label, *table.total.values])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = 36
        for index in range(len(table.columns)):
            sheet.column_dimensions[get_column_letter(index + 2)].width = 16
        sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    return workbook_bytes(book)
