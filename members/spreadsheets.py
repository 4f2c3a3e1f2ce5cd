"""Spreadsheet files that are safe to open: formulas escaped, Chinese readable in Excel.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return,
which some programs skip before reading one of those) is run as a formula
by Excel and LibreOffice when the file is opened: a member's name could
then fetch a web address or run a command on the reader's machine. Such a
cell is written with a leading apostrophe, which spreadsheets show as
text and hide; reading our own files back, the apostrophe is dropped
again. In XLSX files a cell is marked as text instead. CSV files start with a UTF-8 byte-order mark, without which Excel
reads them in the computer's local encoding and shows Chinese as noise.
"""

import io

from import_export.formats.base_formats import CSV, XLSX
from openpyxl import load_workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


def escape_formula(value):
    """A cell's text that no spreadsheet runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(value):
    """The text of a cell written by escape_formula."""
    if (
        isinstance(value, str)
        and value[:1] == "'"
        and value[1:].startswith(FORMULA_STARTS)
    ):
        return value[1:]
    return value


def escape_dataset(dataset):
    """A copy of a tablib dataset with every cell escaped."""
    escaped = dataset.__class__(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        escaped.append([escape_formula(cell) for cell in row])
    return escaped


class SafeCSV(CSV):
    """CSV with a byte-order mark and escaped formulas."""

    def export_data(self, dataset, **kwargs):
        return BYTE_ORDER_MARK + super().export_data(escape_dataset(dataset), **kwargs)


class SafeXLSX(XLSX):
    """XLSX whose text cells are stored as text, never as formulas.

    openpyxl turns any text starting with `=` into a formula; the cell is
    set back to text, so the value needs no apostrophe.
    """

    def export_data(self, dataset, **kwargs):
        workbook = load_workbook(io.BytesIO(super().export_data(dataset, **kwargs)))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
