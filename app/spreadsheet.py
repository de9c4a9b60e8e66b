"""Cells for spreadsheets: every CSV and XLSX the application writes goes through here, so that no text
taken from data (a team name, a full name, a reason) becomes a live formula when the file is opened in
Excel, LibreOffice or Google Sheets ("formula injection").

A text cell that starts with `=`, `+`, `-` or `@` — or with a tab, a carriage return or a line feed, which
some spreadsheets skip before reading a formula — is written as text: in CSV behind an apostrophe (the
spreadsheet shows the text and never evaluates it), in XLSX as a string cell with the "quote prefix"
style (its exact text, kept as text even when the cell is edited). Numbers (int, float, Decimal) are
never touched: they stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A value for `csv.writer`: formula-like text behind an apostrophe, anything else as it is."""
    return "'" + value if formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for a write-only openpyxl sheet's `append`: formula-like text as a quoted string cell."""
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl took the leading "=" for a formula
            cell.quotePrefix = True
            row.append(cell)
        else:
            row.append(value)
    return row
